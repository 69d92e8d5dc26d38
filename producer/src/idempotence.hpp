#pragma once
// The idempotent producer (KIP-98, with KIP-360's epoch bumps): a producer
// id and epoch from InitProducerId, per-partition sequence numbers, and the
// decisions that keep every record in the log exactly once and in order
// through retries, lost responses, leader moves and broker restarts. Cut as
// the idempotent half of Kafka's Java TransactionManager (+ TxnPartitionEntry),
// behind the sender's ProducerStateManager seam (producer_state.hpp).
//
// State machine (one transition_to() checks and logs every move, STYLE 7):
//
//   uninitialized --InitProducerId sent--> initializing --answer--> assigned
//        ^  (retriable error, after backoff) <--'                   |    ^
//        |                                                          v    |
//        '---- epoch exhausted (INT16_MAX) ---- bumping_epoch --bumped-'
//   any state --fenced / INVALID_PRODUCER_EPOCH / refused--> fatal (final)
//
// Sequences (PITFALLS "Idempotence"):
//  * A batch gets its partition's next sequence when it is FIRST sealed
//    (seal_params); every resend carries the same producer id, epoch and
//    sequence — a lost response or a timeout is answered by the broker's
//    duplicate detection (the original offset, or DUPLICATE_SEQUENCE_NUMBER
//    from old brokers), never by a second copy in the log.
//  * Sequences wrap from INT32_MAX to 0.
//  * Per partition: the next sequence, the last acknowledged one, and the
//    unresolved batches (sent, not yet acknowledged or failed) in sequence
//    order. A batch being retried may only be sent when it is the first
//    unresolved one (Java's shouldStopDrainBatchesForPartition), so a retry
//    never overtakes an earlier batch; at most 5 batches per partition are
//    unresolved (KAFKA-5494: the broker remembers only the last 5), and
//    only one until the partition acknowledged a batch of the current epoch
//    (a broker without state for the producer id accepts any sequence).
//
// Errors (classify_idempotent_error, STYLE 6):
//  * DUPLICATE_SEQUENCE_NUMBER: already written — success (offset unknown).
//  * OUT_OF_ORDER_SEQUENCE_NUMBER behind an earlier unresolved batch: retry
//    once that one resolved; at the head of the line (the batch is the one
//    after the last acknowledged): the broker lost our sequence — bump.
//  * UNKNOWN_PRODUCER_ID (pre-2.5 brokers after state expiry): bump.
//  * INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, CLUSTER_AUTHORIZATION_FAILED:
//    fatal — the batch fails with the broker's error, everything pending and
//    every later send() with client_errc::fatal_producer_state.
//  * A batch that failed after being sent leaves a gap: bump. A batch that
//    expired (delivery.timeout.ms) or exhausted its retries while its fate was
//    unknown marks the partition unresolved: no new batch is sent to it until
//    its in-flight batches resolve; then, if the acknowledged sequences do not
//    reach the next one, bump (Java's maybeResolveSequences).
//
// Epoch bumps are LOCAL, as in Java (bumpIdempotentEpochAndResetIdIfNeeded):
// Kafka's coordinator gives an idempotent (non-transactional) producer a new
// producer id at epoch 0 on every InitProducerId, even when a v3+ request
// carries the current id and epoch, so the producer increments the epoch
// itself — the broker accepts a higher epoch starting at sequence 0
// (KIP-360) — and asks for a fresh id only when the epoch would pass
// INT16_MAX. The bump happens at the start of the sender's next round; the
// partitions that asked for it restart at sequence 0 and their unresolved
// batches are rewritten in place (ProducerBatch::rewrite_producer_state, new
// CRC) with consecutive sequences. Other partitions keep their old epoch
// until their unresolved batches are done, then restart at 0 with the new
// one (no new batch goes out while an older epoch is unresolved there).
//
// Splits (MESSAGE_TOO_LARGE): the pieces keep the original batch's
// sequences (Java's ProducerBatch.split). They are tracked as a range until
// each is first sealed, may follow batches in flight like new batches do,
// and an epoch bump of their partition waits until every piece is sealed:
// queued pieces carry their sequences in the accumulator, which orders
// retries by them, where a bump could not rewrite them.
//
// Thread: everything runs on the network (sender) thread, except
// fatal_error(), which application threads call from send().
#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include "kwire/producer/log.hpp"
#include "kwire/ids.hpp"
#include "produce_outcome.hpp"
#include "producer_state.hpp"
#include "kwire/producer/topic_partition.hpp"

namespace kwire::producer {

struct ProducerConfig;

/// Sequence numbers wrap from INT32_MAX to 0 (Kafka's
/// DefaultRecordBatch.incrementSequence).
constexpr std::int32_t add_to_sequence(std::int32_t sequence, std::int32_t increment) noexcept {
  constexpr std::int32_t max = std::numeric_limits<std::int32_t>::max();
  if (sequence > max - increment) return increment - (max - sequence) - 1;
  return sequence + increment;
}

/// A producer id and its epoch (Java's ProducerIdAndEpoch); -1/-1: none.
struct ProducerIdAndEpoch {
  ProducerId producer_id;
  ProducerEpoch epoch;
  bool valid() const noexcept { return producer_id.valid(); }
  friend bool operator==(const ProducerIdAndEpoch&, const ProducerIdAndEpoch&) = default;
};

enum class IdempotenceState : std::uint8_t {
  uninitialized,  ///< no producer id; InitProducerId goes out when the backoff allows
  initializing,   ///< InitProducerId in flight; nothing is sent
  assigned,       ///< producer id and epoch known: batches flow
  bumping_epoch,  ///< a partition asked for an epoch bump (KIP-360); done at the next round
  fatal,          ///< fenced or refused: final; every record fails
};
std::string_view to_string(IdempotenceState state) noexcept;

/// The legal moves of the state machine (see the diagram at the top).
/// Staying in the same state is not a transition.
bool is_legal_transition(IdempotenceState from, IdempotenceState to) noexcept;

/// What classify_idempotent_error needs to know about a batch's partition
/// (the inputs of Java's TransactionManager.canRetry).
struct SequenceContext {
  /// The batch's base sequence is the one after the last acknowledged: it is
  /// at the head of the line, nothing earlier is missing on our side.
  bool is_next = false;
  /// An epoch bump rewrote the batch's sequence after it was sent (Java's
  /// sequenceHasBeenReset): errors of its old incarnation are expected.
  bool sequence_reset = false;
  /// The partition has an expired batch whose fate is unknown.
  bool partition_unresolved = false;
  /// ... and this batch starts right after it: the expired batch was
  /// certainly not written, there is a real gap.
  bool follows_unresolved = false;
};

/// What to do with the sequence of a batch that got an error.
enum class SequenceAction : std::uint8_t {
  keep,        ///< done, or resend with the same producer id, epoch and sequence
  wait,        ///< resend with the same sequence once the earlier batches resolve
  bump_epoch,  ///< bump the epoch and restart the partition at sequence 0, then resend
  fatal,       ///< the producer cannot continue
};
std::string_view to_string(SequenceAction action) noexcept;

struct IdempotentErrorClass {
  ProduceErrorClass produce;  ///< for the sender: complete / retry / fail / fatal, refresh, persisted
  SequenceAction sequence = SequenceAction::keep;
  friend bool operator==(const IdempotentErrorClass&, const IdempotentErrorClass&) = default;
};

/// The idempotent producer's decision table: classify_produce_error, except
///  * OUT_OF_ORDER_SEQUENCE_NUMBER → retry, persisted no; `wait` when an
///    earlier batch is unresolved or the sequence was reset, else (head of
///    the line, or right after an expired batch) `bump_epoch`; with an
///    expired batch elsewhere in the partition, `wait`.
///  * UNKNOWN_PRODUCER_ID → retry, persisted no; `bump_epoch` unless the
///    sequence was already reset by a bump (then `keep`).
///  * DUPLICATE_SEQUENCE_NUMBER → complete (as without idempotence).
///  * whatever classify_produce_error calls fatal (PRODUCER_FENCED,
///    INVALID_PRODUCER_EPOCH, CLUSTER_AUTHORIZATION_FAILED, …) → `fatal`.
///  * everything else keeps its classification and its sequence.
IdempotentErrorClass classify_idempotent_error(std::error_code error, std::int32_t record_count,
                                               const SequenceContext& context) noexcept;

class IdempotentProducerState final : public ProducerStateManager {
 public:
  struct Options {
    std::int64_t retry_backoff_ms = 100;       ///< InitProducerId retries: retry.backoff.ms ...
    std::int64_t retry_backoff_max_ms = 1000;  ///< ... doubling up to retry.backoff.max.ms
    /// Unresolved batches per partition before new ones wait (KAFKA-5494).
    std::size_t max_unresolved_per_partition = 5;
    /// The same limit until the partition acknowledged a batch of the
    /// current epoch (may_drain() says why it is 1). Unit tests that pipeline
    /// from a partition's first batch on purpose raise it.
    std::size_t max_unresolved_before_first_ack = 1;
    bool debug = false;  ///< log sequence assignments and retries at debug level
    /// Tests only: where a partition's sequences start under a fresh
    /// producer id (a broker accepts any sequence from a producer it has no
    /// state for, KIP-360), to exercise the wrap at INT32_MAX. After an
    /// epoch bump they restart at 0, as brokers require.
    std::int32_t initial_sequence = 0;

    static Options from(const ProducerConfig& config);
  };

  IdempotentProducerState();
  explicit IdempotentProducerState(Options options, LogHandler log = {});

  // --- ProducerStateManager (network thread) --------------------------------
  void on_round_start(std::int64_t now_ms) override;
  bool wants_producer_id(std::int64_t now_ms, std::int64_t& next_ms) override;
  protocol::InitProducerIdRequest begin_producer_id_request(std::int64_t now_ms) override;
  void on_producer_id_response(std::error_code error, const protocol::InitProducerIdResponse& response,
                               std::int64_t now_ms) override;
  bool ready_to_send(std::int64_t now_ms) override;
  bool may_drain(const ProducerBatch& batch) override;
  protocol::BatchSealParams seal_params(const ProducerBatch& batch) override;
  void on_batch_sealed(ProducerBatch& batch) override;
  ProduceErrorClass classify(const ProducerBatch& batch, std::error_code error,
                             const ProduceErrorClass& base) const override;
  void on_batch_outcome(const ProducerBatch& batch, const BatchOutcome& outcome) override;
  /// OUT_OF_ORDER_SEQUENCE_NUMBER for `batch` while an earlier batch of its
  /// partition is unacknowledged: not a gap, the batch goes again after it.
  bool out_of_order_waits_for_earlier(const ProducerBatch& batch) const;
  void on_batch_expired(const ProducerBatch& batch) override;
  /// Any thread. The cause (e.g. errc::producer_fenced) once fatal, else empty.
  std::error_code fatal_error() const override;

  // --- State machine -----------------------------------------------------------
  IdempotenceState state() const noexcept { return state_; }
  /// The one place the state changes: refuses (logs an error, returns false,
  /// state unchanged) a move is_legal_transition() rejects; logs every move
  /// with `reason` at info level.
  bool transition_to(IdempotenceState next, std::string_view reason);

  // --- Introspection (network thread; tests) -------------------------------------
  ProducerIdAndEpoch producer_id_and_epoch() const noexcept { return current_; }
  /// The producer id/epoch the partition's sequences belong to (may be older
  /// than producer_id_and_epoch() until its unresolved batches are done).
  ProducerIdAndEpoch partition_producer_id_and_epoch(const TopicPartition& tp) const;
  /// The base sequence the partition's next new batch would get (0 if unknown).
  std::int32_t next_sequence(const TopicPartition& tp) const;
  /// Last sequence the broker acknowledged since the partition's epoch began.
  std::optional<std::int32_t> last_acked_sequence(const TopicPartition& tp) const;
  /// Batches sent to the partition and neither acknowledged nor failed yet.
  std::size_t unresolved_batches(const TopicPartition& tp) const;
  bool has_unresolved_sequence(const TopicPartition& tp) const;
  /// The partition waits for an epoch bump.
  bool epoch_bump_pending(const TopicPartition& tp) const;
  /// A one-line description of the fatal cause ("" if not fatal).
  std::string fatal_detail() const;
  /// Epoch bumps done so far (local and by a new producer id).
  std::uint64_t epoch_bumps() const noexcept { return epoch_bumps_; }

 private:
  /// One unresolved batch: sealed with `id` and sequences base..base+count-1.
  /// `batch == nullptr` marks a split range: the pieces of a batch the broker
  /// rejected as too large, queued with these sequences but not sealed yet;
  /// each piece gets its own entry when first sealed. A partition holding a
  /// split range is not rewritten (its epoch bump waits): the pieces carry
  /// their sequences in the accumulator, which orders retries by them.
  struct Entry {
    const ProducerBatch* batch = nullptr;
    ProducerBatch* writable = nullptr;  ///< from on_batch_sealed: where a bump rewrites it
    ProducerIdAndEpoch id;
    std::int32_t base = 0;
    std::int32_t count = 0;
    bool reset = false;  ///< rewritten by an epoch bump after it was first sent
  };
  struct Partition {
    ProducerIdAndEpoch id;  ///< the id/epoch next_sequence and last_acked belong to
    std::int32_t next_sequence = 0;
    std::int32_t last_acked = -1;  ///< -1: none yet in this epoch
    std::deque<Entry> unresolved;  ///< in sequence (assignment) order
    std::optional<std::int32_t> unresolved_next;  ///< sequence after an expired batch of unknown fate
    bool bump_requested = false;  ///< Java's partitionsToRewriteSequences
  };

  Partition* find(const TopicPartition& tp);
  const Partition* find(const TopicPartition& tp) const;
  /// The entry holding `batch`: its own, or the split range its sequence falls in.
  Entry* find_entry(Partition& p, const ProducerBatch& batch);
  const Entry* find_entry(const Partition& p, const ProducerBatch& batch) const;
  SequenceContext context_for(const Partition& p, const Entry* entry, const ProducerBatch& batch) const;
  /// Removes `batch`'s entry (or its part of a split range); with `piece`,
  /// a piece of a split range gets its own entry in its place instead.
  void remove_entry(Partition& p, const ProducerBatch& batch, const Entry* piece = nullptr);
  void note_acked(Partition& p, const ProducerBatch& batch);
  void mark_unresolved(Partition& p, const TopicPartition& tp, const ProducerBatch& batch);
  void request_bump(Partition& p, const TopicPartition& tp, std::string_view why);
  void maybe_resolve_sequences();
  void maybe_bump_epoch();
  /// Restarts every partition that asked for a bump at sequence 0 under
  /// current_, rewriting its unresolved batches.
  void rewrite_requested_partitions();
  void enter_fatal(std::error_code cause, const std::string& detail);
  void log(LogLevel level, const std::string& message) const;
  static std::string name(const TopicPartition& tp);

  Options options_;
  LogHandler log_;
  IdempotenceState state_ = IdempotenceState::uninitialized;
  ProducerIdAndEpoch current_;
  ProducerEpoch initial_epoch_;  ///< the epoch InitProducerId gave current_'s id
  std::unordered_map<TopicPartition, Partition, TopicPartitionHash> partitions_;
  std::int32_t init_attempts_ = 0;
  std::int64_t next_init_ms_ = 0;
  std::uint64_t epoch_bumps_ = 0;

  // Fatal cause, published to application threads: value and category are
  // written before `fatal_` is set (release), read after it (acquire).
  std::atomic<bool> fatal_{false};
  std::error_code fatal_cause_;
  std::string fatal_detail_;
};

}  // namespace kwire::producer
