#pragma once
// EndTxn (API key 26): commits or aborts the producer's ongoing transaction.
// The coordinator writes the prepare record, answers, then writes the
// COMMIT/ABORT markers to every partition in the transaction (KIP-98).
//
// Request (EndTxnRequest.json):
//   Version 0: TransactionalId, ProducerId, ProducerEpoch, Committed.
//   Version 1 is the same as version 0.
//   Version 2: the broker may answer PRODUCER_FENCED (KIP-588).
//   Version 3 is the first flexible version (KIP-482).
//   Version 4: the broker may answer TRANSACTION_ABORTABLE (KIP-890).
//   Version 5 is transaction version 2 (KIP-890 part 2): the coordinator
//   bumps the epoch at every transaction end. A broker picks the protocol
//   from the request version, so a client sends v5 only when the cluster's
//   finalized feature transaction.version is >= 2.
//
// Response (EndTxnResponse.json):
//   Version 0: ThrottleTimeMs, ErrorCode.
//   Version 1: on quota violation the broker answers first, then throttles
//   (KIP-219). Versions 2-4 as the request (v3 flexible).
//   Version 5 adds ProducerId and ProducerEpoch (default -1): the id and
//   epoch for the next transaction, which the producer adopts, resetting
//   every partition's sequence to 0. When the epoch is exhausted they carry
//   a new producer id at epoch 0 (KAFKA-18660).
#include <cstdint>
#include <string>
#include <system_error>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct EndTxnRequest {
  static constexpr ApiKey api_key = ApiKey::end_txn;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 3;
  /// First version with transaction version 2 semantics (KIP-890 part 2);
  /// a transaction-version-1 producer stays below it.
  static constexpr std::int16_t first_transaction_v2_version = 5;

  std::string transactional_id;
  std::int64_t producer_id = 0;
  std::int16_t producer_epoch = 0;
  bool committed = false;  ///< true: commit, false: abort
  TaggedFields unknown_tags;  ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const EndTxnRequest&, const EndTxnRequest&) = default;
};

struct EndTxnResponse {
  static constexpr ApiKey api_key = ApiKey::end_txn;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 3;
  static constexpr std::int16_t first_transaction_v2_version = 5;

  std::int32_t throttle_time_ms = 0;
  kwire::errc error_code = kwire::errc::none;
  std::int64_t producer_id = -1;    ///< v5+; -1: none (keep the current one)
  std::int16_t producer_epoch = -1;  ///< v5+; -1: none
  TaggedFields unknown_tags;         ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const EndTxnResponse&, const EndTxnResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
