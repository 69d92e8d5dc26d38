#include "kwire/protocol/create_topics.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using namespace codec;
using Request = CreateTopicsRequest;
using Response = CreateTopicsResponse;

constexpr std::int16_t kFirstValidateOnly = 1;
constexpr std::int16_t kFirstErrorMessage = 1;
constexpr std::int16_t kFirstThrottle = 2;
constexpr std::int16_t kFirstTopicDetails = 5;  // KIP-525: partitions, replication factor, configs
constexpr std::int16_t kFirstTopicId = 7;

// Smallest encodings of array elements, so absurd counts fail before any
// reservation.
std::size_t request_topic_min_size(bool flex) noexcept {
  return min_string_size(flex) + 4 + 2 + 2 * min_array_size(flex) + min_tags_size(flex);
}
std::size_t assignment_min_size(bool flex) noexcept { return 4 + min_array_size(flex) + min_tags_size(flex); }
std::size_t request_config_min_size(bool flex) noexcept { return 2 * min_string_size(flex) + min_tags_size(flex); }
std::size_t response_topic_min_size(std::int16_t version, bool flex) noexcept {
  std::size_t size = min_string_size(flex) + 2;
  if (version >= kFirstTopicId) size += 16;
  if (version >= kFirstErrorMessage) size += min_string_size(flex);
  if (version >= kFirstTopicDetails) size += 4 + 2 + 1;
  return size + min_tags_size(flex);
}
// Only in flexible versions: name, value, read_only, source, sensitive, tags.
constexpr std::size_t kResponseConfigMinSize = 1 + 1 + 1 + 1 + 1 + 1;

}  // namespace

// ---------------------------------------------------------------- request

std::error_code CreateTopicsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  // validateOnly is not ignorable: a dry run must never become a real create.
  if (version < kFirstValidateOnly && validate_only) return not_in_version();

  write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex)) return not_in_version();
    out.write_string(t.name, flex);
    out.write_int32(t.num_partitions);
    out.write_int16(t.replication_factor);
    write_array_length(out, t.assignments, flex);
    for (const auto& a : t.assignments) {
      if (!tags_fit(a.unknown_tags, flex)) return not_in_version();
      out.write_int32(a.partition_index);
      write_int32_array(out, a.broker_ids, flex);
      write_tags(out, a.unknown_tags, flex);
    }
    write_array_length(out, t.configs, flex);
    for (const auto& c : t.configs) {
      if (!tags_fit(c.unknown_tags, flex)) return not_in_version();
      out.write_string(c.name, flex);
      out.write_nullable_string(c.value, flex);
      write_tags(out, c.unknown_tags, flex);
    }
    write_tags(out, t.unknown_tags, flex);
  }
  out.write_int32(timeout_ms);
  if (version >= kFirstValidateOnly) out.write_bool(validate_only);
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code CreateTopicsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range<Request>(version)) return unsupported_version();
  const bool flex = flexible<Request>(version);
  *this = {};
  read_array(in, flex, request_topic_min_size(flex), topics, [&](Topic& t) {
    t.name = in.read_string(flex);
    t.num_partitions = in.read_int32();
    t.replication_factor = in.read_int16();
    read_array(in, flex, assignment_min_size(flex), t.assignments, [&](Assignment& a) {
      a.partition_index = in.read_int32();
      read_int32_array(in, flex, a.broker_ids);
      read_tags(in, a.unknown_tags, flex);
    });
    read_array(in, flex, request_config_min_size(flex), t.configs, [&](Config& c) {
      c.name = in.read_string(flex);
      c.value = in.read_nullable_string(flex);
      read_tags(in, c.unknown_tags, flex);
    });
    read_tags(in, t.unknown_tags, flex);
  });
  timeout_ms = in.read_int32();
  if (version >= kFirstValidateOnly) validate_only = in.read_bool();
  read_tags(in, unknown_tags, flex);
  return in.error();
}

// ---------------------------------------------------------------- response

std::error_code CreateTopicsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstThrottle && throttle_time_ms != 0) return not_in_version();

  if (version >= kFirstThrottle) out.write_int32(throttle_time_ms);
  write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex)) return not_in_version();
    if (version < kFirstTopicId && !t.topic_id.is_zero()) return not_in_version();
    if (version < kFirstErrorMessage && t.error_message) return not_in_version();
    if (version < kFirstTopicDetails &&
        (t.topic_config_error_code != kwire::errc::none || t.num_partitions != -1 || t.replication_factor != -1 ||
         !t.configs || !t.configs->empty()))
      return not_in_version();

    out.write_string(t.name, flex);
    if (version >= kFirstTopicId) out.write_uuid(t.topic_id);
    out.write_int16(static_cast<std::int16_t>(t.error_code));
    if (version >= kFirstErrorMessage) out.write_nullable_string(t.error_message, flex);
    if (version >= kFirstTopicDetails) {
      out.write_int32(t.num_partitions);
      out.write_int16(t.replication_factor);
      if (!t.configs) {
        out.write_array_length(-1, flex);
      } else {
        write_array_length(out, *t.configs, flex);
        for (const auto& c : *t.configs) {
          out.write_string(c.name, flex);
          out.write_nullable_string(c.value, flex);
          out.write_bool(c.read_only);
          out.write_int8(c.config_source);
          out.write_bool(c.is_sensitive);
          out.write_tagged_fields(c.unknown_tags);
        }
      }
    }
    if (flex) {
      // A tagged field is written only when it differs from its default, as
      // Kafka's generated code does.
      TaggedFields known;
      if (t.topic_config_error_code != kwire::errc::none) {
        std::vector<std::uint8_t> bytes;
        Writer(bytes).write_int16(static_cast<std::int16_t>(t.topic_config_error_code));
        known.push_back(RawTaggedField{topic_config_error_code_tag, std::move(bytes)});
      }
      out.write_tagged_fields(t.unknown_tags, std::move(known));
    }
  }
  write_tags(out, unknown_tags, flex);
  return {};
}

std::error_code CreateTopicsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range<Response>(version)) return unsupported_version();
  const bool flex = flexible<Response>(version);
  *this = {};
  if (version >= kFirstThrottle) throttle_time_ms = in.read_int32();
  read_array(in, flex, response_topic_min_size(version, flex), topics, [&](Topic& t) {
    t.name = in.read_string(flex);
    if (version >= kFirstTopicId) t.topic_id = in.read_uuid();
    t.error_code = static_cast<kwire::errc>(in.read_int16());
    if (version >= kFirstErrorMessage) t.error_message = in.read_nullable_string(flex);
    if (version >= kFirstTopicDetails) {
      t.num_partitions = in.read_int32();
      t.replication_factor = in.read_int16();
      const std::int32_t count = in.read_array_length(flex, kResponseConfigMinSize);
      if (count < 0) {
        t.configs.reset();
      } else if (in.ok()) {
        t.configs->reserve(static_cast<std::size_t>(count));
        for (std::int32_t i = 0; i < count && in.ok(); ++i) {
          Config& c = t.configs->emplace_back();
          c.name = in.read_string(flex);
          c.value = in.read_nullable_string(flex);
          c.read_only = in.read_bool();
          c.config_source = in.read_int8();
          c.is_sensitive = in.read_bool();
          in.read_tagged_fields(c.unknown_tags);
        }
      }
    }
    if (flex) {
      in.read_tagged_fields(t.unknown_tags, [&t](std::uint32_t tag, Reader& field) {
        if (tag != topic_config_error_code_tag) return false;
        t.topic_config_error_code = static_cast<kwire::errc>(field.read_int16());
        return true;
      });
    }
  });
  read_tags(in, unknown_tags, flex);
  return in.error();
}

}  // namespace kwire::protocol
