// What the Sender reports about itself: per-node introspection for the
// Producer and tests, and its part of the statistics snapshot
// (docs/observability.md).
#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "sender.hpp"

namespace kwire::producer {

// --- Introspection ------------------------------------------------------------------

std::size_t Sender::in_flight_requests(NodeId id) const {
  std::size_t count = 0;
  for (const auto& [request_id, flight] : in_flight_)
    if (flight.node == id) ++count;
  return count;
}

// --- Statistics ------------------------------------------------------------------------

namespace {

struct TopicPartitionLess {
  bool operator()(const TopicPartition& a, const TopicPartition& b) const noexcept {
    return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
  }
};

}  // namespace

void Sender::collect_statistics(ProducerStatistics& out) const {
  out.brokers = cluster::broker_statistics(pool_, metadata_);
  for (const BrokerStatistics& b : out.brokers) {
    out.requests_sent += b.requests_sent;
    out.responses_received += b.responses_received;
  }

  std::map<TopicPartition, PartitionStatistics, TopicPartitionLess> partitions;  // sorted output
  auto entry = [&](const TopicPartition& tp) -> PartitionStatistics& {
    PartitionStatistics& p = partitions[tp];
    if (p.partition < 0) {
      p.topic = tp.topic;
      p.partition = tp.partition;
      p.leader = metadata_.leader_of(tp).value_or(NodeId{}).value();
    }
    return p;
  };
  accumulator_.collect_partition_counters([&](const TopicPartition& tp, const PartitionCounters& c) {
    PartitionStatistics& p = entry(tp);
    p.records_queued = c.records_queued;
    p.bytes_queued = c.bytes_queued;
    p.batches_queued = c.batches_queued;
    p.records_sent = c.records_sent;
    p.records_delivered = c.records_delivered;
    p.records_failed = c.records_failed;
    p.splits = c.splits;
  });
  for (const auto& [request_id, flight] : in_flight_)
    for (const BatchPtr& b : flight.batches) {
      if (!b || b->is_done()) continue;
      PartitionStatistics& p = entry(b->topic_partition());
      p.records_in_flight += static_cast<std::uint64_t>(b->record_count());
      p.bytes_in_flight += b->bytes().size();
      ++p.batches_in_flight;
    }
  const double batch_size = static_cast<double>(std::max(1, config_.batch_size));
  for (const auto& [tp, stats] : partition_stats_) {
    PartitionStatistics& p = entry(tp);
    p.batches_sent = stats.batches_sent;
    p.bytes_sent = stats.bytes_sent;
    p.retries = stats.retries;
    p.errors = stats.errors;
    if (stats.batches_sent > 0) {
      p.batch_size_avg = static_cast<double>(stats.uncompressed_bytes_sent) / static_cast<double>(stats.batches_sent);
      p.batch_fill_ratio_avg = p.batch_size_avg / batch_size;
    }
  }
  for (auto& [tp, p] : partitions) {
    out.records_sent += p.records_sent;
    out.records_delivered += p.records_delivered;
    out.records_failed += p.records_failed;
    out.records_queued += p.records_queued;
    out.records_in_flight += p.records_in_flight;
    out.retries += p.retries;
    out.partitions.push_back(std::move(p));
  }
}

}  // namespace kwire::producer
