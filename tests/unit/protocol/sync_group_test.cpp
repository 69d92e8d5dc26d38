// SyncGroup codec tests. Golden vectors come from Kafka 4.4.0's own
// generated classes (tests/golden/kafka-golden, command above each).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/sync_group.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

SyncGroupRequest sample_request(std::int16_t version) {
  SyncGroupRequest r;
  r.group_id = "orders";
  r.generation_id = 17;
  r.member_id = "m-1";
  if (version >= 3) r.group_instance_id = "pod-1";
  if (version >= 5) {
    r.protocol_type = "consumer";
    r.protocol_name = "cooperative-sticky";
  }
  r.assignments = {{"m-1", {0, 3, 0, 0, 0, 0}, {}}, {"m-2", {}, {}}};
  if (version >= 4) {
    r.unknown_tags = {RawTaggedField{4, {0x10, 0x20}}};
    r.assignments[0].unknown_tags = {RawTaggedField{1, {}}};
  }
  return r;
}

SyncGroupResponse sample_response(std::int16_t version) {
  SyncGroupResponse r;
  if (version >= 1) r.throttle_time_ms = 3;
  r.error_code = errc::rebalance_in_progress;
  if (version >= 5) {
    r.protocol_type = "consumer";
    r.protocol_name = "range";
  }
  r.assignment = {0, 3, 0, 0, 0, 1, 0, 1, 't'};
  if (version >= 4) r.unknown_tags = {RawTaggedField{0, {0x01}}, RawTaggedField{9, {}}};
  return r;
}

}  // namespace

TEST_CASE("SyncGroup codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::sync_group);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == SyncGroupRequest::min_version);
  CHECK(s->max_version == SyncGroupRequest::max_version);
  CHECK(s->first_flexible_version == SyncGroupRequest::first_flexible_version);
  CHECK(SyncGroupResponse::max_version == SyncGroupRequest::max_version);
  CHECK(SyncGroupResponse::first_flexible_version == SyncGroupRequest::first_flexible_version);
}

TEST_CASE("SyncGroup round trips at every version") {
  for (std::int16_t v = SyncGroupRequest::min_version; v <= SyncGroupRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(SyncGroupRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(SyncGroupResponse{}, v);
  }
}

TEST_CASE("SyncGroup golden vectors from Kafka's encoder") {
  SUBCASE("request v0, the leader's assignments") {
    // kafka-golden encode SyncGroupRequest 0 '{"groupId":"g1","generationId":3,"memberId":"m-1","assignments":[
    //   {"memberId":"m-1","assignment":"AAEC"},{"memberId":"m-2","assignment":""}]}'
    SyncGroupRequest r;
    r.group_id = "g1";
    r.generation_id = 3;
    r.member_id = "m-1";
    r.assignments = {{"m-1", {0, 1, 2}, {}}, {"m-2", {}, {}}};
    check_golden(r, 0, from_hex("000267310000000300036d2d310000000200036d2d310000000300010200036d2d3200000000"));
  }
  SUBCASE("request v4, first flexible, a static follower") {
    // kafka-golden encode SyncGroupRequest 4 '{"groupId":"g1","generationId":3,"memberId":"m-2",
    //   "groupInstanceId":"i-2","assignments":[]}'
    SyncGroupRequest r;
    r.group_id = "g1";
    r.generation_id = 3;
    r.member_id = "m-2";
    r.group_instance_id = "i-2";
    check_golden(r, 4, from_hex("03673100000003046d2d3204692d320100"));
  }
  SUBCASE("request v5 with protocol type and name (KIP-559)") {
    // kafka-golden encode SyncGroupRequest 5 '{"groupId":"g1","generationId":3,"memberId":"m-1",
    //   "groupInstanceId":null,"protocolType":"consumer","protocolName":"range",
    //   "assignments":[{"memberId":"m-1","assignment":"AAEC"}]}'
    SyncGroupRequest r;
    r.group_id = "g1";
    r.generation_id = 3;
    r.member_id = "m-1";
    r.protocol_type = "consumer";
    r.protocol_name = "range";
    r.assignments = {{"m-1", {0, 1, 2}, {}}};
    check_golden(r, 5, from_hex("03673100000003046d2d310009636f6e73756d65720672616e676502046d2d31040001020000"));
  }
  SUBCASE("response v0") {
    // kafka-golden encode SyncGroupResponse 0 '{"errorCode":0,"assignment":"AAEC"}'
    SyncGroupResponse r;
    r.assignment = {0, 1, 2};
    check_golden(r, 0, from_hex("000000000003000102"));
  }
  SUBCASE("response v4, REBALANCE_IN_PROGRESS") {
    // kafka-golden encode SyncGroupResponse 4 '{"throttleTimeMs":5,"errorCode":27,"assignment":""}'
    SyncGroupResponse r;
    r.throttle_time_ms = 5;
    r.error_code = errc::rebalance_in_progress;
    check_golden(r, 4, from_hex("00000005001b0100"));
  }
  SUBCASE("response v5") {
    // kafka-golden encode SyncGroupResponse 5 '{"throttleTimeMs":0,"errorCode":0,"protocolType":"consumer",
    //   "protocolName":"range","assignment":"AAEC"}'
    SyncGroupResponse r;
    r.protocol_type = "consumer";
    r.protocol_name = "range";
    r.assignment = {0, 1, 2};
    check_golden(r, 5, from_hex("00000000000009636f6e73756d65720672616e67650400010200"));
  }
}

TEST_CASE("SyncGroup decoding fails at every truncation") {
  check_truncations<SyncGroupRequest, SyncGroupResponse>(sample_request, sample_response);
}

TEST_CASE("SyncGroup refuses fields the version lacks, drops the ignorable ones") {
  std::vector<std::uint8_t> out{0x99};
  SyncGroupRequest stat;
  stat.group_instance_id = "pod-1";
  CHECK(encode_message(stat, 2, out) == client_errc::field_not_in_version);
  CHECK(out.size() == 1);
  CHECK_FALSE(encode_message(stat, 3, out));

  SyncGroupRequest tagged;
  tagged.assignments = {{"m", {}, {RawTaggedField{1, {}}}}};
  CHECK(encode_message(tagged, 3, out) == client_errc::field_not_in_version);
  SyncGroupResponse tagged_response;
  tagged_response.unknown_tags = {RawTaggedField{1, {}}};
  CHECK(encode_message(tagged_response, 3, out) == client_errc::field_not_in_version);

  // ProtocolType/ProtocolName are ignorable: left out below v5.
  SyncGroupResponse named;
  named.protocol_type = "consumer";
  named.protocol_name = "range";
  SyncGroupResponse back;
  REQUIRE_FALSE(decode_message(encode(named, 4), 4, back));
  CHECK(back == SyncGroupResponse{});
}

TEST_CASE("SyncGroup rejects versions outside 0-5 and trailing bytes") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(SyncGroupRequest{}, 6, out) == client_errc::unsupported_version);
  CHECK(encode_message(SyncGroupResponse{}, -1, out) == client_errc::unsupported_version);
  auto wire = encode(SyncGroupResponse{}, 5);
  wire.push_back(0);
  SyncGroupResponse r;
  CHECK(decode_message(wire, 5, r) == client_errc::trailing_bytes);
}
