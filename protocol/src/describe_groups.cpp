#include "kwire/protocol/describe_groups.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = DescribeGroupsRequest;
using Response = DescribeGroupsResponse;

constexpr std::int16_t kFirstThrottle = 1;
constexpr std::int16_t kFirstAuthorizedOperations = 3;
constexpr std::int16_t kFirstInstanceId = 4;
constexpr std::int16_t kFirstErrorMessage = 6;

}  // namespace

std::error_code DescribeGroupsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstAuthorizedOperations && include_authorized_operations) return not_in_version();
  write_string_array(out, groups, flex);
  if (version >= kFirstAuthorizedOperations) out.write_bool(include_authorized_operations);
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DescribeGroupsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  *this = {};
  read_string_array(in, flex, groups);
  if (version >= kFirstAuthorizedOperations) include_authorized_operations = in.read_bool();
  read_tags(in, unknown_tags, flex);
  return in.error();
}

std::error_code DescribeGroupsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstThrottle && throttle_time_ms != 0) return not_in_version();

  if (version >= kFirstThrottle) out.write_int32(throttle_time_ms);
  write_array_length(out, groups, flex);
  for (const auto& g : groups) {
    if (!tags_fit(g.unknown_tags, flex)) return not_in_version();
    if (version < kFirstErrorMessage && g.error_message) return not_in_version();
    if (version < kFirstAuthorizedOperations && g.authorized_operations != kAuthorizedOperationsOmitted)
      return not_in_version();
    out.write_int16(static_cast<std::int16_t>(g.error_code));
    if (version >= kFirstErrorMessage) out.write_nullable_string(g.error_message, flex);
    out.write_string(g.group_id, flex);
    out.write_string(g.group_state, flex);
    out.write_string(g.protocol_type, flex);
    out.write_string(g.protocol_data, flex);
    write_array_length(out, g.members, flex);
    for (const auto& m : g.members) {
      if (!tags_fit(m.unknown_tags, flex)) return not_in_version();
      if (version < kFirstInstanceId && m.group_instance_id) return not_in_version();
      out.write_string(m.member_id, flex);
      if (version >= kFirstInstanceId) out.write_nullable_string(m.group_instance_id, flex);
      out.write_string(m.client_id, flex);
      out.write_string(m.client_host, flex);
      out.write_bytes(m.member_metadata, flex);
      out.write_bytes(m.member_assignment, flex);
      write_tags(out, m.unknown_tags, flex);
    }
    if (version >= kFirstAuthorizedOperations) out.write_int32(g.authorized_operations);
    write_tags(out, g.unknown_tags, flex);
  }
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DescribeGroupsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  *this = {};
  if (version >= kFirstThrottle) throttle_time_ms = in.read_int32();
  std::size_t group_min = 2 + 4 * min_string_size(flex) + min_array_size(flex) + min_tags_size(flex);
  if (version >= kFirstErrorMessage) group_min += min_string_size(flex);
  if (version >= kFirstAuthorizedOperations) group_min += 4;
  std::size_t member_min = 3 * min_string_size(flex) + 2 * (flex ? 1 : 4) + min_tags_size(flex);
  if (version >= kFirstInstanceId) member_min += min_string_size(flex);
  read_array(in, flex, group_min, groups, [&](Group& g) {
    g.error_code = static_cast<kwire::errc>(in.read_int16());
    if (version >= kFirstErrorMessage) g.error_message = in.read_nullable_string(flex);
    g.group_id = in.read_string(flex);
    g.group_state = in.read_string(flex);
    g.protocol_type = in.read_string(flex);
    g.protocol_data = in.read_string(flex);
    read_array(in, flex, member_min, g.members, [&](Member& m) {
      m.member_id = in.read_string(flex);
      if (version >= kFirstInstanceId) m.group_instance_id = in.read_nullable_string(flex);
      m.client_id = in.read_string(flex);
      m.client_host = in.read_string(flex);
      m.member_metadata = in.read_bytes(flex);
      m.member_assignment = in.read_bytes(flex);
      read_tags(in, m.unknown_tags, flex);
    });
    if (version >= kFirstAuthorizedOperations) g.authorized_operations = in.read_int32();
    read_tags(in, g.unknown_tags, flex);
  });
  read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
