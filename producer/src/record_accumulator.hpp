#pragma once
// RecordAccumulator: per-partition queues of ProducerBatches between the
// application threads that append records and the network thread that sends
// them. Cut as Kafka's Java client's producer/internals/RecordAccumulator:
// append() / ready() / drain() / reenqueue() / expire / flush / abort.
//
// Sans-I/O: every decision takes `now_ms` (milliseconds on one monotonic
// clock the caller chooses — the producer passes steady_clock, tests pass a
// counter). The one exception is waiting: append() blocking for buffer
// memory (max.block.ms) and await_flush_completion() wait in real time,
// because they block the calling thread by design.
//
// Threads:
//  * append() may be called from any thread concurrently (per-partition
//    lock; the partition map itself is a shared lock, taken exclusively only
//    the first time a partition is seen).
//  * begin_flush() / await_flush_completion() / close() from any thread.
//  * everything else from the network (sender) thread only.
//  Delivery callbacks always run on the thread that completes the batch
//  (the sender's), never under an accumulator lock, so a callback may call
//  append() again.
//
// Memory: batch objects are recycled through a BufferPool free list, each
// partition queue is a ring buffer that keeps its capacity, and callbacks are
// stored in a vector that keeps its capacity: once warmed up, append()
// performs no heap allocation (unless a callback's captures exceed
// std::function's 16-byte small buffer, or a record has more headers than
// seen before on that thread).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "kwire/compression/codec.hpp"
#include "buffer_pool.hpp"
#include "kwire/ids.hpp"
#include "producer_batch.hpp"
#include "kwire/cluster/backoff.hpp"
#include "kwire/producer/record.hpp"
#include "kwire/producer/topic_partition.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::producer {

struct ProducerConfig;

/// "No deadline": the value of next_ready_check_delay_ms with nothing queued.
using cluster::kNoDeadline;

/// The producer settings the accumulator uses (Kafka's names in comments).
struct AccumulatorConfig {
  std::size_t batch_size = 16384;                   ///< batch.size
  std::int64_t linger_ms = 5;                       ///< linger.ms
  std::size_t buffer_memory = 32 * 1024 * 1024;     ///< buffer.memory
  std::int64_t max_block_ms = 60000;                ///< max.block.ms
  std::int64_t delivery_timeout_ms = 120000;        ///< delivery.timeout.ms
  std::int64_t retry_backoff_ms = 100;              ///< retry.backoff.ms
  std::int64_t retry_backoff_max_ms = 1000;         ///< retry.backoff.max.ms (KIP-580)
  std::size_t max_request_size = 1048576;           ///< max.request.size
  /// compression.type and its level: when buffer.memory runs out, an
  /// appending thread compresses and checksums the batch it just closed
  /// instead of only waiting for the network thread (see append()).
  compression::Codec compression = compression::Codec::none;
  int compression_level = compression::kDefaultLevel;
  /// Seed of the retry-backoff jitter; 0 seeds from std::random_device.
  std::uint64_t jitter_seed = 0;

  /// Takes the settings from a validated ProducerConfig.
  static AccumulatorConfig from(const ProducerConfig& config);
};


struct AppendResult {
  /// record_too_large (larger than max.request.size),
  /// record_exceeds_buffer_memory (larger than buffer.memory), queue_full
  /// (no memory within max.block.ms) or shutting_down. On error the
  /// callback was not taken: the caller reports the record itself.
  std::error_code error;
  /// For the size errors: the record's size, the limit and the setting to
  /// change (the report's detail).
  std::string detail;
  /// The partition now has a full batch (or more than one).
  bool batch_is_full = false;
  /// This append made a batch sendable that was not before: it filled the
  /// open batch, or closed it by opening a new one. Wake the sender on this
  /// (or new_batch_created), not on batch_is_full, which stays true for
  /// every append while a backlog of full batches waits: waking per record
  /// then cost a post to the network thread and a ready() scan almost per
  /// record under load (issue 8 profile).
  bool batch_became_full = false;
  /// A new batch was opened for this record; the sticky partitioner moves on
  /// to another partition when this happens (KIP-480).
  bool new_batch_created = false;
  /// Bytes the record added to its batch.
  std::size_t appended_bytes = 0;
  /// This append finished a closed batch's records for the network thread
  /// (see append()); the prepared hook ran.
  bool prepared_ahead = false;

  bool ok() const noexcept { return !error; }
};

/// What ready() found.
struct ReadyCheck {
  /// Leaders with at least one sendable partition (each id once).
  std::vector<NodeId> ready_nodes;
  /// How long the sender may sleep before something else becomes ready (a
  /// linger or a retry backoff runs out, or a batch reaches
  /// delivery.timeout.ms); kNoDeadline when nothing is queued.
  std::int64_t next_ready_check_delay_ms = kNoDeadline;
  /// Partitions holding batches whose leader is unknown: refresh metadata.
  std::vector<TopicPartition> unknown_leader_partitions;
};

/// Leader node id of a partition, nullopt if unknown.
using LeaderLookup = std::function<std::optional<NodeId>(const TopicPartition&)>;
/// Extra veto for drain(): return false to leave the partition's first
/// batch queued this time (e.g. idempotence waiting for an unresolved
/// sequence, Java's shouldStopDrainBatchesForPartition). Called under the
/// partition's lock: it must not call back into the accumulator.
using DrainFilter = std::function<bool(const ProducerBatch&)>;
/// Called for each batch expire() failed, after its callbacks ran (e.g. for
/// the idempotence manager to mark its sequence unresolved).
using ExpiredBatchObserver = std::function<void(const ProducerBatch&)>;

/// One partition's figures for statistics (statistics.hpp), from
/// RecordAccumulator::collect_partition_counters.
struct PartitionCounters {
  /// Records that left the queue for the first time (drained into a
  /// request, or failed before ever being sent); split pieces are not
  /// counted again. Once nothing is queued or in flight, sent = delivered +
  /// failed.
  std::uint64_t records_sent = 0;
  std::uint64_t records_delivered = 0;
  std::uint64_t records_failed = 0;
  std::uint64_t splits = 0;
  // Now, under the partition's lock.
  std::uint64_t records_queued = 0;
  std::uint64_t bytes_queued = 0;  ///< uncompressed batch bytes
  std::uint64_t batches_queued = 0;
};

class RecordAccumulator {
 public:
  explicit RecordAccumulator(const AccumulatorConfig& config);
  /// Fails whatever is still queued or in flight with shutting_down (running
  /// those callbacks here), so no record goes unreported even if the owner
  /// skipped abort_all(): whatever the callbacks use must outlive the
  /// accumulator. In-flight batches stay owned by the sender.
  ~RecordAccumulator();
  RecordAccumulator(const RecordAccumulator&) = delete;
  RecordAccumulator& operator=(const RecordAccumulator&) = delete;

  const AccumulatorConfig& config() const noexcept { return config_; }

  /// Runs on the appending thread right after it finished a batch's records
  /// ahead (see append()): the sender skipped that partition meanwhile and
  /// must look again (before the append goes on to wait for memory). The
  /// producer passes its wake-up. Set it before the first append.
  void set_prepared_hook(std::function<void()> hook) { prepared_hook_ = std::move(hook); }
  /// Where batches report a delivery callback that threw; must outlive the
  /// accumulator (whose destructor may still run callbacks). Set it before
  /// the first append.
  void set_callback_error_log(CallbackErrorLog* log) noexcept { callback_errors_ = log; }

  // --- Application threads -----------------------------------------------

  /// Appends one record to `tp`'s open batch, or opens a new batch (from the
  /// pool's free list when possible) if there is none or it is full. A record
  /// bigger than batch.size gets a batch of its own. `callback` is moved from
  /// only on success. May block up to max.block.ms for buffer memory; `now_ms`
  /// is the record's append time (a new batch's creation time, plus any time
  /// spent blocked).
  ///
  /// An append that closes a batch when buffer.memory is exhausted (it would
  /// wait for memory: the network thread is the bottleneck) first finishes
  /// that batch's records itself, outside the partition lock: compresses
  /// them (with compression on) and computes their CRC — work the network
  /// thread would otherwise do at seal(), on bytes no longer in its cache.
  /// Meanwhile the batch is `preparing`: ready(), drain(), expire() and
  /// abort_all() leave it (and so its partition's order) alone.
  ///
  /// `max_block`, when given, replaces max.block.ms for this append (the
  /// rest of a send()'s own deadline; 0 for try_send: queue_full at once
  /// when a new batch needs memory that is not there).
  AppendResult append(const TopicPartition& tp, std::int64_t timestamp_ms,
                      std::optional<std::span<const std::uint8_t>> key,
                      std::optional<std::span<const std::uint8_t>> value, std::span<const HeaderView> headers,
                      DeliveryCallback& callback, std::int64_t now_ms,
                      std::optional<std::chrono::milliseconds> max_block = std::nullopt);
  /// Same, with headers already in the record batch builder's form.
  AppendResult append(const TopicPartition& tp, std::int64_t timestamp_ms,
                      std::optional<std::span<const std::uint8_t>> key,
                      std::optional<std::span<const std::uint8_t>> value,
                      std::span<const protocol::RecordHeader> headers, DeliveryCallback& callback,
                      std::int64_t now_ms, std::optional<std::chrono::milliseconds> max_block = std::nullopt);

  /// Makes every queued batch ready regardless of linger.ms until the
  /// matching await_flush_completion() returns. Java's beginFlush().
  void begin_flush() noexcept;
  bool flush_in_progress() const noexcept { return flushes_in_progress_.load(std::memory_order_acquire) > 0; }
  /// Blocks until every batch that existed when this call started has been
  /// completed and handed back (its callbacks have run), or `timeout`
  /// passed; returns false on timeout. Ends the flush begin_flush() started
  /// either way. Must not be called from the sender thread or a callback.
  bool await_flush_completion(std::chrono::milliseconds timeout);

  /// Refuses further appends (shutting_down), wakes appenders blocked on
  /// memory, and makes every queued batch ready so the sender drains them.
  void close();
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

  // --- Sender thread -----------------------------------------------------

  /// The leaders that have something to send now. A partition's first batch
  /// is sendable when it is full (or not the only batch), linger.ms has
  /// passed since it was created, a flush is in progress, the accumulator is
  /// closing, or buffer memory is exhausted and an appender waits — unless
  /// it is backing off before a retry or its partition is muted.
  /// `leader_of` is called with no accumulator lock held.
  ReadyCheck ready(std::int64_t now_ms, const LeaderLookup& leader_of);

  /// Takes at most one batch per partition (to keep each partition's order;
  /// max.in.flight is the sender's business) from `partitions` (those led by
  /// `node_id`), skipping muted partitions and batches backing off, until
  /// adding the next batch would exceed `max_request_bytes` (a single batch
  /// always goes). Each node remembers where to start next time so all its
  /// partitions get their turn (Java's drainIndex). Appends to `out`; the
  /// drained batches are in_flight and owned by the caller.
  void drain(NodeId node_id, std::span<const TopicPartition> partitions, std::size_t max_request_bytes,
             std::int64_t now_ms, std::vector<BatchPtr>& out, const DrainFilter& may_drain = {});
  std::vector<BatchPtr> drain(NodeId node_id, std::span<const TopicPartition> partitions,
                              std::size_t max_request_bytes, std::int64_t now_ms,
                              const DrainFilter& may_drain = {});

  /// Puts a batch back for a retry at the front of its partition's queue (in
  /// base-sequence order among retried batches, as idempotence needs), to be
  /// sent no earlier than now + retry backoff (exponential, ±20% jitter, up
  /// to retry.backoff.max.ms). Does not check delivery.timeout.ms: the
  /// sender decides whether to retry.
  void reenqueue(BatchPtr batch, std::int64_t now_ms);
  /// Same, remembering why the attempt failed (`cause`, `detail`): a batch
  /// that then reaches delivery.timeout.ms names it in its reports.
  void reenqueue(BatchPtr batch, std::int64_t now_ms, std::error_code cause, std::string_view detail = {});

  /// MESSAGE_TOO_LARGE: splits `batch` into batch.size pieces
  /// (ProducerBatch::split) and queues them at the front of its partition,
  /// in order, as if never tried; then deallocates `batch` and returns how
  /// many pieces were queued. If the batch cannot be split (one record, or
  /// its bytes do not decode: `error`), returns 0 and leaves `batch` with
  /// the caller, who should fail it.
  std::size_t split_and_reenqueue(BatchPtr& batch, std::int64_t now_ms, std::error_code& error,
                                  const protocol::RecordsDecompressor& decompress = {});

  /// Hands a finished batch back: releases its memory, recycles the object
  /// and lets flushes waiting on it finish. A batch that was not completed
  /// is failed with shutting_down first, so no record goes unreported.
  void deallocate(BatchPtr batch);

  /// Stops/resumes draining a partition, e.g. while it has a batch in flight
  /// with max.in.flight.requests.per.connection = 1.
  void mute(const TopicPartition& tp);
  void unmute(const TopicPartition& tp);
  bool is_muted(const TopicPartition& tp) const;

  /// Fails with timed_out every batch whose delivery.timeout.ms has passed
  /// since creation (KIP-91), the report's detail naming the
  /// topic-partition, the timeout and what was going on (never sent, in
  /// flight without a response, or the last retry's cause): queued ones are removed and deallocated;
  /// in-flight ones are completed but stay with the sender, which
  /// deallocates them when their request ends (their late response then
  /// completes nothing). Returns the number of batches failed.
  std::size_t expire(std::int64_t now_ms, const ExpiredBatchObserver& on_expired = {});
  /// Fails every queued (not in-flight) batch of the partitions `pick`
  /// selects with `error` (and `detail` in each report), removing and
  /// deallocating them; `on_failed` sees each after its callbacks ran (e.g.
  /// for the idempotence manager, as after expire()). The sender uses it for
  /// partitions no connection can serve because a broker refused our
  /// credentials. `pick` runs under the accumulator's map lock and only for
  /// partitions with queued batches: it must not call back into the
  /// accumulator. Returns the number of batches failed.
  std::size_t fail_queued(const std::function<bool(const TopicPartition&)>& pick, std::error_code error,
                          std::string_view detail, const ExpiredBatchObserver& on_failed = {});
  /// Earliest time a batch may reach delivery.timeout.ms (a lower bound).
  std::int64_t next_expiry_ms() const;

  /// Fails every incomplete batch with `error` — queued ones are removed and
  /// deallocated, in-flight ones completed (the sender still deallocates
  /// them). After close() it repeats until no append is in progress, so
  /// every record gets exactly one report. Returns the number of batches.
  std::size_t abort_all(std::error_code error);

  /// Calls `fn` once per partition ever appended to, with its counters and
  /// what it has queued now (taken under the partition's lock: appends to
  /// that partition wait meanwhile). Sender thread only: the counters move
  /// there, per batch, never per record.
  void collect_partition_counters(
      const std::function<void(const TopicPartition&, const PartitionCounters&)>& fn) const;

  // --- Introspection (any thread) ----------------------------------------

  /// Any batch queued (not drained)?
  bool has_undrained() const;
  /// Any batch not yet handed back (queued or in flight)?
  bool has_incomplete() const;
  /// Records in batches not yet completed; `partitions`, when given,
  /// receives their topic-partitions (each once). For close()'s log line.
  std::size_t incomplete_records(std::vector<TopicPartition>* partitions = nullptr) const;
  /// Batches queued for `tp`.
  std::size_t queued_batches(const TopicPartition& tp) const;
  /// Bytes of buffer.memory not reserved by batches (pooled ones count as free).
  std::size_t available_memory() const { return pool_.available_memory(); }
  const BufferPool& pool() const noexcept { return pool_; }
  /// For try_send's "tell me when memory is back" (BufferPool::notify_when_freed).
  BufferPool& pool() noexcept { return pool_; }

 private:
  struct PartitionQueue;

  PartitionQueue& queue_for(const TopicPartition& tp);
  PartitionQueue* find_queue(const TopicPartition& tp) const;
  /// queue_for() through a per-thread cache (append's hot path).
  PartitionQueue& queue_for_append(const TopicPartition& tp);
  /// Whether an append that found `q`'s last batch closed should finish its
  /// records (see append()). Needs q's lock.
  bool should_prepare_ahead(const PartitionQueue& q) const;
  /// Finishes `batch`'s records, claimed after should_prepare_ahead(), then
  /// releases it.
  void prepare_ahead(PartitionQueue& q, ProducerBatch& batch);
  /// Appends to the last batch of `q` if it is open and has room. Needs q's lock.
  bool try_append_last(PartitionQueue& q, std::int64_t timestamp_ms,
                       std::optional<std::span<const std::uint8_t>> key,
                       std::optional<std::span<const std::uint8_t>> value,
                       std::span<const protocol::RecordHeader> headers, DeliveryCallback& callback,
                       std::int64_t now_ms, AppendResult& result);
  void link_incomplete(ProducerBatch& batch, std::uint64_t inherited_id = 0);
  void unlink_incomplete(ProducerBatch& batch) noexcept;
  /// deallocate(), counting the batch's records as delivered or failed
  /// (and as sent if they never left the queue) unless `count` is false.
  void release(BatchPtr batch, bool count);
  /// One pass of abort_all().
  std::size_t abort_once(std::error_code error);
  /// The report detail of a batch expire() fails.
  std::string expiry_detail(const ProducerBatch& batch, std::int64_t now_ms) const;

  const AccumulatorConfig config_;
  std::function<void()> prepared_hook_;
  CallbackErrorLog* callback_errors_ = nullptr;
  /// Unique per accumulator, never reused (keys queue_for_append's cache).
  const std::uint64_t instance_id_;
  BufferPool pool_;

  mutable std::shared_mutex map_mutex_;
  std::unordered_map<TopicPartition, std::unique_ptr<PartitionQueue>, TopicPartitionHash> queues_;

  // Incomplete batches (created, not yet deallocated), oldest first, for
  // flush, expiry and abort. Intrusive, so linking never allocates.
  mutable std::mutex incomplete_mutex_;
  std::condition_variable flush_cv_;
  ProducerBatch* incomplete_head_ = nullptr;
  ProducerBatch* incomplete_tail_ = nullptr;
  std::size_t incomplete_count_ = 0;
  std::uint64_t next_batch_id_ = 1;
  std::int64_t next_expiry_ms_ = kNoDeadline;  ///< guarded by incomplete_mutex_

  std::atomic<int> flushes_in_progress_{0};
  /// Appends opening a new batch right now (see append()); on its own cache
  /// line, away from the fields the network thread writes per batch.
  alignas(64) std::atomic<int> appends_in_progress_{0};
  alignas(64) std::atomic<bool> closed_{false};

  // Sender thread only.
  struct PartitionSnapshot {
    PartitionQueue* queue;
    std::int64_t last_attempt_ms;
    std::int64_t retry_ready_ms;
    bool backing_off;
    bool in_retry;
    bool full;
  };
  std::vector<PartitionSnapshot> ready_scratch_;
  std::unordered_map<NodeId, std::size_t> drain_index_;
  cluster::ExponentialBackoff retry_backoff_;  ///< retry.backoff.ms, network thread
  std::vector<BatchPtr> expired_queued_;
  std::vector<ProducerBatch*> expired_in_flight_;
};

}  // namespace kwire::producer
