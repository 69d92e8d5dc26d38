// The foundation round trip against a real Apache Kafka broker: version
// negotiation, ApiVersions and Metadata at every version both sides
// support, and the CLI's tables and JSON.
#include <doctest/doctest.h>

#include <chrono>

#include <kwire/net/blocking_client.hpp>
#include <kwire/protocol/api_versions.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/metadata.hpp>

#include "support.hpp"

using namespace kwire;
using namespace kwire::protocol;
using kwire::test::broker_env;

namespace {

std::vector<net::ConnectionOptions> bootstrap_candidates() {
  std::vector<net::ConnectionOptions> out;
  std::string list = broker_env().bootstrap();
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    std::string address = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    auto colon = address.rfind(':');
    net::ConnectionOptions options;
    options.host = address.substr(0, colon);
    options.port = static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
    options.client_id = "kwire-integration";
    out.push_back(options);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

net::BlockingClient connect_to_broker() {
  net::BlockingClient client(bootstrap_candidates(), std::chrono::seconds(30));
  auto ec = client.connect();
  REQUIRE_MESSAGE(!ec, "connect: " << ec.message());
  return client;
}

}  // namespace

TEST_CASE("negotiates ApiVersions v3+ and sensible versions for every API kwire speaks") {
  auto client = connect_to_broker();
  auto& conn = client.connection();
  CHECK(conn.api_versions_version() >= 3);
  const auto& broker = conn.broker_versions();
  CHECK(broker.error_code == errc::none);
  CHECK(broker.api_keys.size() > 20);

  auto produce = conn.negotiated_version(ApiKey::produce);
  REQUIRE(produce.has_value());
  CHECK(*produce >= 9);  // every supported broker (3.9+) offers flexible Produce
  const auto* broker_produce = broker.find(ApiKey::produce);
  REQUIRE(broker_produce != nullptr);
  CHECK(*produce == std::min<std::int16_t>(broker_produce->max_version, find_support(ApiKey::produce)->max_version));

  auto metadata = conn.negotiated_version(ApiKey::metadata);
  REQUIRE(metadata.has_value());
  CHECK(*metadata >= 12);
}

TEST_CASE("ApiVersions answers at every version 0..4") {
  auto client = connect_to_broker();
  for (std::int16_t v = 0; v <= ApiVersionsRequest::max_version; ++v) {
    CAPTURE(v);
    ApiVersionsRequest request;
    if (v >= 3) {
      request.client_software_name = "kwire";
      request.client_software_version = "0.1.0";
    }
    ApiVersionsResponse response;
    std::int16_t used = -1;
    auto ec = client.request(request, response, used, v);
    REQUIRE_MESSAGE(!ec, ec.message());
    CHECK(used == v);
    CHECK(response.error_code == errc::none);
    const auto* md = response.find(ApiKey::metadata);
    REQUIRE(md != nullptr);
    CHECK(md->max_version >= 12);
  }
}

TEST_CASE("Metadata at every version the broker and kwire share describes the broker and a 3-partition topic") {
  std::string topic = test::unique_topic("kwire-md");
  test::create_topic(topic, 3);

  auto client = connect_to_broker();
  const auto* range = client.connection().broker_versions().find(ApiKey::metadata);
  REQUIRE(range != nullptr);
  std::int16_t high = std::min<std::int16_t>(range->max_version, MetadataRequest::max_version);
  for (std::int16_t v = std::max<std::int16_t>(range->min_version, MetadataRequest::min_version); v <= high; ++v) {
    CAPTURE(v);
    MetadataRequest request;
    request.topics.emplace();
    request.topics->push_back({.topic_id = {}, .name = topic, .unknown_tags = {}});
    if (v >= 4) request.allow_auto_topic_creation = false;
    MetadataResponse response;
    std::int16_t used = -1;
    auto ec = client.request(request, response, used, v);
    REQUIRE_MESSAGE(!ec, ec.message());
    CHECK(used == v);
    REQUIRE(!response.brokers.empty());
    bool found_bootstrap = false;
    for (const auto& b : response.brokers)
      found_bootstrap |= (b.host + ":" + std::to_string(b.port)) == broker_env().bootstrap().substr(0, broker_env().bootstrap().find(','));
    CHECK(found_bootstrap);
    if (v >= 2) CHECK(response.cluster_id.has_value());
    REQUIRE(response.topics.size() == 1);
    const auto& t = response.topics[0];
    CHECK(t.error_code == errc::none);
    CHECK(t.name == topic);
    if (v >= 10) CHECK_FALSE(t.topic_id.is_zero());
    REQUIRE(t.partitions.size() == 3);
    for (const auto& p : t.partitions) {
      CHECK(p.error_code == errc::none);
      CHECK(p.leader_id >= 0);
      CHECK_FALSE(p.replica_nodes.empty());
      CHECK_FALSE(p.isr_nodes.empty());
      if (v >= 7) CHECK(p.leader_epoch >= 0);
    }
  }
}

TEST_CASE("Metadata for a missing topic without auto-creation says UNKNOWN_TOPIC_OR_PARTITION") {
  auto client = connect_to_broker();
  MetadataRequest request;
  request.topics.emplace();
  request.topics->push_back({.topic_id = {}, .name = test::unique_topic("kwire-missing"), .unknown_tags = {}});
  request.allow_auto_topic_creation = false;
  MetadataResponse response;
  std::int16_t used = -1;
  REQUIRE(!client.request(request, response, used));
  REQUIRE(response.topics.size() == 1);
  CHECK(response.topics[0].error_code == errc::unknown_topic_or_partition);
}

TEST_CASE("kwire api-versions and kwire metadata print tables and JSON") {
  std::string topic = test::unique_topic("kwire-cli-md");
  test::create_topic(topic, 3);
  std::string cli = test::shell_quote(test::kwire_cli());
  std::string bootstrap = test::shell_quote(broker_env().bootstrap());

  auto table = test::run_command(cli + " api-versions -b " + bootstrap);
  CHECK(table.exit_code == 0);
  CHECK(table.output.find("Produce") != std::string::npos);
  CHECK(table.output.find("Metadata") != std::string::npos);

  auto json = test::run_command(cli + " api-versions --json -b " + bootstrap);
  CHECK(json.exit_code == 0);
  CHECK(json.output.find("\"name\":\"Produce\"") != std::string::npos);
  CHECK(json.output.find("\"chosen\":") != std::string::npos);

  auto md = test::run_command(cli + " metadata -b " + bootstrap + " " + test::shell_quote(topic));
  CHECK(md.exit_code == 0);
  CHECK(md.output.find("topic \"" + topic + "\" with 3 partitions") != std::string::npos);
  CHECK(md.output.find("broker 1 at 127.0.0.1:") != std::string::npos);

  auto md_json = test::run_command(cli + " metadata --json -b " + bootstrap + " " + test::shell_quote(topic));
  CHECK(md_json.exit_code == 0);
  CHECK(md_json.output.find("\"name\":\"" + topic + "\"") != std::string::npos);
  CHECK(md_json.output.find("\"partition\":2") != std::string::npos);

  auto missing = test::run_command(cli + " metadata -b " + bootstrap + " " + test::shell_quote(test::unique_topic("nope")));
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("UNKNOWN_TOPIC_OR_PARTITION") != std::string::npos);

  auto unreachable = test::run_command(cli + " api-versions -b 127.0.0.1:1 2>&1");
  CHECK(unreachable.exit_code == 1);
  CHECK(unreachable.output.find("cannot reach") != std::string::npos);

  auto bad_config = test::run_command(cli + " metadata -b " + bootstrap + " -X no.such.key=1 2>&1");
  CHECK(bad_config.exit_code == 2);
  CHECK(bad_config.output.find("no.such.key") != std::string::npos);
}
