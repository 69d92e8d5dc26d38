// Cluster: routing, sending and the one retry loop (cluster.hpp). The
// connection bookkeeping is BrokerPool's, metadata refreshes are
// MetadataUpdater's, coordinator lookups CoordinatorCache's: this file only
// decides where each request goes and what to do with its answer.
#include "kwire/cluster/cluster.hpp"

#include <algorithm>
#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::cluster {
namespace {

std::string describe_top(const TopLevelError& top) {
  std::string text = error_name(make_error_code(top.code));
  if (!top.message.empty()) text += " (" + top.message + ")";
  return text;
}

CoordinatorKey coordinator_key(const Route& route) {
  return {route.kind == Route::Kind::group_coordinator ? CoordinatorType::group : CoordinatorType::transaction,
          route.key};
}

}  // namespace

std::string Route::describe() const {
  switch (kind) {
    case Kind::any: return "any broker";
    case Kind::node: return "node " + to_string(node_id);
    case Kind::leader: return "the leader of " + partition.topic + "-" + std::to_string(partition.partition);
    case Kind::group_coordinator: return "the group coordinator of '" + key + "'";
    case Kind::transaction_coordinator: return "the transaction coordinator of '" + key + "'";
    case Kind::controller: return "the controller";
  }
  return "?";
}

Cluster::Cluster(const ClientConfig& config, net::Transport& transport, Hooks hooks, std::uint64_t jitter_seed)
    : config_(config),
      hooks_(std::move(hooks)),
      logger_(hooks_.log, config.debug_categories()),
      metadata_(
          [&] {
            MetadataCache::Options o = MetadataCache::Options::from(config);
            o.jitter_seed = jitter_seed;
            return o;
          }(),
          config.bootstrap_addresses()),
      coordinators_(CoordinatorCache::Options{config.retry_backoff_ms, config.retry_backoff_max_ms, jitter_seed}),
      pool_(
          [&] {
            BrokerPool::Options o = BrokerPool::Options::from(config);
            o.jitter_seed = jitter_seed;
            o.logged_apis = {protocol::ApiKey::metadata, protocol::ApiKey::find_coordinator};
            return o;
          }(),
          transport, metadata_,
          BrokerPool::Hooks{hooks_.clock, hooks_.wake, nullptr,
                            [this](NodeKey key, std::error_code, const std::string&) {
                              // The coordinator may have moved (or its broker gone).
                              if (key.lane == Lane::coordinator) coordinators_.on_disconnect(key.id);
                            },
                            [this](NodeKey key, std::error_code) {
                              if (key.lane == Lane::coordinator) coordinators_.on_disconnect(key.id);
                            },
                            nullptr, logger_}),
      updater_(metadata_, pool_, config.metadata_recovery_rebootstrap_trigger_ms,
               MetadataUpdater::Hooks{hooks_.clock, hooks_.wake,
                                      [this](const MetadataCache& md, const MetadataUpdateResult& result) {
                                        ++metadata_updates_;
                                        if (hooks_.on_metadata) hooks_.on_metadata(md, result);
                                      },
                                      nullptr, logger_}),
      retry_backoff_(config.retry_backoff_ms, config.retry_backoff_max_ms, jitter_seed) {}

Cluster::~Cluster() {
  if (!shut_down_) shutdown(make_error_code(client_errc::shutting_down));
}

void Cluster::submit(Route route, std::int64_t deadline_ms, std::unique_ptr<detail::Call> call) {
  if (shut_down_) {
    call->finish(make_error_code(client_errc::shutting_down), "the client is closed", NodeId{}, -1, 0);
    return;
  }
  Pending p;
  p.route = std::move(route);
  p.call = std::move(call);
  p.deadline_ms = deadline_ms;
  calls_.emplace(next_call_id_++, std::move(p));
  wake();
}

void Cluster::shutdown(std::error_code reason) {
  if (shut_down_) return;
  shut_down_ = true;
  updater_.shutdown();
  std::map<std::uint64_t, Pending> calls = std::move(calls_);
  calls_.clear();
  for (auto& [id, p] : calls)
    p.call->finish(reason, p.route.describe() + ": the client is closed", p.node, p.version, p.attempts);
  pool_.close_all(reason);
}

// --- The round ----------------------------------------------------------------------

std::int64_t Cluster::run_once(std::int64_t now_ms) {
  if (shut_down_) return kNoDeadline;
  std::int64_t next = kNoDeadline;
  // Snapshot the ids: dispatching may finish (erase) calls.
  std::vector<std::uint64_t> ids;
  ids.reserve(calls_.size());
  for (const auto& [id, p] : calls_) ids.push_back(id);
  for (std::uint64_t id : ids) {
    auto it = calls_.find(id);
    if (it == calls_.end()) continue;
    Pending& p = it->second;
    if (now_ms >= p.deadline_ms) {
      finish(id, make_error_code(client_errc::timed_out), {});
      continue;
    }
    next = std::min(next, p.deadline_ms);
    if (!p.in_flight && !p.waiting_connection && !p.waiting_coordinator) dispatch(id, p, now_ms, next);
  }
  // After dispatching: what the requests asked for (a metadata refresh, a
  // coordinator lookup) goes out in this round.
  updater_.maybe_update(now_ms, next);
  send_coordinator_lookups(now_ms, next);
  pool_.tick(now_ms, next);
  pool_.close_idle(now_ms, next);
  return next;
}

void Cluster::dispatch(std::uint64_t id, Pending& p, std::int64_t now_ms, std::int64_t& next) {
  if (p.not_before_ms > now_ms) {
    next = std::min(next, p.not_before_ms);
    return;
  }
  std::optional<BrokerEndpoint> endpoint;
  const std::optional<NodeKey> node = resolve(id, p, now_ms, next, endpoint);
  if (!node) {
    if (!p.waiting_coordinator && blocked_by_authentication()) {
      std::string detail;
      const std::error_code ec = pool_.authentication_error(&detail);
      finish(id, ec, p.route.describe() + ": " + detail);
    }
    return;
  }
  if (pool_.is_ready(*node)) {
    send(id, p, *node, now_ms);
    return;
  }
  p.waiting_connection = true;
  p.node = node->id;
  pool_.when_ready(
      *node, now_ms,
      [this, id, key = *node](std::error_code ec, const std::string& detail) {
        auto it = calls_.find(id);
        if (it == calls_.end()) return;
        Pending& q = it->second;
        q.waiting_connection = false;
        if (!ec) {
          wake();
          return;
        }
        q.last_error = ec;
        q.last_cause = "connection to " + pool_.describe(key) + " failed: " + (detail.empty() ? ec.message() : detail);
        // KIP-152: a refused authentication is not retried into a timeout.
        if (ec == client_errc::authentication_failed || ec == client_errc::shutting_down) {
          finish(id, ec, q.last_cause);
          return;
        }
        wake();  // the next round waits for the node's reconnect backoff
      },
      endpoint ? &*endpoint : nullptr);
}

bool Cluster::blocked_by_authentication() const {
  if (!pool_.authentication_error()) return false;
  for (const auto& [key, n] : pool_.nodes())
    if (key.lane == Lane::data && n.state != BrokerPool::State::disconnected && pool_.is_current(key)) return false;
  return true;
}

std::optional<NodeKey> Cluster::resolve(std::uint64_t id, Pending& p, std::int64_t now_ms, std::int64_t& next,
                                        std::optional<BrokerEndpoint>& endpoint) {
  if (metadata_updates_ < p.min_metadata_updates && p.route.kind != Route::Kind::any && !p.route.to_coordinator()) {
    // The last answer said our metadata is stale: route by a fresh one.
    metadata_.request_update();
    return std::nullopt;
  }
  switch (p.route.kind) {
    case Route::Kind::any: {
      if (std::optional<NodeId> node = pool_.least_loaded_ready()) return NodeKey{*node, Lane::data};
      pool_.connect_to_any(now_ms, next);
      if (p.last_cause.empty()) p.last_cause = "no broker connection ready";
      return std::nullopt;
    }
    case Route::Kind::node:
      if (!metadata_.endpoint(p.route.node_id)) {
        metadata_.request_update();
        p.last_cause = "node " + to_string(p.route.node_id) + " is not in the metadata";
        return std::nullopt;
      }
      return NodeKey{p.route.node_id, Lane::data};
    case Route::Kind::leader: {
      if (!metadata_.wants(p.route.partition.topic)) metadata_.add_topic(p.route.partition.topic, now_ms);
      metadata_.touch_topic(p.route.partition.topic, now_ms);
      if (std::optional<NodeId> leader = metadata_.leader_of(p.route.partition)) {
        if (metadata_.endpoint(*leader)) return NodeKey{*leader, Lane::data};
      }
      metadata_.request_update();
      const TopicInfo* topic = metadata_.topic(p.route.partition.topic);
      p.last_cause = "no known leader for " + p.route.partition.topic + "-" + std::to_string(p.route.partition.partition);
      if (topic && topic->error != kwire::errc::none)
        p.last_cause += " (topic error " + error_name(make_error_code(topic->error)) + ")";
      return std::nullopt;
    }
    case Route::Kind::controller:
      if (std::optional<NodeId> controller = metadata_.controller(); controller && metadata_.endpoint(*controller))
        return NodeKey{*controller, Lane::data};
      metadata_.request_update();
      p.last_cause = "the controller is not known yet";
      return std::nullopt;
    case Route::Kind::group_coordinator:
    case Route::Kind::transaction_coordinator: {
      const CoordinatorKey key = coordinator_key(p.route);
      if (const CoordinatorNode* c = coordinators_.find(key)) {
        endpoint = BrokerEndpoint{c->node_id.value(), c->host, static_cast<std::uint16_t>(c->port), std::nullopt};
        return NodeKey{c->node_id, Lane::coordinator};
      }
      p.waiting_coordinator = true;
      coordinators_.lookup(key, [this, id](const CoordinatorResult& result) {
        auto it = calls_.find(id);
        if (it == calls_.end()) return;
        Pending& q = it->second;
        q.waiting_coordinator = false;
        if (result.error) {
          q.last_error = result.error;
          q.last_cause = "FindCoordinator for " + q.route.describe() + ": " + error_name(result.error) +
                         (result.detail.empty() ? std::string() : " (" + result.detail + ")");
          finish(id, result.error, q.last_cause);
          return;
        }
        wake();
      });
      if (p.waiting_coordinator && p.last_cause.empty()) p.last_cause = "looking up " + p.route.describe();
      return std::nullopt;
    }
  }
  return std::nullopt;
}

void Cluster::send(std::uint64_t id, Pending& p, NodeKey node, std::int64_t now_ms) {
  std::int16_t version = -1;
  std::vector<std::uint8_t> body;
  const protocol::ApiKey api = p.call->api();
  if (std::error_code ec = p.call->encode(pool_.negotiated_version(node, api), version, body)) {
    std::string detail = "cannot send " + std::string(protocol::api_name(api)) + " to " + pool_.describe(node) + ": " +
                         ec.message();
    if (ec == client_errc::unsupported_version)
      detail += " (the broker offers no version of it that kwire speaks)";
    finish(id, ec, std::move(detail));
    return;
  }
  ++p.attempts;
  p.in_flight = true;
  p.node = node.id;
  p.version = version;
  if (logger_.debug(LogCategory::protocol))
    logger_(LogLevel::debug, LogCategory::protocol,
            std::string(protocol::api_name(api)) + " v" + std::to_string(version) + " to " + pool_.describe(node) +
                " for " + p.route.describe() + (p.attempts > 1 ? " (attempt " + std::to_string(p.attempts) + ")" : ""));
  (void)now_ms;
  pool_.send(node, api, version, std::move(body), true,
             [this, id, node, version](std::error_code ec, std::span<const std::uint8_t> response) {
               on_response(id, node, version, ec, response);
             });
}

void Cluster::on_response(std::uint64_t id, NodeKey node, std::int16_t version, std::error_code ec,
                          std::span<const std::uint8_t> body) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;  // finished at its deadline meanwhile
  Pending& p = it->second;
  p.in_flight = false;
  const std::int64_t now_ms = hooks_.clock();
  const std::string api(protocol::api_name(p.call->api()));
  if (ec) {
    // Java's NetworkException / TimeoutException: retriable; the broker may be
    // gone or no longer the leader/coordinator.
    const bool retriable = ec == client_errc::disconnected || ec == client_errc::timed_out;
    retry_or_finish(id, p, retriable ? Action::refresh_retry : Action::done, ec,
                    api + " to " + pool_.describe(node) + " failed: " + ec.message(), now_ms);
    return;
  }
  const detail::Call::Decoded decoded = p.call->decode(body, version);
  if (decoded.decode_error) {
    finish(id, decoded.decode_error,
           "undecodable " + api + " v" + std::to_string(version) + " response from " + pool_.describe(node) + ": " +
               decoded.decode_error.message());
    return;
  }
  if (decoded.top.code != kwire::errc::none) {
    const Action action = classify(p, decoded.top.code);
    retry_or_finish(id, p, action, make_error_code(decoded.top.code),
                    api + " to " + pool_.describe(node) + " answered " + describe_top(decoded.top), now_ms);
    return;
  }
  switch (decoded.verdict) {
    case Retry::no: finish(id, {}, {}); return;
    case Retry::after_backoff:
      retry_or_finish(id, p, Action::retry, {}, api + " to " + pool_.describe(node) + ": the caller asked to retry",
                      now_ms);
      return;
    case Retry::after_refresh:
      retry_or_finish(id, p, Action::refresh_retry, {},
                      api + " to " + pool_.describe(node) + ": the caller asked to refresh and retry", now_ms);
      return;
  }
}

Cluster::Action Cluster::classify(const Pending& p, kwire::errc top) const {
  using kwire::errc;
  switch (top) {
    case errc::not_coordinator:
    case errc::coordinator_not_available:
      return p.route.to_coordinator() ? Action::refresh_retry : Action::done;
    case errc::coordinator_load_in_progress: return p.route.to_coordinator() ? Action::retry : Action::done;
    case errc::not_controller: return Action::refresh_retry;
    case errc::not_leader_or_follower:
    case errc::leader_not_available:
    case errc::fenced_leader_epoch:
    case errc::kafka_storage_error:
      return p.route.kind == Route::Kind::leader ? Action::refresh_retry : Action::done;
    case errc::unknown_topic_or_partition:
      // Only while our metadata says the partition exists (it moved, or the
      // answering broker lags); otherwise it is the caller's answer.
      return p.route.kind == Route::Kind::leader && metadata_.leader_of(p.route.partition) ? Action::refresh_retry
                                                                                          : Action::done;
    default: return Action::done;
  }
}

void Cluster::refresh_for(Pending& p) {
  if (p.route.to_coordinator()) {
    coordinators_.invalidate(coordinator_key(p.route));
    return;
  }
  metadata_.request_update();
  p.min_metadata_updates = metadata_updates_ + 1;
}

void Cluster::retry_or_finish(std::uint64_t id, Pending& p, Action action, std::error_code error, std::string cause,
                              std::int64_t now_ms) {
  if (error) p.last_error = error;
  p.last_cause = std::move(cause);
  if (action == Action::done) {
    finish(id, error, p.last_cause);
    return;
  }
  if (action == Action::refresh_retry) refresh_for(p);
  p.not_before_ms = now_ms + retry_backoff_.next_ms(p.attempts);
  if (logger_.debug(LogCategory::protocol))
    logger_(LogLevel::debug, LogCategory::protocol,
            p.last_cause + "; retrying " + p.route.describe() + " in " + std::to_string(p.not_before_ms - now_ms) +
                " ms");
  if (p.not_before_ms >= p.deadline_ms) {
    finish(id, make_error_code(client_errc::timed_out), {});
    return;
  }
  wake();
}

void Cluster::finish(std::uint64_t id, std::error_code error, std::string detail) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Pending p = std::move(it->second);
  calls_.erase(it);
  if (error == client_errc::timed_out && detail.empty()) {
    detail = std::string(protocol::api_name(p.call->api())) + " to " + p.route.describe() +
             " gave up at its deadline after " + std::to_string(p.attempts) + " attempt(s)";
    if (!p.last_cause.empty()) detail += "; last cause: " + p.last_cause;
  }
  p.call->finish(error, std::move(detail), p.node, p.version, p.attempts);
}

// --- Coordinator lookups -----------------------------------------------------------------

void Cluster::send_coordinator_lookups(std::int64_t now_ms, std::int64_t& next) {
  bool waiting = false;
  for (const auto& [id, p] : calls_) waiting = waiting || p.waiting_coordinator;
  if (!waiting) return;
  const std::int64_t due = coordinators_.next_deadline_ms();
  if (due != kNoDeadline && due > now_ms) next = std::min(next, due);
  const std::optional<NodeId> node = pool_.least_loaded_ready();
  if (!node) {
    pool_.connect_to_any(now_ms, next);
    return;
  }
  const NodeKey key{*node, Lane::data};
  const std::optional<std::int16_t> max_version = pool_.negotiated_version(key, protocol::ApiKey::find_coordinator);
  if (!max_version) return;  // a broker without FindCoordinator: the callers' deadlines say so
  while (std::optional<CoordinatorLookup> lookup = coordinators_.next_request(now_ms, *max_version)) {
    std::vector<std::uint8_t> body;
    if (std::error_code ec = protocol::encode_message(lookup->request, lookup->version, body)) {
      coordinators_.on_request_failed(lookup->id, ec, now_ms);
      continue;
    }
    pool_.send(key, protocol::ApiKey::find_coordinator, lookup->version, std::move(body), true,
               [this, lookup_id = lookup->id, version = lookup->version](std::error_code ec,
                                                                         std::span<const std::uint8_t> response) {
                 on_lookup_response(lookup_id, version, ec, response);
               });
  }
}

void Cluster::on_lookup_response(std::uint64_t lookup_id, std::int16_t version, std::error_code ec,
                                 std::span<const std::uint8_t> body) {
  const std::int64_t now_ms = hooks_.clock();
  protocol::FindCoordinatorResponse response;
  if (!ec) ec = protocol::decode_message(body, version, response);
  if (ec)
    coordinators_.on_request_failed(lookup_id, ec, now_ms);
  else
    coordinators_.on_response(lookup_id, response, now_ms);
  wake();
}

}  // namespace kwire::cluster
