#pragma once
// Cluster: the facade every kwire client sends its requests through. It owns
// the client's MetadataCache, CoordinatorCache, BrokerPool and
// MetadataUpdater, and turns "send this to the leader of t/3" (or the group
// coordinator of "g", the controller, any broker) into a node, a connection,
// a negotiated version, an encoded request and a decoded response — with ONE
// retry loop for the errors that mean "ask somewhere else".
//
//   cluster.request(Route::group_coordinator("g"), join_group, now + 30000,
//                   [](Result<protocol::JoinGroupResponse> r) { ... });
//
// Sans-I/O: no socket, no timer, no thread. The owner (ClusterRuntime, or a
// test with FakeTransport and a scripted clock) calls run_once(now), which
// refreshes metadata, looks up coordinators (batched FindCoordinator,
// KIP-699), connects, sends what can be sent, retries what is due, fails
// what passed its deadline and closes idle connections; it returns when it
// wants to run again. Handlers run inside run_once() or a transport
// callback, never inside request().
//
// Routing (Route): any → the least loaded ready connection (connecting one
// if none); node(id) → that broker; leader(tp) → the partition's leader
// (the topic is tracked in metadata from then on); group_coordinator /
// transaction_coordinator → the key's coordinator (CoordinatorCache), on
// the coordinator lane (BrokerPool: a connection of its own per broker);
// controller → Metadata's controller id.
//
// The retry loop (the only one: clients do not write their own). A request
// is sent again, after retry.backoff.ms doubling up to retry.backoff.max.ms
// (KIP-580), until its deadline, when:
//  * the connection failed or dropped (disconnected, timed_out): metadata is
//    refreshed (coordinator routes forget the coordinator);
//  (after a metadata refresh asked this way, a leader, node or controller
//  route waits for the next Metadata answer before it routes again, as
//  Java's clients do: resending by the stale view would hit the same broker)
//  * the whole response carries (top_level_error):
//      NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, FENCED_LEADER_EPOCH,
//      KAFKA_STORAGE_ERROR → refresh metadata (leader routes);
//      UNKNOWN_TOPIC_OR_PARTITION while metadata names a leader → refresh;
//      NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE → forget the coordinator,
//      look it up again; COORDINATOR_LOAD_IN_PROGRESS → same coordinator
//      after the backoff;
//      NOT_CONTROLLER → refresh metadata (a new controller id);
//  * the caller's ResponseCheck says so for a per-item error (e.g. one
//    topic of a CreateTopics answered NOT_CONTROLLER): Retry::after_refresh
//    or Retry::after_backoff; it may also shrink the request to the items
//    still to do before the next attempt.
// Final at once: authentication_failed (with the connection's detail),
// unsupported_version (no version both sides speak), undecodable answers,
// a final coordinator lookup error, shutdown. Past the deadline the handler
// gets client_errc::timed_out with a detail naming the API, the route, the
// attempts and the last cause. Any other top-level Kafka error is handed to
// the caller in Result::error with the decoded response.
//
// Thread: the client's network thread only (ClusterRuntime posts to it).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "kwire/cluster/broker_pool.hpp"
#include "kwire/cluster/client_config.hpp"
#include "kwire/cluster/coordinator_cache.hpp"
#include "kwire/cluster/log.hpp"
#include "kwire/cluster/metadata_cache.hpp"
#include "kwire/cluster/metadata_updater.hpp"
#include "kwire/cluster/request_traits.hpp"
#include "kwire/cluster/topic_partition.hpp"
#include "kwire/net/transport.hpp"
#include "kwire/net/version_negotiation.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

/// Where a request goes (see the top of this file).
struct Route {
  enum class Kind : std::uint8_t { any, node, leader, group_coordinator, transaction_coordinator, controller };
  Kind kind = Kind::any;
  NodeId node_id;             ///< Kind::node
  TopicPartition partition;   ///< Kind::leader
  std::string key;            ///< group id or transactional id

  static Route any_broker() { return {}; }
  static Route node(NodeId id) { return {Kind::node, id, {}, {}}; }
  /// A bare integer may be a partition, a transport id or an epoch: say
  /// which broker with NodeId{id} (kwire/ids.hpp).
  static Route node(std::int32_t) = delete;
  static Route leader(TopicPartition tp) { return {Kind::leader, {}, std::move(tp), {}}; }
  static Route group_coordinator(std::string group_id) { return {Kind::group_coordinator, {}, {}, std::move(group_id)}; }
  static Route transaction_coordinator(std::string transactional_id) {
    return {Kind::transaction_coordinator, {}, {}, std::move(transactional_id)};
  }
  static Route controller() { return {Kind::controller, {}, {}, {}}; }

  bool to_coordinator() const noexcept {
    return kind == Kind::group_coordinator || kind == Kind::transaction_coordinator;
  }
  /// "any broker", "node 3", "the leader of t-3", "the group coordinator of 'g'", …
  std::string describe() const;
};

/// What a request's handler gets, exactly once.
template <class Resp>
struct Result {
  /// Empty on success. Otherwise why it failed: a client_errc (timed_out at
  /// the deadline, authentication_failed, unsupported_version,
  /// shutting_down, …) or the top-level Kafka error of the response.
  std::error_code error;
  std::string detail;  ///< human explanation of `error` (route, broker message, last cause)
  /// The decoded response: set on success, with a top-level Kafka error,
  /// and at the deadline when the last attempt got one (its per-item errors).
  std::optional<Resp> response;
  NodeId node;               ///< broker that answered (-1: none)
  std::int16_t version = -1; ///< version used for the answer
  std::int32_t attempts = 0;

  bool ok() const noexcept { return !error; }
};

/// A caller's verdict on a decoded response without a top-level error.
enum class Retry : std::uint8_t {
  no,             ///< done: hand the response to the handler
  after_backoff,  ///< send again after retry.backoff.ms, same routing
  after_refresh,  ///< refresh first (metadata, or forget the coordinator), then send again
};

/// Per-item errors: judge `response`; may edit `next` (the request the next
/// attempt sends, e.g. only the topics still to create).
template <class Req, class Resp>
using ResponseCheck = std::function<Retry(const Resp& response, Req& next)>;

namespace detail {

/// The type-erased request the retry loop drives (Cluster::request builds one).
class Call {
 public:
  struct Decoded {
    std::error_code decode_error;  ///< undecodable: final
    TopLevelError top;             ///< whole-response error
    Retry verdict = Retry::no;     ///< the caller's check (no top-level error)
  };
  virtual ~Call() = default;
  virtual protocol::ApiKey api() const noexcept = 0;
  /// Encodes at the version request_version<Req,Resp>() picks from
  /// `negotiated`; client_errc::unsupported_version when none.
  virtual std::error_code encode(std::optional<std::int16_t> negotiated, std::int16_t& version,
                                 std::vector<std::uint8_t>& body) = 0;
  virtual Decoded decode(std::span<const std::uint8_t> body, std::int16_t version) = 0;
  /// Delivers the result (the last decoded response, if any). Once.
  virtual void finish(std::error_code error, std::string detail, NodeId node, std::int16_t version,
                      std::int32_t attempts) = 0;
};

template <class Req, class Resp, class Handler>
class TypedCall final : public Call {
 public:
  TypedCall(Req request, std::int16_t max_version, Handler handler, ResponseCheck<Req, Resp> check)
      : request_(std::move(request)), max_version_(max_version), handler_(std::move(handler)), check_(std::move(check)) {}

  protocol::ApiKey api() const noexcept override { return Req::api_key; }
  std::error_code encode(std::optional<std::int16_t> negotiated, std::int16_t& version,
                         std::vector<std::uint8_t>& body) override {
    const std::optional<std::int16_t> v = net::request_version<Req, Resp>(negotiated, max_version_);
    if (!v) return make_error_code(client_errc::unsupported_version);
    version = *v;
    body.clear();
    return protocol::encode_message(request_, *v, body);
  }
  Decoded decode(std::span<const std::uint8_t> body, std::int16_t version) override {
    Decoded out;
    Resp response;
    if ((out.decode_error = protocol::decode_message(body, version, response))) return out;
    out.top = top_level_error(response);
    last_ = std::move(response);
    if (out.top.code == kwire::errc::none && check_) out.verdict = check_(*last_, request_);
    return out;
  }
  void finish(std::error_code error, std::string detail, NodeId node, std::int16_t version,
              std::int32_t attempts) override {
    Result<Resp> result;
    result.error = error;
    result.detail = std::move(detail);
    result.response = std::move(last_);
    result.node = node;
    result.version = version;
    result.attempts = attempts;
    handler_(std::move(result));
  }

 private:
  Req request_;
  std::int16_t max_version_;
  Handler handler_;
  ResponseCheck<Req, Resp> check_;
  std::optional<Resp> last_;
};

}  // namespace detail

class Cluster {
 public:
  struct Hooks {
    /// Current time in ms on the clock run_once() gets. Required.
    std::function<std::int64_t()> clock;
    /// Something happened that run_once() should see soon (a response, a
    /// connection, a new request). May be empty (tests poll).
    std::function<void()> wake;
    /// A Metadata response was applied. May be empty.
    std::function<void(const MetadataCache&, const MetadataUpdateResult&)> on_metadata;
    LogHandler log;
  };

  /// `config` must be validated; it and `transport` must outlive the
  /// Cluster. `jitter_seed` fixes the backoffs' jitter (tests); 0: random.
  Cluster(const ClientConfig& config, net::Transport& transport, Hooks hooks, std::uint64_t jitter_seed = 0);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// One round (see the top of this file). Returns the absolute time (same
  /// clock) to run again at even if nothing happens, or kNoDeadline.
  std::int64_t run_once(std::int64_t now_ms);

  /// Sends `request` to `route`, retrying as the top of this file says until
  /// `deadline_ms` (absolute, same clock as run_once), then calls
  /// `handler(Result<Resp>)` exactly once, on the network thread — never
  /// inside this call. `max_version` caps the version (default: the
  /// codec's). `check` judges per-item errors (see ResponseCheck).
  template <class Req, class Resp = response_t<Req>, class Handler>
    requires std::is_invocable_v<Handler&, Result<Resp>>
  void request(Route route, Req request, std::int64_t deadline_ms, Handler handler,
               std::type_identity_t<ResponseCheck<Req, Resp>> check = {}, std::int16_t max_version = Req::max_version) {
    submit(std::move(route), deadline_ms,
           std::make_unique<detail::TypedCall<Req, Resp, Handler>>(std::move(request), max_version,
                                                                   std::move(handler), std::move(check)));
  }

  /// Fails every pending request with `reason`, closes every connection and
  /// turns run_once() into a no-op. Idempotent.
  void shutdown(std::error_code reason);
  bool is_shut_down() const noexcept { return shut_down_; }

  // --- The parts (for clients that need more than request<>) -----------------
  MetadataCache& metadata() noexcept { return metadata_; }
  const MetadataCache& metadata() const noexcept { return metadata_; }
  BrokerPool& pool() noexcept { return pool_; }
  const BrokerPool& pool() const noexcept { return pool_; }
  CoordinatorCache& coordinators() noexcept { return coordinators_; }
  const ClusterFeatures& features() const noexcept { return pool_.features(); }
  /// Requests not yet answered (waiting, backing off or in flight).
  std::size_t pending_requests() const noexcept { return calls_.size(); }

 private:
  struct Pending {
    Route route;
    std::unique_ptr<detail::Call> call;
    std::int64_t deadline_ms = 0;
    std::int64_t not_before_ms = 0;
    std::int32_t attempts = 0;
    bool in_flight = false;
    bool waiting_connection = false;
    bool waiting_coordinator = false;
    /// Route by metadata no older than this many applied responses
    /// (after NOT_LEADER / NOT_CONTROLLER: wait for the refresh, as Java does).
    std::uint64_t min_metadata_updates = 0;
    NodeId node;             ///< node of the last attempt
    std::int16_t version = -1;
    std::error_code last_error;
    std::string last_cause;  ///< why the last attempt did not succeed
  };
  enum class Action : std::uint8_t { done, retry, refresh_retry };

  void submit(Route route, std::int64_t deadline_ms, std::unique_ptr<detail::Call> call);
  /// Tries to send `id` now; lowers `next` for what it waits for.
  void dispatch(std::uint64_t id, Pending& p, std::int64_t now_ms, std::int64_t& next);
  /// The node for `p`'s route, or nullopt (waiting; `p.last_cause` says for what).
  std::optional<NodeKey> resolve(std::uint64_t id, Pending& p, std::int64_t now_ms, std::int64_t& next,
                                 std::optional<BrokerEndpoint>& endpoint);
  void send(std::uint64_t id, Pending& p, NodeKey node, std::int64_t now_ms);
  void on_response(std::uint64_t id, NodeKey node, std::int16_t version, std::error_code ec,
                   std::span<const std::uint8_t> body);
  /// Refresh-and-retry, or finish: after an attempt that did not succeed.
  void retry_or_finish(std::uint64_t id, Pending& p, Action action, std::error_code error, std::string cause,
                       std::int64_t now_ms);
  Action classify(const Pending& p, kwire::errc top) const;
  void refresh_for(Pending& p);
  void finish(std::uint64_t id, std::error_code error, std::string detail);
  /// A refused authentication in force and no connection that could get
  /// metadata or a coordinator: waiting cannot help (KIP-152).
  bool blocked_by_authentication() const;
  void send_coordinator_lookups(std::int64_t now_ms, std::int64_t& next);
  void on_lookup_response(std::uint64_t lookup_id, std::int16_t version, std::error_code ec,
                          std::span<const std::uint8_t> body);
  void wake() const {
    if (hooks_.wake) hooks_.wake();
  }

  const ClientConfig& config_;
  Hooks hooks_;
  Logger logger_;
  MetadataCache metadata_;
  CoordinatorCache coordinators_;
  BrokerPool pool_;
  MetadataUpdater updater_;
  ExponentialBackoff retry_backoff_;
  std::map<std::uint64_t, Pending> calls_;
  std::uint64_t next_call_id_ = 1;
  std::uint64_t metadata_updates_ = 0;  ///< Metadata responses applied
  bool shut_down_ = false;
};

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
