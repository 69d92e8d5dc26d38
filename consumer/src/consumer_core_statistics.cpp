// ConsumerCore's part of the statistics snapshot (statistics.hpp) and its
// group log lines: what changed in the membership, said once per change.
#include <algorithm>
#include <string>

#include "group/membership.hpp"
#include "kwire/cluster/broker_statistics.hpp"
#include "kwire/consumer/consumer_core.hpp"

namespace kwire::consumer {
namespace {

std::string list(const std::vector<TopicPartition>& partitions) {
  std::string out;
  for (const auto& tp : partitions) out += (out.empty() ? "" : ", ") + to_string(tp);
  return out;
}

}  // namespace

void ConsumerCore::collect_statistics(ConsumerStatistics& out) const {
  const FetchCounters& c = fetcher_.counters();
  out.group_id = config_.group_id;
  out.records_consumed = c.records_consumed;
  out.bytes_consumed = c.bytes_consumed;
  out.fetch_requests = c.fetch_requests;
  out.fetch_responses = c.fetch_responses;
  out.fetch_failures = c.fetch_failures;
  out.fetch_session_resets = c.fetch_session_resets;
  out.bytes_fetched = c.bytes_fetched;
  out.fetch_latency = cluster::summarize_round_trips(c.latency_window_us, c.latency_samples);
  out.offset_resets = c.offset_resets;
  out.buffer_full_rounds = c.buffer_full_rounds;
  out.buffered_bytes = fetcher_.buffered_bytes();
  out.buffered_bytes_max = fetcher_.config().max_buffered_bytes;
  if (membership_) {
    out.group_state = std::string(membership_->state_name());
    out.generation = membership_->generation();
    out.member_id = membership_->member_id();
  }
  out.rebalances = rebalances_;

  std::vector<TopicPartition> assigned = subscriptions_.assignment();
  std::sort(assigned.begin(), assigned.end());
  out.assignment_size = assigned.size();
  const auto buffered = fetcher_.buffered();
  const auto& watermarks = fetcher_.watermarks();
  out.partitions.reserve(assigned.size());
  for (const TopicPartition& tp : assigned) {
    ConsumerPartitionStatistics p;
    p.topic = tp.topic;
    p.partition = tp.partition;
    if (auto position = subscriptions_.position(tp)) p.position = position->offset;
    if (auto it = last_committed_.find(tp); it != last_committed_.end()) p.committed_offset = it->second;
    if (auto it = watermarks.find(tp); it != watermarks.end()) {
      p.high_watermark = it->second.high_watermark;
      p.last_stable_offset = it->second.last_stable_offset;
      p.log_start_offset = it->second.log_start_offset;
    }
    if (p.position >= 0 && p.high_watermark >= 0) p.lag = std::max<std::int64_t>(0, p.high_watermark - p.position);
    if (p.position >= 0 && p.last_stable_offset >= 0)
      p.lso_lag = std::max<std::int64_t>(0, p.last_stable_offset - p.position);
    if (auto it = buffered.find(tp); it != buffered.end()) {
      p.buffered_bytes = it->second.bytes;
      p.buffered_offsets = static_cast<std::uint64_t>(it->second.offsets);
    }
    p.paused = subscriptions_.is_paused(tp);
    out.partitions.push_back(std::move(p));
  }
}

void ConsumerCore::log_group_changes() {
  const std::string_view state = membership_->state_name();
  const std::int32_t generation = membership_->generation();
  if (generation != logged_generation_ && generation >= 0) {
    logger_(cluster::LogLevel::info, cluster::LogCategory::group,
            "group " + config_.group_id + ": joined, generation " + std::to_string(generation) + ", member id " +
                membership_->member_id());
  }
  if (state != logged_group_state_ && logger_.debug(cluster::LogCategory::group)) {
    const std::string_view from = logged_group_state_.empty() ? std::string_view("start") : logged_group_state_;
    logger_(cluster::LogLevel::debug, cluster::LogCategory::group,
            "group " + config_.group_id + ": " + std::string(from) + " -> " + std::string(state));
  }
  logged_generation_ = generation;
  logged_group_state_ = state;
}

void ConsumerCore::log_event(const RebalanceEvent& event) {
  if (!logger_.handler()) return;
  const std::string group = "group " + config_.group_id + ": ";
  switch (event.kind) {
    case RebalanceEvent::Kind::assigned:
      logger_(cluster::LogLevel::info, cluster::LogCategory::group,
              group + "assigned " + std::to_string(event.partitions.size()) + " partition(s) [" +
                  list(event.partitions) + "]");
      break;
    case RebalanceEvent::Kind::revoked:
      logger_(cluster::LogLevel::info, cluster::LogCategory::group,
              group + "revoked " + std::to_string(event.partitions.size()) + " partition(s) [" +
                  list(event.partitions) + "]");
      break;
    case RebalanceEvent::Kind::lost:
      logger_(cluster::LogLevel::warning, cluster::LogCategory::group,
              group + "lost " + std::to_string(event.partitions.size()) + " partition(s) [" + list(event.partitions) +
                  "] without a revocation: " + event.reason.message());
      break;
  }
}

}  // namespace kwire::consumer
