// RecordAccumulator: delivery.timeout.ms expiry of queued and in-flight
// batches (with the detail a failed delivery report carries) and failing
// what is queued — for some partitions, or everything at close.
#include <algorithm>
#include <string>
#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "record_accumulator.hpp"
#include "record_accumulator_queue.hpp"

namespace kwire::producer {

using cluster::saturating_add;

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

}  // namespace kwire::producer
