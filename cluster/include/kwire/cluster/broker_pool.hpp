#pragma once
// BrokerPool: one client's connections to the brokers, as decisions (no
// socket): which node is connected, connecting, backing off or refusing us,
// when to reconnect, when to close an idle connection, and the bookkeeping
// of every request sent on one (in flight, last activity, statistics). The
// sockets are behind net::Transport (ConnectionPool in a client,
// tests/support/fake_transport.hpp in unit tests).
//
// Lanes. A node is keyed by {broker id, Lane}. Lane::data carries Produce,
// Fetch, Metadata, admin requests; Lane::coordinator carries group and
// transaction coordinator traffic on a connection of its own, so a
// JoinGroup that the broker holds for a whole rebalance timeout never makes
// a Fetch long-poll on the same broker wait behind it (Java's
// AbstractCoordinator does the same). The Transport knows only int32 ids, so
// the coordinator lane of broker n is transport id INT32_MAX - n, exactly
// Java's `Integer.MAX_VALUE - node.id()`; data-lane ids are the broker ids
// themselves (bootstrap servers -1, -2, …). See transport_id().
//
// Connections (KIP-144 backoff, as Java's ClusterConnectionStates):
//  * connect() opens one when the node is disconnected and its backoff is
//    over; the setup timeout is socket.connection.setup.timeout.ms, growing
//    exponentially per consecutive failure up to
//    socket.connection.setup.timeout.max.ms;
//  * a failed attempt backs off reconnect.backoff.ms, doubled per consecutive
//    failure up to reconnect.backoff.max.ms, ±20% jitter;
//  * when_ready() queues a caller until the node is ready (connecting it if
//    needed, and again when its backoff ends), or tells it why not;
//  * close_idle() closes connections idle for connections.max.idle.ms, and
//    bootstrap connections once a real broker's is up.
// Authentication failures (client_errc::authentication_failed: SASL refused,
// TLS verification failed) are final for the requests waiting on that node:
// they get the error with the connection's detail text at once, never a
// timeout later (KIP-152). The node still backs off like any failed
// connection, and a later successful connection clears the refusal.
//
// Thread: the client's network thread only.
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/cluster/backoff.hpp"
#include "kwire/cluster/broker_statistics.hpp"
#include "kwire/cluster/client_config.hpp"
#include "kwire/cluster/features.hpp"
#include "kwire/cluster/log.hpp"
#include "kwire/cluster/metadata_cache.hpp"
#include "kwire/net/transport.hpp"
#include "kwire/export.hpp"
#include "kwire/ids.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

/// Which connection to a broker (see the top of this file).
enum class Lane : std::uint8_t { data, coordinator };

std::string_view to_string(Lane lane) noexcept;

struct NodeKey {
  NodeId id;  ///< broker id; bootstrap servers -1, -2, … (data lane only)
  Lane lane = Lane::data;
  friend auto operator<=>(const NodeKey&, const NodeKey&) = default;
};

/// The Transport id of `key`: the broker id on the data lane, INT32_MAX - id
/// on the coordinator lane (Java's convention). Coordinator-lane keys need
/// id >= 0 (coordinators are real brokers).
constexpr std::int32_t transport_id(NodeKey key) noexcept {
  return key.lane == Lane::data ? key.id.value() : std::numeric_limits<std::int32_t>::max() - key.id.value();
}
/// The inverse of transport_id(): ids above INT32_MAX / 2 are coordinator lanes.
constexpr NodeKey node_key(std::int32_t transport_id) noexcept {
  constexpr std::int32_t max = std::numeric_limits<std::int32_t>::max();
  if (transport_id > max / 2) return NodeKey{NodeId{max - transport_id}, Lane::coordinator};
  return NodeKey{NodeId{transport_id}, Lane::data};
}

class BrokerPool {
 public:
  struct Options {
    std::int64_t setup_timeout_ms = 10000;      ///< socket.connection.setup.timeout.ms
    std::int64_t setup_timeout_max_ms = 30000;  ///< socket.connection.setup.timeout.max.ms
    std::int64_t reconnect_backoff_ms = 50;     ///< reconnect.backoff.ms
    std::int64_t reconnect_backoff_max_ms = 1000;
    std::int64_t connections_max_idle_ms = 540000;  ///< -1: never
    MetadataRecoveryStrategy recovery = MetadataRecoveryStrategy::rebootstrap;
    std::int64_t rebootstrap_trigger_ms = 300000;  ///< for the log line only
    std::uint64_t jitter_seed = 0;                 ///< 0: random
    /// APIs whose negotiated version the "connected" log line names.
    std::vector<protocol::ApiKey> logged_apis{protocol::ApiKey::metadata};
    static Options from(const ClientConfig& config);
  };

  enum class State : std::uint8_t { disconnected, connecting, ready };

  /// One connection's state and statistics (read-only for callers).
  struct Node {
    State state = State::disconnected;
    std::uint64_t generation = 0;  ///< bumps on every connect and own close; stale handlers compare it
    std::int32_t failures = 0;     ///< consecutive failed connection attempts
    std::int64_t next_connect_ms = 0;
    std::int64_t throttle_until_ms = 0;  ///< KIP-219
    std::int64_t last_active_ms = 0;
    std::int32_t in_flight = 0;  ///< requests sent and not yet answered
    /// authentication_failed from its last connection (cleared when one
    /// succeeds) and the connection's explanation.
    std::error_code auth_error;
    std::string auth_detail;
    std::optional<BrokerEndpoint> endpoint;  ///< where it was last connected
    // Statistics, per request or connection (never per record).
    std::uint64_t requests_sent = 0;
    std::uint64_t responses_received = 0;
    std::uint64_t request_bytes_sent = 0;
    std::uint64_t response_bytes_received = 0;
    std::uint64_t request_errors = 0;
    std::int64_t throttle_time_ms_total = 0;
    std::int64_t throttle_time_ms_last = 0;
    std::uint64_t connects = 0;
    std::uint64_t connection_failures = 0;
    std::uint64_t disconnects = 0;
    std::uint64_t rtt_samples = 0;
    std::vector<std::uint32_t> rtt_window_us;  ///< ring of the last kRttWindow round trips
  };
  static constexpr std::size_t kRttWindow = kRoundTripWindow;

  /// Runs once per when_ready() call: no error when the node is ready;
  /// else the failed attempt's error (authentication_failed is final) and
  /// its detail, or shutting_down.
  using ReadyCallback = std::function<void(std::error_code, const std::string& detail)>;

  struct Hooks {
    /// Current time in ms (the clock run_once gets). Required.
    std::function<std::int64_t()> clock;
    /// An event made progress possible: run the owner's round soon. May be empty.
    std::function<void()> wake;
    /// A connection became ready (after the pool's own bookkeeping).
    std::function<void(NodeKey)> on_ready;
    /// A connection attempt failed (`detail`: the refusal's explanation for
    /// authentication_failed, else the connection's error detail).
    std::function<void(NodeKey, std::error_code, const std::string& detail)> on_connect_failed;
    /// An open connection closed (not by the pool itself).
    std::function<void(NodeKey, std::error_code)> on_closed;
    /// The client-wide authentication condition changed (see
    /// authentication_error()). May be empty.
    std::function<void(std::error_code, const std::string& detail)> on_authentication;
    Logger log;
  };

  /// `metadata` gives endpoints and the bootstrap servers and is told when
  /// connections fail (refresh, rebootstrap). References must outlive the pool.
  BrokerPool(Options options, net::Transport& transport, MetadataCache& metadata, Hooks hooks);
  ~BrokerPool();
  BrokerPool(const BrokerPool&) = delete;
  BrokerPool& operator=(const BrokerPool&) = delete;

  // --- State --------------------------------------------------------------------
  const Node* find(NodeKey key) const;
  bool is_ready(NodeKey key) const;
  State state(NodeKey key) const;
  /// Every node the pool has seen, in key order.
  const std::map<NodeKey, Node>& nodes() const noexcept { return nodes_; }
  /// A known broker or bootstrap server (metadata), or a coordinator-lane node.
  bool is_current(NodeKey key) const;
  /// The negotiated version of `api` on `key`'s connection; nullopt if not ready or none.
  std::optional<std::int16_t> negotiated_version(NodeKey key, protocol::ApiKey api) const;
  /// KIP-584 finalized features from every connection's ApiVersions.
  const ClusterFeatures& features() const noexcept { return features_; }
  /// "node 3 (host:port)", "bootstrap server host:port", "coordinator lane of node 3 (host:port)".
  std::string describe(NodeKey key) const;

  /// The authentication failure in force (the latest refusal, until a
  /// connection succeeds); empty when none.
  std::error_code authentication_error(std::string* detail = nullptr) const {
    if (detail) *detail = auth_detail_;
    return auth_error_;
  }
  /// How many nodes' last attempt was refused.
  std::size_t refusing_nodes() const noexcept { return refusing_nodes_; }

  // --- Connections ----------------------------------------------------------------
  /// Starts connecting `key` if it is disconnected and its backoff is over.
  /// The endpoint is `endpoint` when given (a coordinator FindCoordinator
  /// named), else the metadata's; with neither, a refresh is requested and
  /// nothing happens. Returns true if an attempt started.
  bool connect(NodeKey key, std::int64_t now_ms, const BrokerEndpoint* endpoint = nullptr);
  /// Calls `done` once `key` is ready (posted by the pool's own events,
  /// never inside this call unless it is ready already — then at once),
  /// connecting it now or when its backoff ends (tick()).
  void when_ready(NodeKey key, std::int64_t now_ms, ReadyCallback done, const BrokerEndpoint* endpoint = nullptr);
  /// The least loaded ready data-lane connection to a known broker or
  /// bootstrap server (real brokers preferred at equal load); nullopt if none.
  std::optional<NodeId> least_loaded_ready() const;
  /// No usable connection for a request any broker can serve (Metadata,
  /// FindCoordinator, InitProducerId): waits for one being set up, else
  /// connects a known broker (rotating), else — once every known broker
  /// failed, with metadata.recovery.strategy=rebootstrap (KIP-899) — forgets
  /// them and tries the bootstrap servers. Lowers `next` to when a backoff ends.
  void connect_to_any(std::int64_t now_ms, std::int64_t& next);
  /// Forgets the known brokers (MetadataCache::rebootstrap) and logs why.
  void rebootstrap(std::int64_t now_ms, const std::string& why);
  /// Reconnects nodes with waiters whose backoff ended; lowers `next` to the
  /// next backoff end among them.
  void tick(std::int64_t now_ms, std::int64_t& next);
  /// Closes idle connections (see the top); lowers `next` to the next one due.
  void close_idle(std::int64_t now_ms, std::int64_t& next);
  /// Closes every connection and fails every waiter with `reason`.
  void close_all(std::error_code reason);

  // --- Requests --------------------------------------------------------------------
  /// Sends a request on `key`'s ready connection with the bookkeeping
  /// (in flight, activity, statistics) done once here. Fails through the
  /// handler (posted by the transport) when it is not ready.
  void send(NodeKey key, protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
            bool expect_response, net::Transport::ResponseHandler on_response,
            std::vector<protocol::Splice> splices = {});
  /// KIP-219: `key` asked us to hold off for `throttle_ms` (from `now_ms`).
  void throttle(NodeKey key, std::int32_t throttle_ms, std::int64_t now_ms);
  /// Until when `key` throttles us (0 if it does not).
  std::int64_t throttled_until(NodeKey key) const;

 private:
  Node& node(NodeKey key) { return nodes_[key]; }
  void on_connect_result(NodeKey key, std::uint64_t generation, std::error_code ec);
  void on_connection_closed(NodeKey key, std::uint64_t generation, std::error_code ec);
  void on_authentication_failure(NodeKey key, std::error_code ec);
  void on_authentication_success(NodeKey key);
  /// `sent_us` -1: a request without a response (acks=0), nothing to count.
  void note_response(NodeKey key, std::uint64_t generation, std::int64_t sent_us, std::error_code ec,
                     std::size_t body_bytes);
  void finish_waiters(NodeKey key, std::error_code ec, const std::string& detail);
  void log(LogLevel level, LogCategory category, const std::string& message) const { hooks_.log(level, category, message); }
  bool debug_enabled(LogCategory category) const noexcept { return hooks_.log.debug(category); }
  void wake() const {
    if (hooks_.wake) hooks_.wake();
  }

  Options options_;
  net::Transport& transport_;
  MetadataCache& metadata_;
  Hooks hooks_;
  std::map<NodeKey, Node> nodes_;
  std::map<NodeKey, std::vector<ReadyCallback>> waiters_;
  ClusterFeatures features_;
  std::size_t any_candidate_ = 0;  ///< rotates the brokers connect_to_any tries
  std::error_code auth_error_;
  std::string auth_detail_;
  std::size_t refusing_nodes_ = 0;
  bool closed_ = false;
  ExponentialBackoff reconnect_backoff_;
};

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
