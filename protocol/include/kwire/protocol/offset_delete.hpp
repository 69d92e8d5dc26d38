#pragma once
// OffsetDelete (API key 47): deletes a group's committed offsets for some
// partitions (KIP-496), e.g. for topics the group no longer reads. Sent to
// the group's coordinator; refused with GROUP_SUBSCRIBED_TO_TOPIC while a
// member still consumes the topic.
//
// kwire speaks v0, the only version (Kafka 3.9 and 4.x). Not flexible.
//
// Request (OffsetDeleteRequest.json):
//   Version 0: GroupId, Topics [Name, Partitions [PartitionIndex]].
// Response (OffsetDeleteResponse.json):
//   Version 0: ErrorCode, ThrottleTimeMs, Topics [Name, Partitions
//   [PartitionIndex, ErrorCode]].
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

struct OffsetDeleteRequest {
  static constexpr ApiKey api_key = ApiKey::offset_delete;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = -1;  ///< never flexible

  struct Topic {
    std::string name;
    std::vector<std::int32_t> partitions;  ///< PartitionIndex of each partition
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::string group_id;
  std::vector<Topic> topics;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const OffsetDeleteRequest&, const OffsetDeleteRequest&) = default;
};

struct OffsetDeleteResponse {
  static constexpr ApiKey api_key = ApiKey::offset_delete;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = -1;

  struct Partition {
    std::int32_t partition_index = 0;
    kwire::errc error_code = kwire::errc::none;
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  kwire::errc error_code = kwire::errc::none;  ///< group-level (GROUP_ID_NOT_FOUND, ...)
  std::int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const OffsetDeleteResponse&, const OffsetDeleteResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
