// LeaveGroup codec tests. Golden vectors come from Kafka 4.4.0's own
// generated classes (tests/golden/kafka-golden, command above each).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/leave_group.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

LeaveGroupRequest sample_request(std::int16_t version) {
  LeaveGroupRequest r;
  r.group_id = "orders";
  if (version < 3) {
    r.member_id = "consumer-1-6f1c";
    return r;
  }
  r.members = {{"consumer-1-6f1c", std::nullopt, std::nullopt, {}}, {"", "pod-2", std::nullopt, {}}};
  if (version >= 5) r.members[0].reason = "the consumer is being closed";
  if (version >= 4) {
    r.members[1].unknown_tags = {RawTaggedField{3, {0x33}}};
    r.unknown_tags = {RawTaggedField{0, {}}};
  }
  return r;
}

LeaveGroupResponse sample_response(std::int16_t version) {
  LeaveGroupResponse r;
  if (version >= 1) r.throttle_time_ms = 12;
  if (version >= 3) {
    r.members = {{"m-1", std::nullopt, errc::none, {}}, {"", "pod-2", errc::unknown_member_id, {}}};
    if (version >= 4) r.members[0].unknown_tags = {RawTaggedField{5, {0x00}}};
  } else {
    r.error_code = errc::unknown_member_id;
  }
  return r;
}

}  // namespace

TEST_CASE("LeaveGroup codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::leave_group);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == LeaveGroupRequest::min_version);
  CHECK(s->max_version == LeaveGroupRequest::max_version);
  CHECK(s->first_flexible_version == LeaveGroupRequest::first_flexible_version);
  CHECK(LeaveGroupResponse::max_version == LeaveGroupRequest::max_version);
  CHECK(LeaveGroupResponse::first_flexible_version == LeaveGroupRequest::first_flexible_version);
}

TEST_CASE("LeaveGroup round trips at every version") {
  for (std::int16_t v = LeaveGroupRequest::min_version; v <= LeaveGroupRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(LeaveGroupRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(LeaveGroupResponse{}, v);
  }
}

TEST_CASE("LeaveGroup golden vectors from Kafka's encoder") {
  SUBCASE("request v0, one member id") {
    // kafka-golden encode LeaveGroupRequest 0 '{"groupId":"g1","memberId":"m-1"}'
    LeaveGroupRequest r;
    r.group_id = "g1";
    r.member_id = "m-1";
    check_golden(r, 0, from_hex("0002673100036d2d31"));
  }
  SUBCASE("request v3, the first batch version") {
    // kafka-golden encode LeaveGroupRequest 3 '{"groupId":"g1","members":[{"memberId":"m-1","groupInstanceId":"i-1"}]}'
    LeaveGroupRequest r;
    r.group_id = "g1";
    r.members = {{"m-1", "i-1", std::nullopt, {}}};
    check_golden(r, 3, from_hex("000267310000000100036d2d310003692d31"));
  }
  SUBCASE("request v4, first flexible, a batch of two") {
    // kafka-golden encode LeaveGroupRequest 4 '{"groupId":"g1","members":[{"memberId":"m-1","groupInstanceId":null},
    //   {"memberId":"","groupInstanceId":"i-2"}]}'
    LeaveGroupRequest r;
    r.group_id = "g1";
    r.members = {{"m-1", std::nullopt, std::nullopt, {}}, {"", "i-2", std::nullopt, {}}};
    check_golden(r, 4, from_hex("03673103046d2d3100000104692d320000"));
  }
  SUBCASE("request v5 with a reason (KIP-800)") {
    // kafka-golden encode LeaveGroupRequest 5 '{"groupId":"g1","members":[{"memberId":"m-1","groupInstanceId":null,
    //   "reason":"the consumer is being closed"}]}'
    LeaveGroupRequest r;
    r.group_id = "g1";
    r.members = {{"m-1", std::nullopt, "the consumer is being closed", {}}};
    check_golden(r, 5,
                 from_hex("03673102046d2d31001d74686520636f6e73756d6572206973206265696e6720636c6f7365640000"));
  }
  SUBCASE("response v0") {
    // kafka-golden encode LeaveGroupResponse 0 '{"errorCode":25}'
    LeaveGroupResponse r;
    r.error_code = errc::unknown_member_id;
    check_golden(r, 0, from_hex("0019"));
  }
  SUBCASE("response v3, FENCED_INSTANCE_ID for one member") {
    // kafka-golden encode LeaveGroupResponse 3 '{"throttleTimeMs":2,"errorCode":0,"members":[{"memberId":"m-1",
    //   "groupInstanceId":"i-1","errorCode":82}]}'
    LeaveGroupResponse r;
    r.throttle_time_ms = 2;
    r.members = {{"m-1", "i-1", errc::fenced_instance_id, {}}};
    check_golden(r, 3, from_hex("0000000200000000000100036d2d310003692d310052"));
  }
  SUBCASE("response v4, first flexible") {
    // kafka-golden encode LeaveGroupResponse 4 '{"throttleTimeMs":1,"errorCode":0,"members":[{"memberId":"m-1",
    //   "groupInstanceId":null,"errorCode":0},{"memberId":"","groupInstanceId":"i-2","errorCode":25}]}'
    LeaveGroupResponse r;
    r.throttle_time_ms = 1;
    r.members = {{"m-1", std::nullopt, errc::none, {}}, {"", "i-2", errc::unknown_member_id, {}}};
    check_golden(r, 4, from_hex("00000001000003046d2d31000000000104692d3200190000"));
  }
  SUBCASE("response v5") {
    // kafka-golden encode LeaveGroupResponse 5 '{"throttleTimeMs":0,"errorCode":0,"members":[{"memberId":"m-1",
    //   "groupInstanceId":null,"errorCode":0}]}'
    LeaveGroupResponse r;
    r.members = {{"m-1", std::nullopt, errc::none, {}}};
    check_golden(r, 5, from_hex("00000000000002046d2d310000000000"));
  }
}

TEST_CASE("LeaveGroup decoding fails at every truncation") {
  check_truncations<LeaveGroupRequest, LeaveGroupResponse>(sample_request, sample_response);
}

TEST_CASE("LeaveGroup refuses the member form the version lacks") {
  std::vector<std::uint8_t> out{0x99};
  for (std::int16_t v = 0; v < 3; ++v) {
    CAPTURE(v);
    CHECK(encode_message(sample_request(3), v, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(3), v, out) == client_errc::field_not_in_version);
  }
  for (std::int16_t v = 3; v <= 5; ++v) {
    CAPTURE(v);
    CHECK(encode_message(sample_request(0), v, out) == client_errc::field_not_in_version);
  }
  CHECK(out.size() == 1);  // nothing half-written
  CHECK(encode_message(sample_request(4), 3, out) == client_errc::field_not_in_version);  // tags below v4

  // Reason is ignorable: v4 leaves it out.
  LeaveGroupRequest with_reason;
  with_reason.members = {{"m-1", std::nullopt, "closing", {}}};
  LeaveGroupRequest back;
  REQUIRE_FALSE(decode_message(encode(with_reason, 4), 4, back));
  REQUIRE(back.members.size() == 1);
  CHECK(back.members[0].reason == std::nullopt);
  CHECK(back.members[0].member_id == "m-1");
}

TEST_CASE("LeaveGroup rejects versions outside 0-5 and trailing bytes") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(LeaveGroupRequest{}, 6, out) == client_errc::unsupported_version);
  CHECK(encode_message(LeaveGroupResponse{}, -1, out) == client_errc::unsupported_version);
  LeaveGroupResponse r;
  CHECK(decode_message(bytes({0x00, 0x19, 0x00}), 0, r) == client_errc::trailing_bytes);
}
