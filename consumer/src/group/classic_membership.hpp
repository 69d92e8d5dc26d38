#pragma once
// Membership of a consumer group under the classic protocol (JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup), sans-I/O: it is told the time, hands
// out the requests to send to the group coordinator and takes their
// responses. The owner (the consumer's network loop) finds the coordinator,
// sends, and routes each response back to the matching on_response().
//
// The member's life (Java AbstractCoordinator / ConsumerCoordinator):
//
//   unjoined --on_poll()--> preparing: partitions are revoked (eager: all;
//     cooperative, KIP-429: only those of topics no longer subscribed) or,
//     after the member was reset, reported lost; the events go to the
//     application, and the JoinGroup waits until it says it handled them
//     (events_handled()), so offsets can be committed before they move.
//   joining: JoinGroup. KIP-394: MEMBER_ID_REQUIRED carries our member id,
//     join again at once with it. The leader runs the assignor over every
//     member's ConsumerProtocol subscription (it may first need partition
//     counts for topics only others subscribe to: wanted_topics() /
//     on_metadata()) unless the broker says SkipAssignment (KIP-814).
//   syncing: SyncGroup; the response carries our assignment. Cooperative:
//     revoked = owned - assigned (reported, then a new join is needed),
//     assigned event for what is new only.
//   stable: Heartbeat every heartbeat.interval.ms, on its own timer,
//     whatever the application's poll cadence. REBALANCE_IN_PROGRESS ->
//     rejoin at the next poll, keeping member id and generation.
//
// Errors (Java's handlers): UNKNOWN_MEMBER_ID resets the member id and the
// generation, ILLEGAL_GENERATION the generation: the partitions are lost
// (never committed) and the member rejoins. NOT_COORDINATOR /
// COORDINATOR_NOT_AVAILABLE: the coordinator must be found again
// (needs_coordinator()). FENCED_INSTANCE_ID (another live member with our
// group.instance.id, KIP-345) and the configuration errors are fatal.
//
// Timers: no heartbeat answered within session.timeout.ms -> coordinator
// presumed gone (find it again). No poll within max.poll.interval.ms -> the
// member leaves (LeaveGroup, unless static) and the application is told by a
// lost event carrying consumer_errc::max_poll_interval_exceeded; its next
// poll rejoins.
//
// Thread: one at a time (the owner serialises calls); events are queued for
// the application thread to run its rebalance callbacks inside poll().
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "kwire/consumer/assignor.hpp"
#include "membership.hpp"
#include "kwire/consumer/topic_partition.hpp"
#include "kwire/protocol/heartbeat.hpp"
#include "kwire/protocol/join_group.hpp"
#include "kwire/protocol/leave_group.hpp"
#include "kwire/protocol/offset_commit.hpp"
#include "kwire/protocol/sync_group.hpp"

namespace kwire::consumer::group {

struct ClassicMembershipConfig {
  std::string group_id;
  std::optional<std::string> group_instance_id;  ///< KIP-345 static membership
  Milliseconds session_timeout{45000};
  Milliseconds heartbeat_interval{3000};
  Milliseconds max_poll_interval{300000};  ///< also the JoinGroup rebalance timeout
  Milliseconds retry_backoff{100};
  /// partition.assignment.strategy, in order of preference. Cooperative
  /// (KIP-429) only when every one of them is cooperative, as in Java.
  std::vector<std::shared_ptr<const Assignor>> assignors;
  std::optional<std::string> client_rack;  ///< ConsumerProtocol RackId (v3)
};

class ClassicMembership final : public GroupMembership {
 public:
  enum class State { unjoined, preparing, joining, awaiting_metadata, syncing, stable, left, fatal };

  explicit ClassicMembership(ClassicMembershipConfig config, TimePoint now);

  // ---- application side
  /// Sets the subscription; a change while in the group asks for a rejoin.
  void subscribe(std::set<std::string> topics) override;
  /// The application called poll(): restarts the max.poll.interval.ms
  /// clock and, when a (re)join is due, prepares it (queues revocations).
  void on_poll(TimePoint now) override;
  /// The application ran its callbacks for every event taken so far.
  void events_handled() noexcept override { awaiting_callbacks_ = false; }
  /// The next event for the application, if any.
  /// close(): revokes what is owned and, unless static, sends LeaveGroup.
  void leave(TimePoint now, std::string reason = "the consumer is being closed") override;

  // ---- network side
  /// The next request to send to the coordinator now (call until nullopt).
  /// LeaveGroup comes in its batch form, to be sent at v3 or later.
  std::optional<GroupRequest> poll_request(TimePoint now) override;
  void on_response(const protocol::JoinGroupResponse& response, TimePoint now);
  void on_response(const protocol::SyncGroupResponse& response, TimePoint now);
  void on_response(const protocol::HeartbeatResponse& response, TimePoint now);
  void on_response(const protocol::LeaveGroupResponse& response, TimePoint now);
  /// A request got no response (disconnected, timed out): the coordinator
  /// is looked up again and the request redone.
  void on_request_failed(const GroupRequest& request, TimePoint now);
  void on_request_failed(const GroupRequest& request, std::error_code error, TimePoint now) override {
    (void)error;
    on_request_failed(request, now);
  }
  bool needs_coordinator() const noexcept override { return !coordinator_known_; }
  void on_coordinator_found(TimePoint now) override;
  /// Leader only, after JoinGroup: topics whose partition counts it lacks.
  std::set<std::string> wanted_topics() const override;
  /// Partition counts from metadata (the leader's assignor needs them).
  /// Topics that do not exist are to be given with 0 partitions.
  void on_metadata(const std::map<std::string, std::int32_t>& partitions_per_topic) override;
  /// When poll_request() may next have something (a timer), if ever.
  std::optional<TimePoint> next_wakeup() const override;

  // ---- offset commits (classic_commit.cpp)
  /// An OffsetCommit for `offsets` under the current generation and member
  /// id, leaving out partitions the member does not own in a stable
  /// generation: commits are never made for revoked or lost partitions. The
  /// partitions left out are added to `refused` when given. nullopt when
  /// nothing is left to commit.
  std::optional<protocol::OffsetCommitRequest> commit_request(const std::vector<OffsetToCommit>& offsets,
                                                              std::vector<TopicPartition>* refused = nullptr) const override;
  /// The answer to `sent` (Java OffsetCommitResponseHandler): returns the
  /// first partition error, after acting on it. REBALANCE_IN_PROGRESS asks for
  /// a rejoin; UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION reset the member (if
  /// the commit was made in the current generation); NOT_COORDINATOR /
  /// COORDINATOR_NOT_AVAILABLE / REQUEST_TIMED_OUT mean finding the
  /// coordinator again (retriable, as is COORDINATOR_LOAD_IN_PROGRESS);
  /// FENCED_INSTANCE_ID is fatal; OFFSET_METADATA_TOO_LARGE and
  /// INVALID_COMMIT_OFFSET_SIZE fail only this commit.
  std::error_code on_commit_response(const protocol::OffsetCommitRequest& sent,
                                     const protocol::OffsetCommitResponse& response, TimePoint now) override;

  // ---- introspection
  State state() const noexcept { return state_; }
  const std::string& member_id() const noexcept override { return member_id_; }
  std::int32_t generation() const noexcept override { return generation_; }
  std::string_view state_name() const noexcept override;
  bool is_leader() const noexcept { return !leader_id_.empty() && leader_id_ == member_id_; }
  const std::set<TopicPartition>& owned() const noexcept { return owned_; }
  /// Why the member is fatal (state() == fatal).
  std::error_code fatal_error() const noexcept override { return fatal_error_; }
  /// Offsets may be committed for `tp`: owned in a stable generation.
  bool may_commit(const TopicPartition& tp) const override { return state_ == State::stable && owned_.contains(tp); }
  /// Stable, but the next poll will rejoin (and, eager, revoke everything):
  /// the moment to commit what was consumed, as Java's onJoinPrepare does.
  bool rejoin_pending() const noexcept { return rejoin_needed_ && state_ == State::stable && !topics_.empty(); }
  bool rebalancing() const noexcept override {
    return state_ == State::joining || state_ == State::syncing || state_ == State::awaiting_metadata ||
           state_ == State::preparing;
  }
  bool ready_for_offsets() const noexcept override { return state_ == State::stable; }
  bool finished() const noexcept override {
    return state_ == State::left || state_ == State::fatal || state_ == State::unjoined;
  }
  /// Everything owned, when the next poll rejoins (Java onJoinPrepare).
  std::vector<TopicPartition> commit_before_revoke() const override {
    return rejoin_pending() ? std::vector<TopicPartition>(owned_.begin(), owned_.end()) : std::vector<TopicPartition>{};
  }

 private:
  bool cooperative() const noexcept;
  const Assignor* assignor_named(std::string_view name) const;
  void request_rejoin() noexcept;
  void reset_generation(bool forget_member_id) noexcept;
  void fail(std::error_code why) noexcept;
  void coordinator_lost(TimePoint now) noexcept;
  void prepare_join();
  void check_poll_timeout(TimePoint now);
  protocol::JoinGroupRequest join_request() const;
  std::vector<std::uint8_t> subscription_metadata(const Assignor& assignor) const;
  protocol::SyncGroupRequest sync_request() const;
  void send_sync();
  std::vector<protocol::SyncGroupRequest::Assignment> run_assignor() const;
  void complete_sync(const std::vector<std::uint8_t>& assignment_bytes, TimePoint now);
  /// UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, NOT_COORDINATOR and
  /// COORDINATOR_NOT_AVAILABLE, alike for every response; false for others.
  bool handle_membership_error(kwire::errc error, TimePoint now);

  ClassicMembershipConfig config_;
  State state_ = State::unjoined;
  std::set<std::string> topics_;
  std::string member_id_;
  std::int32_t generation_ = -1;
  /// Generation in which owned_ was assigned (ConsumerProtocol GenerationId).
  std::int32_t owned_generation_ = -1;
  std::string protocol_name_;
  std::string leader_id_;
  std::vector<GroupMember> members_;  ///< leader only, from JoinGroup
  std::map<std::string, std::int32_t> partitions_per_topic_;
  std::set<TopicPartition> owned_;

  bool coordinator_known_ = false;
  bool rejoin_needed_ = true;
  bool lost_pending_ = false;  ///< owned partitions are to be reported lost
  bool join_in_flight_ = false;
  bool heartbeat_in_flight_ = false;
  bool leave_pending_ = false;
  std::string leave_member_id_;
  std::optional<std::string> leave_reason_;
  std::optional<protocol::SyncGroupRequest> pending_sync_;
  TimePoint backoff_until_{};
  TimePoint last_poll_;
  TimePoint next_heartbeat_{};
  TimePoint last_heartbeat_response_{};
  std::int32_t heartbeat_generation_ = -1;  ///< generation the heartbeat in flight was sent in
  std::error_code fatal_error_;
};

}  // namespace kwire::consumer::group
