// The conformance suite's hand-driven transactions (KIP-98, KIP-890), shared
// by the "consume", "group" and "transactions" groups: coordinator lookup, a
// transactional producer's requests one by one, and reading a range of the
// partition with either isolation level.
#include <algorithm>
#include <thread>

#include <kwire/protocol/add_partitions_to_txn.hpp>
#include <kwire/protocol/end_txn.hpp>
#include <kwire/protocol/find_coordinator.hpp>

#include "broker_session.hpp"
#include "conformance_suite.hpp"

namespace kwire::cli::conformance {

using protocol::ApiKey;

bool coordinator_busy(kwire::errc e) {
  return e == kwire::errc::concurrent_transactions || e == kwire::errc::coordinator_load_in_progress ||
         e == kwire::errc::coordinator_not_available || e == kwire::errc::not_coordinator ||
         e == kwire::errc::not_enough_replicas;
}

std::string retry_busy(std::chrono::steady_clock::time_point deadline, kwire::errc& error,
                       const std::function<std::string()>& attempt) {
  while (true) {
    error = kwire::errc::none;
    std::string why = attempt();
    if (!coordinator_busy(error) || std::chrono::steady_clock::now() > deadline) return why;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

namespace {

std::string errc_text(kwire::errc e) { return error_name(make_error_code(e)); }

}  // namespace

namespace {

/// One key's coordinator, as FindCoordinator answered for it.
struct Coordinator {
  kwire::errc error = kwire::errc::none;
  std::string host;
  std::int32_t port = -1;
};

/// FindCoordinator at the best version both sides speak: one key, in the
/// v0-3 fields or as a one-key batch (v4+, KIP-699).
std::string find_coordinator(net::BlockingClient& client, const std::string& key, std::int8_t key_type,
                             Coordinator& out) {
  using Request = protocol::FindCoordinatorRequest;
  using Response = protocol::FindCoordinatorResponse;
  const auto version =
      net::request_version<Request, Response>(client.connection().negotiated_version(ApiKey::find_coordinator));
  if (!version) return "FindCoordinator: no version both sides speak";
  // The codec refuses a field the chosen version cannot carry: the key goes
  // in exactly one of the two places.
  Request request;
  request.key_type = key_type;
  if (*version < Request::first_batched_version)
    request.key = key;
  else
    request.coordinator_keys = {key};
  Response response;
  std::int16_t used = -1;
  if (auto ec = client.request(request, response, used, *version)) return "FindCoordinator: " + error_name(ec);
  if (used < protocol::FindCoordinatorRequest::first_batched_version) {
    out = {response.error_code, response.host, response.port};
    return {};
  }
  for (const auto& c : response.coordinators)
    if (c.key == key) {
      out = {c.error_code, c.host, c.port};
      return {};
    }
  return "FindCoordinator v" + std::to_string(used) + " answered without the key " + key;
}

}  // namespace

net::BlockingClient* Suite::coordinator(const std::string& key, std::int8_t key_type, std::string& why) {
  if (!advertises(ApiKey::find_coordinator, protocol::FindCoordinatorRequest::first_key_type_version)) {
    why = advertised_text(ApiKey::find_coordinator) + " (transaction coordinators need v1+)";
    return nullptr;
  }
  // The first lookup of a key type makes the broker create its internal
  // topic (__transaction_state, __consumer_offsets): not available a while.
  const auto deadline = std::chrono::steady_clock::now() + options_.cell_timeout;
  Coordinator found;
  while (true) {
    if (why = find_coordinator(bootstrap(), key, key_type, found); !why.empty()) return nullptr;
    if (found.error == kwire::errc::none) break;
    if (!coordinator_busy(found.error) || std::chrono::steady_clock::now() > deadline) {
      why = "FindCoordinator " + key + ": " + errc_text(found.error);
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const std::string address = found.host + ":" + std::to_string(found.port);
  auto it = coordinators_.find(address);
  if (it != coordinators_.end() && it->second.connection().is_open()) return &it->second;
  auto config = config_;  // the suite's client settings, pointed at the coordinator
  config.bootstrap_servers = {address};
  auto client = make_client(config);
  if (auto ec = client.connect()) {
    why = "coordinator " + address + ": " + error_name(ec);
    return nullptr;
  }
  coordinators_.erase(address);
  return &coordinators_.emplace(address, std::move(client)).first->second;
}

std::string Suite::retry_at_coordinator(const std::string& key, std::int8_t key_type, kwire::errc& error,
                                        const std::function<std::string(net::BlockingClient&)>& attempt) {
  return retry_busy(std::chrono::steady_clock::now() + options_.cell_timeout, error, [&]() -> std::string {
    std::string why;
    net::BlockingClient* client = coordinator(key, key_type, why);
    return client ? attempt(*client) : why;
  });
}

std::int16_t Suite::transaction_version() const {
  if (versions_.finalized_features_epoch < 0) return 0;
  for (const auto& f : versions_.finalized_features)
    if (f.name == "transaction.version") return f.max_version_level;
  return 0;
}

namespace {

/// A new producer id and epoch: every sequence starts again at 0.
void adopt(TxnProducer& p, std::int64_t id, std::int16_t epoch) {
  p.id = id;
  p.epoch = epoch;
  p.sequence = 0;
}

}  // namespace

std::string Suite::txn_init(TxnProducer& p, std::int16_t max_version, kwire::errc* refused, std::int16_t* used) {
  kwire::errc error = kwire::errc::none;
  std::int16_t version = -1;
  const std::string why =
      retry_at_coordinator(p.transactional_id, 1, error, [&](net::BlockingClient& client) -> std::string {
        protocol::InitProducerIdRequest request;
        request.transactional_id = p.transactional_id;
        request.transaction_timeout_ms = 60000;
        protocol::InitProducerIdResponse response;
        if (auto ec = client.request(request, response, version, max_version))
          return "InitProducerId v" + std::to_string(version) + ": " + error_name(ec);
        error = response.error_code;
        if (error != kwire::errc::none) return "InitProducerId v" + std::to_string(version) + ": " + errc_text(error);
        adopt(p, response.producer_id, response.producer_epoch);
        return {};
      });
  if (refused) *refused = error;
  if (used) *used = version;
  return why;
}

std::string Suite::txn_add_partition(const TxnProducer& p, std::int16_t version, kwire::errc* refused) {
  kwire::errc error = kwire::errc::none;
  const std::string why =
      retry_at_coordinator(p.transactional_id, 1, error, [&](net::BlockingClient& client) -> std::string {
        protocol::AddPartitionsToTxnRequest request;
        request.v3_and_below_transactional_id = p.transactional_id;
        request.v3_and_below_producer_id = p.id;
        request.v3_and_below_producer_epoch = p.epoch;
        request.v3_and_below_topics = {{topic_, {partition_}, {}}};
        protocol::AddPartitionsToTxnResponse response;
        std::int16_t used = -1;
        if (auto ec = client.request(request, response, used, version))
          return "AddPartitionsToTxn v" + std::to_string(used) + ": " + error_name(ec);
        if (used != version) return wrong_version("AddPartitionsToTxn", version, used);
        if (response.error_code != kwire::errc::none) error = response.error_code;
        for (const auto& t : response.results_by_topic_v3_and_below)
          for (const auto& r : t.partitions)
            if (r.error_code != kwire::errc::none) error = r.error_code;
        if (error != kwire::errc::none) return "AddPartitionsToTxn v" + std::to_string(used) + ": " + errc_text(error);
        return {};
      });
  if (refused) *refused = error;
  return why;
}

std::string Suite::txn_produce(TxnProducer& p, const std::vector<TestRecord>& records, std::int16_t max_version,
                               std::int64_t& base, kwire::errc* refused) {
  protocol::BatchSealParams seal;
  seal.producer_id = p.id;
  seal.producer_epoch = p.epoch;
  seal.base_sequence = p.sequence;
  seal.is_transactional = true;
  const auto batch = build_batch(records, now_ms(), seal);
  kwire::errc error = kwire::errc::none;
  std::string why = retry_busy(std::chrono::steady_clock::now() + options_.cell_timeout, error, [&]() -> std::string {
    protocol::ProduceRequest request;
    request.transactional_id = p.transactional_id;
    request.acks = -1;
    request.timeout_ms = config_.request_timeout_ms;
    protocol::ProduceRequest::TopicData t;
    t.name = topic_;
    t.topic_id = reader_->location().topic_id;
    protocol::ProduceRequest::PartitionData pd;
    pd.index = partition_;
    pd.records = batch;
    t.partition_data.push_back(std::move(pd));
    request.topic_data.push_back(std::move(t));
    std::int16_t cap = max_version;
    if (reader_->location().topic_id.is_zero()) cap = std::min<std::int16_t>(cap, 12);
    protocol::ProduceResponse response;
    std::int16_t used = -1;
    if (auto ec = leader().request(request, response, used, cap))
      return "Produce v" + std::to_string(used) + ": " + error_name(ec);
    for (const auto& rt : response.responses)
      for (const auto& rp : rt.partition_responses)
        if (rp.index == partition_) {
          error = rp.error_code;
          if (error != kwire::errc::none) return "transactional Produce v" + std::to_string(used) + ": " + errc_text(error);
          base = rp.base_offset;
          return {};
        }
    return "Produce v" + std::to_string(used) + " response lacks the partition";
  });
  if (why.empty()) p.sequence += static_cast<std::int32_t>(records.size());
  if (refused) *refused = error;
  return why;
}

std::string Suite::txn_end(TxnProducer& p, bool commit, std::int16_t max_version, kwire::errc* refused,
                           std::int16_t* used) {
  kwire::errc error = kwire::errc::none;
  std::int16_t version = -1;
  const std::string why =
      retry_at_coordinator(p.transactional_id, 1, error, [&](net::BlockingClient& client) -> std::string {
        protocol::EndTxnRequest request{p.transactional_id, p.id, p.epoch, commit, {}};
        protocol::EndTxnResponse response;
        if (auto ec = client.request(request, response, version, max_version))
          return "EndTxn v" + std::to_string(version) + ": " + error_name(ec);
        error = response.error_code;
        if (error != kwire::errc::none)
          return "EndTxn v" + std::to_string(version) + (commit ? " commit: " : " abort: ") + errc_text(error);
        if (response.producer_id >= 0 && response.producer_epoch >= 0)
          adopt(p, response.producer_id, response.producer_epoch);
        return {};
      });
  if (refused) *refused = error;
  if (used) *used = version;
  return why;
}

std::string Suite::txn_write(TxnProducer& p, const std::vector<TestRecord>& records, bool commit, std::int64_t& base) {
  // TV1 shapes (KIP-890's gating): AddPartitionsToTxn <= v3, Produce <= v11,
  // EndTxn <= v4, which every cluster serves whatever its transaction.version.
  auto add_range = advertised(ApiKey::add_partitions_to_txn);
  if (!add_range) return advertised_text(ApiKey::add_partitions_to_txn);
  const auto add_version = std::min<std::int16_t>(add_range->second, 3);
  if (auto why = txn_add_partition(p, add_version); !why.empty()) return why;
  if (auto why = txn_produce(p, records, 11, base); !why.empty()) return why;
  return txn_end(p, commit, 4);
}

PartitionReader& Suite::committed_reader() {
  if (!committed_reader_) {
    committed_reader_ = std::make_unique<PartitionReader>(config_, topic_, partition_);
    committed_reader_->set_isolation_level(protocol::IsolationLevel::read_committed);
  }
  return *committed_reader_;
}

std::string Suite::fetch_all(std::int64_t from, std::int64_t to, protocol::IsolationLevel isolation,
                             std::int16_t version, std::vector<protocol::RecordBatch>& batches,
                             std::vector<protocol::FetchResponse::AbortedTransaction>* aborted, FetchRound* last) {
  PartitionReader* reader =
      isolation == protocol::IsolationLevel::read_committed ? &committed_reader() : reader_.get();
  const auto deadline = std::chrono::steady_clock::now() + options_.cell_timeout;
  std::int64_t offset = from;
  std::string why;
  while (offset < to) {
    FetchRound round;
    if (reader->fetch(offset, round, &why, version, std::chrono::milliseconds(100))) return why;
    if (round.version != version) return wrong_version("Fetch", version, round.version);
    if (aborted)
      for (const auto& a : round.aborted_transactions)
        if (std::none_of(aborted->begin(), aborted->end(),
                         [&](const auto& x) { return x.producer_id == a.producer_id && x.first_offset == a.first_offset; }))
          aborted->push_back(a);
    for (auto& b : round.batches)
      if (b.base_offset + b.last_offset_delta >= offset && b.base_offset < to) batches.push_back(std::move(b));
    if (last) *last = round;
    // read_committed stops at the LSO: nothing past it comes back.
    const std::int64_t limit =
        isolation == protocol::IsolationLevel::read_committed ? std::min(to, round.last_stable_offset) : to;
    if (round.next_offset >= limit) return {};
    if (std::chrono::steady_clock::now() > deadline)
      return "Fetch v" + std::to_string(version) + " stayed at offset " + std::to_string(round.next_offset) +
             ", wanted up to " + std::to_string(to);
    offset = std::max(offset, round.next_offset);
  }
  return {};
}

}  // namespace kwire::cli::conformance
