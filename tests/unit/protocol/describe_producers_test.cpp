// DescribeProducers codec tests. Golden vectors come from Kafka 4.4's own
// encoder (tests/golden/kafka-golden; the command is above each vector).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/describe_producers.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;
using Request = DescribeProducersRequest;
using Response = DescribeProducersResponse;

namespace {

Request sample_request() {
  return Request{{{"orders", {0, 3}, {RawTaggedField{2, {0x01}}}}, {"empty", {}, {}}}, {RawTaggedField{0, {}}}};
}

Response sample_response() {
  Response r;
  r.throttle_time_ms = 1;
  Response::Partition hanging{0,
                              errc::none,
                              std::nullopt,
                              {{4242, 3, 9, 1700000000000, 2, 100, {}}, {7, 0, -1, -1, 0, -1, {RawTaggedField{5, {0x0c}}}}},
                              {}};
  Response::Partition moved{3, errc::not_leader_or_follower, "not leader", {}, {RawTaggedField{1, {0x02}}}};
  r.topics = {{"orders", {hanging, moved}, {}}};
  r.unknown_tags = {RawTaggedField{9, {0x03, 0x04}}};
  return r;
}

}  // namespace

TEST_CASE("DescribeProducers codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::describe_producers);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
}

TEST_CASE("DescribeProducers round trips") {
  check_round_trip(sample_request(), 0);
  check_round_trip(Request{}, 0);
  check_round_trip(sample_response(), 0);
  check_round_trip(Response{}, 0);
  check_every_truncation_fails<Request>(encode(sample_request(), 0), 0);
  check_every_truncation_fails<Response>(encode(sample_response(), 0), 0);
}

TEST_CASE("DescribeProducers golden vectors from Kafka's encoder") {
  // kafka-golden encode DescribeProducersRequest 0 '{"topics":[{"name":"orders","partitionIndexes":[0,3]}]}'
  check_golden(Request{{{"orders", {0, 3}, {}}}, {}}, 0, "02076f72646572730300000000000000030000");
  Response r;
  r.throttle_time_ms = 1;
  r.topics = {{"orders",
               {{0, errc::none, std::nullopt, {{4242, 3, 9, 1700000000000, 2, 100, {}}}, {}},
                {3, errc::not_leader_or_follower, "not leader", {}, {}}},
               {}}};
  // kafka-golden encode DescribeProducersResponse 0 '{"throttleTimeMs":1,"topics":[{"name":"orders","partitions":[
  //   {"partitionIndex":0,"errorCode":0,"errorMessage":null,"activeProducers":[{"producerId":4242,"producerEpoch":3,
  //   "lastSequence":9,"lastTimestamp":1700000000000,"coordinatorEpoch":2,"currentTxnStartOffset":100}]},
  //   {"partitionIndex":3,"errorCode":6,"errorMessage":"not leader","activeProducers":[]}]}]}'
  check_golden(r, 0,
               "0000000102076f7264657273030000000000000002000000000000109200000003000000090000018bcfe568000000000200"
               "0000000000006400000000000300060b6e6f74206c656164657201000000");
}

TEST_CASE("DescribeProducers rejects other versions and hostile counts") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 1, out) == client_errc::unsupported_version);
  CHECK(encode_message(Response{}, -1, out) == client_errc::unsupported_version);
  // 2^31 producers announced with a handful of bytes left.
  const auto hostile = bytes({0x00, 0x00, 0x00, 0x00,                     // throttle
                              0x02, 0x02, 't', 0x02, 0x00, 0x00, 0x00, 0x00,  // topic "t", one partition 0
                              0x00, 0x00, 0x00,                           // error 0, null message
                              0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0x00});  // producers: 2^31-1
  Response r;
  CHECK(decode_message(hostile, 0, r) == client_errc::length_exceeds_input);
}
