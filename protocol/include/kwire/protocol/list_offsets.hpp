#pragma once
// ListOffsets (API key 2): for each partition, the offset matching a
// timestamp, or one of the special offsets (log start, log end, ...) named by
// a negative "timestamp".
//
// kwire speaks v1-v11: v0 (MaxNumOffsets, an array of offsets) is
// deprecated and Kafka 4.x brokers advertise 1+ (KIP-896).
//
// Request (ListOffsetsRequest.json):
//   Version 1 removes MaxNumOffsets: one offset per partition.
//   Version 2 adds IsolationLevel (transactional reads, KIP-98).
//   Version 3 is the same as 2.
//   Version 4 adds CurrentLeaderEpoch, for fencing (KIP-320).
//   Version 5 is the same as 4.
//   Version 6 is the first flexible version (KIP-482).
//   Version 7 allows timestamp -3, the offset of the record with the largest
//   timestamp (KIP-734).
//   Version 8 allows -4, the local log start offset (tiered storage, KIP-405).
//   Version 9 allows -5, the last tiered offset (KIP-1005).
//   Version 10 adds TimeoutMs, for lookups that read remote storage (KIP-1075).
//   Version 11 (Kafka 4.2+) allows -6, the earliest offset not yet uploaded
//   to tiered storage (KIP-1023); otherwise the same as 10.
//
// Response (ListOffsetsResponse.json):
//   Version 1 returns one Timestamp and Offset per partition.
//   Version 2 adds ThrottleTimeMs; from version 3 the broker answers first,
//   then throttles (KIP-219).
//   Version 4 adds LeaderEpoch. Version 5 may return OFFSET_NOT_AVAILABLE.
//   Version 6 is the first flexible version. Versions 7-11 are the same as 6.
//
// Encoding rule, as Kafka's message generator has it: a field the version
// lacks that the schema marks "ignorable" (CurrentLeaderEpoch, TimeoutMs,
// ThrottleTimeMs) is left out silently; any other such field must hold its
// default, else encode() fails with client_errc::field_not_in_version —
// asking for read_committed (IsolationLevel 1) at v1 fails rather than
// quietly reading uncommitted data. Decoding leaves absent fields at their
// defaults.
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

/// The special "timestamps" of a ListOffsets request.
namespace list_offsets_timestamp {
inline constexpr std::int64_t latest = -1;          ///< the log end offset (next offset to be written)
inline constexpr std::int64_t earliest = -2;        ///< the log start offset
inline constexpr std::int64_t max_timestamp = -3;   ///< v7+: the record with the largest timestamp (KIP-734)
inline constexpr std::int64_t earliest_local = -4;  ///< v8+: local log start offset (KIP-405)
inline constexpr std::int64_t latest_tiered = -5;   ///< v9+: last tiered offset (KIP-1005)
/// v11+: the earliest offset not yet uploaded to tiered storage (KIP-1023)
inline constexpr std::int64_t earliest_pending_upload = -6;
}  // namespace list_offsets_timestamp

/// Fetch/ListOffsets isolation levels.
enum class IsolationLevel : std::int8_t { read_uncommitted = 0, read_committed = 1 };

struct ListOffsetsRequest {
  static constexpr ApiKey api_key = ApiKey::list_offsets;
  static constexpr std::int16_t min_version = 1;
  static constexpr std::int16_t max_version = 11;
  static constexpr std::int16_t first_flexible_version = 6;

  struct Partition {
    std::int32_t partition_index = 0;
    std::int32_t current_leader_epoch = -1;  ///< v4+ (ignorable); -1: unknown, no fencing
    /// A timestamp in ms, or one of list_offsets_timestamp's special values.
    std::int64_t timestamp = 0;
    TaggedFields unknown_tags;  ///< v6+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v6+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t replica_id = -1;  ///< -1 for a consumer
  IsolationLevel isolation_level = IsolationLevel::read_uncommitted;  ///< v2+
  std::vector<Topic> topics;
  std::int32_t timeout_ms = 0;  ///< v10+ (ignorable)
  TaggedFields unknown_tags;    ///< v6+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ListOffsetsRequest&, const ListOffsetsRequest&) = default;
};

/// The lowest ListOffsets version that can carry `timestamp` (1 for ordinary
/// timestamps, -1 and -2; 7 for -3; 8 for -4; 9 for -5; 11 for -6).
std::int16_t min_list_offsets_version_for(std::int64_t timestamp) noexcept;

struct ListOffsetsResponse {
  static constexpr ApiKey api_key = ApiKey::list_offsets;
  static constexpr std::int16_t min_version = 1;
  static constexpr std::int16_t max_version = 11;
  static constexpr std::int16_t first_flexible_version = 6;

  struct Partition {
    std::int32_t partition_index = 0;
    kwire::errc error_code = kwire::errc::none;
    std::int64_t timestamp = -1;  ///< of the returned offset; -1 for the special lookups
    std::int64_t offset = -1;
    std::int32_t leader_epoch = -1;  ///< v4+
    TaggedFields unknown_tags;       ///< v6+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v6+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v2+ (ignorable)
  std::vector<Topic> topics;
  TaggedFields unknown_tags;  ///< v6+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ListOffsetsResponse&, const ListOffsetsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
