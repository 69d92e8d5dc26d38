#include "kwire/protocol/describe_cluster.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = DescribeClusterRequest;
using Response = DescribeClusterResponse;

constexpr std::int16_t kFirstEndpointType = 1;
constexpr std::int16_t kFirstFenced = 2;

}  // namespace

std::error_code DescribeClusterRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  if (version < kFirstEndpointType && endpoint_type != EndpointType::brokers) return not_in_version();
  if (version < kFirstFenced && include_fenced_brokers) return not_in_version();
  out.write_bool(include_cluster_authorized_operations);
  if (version >= kFirstEndpointType) out.write_int8(static_cast<std::int8_t>(endpoint_type));
  if (version >= kFirstFenced) out.write_bool(include_fenced_brokers);
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code DescribeClusterRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  *this = {};
  include_cluster_authorized_operations = in.read_bool();
  if (version >= kFirstEndpointType) endpoint_type = static_cast<EndpointType>(in.read_int8());
  if (version >= kFirstFenced) include_fenced_brokers = in.read_bool();
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

std::error_code DescribeClusterResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  if (version < kFirstEndpointType && endpoint_type != EndpointType::brokers) return not_in_version();
  out.write_int32(throttle_time_ms);
  out.write_int16(static_cast<std::int16_t>(error_code));
  out.write_nullable_string(error_message, true);
  if (version >= kFirstEndpointType) out.write_int8(static_cast<std::int8_t>(endpoint_type));
  out.write_string(cluster_id, true);
  out.write_int32(controller_id);
  write_array_length(out, brokers, true);
  for (const auto& b : brokers) {
    if (version < kFirstFenced && b.is_fenced) return not_in_version();
    out.write_int32(b.broker_id);
    out.write_string(b.host, true);
    out.write_int32(b.port);
    out.write_nullable_string(b.rack, true);
    if (version >= kFirstFenced) out.write_bool(b.is_fenced);
    out.write_tagged_fields(b.unknown_tags);
  }
  out.write_int32(cluster_authorized_operations);
  out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code DescribeClusterResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  *this = {};
  throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  error_message = in.read_nullable_string(true);
  if (version >= kFirstEndpointType) endpoint_type = static_cast<EndpointType>(in.read_int8());
  cluster_id = in.read_string(true);
  controller_id = in.read_int32();
  const std::size_t broker_min = 4 + 1 + 4 + 1 + (version >= kFirstFenced ? 1 : 0) + 1;
  read_array(in, true, broker_min, brokers, [&](Broker& b) {
    b.broker_id = in.read_int32();
    b.host = in.read_string(true);
    b.port = in.read_int32();
    b.rack = in.read_nullable_string(true);
    if (version >= kFirstFenced) b.is_fenced = in.read_bool();
    in.read_tagged_fields(b.unknown_tags);
  });
  cluster_authorized_operations = in.read_int32();
  in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
