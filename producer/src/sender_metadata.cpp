// The Sender's cluster-facing side: the idempotent producer id
// (InitProducerId), what it does with metadata answers and authentication
// refusals (KIP-152 semantics: not retried into a timeout; the refusals
// themselves are BrokerPool's) and wait_for_cluster's checks. The produce
// path and the round are in sender.cpp.
#include <algorithm>
#include <utility>

#include "sender.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"

namespace kwire::producer {

using cluster::saturating_add;
using protocol::ApiKey;

// --- Producer id (idempotence) -----------------------------------------------------------

void Sender::maybe_init_producer_id(std::int64_t now_ms, std::int64_t& next) {
  if (!state_.wants_producer_id(now_ms, next)) return;
  // Any broker can answer InitProducerId without a transactional id (Java
  // sends it to the least loaded node).
  const std::optional<NodeId> id = pool_.least_loaded_ready();
  if (!id) {
    pool_.connect_to_any(now_ms, next);
    return;
  }
  const protocol::InitProducerIdRequest request = state_.begin_producer_id_request(now_ms);
  const std::optional<std::int16_t> version = pool_.negotiated_version(key(*id), ApiKey::init_producer_id);
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
  const std::int16_t v = *version;
  if (debug_enabled(LogCategory::idempotence))
    log(LogLevel::debug, LogCategory::idempotence, "InitProducerId v" + std::to_string(v) + " to " + describe_node(*id));
  pool_.send(key(*id), ApiKey::init_producer_id, v, std::move(body), true,
             [this, node_id = *id, v](std::error_code error, std::span<const std::uint8_t> response) {
               on_init_producer_id_response(node_id, v, error, response);
             });
}

void Sender::on_init_producer_id_response(NodeId id, std::int16_t version, std::error_code ec,
                                          std::span<const std::uint8_t> body) {
  const std::int64_t now_ms = hooks_.clock();
  protocol::InitProducerIdResponse response;
  if (!ec) ec = protocol::decode_message(body, version, response);
  if (ec && !shut_down_ && ec != client_errc::shutting_down)
    log(LogLevel::warning, LogCategory::idempotence,
        "InitProducerId request to " + describe_node(id) + " failed: " + ec.message());
  state_.on_producer_id_response(ec, response, now_ms);
  wake();
}

// --- Metadata (the MetadataUpdater's answers) ------------------------------------------

void Sender::on_metadata(const MetadataCache& metadata, const MetadataUpdateResult& result) {
  if (hooks_.on_metadata) hooks_.on_metadata(metadata, result);
  publish_cluster_status({});
  finish_cluster_checks({});
}

// --- Authentication failures ---------------------------------------------------------

void Sender::on_authentication_change(std::error_code ec, const std::string& detail) {
  if (!ec) auth_failed_batches_ = 0;
  if (hooks_.on_authentication) hooks_.on_authentication(ec, detail);
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
  for (const auto& [node_key, n] : pool_.nodes()) {
    if (!n.auth_error || !node_key.id.valid() || node_key.lane != cluster::Lane::data ||
        n.state != NodeState::disconnected || now_ms >= n.next_connect_ms)
      continue;
    const NodeId leader = node_key.id;
    failed += accumulator_.fail_queued(
        [this, leader](const TopicPartition& tp) { return metadata_.leader_of(tp) == leader; }, n.auth_error,
        n.auth_detail, on_failed);
  }
  // With no usable connection and none being set up, nothing can find a
  // leader or fetch a producer id: those batches would only wait for
  // delivery.timeout.ms.
  bool busy = false;
  for (const auto& [node_key, n] : pool_.nodes())
    if (n.state != NodeState::disconnected && pool_.is_current(node_key)) busy = true;
  std::string auth_detail;
  const std::error_code auth_error = pool_.authentication_error(&auth_detail);
  if (auth_error && !busy) {
    const bool can_send = state_.ready_to_send(now_ms);
    failed += accumulator_.fail_queued(
        [this, can_send](const TopicPartition& tp) { return !can_send || !metadata_.leader_of(tp); }, auth_error,
        auth_detail, on_failed);
  }
  if (failed == 0) return;
  // Once per refusal at warning (the connection already logged why), then
  // in debug: a producer that keeps sending must not flood the log.
  const bool first = auth_failed_batches_ == 0;
  auth_failed_batches_ += failed;
  if (first || debug_enabled())
    log(first ? LogLevel::warning : LogLevel::debug,
        "failing " + std::to_string(failed) + " queued batch(es) with authentication_failed: " +
            (auth_detail.empty() ? std::string("a broker refused our credentials") : auth_detail));
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

void Sender::note_connect_failure(NodeId id, std::error_code ec, const std::string& detail) {
  const BrokerEndpoint* endpoint = metadata_.endpoint(id);
  // The caller's detail (a refused authentication), else the connection's
  // own explanation when it has one (e.g. the setup phase that timed out),
  // else the error's message.
  const std::string why = detail.empty() ? transport_.connection_error_detail(id.value()) : detail;
  const std::string line =
      why.empty() ? (endpoint ? endpoint->address() : "node " + to_string(id)) + ": " + ec.message() : why;
  unreachable_[id] = line;
  // No connection up: that is why metadata (and a send() waiting for it)
  // does not arrive. Name every address that failed, with its reason.
  bool any_ready = false;
  for (const auto& [node_key, n] : pool_.nodes()) any_ready = any_ready || n.state == NodeState::ready;
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
    auto failed = [&](NodeId node_id) {
      return std::find(check.failed_nodes.begin(), check.failed_nodes.end(), node_id) != check.failed_nodes.end();
    };
    for (const BrokerEndpoint& b : metadata_.bootstrap())
      if (!failed(NodeId{b.node_id})) return false;
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
