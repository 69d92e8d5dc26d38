// ConsumerGroupHeartbeat codec tests. Golden vectors come from Kafka 4.4.0's
// own generated classes (tests/golden/kafka-golden, command above each).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/consumer_group_heartbeat.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = ConsumerGroupHeartbeatRequest;
using Response = ConsumerGroupHeartbeatResponse;
using TopicPartitionsList = std::vector<ConsumerGroupTopicPartitions>;

const Uuid kTopicId{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};

Request sample_request(std::int16_t version) {
  Request r;
  r.group_id = "orders";
  r.member_id = "kTgCdxVhSzyb1J0YbmeEWA";
  r.member_epoch = 12;
  r.instance_id = "pod-1";
  r.rack_id = "rack-a";
  r.rebalance_timeout_ms = 300000;
  r.subscribed_topic_names = std::vector<std::string>{"payments", "refunds"};
  if (version >= 1) r.subscribed_topic_regex = "orders-.*";
  r.server_assignor = "uniform";
  r.topic_partitions = TopicPartitionsList{{kTopicId, {0, 3}, {RawTaggedField{1, {0x01}}}}, {Uuid{{7}}, {}, {}}};
  r.unknown_tags = {RawTaggedField{5, {}}};
  return r;
}

Response sample_response(std::int16_t) {
  Response r;
  r.throttle_time_ms = 2;
  r.error_code = errc::none;
  r.error_message = "ok";
  r.member_id = "kTgCdxVhSzyb1J0YbmeEWA";
  r.member_epoch = 13;
  r.heartbeat_interval_ms = 5000;
  r.assignment = Response::Assignment{{{kTopicId, {0, 1, 2}, {}}}, {RawTaggedField{0, {0xaa}}}};
  r.unknown_tags = {RawTaggedField{9, {0x09}}};
  return r;
}

}  // namespace

TEST_CASE("ConsumerGroupHeartbeat codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::consumer_group_heartbeat);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
  CHECK(Response::first_flexible_version == Request::first_flexible_version);
}

TEST_CASE("ConsumerGroupHeartbeat round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
    Response empty_assignment;
    empty_assignment.assignment = Response::Assignment{};  // present but empty: revoke everything
    check_round_trip(empty_assignment, v);
  }
}

TEST_CASE("ConsumerGroupHeartbeat golden vectors from Kafka's encoder") {
  SUBCASE("request v0, joining") {
    // kafka-golden encode ConsumerGroupHeartbeatRequest 0 '{"groupId":"g1","memberId":"","memberEpoch":0,
    //   "instanceId":null,"rackId":"r1","rebalanceTimeoutMs":300000,"subscribedTopicNames":["t1","t2"],
    //   "serverAssignor":"uniform","topicPartitions":[]}'
    Request r;
    r.group_id = "g1";
    r.member_epoch = Request::join_epoch;
    r.rack_id = "r1";
    r.rebalance_timeout_ms = 300000;
    r.subscribed_topic_names = std::vector<std::string>{"t1", "t2"};
    r.server_assignor = "uniform";
    r.topic_partitions = TopicPartitionsList{};
    check_golden(r, 0, from_hex("036731010000000000037231000493e00303743103743208756e69666f726d0100"));
  }
  SUBCASE("request v1, a static member joining with its own id and a regex (KIP-1082)") {
    // kafka-golden encode ConsumerGroupHeartbeatRequest 1 '{"groupId":"g1","memberId":"kTgCdxVhSzyb1J0YbmeEWA",
    //   "memberEpoch":0,"instanceId":"i-1","rackId":null,"rebalanceTimeoutMs":300000,"subscribedTopicNames":null,
    //   "subscribedTopicRegex":"orders-.*","serverAssignor":null,"topicPartitions":[]}'
    Request r;
    r.group_id = "g1";
    r.member_id = "kTgCdxVhSzyb1J0YbmeEWA";
    r.instance_id = "i-1";
    r.rebalance_timeout_ms = 300000;
    r.subscribed_topic_regex = "orders-.*";
    r.topic_partitions = TopicPartitionsList{};
    check_golden(r, 1,
                 from_hex("036731176b54674364785668537a7962314a3059626d654557410000000004692d3100000493e0000a6f7264"
                          "6572732d2e2a000100"));
  }
  SUBCASE("request v1, acknowledging owned partitions") {
    // kafka-golden encode ConsumerGroupHeartbeatRequest 1 '{"groupId":"g1","memberId":"m-1","memberEpoch":5,
    //   "instanceId":null,"rackId":null,"rebalanceTimeoutMs":-1,"subscribedTopicNames":null,
    //   "subscribedTopicRegex":null,"serverAssignor":null,"topicPartitions":[{"topicId":"AQIDBAUGBwgJCgsMDQ4PEA",
    //   "partitions":[0,2]}]}'
    Request r;
    r.group_id = "g1";
    r.member_id = "m-1";
    r.member_epoch = 5;
    r.topic_partitions = TopicPartitionsList{{kTopicId, {0, 2}, {}}};
    check_golden(r, 1,
                 from_hex("036731046d2d31000000050000ffffffff000000020102030405060708090a0b0c0d0e0f10030000000000"
                          "0000020000"));
  }
  SUBCASE("request v1, leaving") {
    // kafka-golden encode ConsumerGroupHeartbeatRequest 1 '{"groupId":"g1","memberId":"m-1","memberEpoch":-1,
    //   "instanceId":null,"rackId":null,"rebalanceTimeoutMs":-1,"subscribedTopicNames":null,
    //   "subscribedTopicRegex":null,"serverAssignor":null,"topicPartitions":null}'
    Request r;
    r.group_id = "g1";
    r.member_id = "m-1";
    r.member_epoch = Request::leave_epoch;
    check_golden(r, 1, from_hex("036731046d2d31ffffffff0000ffffffff0000000000"));
  }
  SUBCASE("response v0 with an assignment") {
    // kafka-golden encode ConsumerGroupHeartbeatResponse 0 '{"throttleTimeMs":0,"errorCode":0,"errorMessage":null,
    //   "memberId":"m-1","memberEpoch":1,"heartbeatIntervalMs":5000,"assignment":{"topicPartitions":[
    //   {"topicId":"AQIDBAUGBwgJCgsMDQ4PEA","partitions":[0,1,2]}]}}'
    Response r;
    r.member_id = "m-1";
    r.member_epoch = 1;
    r.heartbeat_interval_ms = 5000;
    r.assignment = Response::Assignment{{{kTopicId, {0, 1, 2}, {}}}, {}};
    check_golden(r, 0,
                 from_hex("00000000000000046d2d31000000010000138801020102030405060708090a0b0c0d0e0f100400000000000000"
                          "0100000002000000"));
  }
  SUBCASE("response v1, FENCED_MEMBER_EPOCH, no assignment") {
    // kafka-golden encode ConsumerGroupHeartbeatResponse 1 '{"throttleTimeMs":3,"errorCode":110,
    //   "errorMessage":"The member epoch is fenced","memberId":"m-1","memberEpoch":-1,"heartbeatIntervalMs":0,
    //   "assignment":null}'
    Response r;
    r.throttle_time_ms = 3;
    r.error_code = errc::fenced_member_epoch;
    r.error_message = "The member epoch is fenced";
    r.member_id = "m-1";
    r.member_epoch = -1;
    check_golden(r, 1,
                 from_hex("00000003006e1b546865206d656d6265722065706f63682069732066656e636564046d2d31ffffffff00000000"
                          "ff00"));
  }
}

TEST_CASE("ConsumerGroupHeartbeat decoding fails at every truncation") {
  check_truncations<Request, Response>(sample_request, sample_response);
}

TEST_CASE("ConsumerGroupHeartbeat refuses a regex subscription at v0") {
  std::vector<std::uint8_t> out{0x99};
  CHECK(encode_message(sample_request(1), 0, out) == client_errc::field_not_in_version);
  CHECK(out.size() == 1);
  CHECK_FALSE(encode_message(sample_request(0), 0, out));
}

TEST_CASE("ConsumerGroupHeartbeat accepts only -1 and 1 as the assignment's presence marker") {
  // The v1 FENCED_MEMBER_EPOCH response above with the marker byte changed.
  auto wire = from_hex("00000003006e01046d2d31ffffffff00000000ff00");
  Response r;
  REQUIRE_FALSE(decode_message(wire, 1, r));
  CHECK_FALSE(r.assignment.has_value());
  for (int marker : {0x00, 0x02, 0x80, 0xfe}) {
    CAPTURE(marker);
    wire[wire.size() - 2] = static_cast<std::uint8_t>(marker);
    CHECK(decode_message(wire, 1, r) == client_errc::malformed);
  }
}

TEST_CASE("ConsumerGroupHeartbeat rejects versions outside 0-1 and trailing bytes") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 2, out) == client_errc::unsupported_version);
  CHECK(encode_message(Response{}, -1, out) == client_errc::unsupported_version);
  auto wire = encode(sample_response(1), 1);
  wire.push_back(0);
  Response r;
  CHECK(decode_message(wire, 1, r) == client_errc::trailing_bytes);
}
