// ConsumerGroupDescribe codec tests. Golden vectors come from Kafka 4.4.0's
// own generated classes (tests/golden/kafka-golden, command above each).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/consumer_group_describe.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = ConsumerGroupDescribeRequest;
using Response = ConsumerGroupDescribeResponse;

const Uuid kTopicId{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};

Response::Member golden_member(std::int8_t member_type) {
  Response::Member m;
  m.member_id = "m-1";
  m.instance_id = "i-1";
  m.rack_id = "r1";
  m.member_epoch = 4;
  m.client_id = "c";
  m.client_host = "/10.0.0.1";
  m.subscribed_topic_names = {"t"};
  m.assignment.topic_partitions = {{kTopicId, "t", {0, 1}, {}}};
  m.member_type = member_type;
  return m;
}

Response::Group golden_group(std::int8_t member_type) {
  Response::Group g;
  g.group_id = "g1";
  g.group_state = "Stable";
  g.group_epoch = 4;
  g.assignment_epoch = 4;
  g.assignor_name = "uniform";
  g.members = {golden_member(member_type)};
  return g;
}

Response sample_response(std::int16_t version) {
  Response r;
  r.throttle_time_ms = 1;
  Response::Group g = golden_group(version >= 1 ? 1 : -1);
  g.members[0].subscribed_topic_regex = "t.*";
  g.members[0].target_assignment.topic_partitions = {{kTopicId, "t", {0, 1, 2}, {RawTaggedField{2, {}}}}};
  g.members[0].unknown_tags = {RawTaggedField{0, {0x01}}};
  g.authorized_operations = 0x7f8;
  g.unknown_tags = {RawTaggedField{1, {0x02}}};
  Response::Group missing;
  missing.error_code = errc::group_id_not_found;
  missing.error_message = "Group g2 not found.";
  missing.group_id = "g2";
  missing.group_state = "Dead";
  r.groups = {g, missing};
  r.unknown_tags = {RawTaggedField{3, {0x03}}};
  return r;
}

}  // namespace

TEST_CASE("ConsumerGroupDescribe codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::consumer_group_describe);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
}

TEST_CASE("ConsumerGroupDescribe round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(Request{{"g1", "g2"}, true, {RawTaggedField{0, {}}}}, v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
  }
}

TEST_CASE("ConsumerGroupDescribe golden vectors from Kafka's encoder") {
  // kafka-golden encode ConsumerGroupDescribeRequest 0 '{"groupIds":["g1","g2"],"includeAuthorizedOperations":true}'
  check_golden(Request{{"g1", "g2"}, true, {}}, 0, from_hex("030367310367320100"));
  // kafka-golden encode ConsumerGroupDescribeRequest 1 '{"groupIds":["g1"],"includeAuthorizedOperations":false}'
  check_golden(Request{{"g1"}, false, {}}, 1, from_hex("020367310000"));

  SUBCASE("response v0: a stable group and GROUP_ID_NOT_FOUND") {
    // kafka-golden encode ConsumerGroupDescribeResponse 0 '{"throttleTimeMs":0,"groups":[{"errorCode":0,
    //   "errorMessage":null,"groupId":"g1","groupState":"Stable","groupEpoch":4,"assignmentEpoch":4,
    //   "assignorName":"uniform","members":[{"memberId":"m-1","instanceId":"i-1","rackId":"r1","memberEpoch":4,
    //   "clientId":"c","clientHost":"/10.0.0.1","subscribedTopicNames":["t"],"subscribedTopicRegex":null,
    //   "assignment":{"topicPartitions":[{"topicId":"AQIDBAUGBwgJCgsMDQ4PEA","topicName":"t","partitions":[0,1]}]},
    //   "targetAssignment":{"topicPartitions":[]},"memberType":-1}],"authorizedOperations":-2147483648},
    //   {"errorCode":69,"errorMessage":"Group g2 not found.","groupId":"g2","groupState":"Dead","groupEpoch":-1,
    //   "assignmentEpoch":-1,"assignorName":"","members":[],"authorizedOperations":-2147483648}]}'
    Response r;
    Response::Group missing;
    missing.error_code = errc::group_id_not_found;
    missing.error_message = "Group g2 not found.";
    missing.group_id = "g2";
    missing.group_state = "Dead";
    missing.group_epoch = -1;
    missing.assignment_epoch = -1;
    r.groups = {golden_group(-1), missing};
    check_golden(r, 0,
                 from_hex("000000000300000003673107537461626c65000000040000000408756e69666f726d02046d2d3104692d3103"
                          "72310000000402630a2f31302e302e302e3102027400020102030405060708090a0b0c0d0e0f10027403000000"
                          "00000000010000010000800000000000451447726f7570206732206e6f7420666f756e642e036732054465"
                          "6164ffffffffffffffff0101800000000000"));
  }
  SUBCASE("response v1 with the member type (KIP-1099)") {
    // kafka-golden encode ConsumerGroupDescribeResponse 1 '{"throttleTimeMs":5,"groups":[{"errorCode":0,
    //   "errorMessage":null,"groupId":"g1","groupState":"Stable","groupEpoch":4,"assignmentEpoch":4,
    //   "assignorName":"uniform","members":[<the v0 member>,"memberType":1}],"authorizedOperations":8}]}'
    Response r;
    r.throttle_time_ms = 5;
    r.groups = {golden_group(1)};
    r.groups[0].authorized_operations = 8;
    check_golden(r, 1,
                 from_hex("000000050200000003673107537461626c65000000040000000408756e69666f726d02046d2d3104692d3103"
                          "72310000000402630a2f31302e302e302e3102027400020102030405060708090a0b0c0d0e0f10027403000000"
                          "000000000100000100010000000008000"
                          "0"));
  }
}

TEST_CASE("ConsumerGroupDescribe decoding fails at every truncation") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_every_truncation_fails<Request>(encode(Request{{"g1", "g2"}, true, {}}, v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("ConsumerGroupDescribe leaves the ignorable member type out at v0") {
  Response back;
  REQUIRE_FALSE(decode_message(encode(sample_response(1), 0), 0, back));
  Response expected = sample_response(1);
  expected.groups[0].members[0].member_type = -1;
  CHECK(back == expected);
}

TEST_CASE("ConsumerGroupDescribe rejects versions outside 0-1 and trailing bytes") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 2, out) == client_errc::unsupported_version);
  CHECK(encode_message(Response{}, -1, out) == client_errc::unsupported_version);
  auto wire = encode(Request{}, 0);
  wire.push_back(0);
  Request r;
  CHECK(decode_message(wire, 0, r) == client_errc::trailing_bytes);
}
