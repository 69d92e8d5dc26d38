#pragma once
// OffsetCommit (API key 8): a group member stores its consumed positions
// with the group coordinator.
//
// Request (OffsetCommitRequest.json):
//   Version 0: GroupId, Topics[Name, Partitions[PartitionIndex,
//   CommittedOffset, CommittedMetadata]] (offsets kept in ZooKeeper).
//   Version 1 adds GenerationIdOrMemberEpoch, MemberId and
//   Partitions[].CommitTimestamp (offsets in __consumer_offsets).
//   Version 2 adds RetentionTimeMs and removes CommitTimestamp.
//   Versions 3 and 4 are the same as version 2.
//   Version 5 removes RetentionTimeMs (a broker setting since KIP-211).
//   Version 6 adds Partitions[].CommittedLeaderEpoch (KIP-320).
//   Version 7 adds GroupInstanceId (KIP-345).
//   Version 8 is the first flexible version (KIP-482).
//   Version 9 is the same as 8 and may be used by KIP-848 members: the
//   generation field then carries the member epoch, and the broker may
//   answer STALE_MEMBER_EPOCH.
//   Version 10 (Kafka 4.1, KIP-848) addresses topics by TopicId instead of
//   Name.
//
// Response (OffsetCommitResponse.json):
//   Version 0: Topics[Name, Partitions[PartitionIndex, ErrorCode]].
//   Versions 1 and 2 are the same as version 0.
//   Version 3 adds ThrottleTimeMs.
//   Version 4: on quota violation the broker answers first, then throttles.
//   Versions 5-7 are the same as version 4.
//   Version 8 is the first flexible version.
//   Version 9 may answer STALE_MEMBER_EPOCH and GROUP_ID_NOT_FOUND.
//   Version 10 addresses topics by TopicId (UNKNOWN_TOPIC_ID per partition).
//
// Encoding follows Kafka's generated code: a field the version lacks that
// the schema marks ignorable (GenerationIdOrMemberEpoch, MemberId,
// RetentionTimeMs, CommittedLeaderEpoch, ThrottleTimeMs) is left out; any
// other field must hold its default (GroupInstanceId null, CommitTimestamp
// -1, a topic's Name empty from v10 and its TopicId zero before v10), else
// client_errc::field_not_in_version. Decoding leaves the fields a version
// lacks at their defaults.
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct OffsetCommitRequest {
  static constexpr ApiKey api_key = ApiKey::offset_commit;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 10;
  static constexpr std::int16_t first_flexible_version = 8;
  /// First version with GroupInstanceId (KIP-345).
  static constexpr std::int16_t first_instance_id_version = 7;
  /// First version usable by KIP-848 members (member epoch in the generation field).
  static constexpr std::int16_t first_member_epoch_version = 9;
  /// First version addressing topics by id.
  static constexpr std::int16_t first_topic_id_version = 10;

  struct Partition {
    std::int32_t partition_index = 0;
    std::int64_t committed_offset = 0;
    std::int32_t committed_leader_epoch = -1;  ///< v6+ (ignorable); KIP-320
    std::int64_t commit_timestamp = -1;        ///< v1 only
    std::optional<std::string> committed_metadata = std::string();
    TaggedFields unknown_tags;  ///< v8+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;  ///< v0-9
    Uuid topic_id;     ///< v10+
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v8+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::string group_id;
  /// v1+ (ignorable): the generation (classic) or member epoch (KIP-848); -1 for a simple consumer.
  std::int32_t generation_id_or_member_epoch = -1;
  std::string member_id;                         ///< v1+ (ignorable)
  std::optional<std::string> group_instance_id;  ///< v7+
  std::int64_t retention_time_ms = -1;           ///< v2-4 only (ignorable)
  std::vector<Topic> topics;
  TaggedFields unknown_tags;  ///< v8+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const OffsetCommitRequest&, const OffsetCommitRequest&) = default;
};

struct OffsetCommitResponse {
  static constexpr ApiKey api_key = ApiKey::offset_commit;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 10;
  static constexpr std::int16_t first_flexible_version = 8;

  struct Partition {
    std::int32_t partition_index = 0;
    kwire::errc error_code = kwire::errc::none;
    TaggedFields unknown_tags;  ///< v8+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;  ///< v0-9
    Uuid topic_id;     ///< v10+
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v8+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v3+ (ignorable)
  std::vector<Topic> topics;
  TaggedFields unknown_tags;  ///< v8+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const OffsetCommitResponse&, const OffsetCommitResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
