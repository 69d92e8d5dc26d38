#pragma once
// The transactional producer's public types (KIP-98, KIP-447, KIP-890,
// KIP-1050): what Producer::init_transactions() and the calls after it
// return, the consumer's group metadata and offsets for
// send_offsets_to_transaction(), and the errors the transaction manager
// raises itself. See producer.hpp ("Transactions") for the calls.
//
// Thread: plain data, any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "kwire/producer/topic_partition.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::producer {

/// The consumer's group metadata for send_offsets_to_transaction (KIP-447):
/// plain data, so the producer does not depend on the consumer. Under
/// KIP-848 the generation carries the member epoch. A group id alone (the
/// other fields left as they are) commits without generation fencing.
struct ConsumerGroupMetadata {
  std::string group_id;
  std::int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

/// One consumed position to commit with the transaction.
struct OffsetToCommit {
  TopicPartition partition;
  std::int64_t offset = 0;  ///< the next record to consume
  std::int32_t leader_epoch = -1;
  std::optional<std::string> metadata = std::string();
};

/// Errors the transaction manager raises itself (besides the broker's
/// kwire::errc and the client's client_errc).
enum class transaction_errc {
  ok = 0,
  invalid_state,      ///< the call is not allowed in the producer's state (begin twice, commit outside a transaction)
  operation_pending,  ///< another transactional call timed out and is still pending: repeat that call
  aborted,            ///< a record or offset commit was part of a transaction that is being aborted
  retries_exhausted,  ///< a retriable coordinator error outlasted the retry time (KAFKA-19176)
};

const std::error_category& transaction_category() noexcept;

inline std::error_code make_error_code(transaction_errc e) noexcept {
  return {static_cast<int>(e), transaction_category()};
}

/// What the application must do after a transactional call (KIP-1050's
/// categories as the caller sees them).
enum class TransactionErrorKind : std::uint8_t {
  none,           ///< the call succeeded
  timed_out,      ///< not done within the timeout: call the SAME method again to pick up its result
  usage,          ///< wrong call for the state (commit outside a transaction, another call pending)
  failed,         ///< the call failed, nothing else changed (e.g. init refused by an ACL): it may be repeated
  abortable,      ///< abort_transaction(), then the producer can go on
  fatal,          ///< fenced or fatal: the producer is unusable, close it (every later call fails alike)
};
std::string_view to_string(TransactionErrorKind kind) noexcept;

/// The result of a transactional call: `error` (empty on success), what it
/// means for the caller, and a sentence naming the transactional id, the
/// coordinator and the cause.
struct TransactionStatus {
  std::error_code error;
  TransactionErrorKind kind = TransactionErrorKind::none;
  std::string detail;

  bool ok() const noexcept { return !error; }
  explicit operator bool() const noexcept { return ok(); }
  bool abortable() const noexcept { return kind == TransactionErrorKind::abortable; }
  bool fatal() const noexcept { return kind == TransactionErrorKind::fatal; }
  bool timed_out() const noexcept { return kind == TransactionErrorKind::timed_out; }
  /// "<error message>: <detail>" (or empty on success), for logs.
  std::string message() const;
};

}  // namespace kwire::producer

template <>
struct std::is_error_code_enum<kwire::producer::transaction_errc> : std::true_type {};

KWIRE_PUBLIC_END
