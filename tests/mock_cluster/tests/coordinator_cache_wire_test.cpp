// kwire::cluster::CoordinatorCache over the wire: its FindCoordinator
// requests go to the mock cluster and the answers come back through
// on_response, so the cache meets a broker's real bytes (batched v4+, the v3
// fallback), a moved coordinator and a per-key fault.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kwire/cluster/coordinator_cache.hpp"
#include "kwire/mock/cluster.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "raw_client.hpp"

using kwire::NodeId;

using namespace kwire::mock;
using namespace kwire::mock::test;
using kwire::cluster::CoordinatorCache;
using kwire::cluster::CoordinatorKey;
using kwire::cluster::CoordinatorResult;
using kwire::errc;
using kwire::protocol::CoordinatorType;
using kwire::protocol::FindCoordinatorResponse;
using kwire::protocol::InitProducerIdRequest;
using kwire::protocol::InitProducerIdResponse;

namespace {

/// Sends every lookup the cache has due at `now_ms` on `client`; returns how many.
int pump(CoordinatorCache& cache, RawClient& client, std::int16_t max_version, std::int64_t now_ms) {
  int sent = 0;
  while (auto lookup = cache.next_request(now_ms, max_version)) {
    auto response = client.call<FindCoordinatorResponse>(lookup->request, lookup->version);
    REQUIRE(response);
    cache.on_response(lookup->id, *response, now_ms);
    ++sent;
  }
  return sent;
}

CoordinatorCache make_cache() {
  CoordinatorCache::Options o;
  o.retry_backoff_ms = 100;
  o.retry_backoff_max_ms = 1000;
  o.seed = 1;
  return CoordinatorCache(o);
}

}  // namespace

TEST_SUITE("mock_cluster") {

TEST_CASE("CoordinatorCache against the mock: one batched lookup per key type, or one per key at v3") {
  ClusterConfig config;
  config.brokers = 3;
  MockCluster cluster(config);
  RawClient client(cluster.port(1));
  const std::vector<CoordinatorKey> keys = {{CoordinatorType::group, "g1"},
                                            {CoordinatorType::group, "g2"},
                                            {CoordinatorType::transaction, "tx-1"},
                                            {CoordinatorType::transaction, "tx-2"},
                                            {CoordinatorType::transaction, "tx-3"}};
  for (std::int16_t max_version : {std::int16_t{6}, std::int16_t{3}}) {
    CAPTURE(max_version);
    auto cache = make_cache();
    std::vector<CoordinatorResult> answers;
    for (const auto& k : keys) cache.lookup(k, [&](const CoordinatorResult& r) { answers.push_back(r); });
    const std::size_t before = cluster.request_count(ApiKey::find_coordinator);
    CHECK(pump(cache, client, max_version, 0) == (max_version >= 4 ? 2 : 5));
    CHECK(cluster.request_count(ApiKey::find_coordinator) - before == (max_version >= 4 ? 2u : 5u));
    REQUIRE(answers.size() == keys.size());
    for (const auto& k : keys) {
      CAPTURE(k.key);
      const auto* node = cache.find(k);
      REQUIRE(node != nullptr);
      CHECK(node->node_id == NodeId{cluster.coordinator(static_cast<std::int8_t>(k.type), k.key)});
      CHECK(node->port == cluster.port(node->node_id.value()));
    }
  }
}

TEST_CASE("CoordinatorCache against the mock: a moved coordinator is forgotten on NOT_COORDINATOR and found again") {
  ClusterConfig config;
  config.brokers = 3;
  MockCluster cluster(config);
  RawClient any(cluster.port(1));
  auto cache = make_cache();
  const CoordinatorKey key{CoordinatorType::transaction, "orders-tx"};
  cache.lookup(key, [](const CoordinatorResult&) {});
  pump(cache, any, 6, 0);
  REQUIRE(cache.find(key));
  const std::int32_t old_node = cache.find(key)->node_id.value();
  const std::int32_t new_node = old_node % 3 + 1;
  cluster.move_coordinator(static_cast<std::int8_t>(key.type), key.key, new_node);

  InitProducerIdRequest init;
  init.transactional_id = key.key;
  init.transaction_timeout_ms = 60000;
  RawClient old_coordinator(cluster.port(old_node));
  auto refused = old_coordinator.call<InitProducerIdResponse>(init, 5);
  REQUIRE(refused);
  REQUIRE(refused->error_code == errc::not_coordinator);
  CHECK(cache.on_coordinator_error(key, refused->error_code));
  CHECK_FALSE(cache.find(key));

  std::int32_t found = -1;
  cache.lookup(key, [&](const CoordinatorResult& r) { found = r.node ? r.node->node_id.value() : -2; });
  pump(cache, any, 6, 10);
  CHECK(found == new_node);
  RawClient new_coordinator(cluster.port(found));
  auto granted = new_coordinator.call<InitProducerIdResponse>(init, 5);
  REQUIRE(granted);
  CHECK(granted->error_code == errc::none);
}

TEST_CASE("CoordinatorCache against the mock: COORDINATOR_NOT_AVAILABLE is retried after the backoff, "
          "an authorization error is final") {
  MockCluster cluster;
  RawClient client(cluster.port(1));
  auto cache = make_cache();
  const CoordinatorKey loading{CoordinatorType::group, "loading"};
  const CoordinatorKey secret{CoordinatorType::group, "secret"};
  cluster.fail_next(ApiKey::find_coordinator, errc::coordinator_not_available, 2, std::string("loading"));
  cluster.fail_next(ApiKey::find_coordinator, errc::group_authorization_failed, 1, std::string("secret"));
  std::vector<CoordinatorResult> loading_answers, secret_answers;
  cache.lookup(loading, [&](const CoordinatorResult& r) { loading_answers.push_back(r); });
  cache.lookup(secret, [&](const CoordinatorResult& r) { secret_answers.push_back(r); });

  std::int64_t now = 0;
  CHECK(pump(cache, client, 6, now) == 1);  // both keys in one request
  REQUIRE(secret_answers.size() == 1);
  CHECK(secret_answers[0].error == errc::group_authorization_failed);
  CHECK_FALSE(secret_answers[0].detail.empty());
  CHECK(loading_answers.empty());
  CHECK(cache.last_error(loading).error == errc::coordinator_not_available);

  CHECK(pump(cache, client, 6, now + 50) == 0);  // still backing off
  now = cache.next_deadline_ms();
  CHECK(pump(cache, client, 6, now) == 1);  // second failure
  CHECK(loading_answers.empty());
  now = cache.next_deadline_ms();
  CHECK(pump(cache, client, 6, now) == 1);
  REQUIRE(loading_answers.size() == 1);
  CHECK(loading_answers[0].node->node_id == NodeId{1});
  CHECK(cluster.request_count(ApiKey::find_coordinator) == 3);  // the authorization error was not retried
}

}  // TEST_SUITE
