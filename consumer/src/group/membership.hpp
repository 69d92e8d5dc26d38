#pragma once
// What ConsumerCore needs from a group membership, whichever group protocol
// runs it: the classic one (ClassicMembership: JoinGroup / SyncGroup /
// Heartbeat / LeaveGroup, client-side assignors) or KIP-848's "consumer"
// protocol (ConsumerMembership: ConsumerGroupHeartbeat, server-side
// assignors). Both are sans-I/O: they are told the time, hand out the
// requests to send to the group coordinator (poll_request) and take their
// answers; the application learns of partition moves through the rebalance
// events they queue, handled inside its poll().
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "kwire/consumer/topic_partition.hpp"
#include "kwire/protocol/consumer_group_heartbeat.hpp"
#include "kwire/protocol/heartbeat.hpp"
#include "kwire/protocol/join_group.hpp"
#include "kwire/protocol/leave_group.hpp"
#include "kwire/protocol/offset_commit.hpp"
#include "kwire/protocol/sync_group.hpp"

namespace kwire::consumer::group {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Milliseconds = std::chrono::milliseconds;

/// Topic ids in a map (KIP-848 names topics by id).
struct UuidLess {
  bool operator()(const protocol::Uuid& a, const protocol::Uuid& b) const noexcept { return a.bytes < b.bytes; }
};
using TopicNames = std::map<protocol::Uuid, std::string, UuidLess>;

/// What the application is told (its rebalance callbacks).
struct RebalanceEvent {
  enum class Kind { assigned, revoked, lost };
  Kind kind = Kind::assigned;
  std::vector<TopicPartition> partitions;
  std::error_code reason;  ///< for lost: why
  friend bool operator==(const RebalanceEvent&, const RebalanceEvent&) = default;
};

/// One partition's offset to commit: the position after the last record
/// handed out, and that record's leader epoch (KIP-320).
struct OffsetToCommit {
  TopicPartition partition;
  std::int64_t offset = 0;
  std::int32_t leader_epoch = -1;
  std::string metadata;
};

using GroupRequest = std::variant<protocol::JoinGroupRequest, protocol::SyncGroupRequest, protocol::HeartbeatRequest,
                                  protocol::LeaveGroupRequest, protocol::ConsumerGroupHeartbeatRequest>;

/// An OffsetCommit of `offsets` (v9 layout: topics by name) for a member
/// with `generation` (classic) or member epoch (KIP-848), leaving out the
/// partitions `may_commit` refuses (added to `refused` when given); nullopt
/// when nothing is left.
std::optional<protocol::OffsetCommitRequest> build_commit_request(
    const std::string& group_id, std::int32_t generation, const std::string& member_id,
    const std::optional<std::string>& group_instance_id, const std::vector<OffsetToCommit>& offsets,
    const std::function<bool(const TopicPartition&)>& may_commit, std::vector<TopicPartition>* refused);

/// The first partition error of an OffsetCommit answer (none if none):
/// what a member acts on and reports.
kwire::errc first_commit_error(const protocol::OffsetCommitResponse& response) noexcept;

class GroupMembership {
 public:
  virtual ~GroupMembership() = default;

  // ---- application side
  /// Sets the subscription (an empty set leaves the group's topics).
  virtual void subscribe(std::set<std::string> topics) = 0;
  /// The application called poll(): restarts the max.poll.interval.ms clock;
  /// a (re)join that is due starts.
  virtual void on_poll(TimePoint now) = 0;
  /// The application ran its callbacks for every event taken so far.
  virtual void events_handled() noexcept = 0;
  /// The next event for the application, if any.
  std::optional<RebalanceEvent> next_event() {
    if (events_.empty()) return std::nullopt;
    RebalanceEvent event = std::move(events_.front());
    events_.pop_front();
    return event;
  }
  /// close(): gives up what is owned and leaves the group.
  virtual void leave(TimePoint now, std::string reason) = 0;

  // ---- network side
  /// The next request to send to the coordinator now (call until nullopt).
  virtual std::optional<GroupRequest> poll_request(TimePoint now) = 0;
  /// A request got no response (after the cluster layer's retries).
  virtual void on_request_failed(const GroupRequest& request, std::error_code error, TimePoint now) = 0;
  virtual bool needs_coordinator() const noexcept = 0;
  virtual void on_coordinator_found(TimePoint now) = 0;
  /// Topics whose partition counts the member needs (classic leader).
  virtual std::set<std::string> wanted_topics() const { return {}; }
  virtual void on_metadata(const std::map<std::string, std::int32_t>& partitions_per_topic) {
    (void)partitions_per_topic;
  }
  /// When poll_request() may next have something (a timer), if ever.
  virtual std::optional<TimePoint> next_wakeup() const = 0;

  // ---- offset commits
  /// An OffsetCommit for `offsets` under the current generation / member
  /// epoch, leaving out (and adding to `refused`) partitions not owned.
  virtual std::optional<protocol::OffsetCommitRequest> commit_request(
      const std::vector<OffsetToCommit>& offsets, std::vector<TopicPartition>* refused = nullptr) const = 0;
  /// Acts on the answer to `sent`; returns its first partition error.
  virtual std::error_code on_commit_response(const protocol::OffsetCommitRequest& sent,
                                             const protocol::OffsetCommitResponse& response, TimePoint now) = 0;
  /// Offsets may be committed for `tp` now.
  virtual bool may_commit(const TopicPartition& tp) const = 0;

  // ---- protocol-neutral state
  virtual const std::string& member_id() const noexcept = 0;
  /// Classic: the generation; KIP-848: the member epoch.
  virtual std::int32_t generation() const noexcept = 0;
  /// The state machine's state, by name (statistics, logs).
  virtual std::string_view state_name() const noexcept = 0;
  /// Why the member gave up for good; empty while it has not.
  virtual std::error_code fatal_error() const noexcept = 0;
  /// The coordinator's words on the fatal error, when it gave any.
  virtual std::string fatal_message() const { return {}; }
  /// The member owns nothing until a rebalance ends: a commit now would be
  /// refused (REBALANCE_IN_PROGRESS).
  virtual bool rebalancing() const noexcept = 0;
  /// Committed offsets of newly assigned partitions may be asked for.
  virtual bool ready_for_offsets() const noexcept = 0;
  /// Out of the group (left, fatal, never joined): close() is done with it.
  virtual bool finished() const noexcept = 0;
  /// Partitions to commit before the member gives them up: classic, a
  /// rejoin that is about to revoke (Java onJoinPrepare); KIP-848, the
  /// partitions a reconciliation revokes. Empty when nothing is due.
  virtual std::vector<TopicPartition> commit_before_revoke() const = 0;
  /// That commit was answered (or failed): the rebalance may go on.
  virtual void revoke_commit_done() {}

 protected:
  /// Queues an event for the application; what waits for its callbacks
  /// (a join, an acknowledgement) waits until events_handled().
  void queue(RebalanceEvent::Kind kind, std::vector<TopicPartition> partitions, std::error_code reason = {}) {
    events_.push_back({kind, std::move(partitions), reason});
    awaiting_callbacks_ = true;
  }
  bool awaiting_callbacks_ = false;

 private:
  std::deque<RebalanceEvent> events_;
};

}  // namespace kwire::consumer::group
