// OffsetFetch codec tests. Golden vectors come from Kafka's own generated
// classes (tests/golden/kafka-golden, command above each): 4.4.0's, and
// 3.9's (KWIRE_GOLDEN_KAFKA=3.9.x) for v0, which 4.x no longer speaks.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/offset_fetch.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

const Uuid kTopicId{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};

using RequestTopics = std::vector<OffsetFetchRequest::Topic>;

RequestTopics request_topics(std::int16_t version) {
  OffsetFetchRequest::Topic t;
  if (version >= 10)
    t.topic_id = kTopicId;
  else
    t.name = "payments";
  t.partition_indexes = {0, 1, 2};
  if (version >= 6) t.unknown_tags = {RawTaggedField{6, {0x06}}};
  return {t};
}

OffsetFetchRequest sample_request(std::int16_t version) {
  OffsetFetchRequest r;
  if (version >= 7) r.require_stable = true;
  if (version >= 6) r.unknown_tags = {RawTaggedField{0, {}}};
  if (version < 8) {
    r.group_id = "orders";
    r.topics = request_topics(version);
    return r;
  }
  r.topics = RequestTopics{};
  OffsetFetchRequest::Group g1{"orders", std::nullopt, -1, request_topics(version), {}};
  if (version >= 9) {
    g1.member_id = "m-1";
    g1.member_epoch = 14;
  }
  OffsetFetchRequest::Group g2{"audit", std::nullopt, -1, std::nullopt, {RawTaggedField{1, {0x11}}}};
  r.groups = {g1, g2};
  return r;
}

std::vector<OffsetFetchResponse::Topic> response_topics(std::int16_t version) {
  OffsetFetchResponse::Topic t;
  if (version >= 10)
    t.topic_id = kTopicId;
  else
    t.name = "payments";
  OffsetFetchResponse::Partition p0;
  p0.partition_index = 0;
  p0.committed_offset = 12345;
  if (version >= 5) p0.committed_leader_epoch = 2;
  p0.metadata = "host-a";
  OffsetFetchResponse::Partition p1;
  p1.partition_index = 1;
  p1.committed_offset = -1;
  p1.metadata = std::nullopt;
  p1.error_code = version >= 7 ? errc::unstable_offset_commit : errc::none;
  t.partitions = {p0, p1};
  if (version >= 6) t.partitions[1].unknown_tags = {RawTaggedField{2, {0x02}}};
  return {t};
}

OffsetFetchResponse sample_response(std::int16_t version) {
  OffsetFetchResponse r;
  if (version >= 3) r.throttle_time_ms = 6;
  if (version < 8) {
    r.topics = response_topics(version);
    if (version >= 2) r.error_code = errc::not_coordinator;
    return r;
  }
  r.groups = {{"orders", response_topics(version), errc::none, {}},
              {"audit", {}, errc::group_authorization_failed, {RawTaggedField{3, {}}}}};
  return r;
}

}  // namespace

TEST_CASE("OffsetFetch codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::offset_fetch);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == OffsetFetchRequest::min_version);
  CHECK(s->max_version == OffsetFetchRequest::max_version);
  CHECK(s->first_flexible_version == OffsetFetchRequest::first_flexible_version);
  CHECK(OffsetFetchResponse::max_version == OffsetFetchRequest::max_version);
  CHECK(OffsetFetchResponse::first_flexible_version == OffsetFetchRequest::first_flexible_version);
}

TEST_CASE("OffsetFetch round trips at every version") {
  for (std::int16_t v = OffsetFetchRequest::min_version; v <= OffsetFetchRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(OffsetFetchRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(OffsetFetchResponse{}, v);
    if (v >= 2 && v < 8) {
      OffsetFetchRequest all;  // null topics: every topic of the group
      all.group_id = "orders";
      all.topics = std::nullopt;
      check_round_trip(all, v);
    }
  }
}

TEST_CASE("OffsetFetch golden vectors from Kafka's encoder") {
  SUBCASE("request v0 (Kafka 3.9)") {
    // KWIRE_GOLDEN_KAFKA=3.9.x kafka-golden encode OffsetFetchRequest 0 '{"groupId":"g1","topics":[{"name":"t",
    //   "partitionIndexes":[0,1]}]}'
    OffsetFetchRequest r;
    r.group_id = "g1";
    r.topics = RequestTopics{{"t", {}, {0, 1}, {}}};
    check_golden(r, 0, from_hex("0002673100000001000174000000020000000000000001"));
  }
  SUBCASE("request v2, all topics") {
    // kafka-golden encode OffsetFetchRequest 2 '{"groupId":"g1","topics":null}'
    OffsetFetchRequest r;
    r.group_id = "g1";
    r.topics = std::nullopt;
    check_golden(r, 2, from_hex("00026731ffffffff"));
  }
  SUBCASE("request v6, first flexible") {
    // kafka-golden encode OffsetFetchRequest 6 '{"groupId":"g1","topics":[{"name":"t","partitionIndexes":[0,1]}]}'
    OffsetFetchRequest r;
    r.group_id = "g1";
    r.topics = RequestTopics{{"t", {}, {0, 1}, {}}};
    check_golden(r, 6, from_hex("0367310202740300000000000000010000"));
  }
  SUBCASE("request v7, RequireStable (KIP-447)") {
    // kafka-golden encode OffsetFetchRequest 7 '{"groupId":"g1","topics":null,"requireStable":true}'
    OffsetFetchRequest r;
    r.group_id = "g1";
    r.topics = std::nullopt;
    r.require_stable = true;
    check_golden(r, 7, from_hex("036731000100"));
  }
  SUBCASE("request v8, two groups") {
    // kafka-golden encode OffsetFetchRequest 8 '{"groups":[{"groupId":"g1","topics":[{"name":"t",
    //   "partitionIndexes":[2]}]},{"groupId":"g2","topics":null}],"requireStable":true}'
    OffsetFetchRequest r;
    r.groups = {{"g1", std::nullopt, -1, RequestTopics{{"t", {}, {2}, {}}}, {}},
                {"g2", std::nullopt, -1, std::nullopt, {}}};
    r.require_stable = true;
    check_golden(r, 8, from_hex("030367310202740200000002000003673200000100"));
  }
  SUBCASE("request v9, KIP-848 member epoch") {
    // kafka-golden encode OffsetFetchRequest 9 '{"groups":[{"groupId":"g1","memberId":"m-1","memberEpoch":5,
    //   "topics":[{"name":"t","partitionIndexes":[2]}]}],"requireStable":true}'
    OffsetFetchRequest r;
    r.groups = {{"g1", "m-1", 5, RequestTopics{{"t", {}, {2}, {}}}, {}}};
    r.require_stable = true;
    check_golden(r, 9, from_hex("02036731046d2d3100000005020274020000000200000100"));
  }
  SUBCASE("request v10, topics by id (Kafka 4.1+)") {
    // kafka-golden encode OffsetFetchRequest 10 '{"groups":[{"groupId":"g1","memberId":"m-1","memberEpoch":5,
    //   "topics":[{"topicId":"AQIDBAUGBwgJCgsMDQ4PEA","partitionIndexes":[2]}]}],"requireStable":false}'
    OffsetFetchRequest r;
    r.groups = {{"g1", "m-1", 5, RequestTopics{{"", kTopicId, {2}, {}}}, {}}};
    check_golden(r, 10, from_hex("02036731046d2d3100000005020102030405060708090a0b0c0d0e0f10020000000200000000"));
  }
  SUBCASE("response v0 (Kafka 3.9)") {
    // KWIRE_GOLDEN_KAFKA=3.9.x kafka-golden encode OffsetFetchResponse 0 '{"topics":[{"name":"t","partitions":[
    //   {"partitionIndex":0,"committedOffset":42,"metadata":"","errorCode":0}]}]}'
    OffsetFetchResponse r;
    r.topics = {{"t", {}, {{0, 42, -1, std::string(), errc::none, {}}}, {}}};
    check_golden(r, 0, from_hex("000000010001740000000100000000000000000000002a00000000"));
  }
  SUBCASE("response v5, nothing committed") {
    // kafka-golden encode OffsetFetchResponse 5 '{"throttleTimeMs":1,"topics":[{"name":"t","partitions":[
    //   {"partitionIndex":0,"committedOffset":-1,"committedLeaderEpoch":-1,"metadata":null,"errorCode":0}]}],
    //   "errorCode":0}'
    OffsetFetchResponse r;
    r.throttle_time_ms = 1;
    r.topics = {{"t", {}, {{0, -1, -1, std::nullopt, errc::none, {}}}, {}}};
    check_golden(r, 5, from_hex("00000001000000010001740000000100000000ffffffffffffffffffffffffffff00000000"));
  }
  SUBCASE("response v6, first flexible, NOT_COORDINATOR") {
    // kafka-golden encode OffsetFetchResponse 6 '{"throttleTimeMs":0,"topics":[{"name":"t","partitions":[
    //   {"partitionIndex":0,"committedOffset":42,"committedLeaderEpoch":3,"metadata":"","errorCode":0}]}],
    //   "errorCode":16}'
    OffsetFetchResponse r;
    r.topics = {{"t", {}, {{0, 42, 3, std::string(), errc::none, {}}}, {}}};
    r.error_code = errc::not_coordinator;
    check_golden(r, 6, from_hex("000000000202740200000000000000000000002a000000030100000000001000"));
  }
  SUBCASE("response v8, UNSTABLE_OFFSET_COMMIT") {
    // kafka-golden encode OffsetFetchResponse 8 '{"throttleTimeMs":0,"groups":[{"groupId":"g1","topics":[{"name":"t",
    //   "partitions":[{"partitionIndex":0,"committedOffset":42,"committedLeaderEpoch":3,"metadata":"",
    //   "errorCode":88}]}],"errorCode":0}]}'
    OffsetFetchResponse r;
    r.groups = {{"g1", {{"t", {}, {{0, 42, 3, std::string(), errc::unstable_offset_commit, {}}}, {}}}, errc::none, {}}};
    check_golden(r, 8, from_hex("00000000020367310202740200000000000000000000002a00000003010058000000000000"));
  }
  SUBCASE("response v10, topics by id, a stale member epoch") {
    // kafka-golden encode OffsetFetchResponse 10 '{"throttleTimeMs":2,"groups":[{"groupId":"g1","topics":[
    //   {"topicId":"AQIDBAUGBwgJCgsMDQ4PEA","partitions":[{"partitionIndex":2,"committedOffset":42,
    //   "committedLeaderEpoch":3,"metadata":null,"errorCode":0}]}],"errorCode":0},{"groupId":"g2","topics":[],
    //   "errorCode":113}]}'
    OffsetFetchResponse r;
    r.throttle_time_ms = 2;
    r.groups = {{"g1", {{"", kTopicId, {{2, 42, 3, std::nullopt, errc::none, {}}}, {}}}, errc::none, {}},
                {"g2", {}, errc::stale_member_epoch, {}}};
    check_golden(r, 10,
                 from_hex("0000000203036731020102030405060708090a0b0c0d0e0f100200000002000000000000002a00000003000000"
                          "00000000000367320100710000"));
  }
}

TEST_CASE("OffsetFetch decoding fails at every truncation") {
  check_truncations<OffsetFetchRequest, OffsetFetchResponse>(sample_request, sample_response);
}

TEST_CASE("OffsetFetch refuses fields the version lacks, drops the ignorable ones") {
  std::vector<std::uint8_t> out{0x99};
  SUBCASE("single-group fields from v8, groups before v8") {
    CHECK(encode_message(sample_request(7), 8, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_request(8), 7, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(7), 8, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(8), 7, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);  // nothing half-written
  }
  SUBCASE("RequireStable below v7 (KIP-447: never silently read unstable offsets)") {
    OffsetFetchRequest r = sample_request(6);
    r.require_stable = true;
    CHECK(encode_message(r, 6, out) == client_errc::field_not_in_version);
  }
  SUBCASE("null topics below v2, names and ids in the wrong versions") {
    OffsetFetchRequest all;
    all.topics = std::nullopt;
    CHECK(encode_message(all, 1, out) == client_errc::field_not_in_version);
    CHECK_FALSE(encode_message(all, 2, out));
    CHECK(encode_message(sample_request(9), 10, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_request(10), 9, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(9), 10, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(10), 9, out) == client_errc::field_not_in_version);
  }
  SUBCASE("the single-group ErrorCode is ignorable: left out from v8 (and below v2)") {
    OffsetFetchResponse r = sample_response(8);
    r.error_code = errc::not_coordinator;
    OffsetFetchResponse back;
    REQUIRE_FALSE(decode_message(encode(r, 8), 8, back));
    CHECK(back == sample_response(8));
    OffsetFetchResponse old = sample_response(1);
    old.error_code = errc::not_coordinator;
    REQUIRE_FALSE(decode_message(encode(old, 1), 1, back));
    CHECK(back == sample_response(1));
  }
  SUBCASE("CommittedLeaderEpoch is left out below v5, as Kafka 4.4's encoder does") {
    OffsetFetchResponse back;
    REQUIRE_FALSE(decode_message(encode(sample_response(5), 4), 4, back));
    CHECK(back == sample_response(4));
  }
  SUBCASE("member id and epoch are ignorable below v9") {
    OffsetFetchRequest r = sample_request(9);
    r.require_stable = false;
    OffsetFetchRequest back;
    REQUIRE_FALSE(decode_message(encode(r, 8), 8, back));
    REQUIRE(back.groups.size() == 2);
    CHECK(back.groups[0].member_id == std::nullopt);
    CHECK(back.groups[0].member_epoch == -1);
    CHECK(back.groups[0].topics == r.groups[0].topics);
  }
}

TEST_CASE("OffsetFetch rejects versions outside 0-10, trailing bytes and a null topic list at v0-1") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(OffsetFetchRequest{}, 11, out) == client_errc::unsupported_version);
  CHECK(encode_message(OffsetFetchResponse{}, -1, out) == client_errc::unsupported_version);
  auto wire = encode(sample_response(10), 10);
  wire.push_back(0);
  OffsetFetchResponse r;
  CHECK(decode_message(wire, 10, r) == client_errc::trailing_bytes);
  OffsetFetchRequest request;
  CHECK(decode_message(from_hex("00026731ffffffff"), 1, request) == client_errc::malformed);
  CHECK_FALSE(decode_message(from_hex("00026731ffffffff"), 2, request));
}
