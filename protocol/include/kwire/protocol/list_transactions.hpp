#pragma once
// ListTransactions (API key 66): the transactions a transaction coordinator
// owns, optionally filtered (KIP-664; sent to every broker to list them all).
//
// Request (ListTransactionsRequest.json):
//   Version 0 (flexible): StateFilters [string] (empty: every state),
//   ProducerIdFilters [int64] (empty: every producer).
//   Version 1 adds DurationFilter (default -1): only transactions running
//   longer than this many milliseconds (KIP-994).
//   Version 2 (Kafka 4.1, KIP-1152) adds TransactionalIdPattern (nullable,
//   default null): only transactional ids matching this regular expression.
//
// Response (ListTransactionsResponse.json):
//   Version 0 (flexible): ThrottleTimeMs, ErrorCode, UnknownStateFilters
//   [string], TransactionStates [{TransactionalId, ProducerId,
//   TransactionState}]. Versions 1 and 2 are the same as 0.
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

struct ListTransactionsRequest {
  static constexpr ApiKey api_key = ApiKey::list_transactions;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 0;
  static constexpr std::int16_t first_duration_filter_version = 1;
  static constexpr std::int16_t first_pattern_version = 2;

  std::vector<std::string> state_filters;  ///< e.g. "Ongoing", "PrepareCommit"
  std::vector<std::int64_t> producer_id_filters;
  std::int64_t duration_filter = -1;                     ///< v1+; -1: no filter
  std::optional<std::string> transactional_id_pattern;  ///< v2+; null: no filter
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ListTransactionsRequest&, const ListTransactionsRequest&) = default;
};

struct ListTransactionsResponse {
  static constexpr ApiKey api_key = ApiKey::list_transactions;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 0;

  struct TransactionState {
    std::string transactional_id;
    std::int64_t producer_id = 0;
    std::string transaction_state;
    TaggedFields unknown_tags;
    friend bool operator==(const TransactionState&, const TransactionState&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  kwire::errc error_code = kwire::errc::none;
  /// Filters the coordinator did not recognise as states.
  std::vector<std::string> unknown_state_filters;
  std::vector<TransactionState> transaction_states;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ListTransactionsResponse&, const ListTransactionsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
