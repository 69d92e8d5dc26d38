#include "kwire/protocol/delete_groups.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = DeleteGroupsRequest;
using Response = DeleteGroupsResponse;

constexpr std::int16_t kFirstErrorMessage = 3;

}  // namespace

std::error_code DeleteGroupsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  write_string_array(out, groups_names, flex);
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DeleteGroupsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  *this = {};
  read_string_array(in, flex, groups_names);
  read_tags(in, unknown_tags, flex);
  return in.error();
}

std::error_code DeleteGroupsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  out.write_int32(throttle_time_ms);
  write_array_length(out, results, flex);
  for (const auto& r : results) {
    if (!tags_fit(r.unknown_tags, flex)) return not_in_version();
    if (version < kFirstErrorMessage && r.error_message) return not_in_version();
    out.write_string(r.group_id, flex);
    out.write_int16(static_cast<std::int16_t>(r.error_code));
    if (version >= kFirstErrorMessage) out.write_nullable_string(r.error_message, flex);
    write_tags(out, r.unknown_tags, flex);
  }
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DeleteGroupsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  *this = {};
  throttle_time_ms = in.read_int32();
  std::size_t result_min = min_string_size(flex) + 2 + min_tags_size(flex);
  if (version >= kFirstErrorMessage) result_min += min_string_size(flex);
  read_array(in, flex, result_min, results, [&](Result& r) {
    r.group_id = in.read_string(flex);
    r.error_code = static_cast<kwire::errc>(in.read_int16());
    if (version >= kFirstErrorMessage) r.error_message = in.read_nullable_string(flex);
    read_tags(in, r.unknown_tags, flex);
  });
  read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
