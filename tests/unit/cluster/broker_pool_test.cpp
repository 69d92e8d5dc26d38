// BrokerPool driven sans-I/O over FakeTransport with a scripted clock:
// lanes, connect-on-demand with queued waiters, reconnect backoff, final
// authentication refusals, idle close and the least loaded choice.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "kwire/cluster/broker_pool.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/metadata.hpp"
#include "support/fake_transport.hpp"

using kwire::NodeId;

using namespace kwire::cluster;
using kwire::client_errc;
using kwire::test::FakeTransport;

namespace {

struct PoolHarness {
  std::int64_t now = 1000;
  FakeTransport transport;
  MetadataCache metadata{MetadataCache::Options{}, {BrokerAddress{"boot", 9092}}};
  std::vector<std::string> auth_changes;
  BrokerPool pool;

  static BrokerPool::Options options() {
    BrokerPool::Options o;
    o.reconnect_backoff_ms = 100;
    o.reconnect_backoff_max_ms = 1000;
    o.connections_max_idle_ms = 5000;
    o.jitter_seed = 7;
    return o;
  }

  PoolHarness()
      : pool(options(), transport, metadata,
             BrokerPool::Hooks{[this] { return now; }, nullptr, nullptr, nullptr, nullptr,
                               [this](std::error_code ec, const std::string& detail) {
                                 auth_changes.push_back(ec ? detail : "cleared");
                               },
                               {}}) {
    // Brokers 1..3 at b<id>:900<id>.
    metadata.update(kwire::test::metadata_response(3, "", {}), now);
  }
};

struct Waiter {
  int calls = 0;
  std::error_code error;
  std::string detail;
  BrokerPool::ReadyCallback callback() {
    return [this](std::error_code ec, const std::string& d) {
      ++calls;
      error = ec;
      detail = d;
    };
  }
};

}  // namespace

TEST_CASE("BrokerPool: the coordinator lane of broker n is transport id INT32_MAX - n (Java's convention)") {
  constexpr std::int32_t max = std::numeric_limits<std::int32_t>::max();
  CHECK(transport_id(NodeKey{NodeId{3}, Lane::data}) == 3);
  CHECK(transport_id(NodeKey{NodeId{-1}, Lane::data}) == -1);
  CHECK(transport_id(NodeKey{NodeId{3}, Lane::coordinator}) == max - 3);
  CHECK(transport_id(NodeKey{NodeId{0}, Lane::coordinator}) == max);
  for (NodeKey key : {NodeKey{NodeId{0}, Lane::data}, NodeKey{NodeId{7}, Lane::data}, NodeKey{NodeId{-2}, Lane::data},
                      NodeKey{NodeId{0}, Lane::coordinator}, NodeKey{NodeId{1234}, Lane::coordinator}})
    CHECK(node_key(transport_id(key)) == key);
}

TEST_CASE("BrokerPool: waiters queue while a node connects; one attempt serves them all") {
  PoolHarness h;
  Waiter a, b;
  h.pool.when_ready(NodeKey{NodeId{2}}, h.now, a.callback());
  h.pool.when_ready(NodeKey{NodeId{2}}, h.now, b.callback());
  REQUIRE(h.transport.connects.size() == 1);
  CHECK(h.transport.connects[0].node == 2);
  CHECK(h.transport.connects[0].endpoint.host == "b2");
  CHECK(h.pool.state(NodeKey{NodeId{2}}) == BrokerPool::State::connecting);
  CHECK(a.calls == 0);
  h.transport.accept(2);
  CHECK(a.calls == 1);
  CHECK(b.calls == 1);
  CHECK_FALSE(a.error);
  CHECK(h.pool.is_ready(NodeKey{NodeId{2}}));
  // Ready: answered at once.
  Waiter c;
  h.pool.when_ready(NodeKey{NodeId{2}}, h.now, c.callback());
  CHECK(c.calls == 1);
  CHECK(h.transport.connects.empty());
}

TEST_CASE("BrokerPool: the data and coordinator lanes of one broker are separate connections") {
  PoolHarness h;
  Waiter data, coordinator;
  h.pool.when_ready(NodeKey{NodeId{1}, Lane::data}, h.now, data.callback());
  h.pool.when_ready(NodeKey{NodeId{1}, Lane::coordinator}, h.now, coordinator.callback());
  REQUIRE(h.transport.connects.size() == 2);
  CHECK(h.transport.connects[0].node == 1);
  CHECK(h.transport.connects[1].node == std::numeric_limits<std::int32_t>::max() - 1);
  CHECK(h.transport.connects[1].endpoint.host == "b1");  // same broker, own connection
  h.transport.accept(std::numeric_limits<std::int32_t>::max() - 1);
  CHECK(coordinator.calls == 1);
  CHECK(data.calls == 0);  // the data lane still connects
  CHECK(h.pool.is_ready(NodeKey{NodeId{1}, Lane::coordinator}));
  CHECK_FALSE(h.pool.is_ready(NodeKey{NodeId{1}, Lane::data}));
  // Closing one lane leaves the other alone.
  h.transport.accept(1);
  h.transport.drop(std::numeric_limits<std::int32_t>::max() - 1);
  CHECK_FALSE(h.pool.is_ready(NodeKey{NodeId{1}, Lane::coordinator}));
  CHECK(h.pool.is_ready(NodeKey{NodeId{1}, Lane::data}));
  CHECK(h.pool.describe(NodeKey{NodeId{1}, Lane::coordinator}) == "coordinator lane of node 1 (b1:9001)");
}

TEST_CASE("BrokerPool: a failed attempt backs off reconnect.backoff.ms, doubling, and tick() retries when due") {
  PoolHarness h;
  Waiter w;
  h.pool.when_ready(NodeKey{NodeId{1}}, h.now, w.callback());
  h.transport.refuse(1);
  CHECK(w.calls == 1);
  CHECK(w.error == client_errc::connect_failed);
  const BrokerPool::Node* n = h.pool.find(NodeKey{NodeId{1}});
  REQUIRE(n);
  // 100 ms ±20% jitter.
  const std::int64_t first_wait = n->next_connect_ms - h.now;
  CHECK(first_wait >= 80);
  CHECK(first_wait <= 120);
  // Within the backoff nothing connects; the waiter stays queued.
  Waiter again;
  h.pool.when_ready(NodeKey{NodeId{1}}, h.now, again.callback());
  CHECK(h.transport.connects.empty());
  std::int64_t next = kNoDeadline;
  h.pool.tick(h.now, next);
  CHECK(next == n->next_connect_ms);
  CHECK(h.transport.connects.empty());
  h.now = next;
  next = kNoDeadline;
  h.pool.tick(h.now, next);
  REQUIRE(h.transport.connects.size() == 1);
  h.transport.refuse(1);
  CHECK(again.calls == 1);
  // Second consecutive failure: 200 ms ±20%.
  const std::int64_t second_wait = h.pool.find(NodeKey{NodeId{1}})->next_connect_ms - h.now;
  CHECK(second_wait >= 160);
  CHECK(second_wait <= 240);
  CHECK(h.pool.find(NodeKey{NodeId{1}})->failures == 2);
  CHECK(h.pool.find(NodeKey{NodeId{1}})->connection_failures == 2);
}

TEST_CASE("BrokerPool: an authentication refusal reaches waiters at once with its detail, until a connection succeeds") {
  PoolHarness h;
  h.transport.details[1] = "SASL authentication failed on b1:9001: invalid credentials (sasl.username)";
  Waiter w;
  h.pool.when_ready(NodeKey{NodeId{1}}, h.now, w.callback());
  h.transport.refuse(1, make_error_code(client_errc::authentication_failed));
  CHECK(w.calls == 1);
  CHECK(w.error == client_errc::authentication_failed);
  CHECK(w.detail.find("invalid credentials") != std::string::npos);
  std::string detail;
  CHECK(h.pool.authentication_error(&detail) == client_errc::authentication_failed);
  CHECK(detail == h.transport.details[1]);
  CHECK(h.pool.refusing_nodes() == 1);
  REQUIRE(h.auth_changes.size() == 1);
  // It still backs off like any failure (no reconnect storm) ...
  CHECK(h.pool.find(NodeKey{NodeId{1}})->next_connect_ms > h.now);
  // ... and a later success clears it.
  h.now += 1000;
  Waiter later;
  h.pool.when_ready(NodeKey{NodeId{1}}, h.now, later.callback());
  h.transport.accept(1);
  CHECK_FALSE(later.error);
  CHECK_FALSE(h.pool.authentication_error());
  CHECK(h.pool.refusing_nodes() == 0);
  REQUIRE(h.auth_changes.size() == 2);
  CHECK(h.auth_changes[1] == "cleared");
}

TEST_CASE("BrokerPool: idle connections close after connections.max.idle.ms, never with a request in flight") {
  PoolHarness h;
  Waiter w;
  h.pool.when_ready(NodeKey{NodeId{1}}, h.now, w.callback());
  h.transport.accept(1);
  h.pool.when_ready(NodeKey{NodeId{2}}, h.now, w.callback());
  h.transport.accept(2);
  // A request on node 2 keeps it busy.
  h.pool.send(NodeKey{NodeId{2}}, kwire::protocol::ApiKey::metadata, 12, {1, 2, 3}, true,
              [](std::error_code, std::span<const std::uint8_t>) {});
  CHECK(h.pool.find(NodeKey{NodeId{2}})->in_flight == 1);
  CHECK(h.pool.find(NodeKey{NodeId{2}})->requests_sent == 1);
  std::int64_t next = kNoDeadline;
  h.pool.close_idle(h.now, next);
  CHECK(next == h.now + 5000);
  CHECK(h.transport.disconnects.empty());
  h.now += 5000;
  next = kNoDeadline;
  h.pool.close_idle(h.now, next);
  CHECK(h.transport.disconnects[1] == 1);
  CHECK(h.transport.disconnects.count(2) == 0);
  CHECK_FALSE(h.pool.is_ready(NodeKey{NodeId{1}}));
  CHECK(h.pool.is_ready(NodeKey{NodeId{2}}));
  // Our own close is not a failure: no backoff, no disconnect counted.
  CHECK(h.pool.find(NodeKey{NodeId{1}})->disconnects == 0);
  CHECK(h.pool.find(NodeKey{NodeId{1}})->next_connect_ms <= h.now);
}

TEST_CASE("BrokerPool: least_loaded_ready picks the ready data connection with the fewest requests in flight") {
  PoolHarness h;
  CHECK_FALSE(h.pool.least_loaded_ready());
  Waiter w;
  for (std::int32_t id : {1, 2}) {
    h.pool.when_ready(NodeKey{NodeId{id}}, h.now, w.callback());
    h.transport.accept(id);
  }
  h.pool.when_ready(NodeKey{NodeId{3}, Lane::coordinator}, h.now, w.callback());
  h.transport.accept(std::numeric_limits<std::int32_t>::max() - 3);
  h.pool.send(NodeKey{NodeId{1}}, kwire::protocol::ApiKey::metadata, 12, {1}, true,
              [](std::error_code, std::span<const std::uint8_t>) {});
  REQUIRE(h.pool.least_loaded_ready());
  CHECK(*h.pool.least_loaded_ready() == NodeId{2});  // never the coordinator lane
}

TEST_CASE("BrokerPool: connect_to_any tries known brokers, then bootstrap servers once every known broker failed") {
  PoolHarness h;
  std::int64_t next = kNoDeadline;
  for (int attempt = 0; attempt < 3; ++attempt) {
    h.pool.connect_to_any(h.now, next);
    REQUIRE(h.transport.connects.size() == 1);
    CHECK(h.transport.connects[0].node >= 1);
    h.transport.refuse(h.transport.connects[0].node);
  }
  // Every known broker failed: rebootstrap (KIP-899) and try bootstrap.servers.
  h.pool.connect_to_any(h.now, next);
  REQUIRE(h.transport.connects.size() == 1);
  CHECK(h.transport.connects[0].node == -1);
  CHECK(h.transport.connects[0].endpoint.host == "boot");
  CHECK(h.metadata.brokers().empty());
  CHECK(h.metadata.rebootstraps() == 1);
}
