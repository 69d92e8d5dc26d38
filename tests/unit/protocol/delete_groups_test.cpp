// DeleteGroups codec tests. Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/delete_groups.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = DeleteGroupsRequest;
using Response = DeleteGroupsResponse;

Request sample_request(std::int16_t version) {
  Request r;
  r.groups_names = {"orders-app", "billing", ""};
  if (version >= 2) r.unknown_tags = {{0, {7}}};
  return r;
}

Response sample_response(std::int16_t version) {
  Response r;
  r.throttle_time_ms = 9;
  r.results.push_back({"orders-app", errc::none, std::nullopt, {}});
  r.results.push_back(
      {"billing", errc::non_empty_group, version >= 3 ? std::optional<std::string>("not empty") : std::nullopt, {}});
  if (version >= 2) r.results[0].unknown_tags = {{5, {}}};
  return r;
}

}  // namespace

TEST_CASE("DeleteGroups codec traits match the API table") {
  check_traits<Request, Response>();
}

TEST_CASE("DeleteGroups round trips at every version") {
  check_round_trips<Request, Response>(sample_request, sample_response);
}

TEST_CASE("DeleteGroups golden vectors") {
  Request q;
  q.groups_names = {"orders-app", "billing"};
  // tests/golden/kafka-golden encode DeleteGroupsRequest 0 '{"groupsNames":["orders-app","billing"]}'
  check_golden(q, 0, "00000002000a6f72646572732d617070000762696c6c696e67");
  // tests/golden/kafka-golden encode DeleteGroupsRequest 2 (the same JSON)
  check_golden(q, 2, "030b6f72646572732d6170700862696c6c696e6700");
  // tests/golden/kafka-golden encode DeleteGroupsRequest 3 (the same JSON)
  check_golden(q, 3, "030b6f72646572732d6170700862696c6c696e6700");

  Response r;
  r.results = {{"orders-app", errc::none, std::nullopt, {}}, {"billing", errc::non_empty_group, std::nullopt, {}}};
  // tests/golden/kafka-golden encode DeleteGroupsResponse 0 '{"throttleTimeMs":0,"results":[{"groupId":"orders-app","errorCode":0},{"groupId":"billing","errorCode":68}]}'
  check_golden(r, 0, "0000000000000002000a6f72646572732d6170700000000762696c6c696e670044");
  r.throttle_time_ms = 6;
  // tests/golden/kafka-golden encode DeleteGroupsResponse 2 '{"throttleTimeMs":6,"results":[{"groupId":"orders-app","errorCode":0},{"groupId":"billing","errorCode":68}]}'
  check_golden(r, 2, "00000006030b6f72646572732d6170700000000862696c6c696e6700440000");
  r.results[1].error_message = "The group is not empty.";
  // tests/golden/kafka-golden encode DeleteGroupsResponse 3 '{"throttleTimeMs":6,"results":[{"groupId":"orders-app","errorCode":0,"errorMessage":null},{"groupId":"billing","errorCode":68,"errorMessage":"The group is not empty."}]}'
  check_golden(r, 3,
               "00000006030b6f72646572732d617070000000000862696c6c696e670044185468652067726f7570206973206e6f7420656d70"
               "74792e0000");
}

TEST_CASE("DeleteGroups decoding fails at every truncation") {
  check_truncations<Request, Response>(sample_request, sample_response);
}

TEST_CASE("DeleteGroups refuses fields the version lacks") {
  std::vector<std::uint8_t> out{0x99};
  CHECK(encode_message(sample_request(2), 1, out) == client_errc::field_not_in_version);    // tags
  CHECK(encode_message(sample_response(3), 2, out) == client_errc::field_not_in_version);  // error message
  CHECK(encode_message(sample_response(2), 1, out) == client_errc::field_not_in_version);  // tags
  CHECK(out.size() == 1);
  CHECK(encode_message(Request{}, 4, out) == client_errc::unsupported_version);
}
