#pragma once
// DescribeTransactions (API key 65): the state of transactions by
// transactional id, from their coordinator (KIP-664: state, timeout, start
// time, producer id/epoch and the partitions in the transaction).
//
// Request (DescribeTransactionsRequest.json):
//   Version 0 (flexible): TransactionalIds [string].
//
// Response (DescribeTransactionsResponse.json):
//   Version 0 (flexible): ThrottleTimeMs, TransactionStates [{ErrorCode,
//   TransactionalId, TransactionState, TransactionTimeoutMs,
//   TransactionStartTimeMs, ProducerId, ProducerEpoch, Topics [{Topic,
//   Partitions}]}].
#include <cstdint>
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

struct DescribeTransactionsRequest {
  static constexpr ApiKey api_key = ApiKey::describe_transactions;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = 0;

  std::vector<std::string> transactional_ids;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeTransactionsRequest&, const DescribeTransactionsRequest&) = default;
};

struct DescribeTransactionsResponse {
  static constexpr ApiKey api_key = ApiKey::describe_transactions;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = 0;

  struct TransactionState {
    kwire::errc error_code = kwire::errc::none;
    std::string transactional_id;
    std::string transaction_state;  ///< "Empty", "Ongoing", "PrepareCommit", ...
    std::int32_t transaction_timeout_ms = 0;
    std::int64_t transaction_start_time_ms = 0;
    std::int64_t producer_id = 0;
    std::int16_t producer_epoch = 0;
    /// The partitions in the transaction (TopicData: Topic, Partitions).
    std::vector<TopicPartitionIndexes> topics;
    TaggedFields unknown_tags;
    friend bool operator==(const TransactionState&, const TransactionState&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<TransactionState> transaction_states;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeTransactionsResponse&, const DescribeTransactionsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
