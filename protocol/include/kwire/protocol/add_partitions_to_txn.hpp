#pragma once
// AddPartitionsToTxn (API key 24): adds partitions to a producer's ongoing
// transaction (KIP-98), before the first batch to each partition is sent.
//
// Request (AddPartitionsToTxnRequest.json):
//   Version 0: V3AndBelowTransactionalId, V3AndBelowProducerId,
//   V3AndBelowProducerEpoch, V3AndBelowTopics [{Name, Partitions}].
//   Version 1 is the same as version 0.
//   Version 2: the broker may answer PRODUCER_FENCED (KIP-588).
//   Version 3 is the first flexible version (KIP-482).
//   Version 4 (KIP-890 part 1) replaces the single transaction by a batch of
//   Transactions [{TransactionalId, ProducerId, ProducerEpoch, VerifyOnly,
//   Topics}]: the form a partition leader uses to ask the coordinator whether
//   a partition is in the transaction (VerifyOnly=true) or, under transaction
//   version 2, to add it itself. Versions 3 and below are for clients,
//   4 and above for brokers.
//   Version 5: the broker may answer TRANSACTION_ABORTABLE (KIP-890).
//
// Response (AddPartitionsToTxnResponse.json):
//   Version 0: ThrottleTimeMs, ResultsByTopicV3AndBelow
//   [{Name, ResultsByPartition [{PartitionIndex, PartitionErrorCode}]}].
//   Version 1: on quota violation the broker answers first, then throttles
//   (KIP-219). Version 2: PRODUCER_FENCED. Version 3 is the first flexible.
//   Version 4 adds a top-level ErrorCode and ResultsByTransaction
//   [{TransactionalId, TopicResults}] in place of ResultsByTopicV3AndBelow.
//   Version 5: TRANSACTION_ABORTABLE.
//
// Both forms are in one struct, as in Kafka's schema: encoding at a version
// refuses (client_errc::field_not_in_version) a non-default value in the
// other form's fields, and decoding leaves them at their defaults.
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

struct AddPartitionsToTxnRequest {
  static constexpr ApiKey api_key = ApiKey::add_partitions_to_txn;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 3;
  /// First version of the batched, broker-to-broker form (KIP-890).
  static constexpr std::int16_t first_batched_version = 4;
  /// Clients send at most this version (Kafka's AddPartitionsToTxnRequest
  /// builder for clients): v4+ are the brokers' verification requests.
  static constexpr std::int16_t max_client_version = 3;

  /// One transaction of the batched form (v4+).
  struct Transaction {
    std::string transactional_id;
    std::int64_t producer_id = 0;
    std::int16_t producer_epoch = 0;
    /// True: only check that the partitions are in the transaction (the
    /// partition leader's KIP-890 verification); false: add them.
    bool verify_only = false;
    std::vector<TopicPartitionIndexes> topics;
    TaggedFields unknown_tags;
    friend bool operator==(const Transaction&, const Transaction&) = default;
  };

  std::vector<Transaction> transactions;  ///< v4+

  std::string v3_and_below_transactional_id;      ///< v0-3
  std::int64_t v3_and_below_producer_id = 0;      ///< v0-3
  std::int16_t v3_and_below_producer_epoch = 0;   ///< v0-3
  std::vector<TopicPartitionIndexes> v3_and_below_topics;  ///< v0-3
  TaggedFields unknown_tags;                               ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const AddPartitionsToTxnRequest&, const AddPartitionsToTxnRequest&) = default;
};

struct AddPartitionsToTxnResponse {
  static constexpr ApiKey api_key = ApiKey::add_partitions_to_txn;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 3;
  static constexpr std::int16_t first_batched_version = 4;

  /// One transaction's results in the batched form (v4+).
  struct TransactionResult {
    std::string transactional_id;
    std::vector<TopicPartitionErrors> topic_results;
    TaggedFields unknown_tags;
    friend bool operator==(const TransactionResult&, const TransactionResult&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  kwire::errc error_code = kwire::errc::none;                  ///< v4+
  std::vector<TransactionResult> results_by_transaction;       ///< v4+
  std::vector<TopicPartitionErrors> results_by_topic_v3_and_below;  ///< v0-3
  TaggedFields unknown_tags;                                   ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const AddPartitionsToTxnResponse&, const AddPartitionsToTxnResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
