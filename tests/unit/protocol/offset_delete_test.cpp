// OffsetDelete codec tests. Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/offset_delete.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = OffsetDeleteRequest;
using Response = OffsetDeleteResponse;

Request golden_request() {
  Request r;
  r.group_id = "orders-app";
  r.topics.push_back({"orders", {0, 2}});
  return r;
}

Response golden_response() {
  Response r;
  r.throttle_time_ms = 1;
  r.topics.push_back({"orders", {{0, errc::none}, {2, errc::group_subscribed_to_topic}}});
  return r;
}

}  // namespace

TEST_CASE("OffsetDelete codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::offset_delete);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == 0);
  CHECK(s->max_version == 0);
  CHECK(s->first_flexible_version == -1);
  CHECK_FALSE(is_flexible(ApiKey::offset_delete, 0));
}

TEST_CASE("OffsetDelete round trips") {
  Request many = golden_request();
  many.topics.push_back({"audit", {}});
  many.topics.push_back({"", {7}});
  check_round_trip(many, 0);
  check_round_trip(Request{}, 0);
  Response r = golden_response();
  r.error_code = errc::group_id_not_found;
  r.topics.push_back({"audit", {}});
  check_round_trip(r, 0);
  check_round_trip(Response{}, 0);
}

TEST_CASE("OffsetDelete golden vectors") {
  // tests/golden/kafka-golden encode OffsetDeleteRequest 0 '{"groupId":"orders-app","topics":[{"name":"orders","partitions":[{"partitionIndex":0},{"partitionIndex":2}]}]}'
  check_golden(golden_request(), 0, "000a6f72646572732d6170700000000100066f7264657273000000020000000000000002");
  // tests/golden/kafka-golden encode OffsetDeleteResponse 0 '{"errorCode":0,"throttleTimeMs":1,"topics":[{"name":"orders","partitions":[{"partitionIndex":0,"errorCode":0},{"partitionIndex":2,"errorCode":86}]}]}'
  check_golden(golden_response(), 0, "0000000000010000000100066f726465727300000002000000000000000000020056");
}

TEST_CASE("OffsetDelete decoding fails at every truncation, and on absurd counts") {
  check_every_truncation_fails<Request>(encode(golden_request(), 0), 0);
  check_every_truncation_fails<Response>(encode(golden_response(), 0), 0);
  // A topic count of 2^31-1 with six bytes left is refused before any allocation.
  auto wire = bytes({0x00, 0x01, 'g', 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0});
  Request r;
  CHECK(decode_message(wire, 0, r) == client_errc::length_exceeds_input);
}

TEST_CASE("OffsetDelete has only v0") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 1, out) == client_errc::unsupported_version);
  CHECK(encode_message(Response{}, -1, out) == client_errc::unsupported_version);
  CHECK(out.empty());
}
