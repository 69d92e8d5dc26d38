#pragma once
// Sender: the network thread's half of the producer. It drains ready batches
// from the RecordAccumulator per leader broker, seals them (compression,
// producer state from the ProducerStateManager seam), sends Produce
// requests, and turns each partition's answer into a delivery report, a
// retry, a split or a failure through ONE classification
// (classify_produce_error, STYLE lesson 6). The connections are the cluster
// layer's BrokerPool (connect, reconnect backoff, authentication refusals,
// idle close, per-broker statistics) and metadata refreshes its
// MetadataUpdater; the Sender owns one of each over the Transport it is
// given. Cut as Kafka's Java producer/internals/Sender (run_once).
//
// Sans-I/O as far as practical: all network access goes through the
// Transport interface and time through `now_ms` / an injected clock; there
// is no timer inside. The driver (the Producer's network loop, or a test)
// calls run_once(now), which returns when it wants to run again, and calls
// it soon after `wake` is signalled by an event (a response, a connection
// result, a send() that created a batch).
//
// Per round, run_once(now):
//   1. fails batches past delivery.timeout.ms (accumulator.expire), lets the
//      ProducerStateManager start its round (resolve sequences, bump the
//      epoch), and — once it is fatal — fails every queued batch with
//      client_errc::fatal_producer_state as soon as nothing is in flight;
//      sends InitProducerId when it asks for a producer id (on the least
//      loaded ready connection, else connecting to a broker first);
//   2. asks the accumulator which leaders have sendable batches; partitions
//      with no known leader request a metadata refresh;
//   3. for each such leader: makes sure a connection exists (connect with
//      socket.connection.setup.timeout.ms, exponential reconnect backoff),
//      skips it while the broker throttles us (KIP-219), and while fewer than
//      max.in.flight.requests.per.connection requests are in flight drains
//      batches (at most one per partition, up to max.request.size), seals
//      them and sends one Produce request (acks=0: no response expected,
//      batches complete once written, offset -1);
//   4. sends a Metadata request when one is due (MetadataCache's rules) on
//      the least loaded ready connection, else connects to a known broker,
//      else to a bootstrap server;
//   5. closes idle connections (connections.max.idle.ms; bootstrap
//      connections once real brokers are known).
//
// Authentication failures (client_errc::authentication_failed: a broker
// refused our SASL credentials or mechanism, or TLS verification failed —
// unknown CA, host name mismatch, missing client certificate) are not
// retriable, as Java's AuthenticationException (KIP-152). The node backs
// off like any failed connection (reconnect.backoff.ms, growing to
// reconnect.backoff.max.ms: no reconnect storm), and while the condition
// lasts every round fails at once, with that error and the connection's
// detail (DeliveryReport::detail), the queued batches no connection can
// serve: those led by a refusing node, and — when no connection is usable
// — those waiting for a leader or for a producer id. hooks.on_authentication
// tells the producer, which then fails send()s waiting for metadata (Java's
// Metadata.fatalError surfacing through ProducerMetadata.awaitUpdate). A
// later successful connection clears it (per node, and producer-wide).
// Java leaves queued batches to expire after delivery.timeout.ms instead;
// kwire fails them promptly so a bad password is one clear error, not a
// two-minute wait for a timeout.
//
// Ordering: batches of one partition leave in order, at most one per
// request. With max.in.flight.requests.per.connection = 1 a partition is
// muted while its batch is in flight, so a retry cannot overtake anything:
// strict per-partition order. With more in flight and no idempotence, a
// failed-then-retried batch can land after a later one — exactly as in
// Kafka's Java producer. The idempotent producer (idempotence.hpp) keeps
// order with up to 5 in flight: the broker accepts sequences in order only,
// and a retried batch goes out only when it is its partition's first
// unresolved one.
//
// Thread: everything here runs on the network thread, except that the
// accumulator it drains is fed by application threads (it has its own locks).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "kwire/cluster/broker_pool.hpp"
#include "kwire/cluster/features.hpp"
#include "kwire/cluster/metadata_updater.hpp"
#include "kwire/compression/compressor.hpp"
#include "kwire/compression/decompressor.hpp"
#include "kwire/cluster/metadata_cache.hpp"
#include "kwire/producer/config.hpp"
#include "kwire/producer/log.hpp"
#include "produce_outcome.hpp"
#include "producer_state.hpp"
#include "record_accumulator.hpp"
#include "kwire/producer/statistics.hpp"
#include "kwire/net/transport.hpp"

namespace kwire::producer {

class TransactionalProducerState;
struct TransactionChannel;

using cluster::MetadataCache;
using cluster::MetadataUpdateResult;
using net::BrokerEndpoint;

struct SenderHooks {
  /// The current time in ms on the accumulator's clock; used by event
  /// handlers (run_once gets `now` as an argument). Required.
  std::function<std::int64_t()> clock;
  /// An event made progress possible: call run_once() soon. The producer
  /// coalesces these into one posted call. May be empty (tests poll).
  std::function<void()> wake;
  /// A Metadata response was applied (e.g. to republish partition counts to
  /// application threads blocked in send()).
  std::function<void(const MetadataCache&, const MetadataUpdateResult&)> on_metadata;
  /// The producer-wide authentication condition changed: `error` is
  /// client_errc::authentication_failed with the connection's `detail` when
  /// a broker refused our credentials, empty when a later connection
  /// succeeded. May be empty.
  std::function<void(std::error_code error, const std::string& detail)> on_authentication;
  /// Why metadata cannot be had right now ("no broker reachable — <address>:
  /// <reason>; ..."), or empty once a Metadata response arrives; called when
  /// it changes. May be empty.
  std::function<void(const std::string& why)> on_cluster_status;
  LogHandler log;
};

class Sender {
 public:
  /// `config` must be validated. The references must outlive the sender.
  Sender(const ProducerConfig& config, RecordAccumulator& accumulator, MetadataCache& metadata, net::Transport& transport,
         ProducerStateManager& state, SenderHooks hooks);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  /// One round of decisions (see the top of this file). Returns the
  /// absolute time (same clock as `now_ms`) at which it needs to run again
  /// even if no event arrives — a linger or backoff running out, a metadata
  /// refresh, a reconnect, an idle connection to close — or kNoDeadline.
  std::int64_t run_once(std::int64_t now_ms);

  /// Makes this the sender of a transactional producer: every round it also
  /// runs `state`'s coordinator requests (sender_transactions.cpp), fails
  /// queued batches while the transaction is being aborted, and caps Produce
  /// at v11 unless the cluster runs transaction version 2 (KIP-890). `state`
  /// must be the ProducerStateManager given to the constructor. Call once,
  /// before the first run_once().
  void enable_transactions(TransactionalProducerState& state);
  /// "node 2 (host:port)", "not known yet" or "none" (not transactional).
  std::string describe_transaction_coordinator() const;

  /// Starts tracking `topic`'s metadata (a send() is waiting for it).
  void add_topic(std::string_view topic, std::int64_t now_ms);

  /// Fail-fast check. `done(error, detail)` runs once: with no error when a
  /// Metadata response arrives; with client_errc::no_broker_reachable as
  /// soon as every bootstrap server (and every broker known from metadata)
  /// failed a connection attempt after the call — `detail` then lists each
  /// "address: reason"; with client_errc::authentication_failed at once when
  /// a broker refuses our TLS/SASL credentials; with shutting_down if the
  /// sender shuts down first.
  using ClusterCheckHandler = std::function<void(std::error_code, const std::string& detail)>;
  void check_cluster(ClusterCheckHandler done);

  /// Fails every queued and in-flight batch with `reason` (each record gets
  /// its report), closes every connection and turns run_once() into a
  /// no-op. Returns how many batches were failed. Idempotent.
  std::size_t shutdown(std::error_code reason);
  bool is_shut_down() const noexcept { return shut_down_; }

  // --- Introspection (tests, statistics) ------------------------------------
  std::size_t in_flight_requests() const noexcept { return in_flight_.size(); }
  std::size_t in_flight_requests(NodeId node) const;
  bool is_connected(NodeId node) const { return pool_.is_ready(cluster::NodeKey{node}); }
  /// Until when `node` throttles us (0 if it does not).
  std::int64_t throttled_until(NodeId node) const { return pool_.throttled_until(cluster::NodeKey{node}); }
  const MetadataCache& metadata() const noexcept { return metadata_; }
  /// The connections (data lane only: the producer has no coordinator traffic yet).
  const cluster::BrokerPool& pool() const noexcept { return pool_; }
  /// KIP-584 finalized features, from every connection's ApiVersions.
  const cluster::ClusterFeatures& features() const noexcept { return pool_.features(); }
  /// The authentication failure in force (see the top of this file), empty
  /// when none; `detail` then explains it.
  std::error_code authentication_error(std::string* detail = nullptr) const {
    return pool_.authentication_error(detail);
  }
  /// Fills `out.brokers`, `out.partitions` and the totals that come from
  /// them (statistics.hpp); the caller adds the producer-wide fields.
  /// Network thread; walks brokers, in-flight requests and partitions.
  void collect_statistics(ProducerStatistics& out) const;

 private:
  using Node = cluster::BrokerPool::Node;
  using NodeState = cluster::BrokerPool::State;
  /// Produce requests in flight on one connection
  /// (max.in.flight.requests.per.connection), for the connection generation
  /// they were sent on.
  struct ProduceSlots {
    std::uint64_t generation = 0;
    std::int32_t in_flight = 0;
  };

  /// Per-partition statistics the sender counts (per batch attempt).
  struct PartitionStats {
    std::uint64_t batches_sent = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t uncompressed_bytes_sent = 0;
    std::uint64_t retries = 0;
    std::map<std::string, std::uint64_t> errors;
  };

  struct InFlight {
    NodeId node;
    std::uint64_t generation = 0;
    std::int16_t version = 0;
    bool expects_response = true;
    std::vector<BatchPtr> batches;
    std::vector<protocol::Uuid> topic_ids;  ///< per batch, as sent (v13 answers by id)
  };

  struct ClusterCheck {
    ClusterCheckHandler done;
    std::vector<NodeId> failed_nodes;
    std::string detail;
  };

  // Connections (BrokerPool's hooks).
  static cluster::NodeKey key(NodeId id) noexcept { return cluster::NodeKey{id}; }
  cluster::BrokerPool::Hooks pool_hooks();
  void on_connect_failed(NodeId id, std::error_code ec, const std::string& detail);
  /// Produce requests in flight on `id`'s current connection.
  std::int32_t produce_in_flight(NodeId id) const;

  // Produce.
  void send_produce_requests(NodeId id, std::int64_t now_ms);
  void send_produce(NodeId id, std::int16_t version, std::vector<BatchPtr> batches, std::int64_t now_ms);
  void on_produce_response(std::uint64_t request_id, std::error_code ec, std::span<const std::uint8_t> body);
  /// The one place a sent batch's fate is decided (after classification).
  void complete_batch(BatchPtr batch, std::error_code error, std::int64_t base_offset,
                      std::int64_t log_append_time_ms, std::int64_t now_ms, bool leader_hint_applied = false,
                      std::string_view detail = {});
  void fail_batch(BatchPtr batch, std::error_code error, ProduceAction action = ProduceAction::fail,
                  Persisted persisted = Persisted::no, std::string_view detail = {});
  bool can_retry(const ProducerBatch& batch, std::int64_t now_ms) const;

  // Producer id (idempotence).
  void maybe_init_producer_id(std::int64_t now_ms, std::int64_t& next);
  void on_init_producer_id_response(NodeId id, std::int16_t version, std::error_code ec,
                                    std::span<const std::uint8_t> body);

  // Metadata (MetadataUpdater's hook).
  void on_metadata(const MetadataCache& metadata, const MetadataUpdateResult& result);

  // Transactions (sender_transactions.cpp).
  void run_transactions(std::int64_t now_ms, std::int64_t& next);
  void send_find_coordinator(std::int64_t now_ms, std::int64_t& next);
  /// On transaction version 1: re-reads the finalized features now and then
  /// (transaction_features.hpp), so an upgrade to TV2 is noticed.
  void refresh_transaction_features(std::int64_t now_ms, std::int64_t& next);
  /// The manager's request: a lookup, or a request to a coordinator once
  /// its connection is ready. Returns false while it has to wait.
  bool dispatch_transaction_request(std::int64_t now_ms, std::int64_t& next);
  void on_transaction_response(std::uint64_t request_id, NodeId node, std::int16_t version,
                               std::error_code ec, std::span<const std::uint8_t> body);
  /// The Produce version to send with `negotiated` for this producer: capped
  /// at v11 for a TV1 transactional producer; `transactional_id` is set to
  /// the request's transactional id (null when not transactional).
  std::int16_t produce_version_for(std::int16_t negotiated, std::optional<std::string>& transactional_id) const;

  // Authentication failures.
  /// The producer-wide condition changed (BrokerPool::Hooks::on_authentication).
  void on_authentication_change(std::error_code ec, const std::string& detail);
  /// Fails the queued batches no connection can serve while refusals last.
  void fail_unservable_batches(std::int64_t now_ms);

  // Cluster checks.
  void note_connect_failure(NodeId id, std::error_code ec, const std::string& detail = {});
  void finish_cluster_checks(std::error_code ec);
  /// Tells hooks_.on_cluster_status the current explanation, if it changed.
  void publish_cluster_status(std::string why);

  void log(LogLevel level, LogCategory category, const std::string& message) const;
  /// Uncategorised lines are logged as `producer`.
  void log(LogLevel level, const std::string& message) const { log(level, LogCategory::producer, message); }
  bool debug_enabled(LogCategory category) const noexcept { return logger_.debug(category); }
  bool debug_enabled() const noexcept { return logger_.debug_categories() != 0; }
  /// "node 3 (host:port)" or "bootstrap server host:port".
  std::string describe_node(NodeId id) const { return pool_.describe(key(id)); }
  void wake() const {
    if (hooks_.wake) hooks_.wake();
  }

  const ProducerConfig& config_;
  RecordAccumulator& accumulator_;
  MetadataCache& metadata_;
  net::Transport& transport_;
  ProducerStateManager& state_;
  SenderHooks hooks_;
  Logger logger_;
  std::unordered_map<TopicPartition, PartitionStats, TopicPartitionHash> partition_stats_;

  cluster::BrokerPool pool_;
  cluster::MetadataUpdater updater_;
  std::unordered_map<NodeId, ProduceSlots> produce_slots_;
  std::unordered_map<std::uint64_t, InFlight> in_flight_;
  std::uint64_t next_request_id_ = 1;
  std::vector<ClusterCheck> checks_;
  /// The last failed connection per node ("address: reason"), until one succeeds.
  std::map<NodeId, std::string> unreachable_;
  std::string cluster_status_;  ///< last value given to hooks_.on_cluster_status
  bool shut_down_ = false;
  std::unique_ptr<TransactionChannel> txn_;  ///< transactional producers only
  std::size_t auth_failed_batches_ = 0;  ///< failed since the refusal began (log once)

  // Built once: std::function objects handed to the accumulator every round.
  LeaderLookup leader_lookup_;
  DrainFilter may_drain_;
  compression::Compressor compressor_;
  compression::Decompressor decompressor_;
  protocol::RecordsCompressor compress_fn_;
  protocol::RecordsDecompressor decompress_fn_;
};

}  // namespace kwire::producer
