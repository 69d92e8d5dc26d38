// OffsetForLeaderEpoch codec tests. Golden vectors come from Kafka's own
// generated classes (tests/golden/kafka-golden, command above each): 4.4.0's,
// and 3.9's (KWIRE_GOLDEN_KAFKA=3.9.x) for v0, which 4.x no longer speaks.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/offset_for_leader_epoch.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = OffsetForLeaderEpochRequest;
using Response = OffsetForLeaderEpochResponse;

Request sample_request(std::int16_t version) {
  Request r;
  if (version >= 3) r.replica_id = Request::consumer_replica_id;
  Request::Topic t{"payments", {{0, -1, 3, {}}, {5, -1, 0, {}}}, {}};
  if (version >= 2) {
    t.partitions[0].current_leader_epoch = 7;
    t.partitions[1].current_leader_epoch = 7;
  }
  if (version >= 4) {
    t.partitions[1].unknown_tags = {RawTaggedField{1, {0x01}}};
    r.unknown_tags = {RawTaggedField{0, {}}};
  }
  r.topics = {t, Request::Topic{"refunds", {}, {}}};
  return r;
}

Response sample_response(std::int16_t version) {
  Response r;
  if (version >= 2) r.throttle_time_ms = 4;
  Response::Topic t{"payments", {{errc::none, 0, -1, 1234567, {}}, {errc::fenced_leader_epoch, 5, -1, -1, {}}}, {}};
  if (version >= 1) t.partitions[0].leader_epoch = 3;
  if (version >= 4) t.unknown_tags = {RawTaggedField{2, {0x22}}};
  r.topics = {t};
  return r;
}

}  // namespace

TEST_CASE("OffsetForLeaderEpoch codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::offset_for_leader_epoch);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
  CHECK(Response::first_flexible_version == Request::first_flexible_version);
}

TEST_CASE("OffsetForLeaderEpoch round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
  }
}

TEST_CASE("OffsetForLeaderEpoch golden vectors from Kafka's encoder") {
  SUBCASE("request v0 (Kafka 3.9)") {
    // KWIRE_GOLDEN_KAFKA=3.9.x kafka-golden encode OffsetForLeaderEpochRequest 0 '{"topics":[{"topic":"t",
    //   "partitions":[{"partition":0,"leaderEpoch":3}]}]}'
    Request r;
    r.topics = {{"t", {{0, -1, 3, {}}}, {}}};
    check_golden(r, 0, from_hex("00000001000174000000010000000000000003"));
  }
  SUBCASE("request v2, KIP-320 current leader epoch") {
    // kafka-golden encode OffsetForLeaderEpochRequest 2 '{"topics":[{"topic":"t","partitions":[{"partition":0,
    //   "currentLeaderEpoch":5,"leaderEpoch":3}]}]}'
    Request r;
    r.topics = {{"t", {{0, 5, 3, {}}}, {}}};
    check_golden(r, 2, from_hex("0000000100017400000001000000000000000500000003"));
  }
  SUBCASE("request v4, first flexible, as a consumer") {
    // kafka-golden encode OffsetForLeaderEpochRequest 4 '{"replicaId":-1,"topics":[{"topic":"t","partitions":[
    //   {"partition":0,"currentLeaderEpoch":5,"leaderEpoch":3},{"partition":1,"currentLeaderEpoch":5,
    //   "leaderEpoch":4}]}]}'
    Request r;
    r.replica_id = Request::consumer_replica_id;
    r.topics = {{"t", {{0, 5, 3, {}}, {1, 5, 4, {}}}, {}}};
    check_golden(r, 4, from_hex("ffffffff0202740300000000000000050000000300000000010000000500000004000000"));
  }
  SUBCASE("response v0 (Kafka 3.9)") {
    // KWIRE_GOLDEN_KAFKA=3.9.x kafka-golden encode OffsetForLeaderEpochResponse 0 '{"topics":[{"topic":"t",
    //   "partitions":[{"errorCode":0,"partition":0,"endOffset":100}]}]}'
    Response r;
    r.topics = {{"t", {{errc::none, 0, -1, 100, {}}}, {}}};
    check_golden(r, 0, from_hex("00000001000174000000010000000000000000000000000064"));
  }
  SUBCASE("response v2, FENCED_LEADER_EPOCH") {
    // kafka-golden encode OffsetForLeaderEpochResponse 2 '{"throttleTimeMs":1,"topics":[{"topic":"t","partitions":[
    //   {"errorCode":74,"partition":0,"leaderEpoch":-1,"endOffset":-1}]}]}'
    Response r;
    r.throttle_time_ms = 1;
    r.topics = {{"t", {{errc::fenced_leader_epoch, 0, -1, -1, {}}}, {}}};
    check_golden(r, 2, from_hex("000000010000000100017400000001004a00000000ffffffffffffffffffffffff"));
  }
  SUBCASE("response v4, first flexible") {
    // kafka-golden encode OffsetForLeaderEpochResponse 4 '{"throttleTimeMs":0,"topics":[{"topic":"t","partitions":[
    //   {"errorCode":0,"partition":0,"leaderEpoch":3,"endOffset":100}]}]}'
    Response r;
    r.topics = {{"t", {{errc::none, 0, 3, 100, {}}}, {}}};
    check_golden(r, 4, from_hex("0000000002027402000000000000000000030000000000000064000000"));
  }
}

TEST_CASE("OffsetForLeaderEpoch decoding fails at every truncation") {
  check_truncations<Request, Response>(sample_request, sample_response);
}

TEST_CASE("OffsetForLeaderEpoch refuses tags below v4 and drops the ignorable fields") {
  std::vector<std::uint8_t> out{0x99};
  CHECK(encode_message(sample_request(4), 3, out) == client_errc::field_not_in_version);
  CHECK(encode_message(sample_response(4), 3, out) == client_errc::field_not_in_version);
  CHECK(out.size() == 1);

  Request back;
  REQUIRE_FALSE(decode_message(encode(sample_request(3), 1), 1, back));
  CHECK(back.replica_id == -2);
  CHECK(back.topics[0].partitions[0].current_leader_epoch == -1);
  CHECK(back.topics[0].partitions[0].leader_epoch == 3);
  Response response_back;
  REQUIRE_FALSE(decode_message(encode(sample_response(3), 0), 0, response_back));
  CHECK(response_back.throttle_time_ms == 0);
  CHECK(response_back.topics[0].partitions[0].leader_epoch == -1);
  CHECK(response_back.topics[0].partitions[0].end_offset == 1234567);
}

TEST_CASE("OffsetForLeaderEpoch rejects versions outside 0-4 and trailing bytes") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 5, out) == client_errc::unsupported_version);
  CHECK(encode_message(Response{}, -1, out) == client_errc::unsupported_version);
  auto wire = encode(sample_response(4), 4);
  wire.push_back(0);
  Response r;
  CHECK(decode_message(wire, 4, r) == client_errc::trailing_bytes);
}
