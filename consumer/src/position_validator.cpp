#include "kwire/consumer/position_validator.hpp"

#include <algorithm>
#include <string>

#include "kwire/consumer/consumer_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer {

std::vector<PositionValidator::NodeValidation> PositionValidator::prepare(const LeaderLookup& leaders,
                                                                          TimePoint now) {
  subscriptions_.note_leader_epochs([&leaders](const TopicPartition& tp) {
    const auto leader = leaders(tp);
    return leader ? leader->leader_epoch : -1;
  });

  const std::vector<TopicPartition> awaiting = subscriptions_.awaiting_validation();
  // A backoff outlives no validation (a seek or a revocation ended it).
  std::erase_if(backoff_until_, [&](const auto& entry) {
    return std::find(awaiting.begin(), awaiting.end(), entry.first) == awaiting.end();
  });
  std::map<std::int32_t, std::map<std::string, std::vector<protocol::OffsetForLeaderEpochRequest::Partition>>> by_node;
  for (const auto& tp : awaiting) {
    if (in_flight_.contains(tp)) continue;
    if (auto it = backoff_until_.find(tp); it != backoff_until_.end()) {
      if (now < it->second) continue;
      backoff_until_.erase(it);
    }
    const auto leader = leaders(tp);
    if (!leader || leader->node_id < 0) {
      metadata_refresh_ = true;
      continue;
    }
    const FetchPosition position = *subscriptions_.position(tp);
    in_flight_[tp] = Asked{position, leader->leader_epoch};
    by_node[leader->node_id][tp.topic].push_back({.partition = tp.partition,
                                                  .current_leader_epoch = leader->leader_epoch,
                                                  .leader_epoch = position.leader_epoch,
                                                  .unknown_tags = {}});
  }
  std::vector<NodeValidation> out;
  for (auto& [node, topics] : by_node) {
    NodeValidation v;
    v.node_id = node;
    v.request.replica_id = protocol::OffsetForLeaderEpochRequest::consumer_replica_id;
    for (auto& [topic, partitions] : topics)
      v.request.topics.push_back({.topic = topic, .partitions = std::move(partitions), .unknown_tags = {}});
    out.push_back(std::move(v));
  }
  return out;
}

void PositionValidator::retry_later(const TopicPartition& tp, TimePoint now) { backoff_until_[tp] = now + retry_backoff_; }

void PositionValidator::on_response(const protocol::OffsetForLeaderEpochResponse& response, TimePoint now,
                                    std::vector<FetchError>& errors) {
  for (const auto& topic : response.topics) {
    for (const auto& p : topic.partitions) {
      const TopicPartition tp{topic.topic, p.partition};
      auto it = in_flight_.find(tp);
      if (it == in_flight_.end()) continue;
      const Asked asked = it->second;
      in_flight_.erase(it);
      const std::string where = tp.topic + "/" + std::to_string(tp.partition);
      const ErrorTraits traits = error_traits(p.error_code);
      if (p.error_code == kwire::errc::none) {
        bool truncated = false;
        const std::error_code ec = subscriptions_.complete_validation(
            tp, asked.position, asked.current_leader_epoch, p.end_offset, p.leader_epoch, truncated);
        if (truncated) ++truncations_;
        if (ec)
          errors.push_back({.partition = tp,
                            .offset = asked.position.offset,
                            .error = ec,
                            .message = where + ": the log was truncated below offset " +
                                       std::to_string(asked.position.offset) + " (leader epoch " +
                                       std::to_string(asked.position.leader_epoch) + "): the leader's log of that "
                                       "epoch ends at " + std::to_string(p.end_offset) +
                                       " (KIP-320) and auto.offset.reset is none; seek() first"});
      } else if (p.error_code == kwire::errc::unknown_leader_epoch) {
        retry_later(tp, now);  // the broker has not caught up with the epoch yet
      } else if (traits.refresh_metadata || traits.retriable || p.error_code == kwire::errc::fenced_leader_epoch) {
        metadata_refresh_ = true;  // our leader or its epoch is stale
        retry_later(tp, now);
      } else {
        errors.push_back({.partition = tp,
                          .offset = asked.position.offset,
                          .error = make_error_code(p.error_code),
                          .message = where + ": validating the position (OffsetForLeaderEpoch, KIP-320): " +
                                     std::string(error_name(make_error_code(p.error_code)))});
        retry_later(tp, now);
      }
    }
  }
}

void PositionValidator::on_failure(const protocol::OffsetForLeaderEpochRequest& request, TimePoint now) {
  metadata_refresh_ = true;
  for (const auto& topic : request.topics)
    for (const auto& p : topic.partitions) {
      const TopicPartition tp{topic.topic, p.partition};
      in_flight_.erase(tp);
      retry_later(tp, now);
    }
}

std::optional<PositionValidator::TimePoint> PositionValidator::next_wakeup() const {
  std::optional<TimePoint> next;
  for (const auto& [tp, until] : backoff_until_)
    if (!next || until < *next) next = until;
  return next;
}

}  // namespace kwire::consumer
