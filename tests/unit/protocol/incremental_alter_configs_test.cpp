// IncrementalAlterConfigs codec tests. Golden vectors come from Kafka's own
// encoders (tests/golden/kafka-golden).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/incremental_alter_configs.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = IncrementalAlterConfigsRequest;
using Response = IncrementalAlterConfigsResponse;

Request golden_request() {
  Request r;
  r.resources.push_back({ConfigResourceType::topic,
                         "orders",
                         {{"retention.ms", ConfigOperation::set, std::string("60000"), {}},
                          {"cleanup.policy", ConfigOperation::remove, std::nullopt, {}}},
                         {}});
  r.resources.push_back(
      {ConfigResourceType::broker, "1", {{"log.cleaner.threads", ConfigOperation::set, std::string("2"), {}}}, {}});
  r.validate_only = true;
  return r;
}

Request sample_request(std::int16_t version) {
  Request r = golden_request();
  r.resources.push_back({ConfigResourceType::topic,
                         "t",
                         {{"a", ConfigOperation::append, std::string("x"), {}},
                          {"b", ConfigOperation::subtract, std::string("y"), {}}},
                         {}});
  if (version >= 1) {
    r.resources[0].configs[1].unknown_tags = {{0, {}}};
    r.resources[2].unknown_tags = {{3, {3}}};
    r.unknown_tags = {{9, {9}}};
  }
  return r;
}

Response golden_response() {
  Response r;
  r.throttle_time_ms = 4;
  r.responses.push_back({errc::none, std::nullopt, ConfigResourceType::topic, "orders", {}});
  r.responses.push_back({errc::invalid_config, std::string("Invalid value"), ConfigResourceType::broker, "1", {}});
  return r;
}

Response sample_response(std::int16_t version) {
  Response r = golden_response();
  if (version >= 1) r.responses[1].unknown_tags = {{1, {1}}};
  return r;
}

}  // namespace

TEST_CASE("IncrementalAlterConfigs codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::incremental_alter_configs);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
  CHECK(Response::first_flexible_version == Request::first_flexible_version);
}

TEST_CASE("IncrementalAlterConfigs round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
  }
}

TEST_CASE("IncrementalAlterConfigs golden vectors") {
  // tests/golden/kafka-golden encode IncrementalAlterConfigsRequest 0 '{"resources":[{"resourceType":2,"resourceName":"orders","configs":[{"name":"retention.ms","configOperation":0,"value":"60000"},{"name":"cleanup.policy","configOperation":1,"value":null}]},{"resourceType":4,"resourceName":"1","configs":[{"name":"log.cleaner.threads","configOperation":0,"value":"2"}]}],"validateOnly":true}'
  check_golden(golden_request(), 0,
               "000000020200066f726465727300000002000c726574656e74696f6e2e6d730000053630303030000e636c65616e75702e706f"
               "6c69637901ffff040001310000000100136c6f672e636c65616e65722e746872656164730000013201");
  // tests/golden/kafka-golden encode IncrementalAlterConfigsRequest 1 (the same JSON)
  check_golden(golden_request(), 1,
               "0302076f7264657273030d726574656e74696f6e2e6d7300063630303030000f636c65616e75702e706f6c696379010000000402"
               "3102146c6f672e636c65616e65722e7468726561647300023200000100");
  // tests/golden/kafka-golden encode IncrementalAlterConfigsResponse 0 '{"throttleTimeMs":4,"responses":[{"errorCode":0,"errorMessage":null,"resourceType":2,"resourceName":"orders"},{"errorCode":40,"errorMessage":"Invalid value","resourceType":4,"resourceName":"1"}]}'
  check_golden(golden_response(), 0,
               "00000004000000020000ffff0200066f72646572730028000d496e76616c69642076616c756504000131");
  // tests/golden/kafka-golden encode IncrementalAlterConfigsResponse 1 (the same JSON)
  check_golden(golden_response(), 1, "000000040300000002076f72646572730000280e496e76616c69642076616c75650402310000");
}

TEST_CASE("IncrementalAlterConfigs decoding fails at every truncation") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("IncrementalAlterConfigs refuses tags at v0 and versions outside 0-1") {
  std::vector<std::uint8_t> out{0x99};
  CHECK(encode_message(sample_request(1), 0, out) == client_errc::field_not_in_version);
  CHECK(encode_message(sample_response(1), 0, out) == client_errc::field_not_in_version);
  CHECK(out.size() == 1);
  CHECK(encode_message(Request{}, 2, out) == client_errc::unsupported_version);
  CHECK(encode_message(Response{}, -1, out) == client_errc::unsupported_version);
}
