// AddOffsetsToTxn codec tests. Golden vectors come from Kafka 4.4's own
// encoder (tests/golden/kafka-golden; the command is above each vector).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/add_offsets_to_txn.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;
using Request = AddOffsetsToTxnRequest;
using Response = AddOffsetsToTxnResponse;

namespace {

Request sample_request(std::int16_t version) {
  Request r{"orders-tx", 0x0102030405060708, 32766, "copier", {}};
  if (version >= 3) r.unknown_tags = {RawTaggedField{4, {0x01, 0x02}}};
  return r;
}

Response sample_response(std::int16_t version) {
  Response r{250, errc::producer_fenced, {}};
  if (version >= 3) r.unknown_tags = {RawTaggedField{0, {}}, RawTaggedField{9, {0xff}}};
  return r;
}

}  // namespace

TEST_CASE("AddOffsetsToTxn codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::add_offsets_to_txn);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
}

TEST_CASE("AddOffsetsToTxn round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("AddOffsetsToTxn golden vectors from Kafka's encoder") {
  const Request request{"tx", 4242, 3, "grp", {}};
  // kafka-golden encode AddOffsetsToTxnRequest 0 '{"transactionalId":"tx","producerId":4242,"producerEpoch":3,"groupId":"grp"}'
  check_golden(request, 0, "00027478000000000000109200030003677270");
  // kafka-golden encode AddOffsetsToTxnRequest 3 (same JSON); v4 gives the same bytes
  check_golden(request, 3, "037478000000000000109200030467727000");
  check_golden(request, 4, "037478000000000000109200030467727000");
  const Response response{7, errc::concurrent_transactions, {}};
  // kafka-golden encode AddOffsetsToTxnResponse 0 '{"throttleTimeMs":7,"errorCode":51}'
  check_golden(response, 0, "000000070033");
  // kafka-golden encode AddOffsetsToTxnResponse 3 (same JSON); v4 gives the same bytes
  check_golden(response, 3, "00000007003300");
  check_golden(response, 4, "00000007003300");
}

TEST_CASE("AddOffsetsToTxn refuses tags below v3 and versions outside 0-4") {
  for (std::int16_t v = 0; v < 3; ++v) {
    check_refused(sample_request(3), v);
    check_refused(sample_response(3), v);
  }
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 5, out) == client_errc::unsupported_version);
  CHECK(encode_message(Response{}, -1, out) == client_errc::unsupported_version);
}
