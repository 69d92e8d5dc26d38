// ConsumerCore's offsets: commits (explicit and enable.auto.commit), the
// committed offsets an assignment starts from, committed() queries, and
// the offset lookups of offsets_for_times() and co (OffsetLookups).
#include <algorithm>

#include "group/consumer_membership.hpp"
#include "kwire/consumer/consumer_core.hpp"
#include "kwire/consumer/consumer_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer {
namespace {

constexpr std::int16_t kOffsetFetchVersion = 7;  // RequireStable (KIP-447); v8+ is the groups form
constexpr std::int16_t kOffsetCommitVersion = 9;  // v10 names topics by id; v9 carries a KIP-848 member epoch
constexpr int kStaleEpochRetries = 3;

}  // namespace

std::vector<CommitOffset> ConsumerCore::consumed_positions() const {
  std::vector<CommitOffset> out;
  for (const auto& tp : subscriptions_.assignment()) {
    if (membership_ && !membership_->may_commit(tp)) continue;
    if (auto position = subscriptions_.position(tp))
      out.push_back({.partition = tp, .offset = position->offset, .leader_epoch = position->leader_epoch,
                     .metadata = {}});
  }
  return out;
}

std::vector<CommitOffset> ConsumerCore::changed_positions() const {
  std::vector<CommitOffset> out = consumed_positions();
  std::erase_if(out, [this](const CommitOffset& o) {
    auto last = last_committed_.find(o.partition);
    return last != last_committed_.end() && last->second == o.offset;
  });
  return out;
}

void ConsumerCore::maybe_auto_commit(TimePoint now, bool force) {
  if (!config_.enable_auto_commit || config_.group_id.empty() || closing_) return;
  if (!force && now < next_auto_commit_) return;
  next_auto_commit_ = now + std::chrono::milliseconds(config_.auto_commit_interval_ms);
  if (auto changed = changed_positions(); !changed.empty()) (void)commit(std::move(changed));
}

std::uint64_t ConsumerCore::commit(std::vector<CommitOffset> offsets) {
  const std::uint64_t id = next_id_++;
  if (offsets.empty()) offsets = consumed_positions();
  if (config_.group_id.empty()) {
    commit_results_.push_back({.id = id, .error = make_error_code(consumer_errc::no_group_id), .offsets = offsets});
  } else if (offsets.empty()) {
    commit_results_.push_back({.id = id, .error = {}, .offsets = {}});
  } else {
    pending_commits_.push_back({.id = id, .offsets = std::move(offsets)});
  }
  return id;
}

std::vector<CommitResult> ConsumerCore::take_commit_results() { return std::exchange(commit_results_, {}); }

void ConsumerCore::emit_commits(std::vector<OutgoingRequest>& out) {
  const CoreRoute coordinator{CoreRoute::Kind::group_coordinator, -1};
  // One OffsetCommit on the wire at a time, in the order they were made: the
  // cluster layer retries a commit across a coordinator move (and KIP-848
  // resends one refused with STALE_MEMBER_EPOCH), so two in flight could
  // land in the other order and an older commit overwrite a newer one's
  // offsets. Java's classic consumer instead never retries commitAsync.
  if (offset_commit_on_the_wire()) return;
  for (auto it = pending_commits_.begin(); it != pending_commits_.end();) {
    std::optional<protocol::OffsetCommitRequest> request;
    std::vector<TopicPartition> refused;
    if (kip848_ && it->after_heartbeat > kip848_->heartbeats_answered() && !kip848_->finished())
      return;  // sent again once a heartbeat brought the current member epoch; later ones wait
    if (membership_) {
      if (membership_->rebalancing()) {
        // A rebalance is under way and the member owns nothing until it
        // ends (what it consumed was committed before the rejoin, with
        // enable.auto.commit). Waiting could deadlock a commit_sync() made
        // from a revocation callback, which holds up the JoinGroup.
        commit_results_.push_back(
            {.id = it->id, .error = make_error_code(kwire::errc::rebalance_in_progress), .offsets = it->offsets});
        const std::uint64_t id = it->id;
        it = pending_commits_.erase(it);
        rebalance_commit_finished(id);
        continue;
      }
      std::vector<group::OffsetToCommit> offsets;
      for (const auto& o : it->offsets)
        offsets.push_back({.partition = o.partition, .offset = o.offset, .leader_epoch = o.leader_epoch,
                           .metadata = o.metadata});
      request = membership_->commit_request(offsets, &refused);
    } else {
      // assign() mode: a "simple" commit, outside any generation (Java's
      // standalone consumer).
      protocol::OffsetCommitRequest r;
      r.group_id = config_.group_id;
      for (const auto& o : it->offsets) {
        if (r.topics.empty() || r.topics.back().name != o.partition.topic) r.topics.emplace_back().name = o.partition.topic;
        protocol::OffsetCommitRequest::Partition p;
        p.partition_index = o.partition.partition;
        p.committed_offset = o.offset;
        p.committed_leader_epoch = o.leader_epoch;
        p.committed_metadata = o.metadata;
        r.topics.back().partitions.push_back(std::move(p));
      }
      request = std::move(r);
    }
    if (!request) {
      commit_results_.push_back(
          {.id = it->id, .error = make_error_code(consumer_errc::partition_not_assigned), .offsets = it->offsets});
      rebalance_commit_finished(it->id);
    } else {
      send(out, coordinator, std::move(*request), kOffsetCommitVersion,
           {.request = {}, .commit_id = it->id, .attempts = it->attempts, .committed_partitions = {}});
      pending_commits_.erase(it);
      return;  // the next one goes out once this one is answered
    }
    it = pending_commits_.erase(it);
  }
}

bool ConsumerCore::offset_commit_on_the_wire() const {
  for (const auto& [id, sent] : sent_)
    if (std::holds_alternative<protocol::OffsetCommitRequest>(sent.request)) return true;
  return false;
}

void ConsumerCore::on_response(std::uint64_t id, protocol::OffsetCommitResponse&& response, TimePoint now) {
  auto it = sent_.find(id);
  if (it == sent_.end()) return;
  const Sent sent = std::move(it->second);
  sent_.erase(it);
  const auto& request = std::get<protocol::OffsetCommitRequest>(sent.request);
  std::error_code error;
  if (membership_) {
    error = membership_->on_commit_response(request, response, now);
  } else {
    if (const kwire::errc first = group::first_commit_error(response); first != kwire::errc::none)
      error = make_error_code(first);
  }
  CommitResult result{.id = sent.commit_id, .error = error, .offsets = {}};
  for (const auto& t : request.topics) {
    for (const auto& p : t.partitions) {
      const TopicPartition tp{t.name, p.partition_index};
      result.offsets.push_back({.partition = tp, .offset = p.committed_offset,
                                .leader_epoch = p.committed_leader_epoch, .metadata = p.committed_metadata.value_or("")});
      if (!error) last_committed_[tp] = p.committed_offset;
    }
  }
  if (error == make_error_code(kwire::errc::stale_member_epoch) && kip848_ && !result.offsets.empty()) {
    // KIP-848: the commit carried an epoch the coordinator has moved past;
    // send it again once a heartbeat brings the current one (Java retries
    // the same way), a few times at most.
    if (sent.attempts < kStaleEpochRetries) {
      // Ahead of the commits made since: they must not land before it.
      pending_commits_.insert(pending_commits_.begin(),
                              {.id = sent.commit_id, .offsets = std::move(result.offsets),
                               .after_heartbeat = kip848_->heartbeats_answered() + 1,
                               .attempts = sent.attempts + 1});
      return;
    }
  }
  commit_results_.push_back(std::move(result));
  rebalance_commit_finished(sent.commit_id);
}

std::uint64_t ConsumerCore::fetch_committed(std::vector<TopicPartition> partitions) {
  const std::uint64_t id = next_id_++;
  if (config_.group_id.empty()) {
    committed_results_.push_back({.id = id, .error = make_error_code(consumer_errc::no_group_id), .offsets = {}});
  } else {
    pending_committed_queries_.push_back({.id = id, .partitions = std::move(partitions), .not_before = {}});
  }
  return id;
}

std::uint64_t ConsumerCore::lookup_offsets(std::map<TopicPartition, std::int64_t> timestamps, TimePoint deadline) {
  const std::uint64_t id = next_id_++;
  lookups_.start(id, std::move(timestamps), deadline);
  return id;
}

std::vector<ConsumerCore::CommittedResult> ConsumerCore::take_committed() {
  return std::exchange(committed_results_, {});
}

protocol::OffsetFetchRequest ConsumerCore::offset_fetch_request(const std::vector<TopicPartition>& partitions) const {
  protocol::OffsetFetchRequest request;
  request.group_id = config_.group_id;
  request.require_stable = true;  // KIP-447: wait out offsets of open transactions
  std::vector<protocol::OffsetFetchRequest::Topic> topics;
  for (const auto& tp : partitions) {
    if (topics.empty() || topics.back().name != tp.topic) topics.push_back({.name = tp.topic, .topic_id = {},
                                                                            .partition_indexes = {}, .unknown_tags = {}});
    topics.back().partition_indexes.push_back(tp.partition);
  }
  request.topics = std::move(topics);
  return request;
}

void ConsumerCore::emit_offset_fetches(std::vector<OutgoingRequest>& out, TimePoint now) {
  const CoreRoute coordinator{CoreRoute::Kind::group_coordinator, -1};
  std::erase_if(pending_committed_queries_, [&](CommittedQuery& q) {
    if (now < q.not_before) return false;
    protocol::OffsetFetchRequest request = offset_fetch_request(q.partitions);  // before the move below
    send(out, coordinator, std::move(request), kOffsetFetchVersion,
         {.request = {}, .committed_id = q.id, .committed_partitions = std::move(q.partitions)});
    return true;
  });

  if (assignment_offsets_in_flight_ || now < offsets_backoff_until_) return;
  std::vector<TopicPartition> awaiting = subscriptions_.awaiting_committed_offset();
  if (awaiting.empty()) return;
  if (config_.group_id.empty()) {
    // No group, nothing committed: start where auto.offset.reset says.
    for (const auto& tp : awaiting)
      if (auto ec = subscriptions_.request_reset(tp))
        errors_.push_back({.partition = tp, .offset = -1, .error = ec,
                           .message = to_string(tp) + ": no position and auto.offset.reset is none; seek() first"});
    return;
  }
  if (membership_ && !membership_->ready_for_offsets()) return;
  send(out, coordinator, offset_fetch_request(awaiting), kOffsetFetchVersion, {});
  assignment_offsets_in_flight_ = true;
}

void ConsumerCore::on_response(std::uint64_t id, protocol::OffsetFetchResponse&& response, TimePoint now) {
  auto it = sent_.find(id);
  if (it == sent_.end()) return;
  const Sent sent = std::move(it->second);
  sent_.erase(it);
  if (sent.committed_id != 0) {
    // KIP-447: a transaction holding an offset for one of them is still
    // open; ask again after the backoff (Java's committed() does), until
    // the caller's timeout gives up.
    const auto unstable = [](const protocol::OffsetFetchResponse::Topic& t) {
      return std::ranges::any_of(t.partitions, [](const auto& p) {
        return p.error_code == kwire::errc::unstable_offset_commit;
      });
    };
    if ((response.error_code == kwire::errc::unstable_offset_commit ||
                           std::ranges::any_of(response.topics, unstable))) {
      pending_committed_queries_.push_back(
          {.id = sent.committed_id, .partitions = sent.committed_partitions,
           .not_before = now + std::chrono::milliseconds(config_.retry_backoff_ms)});
      return;
    }
    CommittedResult result{.id = sent.committed_id, .error = {}, .offsets = {}};
    if (response.error_code != kwire::errc::none) result.error = make_error_code(response.error_code);
    for (const auto& t : response.topics) {
      for (const auto& p : t.partitions) {
        const TopicPartition tp{t.name, p.partition_index};
        if (p.error_code != kwire::errc::none) {
          if (!result.error) result.error = make_error_code(p.error_code);
          continue;
        }
        if (p.committed_offset < 0) result.offsets[tp] = std::nullopt;
        else result.offsets[tp] = CommitOffset{.partition = tp, .offset = p.committed_offset,
                                               .leader_epoch = p.committed_leader_epoch,
                                               .metadata = p.metadata.value_or("")};
      }
    }
    committed_results_.push_back(std::move(result));
    return;
  }
  assignment_offsets_in_flight_ = false;
  if (response.error_code != kwire::errc::none) {
    offsets_backoff_until_ = now + std::chrono::milliseconds(config_.retry_backoff_ms);
    return;
  }
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      const TopicPartition tp{t.name, p.partition_index};
      if (p.error_code == kwire::errc::unstable_offset_commit) {
        // KIP-447: a transaction holding an offset for it is still open; ask again.
        offsets_backoff_until_ = now + std::chrono::milliseconds(config_.retry_backoff_ms);
        continue;
      }
      if (p.error_code != kwire::errc::none) {
        errors_.push_back({.partition = tp, .offset = -1, .error = make_error_code(p.error_code),
                           .message = to_string(tp) + ": OffsetFetch failed: " +
                                      kwire::error_name(make_error_code(p.error_code))});
        offsets_backoff_until_ = now + std::chrono::milliseconds(config_.retry_backoff_ms);
        continue;
      }
      std::optional<FetchPosition> committed;
      if (p.committed_offset >= 0)
        committed = FetchPosition{.offset = p.committed_offset, .leader_epoch = p.committed_leader_epoch};
      else last_committed_.erase(tp);
      if (committed) last_committed_[tp] = committed->offset;
      if (auto ec = subscriptions_.apply_committed(tp, committed))
        errors_.push_back({.partition = tp, .offset = -1, .error = ec,
                           .message = to_string(tp) + ": nothing committed and auto.offset.reset is none; seek() first"});
    }
  }
}

void ConsumerCore::on_offset_fetch_failed(const Sent& sent, std::error_code error, TimePoint now) {
  if (sent.committed_id != 0) {
    committed_results_.push_back({.id = sent.committed_id, .error = error, .offsets = {}});
    return;
  }
  assignment_offsets_in_flight_ = false;
  offsets_backoff_until_ = now + std::chrono::milliseconds(config_.retry_backoff_ms);
}

std::vector<FetchError> ConsumerCore::take_errors() {
  std::vector<FetchError> out = std::exchange(errors_, {});
  for (auto& e : fetcher_.take_errors()) out.push_back(std::move(e));
  return out;
}

}  // namespace kwire::consumer
