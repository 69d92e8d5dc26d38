// The transactional producer end to end on the sender: a real Sender,
// RecordAccumulator and MetadataCache, the TransactionalProducerState with
// its TransactionManager, and a scripted transport answering FindCoordinator,
// InitProducerId, AddPartitionsToTxn, Produce and EndTxn with real encoded
// responses. Covers both transaction protocols (KIP-890).
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "../../../producer/src/transactional_state.hpp"
#include "sender.hpp"
#include "kwire/protocol/add_partitions_to_txn.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/end_txn.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "support/fake_transport.hpp"

using namespace kwire::producer;
using kwire::client_errc;
using kwire::errc;
using kwire::protocol::ApiKey;
using kwire::test::batches_of;
using kwire::test::FakeTransport;
using kwire::test::metadata_response;
using kwire::test::produce_response;
namespace protocol = kwire::protocol;

namespace {

constexpr std::int64_t kProducerId = 4242;

ProducerConfig make_config() {
  return ProducerConfig::from_properties({
      {"bootstrap.servers", "seed1:9092"},
      {"transactional.id", "orders-tx"},
      {"linger.ms", "0"},
      {"retry.backoff.ms", "100"},
      {"retry.backoff.max.ms", "100"},
      {"reconnect.backoff.ms", "50"},
      {"reconnect.backoff.max.ms", "50"},
  });
}

AccumulatorConfig accumulator_config(const ProducerConfig& config) {
  AccumulatorConfig c = AccumulatorConfig::from(config);
  c.jitter_seed = 1;
  return c;
}

MetadataCache::Options metadata_options(const ProducerConfig& config) {
  auto o = MetadataCache::Options::from(config);
  o.jitter_seed = 1;
  return o;
}

struct Harness {
  /// `transaction_version`: the cluster's finalized transaction.version.
  explicit Harness(std::int16_t transaction_version)
      : config(make_config()),
        accumulator(accumulator_config(config)),
        metadata(metadata_options(config), config.bootstrap_addresses()),
        state(config, {}),
        sender(config, accumulator, metadata, net, state, hooks()) {
    sender.enable_transactions(state);
    net.other_versions = {{ApiKey::find_coordinator, 4},   {ApiKey::init_producer_id, 5},
                          {ApiKey::add_partitions_to_txn, 5}, {ApiKey::add_offsets_to_txn, 4},
                          {ApiKey::txn_offset_commit, 5}, {ApiKey::end_txn, 5}};
    protocol::ApiVersionsResponse versions;
    versions.finalized_features_epoch = 3;
    if (transaction_version > 0)
      versions.finalized_features.push_back({"transaction.version", transaction_version, 0, {}});
    for (std::int32_t node : {-1, 1, 2}) net.versions[node] = versions;
  }

  SenderHooks hooks() {
    SenderHooks h;
    h.clock = [this] { return now; };
    h.wake = [] {};
    return h;
  }

  void run() { sender.run_once(now); }
  TransactionManager& manager() { return state.manager(); }

  void append(int tag, const TopicPartition& tp, std::string_view value) {
    DeliveryCallback cb = [this, tag](const DeliveryReport& r) { reports[tag].push_back(r); };
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(value.data()), value.size());
    REQUIRE(accumulator.append(tp, 1700000000000 + now, std::nullopt, bytes, std::span<const HeaderView>(), cb, now)
                .ok());
  }

  /// Bootstrap connection and metadata: topic "t", partitions 0 and 1 led by
  /// brokers 1 and 2.
  void setup() {
    sender.add_topic("t", now);
    run();
    net.accept(-1);
    run();
    net.reply(net.only_pending(ApiKey::metadata, -1), metadata_response(2, "t", {{1, 0}, {2, 0}}));
    run();
  }

  /// init_transactions(): FindCoordinator (answered: broker 2), a connection
  /// to it, InitProducerId with the transactional id (answered: `epoch`).
  TransactionResultPtr init(std::int16_t epoch) {
    TransactionResultPtr result = manager().init_transactions(now);
    run();
    auto& find = net.only_pending(ApiKey::find_coordinator);
    const auto request = find.decode<protocol::FindCoordinatorRequest>();
    CHECK(request.key_type == 1);  // transaction coordinator
    REQUIRE(request.coordinator_keys == std::vector<std::string>{"orders-tx"});
    protocol::FindCoordinatorResponse found;
    found.coordinators.push_back({"orders-tx", 2, "broker2", 9092, errc::none, std::nullopt, {}});
    net.reply(find, found);
    run();
    if (net.pending_connect(2)) {
      net.accept(2);
      run();
    }
    auto& init = net.only_pending(ApiKey::init_producer_id, 2);
    const auto init_request = init.decode<protocol::InitProducerIdRequest>();
    CHECK(init_request.transactional_id == std::optional<std::string>("orders-tx"));
    CHECK(init_request.transaction_timeout_ms == 60000);
    protocol::InitProducerIdResponse granted;
    granted.producer_id = kProducerId;
    granted.producer_epoch = epoch;
    net.reply(init, granted);
    run();
    result->acknowledge();  // the caller saw it (as the Producer's facade does)
    return result;
  }

  /// The epoch bump after a transaction (KIP-360, or the TV1 -> TV2
  /// upgrade): InitProducerId with the current id and epoch `from` to the
  /// coordinator, answered with epoch `to`.
  void bump_epoch(std::int16_t from, std::int16_t to) {
    auto& bump = net.only_pending(ApiKey::init_producer_id, 2);
    const auto request = bump.decode<protocol::InitProducerIdRequest>();
    CHECK(request.producer_id == kProducerId);
    CHECK(request.producer_epoch == from);
    protocol::InitProducerIdResponse bumped;
    bumped.producer_id = kProducerId;
    bumped.producer_epoch = to;
    net.reply(bump, bumped);
    run();
  }

  /// Connects to `node` if the sender asked to.
  void accept_if_asked(std::int32_t node) {
    if (net.pending_connect(node)) {
      net.accept(node);
      run();
    }
  }

  std::map<int, std::vector<DeliveryReport>> reports;
  std::int64_t now = 1000;
  ProducerConfig config;
  RecordAccumulator accumulator;
  MetadataCache metadata;
  FakeTransport net;
  TransactionalProducerState state;
  Sender sender;
};

/// AddPartitionsToTxn's answer: t/0 joined.
protocol::AddPartitionsToTxnResponse t0_added() {
  protocol::AddPartitionsToTxnResponse added;
  auto& topic = added.results_by_topic_v3_and_below.emplace_back();
  topic.name = "t";
  topic.partitions.push_back({0, errc::none, {}});
  return added;
}

}  // namespace

TEST_CASE("TV1: AddPartitionsToTxn before the first batch, Produce v11 with the transactional id, EndTxn v4 commit") {
  Harness h(1);
  h.setup();
  TransactionResultPtr init = h.init(3);
  REQUIRE(init->done());
  CHECK_FALSE(init->error());
  CHECK(h.manager().state() == TransactionState::ready);
  CHECK_FALSE(h.manager().transaction_v2());

  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(1, {"t", 0}, "a");
  h.run();
  h.accept_if_asked(1);
  // The partition joins the transaction first: no Produce yet.
  CHECK(h.net.pending(ApiKey::produce).empty());
  auto& add = h.net.only_pending(ApiKey::add_partitions_to_txn, 2);
  CHECK(add.version == 3);  // v4+ are broker-to-broker
  const auto add_request = add.decode<protocol::AddPartitionsToTxnRequest>();
  CHECK(add_request.v3_and_below_transactional_id == "orders-tx");
  CHECK(add_request.v3_and_below_producer_id == kProducerId);
  CHECK(add_request.v3_and_below_producer_epoch == 3);
  REQUIRE(add_request.v3_and_below_topics.size() == 1);
  CHECK(add_request.v3_and_below_topics[0].partitions == std::vector<std::int32_t>{0});
  const protocol::AddPartitionsToTxnResponse added = t0_added();
  h.net.reply(add, added);
  h.run();

  auto& produce = h.net.only_pending(ApiKey::produce, 1);
  CHECK(produce.version == 11);  // TV1: capped below the implicit-add version
  const auto request = produce.decode<protocol::ProduceRequest>();
  CHECK(request.transactional_id == std::optional<std::string>("orders-tx"));
  const auto batches = batches_of(request);
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].is_transactional());
  CHECK(batches[0].producer_id == kProducerId);
  CHECK(batches[0].producer_epoch == 3);
  CHECK(batches[0].base_sequence == 0);

  // The commit waits for the batch in flight.
  TransactionResultPtr commit = h.manager().commit_transaction(h.now);
  h.run();
  CHECK(h.net.pending(ApiKey::end_txn).empty());
  h.net.reply(produce, produce_response(request, produce.version, errc::none, 10));
  h.run();
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].ok());
  auto& end = h.net.only_pending(ApiKey::end_txn, 2);
  CHECK(end.version == 4);
  const auto end_request = end.decode<protocol::EndTxnRequest>();
  CHECK(end_request.committed);
  CHECK(end_request.producer_epoch == 3);
  h.net.reply(end, protocol::EndTxnResponse{});
  h.run();
  REQUIRE(commit->done());
  CHECK_FALSE(commit->error());
  commit->acknowledge();
  CHECK(h.manager().state() == TransactionState::ready);

  // TV1 keeps the epoch; the next transaction's batch continues the sequence.
  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(2, {"t", 0}, "b");
  h.run();
  auto& add2 = h.net.only_pending(ApiKey::add_partitions_to_txn, 2);
  h.net.reply(add2, added);
  h.run();
  const auto second = batches_of(h.net.only_pending(ApiKey::produce, 1).decode<protocol::ProduceRequest>());
  REQUIRE(second.size() == 1);
  CHECK(second[0].producer_epoch == 3);
  CHECK(second[0].base_sequence == 1);
}

TEST_CASE("TV2: no AddPartitionsToTxn, Produce v12+, EndTxn v5's new epoch restarts the sequences") {
  Harness h(2);
  h.setup();
  REQUIRE(h.init(5)->done());
  CHECK(h.manager().transaction_v2());

  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(1, {"t", 1}, "a");
  h.run();
  h.accept_if_asked(2);
  CHECK(h.net.pending(ApiKey::add_partitions_to_txn).empty());
  auto& produce = h.net.only_pending(ApiKey::produce, 2);
  CHECK(produce.version >= 12);
  const auto request = produce.decode<protocol::ProduceRequest>();
  CHECK(request.transactional_id == std::optional<std::string>("orders-tx"));
  const auto batches = batches_of(request);
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].is_transactional());
  CHECK(batches[0].producer_epoch == 5);
  CHECK(batches[0].base_sequence == 0);
  h.net.reply(produce, produce_response(request, produce.version));

  TransactionResultPtr commit = h.manager().commit_transaction(h.now);
  h.run();
  auto& end = h.net.only_pending(ApiKey::end_txn, 2);
  CHECK(end.version == 5);
  protocol::EndTxnResponse bumped;
  bumped.producer_id = kProducerId;
  bumped.producer_epoch = 6;
  h.net.reply(end, bumped);
  h.run();
  REQUIRE(commit->done());
  CHECK_FALSE(commit->error());
  CHECK(h.manager().producer_id_and_epoch().epoch == kwire::ProducerEpoch{6});
  commit->acknowledge();

  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(2, {"t", 1}, "b");
  h.run();
  const auto next = batches_of(h.net.only_pending(ApiKey::produce, 2).decode<protocol::ProduceRequest>());
  REQUIRE(next.size() == 1);
  CHECK(next[0].producer_epoch == 6);
  CHECK(next[0].base_sequence == 0);  // every sequence restarts with the new epoch
}

TEST_CASE("a failed batch makes the transaction abortable; abort fails queued records and the TV1 epoch is bumped") {
  Harness h(1);
  h.setup();
  REQUIRE(h.init(3)->done());
  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(1, {"t", 0}, "a");
  h.run();
  h.accept_if_asked(1);
  auto& add = h.net.only_pending(ApiKey::add_partitions_to_txn, 2);
  const protocol::AddPartitionsToTxnResponse added = t0_added();
  h.net.reply(add, added);
  h.run();
  auto& produce = h.net.only_pending(ApiKey::produce, 1);
  const auto request = produce.decode<protocol::ProduceRequest>();
  // KIP-588: the coordinator aborted the transaction (timeout) and bumped
  // the epoch. Abortable, not fatal.
  h.net.reply(produce, produce_response(request, produce.version, errc::invalid_producer_epoch));
  h.run();
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].error == errc::invalid_producer_epoch);
  CHECK(h.manager().state() == TransactionState::abortable_error);
  CHECK_FALSE(h.state.fatal_error());

  // A record appended now never leaves: it fails with the abortable error.
  h.append(2, {"t", 0}, "b");
  h.run();
  REQUIRE(h.reports[2].size() == 1);
  CHECK(h.reports[2][0].error == errc::invalid_producer_epoch);
  CHECK(h.net.pending(ApiKey::produce).empty());

  // Commit is refused with that error; abort sends EndTxn(abort), then
  // InitProducerId with the current id and epoch bumps it (KIP-360).
  TransactionResultPtr commit = h.manager().commit_transaction(h.now);
  REQUIRE(commit->done());
  CHECK(commit->error() == errc::invalid_producer_epoch);
  commit->acknowledge();
  TransactionResultPtr abort = h.manager().abort_transaction(h.now);
  h.run();
  auto& end = h.net.only_pending(ApiKey::end_txn, 2);
  CHECK_FALSE(end.decode<protocol::EndTxnRequest>().committed);
  h.net.reply(end, protocol::EndTxnResponse{});
  h.run();
  h.bump_epoch(3, 4);
  REQUIRE(abort->done());
  CHECK_FALSE(abort->error());
  abort->acknowledge();
  CHECK(h.manager().state() == TransactionState::ready);

  // The next transaction goes out under the new epoch from sequence 0.
  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(3, {"t", 0}, "c");
  h.run();
  h.net.reply(h.net.only_pending(ApiKey::add_partitions_to_txn, 2), added);
  h.run();
  const auto next = batches_of(h.net.only_pending(ApiKey::produce, 1).decode<protocol::ProduceRequest>());
  REQUIRE(next.size() == 1);
  CHECK(next[0].producer_epoch == 4);
  CHECK(next[0].base_sequence == 0);
}

TEST_CASE("PRODUCER_FENCED on EndTxn: the producer is fatal and every queued record fails") {
  Harness h(2);
  h.setup();
  REQUIRE(h.init(0)->done());
  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(1, {"t", 1}, "a");
  h.run();
  h.accept_if_asked(2);
  auto& produce = h.net.only_pending(ApiKey::produce, 2);
  h.net.reply(produce, produce_response(produce.decode<protocol::ProduceRequest>(), produce.version));
  TransactionResultPtr commit = h.manager().commit_transaction(h.now);
  h.run();
  auto& end = h.net.only_pending(ApiKey::end_txn, 2);
  protocol::EndTxnResponse fenced;
  fenced.error_code = errc::producer_fenced;
  h.net.reply(end, fenced);
  h.run();
  REQUIRE(commit->done());
  CHECK(commit->error() == errc::producer_fenced);
  CHECK(h.manager().state() == TransactionState::fatal_error);
  CHECK(h.state.fatal_error() == errc::producer_fenced);
  CHECK(h.manager().begin_transaction() == errc::producer_fenced);
}

TEST_CASE("NOT_COORDINATOR on InitProducerId: the coordinator is looked up again and the request resent there") {
  Harness h(1);
  h.setup();
  TransactionResultPtr init = h.manager().init_transactions(h.now);
  h.run();
  auto& find = h.net.only_pending(ApiKey::find_coordinator);
  protocol::FindCoordinatorResponse found;
  found.coordinators.push_back({"orders-tx", 2, "broker2", 9092, errc::none, std::nullopt, {}});
  h.net.reply(find, found);
  h.run();
  h.accept_if_asked(2);
  protocol::InitProducerIdResponse moved;
  moved.error_code = errc::not_coordinator;
  h.net.reply(h.net.only_pending(ApiKey::init_producer_id, 2), moved);
  h.run();
  // The coordinator moved to broker 1.
  h.now += 200;
  h.run();
  auto& again = h.net.only_pending(ApiKey::find_coordinator);
  protocol::FindCoordinatorResponse moved_to;
  moved_to.coordinators.push_back({"orders-tx", 1, "broker1", 9092, errc::none, std::nullopt, {}});
  h.net.reply(again, moved_to);
  h.run();
  h.accept_if_asked(1);
  auto& init_again = h.net.only_pending(ApiKey::init_producer_id, 1);
  protocol::InitProducerIdResponse granted;
  granted.producer_id = kProducerId;
  granted.producer_epoch = 0;
  h.net.reply(init_again, granted);
  h.run();
  REQUIRE(init->done());
  CHECK_FALSE(init->error());
  CHECK(h.sender.describe_transaction_coordinator().find("node 1") != std::string::npos);
}

TEST_CASE("TV1: commit_transaction() before the first batch was drained: the partition joins, then EndTxn") {
  Harness h(1);
  h.setup();
  REQUIRE(h.init(1)->done());
  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(1, {"t", 0}, "a");
  // Committed at once: the sender meets the partition only now.
  TransactionResultPtr commit = h.manager().commit_transaction(h.now);
  h.run();
  h.accept_if_asked(1);
  CHECK(h.net.pending(ApiKey::end_txn).empty());
  auto& add = h.net.only_pending(ApiKey::add_partitions_to_txn, 2);
  const protocol::AddPartitionsToTxnResponse added = t0_added();
  h.net.reply(add, added);
  h.run();
  auto& produce = h.net.only_pending(ApiKey::produce, 1);
  CHECK(h.net.pending(ApiKey::end_txn).empty());  // EndTxn waits for the batch
  h.net.reply(produce, produce_response(produce.decode<protocol::ProduceRequest>(), produce.version));
  h.run();
  auto& end = h.net.only_pending(ApiKey::end_txn, 2);
  CHECK(end.decode<protocol::EndTxnRequest>().committed);
  h.net.reply(end, protocol::EndTxnResponse{});
  h.run();
  REQUIRE(commit->done());
  CHECK_FALSE(commit->error());
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].ok());
}

TEST_CASE("TV1 -> TV2 upgrade while running: features re-read, noticed at the commit, epoch bumped, then TV2") {
  Harness h(1);
  // The metadata refreshes that come due as the clock jumps.
  auto answer_metadata = [&h] {
    for (auto* m : h.net.pending(ApiKey::metadata)) h.net.reply(*m, metadata_response(2, "t", {{1, 0}, {2, 0}}));
    h.run();
  };
  h.net.other_versions[ApiKey::api_versions] = 4;
  h.setup();
  REQUIRE(h.init(3)->done());
  CHECK_FALSE(h.manager().transaction_v2());
  // The handshakes have just read the features: no ApiVersions yet.
  h.run();
  CHECK(h.net.pending(ApiKey::api_versions).empty());
  // One metadata.max.age.ms later the sender asks a connected broker again;
  // the cluster has been upgraded meanwhile (a newer features epoch).
  h.now += h.config.metadata_max_age_ms;
  h.run();
  auto& versions = h.net.only_pending(ApiKey::api_versions);
  CHECK(versions.version >= 3);  // the first version with finalized features
  protocol::ApiVersionsResponse upgraded;
  upgraded.finalized_features_epoch = 4;
  upgraded.finalized_features.push_back({"transaction.version", 2, 0, {}});
  h.net.reply(versions, upgraded);
  h.run();
  answer_metadata();
  // Not in the middle of anything: the version changes at a boundary only.
  CHECK_FALSE(h.manager().transaction_v2());

  // This transaction still runs TV1 (AddPartitionsToTxn, Produce v11, EndTxn v4)...
  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(1, {"t", 0}, "a");
  h.run();
  answer_metadata();
  h.accept_if_asked(1);
  auto& add = h.net.only_pending(ApiKey::add_partitions_to_txn, 2);
  const protocol::AddPartitionsToTxnResponse added = t0_added();
  h.net.reply(add, added);
  h.run();
  auto& produce = h.net.only_pending(ApiKey::produce, 1);
  CHECK(produce.version == 11);
  const auto request = produce.decode<protocol::ProduceRequest>();
  h.net.reply(produce, produce_response(request, produce.version, errc::none, 10));
  TransactionResultPtr commit = h.manager().commit_transaction(h.now);
  h.run();
  auto& end = h.net.only_pending(ApiKey::end_txn, 2);
  CHECK(end.version == 4);
  h.net.reply(end, protocol::EndTxnResponse{});
  h.run();
  // ...and ends with InitProducerId(current id, epoch): the first TV2
  // transaction starts on a fresh epoch (Java's clientSideEpochBumpRequired).
  CHECK_FALSE(commit->done());
  h.bump_epoch(3, 4);
  REQUIRE(commit->done());
  CHECK_FALSE(commit->error());
  commit->acknowledge();
  CHECK(h.manager().transaction_v2());

  // TV2 now: no AddPartitionsToTxn, Produce v12+ on the new epoch from 0.
  REQUIRE_FALSE(h.manager().begin_transaction());
  h.append(2, {"t", 0}, "b");
  h.run();
  CHECK(h.net.pending(ApiKey::add_partitions_to_txn).empty());
  auto& next = h.net.only_pending(ApiKey::produce, 1);
  CHECK(next.version >= 12);
  const auto batches = batches_of(next.decode<protocol::ProduceRequest>());
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].producer_epoch == 4);
  CHECK(batches[0].base_sequence == 0);
  // And no more feature refreshes on TV2.
  h.now += 2 * h.config.metadata_max_age_ms;
  h.run();
  CHECK(h.net.pending(ApiKey::api_versions).empty());
}
