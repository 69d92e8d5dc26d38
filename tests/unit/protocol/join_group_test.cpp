// JoinGroup codec tests. Golden vectors come from Kafka 4.4.0's own
// generated classes (tests/golden/kafka-golden, command above each).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/join_group.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

JoinGroupRequest sample_request(std::int16_t version) {
  JoinGroupRequest r;
  r.group_id = "orders";
  r.session_timeout_ms = 45000;
  if (version >= 1) r.rebalance_timeout_ms = 300000;
  r.member_id = "consumer-1-6f1c";
  if (version >= 5) r.group_instance_id = "pod-3";
  r.protocol_type = "consumer";
  r.protocols = {{"cooperative-sticky", {0, 3, 0, 0, 0, 1}, {}}, {"range", {}, {}}};
  if (version >= 8) r.reason = "need to re-join with the given member-id";
  if (version >= 6) {
    r.unknown_tags = {RawTaggedField{7, {0x01}}};
    r.protocols[1].unknown_tags = {RawTaggedField{0, {}}};
  }
  return r;
}

JoinGroupResponse sample_response(std::int16_t version) {
  JoinGroupResponse r;
  if (version >= 2) r.throttle_time_ms = 11;
  r.error_code = version >= 4 ? errc::member_id_required : errc::none;
  r.generation_id = 4;
  if (version >= 7) r.protocol_type = "consumer";
  r.protocol_name = "range";
  r.leader = "m-1";
  if (version >= 9) r.skip_assignment = true;
  r.member_id = "m-1";
  r.members = {{"m-1", std::nullopt, {0, 1}, {}}, {"m-2", std::nullopt, {}, {}}};
  if (version >= 5) r.members[0].group_instance_id = "pod-1";
  if (version >= 6) r.members[1].unknown_tags = {RawTaggedField{2, {0xee}}};
  return r;
}

}  // namespace

TEST_CASE("JoinGroup codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::join_group);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == JoinGroupRequest::min_version);
  CHECK(s->max_version == JoinGroupRequest::max_version);
  CHECK(s->first_flexible_version == JoinGroupRequest::first_flexible_version);
  CHECK(JoinGroupResponse::max_version == JoinGroupRequest::max_version);
  CHECK(JoinGroupResponse::first_flexible_version == JoinGroupRequest::first_flexible_version);
}

TEST_CASE("JoinGroup round trips at every version") {
  for (std::int16_t v = JoinGroupRequest::min_version; v <= JoinGroupRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(JoinGroupRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(JoinGroupResponse{}, v);
  }
}

TEST_CASE("JoinGroup golden vectors from Kafka's encoder") {
  SUBCASE("request v0") {
    // kafka-golden encode JoinGroupRequest 0 '{"groupId":"g1","sessionTimeoutMs":45000,"memberId":"",
    //   "protocolType":"consumer","protocols":[{"name":"range","metadata":"AAEC"}]}'
    JoinGroupRequest r;
    r.group_id = "g1";
    r.session_timeout_ms = 45000;
    r.protocol_type = "consumer";
    r.protocols = {{"range", {0, 1, 2}, {}}};
    check_golden(r, 0, from_hex("000267310000afc800000008636f6e73756d657200000001000572616e676500000003000102"));
  }
  SUBCASE("request v6, first flexible, static member") {
    // kafka-golden encode JoinGroupRequest 6 '{"groupId":"g1","sessionTimeoutMs":45000,"rebalanceTimeoutMs":300000,
    //   "memberId":"m-1","groupInstanceId":"i-1","protocolType":"consumer","protocols":[{"name":"range",
    //   "metadata":"AAEC"},{"name":"cooperative-sticky","metadata":""}]}'
    JoinGroupRequest r;
    r.group_id = "g1";
    r.session_timeout_ms = 45000;
    r.rebalance_timeout_ms = 300000;
    r.member_id = "m-1";
    r.group_instance_id = "i-1";
    r.protocol_type = "consumer";
    r.protocols = {{"range", {0, 1, 2}, {}}, {"cooperative-sticky", {}, {}}};
    check_golden(r, 6,
                 from_hex("0367310000afc8000493e0046d2d3104692d3109636f6e73756d6572030672616e676504000102001363"
                          "6f6f70657261746976652d737469636b79010000"));
  }
  SUBCASE("request v9 with a reason") {
    // kafka-golden encode JoinGroupRequest 9 '{"groupId":"g1","sessionTimeoutMs":45000,"rebalanceTimeoutMs":300000,
    //   "memberId":"m-1","groupInstanceId":null,"protocolType":"consumer","protocols":[{"name":"range",
    //   "metadata":"AAEC"}],"reason":"rebalance failed due to X"}'
    JoinGroupRequest r;
    r.group_id = "g1";
    r.session_timeout_ms = 45000;
    r.rebalance_timeout_ms = 300000;
    r.member_id = "m-1";
    r.protocol_type = "consumer";
    r.protocols = {{"range", {0, 1, 2}, {}}};
    r.reason = "rebalance failed due to X";
    check_golden(r, 9,
                 from_hex("0367310000afc8000493e0046d2d310009636f6e73756d6572020672616e676504000102001a72656261"
                          "6c616e6365206661696c65642064756520746f205800"));
  }
  SUBCASE("response v0") {
    // kafka-golden encode JoinGroupResponse 0 '{"errorCode":0,"generationId":3,"protocolName":"range",
    //   "leader":"m-1","memberId":"m-2","members":[]}'
    JoinGroupResponse r;
    r.generation_id = 3;
    r.protocol_name = "range";
    r.leader = "m-1";
    r.member_id = "m-2";
    check_golden(r, 0, from_hex("000000000003000572616e676500036d2d3100036d2d3200000000"));
  }
  SUBCASE("response v6, first flexible, leader with members") {
    // kafka-golden encode JoinGroupResponse 6 '{"throttleTimeMs":7,"errorCode":0,"generationId":3,
    //   "protocolName":"range","leader":"m-1","memberId":"m-1","members":[{"memberId":"m-1",
    //   "groupInstanceId":"i-1","metadata":"AAEC"},{"memberId":"m-2","groupInstanceId":null,"metadata":""}]}'
    JoinGroupResponse r;
    r.throttle_time_ms = 7;
    r.generation_id = 3;
    r.protocol_name = "range";
    r.leader = "m-1";
    r.member_id = "m-1";
    r.members = {{"m-1", "i-1", {0, 1, 2}, {}}, {"m-2", std::nullopt, {}, {}}};
    check_golden(r, 6,
                 from_hex("000000070000000000030672616e6765046d2d31046d2d3103046d2d3104692d310400010200046d2d32"
                          "00010000"));
  }
  SUBCASE("response v9, KIP-394 MEMBER_ID_REQUIRED") {
    // kafka-golden encode JoinGroupResponse 9 '{"throttleTimeMs":0,"errorCode":79,"generationId":-1,
    //   "protocolType":null,"protocolName":null,"leader":"","skipAssignment":false,"memberId":"m-9","members":[]}'
    JoinGroupResponse r;
    r.error_code = errc::member_id_required;
    r.protocol_name = std::nullopt;
    r.member_id = "m-9";
    check_golden(r, 9, from_hex("00000000004fffffffff00000100046d2d390100"));
  }
  SUBCASE("response v9, static leader told to skip the assignment") {
    // kafka-golden encode JoinGroupResponse 9 '{"throttleTimeMs":0,"errorCode":0,"generationId":12,
    //   "protocolType":"consumer","protocolName":"range","leader":"m-1","skipAssignment":true,"memberId":"m-1",
    //   "members":[{"memberId":"m-1","groupInstanceId":"i-1","metadata":"AAEC"}]}'
    JoinGroupResponse r;
    r.generation_id = 12;
    r.protocol_type = "consumer";
    r.protocol_name = "range";
    r.leader = "m-1";
    r.skip_assignment = true;
    r.member_id = "m-1";
    r.members = {{"m-1", "i-1", {0, 1, 2}, {}}};
    check_golden(r, 9,
                 from_hex("0000000000000000000c09636f6e73756d65720672616e6765046d2d3101046d2d3102046d2d3104692d"
                          "31040001020000"));
  }
}

TEST_CASE("JoinGroup decoding fails at every truncation") {
  check_truncations<JoinGroupRequest, JoinGroupResponse>(sample_request, sample_response);
}

TEST_CASE("JoinGroup refuses fields the version lacks, drops the ignorable ones") {
  std::vector<std::uint8_t> out{0x99};
  SUBCASE("a static member cannot join below v5 (KIP-345)") {
    JoinGroupRequest r = sample_request(4);
    r.group_instance_id = "pod-3";
    CHECK(encode_message(r, 4, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);  // nothing half-written
    CHECK_FALSE(encode_message(r, 5, out));
  }
  SUBCASE("tags below v6") {
    JoinGroupRequest r;
    r.protocols = {{"range", {}, {RawTaggedField{1, {}}}}};
    CHECK(encode_message(r, 5, out) == client_errc::field_not_in_version);
    JoinGroupResponse response;
    response.members = {{"m", std::nullopt, {}, {RawTaggedField{1, {}}}}};
    CHECK(encode_message(response, 5, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);
  }
  SUBCASE("SkipAssignment below v9, null ProtocolName below v7") {
    JoinGroupResponse skip;
    skip.skip_assignment = true;
    CHECK(encode_message(skip, 8, out) == client_errc::field_not_in_version);
    JoinGroupResponse null_name;
    null_name.protocol_name = std::nullopt;
    CHECK(encode_message(null_name, 6, out) == client_errc::field_not_in_version);
    CHECK_FALSE(encode_message(null_name, 7, out));
  }
  SUBCASE("ignorable fields are left out, as Kafka's encoder does") {
    JoinGroupRequest r = sample_request(9);
    r.unknown_tags.clear();
    r.protocols[1].unknown_tags.clear();
    r.group_instance_id.reset();
    JoinGroupRequest expected = r;
    expected.rebalance_timeout_ms = -1;
    expected.reason.reset();
    JoinGroupRequest back;
    REQUIRE_FALSE(decode_message(encode(r, 0), 0, back));
    CHECK(back == expected);
  }
}

TEST_CASE("JoinGroup rejects versions outside 0-9, trailing bytes and a null ProtocolName before v7") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(JoinGroupRequest{}, 10, out) == client_errc::unsupported_version);
  CHECK(encode_message(JoinGroupResponse{}, -1, out) == client_errc::unsupported_version);
  auto wire = encode(JoinGroupResponse{}, 3);
  wire.push_back(0);
  JoinGroupResponse r;
  CHECK(decode_message(wire, 3, r) == client_errc::trailing_bytes);
  // v6 response with ProtocolName null (compact length 0): not nullable until v7.
  CHECK(decode_message(from_hex("00000000000000000000000001010000"), 6, r) == client_errc::malformed);
}
