// FindCoordinator codec tests. Golden vectors from Kafka's own generated
// classes (tests/golden/kafka-golden, the command above each one).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

FindCoordinatorRequest sample_request(std::int16_t version) {
  FindCoordinatorRequest r;
  if (version >= FindCoordinatorRequest::first_batched_version)
    r.coordinator_keys = {"orders-tx", "", "payments-tx"};
  else
    r.key = "orders-group";
  if (version >= 1) r.key_type = CoordinatorType::transaction;
  if (version >= 3) r.unknown_tags = {RawTaggedField{4, {0xaa}}};
  return r;
}

FindCoordinatorResponse sample_response(std::int16_t version) {
  FindCoordinatorResponse r;
  if (version >= 1) r.throttle_time_ms = 17;
  if (version >= 4) {
    FindCoordinatorResponse::Coordinator ok{"orders-tx", 3, "broker-3", 9093, errc::none, std::nullopt, {}};
    FindCoordinatorResponse::Coordinator loading{"payments-tx", -1, "", -1, errc::coordinator_load_in_progress,
                                                 "loading", {RawTaggedField{1, {0x01}}}};
    r.coordinators = {ok, loading};
  } else {
    r.error_code = errc::none;
    r.node_id = 2;
    r.host = "broker-2";
    r.port = 9092;
    if (version >= 1) r.error_message = "fine";
  }
  if (version >= 3) r.unknown_tags = {RawTaggedField{0, {0x01, 0x02}}};
  return r;
}

}  // namespace

TEST_CASE("FindCoordinator codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::find_coordinator);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == FindCoordinatorRequest::min_version);
  CHECK(s->max_version == FindCoordinatorRequest::max_version);
  CHECK(s->first_flexible_version == FindCoordinatorRequest::first_flexible_version);
  CHECK(FindCoordinatorResponse::max_version == FindCoordinatorRequest::max_version);
  CHECK(FindCoordinatorResponse::first_flexible_version == FindCoordinatorRequest::first_flexible_version);
}

TEST_CASE("FindCoordinator round trips, and every truncation fails, at every version") {
  for (std::int16_t v = FindCoordinatorRequest::min_version; v <= FindCoordinatorRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(FindCoordinatorRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(FindCoordinatorResponse{}, v);
    check_every_truncation_fails<FindCoordinatorRequest>(encode(sample_request(v), v), v);
    check_every_truncation_fails<FindCoordinatorResponse>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("FindCoordinator golden vectors from Kafka's encoders") {
  // kafka-golden encode FindCoordinatorRequest 0 '{"key":"grp"}'
  FindCoordinatorRequest group;
  group.key = "grp";
  CHECK(encode(group, 0) == from_hex("0003677270"));
  // kafka-golden encode FindCoordinatorRequest 3 '{"key":"txn-1","keyType":1}'
  FindCoordinatorRequest txn;
  txn.key = "txn-1";
  txn.key_type = CoordinatorType::transaction;
  CHECK(encode(txn, 3) == from_hex("0674786e2d310100"));
  // kafka-golden encode FindCoordinatorRequest 6 '{"keyType":1,"coordinatorKeys":["a","bc"]}'
  FindCoordinatorRequest batch;
  batch.key_type = CoordinatorType::transaction;
  batch.coordinator_keys = {"a", "bc"};
  CHECK(encode(batch, 6) == from_hex("0103026103626300"));

  // kafka-golden encode FindCoordinatorResponse 0 '{"errorCode":0,"nodeId":2,"host":"h","port":9092}'
  FindCoordinatorResponse r0;
  r0.node_id = 2;
  r0.host = "h";
  r0.port = 9092;
  CHECK(encode(r0, 0) == from_hex("00000000000200016800002384"));
  // kafka-golden encode FindCoordinatorResponse 2 '{"throttleTimeMs":5,"errorCode":15,"errorMessage":"x",
  //   "nodeId":-1,"host":"","port":-1}'
  FindCoordinatorResponse r2;
  r2.throttle_time_ms = 5;
  r2.error_code = errc::coordinator_not_available;
  r2.error_message = "x";
  r2.node_id = -1;
  r2.port = -1;
  const auto wire2 = from_hex("00000005000f000178ffffffff0000ffffffff");
  CHECK(encode(r2, 2) == wire2);
  FindCoordinatorResponse back;
  REQUIRE_FALSE(decode_message(wire2, 2, back));
  CHECK(back == r2);
  // kafka-golden encode FindCoordinatorResponse 6 '{"throttleTimeMs":0,"coordinators":[{"key":"a","nodeId":3,
  //   "host":"b3","port":9093,"errorCode":0,"errorMessage":null}]}'
  FindCoordinatorResponse r6;
  r6.coordinators = {{"a", 3, "b3", 9093, errc::none, std::nullopt, {}}};
  const auto wire6 = from_hex("0000000002026100000003036233000023850000000000");
  CHECK(encode(r6, 6) == wire6);
  REQUIRE_FALSE(decode_message(wire6, 6, back));
  CHECK(back == r6);
}

TEST_CASE("FindCoordinator refuses fields its version cannot carry") {
  std::vector<std::uint8_t> out;
  FindCoordinatorRequest txn_at_v0;
  txn_at_v0.key = "t";
  txn_at_v0.key_type = CoordinatorType::transaction;  // v0 knows groups only
  CHECK(encode_message(txn_at_v0, 0, out) == client_errc::field_not_in_version);
  FindCoordinatorRequest batch_at_v3;
  batch_at_v3.coordinator_keys = {"a"};
  CHECK(encode_message(batch_at_v3, 3, out) == client_errc::field_not_in_version);
  FindCoordinatorRequest single_at_v4;
  single_at_v4.key = "a";
  CHECK(encode_message(single_at_v4, 4, out) == client_errc::field_not_in_version);
  FindCoordinatorResponse single_at_v4_response;
  single_at_v4_response.node_id = 1;
  CHECK(encode_message(single_at_v4_response, 4, out) == client_errc::field_not_in_version);
  FindCoordinatorResponse message_at_v0;
  message_at_v0.error_message = "x";
  CHECK(encode_message(message_at_v0, 0, out) == client_errc::field_not_in_version);
  CHECK(out.empty());
  CHECK(encode_message(FindCoordinatorRequest{}, 7, out) == client_errc::unsupported_version);
}

TEST_CASE("FindCoordinator: a coordinator count larger than the bytes present is refused before allocating") {
  // v4 response: throttle, then a compact array claiming 2^28 coordinators.
  const std::vector<std::uint8_t> wire = bytes({0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x01});
  FindCoordinatorResponse r;
  const std::error_code ec = decode_message(wire, 4, r);
  CHECK((ec == client_errc::length_exceeds_input || ec == client_errc::malformed || ec == client_errc::truncated));
}
