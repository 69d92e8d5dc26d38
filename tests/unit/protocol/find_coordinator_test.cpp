// FindCoordinator codec tests. Golden vectors come from Kafka's own
// generated classes (tests/golden/kafka-golden, Kafka 4.x clients); each
// vector names the command that printed it.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

constexpr auto kTxn = static_cast<std::int8_t>(CoordinatorType::transaction);
constexpr auto kShare = static_cast<std::int8_t>(CoordinatorType::share);

FindCoordinatorRequest sample_request(std::int16_t version) {
  FindCoordinatorRequest r;
  if (version >= FindCoordinatorRequest::first_batched_version)
    r.coordinator_keys = {"orders-tx", "", "payments-tx"};
  else
    r.key = "orders-tx";
  if (version >= 1) r.key_type = kTxn;
  if (version >= 3) r.unknown_tags = {RawTaggedField{3, {0xaa}}};
  return r;
}

FindCoordinatorResponse sample_response(std::int16_t version) {
  FindCoordinatorResponse r;
  if (version >= 1) r.throttle_time_ms = 12;
  if (version >= FindCoordinatorResponse::first_batched_version) {
    r.coordinators.push_back({"orders-tx", 2, "broker-2", 9092, errc::none, std::nullopt, {}});
    r.coordinators.push_back({"payments-tx", -1, "", -1, errc::coordinator_not_available, "loading",
                              {RawTaggedField{1, {0x01}}}});
  } else {
    r.error_code = errc::none;
    if (version >= 1) r.error_message = "";
    r.node_id = 3;
    r.host = "broker-3";
    r.port = 19092;
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
  CHECK(s->max_version == FindCoordinatorResponse::max_version);
  CHECK(s->first_flexible_version == FindCoordinatorRequest::first_flexible_version);
  CHECK(FindCoordinatorResponse::first_flexible_version == FindCoordinatorRequest::first_flexible_version);
}

TEST_CASE("FindCoordinator round trips at every version") {
  for (std::int16_t v = FindCoordinatorRequest::min_version; v <= FindCoordinatorRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(FindCoordinatorRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(FindCoordinatorResponse{}, v);
  }
  FindCoordinatorRequest share;
  share.key_type = kShare;
  share.coordinator_keys = {"share-g"};
  check_round_trip(share, 6);
  check_round_trip(share, 4);  // a value the field holds; the broker refuses it, CoordinatorCache never sends it
}

TEST_CASE("FindCoordinator: every strict prefix fails cleanly") {
  check_truncations<FindCoordinatorRequest, FindCoordinatorResponse>(sample_request, sample_response);
}

TEST_CASE("FindCoordinator request matches Kafka's encoder") {
  FindCoordinatorRequest v0;
  v0.key = "orders-group";
  // kafka-golden encode FindCoordinatorRequest 0 '{"key":"orders-group"}'
  check_golden(v0, 0, "000c6f72646572732d67726f7570");

  FindCoordinatorRequest v3;
  v3.key = "tx-1";
  v3.key_type = kTxn;
  // kafka-golden encode FindCoordinatorRequest 3 '{"key":"tx-1","keyType":1}'
  check_golden(v3, 3, "0574782d310100");

  FindCoordinatorRequest v4;
  v4.key_type = kTxn;
  v4.coordinator_keys = {"tx-1", "tx-2"};
  // kafka-golden encode FindCoordinatorRequest 4 '{"keyType":1,"coordinatorKeys":["tx-1","tx-2"]}'
  check_golden(v4, 4, "01030574782d310574782d3200");

  FindCoordinatorRequest v6;
  v6.key_type = kShare;
  v6.coordinator_keys = {"share-g"};
  // kafka-golden encode FindCoordinatorRequest 6 '{"keyType":2,"coordinatorKeys":["share-g"]}'
  check_golden(v6, 6, "02020873686172652d6700");
}

TEST_CASE("FindCoordinator response matches Kafka's encoder") {
  FindCoordinatorResponse v0;
  v0.node_id = 2;
  v0.host = "broker-2";
  v0.port = 9092;
  // kafka-golden encode FindCoordinatorResponse 0 '{"errorCode":0,"nodeId":2,"host":"broker-2","port":9092}'
  check_golden(v0, 0, "000000000002000862726f6b65722d3200002384");

  FindCoordinatorResponse v3;
  v3.throttle_time_ms = 7;
  v3.error_code = errc::coordinator_not_available;
  v3.error_message = "not yet";
  v3.node_id = -1;
  v3.port = -1;
  // kafka-golden encode FindCoordinatorResponse 3 '{"throttleTimeMs":7,"errorCode":15,"errorMessage":"not yet",
  //   "nodeId":-1,"host":"","port":-1}'
  check_golden(v3, 3, "00000007000f086e6f7420796574ffffffff01ffffffff00");

  FindCoordinatorResponse v4;
  v4.coordinators.push_back({"tx-1", 1, "b1", 9093, errc::none, std::nullopt, {}});
  v4.coordinators.push_back({"tx-2", -1, "", -1, errc::transactional_id_authorization_failed, "denied", {}});
  // kafka-golden encode FindCoordinatorResponse 4 '{"throttleTimeMs":0,"coordinators":[{"key":"tx-1","nodeId":1,
  //   "host":"b1","port":9093,"errorCode":0,"errorMessage":null},{"key":"tx-2","nodeId":-1,"host":"","port":-1,
  //   "errorCode":53,"errorMessage":"denied"}]}'
  check_golden(v4, 4,
               "00000000030574782d310000000103623100002385000000000574782d32ffffffff01ffffffff00350764656e696564"
               "0000");

  FindCoordinatorResponse v6;
  v6.throttle_time_ms = 5;
  v6.coordinators.push_back({"share-g", 3, "b3", 9094, errc::none, std::nullopt, {}});
  // kafka-golden encode FindCoordinatorResponse 6 '{"throttleTimeMs":5,"coordinators":[{"key":"share-g","nodeId":3,
  //   "host":"b3","port":9094,"errorCode":0,"errorMessage":null}]}'
  check_golden(v6, 6, "00000005020873686172652d6700000003036233000023860000000000");
}

TEST_CASE("FindCoordinator refuses a field its version lacks") {
  FindCoordinatorRequest several;
  several.key_type = kTxn;
  several.coordinator_keys = {"a", "b"};
  for (std::int16_t v = 0; v < FindCoordinatorRequest::first_batched_version; ++v) check_refused(several, v);

  FindCoordinatorRequest one_batched;  // even one key: CoordinatorKeys does not exist below v4
  one_batched.coordinator_keys = {"a"};
  check_refused(one_batched, 3);

  FindCoordinatorRequest single;
  single.key = "g";
  for (std::int16_t v = FindCoordinatorRequest::first_batched_version; v <= 6; ++v) check_refused(single, v);

  FindCoordinatorRequest txn_at_v0;  // would silently ask for a group coordinator
  txn_at_v0.key = "tx";
  txn_at_v0.key_type = kTxn;
  check_refused(txn_at_v0, 0);

  FindCoordinatorRequest tags;
  tags.key = "g";
  tags.unknown_tags = {RawTaggedField{1, {}}};
  check_refused(tags, 2);

  FindCoordinatorResponse batched_at_v3;
  batched_at_v3.coordinators.push_back({"g", 1, "h", 1, errc::none, std::nullopt, {}});
  check_refused(batched_at_v3, 3);

  FindCoordinatorResponse single_at_v4;
  single_at_v4.node_id = 1;
  check_refused(single_at_v4, 4);
}

TEST_CASE("FindCoordinator response drops the ignorable fields at v0, as Kafka does") {
  FindCoordinatorResponse r;
  r.throttle_time_ms = 100;
  r.error_message = "ignored";
  r.node_id = 1;
  const auto bytes = encode(r, 0);
  FindCoordinatorResponse back;
  REQUIRE_FALSE(decode_message(bytes, 0, back));
  CHECK(back.throttle_time_ms == 0);
  CHECK_FALSE(back.error_message.has_value());
  CHECK(back.node_id == 1);
}

TEST_CASE("FindCoordinator decoding refuses a coordinator count larger than the input") {
  // v4 response: throttle 0, then a compact array claiming 1000 entries and nothing after.
  const auto bytes = from_hex("00000000e807");
  FindCoordinatorResponse r;
  const auto ec = decode_message(bytes, 4, r);
  CHECK((ec == client_errc::length_exceeds_input || ec == client_errc::truncated));
}
