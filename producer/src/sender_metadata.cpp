// The Sender's cluster-facing side: the idempotent producer id
// (InitProducerId), metadata requests, authentication failures (KIP-152
// semantics: not retried into a timeout) and wait_for_cluster's checks. The
// produce path and the round are in sender.cpp.
#include <algorithm>
#include <utility>

#include "kwire/producer/sender.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"
#include "sender_support.hpp"

namespace kwire::producer {

using detail::monotonic_us;
using cluster::saturating_add;
using protocol::ApiKey;

// --- Producer id (idempotence) -----------------------------------------------------------

void Sender::maybe_init_producer_id(std::int64_t now_ms, std::int64_t& next) {
  if (!state_.wants_producer_id(now_ms, next)) return;
  // Any broker can answer InitProducerId without a transactional id (Java
  // sends it to the least loaded node).
  const std::optional<std::int32_t> id = least_loaded_ready_node();
  if (!id) {
    connect_to_any_broker(now_ms, next);
    return;
  }
  Node& n = node(*id);
  const protocol::InitProducerIdRequest request = state_.begin_producer_id_request(now_ms);
  const std::optional<std::int16_t> version = transport_.negotiated_version(*id, ApiKey::init_producer_id);
  std::vector<std::uint8_t> body;
  std::error_code ec;
  if (!version)
    ec = make_error_code(client_errc::unsupported_version);  // a broker before 0.11: no idempotence
  else
    ec = protocol::encode_message(request, *version, body);
  if (ec) {
    log(LogLevel::error, LogCategory::idempotence,
        "cannot send InitProducerId to " + describe_node(*id) + ": " + ec.message() +
            (ec == client_errc::unsupported_version ? " (the broker predates idempotence: set enable.idempotence=false)"
                                                    : ""));
    state_.on_producer_id_response(ec, {}, now_ms);
    return;
  }
  ++n.init_in_flight;
  n.last_active_ms = now_ms;
  const std::uint64_t generation = n.generation;
  const std::int16_t v = *version;
  if (debug_enabled(LogCategory::idempotence))
    log(LogLevel::debug, LogCategory::idempotence, "InitProducerId v" + std::to_string(v) + " to " + describe_node(*id));
  note_request_sent(n, body.size());
  transport_.send(*id, ApiKey::init_producer_id, v, std::move(body), true,
                  [this, node_id = *id, generation, v, sent_us = monotonic_us()](std::error_code error,
                                                                                std::span<const std::uint8_t> response) {
                    note_response(node_id, sent_us, error, response.size());
                    on_init_producer_id_response(node_id, generation, v, error, response);
                  });
}

void Sender::on_init_producer_id_response(std::int32_t id, std::uint64_t generation, std::int16_t version,
                                          std::error_code ec, std::span<const std::uint8_t> body) {
  Node& n = node(id);
  if (n.generation == generation && n.init_in_flight > 0) --n.init_in_flight;
  const std::int64_t now_ms = hooks_.clock();
  if (n.generation == generation) n.last_active_ms = now_ms;
  protocol::InitProducerIdResponse response;
  if (!ec) ec = protocol::decode_message(body, version, response);
  if (ec && !shut_down_ && ec != client_errc::shutting_down)
    log(LogLevel::warning, LogCategory::idempotence,
        "InitProducerId request to " + describe_node(id) + " failed: " + ec.message());
  state_.on_producer_id_response(ec, response, now_ms);
  wake();
}

// --- Metadata ------------------------------------------------------------------------

bool Sender::is_current_node(std::int32_t id) const { return metadata_.endpoint(id) != nullptr; }

std::optional<std::int32_t> Sender::least_loaded_ready_node() const {
  std::optional<std::int32_t> best;
  std::int32_t best_load = 0;
  for (const auto& [id, n] : nodes_) {
    if (n.state != Node::State::ready || !is_current_node(id)) continue;
    const std::int32_t load = n.produce_in_flight + n.metadata_in_flight + n.init_in_flight;
    // Prefer real brokers over bootstrap connections at equal load.
    if (!best || load < best_load || (load == best_load && *best < 0 && id >= 0)) {
      best = id;
      best_load = load;
    }
  }
  return best;
}

void Sender::maybe_update_metadata(std::int64_t now_ms, std::int64_t& next) {
  if (metadata_.request_in_flight()) return;
  // KIP-1102: no metadata from any known broker for
  // metadata.recovery.rebootstrap.trigger.ms: the brokers we know may be a
  // stale or partitioned view of the cluster.
  if (metadata_.rebootstrap_due(now_ms)) {
    const std::int64_t silent_ms = now_ms - metadata_.last_success_ms().value_or(now_ms);
    rebootstrap(now_ms, "no metadata for " + std::to_string(silent_ms) +
                            " ms (metadata.recovery.rebootstrap.trigger.ms=" +
                            std::to_string(config_.metadata_recovery_rebootstrap_trigger_ms) + ")");
  }
  const std::int64_t wait = metadata_.time_to_next_update(now_ms);
  if (wait > 0) {
    if (wait != MetadataCache::kNever) next = std::min(next, saturating_add(now_ms, wait));
    return;
  }
  if (std::optional<std::int32_t> id = least_loaded_ready_node()) {
    send_metadata(*id, node(*id), now_ms);
    return;
  }
  connect_to_any_broker(now_ms, next);
}

void Sender::rebootstrap(std::int64_t now_ms, const std::string& why) {
  const std::size_t known = metadata_.brokers().size();
  if (!metadata_.rebootstrap(now_ms)) return;
  std::string servers;
  for (const BrokerEndpoint& b : metadata_.bootstrap()) servers += (servers.empty() ? "" : ",") + b.address();
  log(LogLevel::warning, LogCategory::metadata,
      "rebootstrapping from bootstrap.servers=" + servers + ": " + why + "; forgot " + std::to_string(known) +
          " known broker(s) (metadata.recovery.strategy=rebootstrap, KIP-899)");
}

void Sender::connect_to_any_broker(std::int64_t now_ms, std::int64_t& next) {
  // No usable connection: wait for one being set up, else start one — a
  // known broker (rotating, so one dead broker does not block us), or, once
  // every known broker failed its last attempt, a bootstrap server
  // (metadata.recovery.strategy=rebootstrap, KIP-899: the brokers we knew may
  // all be gone, e.g. restarted on new addresses).
  for (const auto& [id, n] : nodes_)
    if (n.state == Node::State::connecting && is_current_node(id)) return;

  auto try_candidates = [&](const std::vector<std::int32_t>& ids) -> bool {
    if (ids.empty()) return false;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const std::int32_t id = ids[(metadata_candidate_ + k) % ids.size()];
      Node& n = node(id);
      if (n.state == Node::State::disconnected && now_ms >= n.next_connect_ms) {
        metadata_candidate_ = (metadata_candidate_ + k + 1) % ids.size();
        initiate_connect(id, now_ms);
        return true;
      }
    }
    return false;
  };
  std::vector<std::int32_t> brokers;
  for (const auto& [id, endpoint] : metadata_.brokers()) brokers.push_back(id);
  if (try_candidates(brokers)) return;
  if (!brokers.empty()) {
    bool all_failed = true;
    for (std::int32_t id : brokers) {
      const Node& n = node(id);
      all_failed = all_failed && n.state == Node::State::disconnected && n.failures > 0;
    }
    if (all_failed && config_.metadata_recovery_strategy == cluster::MetadataRecoveryStrategy::rebootstrap) {
      rebootstrap(now_ms, "every known broker is unreachable");
      brokers.clear();
    } else if (config_.metadata_recovery_strategy == cluster::MetadataRecoveryStrategy::none) {
      bootstrap_fallback_wait(brokers, now_ms, next);
      return;
    }
  }
  std::vector<std::int32_t> bootstrap;
  for (const BrokerEndpoint& b : metadata_.bootstrap()) bootstrap.push_back(b.node_id);
  if (try_candidates(bootstrap)) return;

  // Everything is backing off: come back when the first backoff ends.
  auto wait_for = [&](std::int32_t id) {
    const Node& n = node(id);
    if (n.state == Node::State::disconnected && n.next_connect_ms > now_ms) next = std::min(next, n.next_connect_ms);
  };
  for (std::int32_t id : brokers) wait_for(id);
  for (std::int32_t id : bootstrap) wait_for(id);
}

void Sender::bootstrap_fallback_wait(const std::vector<std::int32_t>& brokers, std::int64_t now_ms,
                                     std::int64_t& next) {
  // metadata.recovery.strategy=none: only the known brokers are tried, each
  // after its reconnect backoff.
  for (std::int32_t id : brokers) {
    const Node& n = node(id);
    if (n.state == Node::State::disconnected && n.next_connect_ms > now_ms) next = std::min(next, n.next_connect_ms);
  }
}

void Sender::send_metadata(std::int32_t id, Node& n, std::int64_t now_ms) {
  const std::optional<std::int16_t> version = transport_.negotiated_version(id, ApiKey::metadata);
  if (!version) {
    log(LogLevel::error, LogCategory::protocol, describe_node(id) + " offers no Metadata version kwire speaks");
    metadata_.on_request_failed(now_ms);
    return;
  }
  // metadata.max.idle.ms: stop asking for topics nobody produces to (the
  // next send() to one asks again, as in Java).
  metadata_.expire_idle_topics(now_ms);
  const protocol::MetadataRequest request = metadata_.build_request();
  std::vector<std::uint8_t> body;
  if (std::error_code ec = protocol::encode_message(request, *version, body)) {
    log(LogLevel::error, LogCategory::protocol,
        "cannot encode a Metadata v" + std::to_string(*version) + " request: " + ec.message());
    metadata_.on_request_failed(now_ms);
    return;
  }
  metadata_.on_request_sent(now_ms);
  ++n.metadata_in_flight;
  n.last_active_ms = now_ms;
  const std::uint64_t generation = n.generation;
  const std::int16_t v = *version;
  if (debug_enabled(LogCategory::metadata))
    log(LogLevel::debug, LogCategory::metadata,
        "Metadata v" + std::to_string(v) + " to " + describe_node(id) + " for " +
            std::to_string(request.topics ? request.topics->size() : 0) + " topic(s)");
  note_request_sent(n, body.size());
  transport_.send(id, ApiKey::metadata, v, std::move(body), true,
                  [this, id, generation, v, sent_us = monotonic_us()](std::error_code ec,
                                                                      std::span<const std::uint8_t> response) {
                    note_response(id, sent_us, ec, response.size());
                    on_metadata_response(id, generation, v, ec, response);
                  });
}

void Sender::on_metadata_response(std::int32_t id, std::uint64_t generation, std::int16_t version, std::error_code ec,
                                  std::span<const std::uint8_t> body) {
  Node& n = node(id);
  if (n.generation == generation && n.metadata_in_flight > 0) --n.metadata_in_flight;
  const std::int64_t now_ms = hooks_.clock();
  protocol::MetadataResponse response;
  if (!ec) ec = protocol::decode_message(body, version, response);
  if (ec) {
    metadata_.on_request_failed(now_ms);
    if (!shut_down_ && ec != client_errc::shutting_down)
      log(LogLevel::warning, LogCategory::metadata,
          "Metadata request to " + describe_node(id) + " failed: " + ec.message());
    wake();
    return;
  }
  if (n.generation == generation) n.last_active_ms = now_ms;
  const MetadataUpdateResult result = metadata_.update(response, now_ms);
  if (result.rebootstrap)
    log(LogLevel::warning, LogCategory::metadata,
        "the cluster (via " + describe_node(id) + ") asked us to rebootstrap (KIP-1102)");
  if (result.brokers_changed || result.topics_changed) {
    // Once per change, not per refresh.
    std::string brokers;
    for (const auto& [broker_id, endpoint] : metadata_.brokers())
      brokers += (brokers.empty() ? "" : ", ") + std::to_string(broker_id) + "=" + endpoint.address();
    log(LogLevel::info, LogCategory::metadata,
        "metadata from " + describe_node(id) + ": " +
            (result.brokers_changed ? "brokers changed: [" + brokers + "]" : std::string("brokers unchanged")) +
            (result.topics_changed ? "; partitions or leaders of " + std::to_string(metadata_.wanted_topics().size()) +
                                         " topic(s) changed"
                                   : std::string()));
  } else if (debug_enabled(LogCategory::metadata)) {
    log(LogLevel::debug, LogCategory::metadata, "metadata from " + describe_node(id) + ": no change");
  }
  if (hooks_.on_metadata) hooks_.on_metadata(metadata_, result);
  publish_cluster_status({});
  finish_cluster_checks({});
  wake();
}

// --- Authentication failures ---------------------------------------------------------

void Sender::on_authentication_failure(std::int32_t id, std::error_code ec, std::int64_t now_ms) {
  Node& n = node(id);
  std::string detail = transport_.connection_error_detail(id);
  if (detail.empty()) {
    const BrokerEndpoint* endpoint = metadata_.endpoint(id);
    detail = ec.message() + " on " + (endpoint ? endpoint->address() : "node " + std::to_string(id)) +
             "; check security.protocol, sasl.* and ssl.*";
  }
  if (!n.auth_error) ++refusing_nodes_;
  n.auth_error = ec;
  n.auth_detail = detail;
  const bool changed = auth_error_ != ec || auth_detail_ != detail;
  auth_error_ = ec;
  auth_detail_ = std::move(detail);
  if (changed && hooks_.on_authentication) hooks_.on_authentication(auth_error_, auth_detail_);
  fail_unservable_batches(now_ms);
}

void Sender::on_authentication_success(std::int32_t id) {
  Node& n = node(id);
  if (n.auth_error) {
    --refusing_nodes_;
    n.auth_error.clear();
    n.auth_detail.clear();
  }
  if (!auth_error_) return;
  log(LogLevel::info, LogCategory::security,
      "connected to " + describe_node(id) + ": the earlier authentication failure is over");
  auth_error_.clear();
  auth_detail_.clear();
  auth_failed_batches_ = 0;
  if (hooks_.on_authentication) hooks_.on_authentication({}, {});
}

void Sender::fail_unservable_batches(std::int64_t now_ms) {
  // Only while no attempt is under way: when the backoff ends, queued
  // batches ask for a new connection (ready() -> initiate_connect), and that
  // attempt's outcome decides — so the refusal can clear, and a producer
  // with nothing to send makes no attempts (no reconnect storm either way).
  auto on_failed = [this](const ProducerBatch& batch) { state_.on_batch_expired(batch); };
  std::size_t failed = 0;
  // Batches whose leader refused us and is backing off. (Bootstrap nodes
  // lead nothing.)
  for (const auto& [id, n] : nodes_) {
    if (!n.auth_error || id < 0 || n.state != Node::State::disconnected || now_ms >= n.next_connect_ms) continue;
    const std::int32_t leader = id;
    failed += accumulator_.fail_queued(
        [this, leader](const TopicPartition& tp) { return metadata_.leader_of(tp) == leader; }, n.auth_error,
        n.auth_detail, on_failed);
  }
  // With no usable connection and none being set up, nothing can find a
  // leader or fetch a producer id: those batches would only wait for
  // delivery.timeout.ms.
  bool busy = false;
  for (const auto& [id, n] : nodes_)
    if (n.state != Node::State::disconnected && is_current_node(id)) busy = true;
  if (auth_error_ && !busy) {
    const bool can_send = state_.ready_to_send(now_ms);
    failed += accumulator_.fail_queued(
        [this, can_send](const TopicPartition& tp) { return !can_send || !metadata_.leader_of(tp); }, auth_error_,
        auth_detail_, on_failed);
  }
  if (failed == 0) return;
  // Once per refusal at warning (the connection already logged why), then
  // in debug: a producer that keeps sending must not flood the log.
  const bool first = auth_failed_batches_ == 0;
  auth_failed_batches_ += failed;
  if (first || debug_enabled())
    log(first ? LogLevel::warning : LogLevel::debug,
        "failing " + std::to_string(failed) + " queued batch(es) with authentication_failed: " +
            (auth_detail_.empty() ? std::string("a broker refused our credentials") : auth_detail_));
}

// --- Cluster checks ------------------------------------------------------------------

void Sender::check_cluster(ClusterCheckHandler done) {
  if (shut_down_) {
    done(make_error_code(client_errc::shutting_down), "the producer is closed");
    return;
  }
  checks_.push_back(ClusterCheck{std::move(done), {}, {}});
  metadata_.request_update();
  wake();
}

void Sender::publish_cluster_status(std::string why) {
  if (why == cluster_status_) return;
  cluster_status_ = std::move(why);
  if (hooks_.on_cluster_status) hooks_.on_cluster_status(cluster_status_);
}

void Sender::note_connect_failure(std::int32_t id, std::error_code ec, const std::string& detail) {
  const BrokerEndpoint* endpoint = metadata_.endpoint(id);
  // The caller's detail (a refused authentication), else the connection's
  // own explanation when it has one (e.g. the setup phase that timed out),
  // else the error's message.
  const std::string why = detail.empty() ? transport_.connection_error_detail(id) : detail;
  const std::string line =
      why.empty() ? (endpoint ? endpoint->address() : "node " + std::to_string(id)) + ": " + ec.message() : why;
  unreachable_[id] = line;
  // No connection up: that is why metadata (and a send() waiting for it)
  // does not arrive. Name every address that failed, with its reason.
  bool any_ready = false;
  for (const auto& [node_id, n] : nodes_) any_ready = any_ready || n.state == Node::State::ready;
  if (!any_ready) {
    std::string status = "no broker reachable — ";
    bool first = true;
    for (const auto& [node_id, failure] : unreachable_) {
      if (!metadata_.endpoint(node_id)) continue;  // a broker that left the cluster
      status += (first ? "" : "; ") + failure;
      first = false;
    }
    publish_cluster_status(std::move(status));
  }
  if (checks_.empty()) return;
  for (ClusterCheck& check : checks_) {
    if (std::find(check.failed_nodes.begin(), check.failed_nodes.end(), id) == check.failed_nodes.end())
      check.failed_nodes.push_back(id);
    if (!check.detail.empty()) check.detail += "; ";
    check.detail += line;
  }
  // Done when every address we could use has failed since the check began.
  auto all_failed = [&](const ClusterCheck& check) {
    auto failed = [&](std::int32_t node_id) {
      return std::find(check.failed_nodes.begin(), check.failed_nodes.end(), node_id) != check.failed_nodes.end();
    };
    for (const BrokerEndpoint& b : metadata_.bootstrap())
      if (!failed(b.node_id)) return false;
    for (const auto& [node_id, broker] : metadata_.brokers())
      if (!failed(node_id)) return false;
    return true;
  };
  // Bad credentials or certificates: say so now, not "unreachable" later.
  const bool auth = ec == client_errc::authentication_failed;
  std::vector<ClusterCheck> finished;
  for (auto it = checks_.begin(); it != checks_.end();) {
    if (auth || all_failed(*it)) {
      finished.push_back(std::move(*it));
      it = checks_.erase(it);
    } else {
      ++it;
    }
  }
  for (ClusterCheck& check : finished)
    check.done(make_error_code(auth ? client_errc::authentication_failed : client_errc::no_broker_reachable),
               check.detail);
}

void Sender::finish_cluster_checks(std::error_code ec) {
  std::vector<ClusterCheck> checks = std::move(checks_);
  checks_.clear();
  for (ClusterCheck& check : checks) check.done(ec, check.detail);
}

}  // namespace kwire::producer
