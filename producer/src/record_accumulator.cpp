#include "record_accumulator.hpp"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "kwire/compression/compressor.hpp"
#include "kwire/producer/config.hpp"
#include "kwire/protocol/client_error.hpp"
#include "record_accumulator_queue.hpp"
#include "same_string.hpp"

namespace kwire::producer {

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
