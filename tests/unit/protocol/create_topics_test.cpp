// CreateTopics codec tests. Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden; 3.9's kafka-clients for v0, which 4.x dropped).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/create_topics.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

CreateTopicsRequest sample_request(std::int16_t version) {
  const bool flex = version >= 5;
  CreateTopicsRequest r;
  r.topics.reserve(2);
  auto& t = r.topics.emplace_back();
  t.name = "orders";
  t.num_partitions = -1;
  t.replication_factor = -1;
  t.assignments.push_back({0, {1, 2}, flex ? TaggedFields{{4, {1}}} : TaggedFields{}});
  t.assignments.push_back({1, {2, 3}, {}});
  t.configs.push_back({"cleanup.policy", std::string("compact"), {}});
  t.configs.push_back({"retention.ms", std::nullopt, flex ? TaggedFields{{0, {}}} : TaggedFields{}});
  auto& u = r.topics.emplace_back();
  u.name = "defaults";
  if (flex) u.unknown_tags = {{7, {7, 7}}};
  r.timeout_ms = 1234;
  r.validate_only = version >= 1;
  if (flex) r.unknown_tags = {{9, {}}};
  return r;
}

CreateTopicsResponse sample_response(std::int16_t version) {
  CreateTopicsResponse r;
  if (version >= 2) r.throttle_time_ms = 17;
  r.topics.reserve(2);
  auto& ok = r.topics.emplace_back();
  ok.name = "orders";
  if (version >= 7) ok.topic_id = counting_uuid();
  if (version >= 5) {
    ok.num_partitions = 3;
    ok.replication_factor = 1;
    ok.configs->push_back({"cleanup.policy", std::string("compact"), false, 1, false, {}});
    ok.configs->push_back({"sasl.jaas.config", std::nullopt, true, 5, true, {{2, {0}}}});
    ok.unknown_tags = {{3, {1, 2}}};
  }
  auto& bad = r.topics.emplace_back();
  bad.name = "bad";
  bad.error_code = errc::topic_already_exists;
  if (version >= 1) bad.error_message = "Topic 'bad' already exists.";
  if (version >= 5) {
    bad.topic_config_error_code = errc::cluster_authorization_failed;
    bad.configs.reset();
  }
  return r;
}

}  // namespace

TEST_CASE("CreateTopics codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::create_topics);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == CreateTopicsRequest::min_version);
  CHECK(s->max_version == CreateTopicsRequest::max_version);
  CHECK(s->first_flexible_version == CreateTopicsRequest::first_flexible_version);
  CHECK(CreateTopicsResponse::max_version == CreateTopicsRequest::max_version);
  CHECK(CreateTopicsResponse::first_flexible_version == CreateTopicsRequest::first_flexible_version);
}

TEST_CASE("CreateTopics round trips at every version") {
  for (std::int16_t v = CreateTopicsRequest::min_version; v <= CreateTopicsRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(CreateTopicsRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(CreateTopicsResponse{}, v);
  }
}

TEST_CASE("CreateTopics golden vectors") {
  SUBCASE("request v0 (first): manual assignment, a null config value") {
    CreateTopicsRequest r;
    auto& t = r.topics.emplace_back();
    t.name = "orders";
    t.num_partitions = -1;
    t.replication_factor = -1;
    t.assignments.push_back({0, {1, 2}, {}});
    t.configs.push_back({"cleanup.policy", std::string("compact"), {}});
    t.configs.push_back({"retention.ms", std::nullopt, {}});
    r.timeout_ms = 30000;
    // KWIRE_GOLDEN_KAFKA=3.9.x tests/golden/kafka-golden encode CreateTopicsRequest 0 '{"topics":[{"name":"orders","numPartitions":-1,"replicationFactor":-1,"assignments":[{"partitionIndex":0,"brokerIds":[1,2]}],"configs":[{"name":"cleanup.policy","value":"compact"},{"name":"retention.ms","value":null}]}],"timeoutMs":30000}'
    check_golden(r, 0,
                 "0000000100066f7264657273ffffffffffff000000010000000000000002000000010000000200000002000e636c65616e75702e"
                 "706f6c6963790007636f6d70616374000c726574656e74696f6e2e6d73ffff00007530");
  }
  SUBCASE("request v5 (first flexible) and v7 (last): validate only") {
    CreateTopicsRequest r;
    auto& t = r.topics.emplace_back();
    t.name = "orders";
    t.num_partitions = 3;
    t.replication_factor = 1;
    t.configs.push_back({"cleanup.policy", std::string("compact"), {}});
    r.timeout_ms = 30000;
    r.validate_only = true;
    // tests/golden/kafka-golden encode CreateTopicsRequest 5 '{"topics":[{"name":"orders","numPartitions":3,"replicationFactor":1,"assignments":[],"configs":[{"name":"cleanup.policy","value":"compact"}]}],"timeoutMs":30000,"validateOnly":true}'
    check_golden(r, 5, "02076f726465727300000003000101020f636c65616e75702e706f6c69637908636f6d706163740000000075300100");
    // tests/golden/kafka-golden encode CreateTopicsRequest 7 (the same JSON)
    check_golden(r, 7, "02076f726465727300000003000101020f636c65616e75702e706f6c69637908636f6d706163740000000075300100");
  }
  SUBCASE("response v0 (first)") {
    CreateTopicsResponse r;
    r.topics.push_back({});
    r.topics[0].name = "orders";
    r.topics[0].error_code = errc::topic_already_exists;
    // KWIRE_GOLDEN_KAFKA=3.9.x tests/golden/kafka-golden encode CreateTopicsResponse 0 '{"topics":[{"name":"orders","errorCode":36}]}'
    check_golden(r, 0, "0000000100066f72646572730024");
  }
  SUBCASE("response v5 (first flexible) and v7 (last): configs, a tagged config error, topic ids") {
    CreateTopicsResponse r;
    r.throttle_time_ms = 5;
    r.topics.reserve(2);
    auto& ok = r.topics.emplace_back();
    ok.name = "orders";
    ok.num_partitions = 3;
    ok.replication_factor = 1;
    ok.configs->push_back({"cleanup.policy", std::string("compact"), false, 1, false, {}});
    auto& bad = r.topics.emplace_back();
    bad.name = "bad";
    bad.error_code = errc::invalid_config;
    bad.error_message = "Invalid config";
    bad.topic_config_error_code = errc::topic_authorization_failed;
    bad.configs.reset();
    // tests/golden/kafka-golden encode CreateTopicsResponse 5 '{"throttleTimeMs":5,"topics":[{"name":"orders","errorCode":0,"errorMessage":null,"numPartitions":3,"replicationFactor":1,"configs":[{"name":"cleanup.policy","value":"compact","readOnly":false,"configSource":1,"isSensitive":false}]},{"name":"bad","errorCode":40,"errorMessage":"Invalid config","topicConfigErrorCode":29,"numPartitions":-1,"replicationFactor":-1,"configs":null}]}'
    check_golden(r, 5,
                 "0000000503076f7264657273000000000000030001020f636c65616e75702e706f6c69637908636f6d7061637400010000"
                 "000462616400280f496e76616c696420636f6e666967ffffffffffff00010002001d00");
    ok.topic_id = counting_uuid();
    // tests/golden/kafka-golden encode CreateTopicsResponse 7 '{"throttleTimeMs":5,"topics":[{"name":"orders","topicId":"AAECAwQFBgcICQoLDA0ODw","errorCode":0,"errorMessage":null,"numPartitions":3,"replicationFactor":1,"configs":[{"name":"cleanup.policy","value":"compact","readOnly":false,"configSource":1,"isSensitive":false}]},{"name":"bad","topicId":"AAAAAAAAAAAAAAAAAAAAAA","errorCode":40,"errorMessage":"Invalid config","topicConfigErrorCode":29,"numPartitions":-1,"replicationFactor":-1,"configs":null}]}'
    check_golden(r, 7,
                 "0000000503076f7264657273000102030405060708090a0b0c0d0e0f000000000000030001020f636c65616e75702e706f"
                 "6c69637908636f6d706163740001000000046261640000000000000000000000000000000000280f496e76616c696420636f"
                 "6e666967ffffffffffff00010002001d00");
  }
}

TEST_CASE("CreateTopics decoding fails at every truncation") {
  for (std::int16_t v = CreateTopicsRequest::min_version; v <= CreateTopicsRequest::max_version; ++v) {
    check_every_truncation_fails<CreateTopicsRequest>(encode(sample_request(v), v), v);
    check_every_truncation_fails<CreateTopicsResponse>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("CreateTopics refuses fields the version lacks") {
  std::vector<std::uint8_t> out{0x99};
  const auto refused = [&out](const auto& m, std::int16_t v) {
    CAPTURE(v);
    CHECK(encode_message(m, v, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);  // nothing half-written
  };
  CreateTopicsRequest dry_run;
  dry_run.validate_only = true;  // a dry run must not become a real create
  refused(dry_run, 0);
  CHECK_FALSE(encode_message(dry_run, 1, out));
  out.resize(1);

  CreateTopicsRequest tagged;
  tagged.topics.emplace_back().configs.push_back({"a", std::nullopt, {{1, {}}}});
  refused(tagged, 4);

  CreateTopicsResponse r;
  r.throttle_time_ms = 1;
  refused(r, 1);
  CreateTopicsResponse message;
  message.topics.emplace_back().error_message = "why";
  refused(message, 0);
  CreateTopicsResponse id;
  id.topics.emplace_back().topic_id = counting_uuid();
  refused(id, 6);
  CreateTopicsResponse details;
  details.topics.emplace_back().num_partitions = 3;
  refused(details, 4);
  CreateTopicsResponse null_configs;
  null_configs.topics.emplace_back().configs.reset();
  refused(null_configs, 4);
  CreateTopicsResponse config_error;
  config_error.topics.emplace_back().topic_config_error_code = errc::cluster_authorization_failed;
  refused(config_error, 4);
}

TEST_CASE("CreateTopics rejects versions outside 0-7") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(CreateTopicsRequest{}, 8, out) == client_errc::unsupported_version);
  CHECK(encode_message(CreateTopicsResponse{}, -1, out) == client_errc::unsupported_version);
  CreateTopicsResponse r;
  CHECK(decode_message(out, 8, r) == client_errc::unsupported_version);
}
