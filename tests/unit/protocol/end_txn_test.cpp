// EndTxn codec tests. Golden vectors come from Kafka 4.4's own encoder
// (tests/golden/kafka-golden; the command is above each vector).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/end_txn.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;
using Request = EndTxnRequest;
using Response = EndTxnResponse;

namespace {

Request sample_request(std::int16_t version) {
  Request r{"orders-tx", 0x0102030405060708, 32766, true, {}};
  if (version >= 3) r.unknown_tags = {RawTaggedField{4, {0x01, 0x02}}};
  return r;
}

Response sample_response(std::int16_t version) {
  Response r;
  r.throttle_time_ms = 3;
  r.error_code = errc::invalid_txn_state;
  if (version >= 5) {
    r.error_code = errc::none;
    r.producer_id = 0x7fff'0000'0000'0001;
    r.producer_epoch = 0;  // a new producer id after epoch exhaustion
  }
  if (version >= 3) r.unknown_tags = {RawTaggedField{2, {0xee}}};
  return r;
}

}  // namespace

TEST_CASE("EndTxn codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::end_txn);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
}

TEST_CASE("EndTxn round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("EndTxn golden vectors from Kafka's encoder") {
  const Request commit{"tx", 4242, 3, true, {}};
  // kafka-golden encode EndTxnRequest 0 '{"transactionalId":"tx","producerId":4242,"producerEpoch":3,"committed":true}'
  check_golden(commit, 0, "000274780000000000001092000301");
  // kafka-golden encode EndTxnRequest 3 (same JSON); v5 gives the same bytes
  check_golden(commit, 3, "037478000000000000109200030100");
  check_golden(commit, 5, "037478000000000000109200030100");

  Response failed;
  failed.throttle_time_ms = 7;
  failed.error_code = errc::invalid_txn_state;
  // kafka-golden encode EndTxnResponse 0 '{"throttleTimeMs":7,"errorCode":48}'
  check_golden(failed, 0, "000000070030");
  // kafka-golden encode EndTxnResponse 3 '{"throttleTimeMs":7,"errorCode":48}'
  check_golden(failed, 3, "00000007003000");
  Response bumped;
  bumped.producer_id = 4242;
  bumped.producer_epoch = 4;
  // kafka-golden encode EndTxnResponse 5 '{"throttleTimeMs":0,"errorCode":0,"producerId":4242,"producerEpoch":4}'
  check_golden(bumped, 5, "0000000000000000000000001092000400");
  // Below v5 the id and epoch read as "none".
  Response old;
  REQUIRE_FALSE(decode_message(from_hex("00000007003000"), 4, old));
  CHECK(old.producer_id == -1);
  CHECK(old.producer_epoch == -1);
}

TEST_CASE("EndTxn refuses fields the version lacks") {
  for (std::int16_t v = 0; v < 5; ++v) check_refused(sample_response(5), v);
  Response epoch_only;
  epoch_only.producer_epoch = 0;
  check_refused(epoch_only, 4);
  for (std::int16_t v = 0; v < 3; ++v) {
    check_refused(sample_request(3), v);
    check_refused(sample_response(3), v);
  }
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 6, out) == client_errc::unsupported_version);
}
