#pragma once
// Checks every codec test repeats: encode at a version, round trip, and
// "every strict prefix of a valid encoding fails cleanly".
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/types.hpp"

namespace kwire::protocol::testing {

inline std::vector<std::uint8_t> bytes(std::initializer_list<int> values) {
  std::vector<std::uint8_t> out;
  out.reserve(values.size());
  for (int b : values) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

/// Bytes from hex text, as tests/golden/kafka-golden prints them.
inline std::vector<std::uint8_t> from_hex(std::string_view hex) {
  const auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  REQUIRE(hex.size() % 2 == 0);
  std::vector<std::uint8_t> out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

/// The topic id 00 01 02 … 0f ("AAECAwQFBgcICQoLDA0ODw" in kafka-golden's JSON).
inline Uuid counting_uuid() {
  Uuid id;
  for (std::uint8_t i = 0; i < 16; ++i) id.bytes[i] = i;
  return id;
}

template <class M>
std::vector<std::uint8_t> encode(const M& m, std::int16_t version) {
  std::vector<std::uint8_t> out;
  REQUIRE_FALSE(encode_message(m, version, out));
  return out;
}

/// decode(encode(m)) == m, and re-encoding gives the same bytes.
template <class M>
void check_round_trip(const M& m, std::int16_t version) {
  CAPTURE(version);
  auto encoded = encode(m, version);
  M back;
  REQUIRE_FALSE(decode_message(encoded, version, back));
  CHECK(back == m);
  CHECK(encode(back, version) == encoded);
}

/// A golden vector (Kafka's own encoding, see tests/golden): `m` encodes
/// to exactly `golden`, and the golden bytes decode back to `m`.
template <class M>
void check_golden(const M& m, std::int16_t version, const std::vector<std::uint8_t>& golden) {
  CAPTURE(version);
  const auto encoded = encode(m, version);
  CHECK(encoded == golden);
  if (encoded != golden) {
    std::string ours;
    for (std::uint8_t b : encoded) ours += "0123456789abcdef"[b >> 4], ours += "0123456789abcdef"[b & 15];
    MESSAGE("kwire encodes " << ours);
  }
  M back;
  REQUIRE_FALSE(decode_message(golden, version, back));
  CHECK(back == m);
}

/// The same, with the golden bytes as the hex kafka-golden prints.
template <class M>
void check_golden(const M& m, std::int16_t version, std::string_view golden_hex) {
  check_golden(m, version, from_hex(golden_hex));
}

/// Every strict prefix of a valid encoding must fail cleanly.
template <class M>
void check_every_truncation_fails(const std::vector<std::uint8_t>& encoded, std::int16_t version) {
  for (std::size_t n = 0; n < encoded.size(); ++n) {
    CAPTURE(version);
    CAPTURE(n);
    M m;
    std::error_code ec = decode_message(std::span(encoded.data(), n), version, m);
    CHECK((ec == client_errc::truncated || ec == client_errc::length_exceeds_input || ec == client_errc::malformed));
  }
}

/// A request/response codec pair agrees with itself and with kwire's API
/// table (protocol/src/api.cpp) on the version range and flexible versions.
template <class Request, class Response>
void check_traits() {
  static_assert(Request::api_key == Response::api_key);
  const ApiSupport* s = find_support(Request::api_key);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::min_version == Request::min_version);
  CHECK(Response::max_version == Request::max_version);
  CHECK(Response::first_flexible_version == Request::first_flexible_version);
}

/// Round trips `sample_request(v)`, `sample_response(v)` and the defaults at
/// every version of the pair.
template <class Request, class Response, class MakeRequest, class MakeResponse>
void check_round_trips(MakeRequest sample_request, MakeResponse sample_response) {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
  }
}

/// Every strict prefix of the samples' encodings fails, at every version.
template <class Request, class Response, class MakeRequest, class MakeResponse>
void check_truncations(MakeRequest sample_request, MakeResponse sample_response) {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

/// Encoding `m` at `version` is refused (a field the version lacks holds a
/// non-default value) and leaves the buffer as it was.
template <class M>
void check_refused(const M& m, std::int16_t version) {
  CAPTURE(version);
  std::vector<std::uint8_t> out{0x99};
  CHECK(encode_message(m, version, out) == client_errc::field_not_in_version);
  CHECK(out == std::vector<std::uint8_t>{0x99});
}

}  // namespace kwire::protocol::testing
