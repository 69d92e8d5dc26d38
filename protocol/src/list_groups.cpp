#include "kwire/protocol/list_groups.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = ListGroupsRequest;
using Response = ListGroupsResponse;

constexpr std::int16_t kFirstStates = Request::first_states_filter_version;
constexpr std::int16_t kFirstTypes = Request::first_types_filter_version;
constexpr std::int16_t kFirstThrottle = 1;

}  // namespace

std::error_code ListGroupsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstStates && !states_filter.empty()) return not_in_version();
  if (version < kFirstTypes && !types_filter.empty()) return not_in_version();
  if (version >= kFirstStates) write_string_array(out, states_filter, flex);
  if (version >= kFirstTypes) write_string_array(out, types_filter, flex);
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code ListGroupsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  *this = {};
  if (version >= kFirstStates) read_string_array(in, flex, states_filter);
  if (version >= kFirstTypes) read_string_array(in, flex, types_filter);
  read_tags(in, unknown_tags, flex);
  return in.error();
}

std::error_code ListGroupsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstThrottle && throttle_time_ms != 0) return not_in_version();

  if (version >= kFirstThrottle) out.write_int32(throttle_time_ms);
  out.write_int16(static_cast<std::int16_t>(error_code));
  write_array_length(out, groups, flex);
  for (const auto& g : groups) {
    if (!tags_fit(g.unknown_tags, flex)) return not_in_version();
    if (version < kFirstStates && !g.group_state.empty()) return not_in_version();
    if (version < kFirstTypes && !g.group_type.empty()) return not_in_version();
    out.write_string(g.group_id, flex);
    out.write_string(g.protocol_type, flex);
    if (version >= kFirstStates) out.write_string(g.group_state, flex);
    if (version >= kFirstTypes) out.write_string(g.group_type, flex);
    write_tags(out, g.unknown_tags, flex);
  }
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code ListGroupsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  *this = {};
  if (version >= kFirstThrottle) throttle_time_ms = in.read_int32();
  error_code = static_cast<kwire::errc>(in.read_int16());
  std::size_t group_min = 2 * min_string_size(flex) + min_tags_size(flex);
  if (version >= kFirstStates) group_min += min_string_size(flex);
  if (version >= kFirstTypes) group_min += min_string_size(flex);
  read_array(in, flex, group_min, groups, [&](Group& g) {
    g.group_id = in.read_string(flex);
    g.protocol_type = in.read_string(flex);
    if (version >= kFirstStates) g.group_state = in.read_string(flex);
    if (version >= kFirstTypes) g.group_type = in.read_string(flex);
    read_tags(in, g.unknown_tags, flex);
  });
  read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
