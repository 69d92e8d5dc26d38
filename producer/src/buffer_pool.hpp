#pragma once
// BufferPool: the `buffer.memory` bound on everything the accumulator holds,
// and the free list that lets batches be reused without allocating. Cut as
// Kafka's Java client's producer/internals/BufferPool.
//
// The unit Java pools is a batch.size ByteBuffer; kwire pools the whole
// ProducerBatch object, whose record buffer was reserved at batch.size and
// whose per-record callback vector keeps its capacity. The accounting is
// Java's: every batch reserves max(batch.size, its first record's batch size)
// bytes when it is created; a pooled (free) batch still counts against
// buffer.memory, and is freed when a request needs its bytes and the
// unpooled remainder is too small ("freeUp").
//
// What is *not* counted, here as in Java: the per-record callback slots and
// a codec's compression scratch buffer.
//
// Thread-safe. allocate() is called from application threads (it may block);
// deallocate() from the network thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <system_error>
#include <vector>

#include "producer_batch.hpp"

namespace kwire::producer {

class BufferPool {
 public:
  /// `total_memory` is buffer.memory; `poolable_size` is batch.size: only
  /// batches reserving exactly that many bytes are kept for reuse.
  BufferPool(std::size_t total_memory, std::size_t poolable_size);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  /// Reserves `size` bytes and hands out a batch object to use them: a pooled
  /// one when size == poolable_size and one is free, else a new one (the only
  /// heap allocation). The batch's reserved_bytes() is set to `size`; give it
  /// back with deallocate().
  ///
  /// When the memory is not there, waits up to `max_block` for batches to be
  /// deallocated. Waiters are served first come, first served, and the head
  /// waiter collects freed memory piece by piece (as Java does), so a big
  /// request is not starved by small ones. Errors: record_exceeds_buffer_memory
  /// when `size` exceeds total_memory (it could never be satisfied), queue_full
  /// when max_block passed (Java's BufferExhaustedException), shutting_down
  /// once close() was called. `blocked`, when given, receives the time spent
  /// waiting.
  std::error_code allocate(std::size_t size, std::chrono::milliseconds max_block, BatchPtr& out,
                           std::chrono::milliseconds* blocked = nullptr);

  /// Returns a batch's reservation. Poolable batches are kept for reuse;
  /// others (bigger reservations) are freed. A batch reserving 0 bytes
  /// (split batches, allocated outside the pool) is simply freed.
  void deallocate(BatchPtr batch) noexcept;

  /// Makes every current and future waiter fail with shutting_down (and
  /// runs every notify_when_freed() notification).
  void close();

  /// How many times memory came back (deallocate() of a reserved batch, a
  /// timed-out waiter giving back what it had collected) or the pool closed.
  /// Read it *before* an allocation that may fail, for notify_when_freed().
  std::uint64_t release_count() const noexcept { return release_count_.load(std::memory_order_acquire); }
  /// For callers that must not block (Producer::try_send): calls `notify`
  /// once memory has come back since `seen` (a release_count() read before
  /// the allocation that found no memory) or the pool is closed — at once,
  /// on the calling thread, if that already happened (so no wake-up is lost
  /// between the failed allocation and this call); otherwise from the
  /// deallocate() or close() that does it, outside the pool's lock. A
  /// notification that throws is ignored. While registered it counts in
  /// waiter_count(), so the accumulator makes every partition ready and the
  /// memory comes back without waiting for linger.ms.
  void notify_when_freed(std::uint64_t seen, std::function<void()> notify);

  std::size_t total_memory() const noexcept { return total_memory_; }
  std::size_t poolable_size() const noexcept { return poolable_size_; }
  /// Bytes that could be handed out now: unreserved plus pooled.
  std::size_t available_memory() const;
  /// Bytes neither reserved nor pooled.
  std::size_t unallocated_memory() const;
  std::size_t pooled_batches() const;
  /// Threads blocked in allocate(); the accumulator treats every partition as
  /// ready while someone waits, so that memory comes back (Java's queued()).
  std::size_t waiter_count() const noexcept { return waiter_count_.load(std::memory_order_relaxed); }

 private:
  struct Waiter {
    std::condition_variable cv;
    Waiter* next = nullptr;
  };

  /// Frees pooled batches until `size` unpooled bytes are available or the
  /// pool is empty. Needs mutex_.
  void free_up(std::size_t size, std::vector<BatchPtr>& garbage);
  /// Wakes the head waiter if there is memory for it. Needs mutex_.
  void signal_head() noexcept;
  void remove_waiter(Waiter* w) noexcept;
  /// Counts a release and takes the pending notifications. Needs mutex_.
  std::vector<std::function<void()>> take_freed_notifications() noexcept;

  const std::size_t total_memory_;
  const std::size_t poolable_size_;

  mutable std::mutex mutex_;
  std::size_t unpooled_available_;  ///< guarded by mutex_
  std::vector<BatchPtr> free_;      ///< guarded by mutex_; each holds poolable_size_
  Waiter* waiters_head_ = nullptr;  ///< FIFO, intrusive: waiters live on their own stacks
  Waiter* waiters_tail_ = nullptr;
  bool closed_ = false;
  std::atomic<std::size_t> waiter_count_{0};
  std::atomic<std::uint64_t> release_count_{0};          ///< written under mutex_
  std::vector<std::function<void()>> freed_notifications_;  ///< guarded by mutex_
};

}  // namespace kwire::producer
