// Fetcher: building Fetch and ListOffsets requests and taking their answers
// (see fetcher.hpp); the walk over fetched data is in fetch_collector.cpp.
#include "kwire/consumer/fetcher.hpp"

#include <algorithm>
#include <utility>

#include "completed_fetch.hpp"
#include "kwire/cluster/broker_statistics.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer {
namespace {

std::string describe(const TopicPartition& tp) { return tp.topic + "/" + std::to_string(tp.partition); }

/// Responses buffered per partition: the one being drained and one read ahead.
constexpr std::size_t kReadAheadFetches = 2;

/// One past the last complete batch of `records` (never below `fetch_offset`),
/// or nullopt when it holds none (or one that does not parse: drained, it
/// reports the problem).
std::optional<std::int64_t> end_of_complete_batches(Bytes records, std::int64_t fetch_offset) {
  std::optional<std::int64_t> end;
  BatchHeader batch;
  while (!records.empty()) {
    const BatchParseResult parsed = parse_batch_header(records, batch, false);
    if (parsed.status != BatchParseStatus::ok) break;
    end = std::max(fetch_offset, batch.last_offset() + 1);
    records = records.subspan(parsed.consumed);
  }
  return end;
}

}  // namespace

Fetcher::Fetcher(FetcherConfig config, SubscriptionState& subscriptions, cluster::Logger logger)
    : config_(std::move(config)), subscriptions_(subscriptions), logger_(std::move(logger)) {}

Fetcher::~Fetcher() = default;

std::map<TopicPartition, Fetcher::BufferedChain> Fetcher::buffered_chains() const {
  std::map<TopicPartition, BufferedChain> chains;
  for (const auto& fetch : completed_) {
    BufferedChain& chain = chains[fetch->partition];
    if (chain.count++ == 0 && !fetch->done) {
      // The chain continues from the position only while nothing moved it
      // elsewhere (a seek the owner has not yet told drop_buffered() about).
      const auto position = subscriptions_.position(fetch->partition);
      chain.stale = !position || position->offset != fetch->position;
    }
    chain.next_fetch_offset = fetch->next_fetch_offset;
  }
  return chains;
}

bool Fetcher::known_at_end(const TopicPartition& tp, std::int64_t fetch_offset) const {
  auto it = watermarks_.find(tp);
  if (it == watermarks_.end()) return false;
  const std::int64_t end = config_.params.isolation_level == protocol::IsolationLevel::read_committed
                               ? it->second.last_stable_offset
                               : it->second.high_watermark;
  return end >= 0 && fetch_offset >= end;
}

std::size_t Fetcher::buffered_bytes() const noexcept {
  std::size_t total = 0;
  for (const auto& fetch : completed_) total += fetch->bytes;
  return total;
}

std::map<TopicPartition, BufferedData> Fetcher::buffered() const {
  std::map<TopicPartition, BufferedData> out;
  for (const auto& fetch : completed_) {
    BufferedData& data = out[fetch->partition];
    data.bytes += fetch->bytes;
    ++data.responses;
    if (!fetch->done && fetch->next_fetch_offset)
      data.offsets += std::max<std::int64_t>(0, *fetch->next_fetch_offset - fetch->position);
  }
  return out;
}

std::vector<NodeFetch> Fetcher::prepare_fetches(const LeaderLookup& leaders, const VersionLookup& versions,
                                                TimePoint now) {
  // queued.max.messages.kbytes: a full buffer sends nothing until poll()
  // drains it; below the bound a Fetch asks for no more than the room left.
  // Paused partitions' data is left out: it cannot grow (they are not
  // fetched) and cannot drain until resume(), so counting it would stop the
  // other partitions for as long as the application keeps them paused.
  std::size_t buffered_total = 0;
  for (const auto& fetch : completed_)
    if (!subscriptions_.is_paused(fetch->partition)) buffered_total += fetch->bytes;
  const bool was_held = held_by_buffer_cap_;
  held_by_buffer_cap_ = buffered_total >= config_.max_buffered_bytes;
  if (held_by_buffer_cap_) {
    ++counters_.buffer_full_rounds;
    if (!was_held && logger_.debug(cluster::LogCategory::fetch))
      logger_(cluster::LogLevel::debug, cluster::LogCategory::fetch,
              "fetching paused: " + std::to_string(buffered_total) +
                  " bytes buffered reach queued.max.messages.kbytes; poll() resumes it");
    return {};
  }
  FetchParams params = config_.params;
  const std::size_t room = config_.max_buffered_bytes - buffered_total;
  if (room < static_cast<std::size_t>(std::max(0, params.max_bytes)))
    params.max_bytes = static_cast<std::int32_t>(room);

  const std::map<TopicPartition, BufferedChain> buffered = buffered_chains();

  std::map<std::int32_t, FetchTargets> per_node;
  std::map<std::int32_t, bool> node_has_topic_ids;
  std::set<std::int32_t> held_back;     // nodes leading a partition held back by the read-ahead bound
  std::set<std::int32_t> may_have_data; // nodes asked for a partition not known to be at its end
  for (const TopicPartition& tp : subscriptions_.fetchable()) {
    const auto position = subscriptions_.position(tp);
    if (!position) continue;
    // A partition with buffered data is read ahead, from where that data
    // ends, so every Fetch names every partition of its broker: one that
    // named only the partitions drained to their end would park for
    // fetch.max.wait.ms while the others' next data waits behind it.
    // At most kReadAheadFetches responses are buffered per partition.
    std::int64_t fetch_offset = position->offset;
    bool held = false;
    if (auto chain = buffered.find(tp); chain != buffered.end()) {
      if (chain->second.stale) continue;
      held = chain->second.count >= kReadAheadFetches || !chain->second.next_fetch_offset;
      if (!held) fetch_offset = *chain->second.next_fetch_offset;
    }
    if (auto corrupt = corrupt_at_.find(tp); corrupt != corrupt_at_.end()) {
      if (corrupt->second == position->offset) continue;  // stuck until the application seeks
      corrupt_at_.erase(corrupt);
    }
    const auto leader = leaders(tp);
    if (!leader || leader->node_id < 0) {
      metadata_refresh_ = true;
      continue;
    }
    std::int32_t node = leader->node_id;
    if (auto preferred = preferred_.find(tp); preferred != preferred_.end()) {
      if (preferred->second.expires > now) node = preferred->second.node_id;
      else preferred_.erase(preferred);
    }
    NodeState& state = nodes_[node];
    if (state.in_flight || state.backoff_until > now) continue;
    if (held) {
      held_back.insert(node);
      continue;
    }
    per_node[node][tp] = PartitionFetch{.topic_id = leader->topic_id,
                                        .fetch_offset = fetch_offset,
                                        .current_leader_epoch = leader->leader_epoch,
                                        .partition_max_bytes = config_.max_partition_fetch_bytes};
    if (!known_at_end(tp, fetch_offset)) may_have_data.insert(node);
    auto [it, inserted] = node_has_topic_ids.try_emplace(node, true);
    if (leader->topic_id.is_zero()) it->second = false;
  }
  // The same stall one step later: a Fetch of only partitions at their end
  // would park for fetch.max.wait.ms while a partition held back by the
  // read-ahead bound is drained and wants its next data. Wait for that
  // partition instead (the application's next poll() runs prepare_fetches
  // again); then the Fetch names it too.
  std::erase_if(per_node, [&](const auto& entry) {
    return held_back.contains(entry.first) && !may_have_data.contains(entry.first);
  });

  std::vector<NodeFetch> out;
  for (auto& [node, targets] : per_node) {
    std::int16_t version = versions(node);
    // Fetch v13+ names topics by id only (KIP-516); without ids stay at v12.
    if (!node_has_topic_ids[node]) version = std::min<std::int16_t>(version, 12);
    NodeState& state = nodes_[node];
    NodeFetch fetch{.node_id = node, .version = version,
                    .request = state.session.build_request(targets, version, params)};
    state.in_flight = InFlightFetch{.version = version, .sent = std::move(targets), .sent_at = now};
    out.push_back(std::move(fetch));
    ++counters_.fetch_requests;
  }
  return out;
}

void Fetcher::on_fetch_response(std::int32_t node_id, const protocol::FetchResponse& response,
                                std::shared_ptr<const void> keepalive, TimePoint now) {
  auto node = nodes_.find(node_id);
  if (node == nodes_.end() || !node->second.in_flight) return;
  InFlightFetch sent = std::move(*node->second.in_flight);
  node->second.in_flight.reset();
  ++counters_.fetch_responses;
  cluster::record_round_trip(counters_.latency_window_us, counters_.latency_samples,
                             std::chrono::duration_cast<std::chrono::microseconds>(now - sent.sent_at).count());
  if (auto ec = node->second.session.handle_response(response)) {
    // Session errors: the session already fell back to a full request.
    const bool session_lost = ec == make_error_code(kwire::errc::fetch_session_id_not_found) ||
                              ec == make_error_code(kwire::errc::invalid_fetch_session_epoch);
    if (session_lost) {
      ++counters_.fetch_session_resets;
      if (logger_.debug(cluster::LogCategory::fetch))
        logger_(cluster::LogLevel::debug, cluster::LogCategory::fetch,
                "fetch session with broker " + std::to_string(node_id) + " reset (" + kwire::error_name(ec) +
                    "): the next Fetch is a full one (KIP-227)");
    } else {
      node->second.backoff_until = now + config_.retry_backoff;
      logger_(cluster::LogLevel::warning, cluster::LogCategory::fetch,
              "Fetch from broker " + std::to_string(node_id) + " failed: " + kwire::error_name(ec) +
                  "; retrying after retry.backoff.ms");
    }
    return;
  }
  const bool by_id = sent.version >= protocol::FetchRequest::first_topic_id_version;
  const std::map<TopicPartition, BufferedChain> buffered = buffered_chains();
  for (const auto& topic : response.responses) {
    for (const auto& partition : topic.partitions) {
      // The answer names topics as the request did: by id from v13.
      auto match = std::find_if(sent.sent.begin(), sent.sent.end(), [&](const auto& entry) {
        return entry.first.partition == partition.partition_index &&
               (by_id ? entry.second.topic_id == topic.topic_id : entry.first.topic == topic.topic);
      });
      if (match == sent.sent.end()) continue;  // not asked for (or from an older session state)
      std::optional<std::int64_t> expected;  // the offset this partition's data must start at
      if (auto chain = buffered.find(match->first); chain == buffered.end()) {
        if (const auto position = subscriptions_.position(match->first)) expected = position->offset;
      } else if (!chain->second.stale) {
        expected = chain->second.next_fetch_offset;
      }
      handle_partition(node_id, match->first, match->second, partition, expected, keepalive, now);
    }
  }
}

void Fetcher::handle_partition(std::int32_t node_id, const TopicPartition& tp, const PartitionFetch& sent,
                               const protocol::FetchResponse::Partition& partition,
                               std::optional<std::int64_t> expected_offset,
                               const std::shared_ptr<const void>& keepalive, TimePoint now) {
  const auto position = subscriptions_.position(tp);
  // Seeked, revoked or reset while the request was out, or the buffered data
  // it was to follow was dropped: the answer is stale.
  if (!subscriptions_.is_assigned(tp) || !position || expected_offset != sent.fetch_offset) return;
  // Read ahead of buffered data: an error there is met again, and reported,
  // once the position gets there.
  const bool ahead = position->offset != sent.fetch_offset;

  using kwire::errc;
  const errc code = partition.error_code;
  if (code == errc::none) {
    watermarks_[tp] = {.high_watermark = partition.high_watermark,
                       .last_stable_offset = partition.last_stable_offset,
                       .log_start_offset = partition.log_start_offset};
    if (partition.preferred_read_replica >= 0 && partition.preferred_read_replica != node_id) {
      // KIP-392: read from the replica the leader names; its answer carries no records.
      preferred_[tp] = {.node_id = partition.preferred_read_replica, .expires = now + config_.preferred_replica_ttl};
      return;
    }
    if (!partition.records || partition.records->empty()) return;
    counters_.bytes_fetched += partition.records->size();
    auto fetch = std::make_unique<CompletedFetch>();
    fetch->partition = tp;
    fetch->bytes = partition.records->size();
    if (keepalive) {
      fetch->keepalive = keepalive;
      fetch->remaining = *partition.records;
    } else {
      fetch->owned.assign(partition.records->begin(), partition.records->end());
      fetch->remaining = fetch->owned;
    }
    fetch->position = sent.fetch_offset;
    fetch->position_epoch = position->leader_epoch;
    fetch->next_fetch_offset = end_of_complete_batches(fetch->remaining, sent.fetch_offset);
    if (config_.params.isolation_level == protocol::IsolationLevel::read_committed)
      fetch->aborted.emplace(partition.aborted_transactions.value_or(
          std::vector<protocol::FetchResponse::AbortedTransaction>{}));
    completed_.push_back(std::move(fetch));
    return;
  }

  preferred_.erase(tp);  // whatever went wrong, go back to the leader
  if (code == errc::offset_out_of_range) {
    if (ahead) return;
    if (auto ec = subscriptions_.on_offset_out_of_range(tp, sent.fetch_offset))
      add_error(tp, sent.fetch_offset, ec,
                describe(tp) + ": offset " + std::to_string(sent.fetch_offset) +
                    " is out of range and auto.offset.reset is none; seek() to continue");
    return;
  }
  if (partition.current_leader.leader_id >= 0)
    leader_hints_.push_back({.partition = tp, .leader_id = partition.current_leader.leader_id,
                             .leader_epoch = partition.current_leader.leader_epoch});
  const ErrorTraits traits = error_traits(code);
  if (traits.refresh_metadata || code == errc::fenced_leader_epoch || code == errc::unknown_leader_epoch ||
      code == errc::kafka_storage_error || code == errc::offset_not_available) {
    metadata_refresh_ = true;  // the position is kept; the next leader is asked
    return;
  }
  if (traits.retriable || ahead) return;  // e.g. a transient broker condition: fetch again
  add_error(tp, sent.fetch_offset, make_error_code(code),
            describe(tp) + " at offset " + std::to_string(sent.fetch_offset) + ": " +
                kwire::error_name(make_error_code(code)));
}

void Fetcher::on_fetch_failed(std::int32_t node_id, std::error_code error, TimePoint now) {
  auto node = nodes_.find(node_id);
  if (node == nodes_.end()) return;
  node->second.in_flight.reset();
  node->second.session.handle_failure();
  ++counters_.fetch_failures;
  if (logger_.debug(cluster::LogCategory::fetch))
    logger_(cluster::LogLevel::debug, cluster::LogCategory::fetch,
            "Fetch to broker " + std::to_string(node_id) + " got no answer (" + error.message() +
                "); backing off retry.backoff.ms and refreshing metadata");
  node->second.backoff_until = now + config_.retry_backoff;
  std::erase_if(preferred_, [node_id](const auto& entry) { return entry.second.node_id == node_id; });
  metadata_refresh_ = true;
}

std::optional<NodeFetch> Fetcher::close_session(std::int32_t node_id, std::int16_t version) {
  auto node = nodes_.find(node_id);
  if (node == nodes_.end()) return std::nullopt;
  auto request = node->second.session.close_request(version, config_.params);
  if (!request) return std::nullopt;
  return NodeFetch{.node_id = node_id, .version = version, .request = std::move(*request)};
}

std::vector<std::int32_t> Fetcher::session_nodes() const {
  std::vector<std::int32_t> out;
  for (const auto& [node, state] : nodes_)
    if (state.session.session_id() != 0) out.push_back(node);
  return out;
}

std::vector<NodeListOffsets> Fetcher::prepare_resets(const LeaderLookup& leaders, TimePoint now) {
  std::map<std::int32_t, protocol::ListOffsetsRequest> per_node;
  for (const auto& [tp, timestamp] : subscriptions_.pending_resets()) {
    if (resets_in_flight_.contains(tp)) continue;
    const auto leader = leaders(tp);
    if (!leader || leader->node_id < 0) {
      metadata_refresh_ = true;
      continue;
    }
    if (auto node = nodes_.find(leader->node_id); node != nodes_.end() && node->second.backoff_until > now) continue;
    auto& request = per_node[leader->node_id];
    request.isolation_level = config_.params.isolation_level;
    if (request.topics.empty() || request.topics.back().name != tp.topic)
      request.topics.push_back({.name = tp.topic, .partitions = {}, .unknown_tags = {}});
    request.topics.back().partitions.push_back(
        {.partition_index = tp.partition, .current_leader_epoch = leader->leader_epoch, .timestamp = timestamp,
         .unknown_tags = {}});
    resets_in_flight_.insert(tp);
  }
  std::vector<NodeListOffsets> out;
  for (auto& [node, request] : per_node) out.push_back({.node_id = node, .request = std::move(request)});
  return out;
}

void Fetcher::on_list_offsets_response(std::int32_t node_id, const protocol::ListOffsetsRequest& sent,
                                       const protocol::ListOffsetsResponse& response, TimePoint now) {
  for (const auto& topic : sent.topics)
    for (const auto& p : topic.partitions) resets_in_flight_.erase({topic.name, p.partition_index});
  for (const auto& topic : response.topics) {
    for (const auto& p : topic.partitions) {
      const TopicPartition tp{topic.name, p.partition_index};
      if (p.error_code == kwire::errc::none && p.offset >= 0) {
        if (subscriptions_.complete_reset(tp, {.offset = p.offset, .leader_epoch = p.leader_epoch})) {
          drop_buffered(tp);
          ++counters_.offset_resets;
          logger_(cluster::LogLevel::info, cluster::LogCategory::fetch,
                  describe(tp) + ": position reset to offset " + std::to_string(p.offset));
        }
        continue;
      }
      const ErrorTraits traits = error_traits(p.error_code);
      if (traits.refresh_metadata || p.error_code == kwire::errc::fenced_leader_epoch ||
          p.error_code == kwire::errc::unknown_leader_epoch) {
        metadata_refresh_ = true;
      } else if (!traits.retriable) {
        add_error(tp, -1, make_error_code(p.error_code),
                  describe(tp) + ": ListOffsets for the offset reset failed: " +
                      kwire::error_name(make_error_code(p.error_code)));
      }
      nodes_[node_id].backoff_until = now + config_.retry_backoff;
    }
  }
}

void Fetcher::on_list_offsets_failed(std::int32_t node_id, const protocol::ListOffsetsRequest& sent, TimePoint now) {
  for (const auto& topic : sent.topics)
    for (const auto& p : topic.partitions) resets_in_flight_.erase({topic.name, p.partition_index});
  nodes_[node_id].backoff_until = now + config_.retry_backoff;
  metadata_refresh_ = true;
}

void Fetcher::add_error(const TopicPartition& tp, std::int64_t offset, std::error_code error, std::string message) {
  logger_(cluster::LogLevel::warning, cluster::LogCategory::fetch, message);
  errors_.push_back({.partition = tp, .offset = offset, .error = error, .message = std::move(message)});
}

std::vector<FetchError> Fetcher::take_errors() { return std::exchange(errors_, {}); }

bool Fetcher::take_metadata_refresh() noexcept { return std::exchange(metadata_refresh_, false); }

std::vector<LeaderHint> Fetcher::take_leader_hints() { return std::exchange(leader_hints_, {}); }

std::optional<Fetcher::TimePoint> Fetcher::next_wakeup(TimePoint now) const {
  std::optional<TimePoint> earliest;
  for (const auto& [node, state] : nodes_)
    if (state.backoff_until > now && (!earliest || state.backoff_until < *earliest)) earliest = state.backoff_until;
  return earliest;
}

}  // namespace kwire::consumer
