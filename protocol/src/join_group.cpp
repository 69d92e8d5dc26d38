#include "kwire/protocol/join_group.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = JoinGroupRequest;
using Response = JoinGroupResponse;
using codec::not_in_version;
using codec::tags_fit;

constexpr std::int16_t kFirstRebalanceTimeout = 1;
constexpr std::int16_t kFirstThrottleTime = 2;
constexpr std::int16_t kFirstMemberInstanceId = 5;

// Smallest encodings of array elements, so absurd counts fail before any
// reservation: a string, a bytes field (and a tag buffer).
std::size_t protocol_min_size(bool flex) noexcept { return flex ? 1 + 1 + 1 : 2 + 4; }
std::size_t member_min_size(std::int16_t version, bool flex) noexcept {
  std::size_t size = flex ? 1 + 1 + 1 : 2 + 4;
  if (version >= kFirstMemberInstanceId) size += flex ? 1 : 2;
  return size;
}

}  // namespace

// ------------------------------------------------------------------ request

std::error_code JoinGroupRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);

  // Validate first, so that a refused encode writes nothing.
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < first_instance_id_version && group_instance_id) return not_in_version();
  for (const auto& p : protocols)
    if (!tags_fit(p.unknown_tags, flex)) return not_in_version();

  out.write_string(group_id, flex);
  out.write_int32(session_timeout_ms);
  if (version >= kFirstRebalanceTimeout) out.write_int32(rebalance_timeout_ms);  // ignorable below v1
  out.write_string(member_id, flex);
  if (version >= first_instance_id_version) out.write_nullable_string(group_instance_id, flex);
  out.write_string(protocol_type, flex);
  codec::write_array_length(out, protocols, flex);
  for (const auto& p : protocols) {
    out.write_string(p.name, flex);
    out.write_bytes(p.metadata, flex);
    if (flex) out.write_tagged_fields(p.unknown_tags);
  }
  if (version >= first_reason_version) out.write_nullable_string(reason, flex);  // ignorable below v8
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code JoinGroupRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};

  group_id = in.read_string(flex);
  session_timeout_ms = in.read_int32();
  if (version >= kFirstRebalanceTimeout) rebalance_timeout_ms = in.read_int32();
  member_id = in.read_string(flex);
  if (version >= first_instance_id_version) group_instance_id = in.read_nullable_string(flex);
  protocol_type = in.read_string(flex);
  read_array(in, flex, protocol_min_size(flex), protocols, [&](Protocol& p) {
    p.name = in.read_string(flex);
    p.metadata = in.read_bytes(flex);
    if (flex) in.read_tagged_fields(p.unknown_tags);
  });
  if (version >= first_reason_version) reason = in.read_nullable_string(flex);
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code JoinGroupResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);

  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < first_protocol_type_version && !protocol_name) return not_in_version();  // null from v7 only
  if (version < first_skip_assignment_version && skip_assignment) return not_in_version();
  for (const auto& m : members)
    if (!tags_fit(m.unknown_tags, flex)) return not_in_version();

  if (version >= kFirstThrottleTime) out.write_int32(throttle_time_ms);  // ignorable below v2
  out.write_int16(static_cast<std::int16_t>(error_code));
  out.write_int32(generation_id);
  if (version >= first_protocol_type_version) {
    out.write_nullable_string(protocol_type, flex);
    out.write_nullable_string(protocol_name, flex);
  } else {
    out.write_string(*protocol_name, flex);  // ProtocolType is ignorable below v7
  }
  out.write_string(leader, flex);
  if (version >= first_skip_assignment_version) out.write_bool(skip_assignment);
  out.write_string(member_id, flex);
  codec::write_array_length(out, members, flex);
  for (const auto& m : members) {
    out.write_string(m.member_id, flex);
    if (version >= kFirstMemberInstanceId) out.write_nullable_string(m.group_instance_id, flex);  // ignorable
    out.write_bytes(m.metadata, flex);
    if (flex) out.write_tagged_fields(m.unknown_tags);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code JoinGroupResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};

  if (version >= kFirstThrottleTime) throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  generation_id = in.read_int32();
  if (version >= first_protocol_type_version) {
    protocol_type = in.read_nullable_string(flex);
    protocol_name = in.read_nullable_string(flex);
  } else {
    protocol_name = in.read_string(flex);
  }
  leader = in.read_string(flex);
  if (version >= first_skip_assignment_version) skip_assignment = in.read_bool();
  member_id = in.read_string(flex);
  read_array(in, flex, member_min_size(version, flex), members, [&](Member& m) {
    m.member_id = in.read_string(flex);
    if (version >= kFirstMemberInstanceId) m.group_instance_id = in.read_nullable_string(flex);
    m.metadata = in.read_bytes(flex);
    if (flex) in.read_tagged_fields(m.unknown_tags);
  });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
