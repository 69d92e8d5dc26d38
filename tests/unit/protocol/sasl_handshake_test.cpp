// SaslHandshake codec tests. The golden vectors were worked out by hand from
// SaslHandshakeRequest.json / SaslHandshakeResponse.json (never flexible:
// int16-length strings, int32 array counts).
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "kwire/protocol/message.hpp"
#include "kwire/protocol/sasl_handshake.hpp"
#include "codec_checks.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

}  // namespace

TEST_CASE("SaslHandshake codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::sasl_handshake);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == SaslHandshakeRequest::min_version);
  CHECK(s->max_version == SaslHandshakeRequest::max_version);
  CHECK(s->first_flexible_version == SaslHandshakeRequest::first_flexible_version);
  CHECK(s->max_version == SaslHandshakeResponse::max_version);
  CHECK_FALSE(is_flexible(ApiKey::sasl_handshake, 1));
}

TEST_CASE("SaslHandshake round trips at every version") {
  for (std::int16_t v = 0; v <= 1; ++v) {
    check_round_trip(SaslHandshakeRequest{"SCRAM-SHA-512"}, v);
    check_round_trip(SaslHandshakeRequest{}, v);
    check_round_trip(SaslHandshakeResponse{errc::unsupported_sasl_mechanism, {"PLAIN", "GSSAPI", ""}}, v);
    check_round_trip(SaslHandshakeResponse{}, v);
  }
}

TEST_CASE("SaslHandshake golden vectors") {
  SUBCASE("request v1: PLAIN") {
    CHECK(encode(SaslHandshakeRequest{"PLAIN"}, 1) == bytes({0x00, 0x05, 'P', 'L', 'A', 'I', 'N'}));
  }
  SUBCASE("request v0 is the same bytes") {
    CHECK(encode(SaslHandshakeRequest{"PLAIN"}, 0) == encode(SaslHandshakeRequest{"PLAIN"}, 1));
  }
  SUBCASE("response v1: unsupported mechanism, two enabled") {
    SaslHandshakeResponse r{errc::unsupported_sasl_mechanism, {"PLAIN", "SCRAM-SHA-256"}};
    auto expected = bytes({0x00, 0x21,              // error_code 33
                           0x00, 0x00, 0x00, 0x02,  // two mechanisms
                           0x00, 0x05, 'P', 'L', 'A', 'I', 'N',
                           0x00, 0x0d, 'S', 'C', 'R', 'A', 'M', '-', 'S', 'H', 'A', '-', '2', '5', '6'});
    CHECK(encode(r, 1) == expected);
    SaslHandshakeResponse back;
    REQUIRE_FALSE(decode_message(expected, 1, back));
    CHECK(back.error_code == errc::unsupported_sasl_mechanism);
    CHECK(back.mechanisms == std::vector<std::string>{"PLAIN", "SCRAM-SHA-256"});
  }
}

TEST_CASE("SaslHandshake refuses bad input") {
  SUBCASE("every truncation fails") {
    for (std::int16_t v = 0; v <= 1; ++v) {
      check_every_truncation_fails<SaslHandshakeRequest>(encode(SaslHandshakeRequest{"OAUTHBEARER"}, v), v);
      check_every_truncation_fails<SaslHandshakeResponse>(
          encode(SaslHandshakeResponse{errc::none, {"PLAIN", "GSSAPI"}}, v), v);
    }
  }
  SUBCASE("an absurd mechanism count is rejected before allocating") {
    auto evil = bytes({0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x01, 'X'});
    SaslHandshakeResponse r;
    CHECK(decode_message(evil, 1, r) == client_errc::length_exceeds_input);
  }
  SUBCASE("a null mechanism array is malformed") {
    SaslHandshakeResponse r;
    CHECK(decode_message(bytes({0x00, 0x00, 0xff, 0xff, 0xff, 0xff}), 1, r) == client_errc::malformed);
  }
  SUBCASE("trailing bytes") {
    SaslHandshakeRequest r;
    CHECK(decode_message(bytes({0x00, 0x01, 'X', 0x00}), 1, r) == client_errc::trailing_bytes);
  }
  SUBCASE("versions outside 0-1") {
    std::vector<std::uint8_t> out;
    CHECK(encode_message(SaslHandshakeRequest{"PLAIN"}, 2, out) == client_errc::unsupported_version);
    CHECK(out.empty());
    SaslHandshakeResponse r;
    CHECK(decode_message(bytes({0x00, 0x00, 0x00, 0x00, 0x00, 0x00}), -1, r) == client_errc::unsupported_version);
  }
}
