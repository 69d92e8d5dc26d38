// The mock's coordinators: FindCoordinator at every version (batched keys
// from v4), move_coordinator and the NOT_COORDINATOR it causes, and faults
// injected per key.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "kwire/mock/cluster.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "raw_client.hpp"

using namespace kwire::mock;
using namespace kwire::mock::test;
using namespace kwire::protocol;
using kwire::errc;

namespace {

constexpr auto kGroup = static_cast<std::int8_t>(CoordinatorType::group);
constexpr auto kTxn = static_cast<std::int8_t>(CoordinatorType::transaction);

ClusterConfig three_brokers() {
  ClusterConfig config;
  config.brokers = 3;
  return config;
}

FindCoordinatorRequest lookup(std::int8_t type, std::vector<std::string> keys, std::int16_t version) {
  FindCoordinatorRequest r;
  if (version >= 1) r.key_type = type;
  if (version >= FindCoordinatorRequest::first_batched_version)
    r.coordinator_keys = std::move(keys);
  else
    r.key = keys.at(0);
  return r;
}

InitProducerIdRequest init_transactional(const std::string& id) {
  InitProducerIdRequest r;
  r.transactional_id = id;
  r.transaction_timeout_ms = 60000;
  return r;
}

}  // namespace

TEST_SUITE("mock_cluster") {

TEST_CASE("FindCoordinator names each key's coordinator at every version, the same broker every time") {
  MockCluster cluster(three_brokers());
  RawClient client(cluster.port(1));
  REQUIRE(client.connected());
  const std::vector<std::string> ids = {"orders", "payments", "audit", "tx-1", "tx-2", "tx-3", "tx-4"};
  std::set<std::int32_t> coordinators_seen;
  for (std::int16_t v = 0; v <= 6; ++v) {
    CAPTURE(v);
    for (std::int8_t type : {kGroup, kTxn}) {
      if (v == 0 && type == kTxn) continue;  // v0 has no key type
      for (const auto& id : ids) {
        CAPTURE(id);
        auto response = client.call<FindCoordinatorResponse>(lookup(type, {id}, v), v);
        REQUIRE(response);
        const std::int32_t expected = cluster.coordinator(type, id);
        if (v >= 4) {
          REQUIRE(response->coordinators.size() == 1);
          const auto& c = response->coordinators[0];
          CHECK(c.key == id);
          CHECK(c.error_code == errc::none);
          CHECK(c.node_id == expected);
          CHECK(c.port == cluster.port(expected));
        } else {
          CHECK(response->error_code == errc::none);
          CHECK(response->node_id == expected);
          CHECK(response->host == "127.0.0.1");
          CHECK(response->port == cluster.port(expected));
        }
        coordinators_seen.insert(expected);
      }
    }
  }
  CHECK(coordinators_seen.size() > 1);  // keys spread over the brokers
}

TEST_CASE("FindCoordinator v4+ answers every key of a batch; a fault hits only the key it names") {
  MockCluster cluster(three_brokers());
  cluster.fail_next(ApiKey::find_coordinator, errc::coordinator_not_available, 1, std::string("tx-b"));
  RawClient client(cluster.port(2));
  auto response = client.call<FindCoordinatorResponse>(lookup(kTxn, {"tx-a", "tx-b", "tx-c"}, 4), 4);
  REQUIRE(response);
  REQUIRE(response->coordinators.size() == 3);
  CHECK(response->coordinators[0].error_code == errc::none);
  CHECK(response->coordinators[1].key == "tx-b");
  CHECK(response->coordinators[1].error_code == errc::coordinator_not_available);
  CHECK(response->coordinators[1].node_id == -1);
  CHECK(response->coordinators[1].error_message.has_value());
  CHECK(response->coordinators[2].error_code == errc::none);

  // The fault was used up: asked again, tx-b has its coordinator.
  response = client.call<FindCoordinatorResponse>(lookup(kTxn, {"tx-b"}, 4), 4);
  REQUIRE(response);
  CHECK(response->coordinators.at(0).error_code == errc::none);
  CHECK(response->coordinators.at(0).node_id == cluster.coordinator(kTxn, "tx-b"));

  // Below v4 the error is top-level; authorization errors come through too.
  cluster.fail_next(ApiKey::find_coordinator, errc::group_authorization_failed, 1);
  auto v3 = client.call<FindCoordinatorResponse>(lookup(kGroup, {"secret"}, 3), 3);
  REQUIRE(v3);
  CHECK(v3->error_code == errc::group_authorization_failed);
  CHECK(v3->node_id == -1);
}

TEST_CASE("FindCoordinator refuses an empty key and an unknown key type") {
  MockCluster cluster;
  RawClient client(cluster.port(1));
  auto empty = client.call<FindCoordinatorResponse>(lookup(kTxn, {""}, 4), 4);
  REQUIRE(empty);
  CHECK(empty->coordinators.at(0).error_code == errc::invalid_request);
  auto share_at_v5 = client.call<FindCoordinatorResponse>(
      lookup(static_cast<std::int8_t>(CoordinatorType::share), {"s"}, 5), 5);
  REQUIRE(share_at_v5);
  CHECK(share_at_v5->coordinators.at(0).error_code == errc::invalid_request);
  auto share_at_v6 = client.call<FindCoordinatorResponse>(
      lookup(static_cast<std::int8_t>(CoordinatorType::share), {"s"}, 6), 6);
  REQUIRE(share_at_v6);
  CHECK(share_at_v6->coordinators.at(0).error_code == errc::none);
  CHECK(share_at_v6->coordinators.at(0).node_id == 1);
}

TEST_CASE("move_coordinator: FindCoordinator names the new broker, the old one answers NOT_COORDINATOR") {
  MockCluster cluster(three_brokers());
  const std::string id = "orders-tx";
  const std::int32_t old_node = cluster.coordinator(kTxn, id);
  const std::int32_t new_node = old_node == 1 ? 2 : 1;

  RawClient old_client(cluster.port(old_node));
  auto first = old_client.call<InitProducerIdResponse>(init_transactional(id), 5);
  REQUIRE(first);
  CHECK(first->error_code == errc::none);
  CHECK(first->producer_epoch == 0);

  // Any other broker is not the coordinator of this id.
  RawClient wrong(cluster.port(new_node));
  auto refused = wrong.call<InitProducerIdResponse>(init_transactional(id), 5);
  REQUIRE(refused);
  CHECK(refused->error_code == errc::not_coordinator);

  cluster.move_coordinator(kTxn, id, new_node);
  CHECK(cluster.coordinator(kTxn, id) == new_node);
  auto found = old_client.call<FindCoordinatorResponse>(lookup(kTxn, {id}, 4), 4);
  REQUIRE(found);
  CHECK(found->coordinators.at(0).node_id == new_node);
  CHECK(found->coordinators.at(0).port == cluster.port(new_node));

  auto stale = old_client.call<InitProducerIdResponse>(init_transactional(id), 5);
  REQUIRE(stale);
  CHECK(stale->error_code == errc::not_coordinator);
  auto moved = wrong.call<InitProducerIdResponse>(init_transactional(id), 5);
  REQUIRE(moved);
  CHECK(moved->error_code == errc::none);
  CHECK(moved->producer_id == first->producer_id);  // the transactional state moved with it
  CHECK(moved->producer_epoch == 1);                 // and the epoch bump fences the old instance

  CHECK_THROWS_AS(cluster.move_coordinator(kTxn, id, 99), std::invalid_argument);
}

TEST_CASE("InitProducerId: a CONCURRENT_TRANSACTIONS burst, then the grant") {
  MockCluster cluster;
  cluster.fail_next(ApiKey::init_producer_id, errc::concurrent_transactions, 3);
  RawClient client(cluster.port(1));
  for (int i = 0; i < 3; ++i) {
    auto busy = client.call<InitProducerIdResponse>(init_transactional("tx"), 5);
    REQUIRE(busy);
    CHECK(busy->error_code == errc::concurrent_transactions);
  }
  auto granted = client.call<InitProducerIdResponse>(init_transactional("tx"), 5);
  REQUIRE(granted);
  CHECK(granted->error_code == errc::none);
  CHECK(granted->producer_epoch == 0);
}

TEST_CASE("FindCoordinator: a lost response closes the connection, the next connection is answered") {
  MockCluster cluster;
  cluster.drop_connection_after(ApiKey::find_coordinator);
  {
    RawClient client(cluster.port(1));
    client.send(lookup(kGroup, {"g"}, 4), 4);
    CHECK(client.wait_closed());
  }
  RawClient client(cluster.port(1));
  auto response = client.call<FindCoordinatorResponse>(lookup(kGroup, {"g"}, 4), 4);
  REQUIRE(response);
  CHECK(response->coordinators.at(0).node_id == 1);
  CHECK(cluster.request_count(ApiKey::find_coordinator) == 2);
}

}  // TEST_SUITE
