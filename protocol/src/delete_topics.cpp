#include "kwire/protocol/delete_topics.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = DeleteTopicsRequest;
using Response = DeleteTopicsResponse;

constexpr std::int16_t kFirstTopicId = Request::first_topic_id_version;
constexpr std::int16_t kFirstThrottle = 1;
constexpr std::int16_t kFirstErrorMessage = 5;

std::size_t result_min_size(std::int16_t version, bool flex) noexcept {
  std::size_t size = min_string_size(flex) + 2;
  if (version >= kFirstTopicId) size += 16;
  if (version >= kFirstErrorMessage) size += min_string_size(flex);
  return size + min_tags_size(flex);
}

}  // namespace

// ---------------------------------------------------------------- request

std::error_code DeleteTopicsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();

  write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    if (version >= kFirstTopicId) {
      out.write_nullable_string(t.name, flex);
      out.write_uuid(t.topic_id);
      out.write_tagged_fields(t.unknown_tags);
    } else {
      // TopicNames: a name and nothing else.
      if (!t.name || !t.topic_id.is_zero() || !t.unknown_tags.empty()) return not_in_version();
      out.write_string(*t.name, flex);
    }
  }
  out.write_int32(timeout_ms);
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DeleteTopicsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  *this = {};
  if (version >= kFirstTopicId) {
    read_array(in, flex, 1 + 16 + 1, topics, [&](Topic& t) {
      t.name = in.read_nullable_string(flex);
      t.topic_id = in.read_uuid();
      in.read_tagged_fields(t.unknown_tags);
    });
  } else {
    read_array(in, flex, min_string_size(flex), topics, [&](Topic& t) { t.name = in.read_string(flex); });
  }
  timeout_ms = in.read_int32();
  read_tags(in, unknown_tags, flex);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code DeleteTopicsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstThrottle && throttle_time_ms != 0) return not_in_version();

  if (version >= kFirstThrottle) out.write_int32(throttle_time_ms);
  write_array_length(out, responses, flex);
  for (const auto& r : responses) {
    if (!tags_fit(r.unknown_tags, flex)) return not_in_version();
    if (version < kFirstTopicId && (!r.name || !r.topic_id.is_zero())) return not_in_version();
    if (version < kFirstErrorMessage && r.error_message) return not_in_version();
    out.write_nullable_string(r.name, flex);
    if (version >= kFirstTopicId) out.write_uuid(r.topic_id);
    out.write_int16(static_cast<std::int16_t>(r.error_code));
    if (version >= kFirstErrorMessage) out.write_nullable_string(r.error_message, flex);
    write_tags(out, r.unknown_tags, flex);
  }
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code DeleteTopicsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  *this = {};
  if (version >= kFirstThrottle) throttle_time_ms = in.read_int32();
  read_array(in, flex, result_min_size(version, flex), responses, [&](Result& r) {
    if (version >= kFirstTopicId)
      r.name = in.read_nullable_string(flex);
    else
      r.name = in.read_string(flex);  // a null name below v6 is malformed
    if (version >= kFirstTopicId) r.topic_id = in.read_uuid();
    r.error_code = static_cast<kwire::errc>(in.read_int16());
    if (version >= kFirstErrorMessage) r.error_message = in.read_nullable_string(flex);
    read_tags(in, r.unknown_tags, flex);
  });
  read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
