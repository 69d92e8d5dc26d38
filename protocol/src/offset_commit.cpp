#include "kwire/protocol/offset_commit.hpp"

#include "codec_support.hpp"

namespace kwire::protocol {
namespace {

using Request = OffsetCommitRequest;
using Response = OffsetCommitResponse;
using codec::not_in_version;
using codec::tags_fit;

constexpr std::int16_t kFirstMembership = 1;  // GenerationIdOrMemberEpoch, MemberId
constexpr std::int16_t kCommitTimestampVersion = 1;
constexpr std::int16_t kFirstRetentionTime = 2;
constexpr std::int16_t kLastRetentionTime = 4;
constexpr std::int16_t kFirstThrottleTime = 3;
constexpr std::int16_t kFirstLeaderEpoch = 6;

bool by_id(std::int16_t version) noexcept { return version >= Request::first_topic_id_version; }

// Smallest encodings of array elements, so absurd counts fail before any
// reservation.
std::size_t topic_min_size(std::int16_t version, bool flex) noexcept {
  return codec::topic_key_min_size(by_id(version), flex) + (flex ? 1 + 1 : 4);  // key, partitions (, tags)
}
std::size_t request_partition_min_size(std::int16_t version, bool flex) noexcept {
  std::size_t size = 4 + 8 + (flex ? 1 + 1 : 2);  // index, offset, metadata (, tags)
  if (version >= kFirstLeaderEpoch) size += 4;
  if (version == kCommitTimestampVersion) size += 8;
  return size;
}
std::size_t response_partition_min_size(bool flex) noexcept { return 4 + 2 + (flex ? 1 : 0); }

}  // namespace

// ------------------------------------------------------------------ request

std::error_code OffsetCommitRequest::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  const bool ids = by_id(version);

  // Validate first, so that a refused encode writes nothing.
  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  if (version < first_instance_id_version && group_instance_id) return not_in_version();
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex) || !codec::topic_key_fits(t.name, t.topic_id, ids)) return not_in_version();
    for (const auto& p : t.partitions) {
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
      if (version != kCommitTimestampVersion && p.commit_timestamp != -1) return not_in_version();
    }
  }

  out.write_string(group_id, flex);
  if (version >= kFirstMembership) {  // both ignorable below v1
    out.write_int32(generation_id_or_member_epoch);
    out.write_string(member_id, flex);
  }
  if (version >= first_instance_id_version) out.write_nullable_string(group_instance_id, flex);
  if (version >= kFirstRetentionTime && version <= kLastRetentionTime) out.write_int64(retention_time_ms);
  codec::write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    codec::write_topic_key(out, t.name, t.topic_id, ids, flex);
    codec::write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      out.write_int32(p.partition_index);
      out.write_int64(p.committed_offset);
      if (version >= kFirstLeaderEpoch) out.write_int32(p.committed_leader_epoch);  // ignorable below v6
      if (version == kCommitTimestampVersion) out.write_int64(p.commit_timestamp);
      out.write_nullable_string(p.committed_metadata, flex);
      if (flex) out.write_tagged_fields(p.unknown_tags);
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code OffsetCommitRequest::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Request>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Request>(version);
  const bool ids = by_id(version);
  *this = {};

  group_id = in.read_string(flex);
  if (version >= kFirstMembership) {
    generation_id_or_member_epoch = in.read_int32();
    member_id = in.read_string(flex);
  }
  if (version >= first_instance_id_version) group_instance_id = in.read_nullable_string(flex);
  if (version >= kFirstRetentionTime && version <= kLastRetentionTime) retention_time_ms = in.read_int64();
  read_array(in, flex, topic_min_size(version, flex), topics, [&](Topic& t) {
    codec::read_topic_key(in, t.name, t.topic_id, ids, flex);
    read_array(in, flex, request_partition_min_size(version, flex), t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.committed_offset = in.read_int64();
      if (version >= kFirstLeaderEpoch) p.committed_leader_epoch = in.read_int32();
      if (version == kCommitTimestampVersion) p.commit_timestamp = in.read_int64();
      p.committed_metadata = in.read_nullable_string(flex);
      if (flex) in.read_tagged_fields(p.unknown_tags);
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

// ----------------------------------------------------------------- response

std::error_code OffsetCommitResponse::encode(Writer& out, std::int16_t version) const {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  const bool ids = by_id(version);

  if (!tags_fit(unknown_tags, flex)) return not_in_version();
  for (const auto& t : topics) {
    if (!tags_fit(t.unknown_tags, flex) || !codec::topic_key_fits(t.name, t.topic_id, ids)) return not_in_version();
    for (const auto& p : t.partitions)
      if (!tags_fit(p.unknown_tags, flex)) return not_in_version();
  }

  if (version >= kFirstThrottleTime) out.write_int32(throttle_time_ms);  // ignorable below v3
  codec::write_array_length(out, topics, flex);
  for (const auto& t : topics) {
    codec::write_topic_key(out, t.name, t.topic_id, ids, flex);
    codec::write_array_length(out, t.partitions, flex);
    for (const auto& p : t.partitions) {
      out.write_int32(p.partition_index);
      out.write_int16(static_cast<std::int16_t>(p.error_code));
      if (flex) out.write_tagged_fields(p.unknown_tags);
    }
    if (flex) out.write_tagged_fields(t.unknown_tags);
  }
  if (flex) out.write_tagged_fields(unknown_tags);
  return {};
}

std::error_code OffsetCommitResponse::decode(Reader& in, std::int16_t version) {
  if (!codec::in_range<Response>(version)) return codec::unsupported_version();
  const bool flex = codec::flexible<Response>(version);
  const bool ids = by_id(version);
  *this = {};

  if (version >= kFirstThrottleTime) throttle_time_ms = in.read_int32();
  read_array(in, flex, topic_min_size(version, flex), topics, [&](Topic& t) {
    codec::read_topic_key(in, t.name, t.topic_id, ids, flex);
    read_array(in, flex, response_partition_min_size(flex), t.partitions, [&](Partition& p) {
      p.partition_index = in.read_int32();
      p.error_code = static_cast<kwire::errc>(in.read_int16());
      if (flex) in.read_tagged_fields(p.unknown_tags);
    });
    if (flex) in.read_tagged_fields(t.unknown_tags);
  });
  if (flex) in.read_tagged_fields(unknown_tags);
  return in.error();
}

}  // namespace kwire::protocol
