#include "kwire/protocol/create_partitions.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = CreatePartitionsRequest;
using Response = CreatePartitionsResponse;

}  // namespace

std::error_code CreatePartitionsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();

  write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex)) return not_in_version();
    out.write_string(t.name, flex);
    out.write_int32(t.count);
    if (!t.assignments) {
      out.write_array_length(-1, flex);
    } else {
      write_array_length(out, *t.assignments, flex);
      for (const auto& a : *t.assignments) {
        if (!tags_fit(a.unknown_tags, flex)) return not_in_version();
        write_int32_array(out, a.broker_ids, flex);
        write_tags(out, a.unknown_tags, flex);
      }
    }
    write_tags(out, t.unknown_tags, flex);
  }
  out.write_int32(timeout_ms);
  out.write_bool(validate_only);
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code CreatePartitionsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  *this = {};
  const std::size_t topic_min = min_string_size(flex) + 4 + min_array_size(flex) + min_tags_size(flex);
  read_array(in, flex, topic_min, topics, [&](Topic& t) {
    t.name = in.read_string(flex);
    t.count = in.read_int32();
    const std::int32_t count = in.read_array_length(flex, min_array_size(flex) + min_tags_size(flex));
    if (count >= 0 && in.ok()) {
      auto& assignments = t.assignments.emplace();
      assignments.reserve(static_cast<std::size_t>(count));
      for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        auto& a = assignments.emplace_back();
        read_int32_array(in, flex, a.broker_ids);
        read_tags(in, a.unknown_tags, flex);
      }
    }
    read_tags(in, t.unknown_tags, flex);
  });
  timeout_ms = in.read_int32();
  validate_only = in.read_bool();
  read_tags(in, unknown_tags, flex);
  return in.error();
}

std::error_code CreatePartitionsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();

  out.write_int32(throttle_time_ms);
  write_array_length(out, results, flex);
  for (const auto& r : results) {
    if (!tags_fit(r.unknown_tags, flex)) return not_in_version();
    out.write_string(r.name, flex);
    out.write_int16(static_cast<std::int16_t>(r.error_code));
    out.write_nullable_string(r.error_message, flex);
    write_tags(out, r.unknown_tags, flex);
  }
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code CreatePartitionsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  *this = {};
  throttle_time_ms = in.read_int32();
  const std::size_t result_min = 2 * min_string_size(flex) + 2 + min_tags_size(flex);
  read_array(in, flex, result_min, results, [&](Result& r) {
    r.name = in.read_string(flex);
    r.error_code = static_cast<kwire::errc>(in.read_int16());
    r.error_message = in.read_nullable_string(flex);
    read_tags(in, r.unknown_tags, flex);
  });
  read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
