#include "buffer_pool.hpp"

#include <algorithm>
#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "notifications.hpp"

namespace kwire::producer {

BufferPool::BufferPool(std::size_t total_memory, std::size_t poolable_size)
    : total_memory_(total_memory), poolable_size_(poolable_size), unpooled_available_(total_memory) {
  // The free list can never hold more than total/poolable batches; reserving
  // (a bounded part of) that up front keeps deallocate() allocation-free.
  std::size_t max_pooled = poolable_size_ == 0 ? 0 : total_memory_ / poolable_size_;
  free_.reserve(std::min<std::size_t>(max_pooled, 4096));
}

BufferPool::~BufferPool() = default;

std::error_code BufferPool::allocate(std::size_t size, std::chrono::milliseconds max_block, BatchPtr& out,
                                     std::chrono::milliseconds* blocked) {
  using clock = std::chrono::steady_clock;
  if (blocked) *blocked = std::chrono::milliseconds(0);
  if (size > total_memory_) return client_errc::record_exceeds_buffer_memory;

  std::vector<BatchPtr> garbage;  // pooled batches freed to make room; destroyed outside the lock
  std::unique_lock lock(mutex_);
  if (closed_) return client_errc::shutting_down;

  // Fast path: a pooled batch of the standard size.
  if (size == poolable_size_ && !free_.empty()) {
    out = std::move(free_.back());
    free_.pop_back();
    return {};
  }

  std::size_t pooled_bytes = free_.size() * poolable_size_;
  std::error_code error;
  bool from_pool = false;
  std::vector<std::function<void()>> notifications;
  if (unpooled_available_ + pooled_bytes >= size) {
    free_up(size, garbage);
    unpooled_available_ -= size;
  } else if (max_block <= std::chrono::milliseconds(0)) {
    // Not allowed to wait (try_send, or max.block.ms=0): no place in the
    // queue of waiters, nothing collected.
    return client_errc::queue_full;
  } else {
    // Out of memory: queue up and collect freed bytes until we have `size`.
    Waiter self;
    if (waiters_tail_) waiters_tail_->next = &self;
    else waiters_head_ = &self;
    waiters_tail_ = &self;
    waiter_count_.fetch_add(1, std::memory_order_relaxed);

    const auto start = clock::now();
    const auto deadline = start + max_block;
    std::size_t accumulated = 0;
    while (accumulated < size) {
      bool timed_out = self.cv.wait_until(lock, deadline) == std::cv_status::timeout;
      if (closed_) {
        error = client_errc::shutting_down;
        break;
      }
      if (accumulated == 0 && size == poolable_size_ && !free_.empty()) {
        out = std::move(free_.back());
        free_.pop_back();
        from_pool = true;
        break;
      }
      free_up(size - accumulated, garbage);
      std::size_t got = std::min(size - accumulated, unpooled_available_);
      unpooled_available_ -= got;
      accumulated += got;
      if (accumulated < size && (timed_out || clock::now() >= deadline)) {
        error = client_errc::queue_full;
        break;
      }
    }
    if (error && accumulated > 0) {
      unpooled_available_ += accumulated;  // give back what we collected
      notifications = take_freed_notifications();
    }
    remove_waiter(&self);
    waiter_count_.fetch_sub(1, std::memory_order_relaxed);
    if (blocked) *blocked = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
  }
  // Memory may be left over for the next waiter (Java signals it here too).
  signal_head();
  lock.unlock();
  garbage.clear();
  detail::run_notifications(notifications);

  if (error || from_pool) return error;
  // Allocate the object outside the lock. If this throws, the reservation
  // must not leak.
  try {
    out = std::make_unique<ProducerBatch>();
  } catch (...) {
    std::lock_guard relock(mutex_);
    unpooled_available_ += size;
    signal_head();
    throw;
  }
  out->set_reserved_bytes(size);
  return {};
}

void BufferPool::deallocate(BatchPtr batch) noexcept {
  if (!batch) return;
  std::size_t size = batch->reserved_bytes();
  if (size == 0) return;  // outside the pool (split batch): just freed
  BatchPtr garbage;
  std::vector<std::function<void()>> notifications;
  {
    std::lock_guard lock(mutex_);
    if (size == poolable_size_ && !closed_ && free_.size() < free_.capacity()) {
      free_.push_back(std::move(batch));
    } else if (size == poolable_size_ && !closed_) {
      // Beyond the pre-reserved free list: growing it may throw; fall back
      // to freeing the batch.
      try {
        free_.push_back(std::move(batch));
      } catch (...) {
        unpooled_available_ += size;
        garbage = std::move(batch);
      }
    } else {
      unpooled_available_ += size;
      garbage = std::move(batch);
    }
    signal_head();
    notifications = take_freed_notifications();
  }
  detail::run_notifications(notifications);
}

void BufferPool::close() {
  std::vector<std::function<void()>> notifications;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (Waiter* w = waiters_head_; w; w = w->next) w->cv.notify_one();
    notifications = take_freed_notifications();
  }
  detail::run_notifications(notifications);
}

void BufferPool::notify_when_freed(std::uint64_t seen, std::function<void()> notify) {
  if (!notify) return;
  {
    std::lock_guard lock(mutex_);
    if (!closed_ && release_count_.load(std::memory_order_relaxed) == seen) {
      freed_notifications_.push_back(std::move(notify));
      waiter_count_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  std::vector<std::function<void()>> now;
  now.push_back(std::move(notify));
  detail::run_notifications(now);
}

std::vector<std::function<void()>> BufferPool::take_freed_notifications() noexcept {
  release_count_.fetch_add(1, std::memory_order_release);
  std::vector<std::function<void()>> out;
  if (freed_notifications_.empty()) return out;
  out.swap(freed_notifications_);
  waiter_count_.fetch_sub(out.size(), std::memory_order_relaxed);
  return out;
}


std::size_t BufferPool::available_memory() const {
  std::lock_guard lock(mutex_);
  return unpooled_available_ + free_.size() * poolable_size_;
}

std::size_t BufferPool::unallocated_memory() const {
  std::lock_guard lock(mutex_);
  return unpooled_available_;
}

std::size_t BufferPool::pooled_batches() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

void BufferPool::free_up(std::size_t size, std::vector<BatchPtr>& garbage) {
  while (!free_.empty() && unpooled_available_ < size) {
    garbage.push_back(std::move(free_.back()));
    free_.pop_back();
    unpooled_available_ += poolable_size_;
  }
}

void BufferPool::signal_head() noexcept {
  if (waiters_head_ && (unpooled_available_ > 0 || !free_.empty())) waiters_head_->cv.notify_one();
}

void BufferPool::remove_waiter(Waiter* w) noexcept {
  Waiter* prev = nullptr;
  for (Waiter* it = waiters_head_; it; prev = it, it = it->next) {
    if (it != w) continue;
    if (prev) prev->next = it->next;
    else waiters_head_ = it->next;
    if (waiters_tail_ == it) waiters_tail_ = prev;
    return;
  }
}

}  // namespace kwire::producer
