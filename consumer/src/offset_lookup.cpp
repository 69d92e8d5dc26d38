// OffsetLookups: offsets_for_times / beginning_offsets / end_offsets without
// their I/O (see offset_lookup.hpp).
#include "kwire/consumer/offset_lookup.hpp"

#include <algorithm>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer {
namespace {

/// How a partition's error code is met: an answer, retried (after a
/// metadata refresh or not), answered "no such record", or the lookup's end.
enum class Verdict { answered, retry, retry_after_refresh, no_record, fail };

Verdict verdict_for(kwire::errc code) {
  if (code == kwire::errc::none) return Verdict::answered;
  // Brokers on a message format before 0.10 keep no timestamps: Java counts
  // that as "no record at or after the time".
  if (code == kwire::errc::unsupported_for_message_format) return Verdict::no_record;
  // KIP-320: our leader epoch is behind (FENCED) or ahead of (UNKNOWN) the
  // broker's; either way fresh metadata settles who leads.
  if (code == kwire::errc::fenced_leader_epoch || code == kwire::errc::unknown_leader_epoch)
    return Verdict::retry_after_refresh;
  const ErrorTraits traits = error_traits(code);
  if (traits.refresh_metadata) return Verdict::retry_after_refresh;  // NOT_LEADER, UNKNOWN_TOPIC...
  if (traits.retriable) return Verdict::retry;                        // OFFSET_NOT_AVAILABLE...
  return Verdict::fail;
}

/// A request's failure after the cluster layer's own retries: worth another
/// try from fresh metadata (the broker went away, the leader likely moved)?
/// Authentication refusals, version and decoding failures are final.
bool worth_retrying(std::error_code error) {
  if (error == kwire::error_kind::retriable) return true;  // timed_out, disconnected, retriable Kafka codes
  return error == client_errc::connect_failed || error == client_errc::resolve_failed ||
         error == client_errc::no_broker_reachable;
}

const protocol::ListOffsetsResponse::Partition* find_answer(const protocol::ListOffsetsResponse& response,
                                                           const std::string& topic, std::int32_t partition) {
  for (const auto& t : response.topics) {
    if (t.name != topic) continue;
    for (const auto& p : t.partitions)
      if (p.partition_index == partition) return &p;
  }
  return nullptr;
}

}  // namespace

OffsetLookups::OffsetLookups(protocol::IsolationLevel isolation, std::chrono::milliseconds retry_backoff,
                             std::int32_t request_timeout_ms)
    : isolation_(isolation), retry_backoff_(retry_backoff), request_timeout_ms_(request_timeout_ms) {}

void OffsetLookups::start(std::uint64_t id, std::map<TopicPartition, std::int64_t> timestamps, TimePoint deadline) {
  Lookup& lookup = lookups_[id];
  lookup.deadline = deadline;
  for (auto& [tp, timestamp] : timestamps)
    lookup.pending.emplace(tp, Pending{.timestamp = timestamp, .in_flight = false, .not_before = {},
                                       .last_cause = "not asked yet"});
  if (lookup.pending.empty()) finish(id, {}, {});
}

std::optional<OffsetLookupResult> OffsetLookups::expire(std::uint64_t id) {
  auto it = lookups_.find(id);
  if (it == lookups_.end()) return std::nullopt;
  finish(id, make_error_code(client_errc::timed_out), "timed out; unanswered: " + unanswered(it->second));
  OffsetLookupResult result = std::move(results_.back());
  results_.pop_back();
  return result;
}

std::vector<LookupRequest> OffsetLookups::prepare(const LeaderLookup& leaders, TimePoint now) {
  std::vector<LookupRequest> out;
  std::vector<std::uint64_t> expired;
  for (auto& [id, lookup] : lookups_) {
    if (now >= lookup.deadline) {
      expired.push_back(id);
      continue;
    }
    std::map<std::int32_t, protocol::ListOffsetsRequest> per_leader;
    // lookup.pending is ordered by topic, then partition: each topic's
    // partitions come together and make one Topic entry per request.
    for (auto& [tp, pending] : lookup.pending) {
      if (pending.in_flight || now < pending.not_before) continue;
      const std::optional<PartitionLeader> leader = leaders(tp);
      if (!leader || leader->node_id < 0) {
        retry_later(pending, "leader unknown", true, now);
        continue;
      }
      protocol::ListOffsetsRequest& request = per_leader[leader->node_id];
      if (request.topics.empty() || request.topics.back().name != tp.topic)
        request.topics.push_back({.name = tp.topic, .partitions = {}, .unknown_tags = {}});
      request.topics.back().partitions.push_back({.partition_index = tp.partition,
                                                  .current_leader_epoch = leader->leader_epoch,
                                                  .timestamp = pending.timestamp,
                                                  .unknown_tags = {}});
      pending.in_flight = true;
      pending.last_cause = "no answer from node " + std::to_string(leader->node_id) + " yet";
    }
    for (auto& [node, request] : per_leader) {
      request.isolation_level = isolation_;
      request.timeout_ms = request_timeout_ms_;
      out.push_back({.lookup_id = id, .node_id = node, .request = std::move(request)});
    }
  }
  for (const std::uint64_t id : expired)
    finish(id, make_error_code(client_errc::timed_out), "timed out; unanswered: " + unanswered(lookups_.at(id)));
  return out;
}

void OffsetLookups::on_response(std::uint64_t lookup_id, const protocol::ListOffsetsRequest& sent,
                                const protocol::ListOffsetsResponse& response, TimePoint now) {
  auto it = lookups_.find(lookup_id);
  if (it == lookups_.end()) return;  // ended (timed out) while this was on its way
  Lookup& lookup = it->second;
  for (const auto& topic : sent.topics) {
    for (const auto& asked : topic.partitions) {
      const TopicPartition tp{topic.name, asked.partition_index};
      auto pending = lookup.pending.find(tp);
      if (pending == lookup.pending.end()) continue;
      pending->second.in_flight = false;
      const auto* answer = find_answer(response, topic.name, asked.partition_index);
      if (answer == nullptr) {
        retry_later(pending->second, "the broker's answer left it out", false, now);
        continue;
      }
      switch (verdict_for(answer->error_code)) {
        case Verdict::retry:
        case Verdict::retry_after_refresh:
          retry_later(pending->second, kwire::error_name(make_error_code(answer->error_code)),
                      verdict_for(answer->error_code) == Verdict::retry_after_refresh, now);
          continue;
        case Verdict::fail:
          finish(lookup_id, make_error_code(answer->error_code),
                 to_string(tp) + ": ListOffsets failed: " + kwire::error_name(make_error_code(answer->error_code)));
          return;
        case Verdict::answered:
        case Verdict::no_record:
          break;
      }
      std::optional<OffsetAndTimestamp> found;
      // -1: no record has a timestamp at or after the one asked.
      if (answer->error_code == kwire::errc::none && answer->offset >= 0) {
        found = OffsetAndTimestamp{.offset = answer->offset, .timestamp = answer->timestamp, .leader_epoch = {}};
        if (answer->leader_epoch >= 0) found->leader_epoch = answer->leader_epoch;
      }
      lookup.answered[tp] = found;
      lookup.pending.erase(pending);
    }
  }
  if (lookup.pending.empty()) finish(lookup_id, {}, {});
}

void OffsetLookups::on_failure(std::uint64_t lookup_id, const protocol::ListOffsetsRequest& sent,
                               std::error_code error, TimePoint now) {
  auto it = lookups_.find(lookup_id);
  if (it == lookups_.end()) return;
  if (!worth_retrying(error)) {
    std::string names;
    for (const auto& topic : sent.topics)
      for (const auto& p : topic.partitions)
        names += (names.empty() ? "" : ", ") + to_string({topic.name, p.partition_index});
    finish(lookup_id, error, names + ": ListOffsets failed: " + kwire::error_name(error));
    return;
  }
  for (const auto& topic : sent.topics) {
    for (const auto& p : topic.partitions) {
      auto pending = it->second.pending.find({topic.name, p.partition_index});
      if (pending == it->second.pending.end()) continue;
      pending->second.in_flight = false;
      retry_later(pending->second, kwire::error_name(error), true, now);
    }
  }
}

void OffsetLookups::retry_later(Pending& pending, std::string cause, bool refresh, TimePoint now) {
  pending.not_before = now + retry_backoff_;
  pending.last_cause = std::move(cause);
  if (refresh) metadata_refresh_ = true;
}

void OffsetLookups::finish(std::uint64_t id, std::error_code error, std::string message) {
  auto it = lookups_.find(id);
  if (it == lookups_.end()) return;
  OffsetLookupResult result{.id = id, .error = error, .message = std::move(message), .offsets = {}};
  if (!error) result.offsets = std::move(it->second.answered);
  results_.push_back(std::move(result));
  lookups_.erase(it);
}

std::string OffsetLookups::unanswered(const Lookup& lookup) {
  std::string out;
  for (const auto& [tp, pending] : lookup.pending)
    out += (out.empty() ? "" : ", ") + to_string(tp) + " (" + pending.last_cause + ")";
  return out;
}

std::vector<OffsetLookupResult> OffsetLookups::take_results() { return std::exchange(results_, {}); }

bool OffsetLookups::take_metadata_refresh() noexcept { return std::exchange(metadata_refresh_, false); }

std::set<std::string> OffsetLookups::topics() const {
  std::set<std::string> out;
  for (const auto& [id, lookup] : lookups_)
    for (const auto& [tp, pending] : lookup.pending) out.insert(tp.topic);
  return out;
}

std::optional<OffsetLookups::TimePoint> OffsetLookups::next_wakeup(TimePoint now) const {
  std::optional<TimePoint> next;
  const auto lower = [&next](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [id, lookup] : lookups_) {
    lower(lookup.deadline);
    for (const auto& [tp, pending] : lookup.pending)
      if (!pending.in_flight && pending.not_before > now) lower(pending.not_before);
  }
  return next;
}

}  // namespace kwire::consumer
