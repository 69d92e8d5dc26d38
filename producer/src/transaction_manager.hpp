#pragma once
// The transactional producer's state machine (KIP-98, KIP-447, KIP-890), cut
// as Kafka's Java TransactionManager: sans-I/O. It turns the application's
// calls (init / begin / send_offsets / commit / abort) and the produce
// path's events into coordinator requests, one at a time and in Java's
// priority order, and it consumes their responses and the clock. Who sends
// the requests (the coordinator lookup, the connection, the version cap) is
// the driver's business: TransactionRequest says where a request goes and
// the highest version the transaction protocol allows.
//
// States and transitions (Java's State.isTransitionValid; one checked
// transition_to() logs every move, STYLE 7):
//
//   uninitialized --init--> initializing --InitProducerId--> ready
//   ready --begin--> in_transaction --commit--> committing --EndTxn--> ready
//   in_transaction | abortable_error --abort--> aborting --EndTxn--> ready
//   committing | aborting --(epoch bump needed)--> initializing --> ready
//   in_transaction | committing | initializing --abortable error--> abortable_error
//   abortable_error --(InitProducerId refused, e.g. not authorized)--> uninitialized
//   any --fenced or fatal error--> fatal_error (final: every call fails)
//
// Transaction versions (KIP-890). TV1: a partition joins the transaction by
// AddPartitionsToTxn (v0-3) before its first batch goes out
// (is_send_to_partition_allowed), the group's offsets by AddOffsetsToTxn,
// and EndTxn / TxnOffsetCommit stay at v4, Produce at v11. TV2 (the
// cluster's finalized transaction.version >= 2): no AddPartitionsToTxn
// (Produce v12+ adds the partition), no AddOffsetsToTxn (TxnOffsetCommit
// v5+), and EndTxn v5 answers with the producer id and epoch for the next
// transaction, which are adopted with every sequence reset to 0 (a new
// producer id at epoch 0 when the epoch is exhausted, KAFKA-18660). The
// version is read at init and at every commit or abort (on TV1 the sender
// re-reads the cluster's features every metadata.max.age.ms,
// transaction_features.hpp); an upgrade seen
// at a commit or abort bumps the epoch after it (InitProducerId with the
// current id and epoch), so the first TV2 transaction starts on a fresh
// epoch, as Java does.
//
// Errors (transaction_errors.hpp, KIP-1050): retriable ones are retried
// with backoff and never surfaced — CONCURRENT_TRANSACTIONS first of all,
// which follows every commit while the markers are written — until
// `retry_timeout_ms` has passed since the request was first queued
// (KAFKA-20077: no unbounded retry loop); then the transaction becomes
// abortable (KAFKA-19176), or, while aborting, the producer fatal.
// NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / a disconnect queue a
// coordinator lookup first. Abortable errors move to abortable_error: every
// call but abort fails with that error until the abort completes. Fenced
// and fatal errors are final.
//
// User calls return a TransactionResult that completes later. A call the
// application gave up waiting for (its own max.block.ms) stays pending: the
// same call again returns the same result (Java's
// handleCachedTransactionRequestResult), any other transactional call fails
// with transaction_errc::operation_pending until the pending one has been
// collected (acknowledge()) — so a commit retried after a timeout can never
// turn into a second EndTxn with other semantics.
//
// Thread: one thread (the network thread) calls everything; results are
// read on that thread too (the producer's facade hands them over).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "idempotence.hpp"
#include "kwire/producer/log.hpp"
#include "kwire/producer/topic_partition.hpp"
#include "kwire/producer/transaction.hpp"
#include "kwire/protocol/add_offsets_to_txn.hpp"
#include "kwire/protocol/add_partitions_to_txn.hpp"
#include "kwire/protocol/end_txn.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/txn_offset_commit.hpp"
#include "transaction_errors.hpp"

namespace kwire::producer {

enum class TransactionState : std::uint8_t {
  uninitialized,
  initializing,
  ready,
  in_transaction,
  committing_transaction,
  aborting_transaction,
  abortable_error,
  fatal_error,
};
std::string_view to_string(TransactionState state) noexcept;

/// Java's State.isTransitionValid (see the diagram at the top). Staying in
/// abortable_error is legal (a second abortable error); fatal_error is
/// reachable from anywhere and left never.
bool is_valid_transition(TransactionState from, TransactionState to) noexcept;

/// The application's transactional calls.
enum class TransactionOperation : std::uint8_t { init, send_offsets, commit, abort };
std::string_view to_string(TransactionOperation operation) noexcept;

/// The outcome of a user call, completed by the manager.
class TransactionResult {
 public:
  bool done() const noexcept { return done_; }
  /// Empty on success (once done()).
  std::error_code error() const noexcept { return error_; }
  /// Why, in words (which call is pending, the broker's error and where).
  const std::string& detail() const noexcept { return detail_; }
  /// The caller saw the outcome: the same call may start afresh next time.
  void acknowledge() noexcept { acknowledged_ = done_; }
  bool acknowledged() const noexcept { return acknowledged_; }

  void complete(std::error_code error = {}, std::string detail = {});

 private:
  bool done_ = false;
  bool acknowledged_ = false;
  std::error_code error_;
  std::string detail_;
};
using TransactionResultPtr = std::shared_ptr<TransactionResult>;

/// Where a request goes: the transaction coordinator (key: the
/// transactional id) or a group coordinator (key: the group id).
enum class CoordinatorType : std::uint8_t { group = 0, transaction = 1 };

/// "Look up the coordinator for `key`" (FindCoordinator, key type 0 or 1):
/// the driver resolves it through the cluster's coordinator cache, forcing
/// a fresh lookup, and answers with on_response(id, error, std::monostate).
struct CoordinatorLookup {
  CoordinatorType type = CoordinatorType::transaction;
  std::string key;
};

using TransactionRequestBody =
    std::variant<CoordinatorLookup, protocol::InitProducerIdRequest, protocol::AddPartitionsToTxnRequest,
                 protocol::AddOffsetsToTxnRequest, protocol::TxnOffsetCommitRequest, protocol::EndTxnRequest>;

using TransactionResponseBody =
    std::variant<std::monostate, protocol::InitProducerIdResponse, protocol::AddPartitionsToTxnResponse,
                 protocol::AddOffsetsToTxnResponse, protocol::TxnOffsetCommitResponse, protocol::EndTxnResponse>;

/// Java's request priorities (TransactionManager.Priority): a lookup first,
/// then the producer id, then partitions and offsets, then EndTxn, then an
/// epoch bump after the transaction ended.
enum class TransactionPriority : std::uint8_t {
  find_coordinator = 0,
  init_producer_id = 1,
  add_partitions_or_offsets = 2,
  end_txn = 3,
  epoch_bump = 4,
};

/// A request the driver must send now.
struct TransactionRequest {
  std::uint64_t id = 0;  ///< answered by on_response(id, ...)
  TransactionPriority priority = TransactionPriority::find_coordinator;
  CoordinatorType destination = CoordinatorType::transaction;
  std::string coordinator_key;  ///< the transactional id or the group id
  /// The highest version the transaction protocol in use allows (TV1: EndTxn
  /// and TxnOffsetCommit 4, AddPartitionsToTxn 3); the driver sends
  /// min(this, the broker's).
  std::int16_t max_version = 0;
  TransactionRequestBody body;
};

struct TransactionConfig {
  std::string transactional_id;
  std::int32_t transaction_timeout_ms = 60000;
  std::int64_t retry_backoff_ms = 100;  ///< retry.backoff.ms
  /// Java's ADD_PARTITIONS_RETRY_BACKOFF_MS: CONCURRENT_TRANSACTIONS on the
  /// first AddPartitionsToTxn of a transaction (right after a commit, while
  /// the markers are written) is retried sooner.
  std::int64_t add_partitions_retry_backoff_ms = 20;
  /// How long a retriable coordinator error may go on before it counts as
  /// exhausted (KAFKA-19176, KAFKA-20077). Default: the transaction timeout.
  std::int64_t retry_timeout_ms = -1;
  bool debug = false;  ///< log every request and response at debug level
};

class TransactionManager {
 public:
  explicit TransactionManager(TransactionConfig config, LogHandler log = {});

  // --- Application calls -------------------------------------------------------
  TransactionResultPtr init_transactions(std::int64_t now_ms);
  /// Local only (nothing goes on the wire). Fails with the stored error in
  /// abortable_error / fatal_error, with invalid_state outside ready.
  std::error_code begin_transaction();
  TransactionResultPtr send_offsets_to_transaction(const std::vector<OffsetToCommit>& offsets,
                                                   const ConsumerGroupMetadata& group, std::int64_t now_ms);
  TransactionResultPtr commit_transaction(std::int64_t now_ms);
  TransactionResultPtr abort_transaction(std::int64_t now_ms);

  // --- Cluster facts (the driver) ------------------------------------------------
  /// The cluster's finalized transaction.version (ApiVersions v3+, KIP-584);
  /// read at init and at every commit or abort.
  void on_finalized_transaction_version(std::int16_t level) noexcept { cluster_transaction_version_ = level; }
  /// The connection to a coordinator dropped: look it up again before the
  /// next request to it.
  void on_coordinator_disconnected(CoordinatorType type);

  // --- The coordinator channel (the driver) --------------------------------------
  /// The next request to send, if one is due and none is in flight.
  /// `incomplete_batches`: records are still queued or in flight; EndTxn waits
  /// until they are done (Java's nextRequest), so an abort awaits the
  /// batches in flight and a commit covers every record.
  std::optional<TransactionRequest> next_request(std::int64_t now_ms, bool incomplete_batches);
  /// When a backoff ends and next_request may return something new, or -1
  /// when nothing waits on a timer. A request that is due but held back
  /// (EndTxn behind incomplete batches, a coordinator being looked up) is
  /// released by an event — a response — that runs the driver anyway; a
  /// past time here would make the driver spin until then.
  std::int64_t next_wakeup_ms(std::int64_t now_ms) const noexcept;
  /// The answer to request `id`: `error` is a transport failure (disconnected,
  /// timed out) or, for a CoordinatorLookup, the lookup's Kafka error; the
  /// body is the decoded response (std::monostate for a lookup or a failure).
  void on_response(std::uint64_t id, std::error_code error, const TransactionResponseBody& body, std::int64_t now_ms);

  // --- The produce path (the sender) ---------------------------------------------
  /// A batch for `tp` is waiting: under TV1 the partition joins the
  /// transaction by the next AddPartitionsToTxn (Java's maybeAddPartition).
  void maybe_add_partition(const TopicPartition& tp);
  /// TV1: only partitions already in the transaction may be sent to; TV2:
  /// every partition, inside a transaction.
  bool is_send_to_partition_allowed(const TopicPartition& tp) const;
  /// A batch for `tp` goes out now (TV2: the broker may add the partition).
  void on_produce_attempt(const TopicPartition& tp);
  /// A batch for `tp` ended: success, or a final failure (any of which
  /// makes the transaction abortable: its records are not in the log).
  void on_batch_completed(const TopicPartition& tp, std::error_code error);
  /// Undrained batches must fail at once (abortable_error / aborting /
  /// fatal_error: Java's accumulator.abortUndrainedBatches).
  bool should_abort_undrained_batches() const noexcept;
  /// The next base sequence for `tp` under the current producer id and
  /// epoch, advancing it by `record_count`; sequences restart at 0 with every
  /// new id or epoch.
  std::int32_t next_sequence(const TopicPartition& tp, std::int32_t record_count);

  // --- Introspection -------------------------------------------------------------
  TransactionState state() const noexcept { return state_; }
  ProducerIdAndEpoch producer_id_and_epoch() const noexcept { return producer_; }
  bool transaction_v2() const noexcept { return transaction_v2_; }
  /// The error that put the manager in abortable_error or fatal_error.
  std::error_code last_error() const noexcept { return last_error_; }
  const std::string& last_error_detail() const noexcept { return last_error_detail_; }
  const std::string& transactional_id() const noexcept { return config_.transactional_id; }
  bool has_in_flight_request() const noexcept { return in_flight_.has_value(); }

  /// The one place the state changes: refuses (logs, returns false) a move
  /// Java's table does not allow.
  bool transition_to(TransactionState next, std::string_view reason);

 private:
  /// A queued request and what its answer completes.
  struct Pending {
    TransactionRequest request;
    TransactionResultPtr result;      ///< completed by this request (or a follow-up)
    std::int64_t first_queued_ms = 0;  ///< for retry_timeout_ms
    std::int64_t not_before_ms = 0;   ///< backoff
    std::uint64_t order = 0;          ///< FIFO among equal priorities
  };

  // User calls.
  /// Java's handleCachedTransactionRequestResult: the pending result of the
  /// same call, operation_pending for another call, else `start()`.
  TransactionResultPtr cached_or(TransactionOperation operation, const std::function<TransactionResultPtr()>& start);
  TransactionResultPtr start_init(std::int64_t now_ms);
  TransactionResultPtr start_send_offsets(const std::vector<OffsetToCommit>& offsets,
                                          const ConsumerGroupMetadata& group, std::int64_t now_ms);
  TransactionResultPtr start_end(bool commit, std::int64_t now_ms);
  TransactionResultPtr failed(std::error_code error, std::string detail) const;
  /// operation_pending while a timed-out call waits to be repeated.
  std::error_code pending_call_error(std::string_view attempted, std::string& detail);
  void refresh_transaction_version();

  // Queue.
  void enqueue(TransactionPriority priority, TransactionRequestBody body, TransactionResultPtr result,
               std::int64_t now_ms, CoordinatorType destination = CoordinatorType::transaction,
               std::string coordinator_key = {});
  void requeue(Pending pending, std::int64_t now_ms, std::int64_t backoff_ms);
  void forget_coordinator(CoordinatorType type, const std::string& key);
  bool coordinator_known(const Pending& pending) const;
  /// Java's queue order: priority, then first queued first.
  static bool runs_before(const Pending& a, const Pending& b) noexcept;
  std::vector<Pending>::iterator queue_head();
  void enqueue_add_partitions(std::int64_t now_ms);
  protocol::InitProducerIdRequest init_request(bool bump) const;
  /// EndTxn reached the head of the queue: false when it was completed
  /// locally instead (nothing was started, Java's nextRequest).
  bool prepare_end_txn(Pending& pending);

  // Responses. Each completes, requeues or fails `pending`.
  void dispatch(Pending pending, std::error_code error, const TransactionResponseBody& body, std::int64_t now_ms);
  void handle_error(Pending pending, std::error_code error, TransactionApi api, std::int64_t now_ms);
  void on_lookup(Pending pending, std::error_code error, std::int64_t now_ms);
  void on_init_producer_id(Pending pending, const protocol::InitProducerIdResponse& response, std::int64_t now_ms);
  void on_add_partitions(Pending pending, const protocol::AddPartitionsToTxnResponse& response, std::int64_t now_ms);
  void on_add_offsets(Pending pending, const protocol::AddOffsetsToTxnResponse& response, std::int64_t now_ms);
  void on_txn_offset_commit(Pending pending, const protocol::TxnOffsetCommitResponse& response, std::int64_t now_ms);
  void on_end_txn(Pending pending, const protocol::EndTxnResponse& response, std::int64_t now_ms);

  // State changes.
  void set_producer(ProducerIdAndEpoch producer);
  void enter_abortable(std::error_code error, const std::string& detail);
  void enter_fatal(std::error_code error, const std::string& detail);
  /// Drops every queued request but coordinator lookups, failing their results.
  void fail_queued(std::error_code error, const std::string& detail);
  /// EndTxn succeeded (or was not needed): ready, or an epoch bump first.
  void complete_transaction(const TransactionResultPtr& result, std::int64_t now_ms);
  void reset_transaction();
  void log(LogLevel level, const std::string& message) const;

  TransactionConfig config_;
  LogHandler log_;
  TransactionState state_ = TransactionState::uninitialized;
  ProducerIdAndEpoch producer_;
  std::int16_t cluster_transaction_version_ = 0;
  bool transaction_v2_ = false;
  bool upgrade_bump_required_ = false;  ///< TV1 -> TV2 seen: bump after this transaction ends
  bool epoch_bump_required_ = false;    ///< TV1 sequence/producer-id error: bump after the abort
  std::error_code last_error_;
  std::string last_error_detail_;

  // The transaction in progress.
  std::unordered_set<TopicPartition> partitions_in_transaction_;  ///< TV1: added; TV2: attempted
  std::unordered_set<TopicPartition> new_partitions_;             ///< TV1: not yet in a request
  std::unordered_set<TopicPartition> pending_partitions_;         ///< TV1: in the AddPartitionsToTxn in flight
  /// Something is on the broker's side of the transaction, so it must be
  /// ended with EndTxn (Java's transactionStarted): TV1 a partition or the
  /// offsets were added; TV2 a batch was appended or offsets sent (the
  /// broker adds partitions implicitly, so a failed produce still counts).
  bool transaction_started_ = false;
  bool offsets_in_transaction_ = false;  ///< TV1 AddOffsetsToTxn succeeded / TV2 TxnOffsetCommit sent
  bool produce_attempted_ = false;
  bool produce_succeeded_ = false;
  std::unordered_map<TopicPartition, std::int32_t> sequences_;

  // The coordinator channel.
  std::vector<Pending> queue_;
  std::optional<Pending> in_flight_;
  std::uint64_t next_id_ = 1;
  std::uint64_t next_order_ = 0;
  bool transaction_coordinator_known_ = false;
  std::unordered_set<std::string> known_group_coordinators_;

  // The user call pending (Java's pendingTransition).
  TransactionOperation pending_operation_ = TransactionOperation::init;
  TransactionResultPtr pending_result_;
};

}  // namespace kwire::producer
