#pragma once
// OffsetFetch (API key 9): reads a group's committed offsets, e.g. when a
// member is assigned partitions (B.3 of the consumer notes: a partition
// without one gets auto.offset.reset).
//
// Request (OffsetFetchRequest.json):
//   Version 0: GroupId, Topics[Name, PartitionIndexes] (offsets in ZooKeeper).
//   Version 1 reads __consumer_offsets instead.
//   Version 2: Topics may be null, meaning every topic the group committed.
//   Versions 3-5 are the same as version 2.
//   Version 6 is the first flexible version (KIP-482).
//   Version 7 adds RequireStable: the broker answers UNSTABLE_OFFSET_COMMIT
//   while a transactional commit is pending rather than a stale offset
//   (KIP-447).
//   Version 8 replaces GroupId/Topics with Groups[GroupId, Topics], several
//   groups in one request (KIP-709).
//   Version 9 adds Groups[].MemberId and MemberEpoch, checked for KIP-848
//   members (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID).
//   Version 10 (Kafka 4.1, KIP-848) addresses topics by TopicId.
//
// Response (OffsetFetchResponse.json):
//   Version 0: Topics[Name, Partitions[PartitionIndex, CommittedOffset,
//   Metadata, ErrorCode]]. Version 1 is the same.
//   Version 2 adds a top-level ErrorCode.
//   Version 3 adds ThrottleTimeMs.
//   Version 4: on quota violation the broker answers first, then throttles.
//   Version 5 adds Partitions[].CommittedLeaderEpoch (KIP-320).
//   Version 6 is the first flexible version.
//   Version 7 may answer UNSTABLE_OFFSET_COMMIT per partition (KIP-447).
//   Version 8 replaces Topics/ErrorCode with Groups[GroupId, Topics,
//   ErrorCode] (KIP-709).
//   Version 9 may answer STALE_MEMBER_EPOCH and UNKNOWN_MEMBER_ID (KIP-848).
//   Version 10 addresses topics by TopicId.
//
// The structs mirror the schema: the single-group fields (GroupId, Topics,
// ErrorCode) exist in v0-7, Groups from v8, and encoding refuses a
// non-default value in the form the version lacks. Likewise RequireStable
// below v7, a null Topics below v2, a topic Name from v10 and a TopicId
// before it (client_errc::field_not_in_version). Fields Kafka 4.4's encoder
// drops where the version lacks them are left out likewise: MemberId,
// MemberEpoch, ThrottleTimeMs, the v2-7 ErrorCode and CommittedLeaderEpoch
// (below v5).
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

struct OffsetFetchRequest {
  static constexpr ApiKey api_key = ApiKey::offset_fetch;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 10;
  static constexpr std::int16_t first_flexible_version = 6;
  /// First version where Topics may be null (all of the group's topics).
  static constexpr std::int16_t first_all_topics_version = 2;
  /// First version with RequireStable (KIP-447).
  static constexpr std::int16_t first_require_stable_version = 7;
  /// First version with Groups (KIP-709).
  static constexpr std::int16_t first_groups_version = 8;
  /// First version with MemberId/MemberEpoch (KIP-848).
  static constexpr std::int16_t first_member_epoch_version = 9;
  /// First version addressing topics by id.
  static constexpr std::int16_t first_topic_id_version = 10;

  struct Topic {
    std::string name;  ///< v0-9
    Uuid topic_id;     ///< v10+
    std::vector<std::int32_t> partition_indexes;
    TaggedFields unknown_tags;  ///< v6+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  struct Group {
    std::string group_id;
    std::optional<std::string> member_id;  ///< v9+ (ignorable); KIP-848 members only
    std::int32_t member_epoch = -1;        ///< v9+ (ignorable)
    /// Null: every topic the group has offsets for.
    std::optional<std::vector<Topic>> topics = std::vector<Topic>{};
    TaggedFields unknown_tags;
    friend bool operator==(const Group&, const Group&) = default;
  };

  std::string group_id;  ///< v0-7
  /// v0-7; null (v2-7) for every topic the group has offsets for.
  std::optional<std::vector<Topic>> topics = std::vector<Topic>{};
  std::vector<Group> groups;  ///< v8+
  bool require_stable = false;  ///< v7+ (KIP-447)
  TaggedFields unknown_tags;    ///< v6+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const OffsetFetchRequest&, const OffsetFetchRequest&) = default;
};

struct OffsetFetchResponse {
  static constexpr ApiKey api_key = ApiKey::offset_fetch;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 10;
  static constexpr std::int16_t first_flexible_version = 6;

  struct Partition {
    std::int32_t partition_index = 0;
    std::int64_t committed_offset = 0;  ///< -1 when nothing is committed
    std::int32_t committed_leader_epoch = -1;  ///< v5+ (KIP-320)
    std::optional<std::string> metadata = std::string();
    kwire::errc error_code = kwire::errc::none;
    TaggedFields unknown_tags;  ///< v6+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;  ///< v0-9
    Uuid topic_id;     ///< v10+
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v6+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  struct Group {
    std::string group_id;
    std::vector<Topic> topics;
    kwire::errc error_code = kwire::errc::none;
    TaggedFields unknown_tags;
    friend bool operator==(const Group&, const Group&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v3+ (ignorable)
  std::vector<Topic> topics;          ///< v0-7
  kwire::errc error_code = kwire::errc::none;  ///< v2-7 (ignorable)
  std::vector<Group> groups;                   ///< v8+
  TaggedFields unknown_tags;                   ///< v6+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const OffsetFetchResponse&, const OffsetFetchResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
