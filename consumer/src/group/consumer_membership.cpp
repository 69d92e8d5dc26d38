// The heartbeat half of ConsumerMembership (KIP-848): joining, the
// heartbeat schedule and its fields, answers and errors, fencing and
// leaving. Reconciliation and commits are in consumer_membership_reconcile.cpp.
#include <algorithm>

#include "consumer_membership.hpp"
#include "kwire/consumer/consumer_error.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer::group {

using Heartbeat = protocol::ConsumerGroupHeartbeatRequest;

std::string_view ConsumerMembership::state_name() const noexcept {
  switch (state_) {
    case State::unsubscribed: return "unsubscribed";
    case State::joining: return "joining";
    case State::stable: return "stable";
    case State::reconciling: return "reconciling";
    case State::acknowledging: return "acknowledging";
    case State::fenced: return "fenced";
    case State::stale: return "stale";
    case State::left: return "left";
    case State::fatal: return "fatal";
  }
  return "unsubscribed";
}

ConsumerMembership::ConsumerMembership(ConsumerMembershipConfig config, TimePoint now)
    : config_(std::move(config)), member_id_(config_.member_id), last_poll_(now) {}

void ConsumerMembership::subscribe(std::set<std::string> topics) {
  if (state_ == State::fatal || state_ == State::left) return;
  if (topics == topics_ && state_ != State::unsubscribed) return;
  topics_ = std::move(topics);
  if (topics_.empty()) {
    // Java unsubscribe(): revoke everything and leave (epoch -1).
    give_up_owned(RebalanceEvent::Kind::revoked, {});
    leave_pending_ = joined_once_;
    joined_once_ = false;
    member_epoch_ = 0;
    ++round_;
    state_ = State::unsubscribed;
    return;
  }
  if (state_ == State::unsubscribed) {
    start_join();
    return;
  }
  // KIP-848: a new subscription goes out with the next heartbeat, at once.
  send_now_ = true;
}

void ConsumerMembership::start_join() noexcept {
  state_ = State::joining;
  member_epoch_ = Heartbeat::join_epoch;
  sent_ = {};  // a join carries every field
  target_.reset();
  revoking_.clear();
  adding_.clear();
  awaiting_revoke_commit_ = false;
  reconcile_events_pending_ = false;
  send_now_ = true;
  ++round_;
}

void ConsumerMembership::on_poll(TimePoint now) { last_poll_ = now; }

void ConsumerMembership::events_handled() noexcept {
  awaiting_callbacks_ = false;
  if (reconcile_events_pending_) {
    // The callbacks ran: the reconciliation is done; acknowledge it now.
    owned_ = owned_after_reconciliation();
    revoking_.clear();
    adding_.clear();
    reconcile_events_pending_ = false;
    state_ = State::acknowledging;
    send_now_ = true;
    reconcile();  // a newer target may be waiting
    return;
  }
  if ((state_ == State::fenced || state_ == State::stale) && !topics_.empty()) start_join();
}

void ConsumerMembership::give_up_owned(RebalanceEvent::Kind kind, std::error_code why) {
  const Assignment owned = owned_after_reconciliation();
  owned_.clear();
  revoking_.clear();
  adding_.clear();
  target_.reset();
  awaiting_revoke_commit_ = false;
  reconcile_events_pending_ = false;
  if (auto partitions = names_of(owned); !partitions.empty()) queue(kind, std::move(partitions), why);
}

void ConsumerMembership::fence(std::error_code why) noexcept {
  // KIP-848: the member's partitions may already be someone else's; they are
  // lost (no commit), and it joins again at epoch 0 under the same id.
  give_up_owned(RebalanceEvent::Kind::lost, why);
  member_epoch_ = Heartbeat::join_epoch;
  joined_once_ = false;
  ++round_;
  state_ = State::fenced;
  if (!awaiting_callbacks_ && !topics_.empty()) start_join();
}

void ConsumerMembership::fail(std::error_code why, std::string message) noexcept {
  give_up_owned(RebalanceEvent::Kind::lost, why);
  state_ = State::fatal;
  fatal_error_ = why;
  fatal_message_ = std::move(message);
  ++round_;
}

void ConsumerMembership::check_poll_timeout(TimePoint now) {
  if (!in_group() && state_ != State::joining) return;
  if (now - last_poll_ <= config_.max_poll_interval) return;
  // The application stopped polling: leave so the group can move on, and
  // tell it when it comes back (Java: MemberState.STALE).
  give_up_owned(RebalanceEvent::Kind::lost, make_error_code(consumer_errc::max_poll_interval_exceeded));
  leave_pending_ = joined_once_;
  joined_once_ = false;
  member_epoch_ = Heartbeat::join_epoch;
  ++round_;
  state_ = State::stale;
}

void ConsumerMembership::leave(TimePoint now, std::string reason) {
  (void)now;
  (void)reason;  // ConsumerGroupHeartbeat has no field for it
  if (state_ == State::fatal || state_ == State::left) return;
  give_up_owned(RebalanceEvent::Kind::revoked, {});
  leave_pending_ = leave_pending_ || joined_once_;
  joined_once_ = false;
  ++round_;
  state_ = State::left;
}

bool ConsumerMembership::finished() const noexcept {
  return (state_ == State::left || state_ == State::fatal || state_ == State::unsubscribed) && !leave_pending_ &&
         !leave_in_flight_;
}

Heartbeat ConsumerMembership::heartbeat_request(bool leaving) {
  Heartbeat request;
  request.group_id = config_.group_id;
  request.member_id = member_id_;
  request.instance_id = config_.group_instance_id;  // Java sends it with every heartbeat
  if (leaving) {
    // KIP-345 under KIP-848: a static member leaving keeps its assignment
    // for a restart within the session (-2).
    request.member_epoch = config_.group_instance_id ? Heartbeat::static_leave_epoch : Heartbeat::leave_epoch;
    return request;
  }
  request.member_epoch = member_epoch_;
  SentFields fields = sent_;
  if (!sent_.static_fields) {
    request.rebalance_timeout_ms = static_cast<std::int32_t>(config_.max_poll_interval.count());
    request.rack_id = config_.client_rack;
    request.server_assignor = config_.server_assignor;
    fields.static_fields = true;
  }
  if (sent_.subscription != topics_) {
    request.subscribed_topic_names = std::vector<std::string>(topics_.begin(), topics_.end());
    fields.subscription = topics_;
  }
  // The owned partitions as the coordinator must see them: while the
  // reconciliation's callbacks have not run, what was owned before it.
  if (sent_.owned != owned_) {
    std::vector<protocol::ConsumerGroupTopicPartitions> owned;
    for (const auto& [id, partitions] : owned_)
      owned.push_back({id, std::vector<std::int32_t>(partitions.begin(), partitions.end()), {}});
    request.topic_partitions = std::move(owned);
    fields.owned = owned_;
  }
  in_flight_fields_ = std::move(fields);
  return request;
}

std::optional<GroupRequest> ConsumerMembership::poll_request(TimePoint now) {
  if (state_ == State::fatal) return std::nullopt;
  check_poll_timeout(now);
  if (leave_pending_ && !leave_in_flight_ && coordinator_known_) {
    leave_pending_ = false;
    leave_in_flight_ = true;
    return heartbeat_request(true);
  }
  const bool joining = state_ == State::joining;
  if (!joining && !in_group()) return std::nullopt;
  if (!coordinator_known_ || heartbeat_in_flight_ || now < backoff_until_) return std::nullopt;
  if (joining && awaiting_callbacks_) return std::nullopt;  // the lost callbacks run first
  if (!joining && !send_now_ && now < next_heartbeat_) return std::nullopt;
  Heartbeat request = heartbeat_request(false);
  heartbeat_in_flight_ = true;
  in_flight_round_ = round_;
  send_now_ = false;
  next_heartbeat_ = now + heartbeat_interval_;
  if (joining) joined_once_ = true;
  if (state_ == State::acknowledging) state_ = State::stable;
  return request;
}

void ConsumerMembership::on_response(const Heartbeat& sent, const protocol::ConsumerGroupHeartbeatResponse& response,
                                     TimePoint now) {
  if (sent.member_epoch < 0) {
    // The answer to a leave: whatever it says (UNKNOWN_MEMBER_ID included),
    // the member is out.
    leave_in_flight_ = false;
    return;
  }
  heartbeat_in_flight_ = false;
  if (in_flight_round_ != round_ || !(state_ == State::joining || in_group())) return;  // an older member's answer
  if (response.error_code != kwire::errc::none) {
    sent_ = {};  // after any error the next heartbeat carries every field (Java)
    on_heartbeat_error(response, now);
    return;
  }
  ++heartbeats_answered_;
  if (in_flight_fields_) sent_ = std::move(*in_flight_fields_);
  in_flight_fields_.reset();
  if (response.member_id && !response.member_id->empty()) member_id_ = *response.member_id;  // v0: the broker's id
  member_epoch_ = response.member_epoch;
  if (response.heartbeat_interval_ms > 0) heartbeat_interval_ = std::chrono::milliseconds(response.heartbeat_interval_ms);
  next_heartbeat_ = now + heartbeat_interval_;
  if (state_ == State::joining) state_ = State::stable;
  if (response.assignment) {
    Assignment target;
    for (const auto& t : response.assignment->topic_partitions)
      target[t.topic_id].insert(t.partitions.begin(), t.partitions.end());
    std::erase_if(target, [](const auto& entry) { return entry.second.empty(); });
    target_ = std::move(target);
  }
  reconcile();
}

void ConsumerMembership::on_heartbeat_error(const protocol::ConsumerGroupHeartbeatResponse& response, TimePoint now) {
  const kwire::errc error = response.error_code;
  const std::string message = response.error_message.value_or("");
  switch (error) {
    case kwire::errc::fenced_member_epoch:
    case kwire::errc::unknown_member_id:
      fence(make_error_code(error));
      return;
    case kwire::errc::not_coordinator:
    case kwire::errc::coordinator_not_available:
      // The cluster layer retried these until the deadline; look the
      // coordinator up again and resend at once.
      coordinator_known_ = false;
      send_now_ = true;
      return;
    case kwire::errc::coordinator_load_in_progress:
    case kwire::errc::rebalance_in_progress:
    case kwire::errc::request_timed_out:
      backoff_until_ = now + config_.retry_backoff;
      send_now_ = true;
      return;
    case kwire::errc::unsupported_version:
      // Kafka 4.x with the protocol disabled, or 3.9 where it is early access.
      fail(make_error_code(consumer_errc::group_protocol_unsupported), message);
      return;
    default:
      // UNRELEASED_INSTANCE_ID (another live member holds our
      // group.instance.id: the joining member is the one refused under
      // KIP-848), FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED,
      // UNSUPPORTED_ASSIGNOR, INVALID_REQUEST, GROUP_AUTHORIZATION_FAILED,
      // TOPIC_AUTHORIZATION_FAILED, GROUP_ID_NOT_FOUND,
      // INVALID_REGULAR_EXPRESSION: a retry changes nothing (Java: fatal).
      fail(make_error_code(error), message);
      return;
  }
}

void ConsumerMembership::on_request_failed(const GroupRequest& request, std::error_code error, TimePoint now) {
  const auto* heartbeat = std::get_if<Heartbeat>(&request);
  if (heartbeat == nullptr) return;
  if (heartbeat->member_epoch < 0) {
    leave_in_flight_ = false;  // best effort: the session timeout removes the member anyway
    return;
  }
  heartbeat_in_flight_ = false;
  in_flight_fields_.reset();
  if (heartbeat->member_epoch >= 0 && error == make_error_code(client_errc::unsupported_version)) {
    fail(make_error_code(consumer_errc::group_protocol_unsupported),
         "the broker's ApiVersions do not list ConsumerGroupHeartbeat");
    return;
  }
  // The answer may have been lost after the coordinator acted on the
  // request: the next heartbeat carries every field, so what the member
  // owns is restated (KIP-848 tolerates the previous epoch for that).
  sent_ = {};
  send_now_ = true;
  backoff_until_ = now + config_.retry_backoff;
}

void ConsumerMembership::on_coordinator_found(TimePoint now) {
  (void)now;
  coordinator_known_ = true;
}

std::optional<TimePoint> ConsumerMembership::next_wakeup() const {
  if (state_ == State::fatal) return std::nullopt;
  if (leave_pending_) return TimePoint{};
  if (state_ != State::joining && !in_group()) return std::nullopt;
  std::optional<TimePoint> wake = last_poll_ + config_.max_poll_interval;
  if (!heartbeat_in_flight_) {
    const TimePoint heartbeat =
        std::max(backoff_until_, (send_now_ || state_ == State::joining) ? TimePoint{} : next_heartbeat_);
    wake = std::min(*wake, heartbeat);
  }
  return wake;
}

}  // namespace kwire::consumer::group
