#include "kwire/protocol/produce.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "kwire/protocol/client_error.hpp"

namespace kwire::protocol {
namespace {

constexpr std::int16_t kFirstFlexible = ProduceRequest::first_flexible_version;
constexpr std::int16_t kFirstTopicId = ProduceRequest::first_topic_id_version;
/// KIP-951's CurrentLeader and NodeEndpoints (both tag 0, at their levels).
constexpr std::int16_t kFirstLeaderHints = 10;
constexpr std::uint32_t kCurrentLeaderTag = 0;
constexpr std::uint32_t kNodeEndpointsTag = 0;

bool in_range(std::int16_t version) noexcept {
  return version >= ProduceRequest::min_version && version <= ProduceRequest::max_version;
}

std::error_code unsupported() noexcept { return make_error_code(client_errc::unsupported_version); }
std::error_code not_in_version() noexcept { return make_error_code(client_errc::field_not_in_version); }

/// Tag buffers exist only in flexible versions: unknown tags the caller wants
/// written cannot be carried below v9.
bool tags_fit(const TaggedFields& tags, bool flexible) noexcept { return flexible || tags.empty(); }

/// The topic key a version carries: a name before v13, an id from v13.
bool topic_key_fits(const std::string& name, const Uuid& topic_id, std::int16_t version) noexcept {
  return version >= kFirstTopicId ? !topic_id.is_zero() : !name.empty();
}

template <class T>
void write_array_length(Writer& out, const std::vector<T>& v, bool compact) {
  out.write_array_length(static_cast<std::int32_t>(v.size()), compact);
}

// --- sizes, for ProduceRequest::encoded_size --------------------------------

std::size_t array_length_size(std::size_t count, bool flex) noexcept { return flex ? uvarint_size(count + 1) : 4; }
std::size_t string_size(std::size_t length, bool flex) noexcept {
  return (flex ? uvarint_size(length + 1) : 2) + length;
}
std::size_t nullable_string_size(const std::optional<std::string>& s, bool flex) noexcept {
  if (!s) return flex ? 1 : 2;
  return string_size(s->size(), flex);
}
std::size_t nullable_bytes_size(const std::optional<std::span<const std::uint8_t>>& b, bool flex) noexcept {
  if (!b) return flex ? 1 : 4;
  return (flex ? uvarint_size(b->size() + 1) : 4) + b->size();
}
std::size_t tags_size(const TaggedFields& tags) noexcept {
  std::size_t size = uvarint_size(tags.size());
  for (const auto& t : tags) size += uvarint_size(t.tag) + uvarint_size(t.data.size()) + t.data.size();
  return size;
}

// --- smallest element encodings, so absurd counts fail before reserving ----

std::size_t request_topic_min_size(std::int16_t version) noexcept {
  if (version >= kFirstTopicId) return 16 + 1 + 1;  // id, empty partition array, tags
  return version >= kFirstFlexible ? 1 + 1 + 1 : 2 + 4;
}
std::size_t request_partition_min_size(std::int16_t version) noexcept {
  return version >= kFirstFlexible ? 4 + 1 + 1 : 4 + 4;  // index, null records (, tags)
}
std::size_t response_topic_min_size(std::int16_t version) noexcept { return request_topic_min_size(version); }
constexpr std::size_t kResponsePartitionMinSize = 4 + 2 + 8 + 8;  // index, error, base offset, append time
constexpr std::size_t kRecordErrorMinSize = 4 + 1 + 1;            // index, null message (compact), tags
constexpr std::size_t kNodeEndpointMinSize = 4 + 1 + 4 + 1 + 1;   // id, host, port, rack, tags

}  // namespace

// ------------------------------------------------------------------ request

bool operator==(const ProduceRequest::PartitionData& a, const ProduceRequest::PartitionData& b) {
  if (a.index != b.index || a.records.has_value() != b.records.has_value() || a.unknown_tags != b.unknown_tags)
    return false;
  return !a.records || std::ranges::equal(*a.records, *b.records);
}

std::size_t ProduceRequest::encoded_size(std::int16_t version) const noexcept {
  if (!in_range(version)) return 0;
  const bool flex = version >= kFirstFlexible;
  std::size_t size = nullable_string_size(transactional_id, flex) + 2 + 4;
  size += array_length_size(topic_data.size(), flex);
  for (const auto& t : topic_data) {
    size += version >= kFirstTopicId ? 16 : string_size(t.name.size(), flex);
    size += array_length_size(t.partition_data.size(), flex);
    for (const auto& p : t.partition_data) {
      size += 4 + nullable_bytes_size(p.records, flex);
      if (flex) size += tags_size(p.unknown_tags);
    }
    if (flex) size += tags_size(t.unknown_tags);
  }
  if (flex) size += tags_size(unknown_tags);
  return size;
}

std::error_code ProduceRequest::encode(Writer& out, std::int16_t version) const {
  return encode_impl(out, version, nullptr);
}

std::error_code ProduceRequest::encode_gathered(Writer& out, std::int16_t version,
                                                std::vector<Splice>& splices) const {
  return encode_impl(out, version, &splices);
}

std::error_code ProduceRequest::encode_impl(Writer& out, std::int16_t version, std::vector<Splice>* splices) const {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;

  // Validate everything before writing anything.
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  for (const auto& t : topic_data) {
    if (!topic_key_fits(t.name, t.topic_id, version) || !tags_fit(t.unknown_tags, flex)) return not_in_version();
    for (const auto& p : t.partition_data) {
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
      if (p.records && p.records->size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
        return make_error_code(client_errc::record_too_large);
    }
  }

  // One allocation for the whole body; the record batches are then copied
  // exactly once, into place (or not at all, when gathered).
  std::size_t size = encoded_size(version);
  if (splices)
    for (const auto& t : topic_data)
      for (const auto& p : t.partition_data)
        if (p.records) size -= p.records->size();
  out.buffer().reserve(out.size() + size);

  out.write_nullable_string(transactional_id, flex);
  out.write_int16(acks);
  out.write_int32(timeout_ms);
  write_array_length(out, topic_data, flex);
  for (const auto& t : topic_data) {
    if (version >= kFirstTopicId)
      out.write_uuid(t.topic_id);
    else
      out.write_string(t.name, flex);
    write_array_length(out, t.partition_data, flex);
    for (const auto& p : t.partition_data) {
      out.write_int32(p.index);
      if (p.records && splices)
        out.write_bytes_spliced(*p.records, flex, *splices);
      else if (p.records)
        out.write_bytes(*p.records, flex);
      else
        out.write_null_bytes(flex);
      if (flex) out.write_tagged_fields(p.unknown_tags);
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code ProduceRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;
  *this = {};

  transactional_id = in.read_nullable_string(flex);
  acks = in.read_int16();
  timeout_ms = in.read_int32();
  // Every array is non-nullable; read_array rejects null and counts larger
  // than the bytes left before reserving.
  read_array(in, flex, request_topic_min_size(version), topic_data, [&](TopicData& t) {
    if (version >= kFirstTopicId)
      t.topic_id = in.read_uuid();
    else
      t.name = in.read_string(flex);
    read_array(in, flex, request_partition_min_size(version), t.partition_data, [&](PartitionData& p) {
      p.index = in.read_int32();
      p.records = in.read_bytes_view(flex);  // zero-copy: a view into the input
      if (flex) in.read_tagged_fields(p.unknown_tags);
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code ProduceResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;

  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < kFirstLeaderHints && !node_endpoints.empty()) return not_in_version();
  for (const auto& t : responses) {
    if (!topic_key_fits(t.name, t.topic_id, version) || !tags_fit(t.unknown_tags, flex)) return not_in_version();
    for (const auto& p : t.partition_responses) {
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
      if (version < 5 && p.log_start_offset != -1) return not_in_version();
      if (version < 8 && (!p.record_errors.empty() || p.error_message)) return not_in_version();
      if (version < kFirstLeaderHints && !p.current_leader.is_default()) return not_in_version();
      for (const auto& e : p.record_errors)
        if (!tags_fit(e.unknown_tags, flex)) return not_in_version();
    }
  }

  write_array_length(out, responses, flex);
  for (const auto& t : responses) {
    if (version >= kFirstTopicId)
      out.write_uuid(t.topic_id);
    else
      out.write_string(t.name, flex);
    write_array_length(out, t.partition_responses, flex);
    for (const auto& p : t.partition_responses) {
      out.write_int32(p.index);
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      out.write_int64(p.base_offset);
      out.write_int64(p.log_append_time_ms);
      if (version >= 5) out.write_int64(p.log_start_offset);
      if (version >= 8) {
        write_array_length(out, p.record_errors, flex);
        for (const auto& e : p.record_errors) {
          out.write_int32(e.batch_index);
          out.write_nullable_string(e.batch_index_error_message, flex);
          if (flex) out.write_tagged_fields(e.unknown_tags);
        }
        out.write_nullable_string(p.error_message, flex);
      }
      if (flex) {
        TaggedFields known;
        // Like Kafka's generator, a tagged struct equal to its default is
        // left out.
        if (version >= kFirstLeaderHints && !p.current_leader.is_default()) {
          RawTaggedField field{kCurrentLeaderTag, {}};
          Writer w(field.data);
          w.write_int32(p.current_leader.leader_id);
          w.write_int32(p.current_leader.leader_epoch);
          w.write_tagged_fields(p.current_leader.unknown_tags);
          known.push_back(std::move(field));
        }
        out.write_tagged_fields(p.unknown_tags, std::move(known));
      }
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  out.write_int32(throttle_time_ms);  // after the topics, in every version
  if (flex) {
    TaggedFields known;
    if (version >= kFirstLeaderHints && !node_endpoints.empty()) {
      RawTaggedField field{kNodeEndpointsTag, {}};
      Writer w(field.data);
      write_array_length(w, node_endpoints, true);
      for (const auto& n : node_endpoints) {
        w.write_int32(n.node_id);
        w.write_string(n.host, true);
        w.write_int32(n.port);
        w.write_nullable_string(n.rack, true);
        w.write_tagged_fields(n.unknown_tags);
      }
      known.push_back(std::move(field));
    }
    out.write_tagged_fields(unknown_tags, std::move(known));
  }
  return {};
}

std::error_code ProduceResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;
  const bool hints = version >= kFirstLeaderHints;
  *this = {};

  read_array(in, flex, response_topic_min_size(version), responses, [&](TopicResponse& t) {
    if (version >= kFirstTopicId)
      t.topic_id = in.read_uuid();
    else
      t.name = in.read_string(flex);
    read_array(in, flex, kResponsePartitionMinSize, t.partition_responses, [&](PartitionResponse& p) {
      p.index = in.read_int32();
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      p.base_offset = in.read_int64();
      p.log_append_time_ms = in.read_int64();
      if (version >= 5) p.log_start_offset = in.read_int64();
      if (version >= 8) {
        read_array(in, flex, kRecordErrorMinSize, p.record_errors, [&](BatchIndexAndErrorMessage& e) {
          e.batch_index = in.read_int32();
          e.batch_index_error_message = in.read_nullable_string(flex);
          if (flex) in.read_tagged_fields(e.unknown_tags);
        });
        p.error_message = in.read_nullable_string(flex);
      }
      if (flex) {
        in.read_tagged_fields(p.unknown_tags, [&](std::uint32_t tag, Reader& field) {
          if (!hints || tag != kCurrentLeaderTag) return false;  // v9 knows no tags: keep it
          p.current_leader.leader_id = field.read_int32();
          p.current_leader.leader_epoch = field.read_int32();
          field.read_tagged_fields(p.current_leader.unknown_tags);
          return true;
        });
      }
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  throttle_time_ms = in.read_int32();
  if (flex) {
    in.read_tagged_fields(unknown_tags, [&](std::uint32_t tag, Reader& field) {
      if (!hints || tag != kNodeEndpointsTag) return false;
      read_array(field, true, kNodeEndpointMinSize, node_endpoints, [&field](NodeEndpoint& n) {
        n.node_id = field.read_int32();
        n.host = field.read_string(true);
        n.port = field.read_int32();
        n.rack = field.read_nullable_string(true);
        field.read_tagged_fields(n.unknown_tags);
      });
      return true;
    });
  }
  return in.error();
}

}  // namespace kwire::protocol
