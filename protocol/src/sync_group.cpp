#include "kwire/protocol/sync_group.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = SyncGroupRequest;
using Response = SyncGroupResponse;
using codec::not_in_version;
using codec::tags_fit;

constexpr std::int16_t kFirstThrottleTime = 1;

// Smallest assignment: a member id string, a bytes field (and a tag buffer).
std::size_t assignment_min_size(bool flex) noexcept { return flex ? 1 + 1 + 1 : 2 + 4; }

}  // namespace

// ------------------------------------------------------------------ request

std::error_code SyncGroupRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);

  // Validate first, so that a refused encode writes nothing.
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < first_instance_id_version && group_instance_id) return not_in_version();
  for (const auto& a : assignments)
    if (!tags_fit(a.unknown_tags, flex)) return not_in_version();

  out.write_string(group_id, flex);
  out.write_int32(generation_id);
  out.write_string(member_id, flex);
  if (version >= first_instance_id_version) out.write_nullable_string(group_instance_id, flex);
  if (version >= first_protocol_version) {  // both ignorable below v5
    out.write_nullable_string(protocol_type, flex);
    out.write_nullable_string(protocol_name, flex);
  }
  codec::write_array_length(out, assignments, flex);
  for (const auto& a : assignments) {
    out.write_string(a.member_id, flex);
    out.write_bytes(a.assignment, flex);
    if (flex) out.write_tagged_fields(a.unknown_tags);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code SyncGroupRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};

  group_id = in.read_string(flex);
  generation_id = in.read_int32();
  member_id = in.read_string(flex);
  if (version >= first_instance_id_version) group_instance_id = in.read_nullable_string(flex);
  if (version >= first_protocol_version) {
    protocol_type = in.read_nullable_string(flex);
    protocol_name = in.read_nullable_string(flex);
  }
  read_array(in, flex, assignment_min_size(flex), assignments, [&](Assignment& a) {
    a.member_id = in.read_string(flex);
    a.assignment = in.read_bytes(flex);
    if (flex) in.read_tagged_fields(a.unknown_tags);
  });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code SyncGroupResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();

  if (version >= kFirstThrottleTime) out.write_int32(throttle_time_ms);  // ignorable below v1
  out.write_int16(static_cast<std::int16_t>(error_code));
  if (version >= Request::first_protocol_version) {  // both ignorable below v5
    out.write_nullable_string(protocol_type, flex);
    out.write_nullable_string(protocol_name, flex);
  }
  out.write_bytes(assignment, flex);
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code SyncGroupResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};

  if (version >= kFirstThrottleTime) throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  if (version >= Request::first_protocol_version) {
    protocol_type = in.read_nullable_string(flex);
    protocol_name = in.read_nullable_string(flex);
  }
  assignment = in.read_bytes(flex);
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
