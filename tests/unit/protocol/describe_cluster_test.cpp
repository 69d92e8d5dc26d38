// DescribeCluster codec tests. Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/describe_cluster.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = DescribeClusterRequest;
using Response = DescribeClusterResponse;

Response golden_response(std::int16_t version) {
  Response r;
  r.cluster_id = "q1Sh-9_ISia_zwGINzRvyQ";
  r.controller_id = 1;
  r.brokers.push_back({1, "127.0.0.1", 19092, std::nullopt, false, {}});
  r.brokers.push_back({2, "broker-2", 29092, std::string("rack-b"), version >= 2, {}});
  if (version >= 2) {
    r.throttle_time_ms = 1;
    r.cluster_authorized_operations = 3064;
  }
  return r;
}

Request sample_request(std::int16_t version) {
  Request r;
  r.include_cluster_authorized_operations = true;
  if (version >= 1) r.endpoint_type = EndpointType::controllers;
  if (version >= 2) r.include_fenced_brokers = true;
  r.unknown_tags = {{0, {1}}};
  return r;
}

Response sample_response(std::int16_t version) {
  Response r = golden_response(version);
  r.error_code = errc::cluster_authorization_failed;
  r.error_message = "denied";
  if (version >= 1) r.endpoint_type = EndpointType::controllers;
  r.brokers[0].unknown_tags = {{2, {2}}};
  r.unknown_tags = {{7, {}}};
  return r;
}

}  // namespace

TEST_CASE("DescribeCluster codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::describe_cluster);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
  CHECK(Response::first_flexible_version == Request::first_flexible_version);
}

TEST_CASE("DescribeCluster round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
  }
}

TEST_CASE("DescribeCluster golden vectors") {
  Request v0;
  v0.include_cluster_authorized_operations = true;
  // tests/golden/kafka-golden encode DescribeClusterRequest 0 '{"includeClusterAuthorizedOperations":true}'
  check_golden(v0, 0, "0100");
  Request v2;
  v2.endpoint_type = EndpointType::controllers;
  v2.include_fenced_brokers = true;
  // tests/golden/kafka-golden encode DescribeClusterRequest 2 '{"includeClusterAuthorizedOperations":false,"endpointType":2,"includeFencedBrokers":true}'
  check_golden(v2, 2, "00020100");
  // tests/golden/kafka-golden encode DescribeClusterResponse 0 '{"throttleTimeMs":0,"errorCode":0,"errorMessage":null,"clusterId":"q1Sh-9_ISia_zwGINzRvyQ","controllerId":1,"brokers":[{"brokerId":1,"host":"127.0.0.1","port":19092,"rack":null},{"brokerId":2,"host":"broker-2","port":29092,"rack":"rack-b"}],"clusterAuthorizedOperations":-2147483648}'
  check_golden(golden_response(0), 0,
               "0000000000000017713153682d395f495369615f7a7747494e7a527679510000000103000000010a3132372e302e302e3100004a"
               "940000000000020962726f6b65722d32000071a4077261636b2d62008000000000");
  // tests/golden/kafka-golden encode DescribeClusterResponse 2 '{"throttleTimeMs":1,"errorCode":0,"errorMessage":null,"endpointType":1,"clusterId":"q1Sh-9_ISia_zwGINzRvyQ","controllerId":1,"brokers":[{"brokerId":1,"host":"127.0.0.1","port":19092,"rack":null,"isFenced":false},{"brokerId":2,"host":"broker-2","port":29092,"rack":"rack-b","isFenced":true}],"clusterAuthorizedOperations":3064}'
  check_golden(golden_response(2), 2,
               "000000010000000117713153682d395f495369615f7a7747494e7a527679510000000103000000010a3132372e302e302e310000"
               "4a94000000000000020962726f6b65722d32000071a4077261636b2d62010000000bf800");
}

TEST_CASE("DescribeCluster decoding fails at every truncation") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("DescribeCluster refuses fields the version lacks") {
  std::vector<std::uint8_t> out{0x99};
  const auto refused = [&out](const auto& m, std::int16_t v) {
    CAPTURE(v);
    CHECK(encode_message(m, v, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);
  };
  refused(sample_request(1), 0);  // endpoint type: asking for controllers must not describe brokers
  refused(sample_request(2), 1);  // fenced brokers
  refused(sample_response(1), 0);
  refused(sample_response(2), 1);  // a fenced broker
  CHECK(encode_message(Request{}, 3, out) == client_errc::unsupported_version);
}
