// DeleteRecords codec tests. Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/delete_records.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using Request = DeleteRecordsRequest;
using Response = DeleteRecordsResponse;

Request golden_request() {
  Request r;
  r.topics.push_back({"orders", {{0, 42, {}}, {1, Request::high_watermark, {}}}, {}});
  r.timeout_ms = 30000;
  return r;
}

Response golden_response() {
  Response r;
  r.topics.push_back({"orders", {{0, 42, errc::none, {}}, {1, -1, errc::offset_out_of_range, {}}}, {}});
  return r;
}

Request sample_request(std::int16_t version) {
  Request r = golden_request();
  r.topics.push_back({"empty", {}, {}});
  if (version >= 2) {
    r.topics[0].partitions[1].unknown_tags = {{0, {1}}};
    r.topics[1].unknown_tags = {{4, {}}};
    r.unknown_tags = {{8, {8}}};
  }
  return r;
}

Response sample_response(std::int16_t version) {
  Response r = golden_response();
  r.throttle_time_ms = 77;
  if (version >= 2) r.topics[0].partitions[0].unknown_tags = {{1, {}}};
  return r;
}

}  // namespace

TEST_CASE("DeleteRecords codec traits match the API table") {
  check_traits<Request, Response>();
}

TEST_CASE("DeleteRecords round trips at every version") {
  check_round_trips<Request, Response>(sample_request, sample_response);
}

TEST_CASE("DeleteRecords golden vectors") {
  // tests/golden/kafka-golden encode DeleteRecordsRequest 0 '{"topics":[{"name":"orders","partitions":[{"partitionIndex":0,"offset":42},{"partitionIndex":1,"offset":-1}]}],"timeoutMs":30000}'
  check_golden(golden_request(), 0,
               "0000000100066f72646572730000000200000000000000000000002a00000001ffffffffffffffff00007530");
  // tests/golden/kafka-golden encode DeleteRecordsRequest 2 (the same JSON)
  check_golden(golden_request(), 2, "02076f72646572730300000000000000000000002a0000000001ffffffffffffffff00000000753000");
  // tests/golden/kafka-golden encode DeleteRecordsResponse 0 '{"throttleTimeMs":0,"topics":[{"name":"orders","partitions":[{"partitionIndex":0,"lowWatermark":42,"errorCode":0},{"partitionIndex":1,"lowWatermark":-1,"errorCode":1}]}]}'
  check_golden(golden_response(), 0,
               "000000000000000100066f72646572730000000200000000000000000000002a000000000001ffffffffffffffff0001");
  // tests/golden/kafka-golden encode DeleteRecordsResponse 2 (the same JSON)
  check_golden(golden_response(), 2,
               "0000000002076f72646572730300000000000000000000002a00000000000001ffffffffffffffff0001000000");
}

TEST_CASE("DeleteRecords decoding fails at every truncation") {
  check_truncations<Request, Response>(sample_request, sample_response);
}

TEST_CASE("DeleteRecords refuses tags below v2 and versions outside 0-2") {
  std::vector<std::uint8_t> out{0x99};
  CHECK(encode_message(sample_request(2), 1, out) == client_errc::field_not_in_version);
  CHECK(encode_message(sample_response(2), 0, out) == client_errc::field_not_in_version);
  CHECK(out.size() == 1);
  CHECK(encode_message(Request{}, 3, out) == client_errc::unsupported_version);
}
