// ListGroups codec tests. Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/list_groups.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = ListGroupsRequest;
using Response = ListGroupsResponse;

Request sample_request(std::int16_t version) {
  Request r;
  if (version >= 4) r.states_filter = {"Stable", "PreparingRebalance"};
  if (version >= 5) r.types_filter = {"consumer", "classic"};
  if (version >= 3) r.unknown_tags = {{0, {1}}};
  return r;
}

Response sample_response(std::int16_t version) {
  Response r;
  if (version >= 1) r.throttle_time_ms = 5;
  r.error_code = errc::coordinator_load_in_progress;
  r.groups.push_back({"orders-app", "consumer", version >= 4 ? "Stable" : "", version >= 5 ? "classic" : "", {}});
  r.groups.push_back({"new-app", "", version >= 4 ? "Empty" : "", version >= 5 ? "consumer" : "", {}});
  if (version >= 3) r.groups[1].unknown_tags = {{2, {}}};
  return r;
}

}  // namespace

TEST_CASE("ListGroups codec traits match the API table") {
  check_traits<Request, Response>();
}

TEST_CASE("ListGroups round trips at every version") {
  check_round_trips<Request, Response>(sample_request, sample_response);
}

TEST_CASE("ListGroups golden vectors") {
  // tests/golden/kafka-golden encode ListGroupsRequest 0 '{}'
  check_golden(Request{}, 0, "");
  // tests/golden/kafka-golden encode ListGroupsRequest 3 '{}'
  check_golden(Request{}, 3, "00");
  Request filtered;
  filtered.states_filter = {"Stable", "Empty"};
  filtered.types_filter = {"consumer"};  // KIP-848 groups only
  // tests/golden/kafka-golden encode ListGroupsRequest 5 '{"statesFilter":["Stable","Empty"],"typesFilter":["consumer"]}'
  check_golden(filtered, 5, "0307537461626c6506456d7074790209636f6e73756d657200");

  Response v0;
  v0.groups = {{"orders-app", "consumer", "", "", {}}, {"connect-cluster", "connect", "", "", {}}};
  // tests/golden/kafka-golden encode ListGroupsResponse 0 '{"errorCode":0,"groups":[{"groupId":"orders-app","protocolType":"consumer"},{"groupId":"connect-cluster","protocolType":"connect"}]}'
  check_golden(v0, 0,
               "000000000002000a6f72646572732d6170700008636f6e73756d6572000f636f6e6e6563742d636c75737465720007636f6e6e"
               "656374");
  Response v3;
  v3.throttle_time_ms = 2;
  v3.groups = {{"orders-app", "consumer", "", "", {}}};
  // tests/golden/kafka-golden encode ListGroupsResponse 3 '{"throttleTimeMs":2,"errorCode":0,"groups":[{"groupId":"orders-app","protocolType":"consumer"}]}'
  check_golden(v3, 3, "000000020000020b6f72646572732d61707009636f6e73756d65720000");
  Response v5;
  v5.throttle_time_ms = 2;
  v5.groups = {{"orders-app", "consumer", "Stable", "classic", {}}, {"new-app", "", "Empty", "consumer", {}}};
  // tests/golden/kafka-golden encode ListGroupsResponse 5 '{"throttleTimeMs":2,"errorCode":0,"groups":[{"groupId":"orders-app","protocolType":"consumer","groupState":"Stable","groupType":"classic"},{"groupId":"new-app","protocolType":"","groupState":"Empty","groupType":"consumer"}]}'
  check_golden(v5, 5,
               "000000020000030b6f72646572732d61707009636f6e73756d657207537461626c6508636c617373696300086e65772d617070"
               "0106456d70747909636f6e73756d65720000");
}

TEST_CASE("ListGroups decoding fails at every truncation") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    if (v >= 3) check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("ListGroups refuses fields the version lacks: a filter is never dropped") {
  Request states;
  states.states_filter = {"Stable"};
  for (std::int16_t v = 0; v < 4; ++v) check_refused(states, v);
  Request types;
  types.types_filter = {"consumer"};  // KIP-848's type filter needs v5
  for (std::int16_t v = 0; v < 5; ++v) check_refused(types, v);
  check_refused(sample_request(3), 2);  // tags
  Response throttled;
  throttled.throttle_time_ms = 1;
  check_refused(throttled, 0);
  check_refused(sample_response(4), 3);  // group state
  check_refused(sample_response(5), 4);  // group type
}
