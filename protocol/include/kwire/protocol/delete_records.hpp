#pragma once
// DeleteRecords (API key 21): moves partitions' log start offset forward,
// deleting the records before it (KIP-107). Sent to each partition's
// leader.
//
// kwire speaks v0-2 (Kafka 3.9 and 4.x serve 0-2).
//
// Request (DeleteRecordsRequest.json):
//   Version 0: Topics [Name, Partitions [PartitionIndex, Offset]], TimeoutMs.
//   Version 1 is the same as 0.
//   Version 2 is the first flexible version (KIP-482).
//
// Response (DeleteRecordsResponse.json):
//   Version 0: ThrottleTimeMs, Topics [Name, Partitions [PartitionIndex,
//   LowWatermark, ErrorCode]].
//   Version 1: on quota violation, the broker answers first, then throttles
//   (KIP-219). Version 2 is the first flexible version.
//
// Every version carries every field, so only unknown tags below v2 are
// refused (client_errc::field_not_in_version).
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

struct DeleteRecordsRequest {
  static constexpr ApiKey api_key = ApiKey::delete_records;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 2;
  /// Offset meaning "up to the high watermark": delete every record.
  static constexpr std::int64_t high_watermark = -1;

  struct Partition {
    std::int32_t partition_index = 0;
    std::int64_t offset = 0;    ///< the new log start offset, or high_watermark
    TaggedFields unknown_tags;  ///< v2+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v2+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  std::int32_t timeout_ms = 0;
  TaggedFields unknown_tags;  ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DeleteRecordsRequest&, const DeleteRecordsRequest&) = default;
};

struct DeleteRecordsResponse {
  static constexpr ApiKey api_key = ApiKey::delete_records;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 2;

  struct Partition {
    std::int32_t partition_index = 0;
    std::int64_t low_watermark = 0;  ///< the partition's log start offset now
    kwire::errc error_code = kwire::errc::none;
    TaggedFields unknown_tags;  ///< v2+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;  ///< v2+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  TaggedFields unknown_tags;  ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DeleteRecordsResponse&, const DeleteRecordsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
