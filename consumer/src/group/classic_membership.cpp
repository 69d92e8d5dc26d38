// The join / sync half of ClassicMembership: preparing a join (revocations),
// JoinGroup and SyncGroup, running the assignor as leader, and applying the
// assignment. Timers, heartbeats and leaving are in classic_heartbeat.cpp.
#include "classic_membership.hpp"

#include <algorithm>

#include "kwire/consumer/consumer_error.hpp"
#include "kwire/protocol/consumer_protocol.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer::group {
namespace {

constexpr const char* kProtocolType = "consumer";

std::vector<TopicPartition> as_list(const std::set<TopicPartition>& set) { return {set.begin(), set.end()}; }

std::vector<protocol::ConsumerProtocolTopicPartitions> by_topic(const std::set<TopicPartition>& partitions) {
  std::vector<protocol::ConsumerProtocolTopicPartitions> out;
  for (const auto& tp : partitions) {
    if (out.empty() || out.back().topic != tp.topic) out.push_back({tp.topic, {}});
    out.back().partitions.push_back(tp.partition);
  }
  return out;
}

std::vector<std::uint8_t> encode(const auto& message) {
  std::vector<std::uint8_t> out;
  (void)protocol::encode_consumer_protocol(message, 3, out);  // v3 always encodes
  return out;
}

}  // namespace

std::string_view ClassicMembership::state_name() const noexcept {
  switch (state_) {
    case State::unjoined: return "unjoined";
    case State::preparing: return "preparing";
    case State::joining: return "joining";
    case State::awaiting_metadata: return "awaiting_metadata";
    case State::syncing: return "syncing";
    case State::stable: return "stable";
    case State::left: return "left";
    case State::fatal: return "fatal";
  }
  return "unjoined";
}

ClassicMembership::ClassicMembership(ClassicMembershipConfig config, TimePoint now)
    : config_(std::move(config)), last_poll_(now) {}

bool ClassicMembership::cooperative() const noexcept {
  return !config_.assignors.empty() &&
         std::all_of(config_.assignors.begin(), config_.assignors.end(), [](const auto& a) {
           return a->rebalance_protocol() == RebalanceProtocol::cooperative;
         });
}

const Assignor* ClassicMembership::assignor_named(std::string_view name) const {
  for (const auto& a : config_.assignors)
    if (a->name() == name) return a.get();
  return nullptr;
}

void ClassicMembership::subscribe(std::set<std::string> topics) {
  if (topics == topics_) return;
  topics_ = std::move(topics);
  request_rejoin();
}

void ClassicMembership::request_rejoin() noexcept { rejoin_needed_ = true; }

void ClassicMembership::reset_generation(bool forget_member_id) noexcept {
  generation_ = -1;
  owned_generation_ = -1;
  if (forget_member_id) member_id_.clear();
  leader_id_.clear();
  members_.clear();
  pending_sync_.reset();
  // The partitions are no longer ours to commit: reported lost (not revoked)
  // when the member prepares its next join.
  if (!owned_.empty()) lost_pending_ = true;
  state_ = State::unjoined;
  rejoin_needed_ = true;
}

void ClassicMembership::fail(std::error_code why) noexcept {
  state_ = State::fatal;
  fatal_error_ = why;
  pending_sync_.reset();
}

bool ClassicMembership::handle_membership_error(kwire::errc error, TimePoint now) {
  switch (error) {
    case kwire::errc::unknown_member_id:  // the coordinator forgot us
      reset_generation(true);
      return true;
    case kwire::errc::illegal_generation:  // a rebalance went on without us
      reset_generation(false);
      return true;
    case kwire::errc::not_coordinator:
    case kwire::errc::coordinator_not_available:
      coordinator_lost(now);
      return true;
    default:
      return false;
  }
}

void ClassicMembership::on_poll(TimePoint now) {
  last_poll_ = now;
  if (state_ == State::fatal || state_ == State::left) return;
  if (rejoin_needed_ && !topics_.empty() && (state_ == State::unjoined || state_ == State::stable)) prepare_join();
}

void ClassicMembership::prepare_join() {
  // ConsumerCoordinator.onJoinPrepare: what the member gives up before it
  // asks to join, reported before the JoinGroup goes out.
  if (lost_pending_) {
    lost_pending_ = false;
    queue(RebalanceEvent::Kind::lost, as_list(owned_), make_error_code(consumer_errc::member_lost_partitions));
    owned_.clear();
  } else if (!cooperative()) {
    if (!owned_.empty()) queue(RebalanceEvent::Kind::revoked, as_list(owned_));
    owned_.clear();
  } else {
    // KIP-429: only partitions of topics no longer subscribed.
    std::vector<TopicPartition> unsubscribed;
    for (const auto& tp : owned_)
      if (!topics_.contains(tp.topic)) unsubscribed.push_back(tp);
    if (!unsubscribed.empty()) {
      for (const auto& tp : unsubscribed) owned_.erase(tp);
      queue(RebalanceEvent::Kind::revoked, std::move(unsubscribed));
    }
  }
  rejoin_needed_ = false;
  state_ = State::joining;
}

std::vector<std::uint8_t> ClassicMembership::subscription_metadata(const Assignor& assignor) const {
  protocol::ConsumerProtocolSubscription subscription;
  subscription.topics.assign(topics_.begin(), topics_.end());  // sorted, as Java writes them
  subscription.user_data = assignor.subscription_user_data(owned_generation_);
  subscription.owned_partitions = by_topic(owned_);
  subscription.generation_id = owned_generation_;
  subscription.rack_id = config_.client_rack;
  return encode(subscription);
}

protocol::JoinGroupRequest ClassicMembership::join_request() const {
  protocol::JoinGroupRequest request;
  request.group_id = config_.group_id;
  request.session_timeout_ms = static_cast<std::int32_t>(config_.session_timeout.count());
  request.rebalance_timeout_ms = static_cast<std::int32_t>(config_.max_poll_interval.count());
  request.member_id = member_id_;
  request.group_instance_id = config_.group_instance_id;
  request.protocol_type = kProtocolType;
  for (const auto& assignor : config_.assignors)
    request.protocols.push_back({std::string(assignor->name()), subscription_metadata(*assignor), {}});
  return request;
}

void ClassicMembership::on_response(const protocol::JoinGroupResponse& response, TimePoint now) {
  join_in_flight_ = false;
  if (state_ != State::joining) return;  // e.g. the member left meanwhile
  if (handle_membership_error(response.error_code, now)) return;
  switch (response.error_code) {
    case kwire::errc::none:
      break;
    case kwire::errc::member_id_required:
      // KIP-394: the broker chose our member id; join again with it now.
      member_id_ = response.member_id;
      return;
    case kwire::errc::rebalance_in_progress:
    case kwire::errc::coordinator_load_in_progress:
      backoff_until_ = now + config_.retry_backoff;
      return;
    default:
      // FENCED_INSTANCE_ID (KIP-345), GROUP_AUTHORIZATION_FAILED,
      // INVALID_SESSION_TIMEOUT, INCONSISTENT_GROUP_PROTOCOL,
      // GROUP_MAX_SIZE_REACHED, ...: nothing a retry would change.
      fail(make_error_code(response.error_code));
      return;
  }
  member_id_ = response.member_id;
  generation_ = response.generation_id;
  protocol_name_ = response.protocol_name.value_or("");
  leader_id_ = response.leader;
  if (assignor_named(protocol_name_) == nullptr) {
    fail(make_error_code(kwire::errc::inconsistent_group_protocol));
    return;
  }
  last_heartbeat_response_ = now;
  next_heartbeat_ = now + config_.heartbeat_interval;
  members_.clear();
  if (is_leader() && !response.skip_assignment) {
    for (const auto& m : response.members) {
      GroupMember member{m.member_id, m.group_instance_id, {}};
      // A subscription we cannot read counts as subscribing to nothing, so
      // one broken member cannot stop the whole group from assigning.
      if (protocol::decode_consumer_protocol(m.metadata, member.subscription)) member.subscription = {};
      members_.push_back(std::move(member));
    }
    state_ = State::awaiting_metadata;
    if (wanted_topics().empty()) send_sync();
    return;
  }
  // A follower, or a static leader the broker told not to reassign (KIP-814).
  pending_sync_ = sync_request();
  state_ = State::syncing;
}

std::set<std::string> ClassicMembership::wanted_topics() const {
  std::set<std::string> wanted;
  if (state_ != State::awaiting_metadata) return wanted;
  for (const auto& member : members_)
    for (const auto& topic : member.subscription.topics)
      if (!partitions_per_topic_.contains(topic)) wanted.insert(topic);
  return wanted;
}

void ClassicMembership::on_metadata(const std::map<std::string, std::int32_t>& partitions_per_topic) {
  for (const auto& [topic, count] : partitions_per_topic) partitions_per_topic_[topic] = count;
  if (state_ == State::awaiting_metadata && wanted_topics().empty()) send_sync();
}

std::vector<protocol::SyncGroupRequest::Assignment> ClassicMembership::run_assignor() const {
  std::map<std::string, std::int32_t> counts;
  for (const auto& member : members_)
    for (const auto& topic : member.subscription.topics) counts[topic] = partitions_per_topic_.at(topic);
  std::vector<protocol::SyncGroupRequest::Assignment> out;
  for (const auto& [member_id, assignment] : assignor_named(protocol_name_)->assign(members_, counts))
    out.push_back({member_id, encode(assignment), {}});
  return out;
}

protocol::SyncGroupRequest ClassicMembership::sync_request() const {
  protocol::SyncGroupRequest request;
  request.group_id = config_.group_id;
  request.generation_id = generation_;
  request.member_id = member_id_;
  request.group_instance_id = config_.group_instance_id;
  request.protocol_type = kProtocolType;
  request.protocol_name = protocol_name_;
  return request;
}

void ClassicMembership::send_sync() {
  pending_sync_ = sync_request();
  pending_sync_->assignments = run_assignor();
  state_ = State::syncing;
}

void ClassicMembership::on_response(const protocol::SyncGroupResponse& response, TimePoint now) {
  join_in_flight_ = false;
  if (state_ != State::syncing) return;
  if (handle_membership_error(response.error_code, now)) return;
  switch (response.error_code) {
    case kwire::errc::none:
      complete_sync(response.assignment, now);
      return;
    case kwire::errc::rebalance_in_progress:
      // Join again under the same member id and generation; what was
      // revoked before this join stays revoked (KAFKA-14016).
      state_ = State::joining;
      return;
    default:
      fail(make_error_code(response.error_code));
      return;
  }
}

void ClassicMembership::complete_sync(const std::vector<std::uint8_t>& assignment_bytes, TimePoint now) {
  protocol::ConsumerProtocolAssignment assignment;
  if (!assignment_bytes.empty() && protocol::decode_consumer_protocol(assignment_bytes, assignment)) {
    // The leader sent something we cannot read: join again and let it redo.
    state_ = State::joining;
    backoff_until_ = now + config_.retry_backoff;
    return;
  }
  std::set<TopicPartition> assigned;
  bool unsubscribed_topic = false;
  for (const auto& t : assignment.assigned_partitions) {
    unsubscribed_topic |= !topics_.contains(t.topic);
    for (auto p : t.partitions) assigned.insert({t.topic, p});
  }
  if (cooperative()) {
    std::vector<TopicPartition> revoked, added;
    std::set_difference(owned_.begin(), owned_.end(), assigned.begin(), assigned.end(), std::back_inserter(revoked));
    std::set_difference(assigned.begin(), assigned.end(), owned_.begin(), owned_.end(), std::back_inserter(added));
    if (!revoked.empty()) {
      queue(RebalanceEvent::Kind::revoked, revoked);
      request_rejoin();  // KIP-429: the revoked partitions go to others next round
    }
    queue(RebalanceEvent::Kind::assigned, std::move(added));
  } else {
    queue(RebalanceEvent::Kind::assigned, as_list(assigned));
  }
  // The assignment no longer matches the subscription (it changed during
  // the rebalance): rejoin so the leader assigns the new one.
  if (unsubscribed_topic) request_rejoin();
  owned_ = std::move(assigned);
  owned_generation_ = generation_;
  state_ = State::stable;
  last_heartbeat_response_ = now;
  next_heartbeat_ = now + config_.heartbeat_interval;
}

}  // namespace kwire::consumer::group
