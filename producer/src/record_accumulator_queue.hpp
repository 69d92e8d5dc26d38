#pragma once
// The private parts of RecordAccumulator shared by its translation units
// (record_accumulator.cpp: configuration, the partition map, append, flush;
// record_accumulator_drain.cpp: ready, drain, retries, splits, mute;
// record_accumulator_expiry.cpp: delivery timeouts and aborts): a
// partition's queue and the ring buffer it keeps its batches in.
#include <algorithm>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "record_accumulator.hpp"

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
inline void insert_for_retry(BatchDeque& queue, BatchPtr batch) {
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

}  // namespace kwire::producer
