#pragma once
// Checks every codec test repeats: encode at a version, round trip, and
// "every strict prefix of a valid encoding fails cleanly".
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/message.hpp"

namespace kwire::protocol::testing {

inline std::vector<std::uint8_t> bytes(std::initializer_list<int> values) {
  std::vector<std::uint8_t> out;
  out.reserve(values.size());
  for (int b : values) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

/// Bytes from hex digits, as tests/golden/kafka-golden prints them.
inline std::vector<std::uint8_t> from_hex(std::string_view hex) {
  const auto digit = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  REQUIRE(hex.size() % 2 == 0);
  std::vector<std::uint8_t> out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(digit(hex[i]) * 16 + digit(hex[i + 1])));
  return out;
}

/// Kafka's bytes (a golden vector) decode to `expected`, and `expected`
/// encodes to exactly those bytes.
template <class M>
void check_golden(const M& expected, std::int16_t version, std::string_view hex) {
  CAPTURE(version);
  const auto golden = from_hex(hex);
  M decoded;
  REQUIRE_FALSE(decode_message(golden, version, decoded));
  CHECK(decoded == expected);
  std::vector<std::uint8_t> out;
  REQUIRE_FALSE(encode_message(expected, version, out));
  CHECK(out == golden);
}

/// encode refuses `m` at `version` with field_not_in_version and writes nothing.
template <class M>
void check_refused(const M& m, std::int16_t version) {
  CAPTURE(version);
  std::vector<std::uint8_t> out{0x99};
  CHECK(encode_message(m, version, out) == client_errc::field_not_in_version);
  CHECK(out.size() == 1);
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

}  // namespace kwire::protocol::testing
