// ConsumerCore: the application side, group membership and the network
// round (see consumer_core.hpp); offsets in consumer_core_offsets.cpp.
#include "kwire/consumer/consumer_core.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

#include "group/classic_membership.hpp"
#include "group/consumer_membership.hpp"
#include "kwire/consumer/consumer_error.hpp"

namespace kwire::consumer {
namespace {

FetcherConfig fetcher_config(const ConsumerConfig& c) {
  FetcherConfig f;
  f.params.max_wait_ms = c.fetch_max_wait_ms;
  f.params.min_bytes = c.fetch_min_bytes;
  f.params.max_bytes = c.fetch_max_bytes;
  f.params.isolation_level = c.isolation_level;
  f.params.rack_id = c.client_rack;
  f.max_partition_fetch_bytes = c.max_partition_fetch_bytes;
  f.max_poll_records = static_cast<std::size_t>(c.max_poll_records);
  f.max_buffered_bytes = static_cast<std::size_t>(c.queued_max_messages_kbytes) * 1024;
  f.check_crcs = c.check_crcs;
  f.retry_backoff = std::chrono::milliseconds(c.retry_backoff_ms);
  f.preferred_replica_ttl = std::chrono::milliseconds(c.metadata_max_age_ms);
  return f;
}

group::ClassicMembershipConfig membership_config(const ConsumerConfig& c) {
  group::ClassicMembershipConfig m;
  m.group_id = c.group_id;
  m.group_instance_id = c.group_instance_id;
  m.session_timeout = group::Milliseconds(c.session_timeout_ms);
  m.heartbeat_interval = group::Milliseconds(c.heartbeat_interval_ms);
  m.max_poll_interval = group::Milliseconds(c.max_poll_interval_ms);
  m.retry_backoff = group::Milliseconds(c.retry_backoff_ms);
  for (const auto& name : c.partition_assignment_strategy)
    if (auto assignor = make_assignor(name)) m.assignors.push_back(std::move(assignor));
  if (!c.client_rack.empty()) m.client_rack = c.client_rack;
  return m;
}

group::ConsumerMembershipConfig kip848_config(const ConsumerConfig& c) {
  group::ConsumerMembershipConfig m;
  m.group_id = c.group_id;
  // KIP-1082 (ConsumerGroupHeartbeat v1): the member id is the client's, a
  // random UUID kept for the consumer's life, as Java makes it.
  protocol::Uuid id;
  std::random_device random;
  for (auto& byte : id.bytes) byte = static_cast<std::uint8_t>(random());
  id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // version 4 (RFC 4122)
  id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3f) | 0x80);
  m.member_id = id.to_base64();
  m.group_instance_id = c.group_instance_id;
  m.server_assignor = c.group_remote_assignor;
  if (!c.client_rack.empty()) m.client_rack = c.client_rack;
  m.max_poll_interval = group::Milliseconds(c.max_poll_interval_ms);
  m.retry_backoff = group::Milliseconds(c.retry_backoff_ms);
  return m;
}

RebalanceEvent public_event(const group::RebalanceEvent& e) {
  RebalanceEvent out;
  switch (e.kind) {
    case group::RebalanceEvent::Kind::assigned: out.kind = RebalanceEvent::Kind::assigned; break;
    case group::RebalanceEvent::Kind::revoked: out.kind = RebalanceEvent::Kind::revoked; break;
    case group::RebalanceEvent::Kind::lost: out.kind = RebalanceEvent::Kind::lost; break;
  }
  out.partitions = e.partitions;
  out.reason = e.reason;
  return out;
}

}  // namespace

ConsumerCore::ConsumerCore(ConsumerConfig config, TimePoint now, cluster::Logger logger)
    : config_(std::move(config)),
      logger_(std::move(logger)),
      last_now_(now),
      subscriptions_(config_.auto_offset_reset),
      fetcher_(fetcher_config(config_), subscriptions_, logger_),
      validator_(subscriptions_, std::chrono::milliseconds(config_.retry_backoff_ms)),
      lookups_(config_.isolation_level, std::chrono::milliseconds(config_.retry_backoff_ms),
               config_.request_timeout_ms),
      next_auto_commit_(now + std::chrono::milliseconds(config_.auto_commit_interval_ms)) {}

ConsumerCore::~ConsumerCore() = default;

void ConsumerCore::check_may_subscribe(std::string_view call) const {
  if (config_.group_id.empty()) throw std::invalid_argument(std::string(call) + " needs group.id (or use assign())");
  if (!membership_ && !subscriptions_.assignment().empty())
    throw std::logic_error(std::string(call) + " after assign(): a consumer uses one or the other");
}

void ConsumerCore::subscribe(std::set<std::string> topics) {
  check_may_subscribe("subscribe()");
  pattern_text_.reset();
  if (logger_.handler()) {
    std::string names;
    for (const auto& t : topics) names += (names.empty() ? "" : ", ") + t;
    logger_(cluster::LogLevel::info, cluster::LogCategory::consumer,
            "subscribe: group " + config_.group_id + ", topics [" + names + "]");
  }
  join_topics(std::move(topics));
}

void ConsumerCore::subscribe_pattern(std::string_view pattern) {
  check_may_subscribe("subscribe_pattern()");
  try {
    pattern_ = std::regex(pattern.begin(), pattern.end(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument("subscribe_pattern(\"" + std::string(pattern) +
                                "\"): not a regular expression (ECMAScript syntax): " + e.what());
  }
  pattern_text_ = std::string(pattern);
  logger_(cluster::LogLevel::info, cluster::LogCategory::consumer,
          "subscribe: group " + config_.group_id + ", topics matching \"" + *pattern_text_ + "\"");
  pattern_listing_seen_ = 0;  // match the current listing again at the next run_once()
}

void ConsumerCore::resolve_pattern(const ClusterView& view) {
  if (!pattern_text_ || !view.cluster_topics) return;
  const ClusterView::TopicListing listing = view.cluster_topics();
  if (listing.topics == nullptr || listing.generation == pattern_listing_seen_) return;
  pattern_listing_seen_ = listing.generation;
  std::set<std::string> matched;
  for (const auto& topic : *listing.topics) {
    if (topic.is_internal && config_.exclude_internal_topics) continue;
    if (std::regex_match(topic.name, pattern_)) matched.insert(topic.name);
  }
  // Nothing matches yet: stay out of the group until a matching topic is
  // created (a member with nothing to read would only slow rebalances).
  if (matched.empty() && !membership_) return;
  if (membership_ && matched == subscriptions_.subscription()) return;
  join_topics(std::move(matched));
}

void ConsumerCore::join_topics(std::set<std::string> topics) {
  if (!membership_) {
    if (config_.group_protocol == GroupProtocol::consumer) {
      auto m = std::make_unique<group::ConsumerMembership>(kip848_config(config_), last_now_);
      kip848_ = m.get();
      membership_ = std::move(m);
    } else {
      auto m = std::make_unique<group::ClassicMembership>(membership_config(config_), last_now_);
      classic_ = m.get();
      membership_ = std::move(m);
    }
  }
  subscriptions_.subscribe(topics);
  membership_->subscribe(std::move(topics));
}

void ConsumerCore::assign(std::vector<TopicPartition> partitions) {
  if (membership_ || pattern_text_)
    throw std::logic_error("assign() after subscribe(): a consumer uses one or the other");
  for (const auto& tp : partitions) drop_errors(tp);
  logger_(cluster::LogLevel::info, cluster::LogCategory::consumer,
          "assign: " + std::to_string(partitions.size()) + " partition(s), no group membership");
  subscriptions_.assign(partitions);
  fetcher_.drop_unassigned();
}

void ConsumerCore::drop_errors(const TopicPartition& tp) {
  std::erase_if(errors_, [&tp](const FetchError& e) { return e.partition == tp; });
  fetcher_.drop_errors(tp);
}

std::set<std::string> ConsumerCore::metadata_topics() const {
  std::set<std::string> topics = subscriptions_.subscription();
  for (const auto& tp : subscriptions_.assignment()) topics.insert(tp.topic);
  if (membership_)
    for (const auto& t : membership_->wanted_topics()) topics.insert(t);
  topics.merge(lookups_.topics());
  return topics;
}

void ConsumerCore::begin_poll(TimePoint now) {
  last_now_ = std::max(last_now_, now);
  maybe_auto_commit(now, false);
  if (!membership_) return;
  maybe_commit_before_revoke();
  // Classic: the rejoin waits for that commit. KIP-848's on_poll() only
  // restarts the max.poll.interval.ms clock, which a commit must not stop.
  if (rejoin_commit_id_ != 0 && classic_) return;
  membership_->on_poll(now);
}

void ConsumerCore::maybe_commit_before_revoke() {
  if (rejoin_commit_id_ != 0) return;
  const std::vector<TopicPartition> revoking = membership_->commit_before_revoke();
  if (revoking.empty()) return;
  // Java's onJoinPrepare, KIP-848's reconciliation: commit what was
  // consumed while the member still owns it; the rebalance waits for the
  // answer, and nothing more is handed out meanwhile (KAFKA-14196).
  std::vector<CommitOffset> changed;
  if (config_.enable_auto_commit) {
    changed = changed_positions();
    std::erase_if(changed, [&](const CommitOffset& o) {
      return std::find(revoking.begin(), revoking.end(), o.partition) == revoking.end();
    });
  }
  if (!changed.empty()) rejoin_commit_id_ = commit(std::move(changed));
  else membership_->revoke_commit_done();
}

void ConsumerCore::rebalance_commit_finished(std::uint64_t commit_id) {
  if (commit_id == 0 || commit_id != rejoin_commit_id_) return;
  rejoin_commit_id_ = 0;
  if (membership_) membership_->revoke_commit_done();
}

std::optional<RebalanceEvent> ConsumerCore::next_event() {
  if (!membership_) return std::nullopt;
  auto event = membership_->next_event();
  if (!event) return std::nullopt;
  RebalanceEvent out = public_event(*event);
  log_event(out);
  apply_event(out);
  return out;
}

void ConsumerCore::apply_event(const RebalanceEvent& event) {
  if (event.kind == RebalanceEvent::Kind::assigned) {
    ++rebalances_;
    subscriptions_.add_partitions(event.partitions);
    return;
  }
  // Revoked or lost: no more fetching, and nothing committed for them.
  subscriptions_.remove_partitions(event.partitions);
  fetcher_.drop_unassigned();
  for (const auto& tp : event.partitions) last_committed_.erase(tp);
  for (auto& pending : pending_commits_)
    std::erase_if(pending.offsets, [&](const CommitOffset& o) {
      return std::find(event.partitions.begin(), event.partitions.end(), o.partition) != event.partitions.end() &&
             event.kind == RebalanceEvent::Kind::lost;
    });
}

void ConsumerCore::events_handled() {
  if (membership_) membership_->events_handled();
}

std::size_t ConsumerCore::collect(std::vector<ConsumerRecord>& out) {
  // While the commit before a rejoin is out, hand out nothing more: what is
  // handed out now would be revoked uncommitted and read again by the
  // partition's next owner.
  if (rejoin_commit_id_ != 0) return 0;
  return fetcher_.collect(out);
}

std::error_code ConsumerCore::seek(const TopicPartition& tp, FetchPosition position) {
  fetcher_.drop_buffered(tp);
  drop_errors(tp);
  return subscriptions_.seek(tp, position);
}

std::error_code ConsumerCore::seek_to_beginning(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    fetcher_.drop_buffered(tp);
    drop_errors(tp);
    if (auto ec = subscriptions_.request_reset(tp, OffsetResetPolicy::earliest)) return ec;
  }
  return {};
}

std::error_code ConsumerCore::seek_to_end(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    fetcher_.drop_buffered(tp);
    drop_errors(tp);
    if (auto ec = subscriptions_.request_reset(tp, OffsetResetPolicy::latest)) return ec;
  }
  return {};
}

void ConsumerCore::close(TimePoint now) {
  if (closing_) return;
  logger_(cluster::LogLevel::info, cluster::LogCategory::consumer,
          config_.group_id.empty() ? std::string("close") : "close: leaving group " + config_.group_id);
  maybe_auto_commit(now, true);
  closing_ = true;
  // The LeaveGroup waits for that commit (run_once): once the member left,
  // it owns nothing and may commit nothing.
}

bool ConsumerCore::commit_in_flight() const {
  return !pending_commits_.empty() || offset_commit_on_the_wire();
}

bool ConsumerCore::closed() const noexcept {
  if (!closing_ || !pending_commits_.empty() || (membership_ && !leave_requested_)) return false;
  for (const auto& [id, sent] : sent_)
    if (!std::holds_alternative<protocol::FetchRequest>(sent.request) &&
        !std::holds_alternative<protocol::ListOffsetsRequest>(sent.request))
      return false;
  return !membership_ || membership_->finished();
}

std::error_code ConsumerCore::group_error() const noexcept {
  return membership_ ? membership_->fatal_error() : std::error_code{};
}

std::string ConsumerCore::group_error_message() const {
  const std::error_code error = group_error();
  if (!error) return {};
  // std::system_error adds error.message() after this.
  std::string out = "group " + config_.group_id;
  if (const std::string name = kwire::error_name(error); name != error.message()) out += ": " + name;
  if (const std::string detail = membership_->fatal_message(); !detail.empty()) out += " (" + detail + ")";
  return out;
}

std::string ConsumerCore::member_id() const { return membership_ ? membership_->member_id() : std::string(); }
std::int32_t ConsumerCore::generation() const { return membership_ ? membership_->generation() : -1; }

ConsumerGroupMetadata ConsumerCore::group_metadata() const {
  return {.group_id = config_.group_id,
          .generation_id = generation(),
          .member_id = member_id(),
          .group_instance_id = config_.group_instance_id};
}

std::uint64_t ConsumerCore::send(std::vector<OutgoingRequest>& out, CoreRoute route, CoreRequest request,
                                 std::int16_t max_version, Sent sent_state) {
  const std::uint64_t id = next_id_++;
  sent_state.request = request;
  sent_state.node_id = route.node_id;
  sent_.emplace(id, std::move(sent_state));
  out.push_back({.id = id, .route = route, .request = std::move(request), .max_version = max_version});
  return id;
}

std::vector<OutgoingRequest> ConsumerCore::run_once(TimePoint now, const ClusterView& view) {
  last_now_ = std::max(last_now_, now);
  std::vector<OutgoingRequest> out;
  if (!closing_) resolve_pattern(view);
  if (kip848_ && !closing_) {
    resolve_topic_ids(view, now);
    maybe_commit_before_revoke();  // a KIP-848 reconciliation need not wait for the next poll()
  }
  emit_commits(out);
  if (closing_ && membership_ && !leave_requested_ && !commit_in_flight()) {
    membership_->leave(now, "the consumer is being closed");
    leave_requested_ = true;
  }
  if (membership_) {
    emit_group_requests(out, now, view);
    log_group_changes();
  }
  if (closing_) return out;
  emit_offset_fetches(out, now);
  // KIP-320: positions that may sit past a truncation are checked first.
  for (auto& check : validator_.prepare(view.leader, now))
    send(out, {CoreRoute::Kind::node, check.node_id}, std::move(check.request),
         protocol::OffsetForLeaderEpochRequest::max_version, {});
  for (auto& lookup : lookups_.prepare(view.leader, now))
    send(out, {CoreRoute::Kind::node, lookup.node_id}, std::move(lookup.request),
         protocol::ListOffsetsRequest::max_version,
         {.request = {}, .committed_partitions = {}, .lookup_id = lookup.lookup_id});
  for (auto& reset : fetcher_.prepare_resets(view.leader, now))
    send(out, {CoreRoute::Kind::node, reset.node_id}, std::move(reset.request), protocol::ListOffsetsRequest::max_version,
         {});
  for (auto& fetch : fetcher_.prepare_fetches(view.leader, view.fetch_version, now))
    send(out, {CoreRoute::Kind::node, fetch.node_id}, std::move(fetch.request), fetch.version, {});
  return out;
}

void ConsumerCore::emit_group_requests(std::vector<OutgoingRequest>& out, TimePoint now, const ClusterView& view) {
  // The cluster layer finds (and re-finds) the coordinator for every
  // request it routes to Route::group_coordinator.
  if (membership_->needs_coordinator()) membership_->on_coordinator_found(now);

  if (const auto wanted = membership_->wanted_topics(); !wanted.empty()) {
    std::map<std::string, std::int32_t> counts;
    for (const auto& topic : wanted)
      if (auto count = view.partition_count(topic)) counts[topic] = *count;
    if (counts.size() == wanted.size()) membership_->on_metadata(counts);
  }
  const CoreRoute coordinator{CoreRoute::Kind::group_coordinator, -1};
  while (auto request = membership_->poll_request(now)) {
    std::visit(
        [&](auto&& r) {
          using R = std::decay_t<decltype(r)>;
          send(out, coordinator, std::move(r), R::max_version, {});
        },
        std::move(*request));
  }
}

void ConsumerCore::on_response(std::uint64_t id, protocol::FetchResponse&& response,
                               std::shared_ptr<const void> keepalive, TimePoint now) {
  auto it = sent_.find(id);
  if (it == sent_.end()) return;
  const std::int32_t node = it->second.node_id;
  sent_.erase(it);
  fetcher_.on_fetch_response(node, response, std::move(keepalive), now);
}

void ConsumerCore::on_response(std::uint64_t id, protocol::ListOffsetsResponse&& response, TimePoint now) {
  auto it = sent_.find(id);
  if (it == sent_.end()) return;
  const Sent sent = std::move(it->second);
  sent_.erase(it);
  const auto& request = std::get<protocol::ListOffsetsRequest>(sent.request);
  if (sent.lookup_id != 0) lookups_.on_response(sent.lookup_id, request, response, now);
  else fetcher_.on_list_offsets_response(sent.node_id, request, response, now);
}

void ConsumerCore::on_response(std::uint64_t id, protocol::JoinGroupResponse&& response, TimePoint now) {
  if (sent_.erase(id) && classic_) classic_->on_response(response, now);
}
void ConsumerCore::on_response(std::uint64_t id, protocol::SyncGroupResponse&& response, TimePoint now) {
  if (sent_.erase(id) && classic_) classic_->on_response(response, now);
}
void ConsumerCore::on_response(std::uint64_t id, protocol::HeartbeatResponse&& response, TimePoint now) {
  if (sent_.erase(id) && classic_) classic_->on_response(response, now);
}
void ConsumerCore::on_response(std::uint64_t id, protocol::LeaveGroupResponse&& response, TimePoint now) {
  if (sent_.erase(id) && classic_) classic_->on_response(response, now);
}
void ConsumerCore::on_response(std::uint64_t id, protocol::ConsumerGroupHeartbeatResponse&& response, TimePoint now) {
  auto it = sent_.find(id);
  if (it == sent_.end()) return;
  const Sent sent = std::move(it->second);
  sent_.erase(it);
  if (kip848_) kip848_->on_response(std::get<protocol::ConsumerGroupHeartbeatRequest>(sent.request), response, now);
}

void ConsumerCore::on_response(std::uint64_t id, protocol::OffsetForLeaderEpochResponse&& response, TimePoint now) {
  if (!sent_.erase(id)) return;
  const std::uint64_t truncations = validator_.truncations();
  std::map<TopicPartition, std::int64_t> before;
  if (logger_.handler())
    for (const auto& topic : response.topics)
      for (const auto& p : topic.partitions)
        if (auto position = subscriptions_.position({topic.topic, p.partition}))
          before[{topic.topic, p.partition}] = position->offset;
  validator_.on_response(response, now, errors_);
  if (validator_.truncations() == truncations) return;
  for (const auto& [tp, offset] : before) {
    const auto after = subscriptions_.position(tp);
    if (after && after->offset < offset)
      logger_(cluster::LogLevel::warning, cluster::LogCategory::fetch,
              to_string(tp) + ": log truncated below offset " + std::to_string(offset) +
                  " (KIP-320): reading again from offset " + std::to_string(after->offset));
  }
}

void ConsumerCore::resolve_topic_ids(const ClusterView& view, TimePoint now) {
  const auto unresolved = kip848_->unresolved_topic_ids();
  if (unresolved.empty()) return;
  group::TopicNames names;
  for (const auto& id : unresolved)
    if (auto name = view.topic_name ? view.topic_name(id) : std::nullopt) names.emplace(id, std::move(*name));
  // Ids metadata does not know yet (a topic just created): refresh it.
  if (names.size() < unresolved.size()) group_metadata_refresh_ = true;
  if (!names.empty()) kip848_->on_topic_names(names, now);
}

void ConsumerCore::on_failure(std::uint64_t id, std::error_code error, TimePoint now) {
  auto it = sent_.find(id);
  if (it == sent_.end()) return;
  Sent sent = std::move(it->second);
  sent_.erase(it);
  std::visit(
      [&](auto&& request) {
        using R = std::decay_t<decltype(request)>;
        if constexpr (std::is_same_v<R, protocol::FetchRequest>) {
          fetcher_.on_fetch_failed(sent.node_id, error, now);
        } else if constexpr (std::is_same_v<R, protocol::ListOffsetsRequest>) {
          if (sent.lookup_id != 0) lookups_.on_failure(sent.lookup_id, request, error, now);
          else fetcher_.on_list_offsets_failed(sent.node_id, request, now);
        } else if constexpr (std::is_same_v<R, protocol::OffsetCommitRequest>) {
          commit_results_.push_back({.id = sent.commit_id, .error = error, .offsets = {}});
          rebalance_commit_finished(sent.commit_id);
        } else if constexpr (std::is_same_v<R, protocol::OffsetFetchRequest>) {
          on_offset_fetch_failed(sent, error, now);
        } else if constexpr (std::is_same_v<R, protocol::OffsetForLeaderEpochRequest>) {
          validator_.on_failure(request, now);
        } else {
          if (membership_) membership_->on_request_failed(group::GroupRequest(std::move(request)), error, now);
        }
      },
      std::move(sent.request));
}

std::optional<ConsumerCore::TimePoint> ConsumerCore::next_wakeup(TimePoint now) const {
  std::optional<TimePoint> next = fetcher_.next_wakeup(now);
  auto lower = [&next](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (membership_) lower(membership_->next_wakeup());
  if (config_.enable_auto_commit && !config_.group_id.empty()) lower(next_auto_commit_);
  if (offsets_backoff_until_ > now) lower(offsets_backoff_until_);
  lower(validator_.next_wakeup());
  lower(lookups_.next_wakeup(now));
  return next;
}

}  // namespace kwire::consumer
