// CreatePartitions codec tests. Golden vectors come from Kafka's own
// encoders (tests/golden/kafka-golden).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/create_partitions.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

CreatePartitionsRequest golden_request(bool validate_only) {
  CreatePartitionsRequest r;
  r.topics.push_back({"orders", 4, std::vector<CreatePartitionsRequest::Assignment>{{{1, 2}, {}}, {{2, 3}, {}}}, {}});
  r.topics.push_back({"audit", 2, std::nullopt, {}});
  r.timeout_ms = 30000;
  r.validate_only = validate_only;
  return r;
}

CreatePartitionsRequest sample_request(std::int16_t version) {
  CreatePartitionsRequest r = golden_request(true);
  if (version >= 2) {
    (*r.topics[0].assignments)[1].unknown_tags = {{3, {3}}};
    r.topics[1].unknown_tags = {{0, {}}};
    r.unknown_tags = {{100, {1, 2, 3}}};
  }
  r.topics.push_back({"empty", 1, std::vector<CreatePartitionsRequest::Assignment>{}, {}});
  return r;
}

CreatePartitionsResponse golden_response(std::int32_t throttle, const char* message) {
  CreatePartitionsResponse r;
  r.throttle_time_ms = throttle;
  r.results.push_back({"orders", errc::none, std::nullopt, {}});
  r.results.push_back({"audit", errc::invalid_partitions, std::string(message), {}});
  return r;
}

CreatePartitionsResponse sample_response(std::int16_t version) {
  CreatePartitionsResponse r = golden_response(12, "too few");
  if (version >= 2) r.results[0].unknown_tags = {{1, {}}};
  return r;
}

}  // namespace

TEST_CASE("CreatePartitions codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::create_partitions);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == CreatePartitionsRequest::min_version);
  CHECK(s->max_version == CreatePartitionsRequest::max_version);
  CHECK(s->first_flexible_version == CreatePartitionsRequest::first_flexible_version);
  CHECK(CreatePartitionsResponse::max_version == CreatePartitionsRequest::max_version);
  CHECK(CreatePartitionsResponse::first_flexible_version == CreatePartitionsRequest::first_flexible_version);
}

TEST_CASE("CreatePartitions round trips at every version") {
  for (std::int16_t v = CreatePartitionsRequest::min_version; v <= CreatePartitionsRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(CreatePartitionsRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(CreatePartitionsResponse{}, v);
  }
}

TEST_CASE("CreatePartitions golden vectors") {
  // tests/golden/kafka-golden encode CreatePartitionsRequest 0 '{"topics":[{"name":"orders","count":4,"assignments":[{"brokerIds":[1,2]},{"brokerIds":[2,3]}]},{"name":"audit","count":2,"assignments":null}],"timeoutMs":30000,"validateOnly":false}'
  check_golden(golden_request(false), 0,
               "0000000200066f726465727300000004000000020000000200000001000000020000000200000002000000030005617564"
               "697400000002ffffffff0000753000");
  // tests/golden/kafka-golden encode CreatePartitionsRequest 2 '{"topics":[{"name":"orders","count":4,"assignments":[{"brokerIds":[1,2]},{"brokerIds":[2,3]}]},{"name":"audit","count":2,"assignments":null}],"timeoutMs":30000,"validateOnly":true}'
  const char* flexible_request =
      "03076f72646572730000000403030000000100000002000300000002000000030000066175646974000000020000000075300100";
  check_golden(golden_request(true), 2, flexible_request);
  // tests/golden/kafka-golden encode CreatePartitionsRequest 3 (the same JSON)
  check_golden(golden_request(true), 3, flexible_request);

  // tests/golden/kafka-golden encode CreatePartitionsResponse 0 '{"throttleTimeMs":0,"results":[{"name":"orders","errorCode":0,"errorMessage":null},{"name":"audit","errorCode":37,"errorMessage":"Topic currently has 3 partitions, which is higher than the requested 2."}]}'
  check_golden(golden_response(0, "Topic currently has 3 partitions, which is higher than the requested 2."), 0,
               "000000000000000200066f72646572730000ffff0005617564697400250047546f7069632063757272656e746c792068617320"
               "3320706172746974696f6e732c20776869636820697320686967686572207468616e207468652072657175657374656420322e");
  // tests/golden/kafka-golden encode CreatePartitionsResponse 2 '{"throttleTimeMs":9,"results":[{"name":"orders","errorCode":0,"errorMessage":null},{"name":"audit","errorCode":37,"errorMessage":"too few"}]}'
  check_golden(golden_response(9, "too few"), 2, "0000000903076f726465727300000000066175646974002508746f6f206665770000");
  // tests/golden/kafka-golden encode CreatePartitionsResponse 3 (the same JSON)
  check_golden(golden_response(9, "too few"), 3, "0000000903076f726465727300000000066175646974002508746f6f206665770000");
}

TEST_CASE("CreatePartitions decoding fails at every truncation") {
  for (std::int16_t v = CreatePartitionsRequest::min_version; v <= CreatePartitionsRequest::max_version; ++v) {
    check_every_truncation_fails<CreatePartitionsRequest>(encode(sample_request(v), v), v);
    check_every_truncation_fails<CreatePartitionsResponse>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("CreatePartitions refuses tags below v2 and versions outside 0-3") {
  std::vector<std::uint8_t> out{0x99};
  for (std::int16_t v = 0; v < 2; ++v) {
    CAPTURE(v);
    CHECK(encode_message(sample_request(2), v, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(2), v, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);
  }
  CHECK(encode_message(CreatePartitionsRequest{}, 4, out) == client_errc::unsupported_version);
  CHECK(encode_message(CreatePartitionsResponse{}, -1, out) == client_errc::unsupported_version);
}
