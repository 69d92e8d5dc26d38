#pragma once
// InitProducerId (API key 22): obtains a producer id and epoch for an
// idempotent producer (null transactional id) or a transactional one
// (KIP-98), and bumps the epoch of an existing producer id (KIP-360).
//
// Request (InitProducerIdRequest.json):
//   Version 0: TransactionalId (nullable string), TransactionTimeoutMs.
//   Version 1 is the same as version 0.
//   Version 2 is the first flexible version (KIP-482).
//   Version 3 adds ProducerId and ProducerEpoch (KIP-360): a producer that
//   hit OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID sends its current
//   id and epoch and gets the same id back with the epoch bumped, instead of
//   failing fatally. Both default to -1 ("no current producer").
//   Version 4 is the same as 3; the broker may answer PRODUCER_FENCED (90)
//   instead of INVALID_PRODUCER_EPOCH (KIP-588).
//   Version 5 is the same as 4; the broker may answer TRANSACTION_ABORTABLE
//   (120) (KIP-890).
//   Version 6 (Kafka 4.1, KIP-939, still marked unstable in 4.4: brokers
//   advertise it only with unstable.api.versions.enable) adds Enable2Pc and
//   KeepPreparedTxn (both default false): a producer taking part in an
//   external two-phase commit keeps its prepared transaction across a restart
//   instead of having it aborted.
//
// Response (InitProducerIdResponse.json):
//   Version 0: ThrottleTimeMs, ErrorCode, ProducerId, ProducerEpoch.
//   Version 1: on quota violation, the broker answers first, then throttles
//   (KIP-219).
//   Version 2 is the first flexible version. Versions 3-5 are the same as 2
//   (new error codes only, as above).
//   Version 6 adds OngoingTxnProducerId and OngoingTxnProducerEpoch (default
//   -1): the prepared transaction a KeepPreparedTxn request kept (KIP-939).
//
// Every field a version lacks must hold its default when encoding at that
// version (else client_errc::field_not_in_version); decoding a version leaves
// the fields it lacks at their defaults.
#include <cstdint>
#include <optional>
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

struct InitProducerIdRequest {
  static constexpr ApiKey api_key = ApiKey::init_producer_id;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 2;
  /// First version carrying the current producer id/epoch (KIP-360).
  static constexpr std::int16_t first_epoch_bump_version = 3;
  /// First version with the two-phase-commit fields (KIP-939).
  static constexpr std::int16_t first_two_phase_commit_version = 6;

  /// Null for an idempotent (non-transactional) producer.
  std::optional<std::string> transactional_id;
  /// Only meaningful with a transactional id; brokers ignore it otherwise.
  std::int32_t transaction_timeout_ms = 0;
  std::int64_t producer_id = -1;    ///< v3+; -1: no current producer id
  std::int16_t producer_epoch = -1;  ///< v3+; -1: no current epoch
  bool enable_2pc = false;           ///< v6+ (KIP-939)
  bool keep_prepared_txn = false;    ///< v6+ (KIP-939)
  TaggedFields unknown_tags;         ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const InitProducerIdRequest&, const InitProducerIdRequest&) = default;
};

struct InitProducerIdResponse {
  static constexpr ApiKey api_key = ApiKey::init_producer_id;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 2;
  static constexpr std::int16_t first_two_phase_commit_version = 6;

  std::int32_t throttle_time_ms = 0;
  kwire::errc error_code = kwire::errc::none;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = 0;
  std::int64_t ongoing_txn_producer_id = -1;    ///< v6+ (KIP-939)
  std::int16_t ongoing_txn_producer_epoch = -1;  ///< v6+ (KIP-939)
  TaggedFields unknown_tags;  ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const InitProducerIdResponse&, const InitProducerIdResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
