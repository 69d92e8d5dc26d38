#include "kwire/protocol/heartbeat.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = HeartbeatRequest;
using Response = HeartbeatResponse;

constexpr std::int16_t kFirstThrottleTime = 1;

}  // namespace

std::error_code HeartbeatRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();
  if (version < first_instance_id_version && group_instance_id) return codec::not_in_version();

  out.write_string(group_id, flex);
  out.write_int32(generation_id);
  out.write_string(member_id, flex);
  if (version >= first_instance_id_version) out.write_nullable_string(group_instance_id, flex);
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code HeartbeatRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};
  group_id = in.read_string(flex);
  generation_id = in.read_int32();
  member_id = in.read_string(flex);
  if (version >= first_instance_id_version) group_instance_id = in.read_nullable_string(flex);
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

std::error_code HeartbeatResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  if (!codec::tags_fit(unknown_tags, flex)) return codec::not_in_version();

  if (version >= kFirstThrottleTime) out.write_int32(throttle_time_ms);  // ignorable below v1
  out.write_int16(static_cast<std::int16_t>(error_code));
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code HeartbeatResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};
  if (version >= kFirstThrottleTime) throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
