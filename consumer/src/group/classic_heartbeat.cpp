// The timer half of ClassicMembership: what to send when, heartbeats
// (independent of the application's poll cadence), session and poll
// timeouts, losing and finding the coordinator, and leaving the group.
#include <algorithm>

#include "classic_membership.hpp"
#include "kwire/consumer/consumer_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer::group {

void ClassicMembership::on_coordinator_found(TimePoint now) {
  coordinator_known_ = true;
  // The session clock restarts with the new coordinator (Java resets the
  // heartbeat timer when it finds one).
  last_heartbeat_response_ = now;
  next_heartbeat_ = now;
}

void ClassicMembership::coordinator_lost(TimePoint now) noexcept {
  (void)now;
  coordinator_known_ = false;
  join_in_flight_ = false;
  heartbeat_in_flight_ = false;
  // A join or sync cut short is redone from the JoinGroup, under the same
  // member id and generation, once the coordinator is found again.
  if (state_ == State::syncing || state_ == State::awaiting_metadata) {
    pending_sync_.reset();
    state_ = State::joining;
  }
}

void ClassicMembership::on_request_failed(const GroupRequest& request, TimePoint now) {
  if (std::holds_alternative<protocol::LeaveGroupRequest>(request)) return;  // best effort
  coordinator_lost(now);
}

/// Heartbeats run from the first JoinGroup answer until the member leaves
/// or is reset; while a join it prepared waits for the application, the
/// member still has its generation and keeps it alive.
static bool heartbeats_due_in(ClassicMembership::State state, bool join_in_flight) {
  using State = ClassicMembership::State;
  return state == State::stable || state == State::syncing || state == State::awaiting_metadata ||
         (state == State::joining && !join_in_flight);
}

void ClassicMembership::check_poll_timeout(TimePoint now) {
  if (state_ != State::stable && state_ != State::syncing && state_ != State::awaiting_metadata) return;
  if (now - last_poll_ <= config_.max_poll_interval) return;
  // The application stopped polling: leave so the group can move on
  // (Java maybeLeaveGroup), and tell the application when it comes back.
  const bool send_leave = !config_.group_instance_id && !member_id_.empty() && coordinator_known_;
  const std::string member_id = member_id_;
  queue(RebalanceEvent::Kind::lost, {owned_.begin(), owned_.end()},
        make_error_code(consumer_errc::max_poll_interval_exceeded));
  owned_.clear();
  reset_generation(true);
  lost_pending_ = false;  // already reported
  if (send_leave) {
    leave_pending_ = true;
    leave_member_id_ = member_id;
    leave_reason_ = "consumer poll timeout has expired (max.poll.interval.ms)";
  }
}

std::optional<GroupRequest> ClassicMembership::poll_request(TimePoint now) {
  if (state_ == State::fatal) return std::nullopt;
  check_poll_timeout(now);
  if (leave_pending_ && coordinator_known_) {
    leave_pending_ = false;
    protocol::LeaveGroupRequest request;
    request.group_id = config_.group_id;
    // The batch form (v3+, KIP-345): every broker kwire supports has it.
    request.members.push_back({leave_member_id_, config_.group_instance_id, leave_reason_, {}});
    return request;
  }
  if (state_ == State::left || !coordinator_known_) return std::nullopt;

  if (generation_ >= 0 && heartbeats_due_in(state_, join_in_flight_) &&
      now - last_heartbeat_response_ > config_.session_timeout) {
    // No heartbeat answered within the session: presume the coordinator
    // gone and find it again; if the member expired meanwhile, the next
    // heartbeat says UNKNOWN_MEMBER_ID.
    coordinator_lost(now);
    return std::nullopt;
  }
  if (state_ == State::joining && !join_in_flight_ && !awaiting_callbacks_ && now >= backoff_until_) {
    join_in_flight_ = true;
    return join_request();
  }
  if (state_ == State::syncing && pending_sync_ && !join_in_flight_) {
    join_in_flight_ = true;
    protocol::SyncGroupRequest request = std::move(*pending_sync_);
    pending_sync_.reset();
    return request;
  }
  if (generation_ >= 0 && heartbeats_due_in(state_, join_in_flight_) && !heartbeat_in_flight_ &&
      now >= next_heartbeat_) {
    heartbeat_in_flight_ = true;
    heartbeat_generation_ = generation_;
    next_heartbeat_ = now + config_.heartbeat_interval;
    protocol::HeartbeatRequest request;
    request.group_id = config_.group_id;
    request.generation_id = generation_;
    request.member_id = member_id_;
    request.group_instance_id = config_.group_instance_id;
    return request;
  }
  return std::nullopt;
}

void ClassicMembership::on_response(const protocol::HeartbeatResponse& response, TimePoint now) {
  heartbeat_in_flight_ = false;
  if (heartbeat_generation_ != generation_ || generation_ < 0) return;  // answers an older generation
  if (handle_membership_error(response.error_code, now)) return;
  switch (response.error_code) {
    case kwire::errc::none:
      last_heartbeat_response_ = now;
      return;
    case kwire::errc::rebalance_in_progress:
      last_heartbeat_response_ = now;
      // Rejoin at the next poll, keeping member id, generation and (if
      // cooperative) partitions. While our own SyncGroup is out, this is
      // that rebalance: nothing to do.
      if (state_ == State::stable) request_rejoin();
      return;
    case kwire::errc::fenced_instance_id:
    case kwire::errc::group_authorization_failed:
      fail(make_error_code(response.error_code));
      return;
    default:
      return;  // retried at the next interval
  }
}

void ClassicMembership::leave(TimePoint now, std::string reason) {
  (void)now;
  if (state_ == State::fatal || state_ == State::left) return;
  if (!owned_.empty()) {
    if (lost_pending_)
      queue(RebalanceEvent::Kind::lost, {owned_.begin(), owned_.end()},
            make_error_code(consumer_errc::member_lost_partitions));
    else
      queue(RebalanceEvent::Kind::revoked, {owned_.begin(), owned_.end()});
  }
  owned_.clear();
  lost_pending_ = false;
  // KIP-345: a static member does not leave on close; a restart within the
  // session keeps its assignment without a rebalance.
  if (!config_.group_instance_id && !member_id_.empty() && coordinator_known_) {
    leave_pending_ = true;
    leave_member_id_ = member_id_;
    leave_reason_ = std::move(reason);
  }
  pending_sync_.reset();
  state_ = State::left;
}

void ClassicMembership::on_response(const protocol::LeaveGroupResponse& response, TimePoint now) {
  (void)response;  // the member is gone either way
  (void)now;
}

std::optional<TimePoint> ClassicMembership::next_wakeup() const {
  if (state_ == State::fatal || state_ == State::left) {
    return leave_pending_ ? std::optional<TimePoint>(TimePoint{}) : std::nullopt;
  }
  std::optional<TimePoint> wake;
  auto consider = [&wake](TimePoint t) { wake = wake ? std::min(*wake, t) : t; };
  if (generation_ >= 0 && heartbeats_due_in(state_, join_in_flight_)) {
    if (!heartbeat_in_flight_) consider(next_heartbeat_);
    consider(last_heartbeat_response_ + config_.session_timeout);
  }
  if (state_ == State::stable || state_ == State::syncing || state_ == State::awaiting_metadata)
    consider(last_poll_ + config_.max_poll_interval);
  if (state_ == State::joining && !join_in_flight_) consider(backoff_until_);
  return wake;
}

}  // namespace kwire::consumer::group
