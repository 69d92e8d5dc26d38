#pragma once
// The consumer without its I/O (Java's ConsumerCoordinator + Fetcher +
// OffsetFetcher, driven by one object): the subscription, the classic group
// membership, the fetcher, offset commits (explicit and enable.auto.commit)
// and the committed offsets a new assignment starts from. It is told the
// time and what the cluster looks like, hands out the requests to send
// (each with where it goes: a broker, or the group coordinator) and takes
// their answers by request id. The owner sends them through the cluster
// layer (cluster::Cluster::request: routing, coordinator lookup, versions
// and the retry-after-refresh loop live there, not here).
//
// Application side (the thread that calls poll(), one at a time):
//   begin_poll(now) -> next_event()/events_handled() (rebalance callbacks)
//   -> collect(records) -> take_errors(); commit(...), seek(), pause()...
// Network side: run_once(now, view) -> requests; on_response / on_failure.
// Both sides are serialised by the owner (a lock, or one thread).
//
// Offsets: a partition assigned without a position gets its committed offset
// (OffsetFetch v7 with RequireStable, KIP-447, so offsets of open
// transactions are waited for); none committed -> auto.offset.reset. Commits
// carry the position after the last record poll() handed out and that
// record's leader epoch (KIP-320); commits are never made for partitions the
// member no longer owns; they reach the coordinator one at a time, in the
// order they were made (a retried one never lands after a newer one). With
// enable.auto.commit, positions that moved are
// committed every auto.commit.interval.ms, before a rejoin (so an eager
// rebalance does not redeliver what was consumed) and at close().
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "kwire/cluster/log.hpp"
#include "kwire/cluster/metadata_cache.hpp"
#include "kwire/consumer/config.hpp"
#include "kwire/consumer/fetcher.hpp"
#include "kwire/consumer/offset_lookup.hpp"
#include "kwire/consumer/position_validator.hpp"
#include "kwire/consumer/statistics.hpp"
#include "kwire/consumer/subscription_state.hpp"
#include "kwire/protocol/consumer_group_heartbeat.hpp"
#include "kwire/protocol/heartbeat.hpp"
#include "kwire/protocol/join_group.hpp"
#include "kwire/protocol/leave_group.hpp"
#include "kwire/protocol/offset_commit.hpp"
#include "kwire/protocol/offset_fetch.hpp"
#include "kwire/protocol/sync_group.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

namespace group {
class GroupMembership;
class ClassicMembership;
class ConsumerMembership;
}  // namespace group

/// What the application is told in its rebalance callbacks.
struct RebalanceEvent {
  enum class Kind { assigned, revoked, lost };
  Kind kind = Kind::assigned;
  std::vector<TopicPartition> partitions;
  std::error_code reason;  ///< lost: why
};

/// An offset to commit for one partition (the next offset to read).
struct CommitOffset {
  TopicPartition partition;
  std::int64_t offset = 0;
  std::int32_t leader_epoch = -1;
  std::string metadata;
};

/// The member's identity in its group, for a transactional producer's
/// send_offsets_to_transaction() (KIP-447, Java's ConsumerGroupMetadata):
/// the group coordinator refuses a TxnOffsetCommit whose generation and
/// member id are not the current ones, which fences a copier the group has
/// rebalanced away. Under KIP-848 the generation is the member epoch.
struct ConsumerGroupMetadata {
  std::string group_id;
  std::int32_t generation_id = -1;  ///< -1 outside a group or before the first join
  std::string member_id;            ///< empty outside a group or before the first join
  std::optional<std::string> group_instance_id;  ///< KIP-345 static membership
};

struct CommitResult {
  std::uint64_t id = 0;
  std::error_code error;  ///< first partition error, or why it was not sent
  std::vector<CommitOffset> offsets;
};

/// Where a request goes: a broker by id, or the group's coordinator.
struct CoreRoute {
  enum class Kind : std::uint8_t { node, group_coordinator };
  Kind kind = Kind::node;
  std::int32_t node_id = -1;
};

using CoreRequest =
    std::variant<protocol::FetchRequest, protocol::ListOffsetsRequest, protocol::JoinGroupRequest,
                 protocol::SyncGroupRequest, protocol::HeartbeatRequest, protocol::LeaveGroupRequest,
                 protocol::OffsetCommitRequest, protocol::OffsetFetchRequest,
                 protocol::ConsumerGroupHeartbeatRequest, protocol::OffsetForLeaderEpochRequest>;

struct OutgoingRequest {
  std::uint64_t id = 0;
  CoreRoute route;
  CoreRequest request;
  /// The version to send at most. Fetch: exactly the version the session
  /// request was built for (the view's fetch_version for that node).
  std::int16_t max_version = 0;
};

/// What the core needs to know about the cluster (the metadata cache).
struct ClusterView {
  LeaderLookup leader;
  VersionLookup fetch_version;
  /// Partition count of a topic; nullopt while unknown; 0 if it does not exist.
  std::function<std::optional<std::int32_t>(const std::string& topic)> partition_count;
  /// The name of a topic id (KIP-848 assignments name topics by id);
  /// nullopt while metadata does not know it.
  std::function<std::optional<std::string>(const protocol::Uuid& topic_id)> topic_name;
  /// Every topic in the cluster, for a pattern subscription (the metadata
  /// cache's all-topics listing); null while none arrived. `generation`
  /// changes whenever the list does.
  struct TopicListing {
    const std::vector<cluster::ClusterTopic>* topics = nullptr;
    std::uint64_t generation = 0;
  };
  std::function<TopicListing()> cluster_topics;
};

class ConsumerCore {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  /// `config` must be validated; the core keeps its own copy. `logger`
  /// takes the `consumer`, `group` and `fetch` lines (none per record).
  ConsumerCore(ConsumerConfig config, TimePoint now, cluster::Logger logger = {});
  ~ConsumerCore();
  ConsumerCore(const ConsumerCore&) = delete;
  ConsumerCore& operator=(const ConsumerCore&) = delete;

  // ---- application side
  /// Group mode (needs group.id). An empty set leaves the group's topics.
  void subscribe(std::set<std::string> topics);
  /// Group mode, the topics chosen by a regular expression matched against
  /// whole topic names (ECMAScript syntax; Java's subscribe(Pattern)). The
  /// subscription follows the cluster as metadata refreshes (at least every
  /// metadata.max.age.ms) find matching topics created or deleted; internal
  /// topics only with exclude.internal.topics=false. Replaces an earlier
  /// subscribe(); subscribe(topics) replaces the pattern. Throws
  /// std::invalid_argument for a malformed pattern.
  void subscribe_pattern(std::string_view pattern);
  /// The pattern of subscribe_pattern() (nullopt: none): the metadata
  /// cache must list every topic.
  const std::optional<std::string>& subscribed_pattern() const noexcept { return pattern_text_; }
  /// Manual assignment, no group membership (commits still go to group.id).
  void assign(std::vector<TopicPartition> partitions);
  std::vector<TopicPartition> assignment() const { return subscriptions_.assignment(); }
  /// Topics the metadata cache should track.
  std::set<std::string> metadata_topics() const;

  /// poll() starts: the max.poll.interval.ms clock restarts; a rejoin that
  /// is due starts (after auto-committing what was consumed).
  void begin_poll(TimePoint now);
  /// The next rebalance event, applied to the assignment as it is taken.
  std::optional<RebalanceEvent> next_event();
  /// The application ran its callbacks for every event taken.
  void events_handled();
  /// Records for the application (see Fetcher::collect for the lifetime).
  std::size_t collect(std::vector<ConsumerRecord>& out);
  std::vector<FetchError> take_errors();

  std::optional<FetchPosition> position(const TopicPartition& tp) const { return subscriptions_.position(tp); }
  /// seek*() and assign() drop the errors still queued for the partitions
  /// they name (e.g. "no offset" under auto.offset.reset=none, queued before
  /// the seek that fixed it): the next poll() does not report them.
  std::error_code seek(const TopicPartition& tp, FetchPosition position);
  std::error_code seek_to_beginning(const std::vector<TopicPartition>& partitions);
  std::error_code seek_to_end(const std::vector<TopicPartition>& partitions);
  void pause(const std::vector<TopicPartition>& partitions) { subscriptions_.pause(partitions); }
  void resume(const std::vector<TopicPartition>& partitions) { subscriptions_.resume(partitions); }
  std::vector<TopicPartition> paused() const { return subscriptions_.paused(); }

  /// Commits `offsets`, or every owned partition's position when empty.
  /// Returns the id its CommitResult will carry.
  std::uint64_t commit(std::vector<CommitOffset> offsets = {});
  std::vector<CommitResult> take_commit_results();
  /// Asks for the committed offsets of `partitions` (committed()); the answer
  /// arrives in take_committed().
  std::uint64_t fetch_committed(std::vector<TopicPartition> partitions);
  struct CommittedResult {
    std::uint64_t id = 0;
    std::error_code error;
    std::map<TopicPartition, std::optional<CommitOffset>> offsets;  ///< nullopt: nothing committed
  };
  std::vector<CommittedResult> take_committed();
  /// Looks up offsets by ListOffsets "timestamp" per partition (a time in
  /// ms, or list_offsets_timestamp::earliest / latest), assigned or not
  /// (offsets_for_times(), beginning_offsets(), end_offsets(); see
  /// OffsetLookups). The answer arrives in take_offset_lookups(), by
  /// `deadline` at the latest.
  std::uint64_t lookup_offsets(std::map<TopicPartition, std::int64_t> timestamps, TimePoint deadline);
  std::vector<OffsetLookupResult> take_offset_lookups() { return lookups_.take_results(); }
  /// The caller stopped waiting for lookup `id`: it ends as timed out (its
  /// result, naming what was unanswered; nullopt if it had ended already).
  std::optional<OffsetLookupResult> expire_offset_lookup(std::uint64_t id) { return lookups_.expire(id); }

  /// close(): commits (auto-commit), revokes, leaves the group (LeaveGroup
  /// unless static), closes fetch sessions. done() says when all went out.
  void close(TimePoint now);
  bool closed() const noexcept;

  // ---- network side
  std::vector<OutgoingRequest> run_once(TimePoint now, const ClusterView& view);
  /// `keepalive` owns the bytes a FetchResponse's records point into (or null: copied).
  void on_response(std::uint64_t id, protocol::FetchResponse&& response, std::shared_ptr<const void> keepalive,
                   TimePoint now);
  void on_response(std::uint64_t id, protocol::ListOffsetsResponse&& response, TimePoint now);
  void on_response(std::uint64_t id, protocol::JoinGroupResponse&& response, TimePoint now);
  void on_response(std::uint64_t id, protocol::SyncGroupResponse&& response, TimePoint now);
  void on_response(std::uint64_t id, protocol::HeartbeatResponse&& response, TimePoint now);
  void on_response(std::uint64_t id, protocol::LeaveGroupResponse&& response, TimePoint now);
  void on_response(std::uint64_t id, protocol::OffsetCommitResponse&& response, TimePoint now);
  void on_response(std::uint64_t id, protocol::OffsetFetchResponse&& response, TimePoint now);
  void on_response(std::uint64_t id, protocol::ConsumerGroupHeartbeatResponse&& response, TimePoint now);
  void on_response(std::uint64_t id, protocol::OffsetForLeaderEpochResponse&& response, TimePoint now);
  /// The request got no usable answer (after the cluster layer's retries).
  void on_failure(std::uint64_t id, std::error_code error, TimePoint now);
  /// Metadata should be refreshed (leader moved, partition without leader).
  bool take_metadata_refresh() noexcept {
    return fetcher_.take_metadata_refresh() | validator_.take_metadata_refresh() |
           lookups_.take_metadata_refresh() | std::exchange(group_metadata_refresh_, false);
  }
  std::vector<LeaderHint> take_leader_hints() { return fetcher_.take_leader_hints(); }
  /// When run_once() should run again even if nothing arrives.
  std::optional<TimePoint> next_wakeup(TimePoint now) const;

  const Fetcher& fetcher() const noexcept { return fetcher_; }
  /// Fills the core's part of a statistics snapshot: totals, the group,
  /// the assigned partitions (not the brokers, the timestamps or client_id).
  void collect_statistics(ConsumerStatistics& out) const;
  const PositionValidator& validator() const noexcept { return validator_; }
  /// Group mode: member id and generation (empty / -1 otherwise).
  std::string member_id() const;
  std::int32_t generation() const;
  /// group.id, generation, member id and group.instance.id, read together.
  ConsumerGroupMetadata group_metadata() const;
  bool in_group() const noexcept { return membership_ != nullptr; }
  /// Why the group membership gave up for good (poll() reports it), e.g.
  /// consumer_errc::group_protocol_unsupported, FENCED_INSTANCE_ID; empty
  /// while it has not.
  std::error_code group_error() const noexcept;
  /// What to put before group_error().message(): the group, the Kafka
  /// error's name, and the coordinator's message when it gave one.
  std::string group_error_message() const;

 private:
  struct Sent {
    CoreRequest request;
    std::int32_t node_id = -1;
    std::uint64_t commit_id = 0;     ///< OffsetCommit: the CommitResult id
    std::uint64_t committed_id = 0;  ///< OffsetFetch for fetch_committed(); 0: the assignment's
    int attempts = 0;                ///< OffsetCommit: sends before this one (STALE_MEMBER_EPOCH)
    std::vector<TopicPartition> committed_partitions;  ///< fetch_committed(): what it asked (to ask again)
    std::uint64_t lookup_id = 0;     ///< ListOffsets for lookup_offsets(); 0: an offset reset's
  };
  struct PendingCommit {
    std::uint64_t id = 0;
    std::vector<CommitOffset> offsets;
    /// KIP-848, after STALE_MEMBER_EPOCH: sent once this many heartbeats
    /// were answered (the member then knows its current epoch).
    std::uint64_t after_heartbeat = 0;
    int attempts = 0;
  };

  std::uint64_t send(std::vector<OutgoingRequest>& out, CoreRoute route, CoreRequest request,
                     std::int16_t max_version, Sent sent_state);
  std::vector<CommitOffset> consumed_positions() const;
  std::vector<CommitOffset> changed_positions() const;
  void maybe_auto_commit(TimePoint now, bool force);
  void emit_group_requests(std::vector<OutgoingRequest>& out, TimePoint now, const ClusterView& view);
  void emit_commits(std::vector<OutgoingRequest>& out);
  void emit_offset_fetches(std::vector<OutgoingRequest>& out, TimePoint now);
  void on_offset_fetch_failed(const Sent& sent, std::error_code error, TimePoint now);
  protocol::OffsetFetchRequest offset_fetch_request(const std::vector<TopicPartition>& partitions) const;
  void apply_event(const RebalanceEvent& event);
  /// Commits what was consumed from partitions about to be revoked (Java
  /// onJoinPrepare; KIP-848 reconciliation) before the rebalance goes on.
  void maybe_commit_before_revoke();
  void rebalance_commit_finished(std::uint64_t commit_id);
  void resolve_topic_ids(const ClusterView& view, TimePoint now);
  bool commit_in_flight() const;
  /// An OffsetCommit sent and not answered yet (at most one: emit_commits()).
  bool offset_commit_on_the_wire() const;
  /// Throws what subscribe() and subscribe_pattern() refuse (no group.id,
  /// after assign()), naming `call`.
  void check_may_subscribe(std::string_view call) const;
  /// Group membership for `topics` (subscribe() after its checks).
  void join_topics(std::set<std::string> topics);
  /// subscribe_pattern(): the subscription becomes the topics that match.
  void resolve_pattern(const ClusterView& view);
  /// Forgets the errors queued for `tp`, here and in the fetcher.
  void drop_errors(const TopicPartition& tp);

  const ConsumerConfig config_;
  cluster::Logger logger_;
  TimePoint last_now_;  ///< the latest time the owner gave (subscribe() has none of its own)
  SubscriptionState subscriptions_;
  std::optional<std::string> pattern_text_;
  std::regex pattern_;
  std::uint64_t pattern_listing_seen_ = 0;  ///< the TopicListing generation matched last
  Fetcher fetcher_;
  PositionValidator validator_;
  OffsetLookups lookups_;
  std::unique_ptr<group::GroupMembership> membership_;
  group::ClassicMembership* classic_ = nullptr;     ///< membership_ under group.protocol=classic
  group::ConsumerMembership* kip848_ = nullptr;     ///< membership_ under group.protocol=consumer
  bool group_metadata_refresh_ = false;
  std::map<std::uint64_t, Sent> sent_;
  std::uint64_t next_id_ = 1;

  std::vector<PendingCommit> pending_commits_;
  std::vector<CommitResult> commit_results_;
  std::map<TopicPartition, std::int64_t> last_committed_;
  TimePoint next_auto_commit_;
  std::uint64_t rejoin_commit_id_ = 0;  ///< the auto-commit a rejoin (or a KIP-848 revocation) waits for
  /// A committed() query waiting to go out (again, after not_before: an
  /// UNSTABLE_OFFSET_COMMIT answer is retried, KIP-447).
  struct CommittedQuery {
    std::uint64_t id = 0;
    std::vector<TopicPartition> partitions;
    TimePoint not_before{};
  };
  std::vector<CommittedQuery> pending_committed_queries_;
  std::vector<CommittedResult> committed_results_;
  bool assignment_offsets_in_flight_ = false;
  TimePoint offsets_backoff_until_{};
  std::vector<FetchError> errors_;
  bool closing_ = false;
  bool leave_requested_ = false;
  // Statistics and logs of the group.
  std::uint64_t rebalances_ = 0;
  std::int32_t logged_generation_ = -1;
  std::string_view logged_group_state_;
  /// Logs a new generation / member id (joins) and state changes.
  void log_group_changes();
  /// Logs a rebalance event as it is applied.
  void log_event(const RebalanceEvent& event);
};

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
