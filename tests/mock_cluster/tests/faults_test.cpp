// Fault injection: every fault type does what it says, counts down, and
// leaves the cluster usable afterwards.
#include <doctest/doctest.h>

#include <asio/io_context.hpp>
#include <thread>

#include "kwire/mock/cluster.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/metadata.hpp"
#include "raw_client.hpp"

using namespace kwire::mock;
using namespace kwire::mock::test;
using namespace kwire::protocol;
using kwire::errc;
using Clock = std::chrono::steady_clock;

namespace {

ClusterConfig two_topics() {
  ClusterConfig config;
  config.topics = {{"a", 2}, {"b", 1}};
  return config;
}

ProduceRequest produce_all(std::span<const std::uint8_t> batch) {
  ProduceRequest request = produce_request("a", 0, batch);
  request.topic_data[0].partition_data.push_back({1, batch, {}});
  auto& b = request.topic_data.emplace_back();
  b.name = "b";
  b.partition_data.push_back({0, batch, {}});
  return request;
}

/// Error codes of a produce_all() response: a-0, a-1, b-0.
std::vector<errc> errors(const ProduceResponse& r) {
  std::vector<errc> out;
  for (const auto& t : r.responses)
    for (const auto& p : t.partition_responses) out.push_back(p.error_code);
  return out;
}

}  // namespace

TEST_SUITE("mock_cluster") {

TEST_CASE("fail_next fails the next N matching requests, then counts down to success") {
  MockCluster cluster(two_topics());
  RawClient client(cluster.port(1));
  auto batch = make_batch(1);
  const std::vector<errc> ok{errc::none, errc::none, errc::none};

  SUBCASE("every partition of the request") {
    cluster.fail_next(ApiKey::produce, errc::not_enough_replicas, 2);
    const std::vector<errc> failed(3, errc::not_enough_replicas);
    CHECK(errors(*client.call<ProduceResponse>(produce_all(batch), 9)) == failed);
    CHECK(errors(*client.call<ProduceResponse>(produce_all(batch), 9)) == failed);
    CHECK(errors(*client.call<ProduceResponse>(produce_all(batch), 9)) == ok);
    CHECK(cluster.record_count() == 3);
  }
  SUBCASE("one topic") {
    cluster.fail_next(ApiKey::produce, errc::leader_not_available, 1, "a");
    CHECK(errors(*client.call<ProduceResponse>(produce_all(batch), 9)) ==
          std::vector<errc>{errc::leader_not_available, errc::leader_not_available, errc::none});
    CHECK(cluster.record_count("a", 0) == 0);
    CHECK(cluster.record_count("b", 0) == 1);
  }
  SUBCASE("one partition; requests not touching it do not consume the rule") {
    cluster.fail_next(ApiKey::produce, errc::kafka_storage_error, 1, "a", 1);
    CHECK(client.call<ProduceResponse>(produce_request("a", 0, batch), 9)->responses[0].partition_responses[0]
              .error_code == errc::none);
    CHECK(errors(*client.call<ProduceResponse>(produce_all(batch), 9)) ==
          std::vector<errc>{errc::none, errc::kafka_storage_error, errc::none});
    CHECK(errors(*client.call<ProduceResponse>(produce_all(batch), 9)) == ok);
  }
  SUBCASE("other APIs") {
    cluster.fail_next(ApiKey::init_producer_id, errc::coordinator_load_in_progress);
    auto init = client.call<InitProducerIdResponse>(InitProducerIdRequest{}, 4);
    REQUIRE(init);
    CHECK(init->error_code == errc::coordinator_load_in_progress);
    CHECK(init->producer_id == -1);
    CHECK(client.call<InitProducerIdResponse>(InitProducerIdRequest{}, 4)->error_code == errc::none);

    cluster.fail_next(ApiKey::metadata, errc::leader_not_available, 1, "a", 1);
    MetadataRequest m;
    m.topics = std::vector<MetadataRequest::Topic>{{{}, "a", {}}, {{}, "b", {}}};
    auto metadata = client.call<MetadataResponse>(m, 12);
    REQUIRE(metadata);
    CHECK(metadata->topics[0].error_code == errc::none);
    CHECK(metadata->topics[0].partitions[0].error_code == errc::none);
    CHECK(metadata->topics[0].partitions[1].error_code == errc::leader_not_available);
    CHECK(metadata->topics[0].partitions[1].leader_id == -1);

    cluster.fail_next(ApiKey::metadata, errc::topic_authorization_failed, 1, "b");
    metadata = client.call<MetadataResponse>(m, 12);
    REQUIRE(metadata);
    CHECK(metadata->topics[0].error_code == errc::none);
    CHECK(metadata->topics[1].error_code == errc::topic_authorization_failed);
    CHECK(metadata->topics[1].partitions.empty());

    cluster.fail_next(ApiKey::api_versions, errc::unsupported_version);
    auto versions = client.call<ApiVersionsResponse>(ApiVersionsRequest{}, 0);
    REQUIRE(versions);
    CHECK(versions->error_code == errc::unsupported_version);
  }
  SUBCASE("clear_faults forgets pending rules") {
    cluster.fail_next(ApiKey::produce, errc::not_enough_replicas, 5);
    cluster.drop_connection_before(ApiKey::produce, 5);
    cluster.clear_faults();
    CHECK(errors(*client.call<ProduceResponse>(produce_all(batch), 9)) == ok);
  }
}

TEST_CASE("drop_connection_before closes without handling") {
  MockCluster cluster(two_topics());
  auto batch = make_batch(2);
  cluster.drop_connection_before(ApiKey::produce, 2);
  for (int i = 0; i < 2; ++i) {
    RawClient client(cluster.port(1));
    CHECK(client.send(produce_request("a", 0, batch), 9) > 0);
    CHECK(client.wait_closed());
  }
  CHECK(cluster.record_count() == 0);
  CHECK(cluster.request_count(ApiKey::produce) == 2);
  RawClient client(cluster.port(1));
  auto response = client.call<ProduceResponse>(produce_request("a", 0, batch), 9);
  REQUIRE(response);
  CHECK(only_partition(*response)->error_code == errc::none);
  CHECK(cluster.record_count("a", 0) == 2);
  CHECK(cluster.request_count(ApiKey::produce) == 3);
  CHECK(cluster.request_count(ApiKey::produce, 1) == 3);
  CHECK(cluster.accepted_connections(1) == 3);
}

TEST_CASE("drop_connection_after handles the request, then loses the response") {
  MockCluster cluster(two_topics());
  auto batch = make_batch(2, {5000, 0, 0});
  cluster.drop_connection_after(ApiKey::produce, 1);
  {
    RawClient client(cluster.port(1));
    CHECK(client.send(produce_request("a", 0, batch), 9) > 0);
    CHECK(client.wait_closed());
  }
  CHECK(cluster.record_count("a", 0) == 2);  // written although unanswered
  // The idempotent retry is recognised as a duplicate.
  RawClient client(cluster.port(1));
  auto retry = client.call<ProduceResponse>(produce_request("a", 0, batch), 9);
  REQUIRE(retry);
  CHECK(only_partition(*retry)->error_code == errc::none);
  CHECK(only_partition(*retry)->base_offset == 0);
  CHECK(cluster.record_count("a", 0) == 2);
}

TEST_CASE("delay holds responses or requests") {
  MockCluster cluster(two_topics());
  auto batch = make_batch(1);

  SUBCASE("response mode: appended at once, answered late") {
    cluster.delay(ApiKey::produce, std::chrono::milliseconds(300));
    RawClient client(cluster.port(1));
    const auto start = Clock::now();
    const std::int32_t correlation = client.send(produce_request("a", 0, batch), 9);
    CHECK(cluster.wait_for_records("a", 0, 1, std::chrono::milliseconds(200)));
    CHECK_FALSE(client.receive(std::chrono::milliseconds(50)));  // not yet
    auto response = client.receive_response<ProduceResponse>(ApiKey::produce, 9, correlation);
    REQUIRE(response);
    CHECK(Clock::now() - start >= std::chrono::milliseconds(300));
    // Only one request was delayed.
    const auto second = Clock::now();
    CHECK(client.call<ProduceResponse>(produce_request("a", 0, batch), 9));
    CHECK(Clock::now() - second < std::chrono::milliseconds(250));
  }
  SUBCASE("request mode: nothing appended until the delay ends; later requests wait behind it") {
    cluster.delay(ApiKey::produce, std::chrono::milliseconds(300), 1, DelayMode::request);
    RawClient client(cluster.port(1));
    const auto start = Clock::now();
    const std::int32_t c1 = client.send(produce_request("a", 0, batch), 9);
    const std::int32_t c2 = client.send(InitProducerIdRequest{}, 4);
    CHECK_FALSE(cluster.wait_for_records("a", 0, 1, std::chrono::milliseconds(150)));
    CHECK(client.receive_response<ProduceResponse>(ApiKey::produce, 9, c1));
    CHECK(Clock::now() - start >= std::chrono::milliseconds(300));
    CHECK(client.receive_response<InitProducerIdResponse>(ApiKey::init_producer_id, 4, c2));
    CHECK(cluster.record_count("a", 0) == 1);
  }
  SUBCASE("request mode: a connection closed during the delay drops the request") {
    cluster.delay(ApiKey::produce, std::chrono::milliseconds(200), 1, DelayMode::request);
    {
      RawClient client(cluster.port(1));
      CHECK(client.send(produce_request("a", 0, batch), 9) > 0);
      CHECK(cluster.wait_for_requests(ApiKey::produce, 1, std::chrono::seconds(2)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(cluster.record_count("a", 0) == 0);
  }
}

TEST_CASE("stop_broker refuses connections; start_broker listens on the same port") {
  ClusterConfig config = two_topics();
  config.brokers = 2;
  MockCluster cluster(config);
  const std::uint16_t port = cluster.port(2);
  RawClient before(port);
  REQUIRE(before.connected());
  CHECK(before.call<ApiVersionsResponse>(ApiVersionsRequest{}, 0));

  cluster.stop_broker(2);
  CHECK_FALSE(cluster.broker_running(2));
  CHECK(before.wait_closed());  // existing connections are closed
  RawClient refused(port);
  CHECK_FALSE(refused.connected());
  RawClient other(cluster.port(1));  // broker 1 is unaffected
  CHECK(other.call<ApiVersionsResponse>(ApiVersionsRequest{}, 0));
  cluster.stop_broker(2);  // idempotent

  cluster.start_broker(2);
  cluster.start_broker(2);  // idempotent
  CHECK(cluster.broker_running(2));
  CHECK(cluster.port(2) == port);
  RawClient after(port);
  REQUIRE(after.connected());
  CHECK(after.call<ApiVersionsResponse>(ApiVersionsRequest{}, 0));
  CHECK(cluster.accepted_connections(2) == 2);
}

TEST_CASE("request_count, wait_for_requests and request_log") {
  MockCluster cluster;
  RawClient client(cluster.port(1));
  CHECK(client.call<ApiVersionsResponse>(ApiVersionsRequest{}, 2));
  CHECK(client.call<MetadataResponse>(MetadataRequest{}, 9));
  CHECK(client.call<MetadataResponse>(MetadataRequest{}, 9));
  CHECK(cluster.request_count(ApiKey::api_versions) == 1);
  CHECK(cluster.request_count(ApiKey::metadata) == 2);
  CHECK(cluster.request_count(ApiKey::produce) == 0);
  CHECK(cluster.wait_for_requests(ApiKey::metadata, 2, std::chrono::milliseconds(10)));
  CHECK_FALSE(cluster.wait_for_requests(ApiKey::metadata, 3, std::chrono::milliseconds(10)));
  auto log = cluster.request_log();
  REQUIRE(log.size() == 3);
  CHECK(log[0].api_key == 18);
  CHECK(log[0].api_version == 2);
  CHECK(log[0].client_id == std::optional<std::string>("raw-test"));
  CHECK(log[1].broker_id == 1);
  CHECK(log[2].correlation_id == 3);
}

TEST_CASE("A cluster on the caller's io_context") {
  asio::io_context io;
  ClusterConfig config;
  config.topics = {{"t", 1}};
  auto cluster = std::make_unique<MockCluster>(io, config);
  std::thread runner([&io] {
    auto guard = asio::make_work_guard(io);
    io.run_for(std::chrono::seconds(10));
  });
  {
    RawClient client(cluster->port(1));
    auto batch = make_batch(2);
    auto response = client.call<ProduceResponse>(produce_request("t", 0, batch), 9);
    REQUIRE(response);
    CHECK(only_partition(*response)->error_code == errc::none);
    cluster->stop_broker(1);  // posted to the running io_context
    CHECK(client.wait_closed());
    cluster->start_broker(1);
  }
  CHECK(cluster->record_count("t", 0) == 2);
  cluster.reset();
  io.stop();
  runner.join();
}

TEST_CASE("A cluster on the caller's io_context may outlive the io_context's run()") {
  asio::io_context io;
  auto cluster = std::make_unique<MockCluster>(io);
  std::thread runner([&io] { io.run_for(std::chrono::seconds(10)); });
  {
    RawClient client(cluster->port(1));
    CHECK(client.call<ApiVersionsResponse>(ApiVersionsRequest{}, 3));
  }
  io.stop();
  runner.join();
  cluster->stop_broker(1);  // done directly: nobody runs io any more
  CHECK_FALSE(cluster->broker_running(1));
  cluster.reset();  // must not wait for the stopped io_context
  CHECK(io.stopped());
}

}  // TEST_SUITE
