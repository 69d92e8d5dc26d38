// OffsetCommit codec tests. Golden vectors come from Kafka's own generated
// classes (tests/golden/kafka-golden, command above each): 4.4.0's, and
// 3.9's (KWIRE_GOLDEN_KAFKA=3.9.x) for v0-1, which 4.x no longer speaks.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/offset_commit.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

const Uuid kTopicId{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};

OffsetCommitRequest sample_request(std::int16_t version) {
  OffsetCommitRequest r;
  r.group_id = "orders";
  if (version >= 1) {
    r.generation_id_or_member_epoch = 21;
    r.member_id = "consumer-1-6f1c";
  }
  if (version >= 2 && version <= 4) r.retention_time_ms = 86400000;
  if (version >= 7) r.group_instance_id = "pod-1";
  OffsetCommitRequest::Topic t;
  if (version >= 10)
    t.topic_id = kTopicId;
  else
    t.name = "payments";
  OffsetCommitRequest::Partition p0;
  p0.partition_index = 0;
  p0.committed_offset = 1'000'000'000'000;
  if (version >= 6) p0.committed_leader_epoch = 4;
  if (version == 1) p0.commit_timestamp = 1700000000000;
  p0.committed_metadata = "host-a";
  OffsetCommitRequest::Partition p1;
  p1.partition_index = 7;
  p1.committed_offset = 0;
  p1.committed_metadata = std::nullopt;
  t.partitions = {p0, p1};
  if (version >= 8) {
    t.partitions[1].unknown_tags = {RawTaggedField{1, {0x01}}};
    t.unknown_tags = {RawTaggedField{0, {}}};
    r.unknown_tags = {RawTaggedField{2, {0xab}}};
  }
  r.topics = {t, OffsetCommitRequest::Topic{}};
  if (version >= 10) r.topics[1].topic_id = Uuid{{9}};
  return r;
}

OffsetCommitResponse sample_response(std::int16_t version) {
  OffsetCommitResponse r;
  if (version >= 3) r.throttle_time_ms = 8;
  OffsetCommitResponse::Topic t;
  if (version >= 10)
    t.topic_id = kTopicId;
  else
    t.name = "payments";
  t.partitions = {{0, errc::none, {}}, {7, errc::stale_member_epoch, {}}};
  if (version >= 8) t.partitions[0].unknown_tags = {RawTaggedField{4, {0x04, 0x04}}};
  r.topics = {t};
  return r;
}

}  // namespace

TEST_CASE("OffsetCommit codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::offset_commit);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == OffsetCommitRequest::min_version);
  CHECK(s->max_version == OffsetCommitRequest::max_version);
  CHECK(s->first_flexible_version == OffsetCommitRequest::first_flexible_version);
  CHECK(OffsetCommitResponse::max_version == OffsetCommitRequest::max_version);
  CHECK(OffsetCommitResponse::first_flexible_version == OffsetCommitRequest::first_flexible_version);
}

TEST_CASE("OffsetCommit round trips at every version") {
  for (std::int16_t v = OffsetCommitRequest::min_version; v <= OffsetCommitRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(OffsetCommitRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(OffsetCommitResponse{}, v);
  }
}

TEST_CASE("OffsetCommit golden vectors from Kafka's encoder") {
  SUBCASE("request v0 (Kafka 3.9)") {
    // KWIRE_GOLDEN_KAFKA=3.9.x kafka-golden encode OffsetCommitRequest 0 '{"groupId":"g1","topics":[{"name":"t",
    //   "partitions":[{"partitionIndex":0,"committedOffset":42,"committedMetadata":""}]}]}'
    OffsetCommitRequest r;
    r.group_id = "g1";
    r.topics = {{"t", {}, {{0, 42, -1, -1, std::string(), {}}}, {}}};
    check_golden(r, 0, from_hex("00026731000000010001740000000100000000000000000000002a0000"));
  }
  SUBCASE("request v1 with a commit timestamp (Kafka 3.9)") {
    // KWIRE_GOLDEN_KAFKA=3.9.x kafka-golden encode OffsetCommitRequest 1 '{"groupId":"g1",
    //   "generationIdOrMemberEpoch":3,
    //   "memberId":"m-1","topics":[{"name":"t","partitions":[{"partitionIndex":1,"committedOffset":42,
    //   "commitTimestamp":1700000000000,"committedMetadata":null}]}]}'
    OffsetCommitRequest r;
    r.group_id = "g1";
    r.generation_id_or_member_epoch = 3;
    r.member_id = "m-1";
    r.topics = {{"t", {}, {{1, 42, -1, 1700000000000, std::nullopt, {}}}, {}}};
    check_golden(r, 1,
                 from_hex("000267310000000300036d2d31000000010001740000000100000001000000000000002a0000018bcfe56800"
                          "ffff"));
  }
  SUBCASE("request v2, the lowest Kafka 4.x accepts, with retention time") {
    // kafka-golden encode OffsetCommitRequest 2 '{"groupId":"g1","generationIdOrMemberEpoch":3,"memberId":"m-1",
    //   "retentionTimeMs":-1,"topics":[{"name":"t","partitions":[{"partitionIndex":1,"committedOffset":42,
    //   "committedMetadata":"md"}]}]}'
    OffsetCommitRequest r;
    r.group_id = "g1";
    r.generation_id_or_member_epoch = 3;
    r.member_id = "m-1";
    r.topics = {{"t", {}, {{1, 42, -1, -1, "md", {}}}, {}}};
    check_golden(r, 2,
                 from_hex("000267310000000300036d2d31ffffffffffffffff000000010001740000000100000001000000000000002a"
                          "00026d64"));
  }
  SUBCASE("request v8, first flexible, static member") {
    // kafka-golden encode OffsetCommitRequest 8 '{"groupId":"g1","generationIdOrMemberEpoch":3,"memberId":"m-1",
    //   "groupInstanceId":"i-1","topics":[{"name":"t","partitions":[{"partitionIndex":1,"committedOffset":42,
    //   "committedLeaderEpoch":5,"committedMetadata":""}]}]}'
    OffsetCommitRequest r;
    r.group_id = "g1";
    r.generation_id_or_member_epoch = 3;
    r.member_id = "m-1";
    r.group_instance_id = "i-1";
    r.topics = {{"t", {}, {{1, 42, 5, -1, std::string(), {}}}, {}}};
    check_golden(r, 8, from_hex("03673100000003046d2d3104692d310202740200000001000000000000002a0000000501000000"));
  }
  SUBCASE("request v10, topics by id (Kafka 4.1+)") {
    // kafka-golden encode OffsetCommitRequest 10 '{"groupId":"g1","generationIdOrMemberEpoch":7,"memberId":"m-1",
    //   "groupInstanceId":null,"topics":[{"topicId":"AQIDBAUGBwgJCgsMDQ4PEA","partitions":[{"partitionIndex":1,
    //   "committedOffset":42,"committedLeaderEpoch":5,"committedMetadata":null}]}]}'
    OffsetCommitRequest r;
    r.group_id = "g1";
    r.generation_id_or_member_epoch = 7;
    r.member_id = "m-1";
    r.topics = {{"", kTopicId, {{1, 42, 5, -1, std::nullopt, {}}}, {}}};
    check_golden(r, 10,
                 from_hex("03673100000007046d2d3100020102030405060708090a0b0c0d0e0f100200000001000000000000002a0000"
                          "000500000000"));
  }
  SUBCASE("response v0 (Kafka 3.9)") {
    // KWIRE_GOLDEN_KAFKA=3.9.x kafka-golden encode OffsetCommitResponse 0 '{"topics":[{"name":"t","partitions":[
    //   {"partitionIndex":0,"errorCode":0},{"partitionIndex":1,"errorCode":12}]}]}'
    OffsetCommitResponse r;
    r.topics = {{"t", {}, {{0, errc::none, {}}, {1, errc::offset_metadata_too_large, {}}}, {}}};
    check_golden(r, 0, from_hex("000000010001740000000200000000000000000001000c"));
  }
  SUBCASE("response v8, first flexible") {
    // kafka-golden encode OffsetCommitResponse 8 '{"throttleTimeMs":4,"topics":[{"name":"t","partitions":[
    //   {"partitionIndex":0,"errorCode":25}]}]}'
    OffsetCommitResponse r;
    r.throttle_time_ms = 4;
    r.topics = {{"t", {}, {{0, errc::unknown_member_id, {}}}, {}}};
    check_golden(r, 8, from_hex("0000000402027402000000000019000000"));
  }
  SUBCASE("response v10, STALE_MEMBER_EPOCH by topic id") {
    // kafka-golden encode OffsetCommitResponse 10 '{"throttleTimeMs":0,"topics":[{"topicId":"AQIDBAUGBwgJCgsMDQ4PEA",
    //   "partitions":[{"partitionIndex":0,"errorCode":113}]}]}'
    OffsetCommitResponse r;
    r.topics = {{"", kTopicId, {{0, errc::stale_member_epoch, {}}}, {}}};
    check_golden(r, 10, from_hex("00000000020102030405060708090a0b0c0d0e0f1002000000000071000000"));
  }
}

TEST_CASE("OffsetCommit decoding fails at every truncation") {
  check_truncations<OffsetCommitRequest, OffsetCommitResponse>(sample_request, sample_response);
}

TEST_CASE("OffsetCommit refuses fields the version lacks, drops the ignorable ones") {
  std::vector<std::uint8_t> out{0x99};
  SUBCASE("topic names before v10, topic ids from v10") {
    CHECK(encode_message(sample_request(9), 10, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_request(10), 9, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(9), 10, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(10), 9, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);  // nothing half-written
  }
  SUBCASE("static member below v7, commit timestamp outside v1") {
    OffsetCommitRequest r = sample_request(6);
    r.group_instance_id = "pod-1";
    CHECK(encode_message(r, 6, out) == client_errc::field_not_in_version);
    OffsetCommitRequest stamped = sample_request(1);
    CHECK(encode_message(stamped, 2, out) == client_errc::field_not_in_version);
    CHECK(encode_message(stamped, 0, out) == client_errc::field_not_in_version);
    CHECK_FALSE(encode_message(stamped, 1, out));
  }
  SUBCASE("tags below v8") {
    CHECK(encode_message(sample_request(8), 7, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(8), 7, out) == client_errc::field_not_in_version);
  }
  SUBCASE("ignorable fields are left out") {
    OffsetCommitRequest r = sample_request(7);  // epoch 4, generation 21, no retention
    r.retention_time_ms = 5000;
    OffsetCommitRequest back;
    REQUIRE_FALSE(decode_message(encode(r, 7), 7, back));
    CHECK(back.retention_time_ms == -1);  // v2-4 only
    r.group_instance_id.reset();
    REQUIRE_FALSE(decode_message(encode(r, 0), 0, back));
    CHECK(back.generation_id_or_member_epoch == -1);
    CHECK(back.member_id.empty());
    CHECK(back.topics[0].partitions[0].committed_leader_epoch == -1);
    CHECK(back.topics[0].partitions[0].committed_offset == 1'000'000'000'000);
  }
}

TEST_CASE("OffsetCommit rejects versions outside 0-10 and trailing bytes") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(OffsetCommitRequest{}, 11, out) == client_errc::unsupported_version);
  CHECK(encode_message(OffsetCommitResponse{}, -1, out) == client_errc::unsupported_version);
  auto wire = encode(sample_response(10), 10);
  wire.push_back(0);
  OffsetCommitResponse r;
  CHECK(decode_message(wire, 10, r) == client_errc::trailing_bytes);
}
