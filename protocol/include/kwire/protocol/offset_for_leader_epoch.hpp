#pragma once
// OffsetForLeaderEpoch (API key 23): the end offset of a leader epoch on the
// current leader. A consumer sends it after a leader change, or after
// seeking to a committed offset that carries a leader epoch, to detect log
// truncation before fetching (KIP-320): if the returned EndOffset is below
// its position, the log was truncated under it.
//
// Request (OffsetForLeaderEpochRequest.json):
//   Version 0: Topics[Topic, Partitions[Partition, LeaderEpoch]].
//   Version 1 is the same as version 0.
//   Version 2 adds Partitions[].CurrentLeaderEpoch, so a stale leader is
//   fenced (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH; KIP-320).
//   Version 3 adds ReplicaId (default -2, a "debug" reader allowed beyond
//   the high watermark; consumers send -1, followers their broker id).
//   Version 4 is the first flexible version (KIP-482).
//   (Kafka 4.0 removed v0-1, KIP-896: 4.x brokers speak 2-4.)
//
// Response (OffsetForLeaderEpochResponse.json):
//   Version 0: Topics[Topic, Partitions[ErrorCode, Partition, EndOffset]].
//   Version 1 adds Partitions[].LeaderEpoch.
//   Version 2 adds ThrottleTimeMs.
//   Version 3 is the same as version 2.
//   Version 4 is the first flexible version.
//
// ReplicaId, CurrentLeaderEpoch, LeaderEpoch (response) and ThrottleTimeMs
// are ignorable: left out where the version lacks them, as Kafka's
// generated code does.
#include <cstdint>
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

struct OffsetForLeaderEpochRequest {
  static constexpr ApiKey api_key = ApiKey::offset_for_leader_epoch;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 4;
  /// First version with CurrentLeaderEpoch (KIP-320 fencing).
  static constexpr std::int16_t first_current_leader_epoch_version = 2;
  /// First version with ReplicaId.
  static constexpr std::int16_t first_replica_id_version = 3;
  /// ReplicaId a consumer sends (Kafka's CONSUMER_REPLICA_ID).
  static constexpr std::int32_t consumer_replica_id = -1;

  struct Partition {
    std::int32_t partition = 0;
    std::int32_t current_leader_epoch = -1;  ///< v2+ (ignorable); -1: no fencing
    std::int32_t leader_epoch = 0;           ///< the epoch whose end offset is asked
    TaggedFields unknown_tags;               ///< v4+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v4+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t replica_id = -2;  ///< v3+ (ignorable); the schema default, consumers send -1
  std::vector<Topic> topics;
  TaggedFields unknown_tags;  ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const OffsetForLeaderEpochRequest&, const OffsetForLeaderEpochRequest&) = default;
};

struct OffsetForLeaderEpochResponse {
  static constexpr ApiKey api_key = ApiKey::offset_for_leader_epoch;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 4;

  struct Partition {
    kwire::errc error_code = kwire::errc::none;
    std::int32_t partition = 0;
    std::int32_t leader_epoch = -1;  ///< v1+ (ignorable); -1: undefined
    std::int64_t end_offset = -1;    ///< -1: undefined (counts as truncation)
    TaggedFields unknown_tags;       ///< v4+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string topic;
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v4+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v2+ (ignorable)
  std::vector<Topic> topics;
  TaggedFields unknown_tags;  ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const OffsetForLeaderEpochResponse&, const OffsetForLeaderEpochResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
