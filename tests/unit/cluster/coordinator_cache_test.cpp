// CoordinatorCache driven sans-I/O: scripted FindCoordinator responses, an
// explicit clock. Batching (KIP-699), the one-key-per-request fallback below
// v4, invalidation, backoff and final errors.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kwire/cluster/coordinator_cache.hpp"
#include "kwire/protocol/client_error.hpp"

using kwire::NodeId;

using namespace kwire::cluster;
using kwire::errc;
using kwire::protocol::CoordinatorType;
using kwire::protocol::FindCoordinatorResponse;

namespace {

CoordinatorKey group(std::string id) { return {CoordinatorType::group, std::move(id)}; }
CoordinatorKey txn(std::string id) { return {CoordinatorType::transaction, std::move(id)}; }

CoordinatorCache make_cache() {
  CoordinatorCache::Options o;
  o.retry_backoff_ms = 100;
  o.retry_backoff_max_ms = 1000;
  o.seed = 42;
  return CoordinatorCache(o);
}

/// Records every answer a caller gets.
struct Answers {
  std::vector<CoordinatorResult> got;
  CoordinatorCallback callback() {
    return [this](const CoordinatorResult& r) { got.push_back(r); };
  }
};

FindCoordinatorResponse::Coordinator found(std::string key, std::int32_t node) {
  return {std::move(key), node, "broker-" + std::to_string(node), 9092 + node, errc::none, std::nullopt, {}};
}

FindCoordinatorResponse::Coordinator failed(std::string key, errc error, std::optional<std::string> message = {}) {
  return {std::move(key), -1, "", -1, error, std::move(message), {}};
}

FindCoordinatorResponse batched(std::vector<FindCoordinatorResponse::Coordinator> coordinators) {
  FindCoordinatorResponse r;
  r.coordinators = std::move(coordinators);
  return r;
}

FindCoordinatorResponse single(std::int32_t node, errc error = errc::none) {
  FindCoordinatorResponse r;
  r.error_code = error;
  r.node_id = error == errc::none ? node : -1;
  r.host = error == errc::none ? "broker-" + std::to_string(node) : "";
  r.port = error == errc::none ? 9092 + node : -1;
  return r;
}

}  // namespace

TEST_CASE("coordinator cache: v4+ asks for every waiting key of a type in one request, one request per type") {
  auto cache = make_cache();
  Answers a, b, c;
  cache.lookup(txn("tx-a"), a.callback());
  cache.lookup(txn("tx-b"), b.callback());
  cache.lookup(group("g"), c.callback());

  auto first = cache.next_request(0, 6);
  REQUIRE(first);
  CHECK(first->version == 6);
  CHECK(first->request.key_type == static_cast<std::int8_t>(CoordinatorType::group));
  CHECK(first->request.coordinator_keys == std::vector<std::string>{"g"});
  auto second = cache.next_request(0, 6);
  REQUIRE(second);
  CHECK(second->request.key_type == static_cast<std::int8_t>(CoordinatorType::transaction));
  CHECK(second->request.coordinator_keys == std::vector<std::string>{"tx-a", "tx-b"});
  CHECK(second->request.key.empty());
  CHECK_FALSE(cache.next_request(0, 6));  // nothing else waits

  // A key asked for while its type's lookup is in flight waits for the next batch.
  Answers d;
  cache.lookup(txn("tx-c"), d.callback());
  CHECK_FALSE(cache.next_request(0, 6));

  cache.on_response(second->id, batched({found("tx-a", 1), found("tx-b", 2)}), 5);
  REQUIRE(a.got.size() == 1);
  CHECK(a.got[0].node == CoordinatorNode{NodeId{1}, "broker-1", 9093});
  REQUIRE(b.got.size() == 1);
  CHECK(b.got[0].node->node_id == NodeId{2});
  CHECK(c.got.empty());  // the group lookup is still out
  auto third = cache.next_request(5, 6);
  REQUIRE(third);
  CHECK(third->request.coordinator_keys == std::vector<std::string>{"tx-c"});

  // Known coordinators answer at once, without a request.
  Answers again;
  cache.lookup(txn("tx-a"), again.callback());
  REQUIRE(again.got.size() == 1);
  CHECK(again.got[0].node->node_id == NodeId{1});
  CHECK(cache.find(txn("tx-b"))->node_id == NodeId{2});
}

TEST_CASE("coordinator cache: below v4 each key goes in a request of its own, each key once at a time") {
  auto cache = make_cache();
  Answers a, b;
  cache.lookup(txn("tx-a"), a.callback());
  cache.lookup(txn("tx-b"), b.callback());

  auto r1 = cache.next_request(0, 3);
  auto r2 = cache.next_request(0, 3);
  REQUIRE(r1);
  REQUIRE(r2);
  CHECK_FALSE(cache.next_request(0, 3));
  CHECK(r1->version == 3);
  CHECK(r1->request.key == "tx-a");
  CHECK(r1->request.coordinator_keys.empty());
  CHECK(r1->request.key_type == static_cast<std::int8_t>(CoordinatorType::transaction));
  CHECK(r2->request.key == "tx-b");

  cache.on_response(r2->id, single(3), 1);
  CHECK(a.got.empty());
  REQUIRE(b.got.size() == 1);
  CHECK(b.got[0].node == CoordinatorNode{NodeId{3}, "broker-3", 9095});
  cache.on_response(r1->id, single(1), 2);
  REQUIRE(a.got.size() == 1);
  CHECK(a.got[0].node->node_id == NodeId{1});
  cache.on_response(r1->id, single(7), 3);  // a duplicate answer changes nothing
  CHECK(cache.find(txn("tx-a"))->node_id == NodeId{1});
}

TEST_CASE("coordinator cache: a v0 broker can look up groups only") {
  auto cache = make_cache();
  Answers g, t;
  cache.lookup(group("g"), g.callback());
  cache.lookup(txn("tx"), t.callback());
  auto r = cache.next_request(0, 0);
  REQUIRE(r);
  CHECK(r->request.key == "g");
  CHECK(r->request.key_type == 0);
  REQUIRE(t.got.size() == 1);
  CHECK(t.got[0].error == kwire::client_errc::unsupported_version);
  CHECK_FALSE(cache.next_request(0, 0));
}

TEST_CASE("coordinator cache: COORDINATOR_NOT_AVAILABLE is retried after a growing backoff; callers keep waiting") {
  auto cache = make_cache();
  Answers a;
  cache.lookup(group("g"), a.callback());
  auto r = cache.next_request(1000, 6);
  REQUIRE(r);
  cache.on_response(r->id, batched({failed("g", errc::coordinator_not_available)}), 1000);
  CHECK(a.got.empty());
  CHECK(cache.last_error(group("g")).error == errc::coordinator_not_available);
  CHECK_FALSE(cache.last_error(group("g")).detail.empty());

  const std::int64_t first_due = cache.next_deadline_ms();
  CHECK(first_due >= 1080);  // 100 ms ± 20 %
  CHECK(first_due < 1120);
  CHECK_FALSE(cache.next_request(first_due - 1, 6));
  r = cache.next_request(first_due, 6);
  REQUIRE(r);

  cache.on_response(r->id, batched({failed("g", errc::coordinator_load_in_progress)}), first_due);
  const std::int64_t second_wait = cache.next_deadline_ms() - first_due;
  CHECK(second_wait >= 160);  // 200 ms ± 20 %
  CHECK(second_wait < 240);

  // A key the v4 answer leaves out is retried too.
  r = cache.next_request(cache.next_deadline_ms(), 6);
  REQUIRE(r);
  cache.on_response(r->id, batched({}), 5000);
  CHECK(a.got.empty());
  CHECK_FALSE(cache.next_request(5000, 6));

  // A lookup lost on the wire is retried as well.
  r = cache.next_request(cache.next_deadline_ms(), 6);
  REQUIRE(r);
  cache.on_request_failed(r->id, make_error_code(kwire::client_errc::disconnected), 9000);
  CHECK(cache.last_error(group("g")).error == kwire::client_errc::disconnected);

  r = cache.next_request(cache.next_deadline_ms(), 6);
  REQUIRE(r);
  cache.on_response(r->id, batched({found("g", 2)}), 12000);
  REQUIRE(a.got.size() == 1);
  CHECK(a.got[0].node->node_id == NodeId{2});
  CHECK_FALSE(cache.last_error(group("g")).error);
  CHECK(cache.next_deadline_ms() == kNoDeadline);
}

TEST_CASE("coordinator cache: a retried v3 lookup with a top-level error") {
  auto cache = make_cache();
  Answers a;
  cache.lookup(txn("tx"), a.callback());
  auto r = cache.next_request(0, 3);
  REQUIRE(r);
  cache.on_response(r->id, single(-1, errc::not_coordinator), 0);
  CHECK(a.got.empty());
  r = cache.next_request(cache.next_deadline_ms(), 3);
  REQUIRE(r);
  cache.on_response(r->id, single(4), 500);
  REQUIRE(a.got.size() == 1);
  CHECK(a.got[0].node->node_id == NodeId{4});
}

TEST_CASE("coordinator cache: authorization errors are final, with the broker's detail, and not retried") {
  auto cache = make_cache();
  Answers g, t, ok;
  cache.lookup(group("secret"), g.callback());
  cache.lookup(txn("tx-secret"), t.callback());
  cache.lookup(txn("tx-open"), ok.callback());
  auto rg = cache.next_request(0, 6);
  auto rt = cache.next_request(0, 6);
  REQUIRE(rg);
  REQUIRE(rt);
  cache.on_response(rg->id, batched({failed("secret", errc::group_authorization_failed, "Not authorized: secret")}),
                    0);
  cache.on_response(rt->id,
                    batched({failed("tx-secret", errc::transactional_id_authorization_failed), found("tx-open", 1)}),
                    0);
  REQUIRE(g.got.size() == 1);
  CHECK(g.got[0].error == errc::group_authorization_failed);
  CHECK(g.got[0].detail == "Not authorized: secret");
  CHECK_FALSE(g.got[0].node);
  REQUIRE(t.got.size() == 1);
  CHECK(t.got[0].error == errc::transactional_id_authorization_failed);
  CHECK_FALSE(t.got[0].detail.empty());  // Kafka's description when the broker sent none
  REQUIRE(ok.got.size() == 1);
  CHECK(ok.got[0].node->node_id == NodeId{1});
  CHECK_FALSE(cache.next_request(1'000'000, 6));  // nothing is retried

  // Asking again asks again.
  Answers g2;
  cache.lookup(group("secret"), g2.callback());
  CHECK(cache.next_request(1'000'000, 6));
}

TEST_CASE("coordinator cache: NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE from a coordinator forget it") {
  auto cache = make_cache();
  Answers a;
  cache.lookup(group("g"), a.callback());
  auto r = cache.next_request(0, 6);
  REQUIRE(r);
  cache.on_response(r->id, batched({found("g", 1)}), 0);
  REQUIRE(cache.find(group("g")));

  CHECK_FALSE(cache.on_coordinator_error(group("g"), errc::rebalance_in_progress));
  CHECK(cache.find(group("g")));
  CHECK(cache.on_coordinator_error(group("g"), errc::not_coordinator));
  CHECK_FALSE(cache.find(group("g")));

  Answers b;
  cache.lookup(group("g"), b.callback());
  r = cache.next_request(0, 6);  // no backoff after a move: the new coordinator is asked for at once
  REQUIRE(r);
  cache.on_response(r->id, batched({found("g", 2)}), 0);
  REQUIRE(b.got.size() == 1);
  CHECK(b.got[0].node->node_id == NodeId{2});

  CHECK(cache.on_coordinator_error(group("g"), errc::coordinator_not_available));
  CHECK_FALSE(cache.find(group("g")));
}

TEST_CASE("coordinator cache: a node's disconnect forgets only the keys it coordinates") {
  auto cache = make_cache();
  Answers a, b, c;
  cache.lookup(group("g1"), a.callback());
  cache.lookup(group("g2"), b.callback());
  cache.lookup(txn("tx"), c.callback());
  auto rg = cache.next_request(0, 6);
  auto rt = cache.next_request(0, 6);
  REQUIRE(rg);
  REQUIRE(rt);
  cache.on_response(rg->id, batched({found("g1", 1), found("g2", 2)}), 0);
  cache.on_response(rt->id, batched({found("tx", 1)}), 0);

  cache.on_disconnect(NodeId{1});
  CHECK_FALSE(cache.find(group("g1")));
  CHECK_FALSE(cache.find(txn("tx")));
  REQUIRE(cache.find(group("g2")));
  CHECK(cache.find(group("g2"))->node_id == NodeId{2});
  CHECK_FALSE(cache.next_request(0, 6));  // nobody waits: nothing to ask yet
}

TEST_CASE("coordinator cache: a callback may look up again from inside its answer") {
  auto cache = make_cache();
  std::vector<std::int32_t> seen;
  cache.lookup(group("g"), [&](const CoordinatorResult& r) {
    seen.push_back(r.node->node_id.value());
    cache.lookup(group("g"), [&](const CoordinatorResult& again) { seen.push_back(again.node->node_id.value() + 100); });
  });
  auto r = cache.next_request(0, 6);
  REQUIRE(r);
  cache.on_response(r->id, batched({found("g", 5)}), 0);
  CHECK(seen == std::vector<std::int32_t>{5, 105});
}
