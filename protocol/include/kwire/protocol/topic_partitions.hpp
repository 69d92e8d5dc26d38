#pragma once
// Array elements that several messages share word for word: a topic with
// partition indexes (AddPartitionsToTxn, WriteTxnMarkers, DescribeProducers,
// DescribeTransactions) and a topic with a per-partition error code
// (AddPartitionsToTxn, WriteTxnMarkers responses). Kafka's schemas give each
// message its own struct name for them; their fields and encodings are the
// same, so kwire has one type each.
#include <cstdint>
#include <string>
#include <vector>

#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// A topic name and some of its partitions.
struct TopicPartitionIndexes {
  std::string name;
  std::vector<std::int32_t> partitions;
  TaggedFields unknown_tags;  ///< flexible versions only
  friend bool operator==(const TopicPartitionIndexes&, const TopicPartitionIndexes&) = default;
};

/// One partition's result.
struct PartitionErrorCode {
  std::int32_t partition_index = 0;
  kwire::errc error_code = kwire::errc::none;
  TaggedFields unknown_tags;  ///< flexible versions only
  friend bool operator==(const PartitionErrorCode&, const PartitionErrorCode&) = default;
};

/// A topic's per-partition results.
struct TopicPartitionErrors {
  std::string name;
  std::vector<PartitionErrorCode> partitions;
  TaggedFields unknown_tags;  ///< flexible versions only
  friend bool operator==(const TopicPartitionErrors&, const TopicPartitionErrors&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
