#pragma once
// Fetch (API key 1): read record batches from partitions, starting at given
// offsets.
//
// kwire speaks v4-v18: v4 is the first version whose responses carry record
// batch v2 only (with the transactional fields), and Kafka 4.x brokers
// advertise 4+ (KIP-896). Fetch sessions (KIP-227) are representable
// (session_id / session_epoch / forgotten topics) but a plain reader sends
// session_id 0 and session_epoch -1: a full fetch with no session.
//
// Request (FetchRequest.json):
//   Version 4 adds IsolationLevel (KIP-98); version 3 had added MaxBytes.
//   Version 5 adds LogStartOffset (per partition, used by followers).
//   Version 6 is the same as 5.
//   Version 7 adds incremental fetch sessions: SessionId, SessionEpoch and
//   ForgottenTopicsData (KIP-227). Version 8 is the same as 7.
//   Version 9 adds CurrentLeaderEpoch (KIP-320).
//   Version 10: records may use zstd (KIP-110). Version 11 adds RackId
//   (fetch from the closest replica, KIP-392).
//   Version 12 is the first flexible version; adds LastFetchedEpoch (KIP-595)
//   and the tagged ClusterId (tag 0).
//   Version 13 addresses topics by TopicId instead of name (KIP-516).
//   Version 14 is the same as 13 (OFFSET_MOVED_TO_TIERED_STORAGE, KIP-405).
//   Version 15 moves ReplicaId into the tagged ReplicaState (tag 1), with
//   ReplicaEpoch (KIP-903).
//   Version 16 is the same as 15 (KIP-951).
//   Version 17 adds the tagged ReplicaDirectoryId per partition (tag 0,
//   KIP-853).
//   Version 18 (Kafka 4.2+) adds the tagged HighWatermark per partition
//   (tag 1, ignorable, default INT64_MAX: a follower's high watermark,
//   KIP-1166). Consumers never send it; kwire keeps it, like any tag it does
//   not model, in the partition's unknown_tags.
//
// Response (FetchResponse.json):
//   Version 4 adds LastStableOffset and AbortedTransactions (KIP-98).
//   Version 5 adds LogStartOffset. Version 6 may return KAFKA_STORAGE_ERROR.
//   Version 7 adds the top-level ErrorCode and SessionId (KIP-227).
//   Version 8: on quota violation the broker answers first (KIP-219).
//   Versions 9 and 10 are the same as 8 (v10: zstd, KIP-110).
//   Version 11 adds PreferredReadReplica (KIP-392).
//   Version 12 is the first flexible version; adds the tagged DivergingEpoch
//   (tag 0), CurrentLeader (tag 1) and SnapshotId (tag 2) per partition.
//   Version 13 addresses topics by TopicId (KIP-516). Versions 14 and 15 are
//   the same as 13.
//   Version 16 adds the tagged NodeEndpoints (tag 0, top level, KIP-951).
//   Versions 17 and 18 are the same as 16.
//
// Encoding rules, as Kafka's message generator has it: a field the version
// lacks that the schema marks "ignorable" is dropped silently (MaxBytes,
// IsolationLevel, SessionId/Epoch, CurrentLeaderEpoch, LogStartOffset,
// RackId, ClusterId, ReplicaDirectoryId; in responses LastStableOffset,
// LogStartOffset, AbortedTransactions, the top-level ErrorCode); any other
// must hold its default, else encode() fails with
// client_errc::field_not_in_version. Topics carry both a name and an id; each
// version writes the one it has (name before v13, id from v13) and encode()
// fails with field_not_in_version when that one is missing, as in Produce.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/list_offsets.hpp"  // IsolationLevel
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct FetchRequest {
  static constexpr ApiKey api_key = ApiKey::fetch;
  static constexpr std::int16_t min_version = 4;
  static constexpr std::int16_t max_version = 18;
  static constexpr std::int16_t first_flexible_version = 12;
  /// First version addressing topics by id (KIP-516).
  static constexpr std::int16_t first_topic_id_version = 13;
  /// First version carrying ReplicaState instead of ReplicaId (KIP-903).
  static constexpr std::int16_t first_replica_state_version = 15;

  struct Partition {
    std::int32_t partition = 0;
    std::int32_t current_leader_epoch = -1;  ///< v9+ (ignorable)
    std::int64_t fetch_offset = 0;
    std::int32_t last_fetched_epoch = -1;  ///< v12+
    std::int64_t log_start_offset = -1;    ///< v5+ (ignorable); followers only
    std::int32_t partition_max_bytes = 0;
    Uuid replica_directory_id;  ///< v17+, tag 0 (ignorable); followers only
    TaggedFields unknown_tags;  ///< v12+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string topic;  ///< v4-12
    Uuid topic_id;      ///< v13+
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v12+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  /// KIP-227: partitions to drop from an incremental fetch session.
  struct ForgottenTopic {
    std::string topic;  ///< v7-12
    Uuid topic_id;      ///< v13+
    std::vector<std::int32_t> partitions;
    TaggedFields unknown_tags;  ///< v12+
    friend bool operator==(const ForgottenTopic&, const ForgottenTopic&) = default;
  };

  /// KIP-903: who is fetching, for followers. The default (-1/-1) is a
  /// consumer and is not sent.
  struct ReplicaState {
    std::int32_t replica_id = -1;
    std::int64_t replica_epoch = -1;
    TaggedFields unknown_tags;
    bool is_default() const noexcept { return replica_id == -1 && replica_epoch == -1 && unknown_tags.empty(); }
    friend bool operator==(const ReplicaState&, const ReplicaState&) = default;
  };

  std::optional<std::string> cluster_id;  ///< v12+, tag 0 (ignorable); sent only when set
  std::int32_t replica_id = -1;           ///< v4-14; -1 for a consumer
  ReplicaState replica_state;             ///< v15+, tag 1
  std::int32_t max_wait_ms = 0;
  std::int32_t min_bytes = 0;
  std::int32_t max_bytes = 0x7fffffff;  ///< KIP-74: the first batch is returned even if larger
  IsolationLevel isolation_level = IsolationLevel::read_uncommitted;
  std::int32_t session_id = 0;      ///< v7+ (ignorable); 0: no session
  std::int32_t session_epoch = -1;  ///< v7+ (ignorable); -1: full fetch, no session
  std::vector<Topic> topics;
  std::vector<ForgottenTopic> forgotten_topics_data;  ///< v7+
  std::string rack_id;                                ///< v11+ (ignorable)
  TaggedFields unknown_tags;                          ///< v12+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const FetchRequest&, const FetchRequest&) = default;
};

struct FetchResponse {
  static constexpr ApiKey api_key = ApiKey::fetch;
  static constexpr std::int16_t min_version = 4;
  static constexpr std::int16_t max_version = 18;
  static constexpr std::int16_t first_flexible_version = 12;
  static constexpr std::int16_t first_topic_id_version = 13;

  struct AbortedTransaction {
    std::int64_t producer_id = 0;
    std::int64_t first_offset = 0;
    TaggedFields unknown_tags;  ///< v12+
    friend bool operator==(const AbortedTransaction&, const AbortedTransaction&) = default;
  };

  /// KIP-595: where the follower's log diverges from the leader's.
  struct EpochEndOffset {
    std::int32_t epoch = -1;
    std::int64_t end_offset = -1;
    TaggedFields unknown_tags;
    bool is_default() const noexcept { return epoch == -1 && end_offset == -1 && unknown_tags.empty(); }
    friend bool operator==(const EpochEndOffset&, const EpochEndOffset&) = default;
  };

  /// KIP-951 leader hint on NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH.
  struct LeaderIdAndEpoch {
    std::int32_t leader_id = -1;
    std::int32_t leader_epoch = -1;
    TaggedFields unknown_tags;
    bool is_default() const noexcept { return leader_id == -1 && leader_epoch == -1 && unknown_tags.empty(); }
    friend bool operator==(const LeaderIdAndEpoch&, const LeaderIdAndEpoch&) = default;
  };

  /// KIP-630: the snapshot to fetch when the offset is below the log start.
  struct SnapshotId {
    std::int64_t end_offset = -1;
    std::int32_t epoch = -1;
    TaggedFields unknown_tags;
    bool is_default() const noexcept { return end_offset == -1 && epoch == -1 && unknown_tags.empty(); }
    friend bool operator==(const SnapshotId&, const SnapshotId&) = default;
  };

  struct Partition {
    std::int32_t partition_index = 0;
    kwire::errc error_code = kwire::errc::none;
    std::int64_t high_watermark = 0;
    std::int64_t last_stable_offset = -1;  ///< (ignorable)
    std::int64_t log_start_offset = -1;    ///< v5+ (ignorable)
    EpochEndOffset diverging_epoch;        ///< v12+, tag 0; sent only when not default
    LeaderIdAndEpoch current_leader;       ///< v12+, tag 1; sent only when not default
    SnapshotId snapshot_id;                ///< v12+, tag 2; sent only when not default
    /// Null unless the request asked for read_committed (ignorable).
    std::optional<std::vector<AbortedTransaction>> aborted_transactions;
    std::int32_t preferred_read_replica = -1;  ///< v11+ (KIP-392)
    /// The partition's record batches, as a view: decode() points it into its
    /// input (valid while the input lives; no copy); encode() copies it. It
    /// may end in a partial batch (KIP-74 / max_bytes), which readers skip.
    /// nullopt is a null records field.
    std::optional<std::span<const std::uint8_t>> records;
    TaggedFields unknown_tags;  ///< v12+
    /// Spans compare by content.
    friend bool operator==(const Partition& a, const Partition& b);
  };

  struct Topic {
    std::string topic;  ///< v4-12
    Uuid topic_id;      ///< v13+
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v12+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  /// KIP-951: endpoints of the leaders named in CurrentLeader.
  struct NodeEndpoint {
    std::int32_t node_id = 0;
    std::string host;
    std::int32_t port = 0;
    std::optional<std::string> rack;
    TaggedFields unknown_tags;
    friend bool operator==(const NodeEndpoint&, const NodeEndpoint&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  kwire::errc error_code = kwire::errc::none;  ///< v7+ (ignorable); session-level errors
  std::int32_t session_id = 0;                 ///< v7+
  std::vector<Topic> responses;
  std::vector<NodeEndpoint> node_endpoints;  ///< v16+, tag 0; sent only when non-empty
  TaggedFields unknown_tags;                 ///< v12+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const FetchResponse&, const FetchResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
