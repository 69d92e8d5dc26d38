#pragma once
// DescribeProducers (API key 61): the producers a partition leader has state
// for (KIP-664), to find the producer id and epoch of a hanging transaction
// before aborting it with WriteTxnMarkers. Sent to each partition's leader.
//
// Request (DescribeProducersRequest.json):
//   Version 0 (flexible): Topics [{Name, PartitionIndexes}].
//
// Response (DescribeProducersResponse.json):
//   Version 0 (flexible): ThrottleTimeMs, Topics [{Name, Partitions
//   [{PartitionIndex, ErrorCode, ErrorMessage, ActiveProducers [{ProducerId,
//   ProducerEpoch (int32), LastSequence (default -1), LastTimestamp (default
//   -1), CoordinatorEpoch, CurrentTxnStartOffset (default -1: no open
//   transaction)}]}]}].
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/topic_partitions.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct DescribeProducersRequest {
  static constexpr ApiKey api_key = ApiKey::describe_producers;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = 0;

  std::vector<TopicPartitionIndexes> topics;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeProducersRequest&, const DescribeProducersRequest&) = default;
};

struct DescribeProducersResponse {
  static constexpr ApiKey api_key = ApiKey::describe_producers;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = 0;

  struct ProducerState {
    std::int64_t producer_id = 0;
    std::int32_t producer_epoch = 0;  ///< int32 on the wire, unlike elsewhere
    std::int32_t last_sequence = -1;
    std::int64_t last_timestamp = -1;
    std::int32_t coordinator_epoch = 0;
    std::int64_t current_txn_start_offset = -1;  ///< -1: no open transaction
    TaggedFields unknown_tags;
    friend bool operator==(const ProducerState&, const ProducerState&) = default;
  };

  struct Partition {
    std::int32_t partition_index = 0;
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;
    std::vector<ProducerState> active_producers;
    TaggedFields unknown_tags;
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    TaggedFields unknown_tags;
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeProducersResponse&, const DescribeProducersResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
