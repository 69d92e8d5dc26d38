#pragma once
// ProducerBatch: one record batch v2 under construction for one partition,
// plus everything the producer needs to finish it: the per-record delivery
// callbacks, the retry state and the producer state it was sealed with.
// Cut as Kafka's Java client's producer/internals/ProducerBatch.
//
// Life of a batch (and which thread touches it):
//   pending    queued in the RecordAccumulator; records are appended by the
//              application threads under the partition's lock.
//   in_flight  drained by the sender (network thread), sealed and sent. From
//              here on only the sender touches it.
//   pending    again if the sender re-enqueues it for a retry (same bytes,
//              same sequence: PITFALLS "resend with the same sequence").
//   succeeded / failed
//              complete() ran every callback exactly once. The sender then
//              hands the batch back to RecordAccumulator::deallocate(), which
//              recycles the object (its buffers keep their capacity).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "callback_error_log.hpp"
#include "kwire/producer/record.hpp"
#include "kwire/producer/topic_partition.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::producer {

// DeliveryCallback: record.hpp.

enum class BatchState : std::uint8_t {
  pending,    ///< queued in the accumulator (new, or waiting for a retry)
  in_flight,  ///< drained by the sender
  succeeded,  ///< completed without error; callbacks ran
  failed,     ///< completed with an error; callbacks ran
};

class ProducerBatch;
/// Ownership of a batch moves between the accumulator (queued) and the sender
/// (in flight). Every batch the sender drains must come back through
/// RecordAccumulator::deallocate(), reenqueue() or split_and_reenqueue().
using BatchPtr = std::unique_ptr<ProducerBatch>;

class ProducerBatch {
 public:
  /// base_sequence of a batch that has none (non-idempotent, or not yet sent).
  static constexpr std::int32_t no_sequence = -1;

  ProducerBatch() = default;
  ~ProducerBatch();
  ProducerBatch(const ProducerBatch&) = delete;
  ProducerBatch& operator=(const ProducerBatch&) = delete;

  /// (Re)initialises a new or recycled batch for `tp`, created at `now_ms`,
  /// accepting records while it stays within `max_batch_bytes` (batch.size;
  /// the first record always fits). `reserve_bytes` pre-sizes the byte buffer
  /// so it never reallocates while filling. Keeps every buffer's capacity.
  void reset(const TopicPartition& tp, std::int64_t now_ms, std::size_t max_batch_bytes,
             std::size_t reserve_bytes = 0);

  /// Bytes the record would add if appended next (see
  /// protocol::RecordBatchBuilder::next_record_size).
  std::size_t next_record_size(std::int64_t timestamp_ms, std::optional<std::span<const std::uint8_t>> key,
                               std::optional<std::span<const std::uint8_t>> value,
                               std::span<const protocol::RecordHeader> headers) const noexcept;

  /// Appends one record if the batch is open and has room; `callback` is
  /// moved from only on success. Returns false (and closes the batch for
  /// appends, so it counts as full) when the record does not fit.
  bool try_append(std::int64_t timestamp_ms, std::optional<std::span<const std::uint8_t>> key,
                  std::optional<std::span<const std::uint8_t>> value,
                  std::span<const protocol::RecordHeader> headers, DeliveryCallback& callback,
                  std::int64_t now_ms);

  // --- Sending (sender thread) -------------------------------------------

  /// Seals the records into a finished batch v2 with the given producer state
  /// (see protocol::RecordBatchBuilder::seal). A retried batch is already
  /// sealed: calling seal() again returns the same bytes when the producer
  /// state is unchanged and rewrites it (CRC recomputed) when it differs, as
  /// KIP-360's epoch bump needs. Never re-encodes or re-compresses.
  std::span<const std::uint8_t> seal(const protocol::BatchSealParams& params,
                                     const protocol::RecordsCompressor& compress = {});
  bool sealed() const noexcept { return builder_.sealed(); }
  /// Compresses (for a codec other than none) and checksums the records
  /// ahead of seal() (protocol::RecordBatchBuilder::finish_records): an
  /// application thread that would otherwise wait for buffer.memory does
  /// this part of the network thread's work for a batch it closed. Closes
  /// the batch for appends. The accumulator brackets the call with its
  /// `preparing` flag.
  bool finish_records(compression::Codec codec, const protocol::RecordsCompressor& compress);
  /// The sealed bytes (empty before seal()).
  std::span<const std::uint8_t> bytes() const noexcept { return builder_.bytes(); }
  /// Rewrites producer id/epoch/base sequence of the sealed batch in place
  /// (KIP-360 sequence reset). Java's ProducerBatch.resetProducerState.
  void rewrite_producer_state(std::int64_t producer_id, std::int16_t producer_epoch, std::int32_t base_sequence);

  // --- Completion (sender thread) ----------------------------------------

  /// Finishes the batch: runs every record's callback exactly once, record i
  /// getting offset base_offset + i (-1 on error, or when base_offset is -1
  /// as with acks=0) and its own CreateTime, or `log_append_time_ms` when the
  /// broker returned one (not -1). Returns true if this call completed the
  /// batch. A second completion never runs a callback again: it returns
  /// false. That is expected after delivery.timeout.ms failed an in-flight
  /// batch whose response then arrived (Java logs the same); completing a
  /// batch that already *succeeded* is a sender bug and asserts in debug
  /// builds. A callback that throws is caught, so the others still run.
  /// `detail` (failures only) goes into every report's DeliveryReport::detail.
  bool complete(std::int64_t base_offset, std::int64_t log_append_time_ms, std::error_code error = {},
                std::string_view detail = {});
  /// complete(-1, -1, error, detail).
  bool fail(std::error_code error, std::string_view detail = {}) { return complete(-1, -1, error, detail); }

  /// Splits a batch the broker rejected with MESSAGE_TOO_LARGE into at least
  /// two batches, keeping record order, timestamps and callbacks (moved into
  /// the new batches). Java's ProducerBatch.split. Each piece holds at most
  /// min(`max_batch_bytes`, header + half of this batch's uncompressed
  /// records) bytes, a record bigger than that getting a piece of its own.
  /// The halving matters because kwire measures batch.size on uncompressed
  /// bytes: a rejected batch is usually no bigger than batch.size, so
  /// splitting by batch.size alone (as Java can, whose batches overshoot it
  /// through compression estimates) would not make progress; repeated
  /// rejections halve again until single records remain.
  ///
  /// The records are read back by decoding this batch's bytes with
  /// protocol::decode_record_batch (an unsealed batch is sealed first, with
  /// no producer state): one code path whether or not the batch was
  /// compressed; `decompress` is needed for compressed ones. The new batches
  /// keep this batch's creation time (delivery.timeout.ms still counts from
  /// the original send) and topic-partition, have no attempts, and if this
  /// batch had a sequence they get consecutive ones from it (same producer
  /// id/epoch; they are not sealed yet). Afterwards this batch is `failed`
  /// with no callbacks left, so completing it reports nothing.
  ///
  /// Returns an empty vector, leaving this batch untouched, if it holds
  /// fewer than two records or its bytes do not decode (`error` says why).
  std::vector<BatchPtr> split(std::size_t max_batch_bytes, std::error_code& error,
                              const protocol::RecordsDecompressor& decompress = {});

  // --- State -------------------------------------------------------------

  const TopicPartition& topic_partition() const noexcept { return tp_; }
  BatchState state() const noexcept { return state_; }
  bool is_done() const noexcept { return state_ == BatchState::succeeded || state_ == BatchState::failed; }
  /// The error the batch completed with (empty if it succeeded or is not done).
  std::error_code final_error() const noexcept { return final_error_; }

  std::int32_t record_count() const noexcept { return builder_.record_count(); }
  /// Size of the batch in bytes, 61-byte header included, uncompressed.
  std::size_t size_in_bytes() const noexcept { return builder_.size_in_bytes(); }
  /// Full: closed for appends, or no room left for even the smallest record.
  bool is_full() const noexcept {
    return closed_for_appends_ || builder_.size_in_bytes() + protocol::kMinRecordSize > max_batch_bytes_;
  }
  bool closed_for_appends() const noexcept { return closed_for_appends_; }
  /// No more appends (the batch was drained, or the next record did not fit).
  void close_for_appends() noexcept { closed_for_appends_ = true; }

  std::int64_t created_ms() const noexcept { return created_ms_; }
  std::int64_t last_append_ms() const noexcept { return last_append_ms_; }
  /// Time of the last (re-)enqueue: creation, then every retry.
  std::int64_t last_attempt_ms() const noexcept { return last_attempt_ms_; }
  /// Time the batch was last drained (0 before).
  std::int64_t drained_ms() const noexcept { return drained_ms_; }
  /// Retries so far (Java's attempts(): 0 until the first reenqueue).
  std::int32_t attempts() const noexcept { return attempts_; }
  bool in_retry() const noexcept { return attempts_ > 0; }
  /// Until when a retried batch backs off (retry.backoff.ms with jitter).
  std::int64_t retry_ready_ms() const noexcept { return retry_ready_ms_; }
  bool backing_off(std::int64_t now_ms) const noexcept { return attempts_ > 0 && now_ms < retry_ready_ms_; }
  /// delivery.timeout.ms counts from creation (KIP-91), retries included.
  bool has_reached_delivery_timeout(std::int64_t delivery_timeout_ms, std::int64_t now_ms) const noexcept {
    return now_ms - created_ms_ >= delivery_timeout_ms;
  }

  std::int64_t producer_id() const noexcept { return producer_id_; }
  std::int16_t producer_epoch() const noexcept { return producer_epoch_; }
  std::int32_t base_sequence() const noexcept { return base_sequence_; }
  bool has_sequence() const noexcept { return base_sequence_ != no_sequence; }
  bool is_transactional() const noexcept { return transactional_; }
  /// Records producer state before sealing, for split() and for the sender's
  /// bookkeeping; seal() applies it. Java's setProducerState.
  void set_producer_state(std::int64_t producer_id, std::int16_t producer_epoch, std::int32_t base_sequence,
                          bool is_transactional) noexcept;

  /// Created by split(): allocated outside the accumulator's memory budget
  /// (as in Java), so deallocate() frees it instead of pooling it.
  bool is_split_batch() const noexcept { return split_batch_; }

  // --- Accumulator bookkeeping -------------------------------------------
  // Used by RecordAccumulator and BufferPool; not meant for other callers.

  /// Bytes of buffer.memory this batch holds (0 for split batches).
  std::size_t reserved_bytes() const noexcept { return reserved_bytes_; }
  void set_reserved_bytes(std::size_t bytes) noexcept { reserved_bytes_ = bytes; }
  /// Where a throwing callback is logged (the accumulator's; kept by
  /// reset(), inherited by split pieces). Null: caught silently.
  void set_callback_error_log(CallbackErrorLog* log) noexcept { callback_errors_ = log; }
  /// Marks the batch drained at `now_ms`: in flight, closed for appends.
  void mark_drained(std::int64_t now_ms) noexcept;
  /// Marks the batch queued again for retry number attempts()+1, to be sent
  /// no earlier than now_ms + backoff_ms. Java's reenqueued().
  void mark_reenqueued(std::int64_t now_ms, std::int64_t backoff_ms) noexcept;

 private:
  friend class RecordAccumulator;

  struct RecordSlot {
    std::int64_t timestamp_ms = 0;
    DeliveryCallback callback;
  };

  protocol::RecordBatchBuilder builder_;
  TopicPartition tp_;
  CallbackErrorLog* callback_errors_ = nullptr;
  /// Why the last attempt failed (RecordAccumulator::reenqueue with a
  /// cause), for the delivery-timeout report.
  std::error_code retry_cause_;
  std::string retry_cause_detail_;
  /// Per-record completion info, in append order. Its capacity survives
  /// recycling, so appends stop allocating once it has grown.
  std::vector<RecordSlot> records_;
  std::size_t max_batch_bytes_ = 0;

  std::int64_t created_ms_ = 0;
  std::int64_t last_append_ms_ = 0;
  std::int64_t last_attempt_ms_ = 0;
  std::int64_t drained_ms_ = 0;
  std::int64_t retry_ready_ms_ = 0;
  std::int32_t attempts_ = 0;

  std::int64_t producer_id_ = -1;
  std::int16_t producer_epoch_ = -1;
  std::int32_t base_sequence_ = no_sequence;
  bool transactional_ = false;
  /// Size of the records section before compression, saved by seal().
  std::size_t uncompressed_records_bytes_ = 0;

  BatchState state_ = BatchState::pending;
  std::error_code final_error_;
  bool closed_for_appends_ = false;
  bool split_batch_ = false;
  /// An application thread is finishing the records outside the partition
  /// lock: nobody else may touch the batch until it clears (accumulator,
  /// under the partition lock).
  bool preparing_ = false;

  // Owned by RecordAccumulator (under its incomplete-list lock): reservation,
  // flush generation and the intrusive list of incomplete batches, which
  // lets flush, expiry and abort reach in-flight batches without a heap node.
  std::size_t reserved_bytes_ = 0;
  std::uint64_t id_ = 0;
  /// Statistics: its records were counted as sent (first drain, or its end
  /// if never drained); split pieces start counted (their parent was).
  bool counted_sent_ = false;
  ProducerBatch* incomplete_prev_ = nullptr;
  ProducerBatch* incomplete_next_ = nullptr;
  bool in_incomplete_ = false;
};

}  // namespace kwire::producer
