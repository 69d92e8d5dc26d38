// admin::translate for topics, the cluster and configs: requests built from
// options, and per-item results from made-up responses (one failed item
// never fails the others).
#include <doctest/doctest.h>

#include "kwire/admin/translate.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace kwire::admin;
using kwire::errc;
namespace protocol = kwire::protocol;

TEST_CASE("create_topics_request carries partitions, replication factor, configs and validate_only") {
  const std::vector<NewTopic> topics = {{"a", 3, 2, {{"retention.ms", "1000"}, {"cleanup.policy", "compact"}}},
                                        {"b", -1, -1, {}}};
  const auto request = translate::create_topics_request(topics, {.validate_only = true, .timeout_ms = 1234});
  REQUIRE(request.topics.size() == 2);
  CHECK(request.validate_only);
  CHECK(request.timeout_ms == 1234);
  CHECK(request.topics[0].name == "a");
  CHECK(request.topics[0].num_partitions == 3);
  CHECK(request.topics[0].replication_factor == 2);
  REQUIRE(request.topics[0].configs.size() == 2);
  CHECK(request.topics[0].configs[0].name == "cleanup.policy");  // map order
  CHECK(request.topics[0].configs[1].value == std::optional<std::string>("1000"));
  CHECK(request.topics[1].num_partitions == -1);  // the broker's default (KIP-464)
  CHECK(request.topics[1].replication_factor == -1);
  CHECK(request.topics[1].assignments.empty());
}

TEST_CASE("create_topics_results: per topic, in request order, with the broker's message") {
  protocol::CreateTopicsResponse response;
  auto& exists = response.topics.emplace_back();
  exists.name = "b";
  exists.error_code = errc::topic_already_exists;
  exists.error_message = "Topic 'b' already exists.";
  auto& made = response.topics.emplace_back();
  made.name = "a";
  made.num_partitions = 3;
  made.replication_factor = 1;
  made.topic_id.bytes[0] = 7;
  const auto results = translate::create_topics_results(response, {{"a", 3, 1, {}}, {"b", 1, 1, {}}, {"c", 1, 1, {}}});
  REQUIRE(results.size() == 3);
  CHECK(results[0].name == "a");
  CHECK(results[0].error.ok());
  CHECK(results[0].partitions == 3);
  CHECK(results[0].topic_id.bytes[0] == 7);
  CHECK(results[1].error.error == errc::topic_already_exists);
  CHECK(results[1].error.detail == "Topic 'b' already exists.");
  CHECK(results[1].error.message() == "TOPIC_ALREADY_EXISTS: Topic 'b' already exists.");
  // Left out of the answer: an error of its own, not silence.
  CHECK(results[2].error.error == kwire::client_errc::malformed);
  CHECK(results[2].error.detail.find("c") != std::string::npos);
}

TEST_CASE("delete_topics: by name, per-item errors") {
  const auto request = translate::delete_topics_request({"x", "y"}, 500);
  REQUIRE(request.topics.size() == 2);
  CHECK(request.topics[1].name == std::optional<std::string>("y"));
  CHECK(request.topics[1].topic_id.is_zero());
  CHECK(request.timeout_ms == 500);

  protocol::DeleteTopicsResponse response;
  response.responses.push_back({"x", {}, errc::none, std::nullopt, {}});
  response.responses.push_back({"y", {}, errc::unknown_topic_or_partition, "This server does not host this topic-partition.", {}});
  const auto results = translate::delete_topics_results(response, {"x", "y"});
  CHECK(results[0].error.ok());
  CHECK(results[1].error.error == errc::unknown_topic_or_partition);
  CHECK(results[1].error.message().starts_with("UNKNOWN_TOPIC_OR_PARTITION: "));
}

TEST_CASE("create_partitions: the new total, per-item errors") {
  const auto request = translate::create_partitions_request({{"t", 6}}, {.validate_only = false, .timeout_ms = 10});
  REQUIRE(request.topics.size() == 1);
  CHECK(request.topics[0].count == 6);
  CHECK(!request.topics[0].assignments);
  protocol::CreatePartitionsResponse response;
  response.results.push_back({"t", errc::invalid_partitions, "Topic currently has 6 partitions", {}});
  const auto results = translate::create_partitions_results(response, {{"t", 6}});
  CHECK(results[0].error.error == errc::invalid_partitions);
}

TEST_CASE("metadata_request never auto-creates; empty names means every topic") {
  CHECK(!translate::metadata_request({}).topics);
  const auto named = translate::metadata_request({"a"});
  REQUIRE(named.topics);
  CHECK(named.topics->at(0).name == std::optional<std::string>("a"));
  CHECK(!named.allow_auto_topic_creation);
  CHECK(!translate::metadata_request({}).allow_auto_topic_creation);
}

TEST_CASE("topic_descriptions sorts topics and partitions and hides internal topics unless asked") {
  protocol::MetadataResponse response;
  auto& b = response.topics.emplace_back();
  b.name = "b";
  b.partitions.push_back({errc::none, 1, 2, 5, {2, 1}, {2}, {1}, {}});
  b.partitions.push_back({errc::leader_not_available, 0, -1, -1, {1}, {}, {}, {}});
  auto& internal = response.topics.emplace_back();
  internal.name = "__consumer_offsets";
  internal.is_internal = true;
  auto& a = response.topics.emplace_back();
  a.name = "a";
  a.error_code = errc::unknown_topic_or_partition;

  const auto visible = translate::topic_descriptions(response, false);
  REQUIRE(visible.size() == 2);
  CHECK(visible[0].name == "a");
  CHECK(visible[0].error.error == errc::unknown_topic_or_partition);
  CHECK(visible[1].name == "b");
  REQUIRE(visible[1].partitions.size() == 2);
  CHECK(visible[1].partitions[0].partition == 0);
  CHECK(visible[1].partitions[0].error.error == errc::leader_not_available);
  CHECK(visible[1].partitions[1].leader == 2);
  CHECK(visible[1].partitions[1].leader_epoch == 5);
  CHECK(visible[1].partitions[1].replicas == std::vector<std::int32_t>{2, 1});
  CHECK(visible[1].partitions[1].isr == std::vector<std::int32_t>{2});
  CHECK(visible[1].partitions[1].offline_replicas == std::vector<std::int32_t>{1});
  CHECK(translate::topic_descriptions(response, true).size() == 3);
}

TEST_CASE("cluster_description from DescribeCluster and from Metadata") {
  protocol::DescribeClusterResponse dc;
  dc.cluster_id = "abc";
  dc.controller_id = 2;
  dc.brokers.push_back({3, "h3", 9095, std::nullopt, true, {}});
  dc.brokers.push_back({1, "h1", 9093, "r1", false, {}});
  const auto cluster = translate::cluster_description(dc);
  CHECK(cluster.cluster_id == "abc");
  CHECK(cluster.controller_id == 2);
  REQUIRE(cluster.brokers.size() == 2);
  CHECK(cluster.brokers[0].id == 1);
  CHECK(cluster.brokers[0].rack == std::optional<std::string>("r1"));
  CHECK(cluster.brokers[1].fenced);

  protocol::MetadataResponse md;
  md.cluster_id = "xyz";
  md.controller_id = 1;
  md.brokers.push_back({1, "h", 9092, std::nullopt, {}});
  const auto from_md = translate::cluster_description(md);
  CHECK(from_md.cluster_id == "xyz");
  CHECK(from_md.brokers.at(0).port == 9092);
}

TEST_CASE("describe_configs: keys, sources, v0's is_default, per-resource errors") {
  const auto request = translate::describe_configs_request(
      {{ConfigResourceType::topic, "t"}, {ConfigResourceType::broker, "1"}}, {"retention.ms"});
  REQUIRE(request.resources.size() == 2);
  CHECK(request.resources[1].resource_type == ConfigResourceType::broker);
  CHECK(request.resources[0].configuration_keys == std::optional<std::vector<std::string>>({"retention.ms"}));
  CHECK(!translate::describe_configs_request({{ConfigResourceType::topic, "t"}}, {}).resources[0].configuration_keys);

  protocol::DescribeConfigsResponse response;
  auto& ok = response.results.emplace_back();
  ok.resource_type = ConfigResourceType::topic;
  ok.resource_name = "t";
  auto& set = ok.configs.emplace_back();
  set.name = "retention.ms";
  set.value = "1000";
  set.config_source = ConfigSource::dynamic_topic_config;
  auto& v0_default = ok.configs.emplace_back();
  v0_default.name = "segment.bytes";
  v0_default.is_default = true;  // a v0 answer: no source
  auto& secret = ok.configs.emplace_back();
  secret.name = "ssl.key.password";
  secret.is_sensitive = true;
  secret.config_source = ConfigSource::static_broker_config;
  auto& bad = response.results.emplace_back();
  bad.resource_type = ConfigResourceType::topic;
  bad.resource_name = "missing";
  bad.error_code = errc::unknown_topic_or_partition;
  bad.error_message = "Topic 'missing' does not exist.";

  const auto described = translate::config_descriptions(response);
  REQUIRE(described.size() == 2);
  REQUIRE(described[0].entries.size() == 3);
  CHECK(described[0].entries[0].source == ConfigSource::dynamic_topic_config);
  CHECK(!described[0].entries[0].is_default);
  CHECK(described[0].entries[1].is_default);
  CHECK(described[0].entries[1].source == ConfigSource::default_config);
  CHECK(described[0].entries[2].sensitive);
  CHECK(!described[0].entries[2].value);
  CHECK(described[1].error.error == errc::unknown_topic_or_partition);
  CHECK(described[1].error.detail == "Topic 'missing' does not exist.");
}

TEST_CASE("alter_configs: operations, removal without a value, per-resource results") {
  const std::vector<ResourceChanges> changes = {
      {{ConfigResourceType::topic, "t"},
       {{"retention.ms", ConfigOperation::set, "5"}, {"cleanup.policy", ConfigOperation::remove, "ignored"}}}};
  const auto request = translate::alter_configs_request(changes, true);
  CHECK(request.validate_only);
  REQUIRE(request.resources.at(0).configs.size() == 2);
  CHECK(request.resources[0].configs[0].value == std::optional<std::string>("5"));
  CHECK(request.resources[0].configs[1].config_operation == ConfigOperation::remove);
  CHECK(!request.resources[0].configs[1].value);  // DELETE carries no value

  protocol::IncrementalAlterConfigsResponse response;
  response.responses.push_back({errc::invalid_config, "Invalid value x for configuration retention.ms",
                                ConfigResourceType::topic, "t", {}});
  const auto results = translate::alter_configs_results(response);
  REQUIRE(results.size() == 1);
  CHECK(results[0].resource == ConfigResource{ConfigResourceType::topic, "t"});
  CHECK(results[0].error.error == errc::invalid_config);
  CHECK(results[0].error.message() == "INVALID_CONFIG: Invalid value x for configuration retention.ms");
}

TEST_CASE("parse_config_change: set, remove, append, subtract") {
  auto set = translate::parse_config_change("retention.ms=100");
  CHECK(set.operation == ConfigOperation::set);
  CHECK(set.name == "retention.ms");
  CHECK(set.value == std::optional<std::string>("100"));
  auto with_equals = translate::parse_config_change("a=b=c");
  CHECK(with_equals.value == std::optional<std::string>("b=c"));
  CHECK(translate::parse_config_change("retention.ms").operation == ConfigOperation::remove);
  auto append = translate::parse_config_change("cleanup.policy+=compact");
  CHECK(append.operation == ConfigOperation::append);
  CHECK(append.name == "cleanup.policy");
  CHECK(translate::parse_config_change("cleanup.policy-=delete").operation == ConfigOperation::subtract);
  CHECK_THROWS_AS(translate::parse_config_change("=x"), std::invalid_argument);
}

TEST_CASE("ItemError::message: empty when ok, client errors by their text") {
  CHECK(ItemError{}.message().empty());
  const ItemError timeout{make_error_code(kwire::client_errc::timed_out), "CreateTopics"};
  CHECK(timeout.message().find("CreateTopics") != std::string::npos);
  CHECK(timeout.message().size() > std::string("CreateTopics").size());
}

TEST_CASE("delete_records: grouped by topic, per-partition low watermarks and errors") {
  const std::vector<PartitionOffset> before = {{{"a", 0}, 10, {}}, {{"b", 1}, -1, {}}, {{"a", 2}, 5, {}}};
  const auto request = translate::delete_records_request(before, 700);
  CHECK(request.timeout_ms == 700);
  REQUIRE(request.topics.size() == 2);
  REQUIRE(request.topics[0].partitions.size() == 2);
  CHECK(request.topics[0].partitions[1].partition_index == 2);
  CHECK(request.topics[0].partitions[1].offset == 5);
  CHECK(request.topics[1].partitions[0].offset == protocol::DeleteRecordsRequest::high_watermark);

  protocol::DeleteRecordsResponse response;
  response.topics.push_back({"a", {{0, 10, errc::none, {}}, {2, -1, errc::offset_out_of_range, {}}}, {}});
  const auto results = translate::delete_records_results(response, before);
  REQUIRE(results.size() == 3);
  CHECK(results[0].error.ok());
  CHECK(results[0].offset == 10);
  CHECK(results[1].error.error == kwire::client_errc::malformed);  // b-1 not in the answer
  CHECK(results[2].error.error == errc::offset_out_of_range);
}

TEST_CASE("SCRAM users: mechanisms and iterations per user; a request-level error reaches every user") {
  CHECK(!translate::describe_scram_request({}).users);
  REQUIRE(translate::describe_scram_request({"alice"}).users->size() == 1);

  protocol::DescribeUserScramCredentialsResponse response;
  response.results.push_back({"zed", errc::resource_not_found, "no credentials", {}, {}});
  response.results.push_back(
      {"alice", errc::none, std::nullopt, {{protocol::ScramMechanism::sha_512, 8192, {}}, {protocol::ScramMechanism::sha_256, 4096, {}}}, {}});
  const auto users = translate::scram_descriptions(response, {});
  REQUIRE(users.size() == 2);
  CHECK(users[0].user == "alice");
  REQUIRE(users[0].credentials.size() == 2);
  CHECK(users[0].credentials[0].mechanism == "SCRAM-SHA-512");
  CHECK(users[0].credentials[0].iterations == 8192);
  CHECK(users[1].error.error == errc::resource_not_found);

  protocol::DescribeUserScramCredentialsResponse refused;
  refused.error_code = errc::cluster_authorization_failed;
  const auto denied = translate::scram_descriptions(refused, {"a", "b"});
  REQUIRE(denied.size() == 2);
  CHECK(denied[1].user == "b");
  CHECK(denied[1].error.error == errc::cluster_authorization_failed);
}

TEST_CASE("SCRAM alterations: mechanism names (any case) and per-user results with the broker's message") {
  CHECK(translate::scram_mechanism("SCRAM-SHA-256") == protocol::ScramMechanism::sha_256);
  CHECK(translate::scram_mechanism("scram-sha-512") == protocol::ScramMechanism::sha_512);
  CHECK(translate::scram_mechanism("SCRAM-MD5") == protocol::ScramMechanism::unknown);
  CHECK(translate::scram_mechanism("") == protocol::ScramMechanism::unknown);

  protocol::AlterUserScramCredentialsResponse response;
  response.results.push_back({"alice", errc::none, std::nullopt, {}});
  response.results.push_back({"bob", errc::resource_not_found, "no SCRAM-SHA-512 credential", {}});
  const auto results = translate::scram_alteration_results(response);
  REQUIRE(results.size() == 2);
  CHECK(results[0].user == "alice");
  CHECK(results[0].error.ok());
  CHECK(results[1].error.error == errc::resource_not_found);
  CHECK(results[1].error.message().find("no SCRAM-SHA-512 credential") != std::string::npos);
}
