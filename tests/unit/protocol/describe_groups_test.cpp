// DescribeGroups codec tests. Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/describe_groups.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = DescribeGroupsRequest;
using Response = DescribeGroupsResponse;

Response::Member member(std::optional<std::string> instance) {
  return {"m-1", std::move(instance), "c", "/127.0.0.1", {0, 1, 2}, {}, {}};
}

Request sample_request(std::int16_t version) {
  Request r;
  r.groups = {"orders-app", "billing", ""};
  r.include_authorized_operations = version >= 3;
  if (version >= 5) r.unknown_tags = {{1, {}}};
  return r;
}

Response sample_response(std::int16_t version) {
  Response r;
  if (version >= 1) r.throttle_time_ms = 4;
  auto& g = r.groups.emplace_back();
  g.group_id = "orders-app";
  g.group_state = "Stable";
  g.protocol_type = "consumer";
  g.protocol_data = "cooperative-sticky";
  g.members.push_back(member(version >= 4 ? std::optional<std::string>("i-1") : std::nullopt));
  g.members.push_back({"m-2", std::nullopt, "c2", "/10.0.0.2", {}, {9, 9}, {}});
  if (version >= 3) g.authorized_operations = 3064;
  if (version >= 5) {
    g.unknown_tags = {{0, {1}}};
    g.members[1].unknown_tags = {{3, {3}}};
  }
  Response::Group missing;
  missing.error_code = errc::group_id_not_found;
  if (version >= 6) missing.error_message = "Group billing not found.";
  missing.group_id = "billing";
  missing.group_state = "Dead";
  r.groups.push_back(missing);
  return r;
}

}  // namespace

TEST_CASE("DescribeGroups codec traits match the API table") {
  check_traits<Request, Response>();
}

TEST_CASE("DescribeGroups round trips at every version") {
  check_round_trips<Request, Response>(sample_request, sample_response);
}

TEST_CASE("DescribeGroups golden vectors") {
  Request q;
  q.groups = {"orders-app", "billing"};
  // tests/golden/kafka-golden encode DescribeGroupsRequest 0 '{"groups":["orders-app","billing"]}'
  check_golden(q, 0, "00000002000a6f72646572732d617070000762696c6c696e67");
  q.include_authorized_operations = true;
  // tests/golden/kafka-golden encode DescribeGroupsRequest 5 '{"groups":["orders-app","billing"],"includeAuthorizedOperations":true}'
  check_golden(q, 5, "030b6f72646572732d6170700862696c6c696e670100");
  // tests/golden/kafka-golden encode DescribeGroupsRequest 6 (the same JSON)
  check_golden(q, 6, "030b6f72646572732d6170700862696c6c696e670100");

  Response r;
  r.groups.resize(1);
  auto* g = &r.groups[0];
  g->group_id = "orders-app";
  g->group_state = "Stable";
  g->protocol_type = "consumer";
  g->protocol_data = "range";
  g->members.push_back(member(std::nullopt));
  // tests/golden/kafka-golden encode DescribeGroupsResponse 0 '{"groups":[{"errorCode":0,"groupId":"orders-app","groupState":"Stable","protocolType":"consumer","protocolData":"range","members":[{"memberId":"m-1","clientId":"c","clientHost":"/127.0.0.1","memberMetadata":"AAEC","memberAssignment":""}]}]}'
  check_golden(r, 0,
               "000000010000000a6f72646572732d6170700006537461626c650008636f6e73756d6572000572616e67650000000100036d2d3100"
               "0163000a2f3132372e302e302e310000000300010200000000");
  r.throttle_time_ms = 3;
  g->members[0].group_instance_id = "i-1";
  // tests/golden/kafka-golden encode DescribeGroupsResponse 5 '{"throttleTimeMs":3,"groups":[{"errorCode":0,"groupId":"orders-app","groupState":"Stable","protocolType":"consumer","protocolData":"range","members":[{"memberId":"m-1","groupInstanceId":"i-1","clientId":"c","clientHost":"/127.0.0.1","memberMetadata":"AAEC","memberAssignment":""}],"authorizedOperations":-2147483648}]}'
  check_golden(r, 5,
               "000000030200000b6f72646572732d61707007537461626c6509636f6e73756d65720672616e676502046d2d3104692d3102630b"
               "2f3132372e302e302e31040001020100800000000000");
  g->members[0].group_instance_id.reset();
  g->authorized_operations = 3064;
  Response::Group missing;
  missing.error_code = errc::group_id_not_found;
  missing.error_message = "Group billing not found.";
  missing.group_id = "billing";
  missing.group_state = "Dead";
  r.groups.push_back(missing);
  // tests/golden/kafka-golden encode DescribeGroupsResponse 6 '{"throttleTimeMs":3,"groups":[{"errorCode":0,"errorMessage":null,"groupId":"orders-app","groupState":"Stable","protocolType":"consumer","protocolData":"range","members":[{"memberId":"m-1","groupInstanceId":null,"clientId":"c","clientHost":"/127.0.0.1","memberMetadata":"AAEC","memberAssignment":""}],"authorizedOperations":3064},{"errorCode":69,"errorMessage":"Group billing not found.","groupId":"billing","groupState":"Dead","protocolType":"","protocolData":"","members":[],"authorizedOperations":-2147483648}]}'
  check_golden(r, 6,
               "00000003030000000b6f72646572732d61707007537461626c6509636f6e73756d65720672616e676502046d2d310002630b2f31"
               "32372e302e302e3104000102010000000bf80000451947726f75702062696c6c696e67206e6f7420666f756e642e0862696c6c"
               "696e670544656164010101800000000000");
}

TEST_CASE("DescribeGroups decoding fails at every truncation") {
  check_truncations<Request, Response>(sample_request, sample_response);
}

TEST_CASE("DescribeGroups refuses fields the version lacks") {
  check_refused(sample_request(3), 2);   // include_authorized_operations
  check_refused(sample_request(5), 4);   // tags
  check_refused(sample_response(1), 0);  // throttle
  check_refused(sample_response(3), 2);  // authorized operations
  check_refused(sample_response(4), 3);  // group instance id
  check_refused(sample_response(6), 5);  // error message
}
