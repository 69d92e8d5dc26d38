// DescribeTransactions codec tests. Golden vectors come from Kafka 4.4's own
// encoder (tests/golden/kafka-golden; the command is above each vector).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/describe_transactions.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;
using Request = DescribeTransactionsRequest;
using Response = DescribeTransactionsResponse;

namespace {

Response sample_response() {
  Response r;
  r.throttle_time_ms = 2;
  r.transaction_states = {
      {errc::none, "tx", "Ongoing", 60000, 1700000000000, 4242, 3, {{"orders", {0, 1}, {RawTaggedField{1, {}}}}}, {}},
      {errc::transactional_id_not_found, "gone", "", 0, -1, -1, -1, {}, {RawTaggedField{4, {0x09}}}}};
  r.unknown_tags = {RawTaggedField{0, {0x01}}};
  return r;
}

}  // namespace

TEST_CASE("DescribeTransactions codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::describe_transactions);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
}

TEST_CASE("DescribeTransactions round trips") {
  const Request request{{"tx", "other", ""}, {RawTaggedField{2, {0x01, 0x02}}}};
  check_round_trip(request, 0);
  check_round_trip(Request{}, 0);
  check_round_trip(sample_response(), 0);
  check_round_trip(Response{}, 0);
  check_every_truncation_fails<Request>(encode(request, 0), 0);
  check_every_truncation_fails<Response>(encode(sample_response(), 0), 0);
}

TEST_CASE("DescribeTransactions golden vectors from Kafka's encoder") {
  // kafka-golden encode DescribeTransactionsRequest 0 '{"transactionalIds":["tx","other"]}'
  check_golden(Request{{"tx", "other"}, {}}, 0, "03037478066f7468657200");
  Response r;
  r.transaction_states = {{errc::none, "tx", "Ongoing", 60000, 1700000000000, 4242, 3, {{"orders", {0, 1}, {}}}, {}}};
  // kafka-golden encode DescribeTransactionsResponse 0 '{"throttleTimeMs":0,"transactionStates":[{"errorCode":0,
  //   "transactionalId":"tx","transactionState":"Ongoing","transactionTimeoutMs":60000,
  //   "transactionStartTimeMs":1700000000000,"producerId":4242,"producerEpoch":3,
  //   "topics":[{"topic":"orders","partitions":[0,1]}]}]}'
  check_golden(r, 0,
               "00000000020000037478084f6e676f696e670000ea600000018bcfe568000000000000001092000302076f726465727303"
               "0000000000000001000000");
}

TEST_CASE("DescribeTransactions rejects other versions and hostile counts") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 1, out) == client_errc::unsupported_version);
  CHECK(encode_message(Response{}, 1, out) == client_errc::unsupported_version);
  // 2^31-1 transactional ids in 3 bytes.
  Request r;
  CHECK(decode_message(bytes({0xff, 0xff, 0xff, 0xff, 0x07, 0x00}), 0, r) == client_errc::length_exceeds_input);
}
