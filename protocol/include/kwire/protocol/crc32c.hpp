#pragma once
// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the
// checksum of record batch v2 (KIP-98): it covers a batch from `attributes`
// to its end.
//
// Every record batch the producer seals and every batch a decoder checks goes
// through here, so it is a hot path. crc32c() picks the fastest
// implementation once, at its first call, and caches it:
//   - x86-64 with SSE4.2: the `crc32` instruction, 8 bytes a step, over three
//     interleaved streams for large buffers (the instruction has a latency of
//     3 cycles but a throughput of 1, so three independent chains keep it
//     busy); the three partial CRCs are joined with precomputed "shift by N
//     zero bytes" tables.
//   - elsewhere: a portable slicing-by-8 table implementation.
//
// All functions are chainable in the usual way: crc32c(b, crc32c(a)) ==
// crc32c(a ++ b). The `crc` argument is the previous *result* (0 to start).
// Every function is thread-safe and never allocates.
#include <cstddef>
#include <cstdint>
#include <span>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// CRC-32C of `data`, continuing from `crc` (the result of a previous call,
/// or 0 to start). Uses the hardware instruction when the CPU has it.
std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc = 0) noexcept;

/// The portable slicing-by-8 implementation (always available).
std::uint32_t crc32c_portable(std::span<const std::uint8_t> data, std::uint32_t crc = 0) noexcept;

/// The SSE4.2 implementation. When crc32c_hardware_available() is false it
/// falls back to crc32c_portable(), so calling it is always safe.
std::uint32_t crc32c_hardware(std::span<const std::uint8_t> data, std::uint32_t crc = 0) noexcept;

/// True when this CPU (and build) can run the hardware implementation.
bool crc32c_hardware_available() noexcept;

/// The CRC-32C of A ++ B from crc(A), crc(B) and B's length, without the
/// bytes (zlib's crc32_combine): crc(A) shifted over |B| zero bytes, xor
/// crc(B). One multiplication per set bit of `length_b`, from a table: well
/// under a microsecond. Lets a record batch's CRC be finished from a CRC of
/// its records computed earlier, on another thread, once the header is known.
std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b) noexcept;

namespace detail {
// GF(2) polynomial arithmetic modulo the Castagnoli polynomial, in the
// reflected bit order CRC registers use (bit 31 is the coefficient of x^0).
// Processing one zero bit multiplies a raw CRC register by x, so processing
// n zero bytes multiplies it by x^(8n); CRCs of adjacent buffers computed
// independently are joined with that shift (crc(A ++ B) from crc(A), crc(B)).
inline constexpr std::uint32_t kCrc32cPolyReflected = 0x82F63B78u;

/// a * b mod P.
constexpr std::uint32_t crc32c_multiply(std::uint32_t a, std::uint32_t b) noexcept {
  std::uint32_t product = 0;
  for (int i = 0; i < 32; ++i) {
    if (a & 0x80000000u) product ^= b;
    a <<= 1;
    b = (b & 1u) ? (b >> 1) ^ kCrc32cPolyReflected : b >> 1;
  }
  return product;
}

/// x^(8 * n) mod P, by square-and-multiply.
constexpr std::uint32_t crc32c_x_pow_8n(std::uint64_t n) noexcept {
  std::uint32_t result = 0x80000000u;  // x^0
  std::uint32_t square = 0x00800000u;  // x^8
  while (n != 0) {
    if (n & 1u) result = crc32c_multiply(result, square);
    square = crc32c_multiply(square, square);
    n >>= 1;
  }
  return result;
}

/// A raw (non-inverted) CRC register after `zero_bytes` zero bytes.
constexpr std::uint32_t crc32c_shift(std::uint32_t reg, std::uint64_t zero_bytes) noexcept {
  return crc32c_multiply(crc32c_x_pow_8n(zero_bytes), reg);
}

/// The signature of an implementation taking and returning finished CRCs.
using Crc32cFunction = std::uint32_t (*)(std::span<const std::uint8_t>, std::uint32_t) noexcept;

/// The hardware implementation without its availability check, or nullptr
/// when this CPU/build lacks it. crc32c() caches this choice.
Crc32cFunction crc32c_hardware_function() noexcept;
}  // namespace detail

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
