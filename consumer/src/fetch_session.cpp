#include "kwire/consumer/fetch_session.hpp"

#include <limits>

namespace kwire::consumer {
namespace {

using protocol::FetchRequest;

FetchRequest base_request(const FetchParams& params) {
  FetchRequest request;
  request.max_wait_ms = params.max_wait_ms;
  request.min_bytes = params.min_bytes;
  request.max_bytes = params.max_bytes;
  request.isolation_level = params.isolation_level;
  request.rack_id = params.rack_id;
  return request;
}

/// Appends one partition, grouping partitions of a topic (targets come in
/// topic order, so a topic's partitions are contiguous).
void add_partition(FetchRequest& request, const TopicPartition& tp, const PartitionFetch& fetch) {
  if (request.topics.empty() || request.topics.back().topic != tp.topic ||
      request.topics.back().topic_id != fetch.topic_id) {
    request.topics.push_back({.topic = tp.topic, .topic_id = fetch.topic_id, .partitions = {}, .unknown_tags = {}});
  }
  FetchRequest::Partition p;
  p.partition = tp.partition;
  p.current_leader_epoch = fetch.current_leader_epoch;
  p.fetch_offset = fetch.fetch_offset;
  p.partition_max_bytes = fetch.partition_max_bytes;
  request.topics.back().partitions.push_back(p);
}

void forget(FetchRequest& request, const TopicPartition& tp, const protocol::Uuid& topic_id) {
  auto& forgotten = request.forgotten_topics_data;
  if (forgotten.empty() || forgotten.back().topic != tp.topic || forgotten.back().topic_id != topic_id)
    forgotten.push_back({.topic = tp.topic, .topic_id = topic_id, .partitions = {}, .unknown_tags = {}});
  forgotten.back().partitions.push_back(tp.partition);
}

}  // namespace

std::int32_t FetchSession::epoch_after(std::int32_t epoch) noexcept {
  return epoch == std::numeric_limits<std::int32_t>::max() ? 1 : epoch + 1;
}

FetchRequest FetchSession::build_request(const FetchTargets& targets, std::int16_t version,
                                         const FetchParams& params) {
  FetchRequest request = base_request(params);
  if (version < first_session_version) {
    request.session_id = 0;
    request.session_epoch = sessionless_epoch;
    for (const auto& [tp, fetch] : targets) add_partition(request, tp, fetch);
    last_was_full_ = true;
    return request;
  }
  if (full_requested_) next_epoch_ = initial_epoch;
  full_requested_ = false;
  request.session_id = session_id_;
  request.session_epoch = next_epoch_;
  last_was_full_ = next_epoch_ == initial_epoch;
  if (last_was_full_) {
    for (const auto& [tp, fetch] : targets) add_partition(request, tp, fetch);
  } else {
    const bool by_id = version >= FetchRequest::first_topic_id_version;
    for (const auto& [tp, fetch] : targets) {
      auto held = session_partitions_.find(tp);
      if (held != session_partitions_.end() && held->second == fetch) continue;  // unchanged
      if (held != session_partitions_.end() && by_id && held->second.topic_id != fetch.topic_id)
        forget(request, tp, held->second.topic_id);  // recreated topic: replace
      add_partition(request, tp, fetch);
    }
    for (const auto& [tp, fetch] : session_partitions_)
      if (!targets.contains(tp)) forget(request, tp, fetch.topic_id);
  }
  session_partitions_ = targets;
  return request;
}

std::error_code FetchSession::handle_response(const protocol::FetchResponse& response) {
  if (response.error_code != kwire::errc::none) {
    if (response.error_code == kwire::errc::fetch_session_id_not_found) session_id_ = 0;
    next_epoch_ = initial_epoch;
    return make_error_code(response.error_code);
  }
  if (last_was_full_) {
    session_id_ = response.session_id;
    next_epoch_ = session_id_ == 0 ? initial_epoch : 1;
  } else {
    next_epoch_ = epoch_after(next_epoch_);
  }
  return {};
}

std::optional<FetchRequest> FetchSession::close_request(std::int16_t version, const FetchParams& params) {
  const std::int32_t id = session_id_;
  session_id_ = 0;
  next_epoch_ = initial_epoch;
  session_partitions_.clear();
  if (id == 0 || version < first_session_version) return std::nullopt;
  FetchRequest request = base_request(params);
  request.session_id = id;
  request.session_epoch = sessionless_epoch;
  return request;
}

}  // namespace kwire::consumer
