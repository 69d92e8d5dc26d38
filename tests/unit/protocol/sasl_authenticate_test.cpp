// SaslAuthenticate codec tests. The golden vectors were worked out by hand
// from SaslAuthenticateRequest.json / SaslAuthenticateResponse.json.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "kwire/protocol/message.hpp"
#include "kwire/protocol/sasl_authenticate.hpp"
#include "codec_checks.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

SaslAuthenticateRequest sample_request(std::int16_t version) {
  SaslAuthenticateRequest r;
  r.auth_bytes = bytes({0x00, 'u', 0x00, 'p', 0xff});
  if (version >= 2) r.unknown_tags = {RawTaggedField{7, {0x01}}};
  return r;
}

SaslAuthenticateResponse sample_response(std::int16_t version) {
  SaslAuthenticateResponse r;
  r.error_code = errc::sasl_authentication_failed;
  r.error_message = "Authentication failed: Invalid username or password";
  r.auth_bytes = bytes({'e', '=', 'x'});
  if (version >= 1) r.session_lifetime_ms = 3600000;
  if (version >= 2) r.unknown_tags = {RawTaggedField{1, {}}, RawTaggedField{9, {0xab, 0xcd}}};
  return r;
}

}  // namespace

TEST_CASE("SaslAuthenticate codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::sasl_authenticate);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == SaslAuthenticateRequest::min_version);
  CHECK(s->max_version == SaslAuthenticateRequest::max_version);
  CHECK(s->first_flexible_version == SaslAuthenticateRequest::first_flexible_version);
  CHECK(s->max_version == SaslAuthenticateResponse::max_version);
  CHECK(SaslAuthenticateResponse::first_flexible_version == SaslAuthenticateRequest::first_flexible_version);
}

TEST_CASE("SaslAuthenticate round trips at every version") {
  for (std::int16_t v = 0; v <= 2; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(SaslAuthenticateRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(SaslAuthenticateResponse{}, v);
  }
}

TEST_CASE("SaslAuthenticate golden vectors") {
  SUBCASE("request v0: int32-length bytes") {
    SaslAuthenticateRequest r;
    r.auth_bytes = bytes({0x00, 'u', 0x00, 'p'});
    CHECK(encode(r, 0) == bytes({0x00, 0x00, 0x00, 0x04, 0x00, 'u', 0x00, 'p'}));
    CHECK(encode(r, 1) == encode(r, 0));
  }
  SUBCASE("request v2: compact bytes and a tag buffer") {
    SaslAuthenticateRequest r;
    r.auth_bytes = bytes({0x00, 'u', 0x00, 'p'});
    CHECK(encode(r, 2) == bytes({0x05, 0x00, 'u', 0x00, 'p', 0x00}));
  }
  SUBCASE("response v0: an authentication failure") {
    SaslAuthenticateResponse r;
    r.error_code = errc::sasl_authentication_failed;
    r.error_message = "bad";
    CHECK(encode(r, 0) == bytes({0x00, 0x3a,                 // error_code 58
                                 0x00, 0x03, 'b', 'a', 'd',  // error_message
                                 0x00, 0x00, 0x00, 0x00}));  // auth_bytes: empty
  }
  SUBCASE("response v1: success with a session lifetime") {
    SaslAuthenticateResponse r;
    r.auth_bytes = bytes({'v', '='});
    r.session_lifetime_ms = 3600000;  // 0x36ee80
    auto expected = bytes({0x00, 0x00,                                       // error_code
                           0xff, 0xff,                                       // error_message: null
                           0x00, 0x00, 0x00, 0x02, 'v', '=',                 // auth_bytes
                           0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0xee, 0x80}); // session_lifetime_ms
    CHECK(encode(r, 1) == expected);
    SaslAuthenticateResponse back;
    REQUIRE_FALSE(decode_message(expected, 1, back));
    CHECK(back.session_lifetime_ms == 3600000);
    CHECK_FALSE(back.error_message.has_value());
  }
  SUBCASE("response v2: flexible") {
    SaslAuthenticateResponse r;
    r.auth_bytes = bytes({'h', 'i'});
    r.session_lifetime_ms = 1;
    CHECK(encode(r, 2) == bytes({0x00, 0x00,                                      // error_code
                                 0x00,                                            // null compact string
                                 0x03, 'h', 'i',                                  // compact bytes
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // lifetime
                                 0x00}));                                         // tag buffer
  }
  SUBCASE("response v0 drops the ignorable session lifetime") {
    SaslAuthenticateResponse r;
    r.session_lifetime_ms = 5000;
    CHECK(encode(r, 0) == bytes({0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00}));
  }
}

TEST_CASE("SaslAuthenticate refuses bad input") {
  SUBCASE("every truncation fails") {
    for (std::int16_t v = 0; v <= 2; ++v) {
      check_every_truncation_fails<SaslAuthenticateRequest>(encode(sample_request(v), v), v);
      check_every_truncation_fails<SaslAuthenticateResponse>(encode(sample_response(v), v), v);
    }
  }
  SUBCASE("an auth_bytes length beyond the input") {
    SaslAuthenticateRequest r;
    CHECK(decode_message(bytes({0x7f, 0xff, 0xff, 0xff, 0x01}), 0, r) != std::error_code{});
    CHECK(r.auth_bytes.empty());
  }
  SUBCASE("tags below the first flexible version") {
    std::vector<std::uint8_t> out;
    CHECK(encode_message(sample_request(2), 1, out) == client_errc::field_not_in_version);
    CHECK(encode_message(sample_response(2), 1, out) == client_errc::field_not_in_version);
    CHECK(out.empty());
  }
  SUBCASE("versions outside 0-2") {
    std::vector<std::uint8_t> out;
    CHECK(encode_message(SaslAuthenticateRequest{}, 3, out) == client_errc::unsupported_version);
    SaslAuthenticateResponse r;
    CHECK(decode_message(bytes({}), 3, r) == client_errc::unsupported_version);
  }
}
