// The sender's transaction channel: runs the TransactionManager's
// coordinator requests on the sender's connections (see
// sender_transactions.hpp and transaction_manager.hpp). Kept apart from the
// produce path: the sender calls run_transactions() once per round and asks
// produce_version_for() when it builds a Produce request.
#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

#include "sender.hpp"
#include "kwire/net/version_negotiation.hpp"
#include "kwire/net/connection.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"
#include "sender_transactions.hpp"

namespace kwire::producer {
namespace {

using protocol::ApiKey;

/// Produce v12 makes the partition leader add the partition to the
/// transaction (KIP-890 TV2); a TV1 producer must stay below it, since the
/// broker picks the protocol from the request version.
constexpr std::int16_t kLastProduceVersionBeforeTransactionV2 = 11;

ApiKey api_of(const TransactionRequestBody& body) {
  return std::visit(
      [](const auto& b) -> ApiKey {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, CoordinatorLookup>)
          return ApiKey::find_coordinator;
        else
          return T::api_key;
      },
      body);
}

cluster::CoordinatorKey key_of(const TransactionRequest& request) {
  return {request.destination == CoordinatorType::transaction ? protocol::CoordinatorType::transaction
                                                              : protocol::CoordinatorType::group,
          request.coordinator_key};
}

/// Decodes `body` as the response to `request` at `version`.
std::error_code decode_response(const TransactionRequestBody& request, std::span<const std::uint8_t> body,
                                std::int16_t version, TransactionResponseBody& out) {
  return std::visit(
      [&](const auto& b) -> std::error_code {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, CoordinatorLookup>) {
          return make_error_code(client_errc::malformed);
        } else {
          using Response = std::conditional_t<
              std::is_same_v<T, protocol::InitProducerIdRequest>, protocol::InitProducerIdResponse,
              std::conditional_t<
                  std::is_same_v<T, protocol::AddPartitionsToTxnRequest>, protocol::AddPartitionsToTxnResponse,
                  std::conditional_t<std::is_same_v<T, protocol::AddOffsetsToTxnRequest>,
                                     protocol::AddOffsetsToTxnResponse,
                                     std::conditional_t<std::is_same_v<T, protocol::TxnOffsetCommitRequest>,
                                                        protocol::TxnOffsetCommitResponse, protocol::EndTxnResponse>>>>;
          Response response;
          if (std::error_code ec = protocol::decode_message(body, version, response)) return ec;
          out = std::move(response);
          return {};
        }
      },
      request);
}

}  // namespace

void Sender::enable_transactions(TransactionalProducerState& state) {
  cluster::CoordinatorCache::Options options;
  options.retry_backoff_ms = config_.retry_backoff_ms;
  options.retry_backoff_max_ms = config_.retry_backoff_max_ms;
  txn_ = std::make_unique<TransactionChannel>(state, options, config_.metadata_max_age_ms);
}

std::string Sender::describe_transaction_coordinator() const {
  if (!txn_) return "none";
  const cluster::CoordinatorNode* coordinator =
      txn_->coordinators.find({protocol::CoordinatorType::transaction, txn_->state.manager().transactional_id()});
  if (!coordinator) return "not known yet";
  return describe_node(coordinator->node_id);
}

std::int16_t Sender::produce_version_for(std::int16_t negotiated, std::optional<std::string>& transactional_id) const {
  if (!txn_) return negotiated;
  const TransactionManager& manager = txn_->state.manager();
  transactional_id = manager.transactional_id();
  if (manager.transaction_v2()) return negotiated;
  return std::min(negotiated, kLastProduceVersionBeforeTransactionV2);
}

void Sender::run_transactions(std::int64_t now_ms, std::int64_t& next) {
  TransactionChannel& txn = *txn_;
  TransactionManager& manager = txn.state.manager();
  // KIP-584: the cluster's transaction.version, read by the manager at init
  // and at every commit or abort (KIP-890): the connections' handshakes
  // read it, and on TV1 a refresh now and then, so an upgrade is noticed.
  refresh_transaction_features(now_ms, next);
  const std::int16_t level = txn.features.transaction_version(pool_.features().current());
  if (level != txn.transaction_version) {
    txn.transaction_version = level;
    manager.on_finalized_transaction_version(level);
  }

  // Java's abortUndrainedBatches: an abortable or aborted transaction sends
  // nothing more; its queued records fail now (in-flight ones are awaited
  // before EndTxn).
  if (manager.should_abort_undrained_batches() && accumulator_.has_undrained()) {
    const std::error_code cause = manager.state() == TransactionState::aborting_transaction || !manager.last_error()
                                      ? make_error_code(transaction_errc::aborted)
                                      : manager.last_error();
    const std::string detail = "transactional.id " + manager.transactional_id() +
                               ": the transaction is being aborted" +
                               (manager.last_error() ? " (" + manager.last_error_detail() + ")" : std::string());
    const std::size_t failed = accumulator_.fail_queued([](const TopicPartition&) { return true; }, cause, detail,
                                                        [&](const ProducerBatch& b) { txn.state.on_batch_discarded(b); });
    if (failed > 0)
      log(LogLevel::info, LogCategory::idempotence,
          "transactional.id " + manager.transactional_id() + ": failed " + std::to_string(failed) +
              " queued batch(es) of the aborted transaction with " + error_name(cause));
  }

  // The manager's requests, one at a time; lookups go to any broker.
  for (int guard = 0; guard < 8; ++guard)
    if (!dispatch_transaction_request(now_ms, next)) break;
  send_find_coordinator(now_ms, next);

  const std::int64_t wakeup = manager.next_wakeup_ms(now_ms);
  if (wakeup >= 0) next = std::min(next, std::max(wakeup, now_ms));
  const std::int64_t lookup_due = txn.coordinators.next_deadline_ms();
  if (lookup_due != kNoDeadline) next = std::min(next, std::max(lookup_due, now_ms));
  txn.state.sync();
}

void Sender::send_find_coordinator(std::int64_t now_ms, std::int64_t& next) {
  TransactionChannel& txn = *txn_;
  if (txn.lookups_waiting == 0 || txn.find_in_flight) return;
  const std::optional<NodeId> id = pool_.least_loaded_ready();
  if (!id) {
    pool_.connect_to_any(now_ms, next);
    return;
  }
  const std::optional<std::int16_t> max_version = pool_.negotiated_version(key(*id), ApiKey::find_coordinator);
  std::optional<cluster::CoordinatorLookup> lookup = txn.coordinators.next_request(now_ms, max_version.value_or(0));
  if (!lookup) return;
  std::vector<std::uint8_t> body;
  if (std::error_code ec = protocol::encode_message(lookup->request, lookup->version, body)) {
    txn.coordinators.on_request_failed(lookup->id, ec, now_ms);
    return;
  }
  txn.find_in_flight = true;
  if (debug_enabled(LogCategory::idempotence))
    log(LogLevel::debug, LogCategory::idempotence,
        "FindCoordinator v" + std::to_string(lookup->version) + " to " + describe_node(*id));
  // The pool does the bookkeeping (in flight, activity, statistics).
  pool_.send(key(*id), ApiKey::find_coordinator, lookup->version, std::move(body), true,
                  [this, lookup_id = lookup->id, version = lookup->version](std::error_code ec,
                                                                            std::span<const std::uint8_t> response) {
                    if (!txn_) return;
                    txn_->find_in_flight = false;
                    const std::int64_t now = hooks_.clock();
                    protocol::FindCoordinatorResponse decoded;
                    if (!ec) ec = protocol::decode_message(response, version, decoded);
                    if (ec)
                      txn_->coordinators.on_request_failed(lookup_id, ec, now);
                    else
                      txn_->coordinators.on_response(lookup_id, decoded, now);
                    txn_->state.sync();
                    wake();
                  });
}

void Sender::refresh_transaction_features(std::int64_t now_ms, std::int64_t& next) {
  TransactionChannel& txn = *txn_;
  const bool v2 = txn.state.manager().transaction_v2();
  if (txn.features.due(now_ms, v2)) {
    const std::optional<NodeId> id = pool_.least_loaded_ready();
    const std::int16_t version =
        id ? pool_.negotiated_version(key(*id), ApiKey::api_versions).value_or(0) : std::int16_t{0};
    std::vector<std::uint8_t> body;
    const net::ConnectionOptions defaults;
    // Below ApiVersions v3 there are no features to read; without a
    // connection, the next interval.
    if (!id || version < 3 ||
        net::encode_api_versions_request(version, defaults.client_software_name, defaults.client_software_version,
                                         body)) {
      txn.features.on_failed(now_ms);
    } else {
      txn.features.on_sent();
      if (debug_enabled(LogCategory::idempotence))
        log(LogLevel::debug, LogCategory::idempotence,
            "ApiVersions v" + std::to_string(version) + " to " + describe_node(*id) +
                ": re-reading the finalized features (transaction.version)");
      pool_.send(key(*id), ApiKey::api_versions, version, std::move(body), true,
                 [this, version](std::error_code ec, std::span<const std::uint8_t> response) {
                   if (!txn_) return;
                   const std::int64_t now = hooks_.clock();
                   protocol::ApiVersionsResponse decoded;
                   if (!ec) ec = protocol::decode_api_versions_response(response, version, decoded);
                   if (!ec && decoded.error_code != errc::none) ec = make_error_code(decoded.error_code);
                   if (ec)
                     txn_->features.on_failed(now);
                   else
                     txn_->features.on_response(decoded, now);
                   wake();
                 });
    }
  }
  const std::int64_t due = txn.features.next_due_ms(v2);
  if (due >= 0) next = std::min(next, std::max(due, now_ms));
}

bool Sender::dispatch_transaction_request(std::int64_t now_ms, std::int64_t& next) {
  TransactionChannel& txn = *txn_;
  TransactionManager& manager = txn.state.manager();
  if (txn.waiting_sent) return false;
  if (!txn.waiting) {
    txn.waiting = manager.next_request(now_ms, accumulator_.has_incomplete());
    if (!txn.waiting) return false;
    txn.waiting_node = NodeId{};
  }
  TransactionRequest& request = *txn.waiting;

  if (const auto* lookup = std::get_if<CoordinatorLookup>(&request.body)) {
    // A forced lookup (the manager saw NOT_COORDINATOR, a disconnect, or
    // knows no coordinator yet): through the shared cache.
    const cluster::CoordinatorKey key{lookup->type == CoordinatorType::transaction
                                          ? protocol::CoordinatorType::transaction
                                          : protocol::CoordinatorType::group,
                                      lookup->key};
    const std::uint64_t id = request.id;
    txn.waiting.reset();
    txn.coordinators.invalidate(key);
    ++txn.lookups_waiting;
    txn.coordinators.lookup(key, [this, id](const cluster::CoordinatorResult& result) {
      if (!txn_) return;
      --txn_->lookups_waiting;
      const std::int64_t now = hooks_.clock();
      if (result.node) {
        // The coordinator's address, for a node metadata has not listed yet.
        if (!metadata_.endpoint(result.node->node_id)) metadata_.request_update();
        if (debug_enabled(LogCategory::idempotence))
          log(LogLevel::debug, LogCategory::idempotence,
              "coordinator: " + describe_node(result.node->node_id));
      } else {
        log(LogLevel::warning, LogCategory::idempotence,
            "transactional.id " + txn_->state.manager().transactional_id() + ": coordinator lookup failed: " +
                error_name(result.error) + (result.detail.empty() ? std::string() : " (" + result.detail + ")"));
      }
      txn_->state.manager().on_response(id, result.error, std::monostate{}, now);
      txn_->state.sync();
      wake();
    });
    return true;
  }

  const cluster::CoordinatorNode* coordinator = txn.coordinators.find(key_of(request));
  if (!coordinator) {
    // Forgotten meanwhile (its connection dropped): the manager looks it up again.
    const std::uint64_t id = request.id;
    txn.waiting.reset();
    manager.on_response(id, make_error_code(client_errc::disconnected), std::monostate{}, now_ms);
    return true;
  }
  const NodeId id = coordinator->node_id;
  const Node* n = pool_.find(key(id));
  if (txn.waiting_node != id) {
    txn.waiting_node = id;
    txn.connect_failures_seen = n ? n->connection_failures : 0;
  }
  if (!pool_.is_ready(key(id))) {
    if (n && n->connection_failures > txn.connect_failures_seen) {
      // The coordinator cannot be reached: forget it and look it up again.
      const std::uint64_t request_id = request.id;
      txn.waiting.reset();
      txn.coordinators.on_disconnect(id);
      manager.on_coordinator_disconnected(request.destination);
      manager.on_response(request_id, make_error_code(client_errc::disconnected), std::monostate{}, now_ms);
      return true;
    }
    // FindCoordinator named its address: connect there even before
    // Metadata lists the broker.
    net::BrokerEndpoint endpoint{id.value(), coordinator->host, static_cast<std::uint16_t>(coordinator->port), std::nullopt};
    pool_.connect(key(id), now_ms, &endpoint);
    n = pool_.find(key(id));
    if (n && n->state == NodeState::disconnected && n->next_connect_ms > now_ms) next = std::min(next, n->next_connect_ms);
    return false;
  }

  const ApiKey api = api_of(request.body);
  const std::optional<std::int16_t> negotiated = pool_.negotiated_version(key(id), api);
  std::vector<std::uint8_t> body;
  std::error_code ec;
  std::int16_t version = 0;
  if (!negotiated) {
    ec = make_error_code(client_errc::unsupported_version);
  } else {
    version = std::min(*negotiated, request.max_version);
    ec = std::visit(
        [&](const auto& b) -> std::error_code {
          using T = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<T, CoordinatorLookup>)
            return make_error_code(client_errc::malformed);
          else
            return protocol::encode_message(b, version, body);
        },
        request.body);
  }
  const std::uint64_t request_id = request.id;
  if (ec) {
    log(LogLevel::error, LogCategory::idempotence,
        "transactional.id " + manager.transactional_id() + ": cannot send " + std::string(protocol::api_name(api)) + " to " +
            describe_node(id) + ": " + ec.message());
    txn.waiting.reset();
    manager.on_response(request_id, ec, std::monostate{}, now_ms);
    return true;
  }
  if (debug_enabled(LogCategory::idempotence))
    log(LogLevel::debug, LogCategory::idempotence,
        std::string(protocol::api_name(api)) + " v" + std::to_string(version) + " to " + describe_node(id));
  // The request body stays with the channel until its answer is decoded.
  txn.waiting_node = NodeId{};
  txn.waiting_sent = true;
  pool_.send(key(id), api, version, std::move(body), true,
             [this, request_id, id, version](std::error_code error, std::span<const std::uint8_t> response) {
               on_transaction_response(request_id, id, version, error, response);
             });
  return false;  // one request in flight at a time
}

void Sender::on_transaction_response(std::uint64_t request_id, NodeId node_id, std::int16_t version,
                                     std::error_code ec, std::span<const std::uint8_t> body) {
  if (!txn_ || !txn_->waiting || txn_->waiting->id != request_id) return;
  TransactionChannel& txn = *txn_;
  const TransactionRequest request = std::move(*txn.waiting);
  txn.waiting.reset();
  txn.waiting_sent = false;
  TransactionManager& manager = txn.state.manager();
  const std::int64_t now_ms = hooks_.clock();
  TransactionResponseBody response;
  if (!ec) ec = decode_response(request.body, body, version, response);
  if (ec) {
    if (ec != client_errc::shutting_down)
      log(LogLevel::warning, LogCategory::idempotence,
          "transactional.id " + manager.transactional_id() + ": " + std::string(protocol::api_name(api_of(request.body))) +
              " to " + describe_node(node_id) + " failed: " + ec.message());
    if (ec == client_errc::disconnected || ec == client_errc::timed_out) {
      txn.coordinators.on_disconnect(node_id);
      manager.on_coordinator_disconnected(request.destination);
    }
    response = std::monostate{};
  }
  manager.on_response(request_id, ec, response, now_ms);
  txn.state.sync();
  wake();
}

}  // namespace kwire::producer
