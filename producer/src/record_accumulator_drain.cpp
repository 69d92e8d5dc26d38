// RecordAccumulator, the network thread's side: which partitions are ready
// for which leader, draining them into requests, putting failed batches back
// (in sequence order) or splitting them, releasing finished ones, and
// muting partitions (max.in.flight.requests.per.connection=1 ordering).
#include <algorithm>
#include <string>
#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "record_accumulator.hpp"
#include "record_accumulator_queue.hpp"

namespace kwire::producer {

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
    std::optional<NodeId> leader = leader_of(p.queue->tp);
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

void RecordAccumulator::drain(NodeId node_id, std::span<const TopicPartition> partitions,
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

std::vector<BatchPtr> RecordAccumulator::drain(NodeId node_id, std::span<const TopicPartition> partitions,
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

}  // namespace kwire::producer
