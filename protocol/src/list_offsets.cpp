#include "kwire/protocol/list_offsets.hpp"

#include "kwire/protocol/client_error.hpp"

namespace kwire::protocol {
namespace {

using Request = ListOffsetsRequest;
constexpr std::int16_t kFirstFlexible = Request::first_flexible_version;
constexpr std::int16_t kFirstIsolationLevel = 2;
constexpr std::int16_t kFirstLeaderEpoch = 4;
constexpr std::int16_t kFirstTimeout = 10;

bool in_range(std::int16_t version) noexcept {
  return version >= Request::min_version && version <= Request::max_version;
}

std::error_code unsupported() noexcept { return make_error_code(client_errc::unsupported_version); }
std::error_code not_in_version() noexcept { return make_error_code(client_errc::field_not_in_version); }

bool tags_fit(const TaggedFields& tags, bool flexible) noexcept { return flexible || tags.empty(); }

template <class T>
void write_array_length(Writer& out, const std::vector<T>& v, bool compact) {
  out.write_array_length(static_cast<std::int32_t>(v.size()), compact);
}

// Smallest encodings of array elements, so absurd counts fail before any
// reservation.
std::size_t topic_min_size(bool flex) noexcept { return flex ? 1 + 1 + 1 : 2 + 4; }  // name, partitions (, tags)
std::size_t request_partition_min_size(std::int16_t version) noexcept {
  std::size_t size = 4 + 8;  // index, timestamp
  if (version >= kFirstLeaderEpoch) size += 4;
  if (version >= kFirstFlexible) size += 1;
  return size;
}
std::size_t response_partition_min_size(std::int16_t version) noexcept {
  std::size_t size = 4 + 2 + 8 + 8;  // index, error, timestamp, offset
  if (version >= kFirstLeaderEpoch) size += 4;
  if (version >= kFirstFlexible) size += 1;
  return size;
}

}  // namespace

std::int16_t min_list_offsets_version_for(std::int64_t timestamp) noexcept {
  switch (timestamp) {
    case list_offsets_timestamp::max_timestamp: return 7;
    case list_offsets_timestamp::earliest_local: return 8;
    case list_offsets_timestamp::latest_tiered: return 9;
    case list_offsets_timestamp::earliest_pending_upload: return 11;
    default: return Request::min_version;
  }
}

// ------------------------------------------------------------------ request

std::error_code ListOffsetsRequest::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;

  // Validate before writing anything, so a refused encode writes nothing.
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  // IsolationLevel is not ignorable: read_committed must not silently become
  // read_uncommitted.
  if (version < kFirstIsolationLevel && isolation_level != IsolationLevel::read_uncommitted) return not_in_version();
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex)) return not_in_version();
    for (const auto& p : t.partitions)
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
  }

  out.write_int32(replica_id);
  if (version >= kFirstIsolationLevel) out.write_int8(static_cast<std::int8_t>(isolation_level));
  write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    out.write_string(t.name, flex);
    write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      out.write_int32(p.partition_index);
      if (version >= kFirstLeaderEpoch) out.write_int32(p.current_leader_epoch);  // ignorable below v4
      out.write_int64(p.timestamp);
      if (flex) out.write_tagged_fields(p.unknown_tags);
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (version >= kFirstTimeout) out.write_int32(timeout_ms);  // ignorable below v10
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code ListOffsetsRequest::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;
  *this = {};

  replica_id = in.read_int32();
  if (version >= kFirstIsolationLevel) isolation_level = static_cast<IsolationLevel>(in.read_int8());
  read_array(in, flex, topic_min_size(flex), topics, [&](Topic& t) {
    t.name = in.read_string(flex);
    read_array(in, flex, request_partition_min_size(version), t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      if (version >= kFirstLeaderEpoch) p.current_leader_epoch = in.read_int32();
      p.timestamp = in.read_int64();
      if (flex) in.read_tagged_fields(p.unknown_tags);
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (version >= kFirstTimeout) timeout_ms = in.read_int32();
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code ListOffsetsResponse::encode(Writer& out, std::int16_t version) const {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;

  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex)) return not_in_version();
    for (const auto& p : t.partitions) {
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
      // LeaderEpoch is not ignorable in the schema.
      if (version < kFirstLeaderEpoch && p.leader_epoch != -1) return not_in_version();
    }
  }

  if (version >= 2) out.write_int32(throttle_time_ms);  // ignorable below v2
  write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    out.write_string(t.name, flex);
    write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      out.write_int32(p.partition_index);
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      out.write_int64(p.timestamp);
      out.write_int64(p.offset);
      if (version >= kFirstLeaderEpoch) out.write_int32(p.leader_epoch);
      if (flex) out.write_tagged_fields(p.unknown_tags);
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code ListOffsetsResponse::decode(Reader& in, std::int16_t version) {
  if (!in_range(version)) return unsupported();
  const bool flex = version >= kFirstFlexible;
  *this = {};

  if (version >= 2) throttle_time_ms = in.read_int32();
  read_array(in, flex, topic_min_size(flex), topics, [&](Topic& t) {
    t.name = in.read_string(flex);
    read_array(in, flex, response_partition_min_size(version), t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      p.timestamp = in.read_int64();
      p.offset = in.read_int64();
      if (version >= kFirstLeaderEpoch) p.leader_epoch = in.read_int32();
      if (flex) in.read_tagged_fields(p.unknown_tags);
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
