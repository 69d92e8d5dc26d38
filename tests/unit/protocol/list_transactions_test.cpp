// ListTransactions codec tests. Golden vectors come from Kafka 4.4's own
// encoder (tests/golden/kafka-golden; the command is above each vector).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/list_transactions.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;
using Request = ListTransactionsRequest;
using Response = ListTransactionsResponse;

namespace {

Request sample_request(std::int16_t version) {
  Request r;
  r.state_filters = {"Ongoing", "PrepareAbort"};
  r.producer_id_filters = {4242, -7};
  if (version >= 1) r.duration_filter = 60000;
  if (version >= 2) r.transactional_id_pattern = "tx-.*";
  r.unknown_tags = {RawTaggedField{3, {0x01}}};
  return r;
}

Response sample_response() {
  Response r;
  r.throttle_time_ms = 4;
  r.error_code = errc::coordinator_load_in_progress;
  r.unknown_state_filters = {"Bogus"};
  r.transaction_states = {{"tx", 4242, "Ongoing", {RawTaggedField{0, {}}}}, {"", 0, "", {}}};
  return r;
}

}  // namespace

TEST_CASE("ListTransactions codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::list_transactions);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
}

TEST_CASE("ListTransactions round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(), v);
    check_round_trip(Response{}, v);
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(), v), v);
  }
}

TEST_CASE("ListTransactions golden vectors from Kafka's encoder") {
  Request r0;
  r0.state_filters = {"Ongoing"};
  r0.producer_id_filters = {4242};
  // kafka-golden encode ListTransactionsRequest 0 '{"stateFilters":["Ongoing"],"producerIdFilters":[4242]}'
  check_golden(r0, 0, "02084f6e676f696e6702000000000000109200");
  Request r2 = r0;
  r2.duration_filter = 60000;
  r2.transactional_id_pattern = "tx-.*";
  // kafka-golden encode ListTransactionsRequest 2 '{"stateFilters":["Ongoing"],"producerIdFilters":[4242],
  //   "durationFilter":60000,"transactionalIdPattern":"tx-.*"}'
  check_golden(r2, 2, "02084f6e676f696e67020000000000001092000000000000ea600674782d2e2a00");
  Response p;
  p.unknown_state_filters = {"Bogus"};
  p.transaction_states = {{"tx", 4242, "Ongoing", {}}};
  // kafka-golden encode ListTransactionsResponse 0 '{"throttleTimeMs":0,"errorCode":0,"unknownStateFilters":["Bogus"],
  //   "transactionStates":[{"transactionalId":"tx","producerId":4242,"transactionState":"Ongoing"}]}'
  check_golden(p, 0, "0000000000000206426f677573020374780000000000001092084f6e676f696e670000");
  // kafka-golden encode ListTransactionsResponse 2 (same JSON)
  check_golden(p, 2, "0000000000000206426f677573020374780000000000001092084f6e676f696e670000");
}

TEST_CASE("ListTransactions refuses filters the version lacks") {
  Request duration;
  duration.duration_filter = 0;
  check_refused(duration, 0);
  Request pattern;
  pattern.transactional_id_pattern = "";
  check_refused(pattern, 0);
  check_refused(pattern, 1);
  check_refused(sample_request(2), 1);
  std::vector<std::uint8_t> out;
  CHECK_FALSE(encode_message(duration, 1, out));
  CHECK(encode_message(Request{}, 3, out) == client_errc::unsupported_version);
}
