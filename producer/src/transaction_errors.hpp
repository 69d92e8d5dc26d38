#pragma once
// The transactional producer's error categories (KIP-1050), in one table:
// how the transaction manager reacts to each error a transactional request
// or a transactional batch can end with. Implemented in the Java client 4.1
// (KAFKA-18684, KAFKA-18780, KAFKA-18781; KAFKA-19176: a retriable error
// that exhausts its retries inside a transaction becomes abortable;
// KAFKA-19250: an abortable error while aborting is fatal).
//
//   retriable          retried inside with backoff, never surfaced:
//                      COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS,
//                      REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS(_AFTER_APPEND),
//                      UNKNOWN_LEADER_EPOCH, OFFSET_NOT_AVAILABLE,
//                      UNSTABLE_OFFSET_COMMIT, UNKNOWN_TOPIC_OR_PARTITION
//                      (Java's AddPartitionsToTxn and TxnOffsetCommit
//                      handlers retry it), client_errc::timed_out.
//   refresh_retriable  find the coordinator (or refresh metadata) again, then
//                      retry: NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
//                      client_errc::disconnected; for TxnOffsetCommit also
//                      REQUEST_TIMED_OUT (Java looks the group coordinator up
//                      again); on the produce path the metadata errors
//                      (NOT_LEADER_OR_FOLLOWER, ...).
//   abortable          the transaction must be aborted, the producer lives
//                      on: TRANSACTION_ABORTABLE, TOPIC_/GROUP_AUTHORIZATION_
//                      FAILED, OPERATION_NOT_ATTEMPTED; TxnOffsetCommit's
//                      UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
//                      FENCED_INSTANCE_ID (the consumer was rebalanced
//                      away); UNKNOWN_PRODUCER_ID and (produce)
//                      OUT_OF_ORDER_SEQUENCE_NUMBER when the epoch can be
//                      bumped (InitProducerId v3+ or transaction version 2),
//                      else fatal; on the produce path INVALID_PRODUCER_EPOCH
//                      (KIP-588: the coordinator aborted a timed-out
//                      transaction and bumped the epoch), INVALID_TXN_STATE
//                      and every other batch failure (a record whose delivery
//                      failed must never be committed); on InitProducerId
//                      TRANSACTIONAL_ID_AUTHORIZATION_FAILED and
//                      CLUSTER_AUTHORIZATION_FAILED (init may be called
//                      again once the ACLs are fixed).
//   fenced             the producer is dead: PRODUCER_FENCED, and
//                      INVALID_PRODUCER_EPOCH from a coordinator (another
//                      instance with the same transactional id bumped the
//                      epoch); TRANSACTION_COORDINATOR_FENCED.
//   fatal              surfaced, the producer unusable: INVALID_PRODUCER_ID_
//                      MAPPING (KAFKA-18019), INVALID_TRANSACTION_TIMEOUT,
//                      TRANSACTIONAL_ID_/CLUSTER_AUTHORIZATION_FAILED (outside
//                      InitProducerId), UNSUPPORTED_VERSION,
//                      UNSUPPORTED_FOR_MESSAGE_FORMAT, INVALID_TXN_STATE from
//                      a coordinator, and any error a coordinator API is not
//                      expected to return (Java's handlers' default branch).
//
// Thread: pure functions, any thread.
#include <cstdint>
#include <string_view>
#include <system_error>

#include "kwire/producer/transaction.hpp"

namespace kwire::producer {

/// Which request (or the produce path) an error came with: the same code
/// means different things on different paths (INVALID_PRODUCER_EPOCH).
enum class TransactionApi : std::uint8_t {
  find_coordinator,
  init_producer_id,
  add_partitions_to_txn,
  add_offsets_to_txn,
  txn_offset_commit,
  end_txn,
  produce,
};
std::string_view to_string(TransactionApi api) noexcept;

enum class TransactionErrorCategory : std::uint8_t {
  none,               ///< success
  retriable,          ///< retry with backoff; never surfaced (until retries run out: abortable)
  refresh_retriable,  ///< look the coordinator up again (or refresh metadata), then retry
  abortable,          ///< fail the operation; the application must abort, then may go on
  fenced,             ///< another instance owns the transactional id: fatal forever
  fatal,              ///< the producer cannot continue
};
std::string_view to_string(TransactionErrorCategory category) noexcept;

/// What the manager knows besides the error.
struct TransactionErrorContext {
  /// The transaction is being aborted: an abortable error then is fatal, or
  /// the abort could loop forever (KAFKA-19250).
  bool aborting = false;
  /// The producer can bump its epoch (InitProducerId v3+, or transaction
  /// version 2), which turns UNKNOWN_PRODUCER_ID / OUT_OF_ORDER_SEQUENCE_NUMBER
  /// into abortable errors (KIP-360).
  bool epoch_bump_possible = true;
};

/// The KIP-1050 category of `error` (a kwire::errc or client_errc) received
/// on `api` (see the table at the top).
TransactionErrorCategory classify_transaction_error(std::error_code error, TransactionApi api,
                                                    const TransactionErrorContext& context = {}) noexcept;

/// KAFKA-19176: what a retriable error becomes once its retries are spent:
/// abortable inside a transaction, fatal while aborting.
TransactionErrorCategory retries_exhausted(const TransactionErrorContext& context) noexcept;

}  // namespace kwire::producer
