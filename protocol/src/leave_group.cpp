#include "kwire/protocol/leave_group.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = LeaveGroupRequest;
using Response = LeaveGroupResponse;
using codec::not_in_version;
using codec::tags_fit;

constexpr std::int16_t kFirstBatch = Request::first_batch_version;
constexpr std::int16_t kFirstThrottleTime = 1;

// Smallest member entries: two strings (a reason), an error code, tags.
std::size_t request_member_min_size(std::int16_t version, bool flex) noexcept {
  if (!flex) return 2 + 2;
  return version >= Request::first_reason_version ? 1 + 1 + 1 + 1 : 1 + 1 + 1;
}
std::size_t response_member_min_size(bool flex) noexcept { return flex ? 1 + 1 + 2 + 1 : 2 + 2 + 2; }

}  // namespace

// ------------------------------------------------------------------ request

std::error_code LeaveGroupRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);

  // Validate first, so that a refused encode writes nothing.
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstBatch ? !members.empty() : !member_id.empty()) return not_in_version();
  for (const auto& m : members)
    if (!tags_fit(m.unknown_tags, flex)) return not_in_version();

  out.write_string(group_id, flex);
  if (version < kFirstBatch) {
    out.write_string(member_id, flex);
  } else {
    codec::write_array_length(out, members, flex);
    for (const auto& m : members) {
      out.write_string(m.member_id, flex);
      out.write_nullable_string(m.group_instance_id, flex);
      if (version >= first_reason_version) out.write_nullable_string(m.reason, flex);  // ignorable below v5
      if (flex) out.write_tagged_fields(m.unknown_tags);
    }
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code LeaveGroupRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  *this = {};

  group_id = in.read_string(flex);
  if (version < kFirstBatch) {
    member_id = in.read_string(flex);
  } else {
    read_array(in, flex, request_member_min_size(version, flex), members, [&](Member& m) {
      m.member_id = in.read_string(flex);
      m.group_instance_id = in.read_nullable_string(flex);
      if (version >= first_reason_version) m.reason = in.read_nullable_string(flex);
      if (flex) in.read_tagged_fields(m.unknown_tags);
    });
  }
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code LeaveGroupResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);

  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstBatch && !members.empty()) return not_in_version();
  for (const auto& m : members)
    if (!tags_fit(m.unknown_tags, flex)) return not_in_version();

  if (version >= kFirstThrottleTime) out.write_int32(throttle_time_ms);  // ignorable below v1
  out.write_int16(static_cast<std::int16_t>(error_code));
  if (version >= kFirstBatch) {
    codec::write_array_length(out, members, flex);
    for (const auto& m : members) {
      out.write_string(m.member_id, flex);
      out.write_nullable_string(m.group_instance_id, flex);
      out.write_int16(static_cast<std::int16_t>(m.error_code));
      if (flex) out.write_tagged_fields(m.unknown_tags);
    }
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code LeaveGroupResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  *this = {};

  if (version >= kFirstThrottleTime) throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  if (version >= kFirstBatch) {
    read_array(in, flex, response_member_min_size(flex), members, [&](Member& m) {
      m.member_id = in.read_string(flex);
      m.group_instance_id = in.read_nullable_string(flex);
      m.error_code = static_cast<kwire::errc>(in.read_int16());
      if (flex) in.read_tagged_fields(m.unknown_tags);
    });
  }
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
