// The mock speaks the protocol: ApiVersions, Metadata, InitProducerId, and
// closes connections on what Kafka could not parse.
#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>

#include "kwire/mock/cluster.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/metadata.hpp"
#include "raw_client.hpp"

using namespace kwire::mock;
using namespace kwire::mock::test;
using namespace kwire::protocol;
using kwire::errc;

TEST_SUITE("mock_cluster") {

TEST_CASE("ApiVersions advertises the configured ranges at every version, with response header v0") {
  MockCluster cluster;
  for (std::int16_t v = 0; v <= 4; ++v) {
    CAPTURE(v);
    RawClient client(cluster.port(1));
    REQUIRE(client.connected());
    ApiVersionsRequest request;
    if (v >= 3) {
      request.client_software_name = "kwire-test";
      request.client_software_version = "0.1";
    }
    const std::int32_t correlation = client.send(request, v);
    auto frame = client.receive();
    REQUIRE(frame);
    Reader in(*frame);
    ResponseHeader header;
    REQUIRE_FALSE(header.decode(in, 0));  // always v0 (KIP-511)
    CHECK(header.correlation_id == correlation);
    ApiVersionsResponse response;
    REQUIRE_FALSE(decode_message(std::span(*frame).subspan(in.position()), v, response));
    CHECK(response.error_code == errc::none);
    const auto* produce = response.find(ApiKey::produce);
    REQUIRE(produce != nullptr);
    CHECK(produce->min_version == 0);  // as Kafka 4.x advertises it (KAFKA-18659)
    CHECK(produce->max_version == 12);
    const auto* metadata = response.find(ApiKey::metadata);
    REQUIRE(metadata != nullptr);
    CHECK(metadata->max_version == 12);
    const auto* init = response.find(ApiKey::init_producer_id);
    REQUIRE(init != nullptr);
    CHECK(init->max_version == 5);
    REQUIRE(response.find(ApiKey::fetch) != nullptr);
    CHECK(response.find(ApiKey::fetch)->min_version == 4);
    CHECK(response.find(ApiKey::fetch)->max_version == 17);
    // The consumer's APIs (offsets by name: up to v9).
    REQUIRE(response.find(ApiKey::offset_commit) != nullptr);
    CHECK(response.find(ApiKey::offset_commit)->max_version == 9);
    CHECK(response.find(ApiKey::consumer_group_heartbeat) != nullptr);
    CHECK(response.find(ApiKey::alter_configs) == nullptr);
  }
}

TEST_CASE("ApiVersions above the broker's range gets UNSUPPORTED_VERSION in the v0 format (KIP-511)") {
  ClusterConfig config;
  config.api_versions = {{ApiKey::api_versions, 0, 2}, {ApiKey::metadata, 1, 5}, {ApiKey::produce, 3, 7}};
  MockCluster cluster(config);
  RawClient client(cluster.port(1));
  ApiVersionsRequest request;
  request.client_software_name = "kwire";
  request.client_software_version = "1";
  const std::int32_t correlation = client.send(request, 3);
  auto frame = client.receive();
  REQUIRE(frame);
  Reader in(*frame);
  ResponseHeader header;
  REQUIRE_FALSE(header.decode(in, 0));
  CHECK(header.correlation_id == correlation);
  ApiVersionsResponse response;
  std::int16_t decoded_at = -1;
  REQUIRE_FALSE(decode_api_versions_response(std::span(*frame).subspan(in.position()), 3, response, &decoded_at));
  CHECK(decoded_at == 0);
  CHECK(response.error_code == errc::unsupported_version);
  CHECK(response.fallback_version(3) == std::optional<std::int16_t>(2));
  REQUIRE(response.find(ApiKey::produce) != nullptr);
  CHECK(response.find(ApiKey::produce)->max_version == 7);  // the weird configured range
  CHECK(response.find(ApiKey::init_producer_id) == nullptr);

  // The connection stays usable: retry at the fallback version.
  auto retry = client.call<ApiVersionsResponse>(ApiVersionsRequest{}, 2);
  REQUIRE(retry);
  CHECK(retry->error_code == errc::none);
}

TEST_CASE("ApiVersions v3 with an invalid client software name gets INVALID_REQUEST") {
  MockCluster cluster;
  RawClient client(cluster.port(1));
  ApiVersionsRequest request;
  request.client_software_name = "bad name!";
  request.client_software_version = "1";
  auto response = client.call<ApiVersionsResponse>(request, 3);
  REQUIRE(response);
  CHECK(response->error_code == errc::invalid_request);
}

TEST_CASE("Metadata lists brokers and assigns leaders round-robin") {
  ClusterConfig config;
  config.brokers = 3;
  config.topics = {{"orders", 6}};
  MockCluster cluster(config);
  CHECK(cluster.broker_ids() == std::vector<std::int32_t>{1, 2, 3});
  const std::string bootstrap = cluster.bootstrap_servers();
  CHECK(bootstrap == "127.0.0.1:" + std::to_string(cluster.port(1)) + ",127.0.0.1:" +
                         std::to_string(cluster.port(2)) + ",127.0.0.1:" + std::to_string(cluster.port(3)));

  for (std::int16_t v : std::initializer_list<std::int16_t>{0, 1, 4, 7, 9, 12}) {
    CAPTURE(v);
    RawClient client(cluster.port(2));
    MetadataRequest request;
    request.topics = std::vector<MetadataRequest::Topic>{{{}, "orders", {}}};
    auto response = client.call<MetadataResponse>(request, v);
    REQUIRE(response);
    REQUIRE(response->brokers.size() == 3);
    for (const auto& b : response->brokers) {
      CHECK(b.host == "127.0.0.1");
      CHECK(b.port == cluster.port(b.node_id));
    }
    if (v >= 1) CHECK(response->controller_id == 1);
    if (v >= 2) CHECK(response->cluster_id == std::optional<std::string>("kwire-mock-cluster"));
    REQUIRE(response->topics.size() == 1);
    const auto& topic = response->topics[0];
    CHECK(topic.error_code == errc::none);
    CHECK(topic.name == std::optional<std::string>("orders"));
    if (v >= 10) CHECK_FALSE(topic.topic_id.is_zero());
    REQUIRE(topic.partitions.size() == 6);
    std::vector<int> leaders_per_broker(4, 0);
    for (const auto& p : topic.partitions) {
      CHECK(p.leader_id == cluster.leader("orders", p.partition_index));
      CHECK(p.replica_nodes.size() == 3);
      CHECK(p.replica_nodes.front() == p.leader_id);
      ++leaders_per_broker[static_cast<std::size_t>(p.leader_id)];
    }
    CHECK(leaders_per_broker[1] == 2);
    CHECK(leaders_per_broker[2] == 2);
    CHECK(leaders_per_broker[3] == 2);
  }
}

TEST_CASE("Metadata auto-creates topics only when allowed") {
  ClusterConfig config;
  config.default_partitions = 4;
  MockCluster cluster(config);
  RawClient client(cluster.port(1));

  MetadataRequest no_create;
  no_create.topics = std::vector<MetadataRequest::Topic>{{{}, "fresh", {}}};
  no_create.allow_auto_topic_creation = false;
  auto refused = client.call<MetadataResponse>(no_create, 12);
  REQUIRE(refused);
  REQUIRE(refused->topics.size() == 1);
  CHECK(refused->topics[0].error_code == errc::unknown_topic_or_partition);
  CHECK(cluster.topics().empty());

  MetadataRequest create = no_create;
  create.allow_auto_topic_creation = true;
  auto created = client.call<MetadataResponse>(create, 12);
  REQUIRE(created);
  REQUIRE(created->topics.size() == 1);
  CHECK(created->topics[0].error_code == errc::none);
  CHECK(created->topics[0].partitions.size() == 4);
  CHECK(cluster.topics() == std::map<std::string, std::int32_t>{{"fresh", 4}});

  // By id (v12): the id from the answer finds the topic again.
  MetadataRequest by_id;
  by_id.topics = std::vector<MetadataRequest::Topic>{{created->topics[0].topic_id, std::nullopt, {}}};
  auto found = client.call<MetadataResponse>(by_id, 12);
  REQUIRE(found);
  REQUIRE(found->topics.size() == 1);
  CHECK(found->topics[0].name == std::optional<std::string>("fresh"));

  MetadataRequest invalid;
  invalid.topics = std::vector<MetadataRequest::Topic>{{{}, "bad/name", {}}};
  auto rejected = client.call<MetadataResponse>(invalid, 12);
  REQUIRE(rejected);
  CHECK(rejected->topics[0].error_code == errc::invalid_topic_exception);

  // All topics (null array).
  auto all = client.call<MetadataResponse>(MetadataRequest{}, 12);
  REQUIRE(all);
  CHECK(all->topics.size() == 1);
}

TEST_CASE("Metadata without auto-creation in the broker config") {
  ClusterConfig config;
  config.auto_create_topics = false;
  MockCluster cluster(config);
  RawClient client(cluster.port(1));
  MetadataRequest request;
  request.topics = std::vector<MetadataRequest::Topic>{{{}, "nope", {}}};
  auto response = client.call<MetadataResponse>(request, 1);  // v1: creation implied by the version
  REQUIRE(response);
  CHECK(response->topics[0].error_code == errc::unknown_topic_or_partition);
}

TEST_CASE("InitProducerId allocates a fresh id at epoch 0 for idempotent producers, as Kafka does") {
  MockCluster cluster;
  RawClient client(cluster.port(1));
  std::int64_t previous = -1;
  for (std::int16_t v = 0; v <= 5; ++v) {
    CAPTURE(v);
    auto response = client.call<InitProducerIdResponse>(InitProducerIdRequest{}, v);
    REQUIRE(response);
    CHECK(response->error_code == errc::none);
    CHECK(response->producer_id >= 1000);
    CHECK(response->producer_id > previous);
    CHECK(response->producer_epoch == 0);
    previous = response->producer_id;
  }
  // v3+ with the current id/epoch: Kafka still hands out a new id.
  InitProducerIdRequest bump;
  bump.producer_id = previous;
  bump.producer_epoch = 0;
  auto response = client.call<InitProducerIdResponse>(bump, 4);
  REQUIRE(response);
  CHECK(response->producer_id == previous + 1);
  CHECK(response->producer_epoch == 0);
}

TEST_CASE("InitProducerId epoch bumps: idempotent_epoch_bump and transactional ids") {
  ClusterConfig config;
  config.idempotent_epoch_bump = true;
  MockCluster cluster(config);
  RawClient client(cluster.port(1));
  auto first = client.call<InitProducerIdResponse>(InitProducerIdRequest{}, 5);
  REQUIRE(first);
  InitProducerIdRequest bump;
  bump.producer_id = first->producer_id;
  bump.producer_epoch = first->producer_epoch;
  auto bumped = client.call<InitProducerIdResponse>(bump, 5);
  REQUIRE(bumped);
  CHECK(bumped->error_code == errc::none);
  CHECK(bumped->producer_id == first->producer_id);
  CHECK(bumped->producer_epoch == 1);
  // The old epoch is now fenced.
  auto stale = client.call<InitProducerIdResponse>(bump, 5);
  REQUIRE(stale);
  CHECK(stale->error_code == errc::producer_fenced);
  auto stale_v3 = client.call<InitProducerIdResponse>(bump, 3);
  REQUIRE(stale_v3);
  CHECK(stale_v3->error_code == errc::invalid_producer_epoch);  // pre-KIP-588 clients

  InitProducerIdRequest txn;
  txn.transactional_id = "tx-1";
  txn.transaction_timeout_ms = 60000;
  auto t1 = client.call<InitProducerIdResponse>(txn, 4);
  auto t2 = client.call<InitProducerIdResponse>(txn, 4);
  REQUIRE(t1);
  REQUIRE(t2);
  CHECK(t1->producer_id == t2->producer_id);
  CHECK(t2->producer_epoch == t1->producer_epoch + 1);
}

TEST_CASE("Requests Kafka could not parse close the connection") {
  ClusterConfig config;
  config.max_frame_bytes = 1024;
  MockCluster cluster(config);

  SUBCASE("an API the mock does not implement") {
    RawClient client(cluster.port(1));
    // Fetch v4 (advertised for librdkafka, not implemented): header + 4 bytes.
    const std::vector<std::uint8_t> frame{0, 0, 0, 14, 0, 1, 0, 4, 0, 0, 0, 7, 0xff, 0xff, 0, 2, 'g', '1'};
    REQUIRE(client.send_raw(frame));
    CHECK(client.wait_closed());
  }
  SUBCASE("a version outside the advertised range") {
    RawClient client(cluster.port(1));
    CHECK(client.send(MetadataRequest{}, 13) > 0);
    CHECK(client.wait_closed());
  }
  SUBCASE("Produce v2, advertised but rejected as by Kafka 4.x") {
    RawClient client(cluster.port(1));
    // Produce v2 header; the body does not matter.
    const std::vector<std::uint8_t> frame{0, 0, 0, 12, 0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff, 0, 1};
    REQUIRE(client.send_raw(frame));
    CHECK(client.wait_closed());
  }
  SUBCASE("a truncated body") {
    RawClient client(cluster.port(1));
    // InitProducerId v0 header, then only 2 of the 6 body bytes.
    const std::vector<std::uint8_t> frame{0, 0, 0, 12, 0, 22, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff};
    REQUIRE(client.send_raw(frame));
    CHECK(client.wait_closed());
  }
  SUBCASE("a frame larger than the maximum") {
    RawClient client(cluster.port(1));
    const std::vector<std::uint8_t> frame{0, 0x10, 0, 0};
    REQUIRE(client.send_raw(frame));
    CHECK(client.wait_closed());
  }
  SUBCASE("a negative frame size") {
    RawClient client(cluster.port(1));
    const std::vector<std::uint8_t> frame{0xff, 0xff, 0xff, 0xfe};
    REQUIRE(client.send_raw(frame));
    CHECK(client.wait_closed());
  }
  // The broker keeps serving other connections.
  RawClient healthy(cluster.port(1));
  CHECK(healthy.call<ApiVersionsResponse>(ApiVersionsRequest{}, 0));
}

TEST_CASE("A request split across many writes is reassembled") {
  MockCluster cluster;
  RawClient client(cluster.port(1));
  std::vector<std::uint8_t> frame(4);
  Writer writer(frame);
  RequestHeader header;
  header.api_key = ApiKey::metadata;
  header.api_version = 12;
  header.correlation_id = 77;
  header.client_id = "split";
  header.encode(writer);
  MetadataRequest request;
  request.topics = std::vector<MetadataRequest::Topic>{{{}, "t", {}}};
  REQUIRE_FALSE(encode_message(request, 12, frame));
  writer.patch_int32(0, static_cast<std::int32_t>(frame.size() - 4));
  // Two requests back to back, sent one byte at a time.
  std::vector<std::uint8_t> twice = frame;
  twice.insert(twice.end(), frame.begin(), frame.end());
  for (std::uint8_t b : twice) REQUIRE(client.send_raw(std::span(&b, 1)));
  auto first = client.receive_response<MetadataResponse>(ApiKey::metadata, 12, 77);
  auto second = client.receive_response<MetadataResponse>(ApiKey::metadata, 12, 77);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->topics.size() == 1);
  CHECK(cluster.request_count(ApiKey::metadata) == 2);
}

}  // TEST_SUITE
