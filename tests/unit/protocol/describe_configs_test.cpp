// DescribeConfigs codec tests. Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden; 3.9's kafka-clients for v0, which 4.x dropped).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/describe_configs.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = DescribeConfigsRequest;
using Response = DescribeConfigsResponse;

Request golden_request() {
  Request r;
  r.resources.push_back({ConfigResourceType::topic, "orders",
                         std::vector<std::string>{"retention.ms", "cleanup.policy"}, {}});
  r.resources.push_back({ConfigResourceType::broker, "1", std::nullopt, {}});
  return r;
}

Request sample_request(std::int16_t version) {
  Request r = golden_request();
  r.resources.push_back({ConfigResourceType::group, "g", std::vector<std::string>{}, {}});
  r.include_synonyms = version >= 1;
  r.include_documentation = version >= 3;
  if (version >= 4) {
    r.resources[1].unknown_tags = {{2, {2}}};
    r.unknown_tags = {{0, {}}};
  }
  return r;
}

Response sample_response(std::int16_t version) {
  Response r;
  r.throttle_time_ms = 8;
  auto& result = r.results.emplace_back();
  result.resource_type = ConfigResourceType::topic;
  result.resource_name = "orders";
  Response::Config c;
  c.name = "retention.ms";
  c.value = "3600000";
  c.read_only = version == 0;
  if (version == 0) c.is_default = true;
  if (version >= 1) {
    c.config_source = ConfigSource::dynamic_topic_config;
    c.synonyms.push_back({"retention.ms", std::string("3600000"), ConfigSource::dynamic_topic_config, {}});
    c.synonyms.push_back({"log.retention.ms", std::nullopt, ConfigSource::default_config, {}});
  }
  if (version >= 3) {
    c.config_type = 5;
    c.documentation = "docs";
  }
  if (version >= 4) {
    c.unknown_tags = {{1, {1}}};
    c.synonyms[0].unknown_tags = {{4, {}}};
    result.unknown_tags = {{6, {6, 6}}};
  }
  result.configs.push_back(c);
  result.configs.push_back({});
  r.results.push_back({errc::unknown_topic_or_partition, std::string("no topic"), ConfigResourceType::topic, "x", {}, {}});
  return r;
}

}  // namespace

TEST_CASE("DescribeConfigs codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::describe_configs);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
  CHECK(Response::first_flexible_version == Request::first_flexible_version);
}

TEST_CASE("DescribeConfigs round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
  }
}

TEST_CASE("DescribeConfigs golden vectors") {
  // KWIRE_GOLDEN_KAFKA=3.9.x tests/golden/kafka-golden encode DescribeConfigsRequest 0 '{"resources":[{"resourceType":2,"resourceName":"orders","configurationKeys":["retention.ms","cleanup.policy"]},{"resourceType":4,"resourceName":"1","configurationKeys":null}]}'
  check_golden(golden_request(), 0,
               "000000020200066f726465727300000002000c726574656e74696f6e2e6d73000e636c65616e75702e706f6c69637904000131"
               "ffffffff");
  Request flexible = golden_request();
  flexible.include_synonyms = true;
  flexible.include_documentation = true;
  // tests/golden/kafka-golden encode DescribeConfigsRequest 4 '{"resources":[{"resourceType":2,"resourceName":"orders","configurationKeys":["retention.ms","cleanup.policy"]},{"resourceType":4,"resourceName":"1","configurationKeys":null}],"includeSynonyms":true,"includeDocumentation":true}'
  check_golden(flexible, 4, "0302076f7264657273030d726574656e74696f6e2e6d730f636c65616e75702e706f6c696379000402310000010100");

  Response v0;
  auto& r0 = v0.results.emplace_back();
  r0.resource_type = ConfigResourceType::topic;
  r0.resource_name = "orders";
  r0.configs.push_back({"retention.ms", std::string("3600000"), false, false, ConfigSource::unspecified, false, {}, 0,
                        std::nullopt, {}});
  r0.configs.push_back({"sasl.jaas.config", std::nullopt, true, true, ConfigSource::unspecified, true, {}, 0,
                        std::nullopt, {}});
  // KWIRE_GOLDEN_KAFKA=3.9.x tests/golden/kafka-golden encode DescribeConfigsResponse 0 '{"throttleTimeMs":0,"results":[{"errorCode":0,"errorMessage":null,"resourceType":2,"resourceName":"orders","configs":[{"name":"retention.ms","value":"3600000","readOnly":false,"isDefault":false,"isSensitive":false},{"name":"sasl.jaas.config","value":null,"readOnly":true,"isDefault":true,"isSensitive":true}]}]}'
  check_golden(v0, 0,
               "00000000000000010000ffff0200066f726465727300000002000c726574656e74696f6e2e6d7300073336303030303000000000"
               "107361736c2e6a6161732e636f6e666967ffff010101");

  Response v4;
  v4.throttle_time_ms = 3;
  auto& r4 = v4.results.emplace_back();
  r4.resource_type = ConfigResourceType::topic;
  r4.resource_name = "orders";
  r4.configs.push_back({"retention.ms", std::string("3600000"), false, false, ConfigSource::dynamic_topic_config, false,
                        {{"retention.ms", std::string("3600000"), ConfigSource::dynamic_topic_config, {}},
                         {"log.retention.hours", std::string("168"), ConfigSource::default_config, {}}},
                        5, std::string("How long to keep a log."), {}});
  v4.results.push_back({errc::unknown_topic_or_partition, std::string("Topic missing does not exist"),
                        ConfigResourceType::topic, "missing", {}, {}});
  // tests/golden/kafka-golden encode DescribeConfigsResponse 4 '{"throttleTimeMs":3,"results":[{"errorCode":0,"errorMessage":null,"resourceType":2,"resourceName":"orders","configs":[{"name":"retention.ms","value":"3600000","readOnly":false,"configSource":1,"isSensitive":false,"synonyms":[{"name":"retention.ms","value":"3600000","source":1},{"name":"log.retention.hours","value":"168","source":5}],"configType":5,"documentation":"How long to keep a log."}]},{"errorCode":3,"errorMessage":"Topic missing does not exist","resourceType":2,"resourceName":"missing","configs":[]}]}'
  check_golden(v4, 4,
               "000000030300000002076f7264657273020d726574656e74696f6e2e6d730833363030303030000100030d726574656e74696f"
               "6e2e6d7308333630303030300100146c6f672e726574656e74696f6e2e686f7572730431363805000518486f77206c6f6e6720"
               "746f206b6565702061206c6f672e000000031d546f706963206d697373696e6720646f6573206e6f7420657869737402086d69"
               "7373696e67010000");
}

TEST_CASE("DescribeConfigs decoding fails at every truncation") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("DescribeConfigs refuses fields the version lacks") {
  std::vector<std::uint8_t> out{0x99};
  const auto refused = [&out](const auto& m, std::int16_t v) {
    CAPTURE(v);
    CHECK(encode_message(m, v, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);
  };
  Request synonyms;
  synonyms.include_synonyms = true;
  refused(synonyms, 0);
  Request docs;
  docs.include_documentation = true;
  refused(docs, 2);
  refused(sample_request(4), 3);  // tags

  for (std::int16_t v = 1; v <= 4; ++v) refused(sample_response(0), v);  // is_default is v0 only
  refused(sample_response(1), 0);                                        // config_source, synonyms
  refused(sample_response(3), 2);                                        // config_type, documentation
  refused(sample_response(4), 3);                                        // tags
}
