// kwire::cluster::ClusterRuntime against the mock cluster: real sockets, the
// network thread, ConnectionPool and Cluster::request<> end to end —
// Metadata and FindCoordinator to any broker, InitProducerId to a
// transaction coordinator on its own connection lane, retried on the new
// coordinator after it moved (NOT_COORDINATOR), and close() failing what is
// left.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "kwire/cluster/cluster_runtime.hpp"
#include "kwire/mock/cluster.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/metadata.hpp"

using kwire::NodeId;

using namespace kwire::cluster;
using kwire::client_errc;
using kwire::errc;
using kwire::mock::ApiKey;
using kwire::mock::ClusterConfig;
using kwire::mock::MockCluster;
namespace protocol = kwire::protocol;

namespace {

ClientConfig client_config(const MockCluster& mock) {
  ClientConfig c;
  c.set("bootstrap.servers", mock.bootstrap_servers());
  c.retry_backoff_ms = 20;
  c.retry_backoff_max_ms = 200;
  return c;
}

ClusterRuntime::Options quiet() {
  ClusterRuntime::Options o;
  o.log = silent_log_handler();
  return o;
}

constexpr std::chrono::seconds kTimeout{15};

}  // namespace

TEST_SUITE("mock_cluster") {

TEST_CASE("ClusterRuntime: Metadata and FindCoordinator round trips through request<> on the network thread") {
  ClusterConfig config;
  config.brokers = 3;
  MockCluster mock(config);
  ClusterRuntime runtime(client_config(mock), quiet());

  Result<protocol::MetadataResponse> metadata =
      runtime.submit(Route::any_broker(), protocol::MetadataRequest{}, kTimeout).get();
  REQUIRE_MESSAGE(metadata.ok(), metadata.detail);
  REQUIRE(metadata.response);
  CHECK(metadata.response->brokers.size() == 3);
  CHECK(metadata.version >= 1);

  protocol::FindCoordinatorRequest find;
  find.key_type = static_cast<std::int8_t>(protocol::CoordinatorType::group);
  find.coordinator_keys = {"orders"};
  auto found = runtime.submit(Route::any_broker(), find, kTimeout).get();
  REQUIRE_MESSAGE(found.ok(), found.detail);
  REQUIRE(found.response);
  const std::int32_t expected = mock.coordinator(0, "orders");
  if (found.version >= 4) {
    REQUIRE(found.response->coordinators.size() == 1);
    CHECK(found.response->coordinators[0].node_id == expected);
  } else {
    CHECK(found.response->node_id == expected);
  }

  // A caller's check sees every decoded answer (per-item errors are its to judge).
  int checked = 0;
  auto checked_reply = runtime
                           .submit(Route::controller(), protocol::MetadataRequest{}, kTimeout,
                                   [&checked](const protocol::MetadataResponse& r, protocol::MetadataRequest&) {
                                     ++checked;
                                     return r.brokers.empty() ? Retry::after_refresh : Retry::no;
                                   })
                           .get();
  REQUIRE_MESSAGE(checked_reply.ok(), checked_reply.detail);
  CHECK(checked == 1);
  CHECK(checked_reply.node == NodeId{checked_reply.response->controller_id});

  // The Cluster's metadata is readable on the network thread.
  std::size_t brokers = 0;
  REQUIRE(runtime.call([&](Cluster& cluster) { brokers = cluster.metadata().brokers().size(); }));
  CHECK(brokers == 3);
}

TEST_CASE("ClusterRuntime: a transaction coordinator route follows a moved coordinator (NOT_COORDINATOR) on the coordinator lane") {
  ClusterConfig config;
  config.brokers = 3;
  MockCluster mock(config);
  ClusterRuntime runtime(client_config(mock), quiet());

  protocol::InitProducerIdRequest init;
  init.transactional_id = "orders-tx";
  init.transaction_timeout_ms = 60000;
  auto first = runtime.submit(Route::transaction_coordinator("orders-tx"), init, kTimeout).get();
  REQUIRE_MESSAGE(first.ok(), first.detail);
  const std::int32_t old_node = mock.coordinator(1, "orders-tx");
  CHECK(first.node == NodeId{old_node});
  CHECK(first.attempts == 1);
  CHECK(first.response->producer_id >= 0);
  // Its own connection: the data lane to that broker is untouched unless
  // metadata happened to pick it, so at least one connection is the lane's.
  CHECK(mock.accepted_connections(old_node) >= 1);
  CHECK(mock.request_count(ApiKey::init_producer_id, old_node) == 1);

  const std::int32_t new_node = old_node % 3 + 1;
  mock.move_coordinator(1, "orders-tx", new_node);
  auto second = runtime.submit(Route::transaction_coordinator("orders-tx"), init, kTimeout).get();
  REQUIRE_MESSAGE(second.ok(), second.detail);
  CHECK(second.node == NodeId{new_node});
  CHECK(second.attempts == 2);  // NOT_COORDINATOR from the old one, then the new one
  CHECK(mock.request_count(ApiKey::init_producer_id, old_node) == 2);
  CHECK(mock.request_count(ApiKey::init_producer_id, new_node) == 1);
}

TEST_CASE("ClusterRuntime: a request to a stopped cluster times out with the route and cause; close() fails what is left") {
  ClusterConfig config;
  config.brokers = 1;
  MockCluster mock(config);
  const ClientConfig client = client_config(mock);
  mock.stop_broker(1);
  ClusterRuntime runtime(client, quiet());
  auto timed_out = runtime.submit(Route::controller(), protocol::MetadataRequest{}, std::chrono::milliseconds(300)).get();
  CHECK(timed_out.error == client_errc::timed_out);
  CHECK(timed_out.detail.find("Metadata to the controller gave up at its deadline") != std::string::npos);
  CHECK(timed_out.detail.find("last cause") != std::string::npos);

  auto pending = runtime.submit(Route::any_broker(), protocol::MetadataRequest{}, std::chrono::seconds(60));
  runtime.close();
  REQUIRE(pending.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(pending.get().error == client_errc::shutting_down);
  // After close(): answered at once.
  auto late = runtime.submit(Route::any_broker(), protocol::MetadataRequest{}, std::chrono::seconds(1));
  REQUIRE(late.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
  CHECK(late.get().error == client_errc::shutting_down);
}

TEST_CASE("ClusterRuntime: every() runs on the network thread at its interval until close()") {
  MockCluster mock(ClusterConfig{});
  ClusterRuntime runtime(client_config(mock), quiet());
  CHECK_FALSE(runtime.on_network_thread());
  std::atomic<int> runs{0};
  std::atomic<bool> off_thread{false};
  runtime.every(std::chrono::milliseconds(10), [&](Cluster&) {
    if (!runtime.on_network_thread()) off_thread = true;
    ++runs;
  });
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (runs < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(runs >= 3);
  CHECK_FALSE(off_thread);
  runtime.close();
  const int at_close = runs;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(runs == at_close);
  runtime.every(std::chrono::milliseconds(1), [&](Cluster&) { ++runs; });  // closed: never runs
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(runs == at_close);
}

}  // TEST_SUITE
