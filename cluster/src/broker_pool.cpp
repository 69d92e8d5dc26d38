#include "kwire/cluster/broker_pool.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "kwire/protocol/client_error.hpp"

namespace kwire::cluster {
namespace {

/// Round trips are measured on the real steady clock in microseconds (the
/// injected ms clock is too coarse for a local broker); statistics only.
std::int64_t monotonic_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view to_string(Lane lane) noexcept { return lane == Lane::data ? "data" : "coordinator"; }

BrokerPool::Options BrokerPool::Options::from(const ClientConfig& config) {
  Options o;
  o.setup_timeout_ms = config.socket_connection_setup_timeout_ms;
  o.setup_timeout_max_ms = config.socket_connection_setup_timeout_max_ms;
  o.reconnect_backoff_ms = config.reconnect_backoff_ms;
  o.reconnect_backoff_max_ms = config.reconnect_backoff_max_ms;
  o.connections_max_idle_ms = config.connections_max_idle_ms;
  o.recovery = config.metadata_recovery_strategy;
  o.rebootstrap_trigger_ms = config.metadata_recovery_rebootstrap_trigger_ms;
  return o;
}

BrokerPool::BrokerPool(Options options, net::Transport& transport, MetadataCache& metadata, Hooks hooks)
    : options_(std::move(options)),
      transport_(transport),
      metadata_(metadata),
      hooks_(std::move(hooks)),
      reconnect_backoff_(options_.reconnect_backoff_ms, options_.reconnect_backoff_max_ms, options_.jitter_seed) {}

BrokerPool::~BrokerPool() = default;

// --- State -------------------------------------------------------------------------------

const BrokerPool::Node* BrokerPool::find(NodeKey key) const {
  auto it = nodes_.find(key);
  return it == nodes_.end() ? nullptr : &it->second;
}

bool BrokerPool::is_ready(NodeKey key) const { return state(key) == State::ready; }

BrokerPool::State BrokerPool::state(NodeKey key) const {
  const Node* n = find(key);
  return n ? n->state : State::disconnected;
}

bool BrokerPool::is_current(NodeKey key) const {
  return key.lane == Lane::coordinator || metadata_.endpoint(key.id) != nullptr;
}

std::optional<std::int16_t> BrokerPool::negotiated_version(NodeKey key, protocol::ApiKey api) const {
  if (!is_ready(key)) return std::nullopt;
  return transport_.negotiated_version(transport_id(key), api);
}

std::string BrokerPool::describe(NodeKey key) const {
  const BrokerEndpoint* endpoint = metadata_.endpoint(key.id);
  const Node* n = find(key);
  if (!endpoint && n && n->endpoint) endpoint = &*n->endpoint;
  if (!key.id.valid()) return "bootstrap server " + (endpoint ? endpoint->address() : to_string(key.id));
  std::string text = "node " + to_string(key.id) + (endpoint ? " (" + endpoint->address() + ")" : std::string());
  return key.lane == Lane::coordinator ? "coordinator lane of " + text : text;
}

// --- Connections ---------------------------------------------------------------------

bool BrokerPool::connect(NodeKey key, std::int64_t now_ms, const BrokerEndpoint* endpoint) {
  if (closed_) return false;
  Node& n = node(key);
  if (n.state != State::disconnected || now_ms < n.next_connect_ms) return false;
  if (!endpoint) endpoint = metadata_.endpoint(key.id);
  if (!endpoint && key.lane == Lane::coordinator && n.endpoint) endpoint = &*n.endpoint;
  if (!endpoint) {
    // A broker the last response did not list: refresh.
    metadata_.request_update();
    return false;
  }
  n.endpoint = *endpoint;
  n.endpoint->node_id = transport_id(key);
  n.state = State::connecting;
  const std::uint64_t generation = ++n.generation;
  // Java's socket.connection.setup.timeout.ms grows exponentially per
  // consecutive failure up to socket.connection.setup.timeout.max.ms.
  const std::int64_t timeout =
      exponential_backoff_ms(n.failures + 1, options_.setup_timeout_ms, options_.setup_timeout_max_ms, 1.0);
  if (debug_enabled(LogCategory::broker))
    log(LogLevel::debug, LogCategory::broker,
        "connecting to " + describe(key) + " (timeout " + std::to_string(timeout) + " ms" +
            (n.failures > 0 ? ", attempt " + std::to_string(n.failures + 1) : std::string()) + ")");
  transport_.connect(
      transport_id(key), *n.endpoint, std::chrono::milliseconds(timeout),
      [this, key, generation](std::error_code ec) { on_connect_result(key, generation, ec); },
      [this, key, generation](std::error_code ec) { on_connection_closed(key, generation, ec); });
  return true;
}

void BrokerPool::when_ready(NodeKey key, std::int64_t now_ms, ReadyCallback done, const BrokerEndpoint* endpoint) {
  if (closed_) {
    done(make_error_code(client_errc::shutting_down), "the client is closed");
    return;
  }
  Node& n = node(key);
  if (n.state == State::ready) {
    done({}, {});
    return;
  }
  if (endpoint && n.state == State::disconnected) {
    n.endpoint = *endpoint;
    n.endpoint->node_id = transport_id(key);
  }
  waiters_[key].push_back(std::move(done));
  connect(key, now_ms, endpoint);
}

void BrokerPool::tick(std::int64_t now_ms, std::int64_t& next) {
  for (auto& [key, waiting] : waiters_) {
    if (waiting.empty()) continue;
    Node& n = node(key);
    if (n.state != State::disconnected) continue;
    if (now_ms >= n.next_connect_ms)
      connect(key, now_ms);
    else
      next = std::min(next, n.next_connect_ms);
  }
}

void BrokerPool::on_connect_result(NodeKey key, std::uint64_t generation, std::error_code ec) {
  Node& n = node(key);
  if (n.generation != generation || n.state != State::connecting) return;
  const std::int64_t now_ms = hooks_.clock();
  const std::int32_t id = transport_id(key);
  if (!ec) {
    n.state = State::ready;
    n.failures = 0;
    n.last_active_ms = now_ms;
    n.throttle_until_ms = 0;
    ++n.connects;
    // Once per connection: where, and what was negotiated (ApiVersions).
    std::string versions;
    for (protocol::ApiKey api : options_.logged_apis) {
      const std::optional<std::int16_t> v = transport_.negotiated_version(id, api);
      versions += (versions.empty() ? "" : ", ") + std::string(protocol::api_name(api)) + " " +
                  (v ? "v" + std::to_string(*v) : std::string("none"));
    }
    const std::string detail = transport_.connection_detail(id);
    log(LogLevel::info, LogCategory::broker,
        std::string(n.connects > 1 ? "reconnected to " : "connected to ") + describe(key) + ": " + versions +
            (detail.empty() ? std::string() : ", " + detail));
    on_authentication_success(key);
    if (const protocol::ApiVersionsResponse* api_versions = transport_.api_versions(id);
        api_versions && features_.update(key.id.value(), *api_versions)) {
      std::string levels;
      for (const auto& [name, level] : features_.current().max_levels)
        levels += (levels.empty() ? "" : ", ") + name + "=" + std::to_string(level);
      log(LogLevel::info, LogCategory::protocol,
          "finalized features (epoch " + std::to_string(features_.current().epoch) + ", from " + describe(key) +
              "): " + (levels.empty() ? std::string("none") : levels));
    }
    if (hooks_.on_ready) hooks_.on_ready(key);
    finish_waiters(key, {}, {});
    wake();
    return;
  }
  n.state = State::disconnected;
  ++n.failures;
  ++n.connection_failures;
  n.next_connect_ms = now_ms + reconnect_backoff_.next_ms(n.failures);
  // Warn on the first failure of a series; the retries every backoff only
  // in debug, so a broker that is down does not flood the log. Bad
  // credentials or certificates are errors every time: retrying will not fix
  // them (the connection keeps backing off, up to reconnect.backoff.max.ms).
  const bool auth = ec == client_errc::authentication_failed;
  const bool quiet = !auth && (closed_ || ec == client_errc::shutting_down || n.failures > 1);
  // The OS's reason (connection refused, no route to host, ...) from the
  // connection; an authentication failure's detail is logged once by the
  // connection itself.
  const std::string why = auth ? std::string() : transport_.connection_error_detail(id);
  const BrokerEndpoint* endpoint = n.endpoint ? &*n.endpoint : metadata_.endpoint(key.id);
  log(auth ? LogLevel::error : quiet ? LogLevel::debug : LogLevel::warning,
      auth ? LogCategory::security : LogCategory::broker,
      "connection to " + std::string(key.lane == Lane::coordinator ? "the coordinator lane of " : "") + "node " +
          to_string(key.id) + (endpoint ? " at " + endpoint->address() : std::string()) +
          " failed: " + ec.message() + (why.empty() ? std::string() : " (" + why + ")") +
          (n.failures > 1 ? " (attempt " + std::to_string(n.failures) + ")" : ""));
  // The leader may have moved (or the broker gone): let metadata say so.
  if (key.id.valid()) metadata_.request_update();
  if (auth) on_authentication_failure(key, ec);
  const std::string detail = auth ? n.auth_detail : why;
  if (hooks_.on_connect_failed) hooks_.on_connect_failed(key, ec, detail);
  finish_waiters(key, ec, detail.empty() ? describe(key) + ": " + ec.message() : detail);
  wake();
}

void BrokerPool::on_connection_closed(NodeKey key, std::uint64_t generation, std::error_code ec) {
  Node& n = node(key);
  if (n.generation != generation) return;
  n.state = State::disconnected;
  // Response handlers ran before this (Transport contract); be safe anyway.
  n.in_flight = 0;
  n.throttle_until_ms = 0;
  if (ec == client_errc::shutting_down) return;  // we closed it
  const std::int64_t now_ms = hooks_.clock();
  if (ec == client_errc::authentication_failed) {
    // A KIP-368 re-authentication the broker refused (or a TLS alert during
    // setup's last steps): as a refused connection, with its backoff.
    ++n.failures;
    n.next_connect_ms = now_ms + reconnect_backoff_.next_ms(n.failures);
    log(LogLevel::error, LogCategory::security, "connection to " + describe(key) + " closed: " + ec.message());
    on_authentication_failure(key, ec);
    if (hooks_.on_closed) hooks_.on_closed(key, ec);
    wake();
    return;
  }
  n.next_connect_ms = now_ms + reconnect_backoff_.next_ms(1);
  ++n.disconnects;
  log(LogLevel::info, LogCategory::broker,
      "connection to " + describe(key) + " closed: " + ec.message() + "; reconnecting when needed (in " +
          std::to_string(n.next_connect_ms - now_ms) + " ms at the earliest)");
  if (hooks_.on_closed) hooks_.on_closed(key, ec);
  wake();
}

void BrokerPool::finish_waiters(NodeKey key, std::error_code ec, const std::string& detail) {
  auto it = waiters_.find(key);
  if (it == waiters_.end()) return;
  std::vector<ReadyCallback> waiting = std::move(it->second);
  waiters_.erase(it);
  for (ReadyCallback& done : waiting) done(ec, detail);
}

void BrokerPool::on_authentication_failure(NodeKey key, std::error_code ec) {
  Node& n = node(key);
  const std::int32_t id = transport_id(key);
  std::string detail = transport_.connection_error_detail(id);
  if (detail.empty()) {
    const BrokerEndpoint* endpoint = n.endpoint ? &*n.endpoint : metadata_.endpoint(key.id);
    detail = ec.message() + " on " + (endpoint ? endpoint->address() : "node " + to_string(key.id)) +
             "; check security.protocol, sasl.* and ssl.*";
  }
  if (!n.auth_error) ++refusing_nodes_;
  n.auth_error = ec;
  n.auth_detail = detail;
  const bool changed = auth_error_ != ec || auth_detail_ != detail;
  auth_error_ = ec;
  auth_detail_ = std::move(detail);
  if (changed && hooks_.on_authentication) hooks_.on_authentication(auth_error_, auth_detail_);
}

void BrokerPool::on_authentication_success(NodeKey key) {
  Node& n = node(key);
  if (n.auth_error) {
    --refusing_nodes_;
    n.auth_error.clear();
    n.auth_detail.clear();
  }
  if (!auth_error_) return;
  log(LogLevel::info, LogCategory::security,
      "connected to " + describe(key) + ": the earlier authentication failure is over");
  auth_error_.clear();
  auth_detail_.clear();
  if (hooks_.on_authentication) hooks_.on_authentication({}, {});
}

std::optional<NodeId> BrokerPool::least_loaded_ready() const {
  std::optional<NodeId> best;
  std::int32_t best_load = 0;
  for (const auto& [key, n] : nodes_) {
    if (key.lane != Lane::data || n.state != State::ready || !is_current(key)) continue;
    // Prefer real brokers over bootstrap connections at equal load.
    if (!best || n.in_flight < best_load || (n.in_flight == best_load && !best->valid() && key.id.valid())) {
      best = key.id;
      best_load = n.in_flight;
    }
  }
  return best;
}

void BrokerPool::rebootstrap(std::int64_t now_ms, const std::string& why) {
  const std::size_t known = metadata_.brokers().size();
  if (!metadata_.rebootstrap(now_ms)) return;
  std::string servers;
  for (const BrokerEndpoint& b : metadata_.bootstrap()) servers += (servers.empty() ? "" : ",") + b.address();
  log(LogLevel::warning, LogCategory::metadata,
      "rebootstrapping from bootstrap.servers=" + servers + ": " + why + "; forgot " + std::to_string(known) +
          " known broker(s) (metadata.recovery.strategy=rebootstrap, KIP-899)");
}

void BrokerPool::connect_to_any(std::int64_t now_ms, std::int64_t& next) {
  if (closed_) return;
  // Wait for a connection being set up, else start one — a known broker
  // (rotating, so one dead broker does not block us), or, once every known
  // broker failed its last attempt, a bootstrap server
  // (metadata.recovery.strategy=rebootstrap, KIP-899: the brokers we knew may
  // all be gone, e.g. restarted on new addresses).
  for (const auto& [key, n] : nodes_)
    if (key.lane == Lane::data && n.state == State::connecting && is_current(key)) return;

  auto try_candidates = [&](const std::vector<NodeId>& ids) -> bool {
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const NodeId id = ids[(any_candidate_ + k) % ids.size()];
      const Node& n = node(NodeKey{id, Lane::data});
      if (n.state == State::disconnected && now_ms >= n.next_connect_ms) {
        any_candidate_ = (any_candidate_ + k + 1) % ids.size();
        connect(NodeKey{id, Lane::data}, now_ms);
        return true;
      }
    }
    return false;
  };
  std::vector<NodeId> brokers;
  for (const auto& [id, endpoint] : metadata_.brokers()) brokers.push_back(id);
  if (try_candidates(brokers)) return;
  auto wait_for = [&](NodeId id) {
    const Node& n = node(NodeKey{id, Lane::data});
    if (n.state == State::disconnected && n.next_connect_ms > now_ms) next = std::min(next, n.next_connect_ms);
  };
  if (!brokers.empty()) {
    bool all_failed = true;
    for (NodeId id : brokers) {
      const Node& n = node(NodeKey{id, Lane::data});
      all_failed = all_failed && n.state == State::disconnected && n.failures > 0;
    }
    if (all_failed && options_.recovery == MetadataRecoveryStrategy::rebootstrap) {
      rebootstrap(now_ms, "every known broker is unreachable");
      brokers.clear();
    } else if (options_.recovery == MetadataRecoveryStrategy::none) {
      // Only the known brokers are tried, each after its reconnect backoff.
      for (NodeId id : brokers) wait_for(id);
      return;
    }
  }
  std::vector<NodeId> bootstrap;
  for (const BrokerEndpoint& b : metadata_.bootstrap()) bootstrap.push_back(NodeId{b.node_id});
  if (try_candidates(bootstrap)) return;
  // Everything is backing off: come back when the first backoff ends.
  for (NodeId id : brokers) wait_for(id);
  for (NodeId id : bootstrap) wait_for(id);
}

void BrokerPool::close_idle(std::int64_t now_ms, std::int64_t& next) {
  std::vector<NodeKey> to_close;
  const bool have_brokers = metadata_.has_cluster() && !metadata_.brokers().empty();
  bool broker_connected = false;
  for (const auto& [key, n] : nodes_)
    broker_connected = broker_connected || (key.id.valid() && key.lane == Lane::data && n.state == State::ready &&
                                            metadata_.endpoint(key.id));
  for (const auto& [key, n] : nodes_) {
    if (n.state != State::ready || n.in_flight > 0) continue;
    if (auto w = waiters_.find(key); w != waiters_.end() && !w->second.empty()) continue;
    // Bootstrap connections serve until a real broker's connection is up;
    // brokers that left the cluster are not needed either.
    if (key.lane == Lane::data &&
        ((!key.id.valid() && have_brokers && broker_connected) || (key.id.valid() && have_brokers && !metadata_.endpoint(key.id)))) {
      to_close.push_back(key);
      continue;
    }
    if (options_.connections_max_idle_ms < 0) continue;
    const std::int64_t idle_deadline = saturating_add(n.last_active_ms, options_.connections_max_idle_ms);
    if (now_ms >= idle_deadline)
      to_close.push_back(key);
    else
      next = std::min(next, idle_deadline);
  }
  // Outside the loop: disconnect() runs close handlers synchronously.
  for (NodeKey key : to_close) {
    if (debug_enabled(LogCategory::broker))
      log(LogLevel::debug, LogCategory::broker, "closing idle connection to " + describe(key));
    Node& n = node(key);
    n.state = State::disconnected;
    ++n.generation;  // our own close: ignore its handlers
    transport_.disconnect(transport_id(key));
  }
}

void BrokerPool::close_all(std::error_code reason) {
  closed_ = true;
  std::vector<NodeKey> open;
  for (auto& [key, n] : nodes_) {
    if (n.state == State::disconnected) continue;
    n.state = State::disconnected;
    ++n.generation;
    open.push_back(key);
  }
  for (NodeKey key : open) transport_.disconnect(transport_id(key));
  std::map<NodeKey, std::vector<ReadyCallback>> waiting = std::move(waiters_);
  waiters_.clear();
  for (auto& [key, callbacks] : waiting)
    for (ReadyCallback& done : callbacks) done(reason, "the client is closed");
}

// --- Requests ------------------------------------------------------------------------

void BrokerPool::send(NodeKey key, protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
                      bool expect_response, net::Transport::ResponseHandler on_response,
                      std::vector<protocol::Splice> splices) {
  Node& n = node(key);
  const std::uint64_t generation = n.generation;
  if (n.state == State::ready) {
    ++n.in_flight;
    n.last_active_ms = hooks_.clock();
  }
  ++n.requests_sent;
  n.request_bytes_sent += body.size();
  for (const protocol::Splice& s : splices) n.request_bytes_sent += s.bytes.size();
  transport_.send_gathered(
      transport_id(key), api, version, std::move(body), std::move(splices), expect_response,
      [this, key, generation, expect_response, sent_us = monotonic_us(), handler = std::move(on_response)](
          std::error_code ec, std::span<const std::uint8_t> response) {
        note_response(key, generation, expect_response ? sent_us : -1, ec, response.size());
        handler(ec, response);
      });
}

void BrokerPool::note_response(NodeKey key, std::uint64_t generation, std::int64_t sent_us, std::error_code ec,
                               std::size_t body_bytes) {
  Node& n = node(key);
  if (n.generation == generation) {
    if (n.in_flight > 0) --n.in_flight;
    if (n.state == State::ready) n.last_active_ms = hooks_.clock();
  }
  // acks=0 (sent_us -1): written is all there is; no response to count.
  if (sent_us < 0) return;
  if (ec) {
    if (ec != client_errc::shutting_down) ++n.request_errors;  // not our own close
    return;
  }
  ++n.responses_received;
  n.response_bytes_received += body_bytes;
  record_round_trip(n.rtt_window_us, n.rtt_samples, monotonic_us() - sent_us);
}

void BrokerPool::throttle(NodeKey key, std::int32_t throttle_ms, std::int64_t now_ms) {
  if (throttle_ms <= 0) return;
  Node& n = node(key);
  n.throttle_time_ms_total += throttle_ms;
  n.throttle_time_ms_last = throttle_ms;
  n.throttle_until_ms = std::max(n.throttle_until_ms, now_ms + throttle_ms);
}

std::int64_t BrokerPool::throttled_until(NodeKey key) const {
  const Node* n = find(key);
  return n ? n->throttle_until_ms : 0;
}

}  // namespace kwire::cluster
