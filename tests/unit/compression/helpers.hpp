#pragma once
// Shared fixtures for the compression tests.
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/compression/codec.hpp"

namespace kwire::compression::test {

using Buffer = std::vector<std::uint8_t>;

inline constexpr Codec kAllCodecs[] = {Codec::none, Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd};
inline constexpr Codec kRealCodecs[] = {Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd};

inline Buffer bytes_of(std::string_view s) { return Buffer(s.begin(), s.end()); }

inline std::string text_of(std::span<const std::uint8_t> b) { return std::string(b.begin(), b.end()); }

/// Deterministic incompressible bytes.
inline Buffer random_bytes(std::size_t n, std::uint32_t seed = 42) {
  std::mt19937 rng(seed);
  Buffer out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng() >> 24);
  return out;
}

/// Record-like, well compressible bytes (repeating text with a counter).
inline Buffer compressible_bytes(std::size_t n) {
  Buffer out;
  out.reserve(n + 64);
  for (std::size_t i = 0; out.size() < n; ++i) {
    const std::string line = "key-" + std::to_string(i % 97) + " value: hello kafka, record " + std::to_string(i) + "\n";
    out.insert(out.end(), line.begin(), line.end());
  }
  out.resize(n);
  return out;
}

/// 100 MiB of zeros, made once: the payload of the decompression bombs.
inline const Buffer& hundred_mib_of_zeros() {
  static const Buffer zeros(100u << 20, 0);
  return zeros;
}

}  // namespace kwire::compression::test
