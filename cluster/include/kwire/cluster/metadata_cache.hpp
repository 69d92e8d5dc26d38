#pragma once
// MetadataCache: what a client knows about the cluster — brokers, the
// topics it uses, their partitions, leaders, leader epochs and topic ids —
// and the bookkeeping that decides when to ask again. Kafka's Java client
// splits this between Metadata, MetadataCache and the producer's
// ProducerMetadata; here it is one sans-I/O class: it takes
// MetadataResponses and `now_ms`, and answers questions ("leader of t/3?",
// "is a refresh due?") without touching a socket.
//
// Thread: the client's network thread only; no locks. A client publishes
// what application threads need (e.g. the producer's partition counts)
// separately.
//
// Refresh rules (Java's Metadata.timeToNextUpdate, KIP-580):
//  * A refresh is due when one was requested (request_update()) or the data
//    is older than metadata.max.age.ms.
//  * Never more often than the refresh backoff after the previous attempt:
//    retry.backoff.ms, doubled per consecutive failed attempt up to
//    retry.backoff.max.ms, ±20% jitter. So a partition that stays leaderless
//    (every produce attempt asks for a refresh) costs at most one Metadata
//    request per backoff, not a storm.
//  * A topic seen for the first time bypasses the backoff once (Java's
//    requestUpdateForNewTopics): send() is blocked waiting for it.
//  * One Metadata request in flight at a time.
//
// Rebootstrap (KIP-899, KIP-1102), with metadata.recovery.strategy=rebootstrap:
// the known brokers are forgotten — so the next request goes to
// bootstrap.servers again — when a response says REBOOTSTRAP_REQUIRED, when
// the client finds every known broker unreachable (rebootstrap(), called by
// whoever keeps the connections), and when metadata requests have gone
// unanswered for metadata.recovery.rebootstrap.trigger.ms (rebootstrap_due()):
// the clock starts at the first request sent (or failed) after the last
// answer, as Java's NetworkClient does — not at the last answer, or every
// metadata.max.age.ms refresh would be a rebootstrap when the two settings
// are equal (both 300000 ms by default).
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/net/transport.hpp"
#include "kwire/cluster/backoff.hpp"
#include "kwire/cluster/client_config.hpp"
#include "kwire/cluster/topic_partition.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/export.hpp"
#include "kwire/ids.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

using net::BrokerEndpoint;

struct PartitionInfo {
  NodeId leader;                   ///< -1: no leader (partition unavailable)
  std::int32_t leader_epoch = -1;  ///< KIP-320; -1 unknown
  kwire::errc error = kwire::errc::none;
  friend bool operator==(const PartitionInfo&, const PartitionInfo&) = default;
};

struct TopicInfo {
  std::string name;
  protocol::Uuid topic_id;  ///< zero until Metadata v10+ names it (KIP-516)
  /// The topic-level error of the last response (none when the topic was
  /// found). UNKNOWN_TOPIC_OR_PARTITION / LEADER_NOT_AVAILABLE while the
  /// broker auto-creates it; TOPIC_AUTHORIZATION_FAILED etc. are final.
  kwire::errc error = kwire::errc::none;
  /// Indexed by partition id; size() is the partition count (0 = unknown).
  std::vector<PartitionInfo> partitions;
  /// Partitions with a leader, ascending (the sticky partitioner's choices).
  std::vector<std::int32_t> available;

  std::int32_t partition_count() const noexcept { return static_cast<std::int32_t>(partitions.size()); }
  friend bool operator==(const TopicInfo&, const TopicInfo&) = default;
};

/// What one update changed, so the caller can react (republish, wake waiters).
/// A topic named by an all-topics Metadata answer.
struct ClusterTopic {
  std::string name;
  bool is_internal = false;  ///< __consumer_offsets, __transaction_state (Metadata v1+)
};

struct MetadataUpdateResult {
  bool brokers_changed = false;
  bool topics_changed = false;  ///< partitions, leaders, errors or ids of a wanted topic
  /// KIP-1102: the broker said REBOOTSTRAP_REQUIRED and brokers were
  /// forgotten (with metadata.recovery.strategy=rebootstrap; with none the
  /// response counts as a failed attempt).
  bool rebootstrap = false;
};

class MetadataCache {
 public:
  struct Options {
    std::int64_t refresh_backoff_ms = 100;       ///< retry.backoff.ms
    std::int64_t refresh_backoff_max_ms = 1000;  ///< retry.backoff.max.ms
    std::int64_t max_age_ms = 300000;            ///< metadata.max.age.ms
    std::int64_t max_idle_ms = 300000;           ///< metadata.max.idle.ms (the producer's)
    std::uint64_t jitter_seed = 0;               ///< 0: random
    bool rebootstrap = true;                     ///< metadata.recovery.strategy=rebootstrap
    std::int64_t rebootstrap_trigger_ms = 300000;  ///< metadata.recovery.rebootstrap.trigger.ms
    /// Everything but max_idle_ms (a producer setting) from a validated config.
    static Options from(const ClientConfig& config);
  };

  MetadataCache(Options options, std::vector<BrokerAddress> bootstrap);

  // --- Brokers --------------------------------------------------------------

  /// Brokers from the last response (empty before the first one).
  const std::map<NodeId, BrokerEndpoint>& brokers() const noexcept { return brokers_; }
  /// The bootstrap servers, with ids -1, -2, …
  std::span<const BrokerEndpoint> bootstrap() const noexcept { return bootstrap_; }
  /// A known broker or a bootstrap node; nullptr if neither.
  const BrokerEndpoint* endpoint(NodeId node_id) const;
  /// True once a Metadata response was applied.
  bool has_cluster() const noexcept { return last_success_ms_.has_value(); }
  /// The controller's node id from the last response (Metadata v1+; under
  /// KRaft a broker picked by the cluster, KIP-590); nullopt when unknown.
  std::optional<NodeId> controller() const noexcept {
    return controller_id_.valid() ? std::optional<NodeId>(controller_id_) : std::nullopt;
  }

  // --- Topics -----------------------------------------------------------------

  /// Starts tracking `topic` (idempotent). A new topic asks for an immediate
  /// refresh, past the backoff. Returns true if it was new.
  bool add_topic(std::string_view topic, std::int64_t now_ms);
  /// Marks `topic` as produced to at `now_ms` (metadata.max.idle.ms).
  void touch_topic(std::string_view topic, std::int64_t now_ms);
  /// Forgets topics not touched for metadata.max.idle.ms (Java's
  /// ProducerMetadata retainTopic). Returns how many were dropped.
  std::size_t expire_idle_topics(std::int64_t now_ms);
  bool wants(std::string_view topic) const { return topics_.find(topic) != topics_.end(); }
  /// The tracked topics, in name order.
  std::vector<std::string> wanted_topics() const;

  /// A pattern subscription (the consumer's subscribe(regex), as Java's
  /// subscribe(Pattern)) matches against every topic in the cluster: while
  /// on, requests ask for all topics (a null list) and cluster_topics()
  /// holds the names the last such answer gave. Turning it on asks for a
  /// refresh at once. Partition details are still kept for tracked topics only.
  void set_list_all_topics(bool on) noexcept;
  bool lists_all_topics() const noexcept { return list_all_topics_; }
  /// Whether a request naming topics lets the broker create a missing one
  /// (when its auto.create.topics.enable allows): the consumer's
  /// `allow.auto.create.topics` (default true, as Java's; librdkafka's is
  /// false). The producer always lets it, as Java's producer does.
  void set_allow_auto_topic_creation(bool on) noexcept { allow_auto_topic_creation_ = on; }
  /// nullopt until an all-topics answer arrived.
  const std::optional<std::vector<ClusterTopic>>& cluster_topics() const noexcept { return cluster_topics_; }
  /// Changes whenever cluster_topics() does (0 before the first listing).
  std::uint64_t cluster_topics_generation() const noexcept { return cluster_topics_generation_; }

  /// nullptr when `topic` is not tracked.
  const TopicInfo* topic(std::string_view topic) const;
  /// The leader's node id; nullopt when the partition or its leader is unknown.
  std::optional<NodeId> leader_of(const TopicPartition& tp) const;
  std::optional<NodeId> leader_of(std::string_view topic, std::int32_t partition) const;
  /// 0 when unknown.
  std::int32_t partition_count(std::string_view topic) const;
  /// Partitions with a leader; empty when unknown.
  std::span<const std::int32_t> available_partitions(std::string_view topic) const;
  /// Every known partition of a tracked topic led by `node_id` (what the
  /// sender drains for that node).
  std::span<const TopicPartition> partitions_led_by(NodeId node_id) const;
  /// Zero when unknown.
  protocol::Uuid topic_id(std::string_view topic) const;
  /// The topic name for a topic id (Produce v13 responses); nullptr if none.
  const std::string* topic_name(const protocol::Uuid& id) const;

  // --- Updates --------------------------------------------------------------

  /// Applies a response: replaces the broker list, and for every tracked
  /// topic it names, its id, error and partitions. A partition whose leader
  /// epoch is older than the one we have is kept as is (the answering broker
  /// lags behind, KIP-320). Topics with a retriable error (still being
  /// auto-created, leader elections) ask for another refresh.
  MetadataUpdateResult update(const protocol::MetadataResponse& response, std::int64_t now_ms);

  /// KIP-951: a Produce response named `leader_id` (epoch `leader_epoch`) as
  /// the new leader of `tp`. Applied only if the epoch is newer than ours.
  /// `endpoint` (from the response's NodeEndpoints) adds or updates the
  /// broker. Returns true if the leader changed.
  bool update_leader(const TopicPartition& tp, NodeId leader_id, std::int32_t leader_epoch,
                     const BrokerEndpoint* endpoint = nullptr);

  // --- Refresh bookkeeping ------------------------------------------------------

  /// Asks for a refresh, honouring the backoff floor.
  void request_update() noexcept { update_requested_ = true; }
  bool update_requested() const noexcept { return update_requested_; }
  /// Time until a refresh is due and allowed: 0 = now; kNever when nothing
  /// is due (a max-age refresh is always eventually due once we have data).
  std::int64_t time_to_next_update(std::int64_t now_ms) const noexcept;
  bool update_due(std::int64_t now_ms) const noexcept {
    return !request_in_flight_ && time_to_next_update(now_ms) == 0;
  }
  /// The request to send: the tracked topics by name (an empty list asks
  /// for brokers only), with allow_auto_topic_creation=true as Java's
  /// producer sends (auto-creation is the broker's decision) unless
  /// set_allow_auto_topic_creation(false).
  protocol::MetadataRequest build_request() const;
  /// Bookkeeping around the request: one in flight at a time.
  void on_request_sent(std::int64_t now_ms) noexcept;
  /// The request failed (disconnect, timeout, undecodable): the next one
  /// waits for the (exponentially growing) backoff.
  void on_request_failed(std::int64_t now_ms) noexcept;
  bool request_in_flight() const noexcept { return request_in_flight_; }
  /// When the last response was applied; nullopt before the first.
  std::optional<std::int64_t> last_success_ms() const noexcept { return last_success_ms_; }
  // --- Rebootstrap (KIP-899, KIP-1102) ------------------------------------------

  /// Forgets the known brokers (the next request goes to a bootstrap server)
  /// and asks for a refresh. Does nothing (returns false) when
  /// metadata.recovery.strategy=none or no broker is known.
  bool rebootstrap(std::int64_t now_ms);
  /// KIP-1102: brokers are known but metadata requests have gone unanswered
  /// for metadata.recovery.rebootstrap.trigger.ms: since the first request
  /// sent or failed after the last response, or since the last rebootstrap.
  bool rebootstrap_due(std::int64_t now_ms) const noexcept;
  /// Rebootstraps so far (statistics, tests).
  std::uint64_t rebootstraps() const noexcept { return rebootstraps_; }

  /// The backoff that applies after `failures` consecutive failures
  /// (without jitter); exposed for tests.
  std::int64_t backoff_ms(std::int32_t failures) const noexcept;

  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

 private:
  struct TopicEntry {
    TopicInfo info;
    std::int64_t last_used_ms = 0;
  };

  void rebuild_leader_index();
  static void recompute_available(TopicInfo& info);

  Options options_;
  std::vector<BrokerEndpoint> bootstrap_;
  std::map<NodeId, BrokerEndpoint> brokers_;
  NodeId controller_id_;
  std::map<std::string, TopicEntry, std::less<>> topics_;
  std::map<NodeId, std::vector<TopicPartition>> led_by_;

  bool update_requested_ = true;  ///< the first refresh happens at once
  bool bypass_backoff_ = true;
  bool request_in_flight_ = false;
  bool list_all_topics_ = false;
  bool allow_auto_topic_creation_ = true;
  bool in_flight_lists_all_ = false;  ///< the request in flight asked for all topics
  std::optional<std::vector<ClusterTopic>> cluster_topics_;
  std::uint64_t cluster_topics_generation_ = 0;
  std::int32_t failed_attempts_ = 0;
  std::int64_t last_attempt_ms_ = 0;
  std::optional<std::int64_t> last_success_ms_;
  std::int64_t current_backoff_ms_ = 0;  ///< jittered, drawn when an attempt ends
  /// Start of the current stretch of unanswered metadata attempts (Java's
  /// NetworkClient metadataAttemptStartMs); empty after a response.
  std::optional<std::int64_t> attempt_start_ms_;
  std::uint64_t rebootstraps_ = 0;
  ExponentialBackoff backoff_;  ///< retry.backoff.ms / retry.backoff.max.ms
};

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
