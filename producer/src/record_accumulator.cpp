#include "kwire/producer/record_accumulator.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>
#include <thread>
#include <utility>

#include "kwire/compression/compressor.hpp"
#include "kwire/producer/config.hpp"
#include "kwire/protocol/client_error.hpp"
#include "same_string.hpp"

namespace kwire::producer {
namespace detail {

/// A partition's queue of batches: a ring buffer of owning pointers. Unlike
/// std::deque (which frees and reallocates its blocks as batches come and
/// go), it keeps its capacity, so steady-state appends and drains never
/// allocate. Front = oldest = next to send.
class BatchDeque {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  ProducerBatch& operator[](std::size_t i) const noexcept { return *slots_[wrap(head_ + i)]; }
  ProducerBatch& front() const noexcept { return (*this)[0]; }
  ProducerBatch& back() const noexcept { return (*this)[size_ - 1]; }

  void push_back(BatchPtr batch) {
    reserve_one();
    slots_[wrap(head_ + size_)] = std::move(batch);
    ++size_;
  }
  void push_front(BatchPtr batch) {
    reserve_one();
    head_ = wrap(head_ + slots_.size() - 1);
    slots_[head_] = std::move(batch);
    ++size_;
  }
  /// Inserts so that the batch ends up at index `pos` (0 = front).
  void insert(std::size_t pos, BatchPtr batch) {
    push_front(std::move(batch));
    for (std::size_t i = 0; i < pos; ++i) std::swap(slots_[wrap(head_ + i)], slots_[wrap(head_ + i + 1)]);
  }
  BatchPtr pop_front() noexcept {
    BatchPtr batch = std::move(slots_[head_]);
    head_ = wrap(head_ + 1);
    --size_;
    return batch;
  }

 private:
  std::size_t wrap(std::size_t i) const noexcept { return i % slots_.size(); }
  void reserve_one() {
    if (size_ < slots_.size()) return;
    std::vector<BatchPtr> bigger(std::max<std::size_t>(4, slots_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(slots_[wrap(head_ + i)]);
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<BatchPtr> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

/// Puts a batch at the front of the queue, but behind retried batches with a
/// lower base sequence: with idempotence and several requests in flight,
/// failed batches come back in any order and must be resent in sequence
/// order (Java's insertInSequenceOrder). Batches without a sequence go first.
void insert_for_retry(BatchDeque& queue, BatchPtr batch) {
  if (!batch->has_sequence()) {
    queue.push_front(std::move(batch));
    return;
  }
  std::size_t pos = 0;
  while (pos < queue.size() && queue[pos].has_sequence() && queue[pos].base_sequence() < batch->base_sequence())
    ++pos;
  queue.insert(pos, std::move(batch));
}

}  // namespace detail

struct RecordAccumulator::PartitionQueue {
  explicit PartitionQueue(const TopicPartition& t) : tp(t) {}
  const TopicPartition tp;
  std::mutex mutex;  ///< guards `batches` and the batches' contents while queued
  detail::BatchDeque batches;
  bool muted = false;  ///< sender thread only
  /// Statistics (records_sent/delivered/failed, splits); sender thread only.
  PartitionCounters counters;
};

using cluster::saturating_add;

AccumulatorConfig AccumulatorConfig::from(const ProducerConfig& config) {
  AccumulatorConfig c;
  c.batch_size = static_cast<std::size_t>(std::max<std::int32_t>(0, config.batch_size));
  c.linger_ms = config.linger_ms;
  c.buffer_memory = static_cast<std::size_t>(std::max<std::int64_t>(0, config.buffer_memory));
  c.max_block_ms = config.max_block_ms;
  c.delivery_timeout_ms = config.effective_delivery_timeout_ms();
  c.retry_backoff_ms = config.retry_backoff_ms;
  c.retry_backoff_max_ms = config.retry_backoff_max_ms;
  c.max_request_size = static_cast<std::size_t>(std::max<std::int32_t>(0, config.max_request_size));
  c.compression = config.compression_type;
  c.compression_level = config.effective_compression_level().value_or(compression::kDefaultLevel);
  return c;
}

namespace {
std::atomic<std::uint64_t> next_instance_id{1};
}  // namespace

RecordAccumulator::RecordAccumulator(const AccumulatorConfig& config)
    : config_(config),
      instance_id_(next_instance_id.fetch_add(1, std::memory_order_relaxed)),
      pool_(config.buffer_memory, config.batch_size),
      retry_backoff_(config.retry_backoff_ms, config.retry_backoff_max_ms, config.jitter_seed) {}

RecordAccumulator::~RecordAccumulator() {
  // Batches still owe their records a report: fail them rather than drop
  // them silently (the producer normally abort_all()s before this).
  abort_once(make_error_code(client_errc::shutting_down));
  // In-flight batches belong to the sender; they must not point back here.
  std::lock_guard lock(incomplete_mutex_);
  for (ProducerBatch* b = incomplete_head_; b;) {
    ProducerBatch* next = b->incomplete_next_;
    b->incomplete_prev_ = b->incomplete_next_ = nullptr;
    b->in_incomplete_ = false;
    b = next;
  }
  incomplete_head_ = incomplete_tail_ = nullptr;
}

// --- Partition map ----------------------------------------------------------

RecordAccumulator::PartitionQueue* RecordAccumulator::find_queue(const TopicPartition& tp) const {
  std::shared_lock lock(map_mutex_);
  auto it = queues_.find(tp);
  return it == queues_.end() ? nullptr : it->second.get();
}

RecordAccumulator::PartitionQueue& RecordAccumulator::queue_for(const TopicPartition& tp) {
  // Queues are never removed (as in Java), so the pointer stays valid after
  // the map lock is released.
  if (PartitionQueue* q = find_queue(tp)) return *q;
  std::unique_lock lock(map_mutex_);
  std::unique_ptr<PartitionQueue>& slot = queues_[tp];
  if (!slot) slot = std::make_unique<PartitionQueue>(tp);
  return *slot;
}

RecordAccumulator::PartitionQueue& RecordAccumulator::queue_for_append(const TopicPartition& tp) {
  // A per-thread cache of the last topic's queues, indexed by partition:
  // send() appends to one partition many times in a row (sticky
  // partitioning), or to few partitions of one topic (keys). A hit saves the
  // map's shared lock (an atomic read-modify-write on a line the network
  // thread's ready()/drain() also take) and the topic's hash and compare.
  // Queues are never removed, so a cached pointer stays valid for the
  // accumulator's life; the instance id, unlike an address, is never reused,
  // so another accumulator never sees this one's pointers.
  struct Cache {
    std::uint64_t owner = 0;
    std::string topic;
    std::vector<PartitionQueue*> queues;
  };
  thread_local Cache cache;
  constexpr std::int32_t kMaxCachedPartition = 1 << 16;
  const bool cacheable = tp.partition >= 0 && tp.partition < kMaxCachedPartition;
  if (cache.owner == instance_id_ && detail::same_string(cache.topic, tp.topic)) {
    if (cacheable && static_cast<std::size_t>(tp.partition) < cache.queues.size())
      if (PartitionQueue* q = cache.queues[static_cast<std::size_t>(tp.partition)]) return *q;
  } else {
    cache.owner = instance_id_;
    cache.topic.assign(tp.topic);
    cache.queues.clear();
  }
  PartitionQueue& q = queue_for(tp);
  if (cacheable) {
    const auto index = static_cast<std::size_t>(tp.partition);
    if (cache.queues.size() <= index) cache.queues.resize(index + 1, nullptr);
    cache.queues[index] = &q;
  }
  return q;
}

// --- Append -----------------------------------------------------------------

AppendResult RecordAccumulator::append(const TopicPartition& tp, std::int64_t timestamp_ms,
                                       std::optional<std::span<const std::uint8_t>> key,
                                       std::optional<std::span<const std::uint8_t>> value,
                                       std::span<const HeaderView> headers, DeliveryCallback& callback,
                                       std::int64_t now_ms, std::optional<std::chrono::milliseconds> max_block) {
  if (headers.empty())
    return append(tp, timestamp_ms, key, value, std::span<const protocol::RecordHeader>(), callback, now_ms,
                  max_block);
  // Same shape, different layer: convert into a per-thread scratch vector
  // that keeps its capacity (append never calls out, so no reentrancy).
  thread_local std::vector<protocol::RecordHeader> converted;
  converted.clear();
  for (const HeaderView& h : headers) converted.push_back(protocol::RecordHeader{h.key, h.value});
  return append(tp, timestamp_ms, key, value, std::span<const protocol::RecordHeader>(converted), callback, now_ms,
                max_block);
}

bool RecordAccumulator::try_append_last(PartitionQueue& q, std::int64_t timestamp_ms,
                                        std::optional<std::span<const std::uint8_t>> key,
                                        std::optional<std::span<const std::uint8_t>> value,
                                        std::span<const protocol::RecordHeader> headers,
                                        DeliveryCallback& callback, std::int64_t now_ms, AppendResult& result) {
  if (q.batches.empty()) return false;
  ProducerBatch& last = q.batches.back();
  if (last.preparing_) return false;  // closed, and another thread's until it is done
  const std::size_t before = last.size_in_bytes();
  // Fails (and closes the batch) when the record does not fit; also refuses
  // batches that were drained before and came back for a retry.
  if (!last.try_append(timestamp_ms, key, value, headers, callback, now_ms)) return false;
  result.appended_bytes = last.size_in_bytes() - before;
  result.batch_became_full = last.is_full();  // it was not: it took this record
  result.batch_is_full = q.batches.size() > 1 || result.batch_became_full;
  return true;
}

AppendResult RecordAccumulator::append(const TopicPartition& tp, std::int64_t timestamp_ms,
                                       std::optional<std::span<const std::uint8_t>> key,
                                       std::optional<std::span<const std::uint8_t>> value,
                                       std::span<const protocol::RecordHeader> headers,
                                       DeliveryCallback& callback, std::int64_t now_ms,
                                       std::optional<std::chrono::milliseconds> max_block) {
  AppendResult result;
  if (closed()) {
    result.error = client_errc::shutting_down;
    return result;
  }
  // A record alone in a batch: header + the record with zero deltas, which
  // is exactly its size as the first record of a new batch. Java checks the
  // same bound (KafkaProducer.ensureValidRecordSize) before appending. The
  // exact size takes a dozen varint lengths; a cheap upper bound settles
  // nearly every record (every varint at its widest: 5 bytes for lengths
  // and counts, 1 for the zero deltas).
  const auto exact_batch_bytes = [&] {
    return protocol::kRecordBatchHeaderSize + protocol::RecordBatchBuilder::record_size(0, 0, key, value, headers);
  };
  std::size_t bound = protocol::kRecordBatchHeaderSize + 5 + 3 + 5 + 5 + 5;  // prefix, attrs+deltas, key, value, count
  bound += (key ? key->size() : 0) + (value ? value->size() : 0);
  for (const protocol::RecordHeader& h : headers) bound += 10 + h.key.size() + (h.value ? h.value->size() : 0);
  if (bound > std::min(config_.max_request_size, config_.buffer_memory)) {
    const std::size_t batch_bytes = exact_batch_bytes();
    if (batch_bytes > config_.max_request_size) {
      result.error = client_errc::record_too_large;
      result.detail = "the record is " + std::to_string(batch_bytes) +
                      " bytes as a batch of its own, more than max.request.size (" +
                      std::to_string(config_.max_request_size) +
                      " bytes): raise max.request.size (and the topic's max.message.bytes) or send smaller records";
      return result;
    }
    if (batch_bytes > config_.buffer_memory) {
      result.error = client_errc::record_exceeds_buffer_memory;
      result.detail = "the record is " + std::to_string(batch_bytes) +
                      " bytes as a batch of its own, more than buffer.memory (" +
                      std::to_string(config_.buffer_memory) +
                      " bytes), so it could never be buffered: raise buffer.memory";
      return result;
    }
  }

  PartitionQueue& q = queue_for_append(tp);
  ProducerBatch* help = nullptr;  // a closed batch whose records this append finishes (see header)
  {
    // The common case: the record joins the partition's open batch. The
    // partition lock alone orders it against close() + abort_all(): close()
    // sets closed_ before abort_all() takes this lock, so an append that
    // sees closed_ false here holds the lock before abort_all() does, and
    // its batch is aborted with the others.
    std::lock_guard lock(q.mutex);
    if (closed()) {
      result.error = client_errc::shutting_down;
      return result;
    }
    if (try_append_last(q, timestamp_ms, key, value, headers, callback, now_ms, result)) return result;
    if (should_prepare_ahead(q)) {
      help = &q.batches.back();
      help->preparing_ = true;
      // Counted before the lock goes: abort_all() must not finish while the
      // claimed batch, which it leaves alone, is still being prepared.
      appends_in_progress_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  // abort_all() after close() waits for appends in progress to finish, so no
  // batch slips in behind it. Counted only here, where the lock is released
  // while memory is reserved: an atomic read-modify-write on every record
  // cost ~9% of the producer's CPU per 100-byte record (the counter's cache
  // line also holds fields the network thread writes per batch).
  if (!help) appends_in_progress_.fetch_add(1, std::memory_order_acq_rel);
  struct Done {
    std::atomic<int>& n;
    ~Done() { n.fetch_sub(1, std::memory_order_acq_rel); }
  } done{appends_in_progress_};
  if (help) {
    prepare_ahead(q, *help);
    result.prepared_ahead = true;
    if (prepared_hook_) prepared_hook_();
  }

  // A new batch: reserve memory outside the partition lock (this may block
  // for max.block.ms), then append under the lock again.
  const std::size_t reservation = std::max(config_.batch_size, exact_batch_bytes());
  BatchPtr fresh;
  std::chrono::milliseconds blocked{0};
  const std::chrono::milliseconds wait = max_block.value_or(std::chrono::milliseconds(config_.max_block_ms));
  if (std::error_code ec = pool_.allocate(reservation, wait, fresh, &blocked)) {
    result.error = ec;
    return result;
  }
  now_ms += blocked.count();

  std::lock_guard lock(q.mutex);
  if (closed()) {
    pool_.deallocate(std::move(fresh));
    result.error = client_errc::shutting_down;
    return result;
  }
  // Another thread may have opened a batch while we waited for memory.
  if (try_append_last(q, timestamp_ms, key, value, headers, callback, now_ms, result)) {
    pool_.deallocate(std::move(fresh));
    return result;
  }
  try {
    fresh->reset(tp, now_ms, config_.batch_size, reservation);
    fresh->set_callback_error_log(callback_errors_);
    const std::size_t before = fresh->size_in_bytes();
    [[maybe_unused]] bool appended = fresh->try_append(timestamp_ms, key, value, headers, callback, now_ms);
    assert(appended && "the first record always fits a new batch");
    result.appended_bytes = fresh->size_in_bytes() - before;
    q.batches.push_back(std::move(fresh));
  } catch (...) {
    pool_.deallocate(std::move(fresh));
    throw;
  }
  ProducerBatch& batch = q.batches.back();
  link_incomplete(batch);
  result.new_batch_created = true;
  result.batch_is_full = q.batches.size() > 1 || batch.is_full();
  result.batch_became_full = result.batch_is_full;
  return result;
}

bool RecordAccumulator::should_prepare_ahead(const PartitionQueue& q) const {
  if (q.batches.empty()) return false;
  const ProducerBatch& last = q.batches.back();
  // Only a batch that took records and is closed for good: not sealed yet,
  // not a retry (already sealed), not being prepared or prepared already.
  if (!last.closed_for_appends() || last.preparing_ || last.sealed() || last.in_retry() ||
      last.state() != BatchState::pending || last.record_count() == 0 || last.builder_.records_finished())
    return false;
  // Only when this thread would otherwise wait for memory: the network
  // thread is behind. Else this stays the network thread's job, and the
  // application thread's time goes to appending.
  return pool_.waiter_count() > 0 || pool_.available_memory() < config_.batch_size;
}

namespace {
// Each application thread compresses with its own codec contexts.
bool compress_on_this_thread(compression::Codec codec, std::span<const std::uint8_t> in,
                             std::vector<std::uint8_t>& out, int level) {
  thread_local compression::Compressor compressor;
  out.clear();
  return !compressor.compress(codec, in, out, level);
}
}  // namespace

void RecordAccumulator::prepare_ahead(PartitionQueue& q, ProducerBatch& batch) {
  // Nobody else touches the batch while it is `preparing` (see append()),
  // so no lock is held for the (long) compression and checksum.
  struct Release {
    PartitionQueue& q;
    ProducerBatch& batch;
    ~Release() {
      std::lock_guard lock(q.mutex);
      batch.preparing_ = false;
    }
  } release{q, batch};
  const int level = config_.compression_level;
  const protocol::RecordsCompressor compress = [level](compression::Codec codec, std::span<const std::uint8_t> in,
                                                       std::vector<std::uint8_t>& out) {
    return compress_on_this_thread(codec, in, out, level);
  };
  // A failed compression is harmless: the batch then goes out uncompressed,
  // as when the network thread's compression fails.
  batch.finish_records(config_.compression, compress);
}

// --- Incomplete batches and flush -------------------------------------------

void RecordAccumulator::link_incomplete(ProducerBatch& batch, std::uint64_t inherited_id) {
  std::lock_guard lock(incomplete_mutex_);
  batch.id_ = inherited_id != 0 ? inherited_id : next_batch_id_++;
  batch.incomplete_prev_ = incomplete_tail_;
  batch.incomplete_next_ = nullptr;
  if (incomplete_tail_) incomplete_tail_->incomplete_next_ = &batch;
  else incomplete_head_ = &batch;
  incomplete_tail_ = &batch;
  batch.in_incomplete_ = true;
  ++incomplete_count_;
  next_expiry_ms_ = std::min(next_expiry_ms_, saturating_add(batch.created_ms(), config_.delivery_timeout_ms));
}

void RecordAccumulator::unlink_incomplete(ProducerBatch& batch) noexcept {
  {
    std::lock_guard lock(incomplete_mutex_);
    if (!batch.in_incomplete_) return;
    if (batch.incomplete_prev_) batch.incomplete_prev_->incomplete_next_ = batch.incomplete_next_;
    else incomplete_head_ = batch.incomplete_next_;
    if (batch.incomplete_next_) batch.incomplete_next_->incomplete_prev_ = batch.incomplete_prev_;
    else incomplete_tail_ = batch.incomplete_prev_;
    batch.incomplete_prev_ = batch.incomplete_next_ = nullptr;
    batch.in_incomplete_ = false;
    --incomplete_count_;
  }
  flush_cv_.notify_all();
}

void RecordAccumulator::begin_flush() noexcept { flushes_in_progress_.fetch_add(1, std::memory_order_acq_rel); }

bool RecordAccumulator::await_flush_completion(std::chrono::milliseconds timeout) {
  struct EndFlush {
    std::atomic<int>& n;
    ~EndFlush() { n.fetch_sub(1, std::memory_order_acq_rel); }
  } end{flushes_in_progress_};
  std::unique_lock lock(incomplete_mutex_);
  // Batches get increasing ids when created (split pieces inherit their
  // original's), so "existed when the flush started" is "id below the mark".
  const std::uint64_t mark = next_batch_id_;
  return flush_cv_.wait_for(lock, timeout, [&] {
    for (const ProducerBatch* b = incomplete_head_; b; b = b->incomplete_next_)
      if (b->id_ < mark) return false;
    return true;
  });
}

void RecordAccumulator::close() {
  closed_.store(true, std::memory_order_release);
  pool_.close();
}

// --- Ready and drain --------------------------------------------------------

ReadyCheck RecordAccumulator::ready(std::int64_t now_ms, const LeaderLookup& leader_of) {
  ReadyCheck out;
  const bool exhausted = pool_.waiter_count() > 0;
  const bool flushing = flush_in_progress();
  const bool closing = closed();

  // First snapshot each non-empty partition's first batch under the locks,
  // then consult leader_of with no accumulator lock held: it belongs to the
  // metadata cache, which may have locks of its own that appenders take.
  ready_scratch_.clear();
  {
    std::shared_lock map_lock(map_mutex_);
    for (const auto& [tp, queue] : queues_) {
      PartitionQueue& q = *queue;
      std::lock_guard lock(q.mutex);
      if (q.batches.empty()) continue;
      const ProducerBatch& first = q.batches.front();
      // Being prepared by an application thread: hands off; that append
      // wakes the sender when it is done.
      if (first.preparing_) continue;
      ready_scratch_.push_back(PartitionSnapshot{&q, first.last_attempt_ms(), first.retry_ready_ms(),
                                                 first.backing_off(now_ms), first.in_retry(),
                                                 q.batches.size() > 1 || first.is_full()});
    }
  }

  for (const PartitionSnapshot& p : ready_scratch_) {
    std::optional<std::int32_t> leader = leader_of(p.queue->tp);
    if (!leader) {
      out.unknown_leader_partitions.push_back(p.queue->tp);
      continue;
    }
    if (p.queue->muted) continue;
    if (std::find(out.ready_nodes.begin(), out.ready_nodes.end(), *leader) != out.ready_nodes.end()) continue;
    if (p.backing_off) {
      out.next_ready_check_delay_ms = std::min(out.next_ready_check_delay_ms, p.retry_ready_ms - now_ms);
      continue;
    }
    const std::int64_t waited = std::max<std::int64_t>(0, now_ms - p.last_attempt_ms);
    const bool lingered = waited >= config_.linger_ms;
    // A retried batch past its backoff goes at once (Java: waited >= backoff).
    if (p.full || p.in_retry || lingered || exhausted || closing || flushing)
      out.ready_nodes.push_back(*leader);
    else
      out.next_ready_check_delay_ms = std::min(out.next_ready_check_delay_ms, config_.linger_ms - waited);
  }
  ready_scratch_.clear();

  // The sender must also wake up to expire batches (Java folds
  // nextExpiryTimeMs into the poll timeout the same way).
  const std::int64_t expiry = next_expiry_ms();
  if (expiry != kNoDeadline)
    out.next_ready_check_delay_ms = std::min(out.next_ready_check_delay_ms, std::max<std::int64_t>(0, expiry - now_ms));
  return out;
}

void RecordAccumulator::drain(std::int32_t node_id, std::span<const TopicPartition> partitions,
                              std::size_t max_request_bytes, std::int64_t now_ms, std::vector<BatchPtr>& out,
                              const DrainFilter& may_drain) {
  if (partitions.empty()) return;
  const std::size_t n = partitions.size();
  std::size_t& drain_index = drain_index_[node_id];
  const std::size_t start = drain_index % n;
  // A full round starts one partition later next time; a round cut short by
  // the size limit restarts at the partition that did not fit. Either way
  // no partition of this node is starved.
  std::size_t next_start = (start + 1) % n;
  const std::size_t first_out = out.size();
  std::size_t bytes = 0;

  std::shared_lock map_lock(map_mutex_);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (start + k) % n;
    auto it = queues_.find(partitions[i]);
    if (it == queues_.end()) continue;
    PartitionQueue& q = *it->second;
    if (q.muted) continue;
    std::lock_guard lock(q.mutex);
    if (q.batches.empty()) continue;
    ProducerBatch& first = q.batches.front();
    if (first.preparing_ || first.backing_off(now_ms)) continue;
    if (out.size() > first_out && bytes + first.size_in_bytes() > max_request_bytes) {
      // A batch bigger than the request on its own still goes, alone, in a
      // later drain (compression can make the estimate exceed the limit).
      next_start = i;
      break;
    }
    if (may_drain && !may_drain(first)) continue;
    BatchPtr batch = q.batches.pop_front();
    if (!batch->counted_sent_) {
      batch->counted_sent_ = true;
      q.counters.records_sent += static_cast<std::uint64_t>(batch->record_count());
    }
    batch->mark_drained(now_ms);
    bytes += batch->size_in_bytes();
    out.push_back(std::move(batch));
  }
  drain_index = next_start;
}

std::vector<BatchPtr> RecordAccumulator::drain(std::int32_t node_id, std::span<const TopicPartition> partitions,
                                               std::size_t max_request_bytes, std::int64_t now_ms,
                                               const DrainFilter& may_drain) {
  std::vector<BatchPtr> out;
  drain(node_id, partitions, max_request_bytes, now_ms, out, may_drain);
  return out;
}

// --- Retries and splits -----------------------------------------------------

void RecordAccumulator::reenqueue(BatchPtr batch, std::int64_t now_ms, std::error_code cause,
                                  std::string_view detail) {
  if (!batch) return;
  batch->retry_cause_ = cause;
  batch->retry_cause_detail_.assign(detail);
  reenqueue(std::move(batch), now_ms);
}

void RecordAccumulator::reenqueue(BatchPtr batch, std::int64_t now_ms) {
  if (!batch) return;
  const std::int64_t backoff = retry_backoff_.next_ms(batch->attempts() + 1);
  batch->mark_reenqueued(now_ms, backoff);
  PartitionQueue& q = queue_for(batch->topic_partition());
  std::lock_guard lock(q.mutex);
  detail::insert_for_retry(q.batches, std::move(batch));
}

std::size_t RecordAccumulator::split_and_reenqueue(BatchPtr& batch, std::int64_t now_ms, std::error_code& error,
                                                   const protocol::RecordsDecompressor& decompress) {
  (void)now_ms;  // the pieces are "not yet tried": no backoff, creation time kept
  error.clear();
  if (!batch) return 0;
  std::vector<BatchPtr> pieces = batch->split(config_.batch_size, error, decompress);
  if (pieces.empty()) return 0;
  const std::size_t count = pieces.size();
  // Pieces inherit the original's flush generation: a flush waiting for the
  // original waits for them.
  for (BatchPtr& piece : pieces) {
    link_incomplete(*piece, batch->id_);
    piece->counted_sent_ = true;  // the original was
  }
  {
    PartitionQueue& q = queue_for(batch->topic_partition());
    ++q.counters.splits;
    std::lock_guard lock(q.mutex);
    for (std::size_t i = count; i-- > 0;) detail::insert_for_retry(q.batches, std::move(pieces[i]));
  }
  release(std::move(batch), false);  // its records live on in the pieces
  return count;
}

void RecordAccumulator::deallocate(BatchPtr batch) { release(std::move(batch), true); }

void RecordAccumulator::release(BatchPtr batch, bool count) {
  if (!batch) return;
  if (!batch->is_done()) batch->fail(make_error_code(client_errc::shutting_down));
  if (count) {
    // Per batch, on the sender thread (the map's shared lock, no per-record work).
    if (PartitionQueue* q = find_queue(batch->topic_partition())) {
      const auto records = static_cast<std::uint64_t>(batch->record_count());
      if (!batch->counted_sent_) q->counters.records_sent += records;
      (batch->state() == BatchState::succeeded ? q->counters.records_delivered : q->counters.records_failed) += records;
    }
    batch->counted_sent_ = true;
  }
  unlink_incomplete(*batch);
  pool_.deallocate(std::move(batch));
}

// --- Mute -------------------------------------------------------------------

void RecordAccumulator::mute(const TopicPartition& tp) { queue_for(tp).muted = true; }

void RecordAccumulator::unmute(const TopicPartition& tp) {
  if (PartitionQueue* q = find_queue(tp)) q->muted = false;
}

bool RecordAccumulator::is_muted(const TopicPartition& tp) const {
  PartitionQueue* q = find_queue(tp);
  return q && q->muted;
}

// --- Expiry and abort -------------------------------------------------------

std::int64_t RecordAccumulator::next_expiry_ms() const {
  std::lock_guard lock(incomplete_mutex_);
  return next_expiry_ms_;
}

std::string RecordAccumulator::expiry_detail(const ProducerBatch& batch, std::int64_t now_ms) const {
  // Java's floor: "Expiring N record(s) for t-0: 120000 ms has passed since
  // batch creation"; then what the batch was waiting for.
  const TopicPartition& tp = batch.topic_partition();
  std::string detail = "Expiring " + std::to_string(batch.record_count()) + " record(s) for " + tp.topic + "-" +
                       std::to_string(tp.partition) + ": " + std::to_string(now_ms - batch.created_ms()) +
                       " ms has passed since batch creation (delivery.timeout.ms=" +
                       std::to_string(config_.delivery_timeout_ms) + "); ";
  if (batch.state() == BatchState::in_flight) {
    detail += "in flight for " + std::to_string(now_ms - batch.drained_ms()) +
              " ms without a response from the partition's leader";
  } else if (batch.attempts() == 0) {
    detail += "never sent: no connection to the partition's leader (or no leader known) all that time";
  } else {
    detail += "after " + std::to_string(batch.attempts()) + " failed attempt(s)";
  }
  if (batch.retry_cause_) {
    detail += "; last error: " + batch.retry_cause_.message();
    if (!batch.retry_cause_detail_.empty()) detail += " (" + batch.retry_cause_detail_ + ")";
  }
  return detail;
}

std::size_t RecordAccumulator::expire(std::int64_t now_ms, const ExpiredBatchObserver& on_expired) {
  const std::int64_t timeout = config_.delivery_timeout_ms;
  if (now_ms < next_expiry_ms()) return 0;

  expired_queued_.clear();
  expired_in_flight_.clear();
  {
    // Queued: from the front of each queue, in send order, stopping at the
    // first batch still in time (Java's expiredBatches).
    std::shared_lock map_lock(map_mutex_);
    for (const auto& [tp, queue] : queues_) {
      std::lock_guard lock(queue->mutex);
      while (!queue->batches.empty() && !queue->batches.front().preparing_ &&
             queue->batches.front().has_reached_delivery_timeout(timeout, now_ms)) {
        BatchPtr batch = queue->batches.pop_front();
        batch->close_for_appends();
        expired_queued_.push_back(std::move(batch));
      }
    }
  }
  {
    // In flight: found through the incomplete list; recompute the next
    // deadline on the way. Queued batches past their deadline but stuck
    // behind one still in time are left out, so the sender does not spin:
    // they expire when the batch ahead of them does.
    std::lock_guard lock(incomplete_mutex_);
    std::int64_t next = kNoDeadline;
    for (ProducerBatch* b = incomplete_head_; b; b = b->incomplete_next_) {
      if (b->is_done()) continue;
      if (b->has_reached_delivery_timeout(timeout, now_ms)) {
        if (b->state() == BatchState::in_flight) expired_in_flight_.push_back(b);
        continue;
      }
      next = std::min(next, saturating_add(b->created_ms(), timeout));
    }
    next_expiry_ms_ = next;
  }

  // Callbacks run outside every lock.
  std::size_t count = 0;
  const std::error_code error = make_error_code(client_errc::timed_out);
  for (BatchPtr& batch : expired_queued_) {
    batch->fail(error, expiry_detail(*batch, now_ms));
    ++count;
    if (on_expired) on_expired(*batch);
    deallocate(std::move(batch));
  }
  expired_queued_.clear();
  for (ProducerBatch* batch : expired_in_flight_) {
    if (batch->is_done() || !batch->fail(error, expiry_detail(*batch, now_ms))) continue;
    ++count;
    if (on_expired) on_expired(*batch);
  }
  expired_in_flight_.clear();
  return count;
}

std::size_t RecordAccumulator::fail_queued(const std::function<bool(const TopicPartition&)>& pick,
                                           std::error_code error, std::string_view detail,
                                           const ExpiredBatchObserver& on_failed) {
  std::vector<BatchPtr> failed;
  {
    std::shared_lock map_lock(map_mutex_);
    for (const auto& [tp, queue] : queues_) {
      {
        std::lock_guard lock(queue->mutex);
        if (queue->batches.empty()) continue;
      }
      if (!pick(tp)) continue;
      std::lock_guard lock(queue->mutex);
      while (!queue->batches.empty()) failed.push_back(queue->batches.pop_front());
    }
  }
  // Callbacks run outside every lock.
  std::size_t count = 0;
  for (BatchPtr& batch : failed) {
    batch->close_for_appends();
    if (batch->fail(error, detail)) ++count;
    if (on_failed) on_failed(*batch);
    deallocate(std::move(batch));
  }
  return count;
}

std::size_t RecordAccumulator::abort_once(std::error_code error) {
  std::vector<BatchPtr> queued;
  std::vector<ProducerBatch*> in_flight;
  {
    std::shared_lock map_lock(map_mutex_);
    for (const auto& [tp, queue] : queues_) {
      std::lock_guard lock(queue->mutex);
      // A batch an appending thread is preparing stays (in order); a later
      // pass takes it (abort_all() waits for appends in progress).
      for (std::size_t n = queue->batches.size(); n > 0; --n) {
        BatchPtr batch = queue->batches.pop_front();
        if (batch->preparing_)
          queue->batches.push_back(std::move(batch));
        else
          queued.push_back(std::move(batch));
      }
    }
  }
  {
    std::lock_guard lock(incomplete_mutex_);
    for (ProducerBatch* b = incomplete_head_; b; b = b->incomplete_next_)
      if (b->state() == BatchState::in_flight) in_flight.push_back(b);
  }
  std::size_t count = 0;
  for (BatchPtr& batch : queued) {
    batch->close_for_appends();
    if (batch->fail(error)) ++count;
    deallocate(std::move(batch));
  }
  for (ProducerBatch* batch : in_flight)
    if (batch->fail(error)) ++count;
  return count;
}

std::size_t RecordAccumulator::abort_all(std::error_code error) {
  std::size_t count = abort_once(error);
  if (closed()) {
    // Java's abortIncompleteBatches: an append that passed the closed check
    // just before close() may still add a batch; go again until none is in
    // progress (close() woke any that were blocked on memory).
    while (appends_in_progress_.load(std::memory_order_acquire) > 0) {
      std::this_thread::yield();
      count += abort_once(error);
    }
    count += abort_once(error);
  }
  return count;
}

// --- Introspection ----------------------------------------------------------

bool RecordAccumulator::has_undrained() const {
  std::shared_lock map_lock(map_mutex_);
  for (const auto& [tp, queue] : queues_) {
    std::lock_guard lock(queue->mutex);
    if (!queue->batches.empty()) return true;
  }
  return false;
}

bool RecordAccumulator::has_incomplete() const {
  std::lock_guard lock(incomplete_mutex_);
  return incomplete_count_ > 0;
}

std::size_t RecordAccumulator::incomplete_records(std::vector<TopicPartition>* partitions) const {
  std::lock_guard lock(incomplete_mutex_);
  std::size_t records = 0;
  for (const ProducerBatch* b = incomplete_head_; b; b = b->incomplete_next_) {
    if (b->is_done()) continue;
    records += static_cast<std::size_t>(b->record_count());
    if (partitions && std::find(partitions->begin(), partitions->end(), b->topic_partition()) == partitions->end())
      partitions->push_back(b->topic_partition());
  }
  return records;
}

std::size_t RecordAccumulator::queued_batches(const TopicPartition& tp) const {
  PartitionQueue* q = find_queue(tp);
  if (!q) return 0;
  std::lock_guard lock(q->mutex);
  return q->batches.size();
}

void RecordAccumulator::collect_partition_counters(
    const std::function<void(const TopicPartition&, const PartitionCounters&)>& fn) const {
  std::shared_lock map_lock(map_mutex_);
  for (const auto& [tp, queue] : queues_) {
    PartitionCounters c = queue->counters;
    {
      std::lock_guard lock(queue->mutex);
      for (std::size_t i = 0; i < queue->batches.size(); ++i) {
        const ProducerBatch& b = queue->batches[i];
        c.records_queued += static_cast<std::uint64_t>(b.record_count());
        c.bytes_queued += b.size_in_bytes();
        ++c.batches_queued;
      }
    }
    fn(tp, c);
  }
}

}  // namespace kwire::producer
