// InitProducerId codec tests. The golden vectors were worked out by hand
// from InitProducerIdRequest.json / InitProducerIdResponse.json.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/message.hpp"
#include "codec_checks.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

InitProducerIdRequest sample_request(std::int16_t version) {
  InitProducerIdRequest r;
  r.transactional_id = "orders-tx";
  r.transaction_timeout_ms = 60000;
  if (version >= 3) {
    r.producer_id = 0x0102030405060708;
    r.producer_epoch = 7;
  }
  if (version >= 6) {
    r.enable_2pc = true;
    r.keep_prepared_txn = true;
  }
  if (version >= 2) r.unknown_tags = {RawTaggedField{3, {0xaa}}, RawTaggedField{200, {}}};
  return r;
}

InitProducerIdResponse sample_response(std::int16_t version) {
  InitProducerIdResponse r;
  r.throttle_time_ms = 25;
  r.error_code = version >= 4 ? errc::producer_fenced : errc::none;
  r.producer_id = 4242;
  r.producer_epoch = 32767;
  if (version >= 6) {
    r.ongoing_txn_producer_id = 4241;
    r.ongoing_txn_producer_epoch = 9;
  }
  if (version >= 2) r.unknown_tags = {RawTaggedField{0, {0x01, 0x02}}};
  return r;
}

}  // namespace

TEST_CASE("InitProducerId codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::init_producer_id);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == InitProducerIdRequest::min_version);
  CHECK(s->max_version == InitProducerIdRequest::max_version);
  CHECK(s->first_flexible_version == InitProducerIdRequest::first_flexible_version);
  CHECK(s->max_version == InitProducerIdResponse::max_version);
  CHECK(InitProducerIdResponse::first_flexible_version == InitProducerIdRequest::first_flexible_version);
}

TEST_CASE("InitProducerId round trips at every version") {
  for (std::int16_t v = InitProducerIdRequest::min_version; v <= InitProducerIdRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(InitProducerIdRequest{}, v);  // idempotent producer: null id, defaults
    check_round_trip(sample_response(v), v);
    check_round_trip(InitProducerIdResponse{}, v);
  }
}

TEST_CASE("InitProducerId golden vectors") {
  SUBCASE("request v0, idempotent producer") {
    InitProducerIdRequest r;
    r.transaction_timeout_ms = 60000;
    CHECK(encode(r, 0) == bytes({0xff, 0xff,                 // transactional_id: null (int16 -1)
                                 0x00, 0x00, 0xea, 0x60}));  // transaction_timeout_ms 60000
  }
  SUBCASE("request v2, transactional, flexible") {
    InitProducerIdRequest r;
    r.transactional_id = "tx";
    r.transaction_timeout_ms = 1;
    CHECK(encode(r, 2) == bytes({0x03, 't', 'x',            // compact string, length+1
                                 0x00, 0x00, 0x00, 0x01,    // timeout
                                 0x00}));                   // empty tag buffer
  }
  SUBCASE("request v3, KIP-360 epoch bump") {
    InitProducerIdRequest r;
    r.transaction_timeout_ms = 60000;
    r.producer_id = 0x1234;
    r.producer_epoch = 5;
    auto expected = bytes({0x00,                                             // null compact string
                           0x00, 0x00, 0xea, 0x60,                           // timeout
                           0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34,   // producer_id
                           0x00, 0x05,                                       // producer_epoch
                           0x00});                                           // tags
    CHECK(encode(r, 3) == expected);
    InitProducerIdRequest back;
    REQUIRE_FALSE(decode_message(expected, 3, back));
    CHECK(back == r);
  }
  SUBCASE("response v0") {
    InitProducerIdResponse r;
    r.producer_id = 42;
    r.producer_epoch = 1;
    CHECK(encode(r, 0) == bytes({0x00, 0x00, 0x00, 0x00,                            // throttle
                                 0x00, 0x00,                                        // error
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,    // producer_id
                                 0x00, 0x01}));                                     // epoch
  }
  SUBCASE("response v4 with an error and an unknown tag") {
    auto wire = bytes({0x00, 0x00, 0x00, 0x0a,                            // throttle 10
                       0x00, 0x5a,                                        // PRODUCER_FENCED (90)
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,    // producer_id -1
                       0xff, 0xff,                                        // epoch -1
                       0x01, 0x05, 0x02, 0xab, 0xcd});                    // one tag: 5 -> ab cd
    InitProducerIdResponse r;
    REQUIRE_FALSE(decode_message(wire, 4, r));
    CHECK(r.throttle_time_ms == 10);
    CHECK(r.error_code == errc::producer_fenced);
    CHECK(r.producer_id == -1);
    CHECK(r.producer_epoch == -1);
    REQUIRE(r.unknown_tags.size() == 1);
    CHECK(r.unknown_tags[0] == RawTaggedField{5, {0xab, 0xcd}});
    CHECK(encode(r, 4) == wire);
  }
}

TEST_CASE("InitProducerId decoding fails at every truncation") {
  check_truncations<InitProducerIdRequest, InitProducerIdResponse>(sample_request, sample_response);
}

TEST_CASE("InitProducerId refuses fields the version lacks") {
  std::vector<std::uint8_t> out{0x99};
  InitProducerIdRequest bump;
  bump.producer_id = 7;
  bump.producer_epoch = 0;
  for (std::int16_t v = 0; v < 3; ++v) {
    CAPTURE(v);
    CHECK(encode_message(bump, v, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);  // nothing half-written
  }
  CHECK_FALSE(encode_message(bump, 3, out));

  InitProducerIdRequest tagged;
  tagged.unknown_tags = {RawTaggedField{1, {}}};
  CHECK(encode_message(tagged, 1, out) == client_errc::field_not_in_version);
  InitProducerIdResponse tagged_response;
  tagged_response.unknown_tags = {RawTaggedField{1, {}}};
  CHECK(encode_message(tagged_response, 1, out) == client_errc::field_not_in_version);
  CHECK_FALSE(encode_message(tagged_response, 2, out));
}

TEST_CASE("InitProducerId v6 (KIP-939): golden vectors from Kafka 4.4's encoder, fields refused below v6") {
  InitProducerIdRequest two_phase;
  two_phase.transactional_id = "tx";
  two_phase.transaction_timeout_ms = 60000;
  two_phase.enable_2pc = true;
  // kafka-golden encode InitProducerIdRequest 6 '{"transactionalId":"tx","transactionTimeoutMs":60000,
  //   "producerId":-1,"producerEpoch":-1,"enable2Pc":true,"keepPreparedTxn":false}'
  check_golden(two_phase, 6, "0374780000ea60ffffffffffffffffffff010000");
  InitProducerIdResponse kept;
  kept.producer_id = 4242;
  kept.producer_epoch = 3;
  kept.ongoing_txn_producer_id = 4242;
  kept.ongoing_txn_producer_epoch = 2;
  // kafka-golden encode InitProducerIdResponse 6 '{"throttleTimeMs":0,"errorCode":0,"producerId":4242,
  //   "producerEpoch":3,"ongoingTxnProducerId":4242,"ongoingTxnProducerEpoch":2}'
  check_golden(kept, 6, "000000000000000000000000109200030000000000001092000200");
  // kafka-golden encode InitProducerIdRequest 0 '{"transactionalId":"tx","transactionTimeoutMs":60000}'
  InitProducerIdRequest classic;
  classic.transactional_id = "tx";
  classic.transaction_timeout_ms = 60000;
  check_golden(classic, 0, "000274780000ea60");

  for (std::int16_t v = 0; v < 6; ++v) {
    check_refused(two_phase, v);
    InitProducerIdRequest keep;
    keep.keep_prepared_txn = true;
    check_refused(keep, v);
    check_refused(kept, v);
    InitProducerIdResponse epoch_only;
    epoch_only.ongoing_txn_producer_epoch = 0;
    check_refused(epoch_only, v);
  }
}

TEST_CASE("InitProducerId rejects versions outside 0-6 and trailing bytes") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(InitProducerIdRequest{}, 7, out) == client_errc::unsupported_version);
  CHECK(encode_message(InitProducerIdResponse{}, -1, out) == client_errc::unsupported_version);
  auto wire = encode(InitProducerIdResponse{}, 1);
  wire.push_back(0);
  InitProducerIdResponse r;
  CHECK(decode_message(wire, 1, r) == client_errc::trailing_bytes);
}
