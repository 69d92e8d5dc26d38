// Heartbeat codec tests. Golden vectors come from Kafka 4.4.0's own
// generated classes (tests/golden/kafka-golden, command above each).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/heartbeat.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

HeartbeatRequest sample_request(std::int16_t version) {
  HeartbeatRequest r{"orders", 9, "consumer-1-6f1c", std::nullopt, {}};
  if (version >= 3) r.group_instance_id = "pod-3";
  if (version >= 4) r.unknown_tags = {RawTaggedField{0, {0xff}}};
  return r;
}

HeartbeatResponse sample_response(std::int16_t version) {
  HeartbeatResponse r;
  if (version >= 1) r.throttle_time_ms = 100;
  r.error_code = errc::illegal_generation;
  if (version >= 4) r.unknown_tags = {RawTaggedField{1, {0x01, 0x02, 0x03}}};
  return r;
}

}  // namespace

TEST_CASE("Heartbeat codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::heartbeat);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == HeartbeatRequest::min_version);
  CHECK(s->max_version == HeartbeatRequest::max_version);
  CHECK(s->first_flexible_version == HeartbeatRequest::first_flexible_version);
  CHECK(HeartbeatResponse::max_version == HeartbeatRequest::max_version);
  CHECK(HeartbeatResponse::first_flexible_version == HeartbeatRequest::first_flexible_version);
}

TEST_CASE("Heartbeat round trips at every version") {
  for (std::int16_t v = HeartbeatRequest::min_version; v <= HeartbeatRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(HeartbeatRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(HeartbeatResponse{}, v);
  }
}

TEST_CASE("Heartbeat golden vectors from Kafka's encoder") {
  // kafka-golden encode HeartbeatRequest 0 '{"groupId":"g1","generationId":3,"memberId":"m-1"}'
  check_golden(HeartbeatRequest{"g1", 3, "m-1", std::nullopt, {}}, 0, from_hex("000267310000000300036d2d31"));
  // kafka-golden encode HeartbeatRequest 4 '{"groupId":"g1","generationId":3,"memberId":"m-1","groupInstanceId":"i-1"}'
  check_golden(HeartbeatRequest{"g1", 3, "m-1", "i-1", {}}, 4, from_hex("03673100000003046d2d3104692d3100"));
  // kafka-golden encode HeartbeatResponse 0 '{"errorCode":27}'
  HeartbeatResponse v0;
  v0.error_code = errc::rebalance_in_progress;
  check_golden(v0, 0, from_hex("001b"));
  // kafka-golden encode HeartbeatResponse 4 '{"throttleTimeMs":9,"errorCode":22}'
  HeartbeatResponse v4;
  v4.throttle_time_ms = 9;
  v4.error_code = errc::illegal_generation;
  check_golden(v4, 4, from_hex("00000009001600"));
}

TEST_CASE("Heartbeat decoding fails at every truncation") {
  check_truncations<HeartbeatRequest, HeartbeatResponse>(sample_request, sample_response);
}

TEST_CASE("Heartbeat refuses fields the version lacks") {
  std::vector<std::uint8_t> out{0x99};
  HeartbeatRequest stat{"g", 1, "m", "pod-1", {}};
  CHECK(encode_message(stat, 2, out) == client_errc::field_not_in_version);
  CHECK(out.size() == 1);
  CHECK_FALSE(encode_message(stat, 3, out));
  HeartbeatRequest tagged;
  tagged.unknown_tags = {RawTaggedField{1, {}}};
  CHECK(encode_message(tagged, 3, out) == client_errc::field_not_in_version);
  HeartbeatResponse tagged_response;
  tagged_response.unknown_tags = {RawTaggedField{1, {}}};
  CHECK(encode_message(tagged_response, 3, out) == client_errc::field_not_in_version);
  // ThrottleTimeMs is ignorable: v0 leaves it out.
  HeartbeatResponse throttled;
  throttled.throttle_time_ms = 5;
  CHECK(encode(throttled, 0) == bytes({0x00, 0x00}));
}

TEST_CASE("Heartbeat rejects versions outside 0-4 and trailing bytes") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(HeartbeatRequest{}, 5, out) == client_errc::unsupported_version);
  CHECK(encode_message(HeartbeatResponse{}, -1, out) == client_errc::unsupported_version);
  HeartbeatResponse r;
  CHECK(decode_message(bytes({0x00, 0x00, 0x00}), 0, r) == client_errc::trailing_bytes);
}
