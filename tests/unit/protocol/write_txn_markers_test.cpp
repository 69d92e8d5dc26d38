// WriteTxnMarkers codec tests. Golden vectors come from Kafka's own encoder
// (tests/golden/kafka-golden: Kafka 4.4, or 3.9 for v0 which 4.x dropped; the
// command is above each vector).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/write_txn_markers.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;
using Request = WriteTxnMarkersRequest;
using Response = WriteTxnMarkersResponse;

namespace {

Request sample_request(std::int16_t version) {
  const TaggedFields tags = version >= 1 ? TaggedFields{RawTaggedField{3, {0x01}}} : TaggedFields{};
  Request r;
  r.markers = {{4242, 3, true, {{"orders", {0, 1}, tags}, {"audit", {}, {}}}, 9, 0, tags},
               {-1, -1, false, {}, -1, static_cast<std::int8_t>(version >= 2 ? 2 : 0), {}}};
  r.unknown_tags = tags;
  return r;
}

Response sample_response(std::int16_t version) {
  const TaggedFields tags = version >= 1 ? TaggedFields{RawTaggedField{0, {0x0a, 0x0b}}} : TaggedFields{};
  Response r;
  r.markers = {{4242, {{"orders", {{0, errc::none, tags}, {1, errc::not_leader_or_follower, {}}}, tags}}, tags},
               {7, {}, {}}};
  r.unknown_tags = tags;
  return r;
}

}  // namespace

TEST_CASE("WriteTxnMarkers codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::write_txn_markers);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
}

TEST_CASE("WriteTxnMarkers round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("WriteTxnMarkers golden vectors from Kafka's encoder") {
  Request commit;
  commit.markers = {{4242, 3, true, {{"orders", {0, 1}, {}}}, 9, 0, {}}};
  // KWIRE_GOLDEN_KAFKA=3.9.x kafka-golden encode WriteTxnMarkersRequest 0 '{"markers":[{"producerId":4242,
  //   "producerEpoch":3,"transactionResult":true,"topics":[{"name":"orders","partitionIndexes":[0,1]}],
  //   "coordinatorEpoch":9}]}'
  check_golden(commit, 0, "0000000100000000000010920003010000000100066f726465727300000002000000000000000100000009");
  // kafka-golden encode WriteTxnMarkersRequest 1 (same JSON)
  check_golden(commit, 1, "02000000000000109200030102076f726465727303000000000000000100000000090000");
  Request abort_v2;
  abort_v2.markers = {{4242, 3, false, {{"orders", {0, 1}, {}}}, 9, 2, {}}};
  // kafka-golden encode WriteTxnMarkersRequest 2 '{"markers":[{"producerId":4242,"producerEpoch":3,
  //   "transactionResult":false,"topics":[{"name":"orders","partitionIndexes":[0,1]}],"coordinatorEpoch":9,
  //   "transactionVersion":2}]}'
  check_golden(abort_v2, 2, "02000000000000109200030002076f72646572730300000000000000010000000009020000");

  Response result;
  result.markers = {{4242, {{"orders", {{0, errc::none, {}}, {1, errc::not_leader_or_follower, {}}}, {}}}, {}}};
  // KWIRE_GOLDEN_KAFKA=3.9.x kafka-golden encode WriteTxnMarkersResponse 0 '{"markers":[{"producerId":4242,
  //   "topics":[{"name":"orders","partitions":[{"partitionIndex":0,"errorCode":0},{"partitionIndex":1,
  //   "errorCode":6}]}]}]}'
  check_golden(result, 0, "0000000100000000000010920000000100066f726465727300000002000000000000000000010006");
  // kafka-golden encode WriteTxnMarkersResponse 1 (same JSON); v2 gives the same bytes
  check_golden(result, 1, "02000000000000109202076f7264657273030000000000000000000001000600000000");
  check_golden(result, 2, "02000000000000109202076f7264657273030000000000000000000001000600000000");
}

TEST_CASE("WriteTxnMarkers refuses fields the version lacks") {
  for (std::int16_t v = 0; v < 2; ++v) check_refused(sample_request(2), v);  // transaction_version 2
  check_refused(sample_request(1), 0);   // tags
  check_refused(sample_response(1), 0);
  Request nested;
  nested.markers = {{1, 0, true, {{"t", {0}, {RawTaggedField{1, {}}}}}, 0, 0, {}}};
  check_refused(nested, 0);
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 3, out) == client_errc::unsupported_version);
}
