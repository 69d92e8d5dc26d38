// ConsumerProtocol subscription/assignment codecs. Golden vectors come from
// Kafka's own generated classes (tests/golden/kafka-golden, kafka-clients
// 4.4.0), which write the same version-prefixed bytes as Java's
// ConsumerProtocol.serializeSubscription / serializeAssignment.
#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/consumer_protocol.hpp"
#include "codec_checks.hpp"

using namespace kwire::protocol;
using kwire::client_errc;
using kwire::protocol::testing::from_hex;

namespace {

template <class M>
std::vector<std::uint8_t> encode(const M& m, std::int16_t version) {
  std::vector<std::uint8_t> out;
  REQUIRE_FALSE(encode_consumer_protocol(m, version, out));
  return out;
}

template <class M>
M decode(const std::vector<std::uint8_t>& bytes, std::int16_t expected_version) {
  M m;
  std::int16_t version = -99;
  REQUIRE_FALSE(decode_consumer_protocol(bytes, m, &version));
  CHECK(version == expected_version);
  return m;
}

/// The subscription the golden vectors encode, with the fields of `version`.
ConsumerProtocolSubscription golden_subscription(std::int16_t version) {
  ConsumerProtocolSubscription s;
  s.topics = {"a", "bb"};
  s.user_data = std::vector<std::uint8_t>{0x01, 0x02};
  if (version >= 1) s.owned_partitions = {{"a", {0, 2}}};
  if (version >= 2) s.generation_id = 7;
  if (version >= 3) s.rack_id = "r1";
  return s;
}

template <class M>
void check_every_truncation_fails(const std::vector<std::uint8_t>& encoded) {
  for (std::size_t n = 0; n < encoded.size(); ++n) {
    CAPTURE(n);
    M m;
    std::error_code ec = decode_consumer_protocol(std::span(encoded.data(), n), m);
    CHECK((ec == client_errc::truncated || ec == client_errc::length_exceeds_input || ec == client_errc::malformed));
  }
}

}  // namespace

TEST_CASE("ConsumerProtocolSubscription golden vectors from Kafka's encoder") {
  // tests/golden/kafka-golden encode ConsumerProtocolSubscription 0 '{"topics":["a","bb"],"userData":"AQI="}'
  const auto v0 = from_hex("00000000000200016100026262000000020102");
  // tests/golden/kafka-golden encode ConsumerProtocolSubscription 1 '{"topics":["a","bb"],"userData":"AQI=",
  //   "ownedPartitions":[{"topic":"a","partitions":[0,2]}]}'
  const auto v1 = from_hex("0001000000020001610002626200000002010200000001000161000000020000000000000002");
  // tests/golden/kafka-golden encode ConsumerProtocolSubscription 2 '{"topics":["a","bb"],"userData":"AQI=",
  //   "ownedPartitions":[{"topic":"a","partitions":[0,2]}],"generationId":7}'
  const auto v2 = from_hex("000200000002000161000262620000000201020000000100016100000002000000000000000200000007");
  // tests/golden/kafka-golden encode ConsumerProtocolSubscription 3 '{"topics":["a","bb"],"userData":"AQI=",
  //   "ownedPartitions":[{"topic":"a","partitions":[0,2]}],"generationId":7,"rackId":"r1"}'
  const auto v3 = from_hex("00030000000200016100026262000000020102000000010001610000000200000000000000020000000700027231");
  const std::vector<std::uint8_t>* golden[] = {&v0, &v1, &v2, &v3};
  for (std::int16_t v = 0; v <= 3; ++v) {
    CAPTURE(v);
    CHECK(encode(golden_subscription(v), v) == *golden[v]);
    CHECK(decode<ConsumerProtocolSubscription>(*golden[v], v) == golden_subscription(v));
  }

  // tests/golden/kafka-golden encode ConsumerProtocolSubscription 3 '{"topics":["t"],"userData":null,
  //   "ownedPartitions":[],"generationId":-1,"rackId":null}'
  const auto defaults = from_hex("000300000001000174ffffffff00000000ffffffffffff");
  ConsumerProtocolSubscription plain;
  plain.topics = {"t"};
  CHECK(encode(plain, 3) == defaults);
  CHECK(decode<ConsumerProtocolSubscription>(defaults, 3) == plain);
}

TEST_CASE("ConsumerProtocolAssignment golden vectors from Kafka's encoder") {
  // tests/golden/kafka-golden encode ConsumerProtocolAssignment 0 '{"assignedPartitions":[{"topic":"a",
  //   "partitions":[1,0]},{"topic":"bb","partitions":[]}],"userData":"/w=="}'
  const auto v0 = from_hex("000000000002000161000000020000000100000000000262620000000000000001ff");
  ConsumerProtocolAssignment a;
  a.assigned_partitions = {{"a", {1, 0}}, {"bb", {}}};
  a.user_data = std::vector<std::uint8_t>{0xff};
  CHECK(encode(a, 0) == v0);
  CHECK(decode<ConsumerProtocolAssignment>(v0, 0) == a);

  // tests/golden/kafka-golden encode ConsumerProtocolAssignment 3 '{"assignedPartitions":[{"topic":"a",
  //   "partitions":[5]}],"userData":null}'
  const auto v3 = from_hex("0003000000010001610000000100000005ffffffff");
  ConsumerProtocolAssignment b;
  b.assigned_partitions = {{"a", {5}}};
  CHECK(encode(b, 3) == v3);
  CHECK(decode<ConsumerProtocolAssignment>(v3, 3) == b);
}

TEST_CASE("ConsumerProtocol round trips at every version") {
  for (std::int16_t v = 0; v <= 3; ++v) {
    CAPTURE(v);
    for (const auto& s : {golden_subscription(v), ConsumerProtocolSubscription{}}) {
      CHECK(decode<ConsumerProtocolSubscription>(encode(s, v), v) == s);
    }
    ConsumerProtocolSubscription empty_user_data;  // empty, not null: both survive
    empty_user_data.user_data = std::vector<std::uint8_t>{};
    CHECK(decode<ConsumerProtocolSubscription>(encode(empty_user_data, v), v) == empty_user_data);

    ConsumerProtocolAssignment a;
    a.assigned_partitions = {{"orders", {0, 1, 2}}, {"", {}}, {"x", {2147483647}}};
    a.user_data = std::vector<std::uint8_t>{};
    CHECK(decode<ConsumerProtocolAssignment>(encode(a, v), v) == a);
    CHECK(decode<ConsumerProtocolAssignment>(encode(ConsumerProtocolAssignment{}, v), v) ==
          ConsumerProtocolAssignment{});
  }
}

TEST_CASE("ConsumerProtocol decoding fails at every truncation") {
  for (std::int16_t v = 0; v <= 3; ++v) {
    CAPTURE(v);
    check_every_truncation_fails<ConsumerProtocolSubscription>(encode(golden_subscription(v), v));
    ConsumerProtocolAssignment a;
    a.assigned_partitions = {{"a", {1, 2}}, {"b", {}}};
    a.user_data = std::vector<std::uint8_t>{9, 9};
    check_every_truncation_fails<ConsumerProtocolAssignment>(encode(a, v));
  }
}

TEST_CASE("ConsumerProtocol reads a newer version as version 3 and ignores what follows") {
  // A hypothetical v9 member appends fields after RackId: read as v3.
  auto bytes = encode(golden_subscription(3), 3);
  bytes[1] = 9;
  bytes.insert(bytes.end(), {0xde, 0xad, 0xbe, 0xef});
  CHECK(decode<ConsumerProtocolSubscription>(bytes, 9) == golden_subscription(3));

  ConsumerProtocolAssignment a;
  a.assigned_partitions = {{"t", {3}}};
  auto assignment = encode(a, 3);
  assignment[1] = 4;
  assignment.push_back(0x00);
  CHECK(decode<ConsumerProtocolAssignment>(assignment, 4) == a);
}

TEST_CASE("ConsumerProtocol ignores bytes after the last field, as Java does") {
  auto bytes = encode(golden_subscription(1), 1);
  bytes.push_back(0x42);
  CHECK(decode<ConsumerProtocolSubscription>(bytes, 1) == golden_subscription(1));
}

TEST_CASE("ConsumerProtocol refuses negative versions, null arrays and hostile counts") {
  ConsumerProtocolSubscription s;
  CHECK(decode_consumer_protocol(from_hex("ffff00000000ffffffff"), s) == client_errc::unsupported_version);
  ConsumerProtocolAssignment a;
  CHECK(decode_consumer_protocol(from_hex("800000000000ffffffff"), a) == client_errc::unsupported_version);
  // Topics array null (-1): the field is not nullable.
  CHECK(decode_consumer_protocol(from_hex("0000ffffffffffffffff"), s) == client_errc::malformed);
  // A count of 2^31-1 topics in 4 bytes is refused before anything is reserved.
  CHECK(decode_consumer_protocol(from_hex("00007fffffff00000000"), s) == client_errc::length_exceeds_input);
  CHECK(decode_consumer_protocol(from_hex("00037fffffff"), a) == client_errc::length_exceeds_input);
  // An empty blob (Java rejects fewer than 2 bytes as well).
  CHECK(decode_consumer_protocol(std::span<const std::uint8_t>{}, a) == client_errc::truncated);
}

TEST_CASE("ConsumerProtocolSubscription refuses fields the version lacks and writes nothing") {
  std::vector<std::uint8_t> out{0x77};
  ConsumerProtocolSubscription owned;
  owned.owned_partitions = {{"t", {0}}};
  CHECK(encode_consumer_protocol(owned, 0, out) == client_errc::field_not_in_version);
  ConsumerProtocolSubscription generation;
  generation.generation_id = 3;
  CHECK(encode_consumer_protocol(generation, 1, out) == client_errc::field_not_in_version);
  ConsumerProtocolSubscription rack;
  rack.rack_id = "";
  CHECK(encode_consumer_protocol(rack, 2, out) == client_errc::field_not_in_version);
  CHECK(encode_consumer_protocol(rack, 4, out) == client_errc::unsupported_version);
  CHECK(encode_consumer_protocol(ConsumerProtocolAssignment{}, -1, out) == client_errc::unsupported_version);
  CHECK(out.size() == 1);
  CHECK_FALSE(encode_consumer_protocol(rack, 3, out));
}
