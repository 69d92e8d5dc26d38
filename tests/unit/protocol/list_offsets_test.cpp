// ListOffsets codec tests. The golden vectors were worked out by hand from
// ListOffsetsRequest.json / ListOffsetsResponse.json.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "kwire/protocol/list_offsets.hpp"
#include "kwire/protocol/message.hpp"
#include "codec_checks.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

ListOffsetsRequest sample_request(std::int16_t version) {
  ListOffsetsRequest r;
  r.replica_id = -1;
  if (version >= 2) r.isolation_level = IsolationLevel::read_committed;
  ListOffsetsRequest::Topic t;
  t.name = "orders";
  ListOffsetsRequest::Partition p0;
  p0.partition_index = 0;
  p0.timestamp = list_offsets_timestamp::earliest;
  ListOffsetsRequest::Partition p1;
  p1.partition_index = 7;
  p1.timestamp = 1'700'000'000'123;
  if (version >= 4) p1.current_leader_epoch = 12;
  if (version >= 6) p1.unknown_tags = {RawTaggedField{9, {0x01}}};
  t.partitions = {p0, p1};
  if (version >= 6) t.unknown_tags = {RawTaggedField{1, {}}};
  r.topics = {t, ListOffsetsRequest::Topic{"empty", {}, {}}};
  if (version >= 10) r.timeout_ms = 5000;
  if (version >= 6) r.unknown_tags = {RawTaggedField{0, {0xde, 0xad}}, RawTaggedField{300, {}}};
  return r;
}

ListOffsetsResponse sample_response(std::int16_t version) {
  ListOffsetsResponse r;
  if (version >= 2) r.throttle_time_ms = 17;
  ListOffsetsResponse::Topic t;
  t.name = "orders";
  ListOffsetsResponse::Partition ok;
  ok.partition_index = 0;
  ok.timestamp = -1;
  ok.offset = 0x0102030405;
  if (version >= 4) ok.leader_epoch = 3;
  ListOffsetsResponse::Partition bad;
  bad.partition_index = 1;
  bad.error_code = version >= 5 ? errc::offset_not_available : errc::not_leader_or_follower;
  if (version >= 6) bad.unknown_tags = {RawTaggedField{4, {0xff, 0xee}}};
  t.partitions = {ok, bad};
  r.topics = {t};
  if (version >= 6) r.unknown_tags = {RawTaggedField{2, {0x00}}};
  return r;
}

}  // namespace

TEST_CASE("ListOffsets codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::list_offsets);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == ListOffsetsRequest::min_version);
  CHECK(s->max_version == ListOffsetsRequest::max_version);
  CHECK(s->first_flexible_version == ListOffsetsRequest::first_flexible_version);
  CHECK(ListOffsetsResponse::min_version == ListOffsetsRequest::min_version);
  CHECK(ListOffsetsResponse::max_version == ListOffsetsRequest::max_version);
  CHECK(ListOffsetsResponse::first_flexible_version == ListOffsetsRequest::first_flexible_version);
}

TEST_CASE("ListOffsets round trips at every version") {
  for (std::int16_t v = ListOffsetsRequest::min_version; v <= ListOffsetsRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(ListOffsetsRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(ListOffsetsResponse{}, v);
  }
}

TEST_CASE("ListOffsets every truncation fails cleanly") {
  check_truncations<ListOffsetsRequest, ListOffsetsResponse>(sample_request, sample_response);
}

TEST_CASE("ListOffsets golden vectors") {
  SUBCASE("request v1: log end offset of t/0") {
    ListOffsetsRequest r;
    r.topics = {{"t", {{0, -1, list_offsets_timestamp::latest, {}}}, {}}};
    CHECK(encode(r, 1) == bytes({0xff, 0xff, 0xff, 0xff,                            // replica_id -1
                                 0x00, 0x00, 0x00, 0x01,                            // 1 topic
                                 0x00, 0x01, 't',                                   // name
                                 0x00, 0x00, 0x00, 0x01,                            // 1 partition
                                 0x00, 0x00, 0x00, 0x00,                            // partition 0
                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));  // timestamp -1
  }
  SUBCASE("request v10: flexible, leader epoch, isolation level, timeout") {
    ListOffsetsRequest r;
    r.isolation_level = IsolationLevel::read_committed;
    r.topics = {{"t", {{2, 5, list_offsets_timestamp::earliest, {}}}, {}}};
    r.timeout_ms = 1000;
    auto expected = bytes({0xff, 0xff, 0xff, 0xff,                            // replica_id -1
                           0x01,                                              // read_committed
                           0x02,                                              // compact array: 1 topic
                           0x02, 't',                                         // compact name
                           0x02,                                              // 1 partition
                           0x00, 0x00, 0x00, 0x02,                            // partition 2
                           0x00, 0x00, 0x00, 0x05,                            // current_leader_epoch 5
                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,    // timestamp -2
                           0x00,                                              // partition tags
                           0x00,                                              // topic tags
                           0x00, 0x00, 0x03, 0xe8,                            // timeout_ms 1000
                           0x00});                                            // tags
    CHECK(encode(r, 10) == expected);
    ListOffsetsRequest back;
    REQUIRE_FALSE(decode_message(expected, 10, back));
    CHECK(back == r);
  }
  SUBCASE("response v4") {
    auto wire = bytes({0x00, 0x00, 0x00, 0x00,                            // throttle
                       0x00, 0x00, 0x00, 0x01,                            // 1 topic
                       0x00, 0x01, 't',                                   // name
                       0x00, 0x00, 0x00, 0x01,                            // 1 partition
                       0x00, 0x00, 0x00, 0x00,                            // partition 0
                       0x00, 0x00,                                        // no error
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,    // timestamp -1
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,    // offset 42
                       0x00, 0x00, 0x00, 0x07});                          // leader_epoch 7
    ListOffsetsResponse r;
    REQUIRE_FALSE(decode_message(wire, 4, r));
    CHECK(r.throttle_time_ms == 0);
    REQUIRE(r.topics.size() == 1);
    CHECK(r.topics[0].name == "t");
    REQUIRE(r.topics[0].partitions.size() == 1);
    CHECK(r.topics[0].partitions[0].offset == 42);
    CHECK(r.topics[0].partitions[0].timestamp == -1);
    CHECK(r.topics[0].partitions[0].leader_epoch == 7);
    CHECK(encode(r, 4) == wire);
  }
  SUBCASE("response v1 has no throttle time and no leader epoch") {
    auto wire = bytes({0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'x', 0x00, 0x00, 0x00, 0x01,
                       0x00, 0x00, 0x00, 0x03,                            // partition 3
                       0x00, 0x03,                                        // UNKNOWN_TOPIC_OR_PARTITION
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,    // timestamp -1
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});  // offset -1
    ListOffsetsResponse r;
    REQUIRE_FALSE(decode_message(wire, 1, r));
    CHECK(r.topics.at(0).partitions.at(0).error_code == errc::unknown_topic_or_partition);
    CHECK(r.topics.at(0).partitions.at(0).partition_index == 3);
    CHECK(encode(r, 1) == wire);
  }
}

TEST_CASE("ListOffsets version rules") {
  SUBCASE("read_committed cannot be sent at v1") {
    ListOffsetsRequest r;
    r.isolation_level = IsolationLevel::read_committed;
    std::vector<std::uint8_t> out{0x55};
    CHECK(encode_message(r, 1, out) == client_errc::field_not_in_version);
    CHECK(out == bytes({0x55}));  // nothing written
    CHECK_FALSE(encode_message(r, 2, out));
  }
  SUBCASE("ignorable fields are dropped below their version") {
    ListOffsetsRequest r;
    r.topics = {{"t", {{0, 9, -1, {}}}, {}}};
    r.timeout_ms = 1234;
    auto v3 = encode(r, 3);
    ListOffsetsRequest back;
    REQUIRE_FALSE(decode_message(v3, 3, back));
    CHECK(back.topics.at(0).partitions.at(0).current_leader_epoch == -1);
    CHECK(back.timeout_ms == 0);
    ListOffsetsResponse resp;
    resp.throttle_time_ms = 5;
    CHECK(encode(resp, 1) == bytes({0, 0, 0, 0}));  // empty topic array only
  }
  SUBCASE("leader epoch in a response needs v4") {
    ListOffsetsResponse r;
    r.topics = {{"t", {{0, errc::none, -1, 0, 3, {}}}, {}}};
    std::vector<std::uint8_t> out;
    CHECK(encode_message(r, 3, out) == client_errc::field_not_in_version);
    CHECK(out.empty());
  }
  SUBCASE("tags need a flexible version") {
    ListOffsetsRequest r;
    r.unknown_tags = {RawTaggedField{1, {}}};
    std::vector<std::uint8_t> out;
    CHECK(encode_message(r, 5, out) == client_errc::field_not_in_version);
    CHECK_FALSE(encode_message(r, 6, out));
  }
  SUBCASE("versions outside 1-11 are refused") {
    std::vector<std::uint8_t> out;
    CHECK(encode_message(ListOffsetsRequest{}, 0, out) == client_errc::unsupported_version);
    CHECK(encode_message(ListOffsetsRequest{}, 12, out) == client_errc::unsupported_version);
    ListOffsetsResponse r;
    CHECK(decode_message(bytes({0, 0, 0, 0}), 0, r) == client_errc::unsupported_version);
  }
  SUBCASE("special timestamps and the version they need") {
    CHECK(min_list_offsets_version_for(list_offsets_timestamp::latest) == 1);
    CHECK(min_list_offsets_version_for(list_offsets_timestamp::earliest) == 1);
    CHECK(min_list_offsets_version_for(list_offsets_timestamp::max_timestamp) == 7);
    CHECK(min_list_offsets_version_for(list_offsets_timestamp::earliest_local) == 8);
    CHECK(min_list_offsets_version_for(list_offsets_timestamp::latest_tiered) == 9);
    CHECK(min_list_offsets_version_for(list_offsets_timestamp::earliest_pending_upload) == 11);
    CHECK(min_list_offsets_version_for(1'700'000'000'000) == 1);
  }
  SUBCASE("a topic count larger than the input is rejected before reserving") {
    ListOffsetsResponse r;
    CHECK(decode_message(bytes({0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}), 2, r) == client_errc::length_exceeds_input);
  }
}

TEST_CASE("ListOffsets v11 golden vectors from Kafka 4.4's encoder (KIP-1023)") {
  // kafka-golden encode ListOffsetsRequest 11 '{"replicaId":-1,"isolationLevel":1,"topics":[{"name":"t",
  //   "partitions":[{"partitionIndex":0,"currentLeaderEpoch":3,"timestamp":-6}]}],"timeoutMs":5000}'
  ListOffsetsRequest request;
  request.isolation_level = IsolationLevel::read_committed;
  request.topics = {{"t", {{0, 3, list_offsets_timestamp::earliest_pending_upload, {}}}, {}}};
  request.timeout_ms = 5000;
  check_golden(request, 11, from_hex("ffffffff01020274020000000000000003fffffffffffffffa00000000138800"));
  // kafka-golden encode ListOffsetsResponse 11 '{"throttleTimeMs":0,"topics":[{"name":"t","partitions":[
  //   {"partitionIndex":0,"errorCode":0,"timestamp":-1,"offset":42,"leaderEpoch":3}]}]}'
  ListOffsetsResponse response;
  response.topics = {{"t", {{0, kwire::errc::none, -1, 42, 3, {}}}, {}}};
  check_golden(response, 11, from_hex("0000000002027402000000000000ffffffffffffffff000000000000002a00000003000000"));
}
