// Portable CRC-32C (slicing-by-8) and the run-time choice of implementation.
// The SSE4.2 implementation lives in crc32c_sse42.cpp so that only its
// functions carry the target attribute.
#include <array>
#include <cstddef>
#include <cstdint>

#include "kwire/protocol/crc32c.hpp"

namespace kwire::protocol {
namespace {

// Slicing-by-8: kTables[0] is the classic byte-at-a-time table (the register
// after one byte); kTables[k][i] is byte i followed by k zero bytes, so eight
// input bytes are folded with eight independent lookups instead of eight
// dependent ones.
using SliceTables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr SliceTables make_slice_tables() {
  SliceTables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t reg = i;
    for (int bit = 0; bit < 8; ++bit) reg = (reg & 1u) ? (reg >> 1) ^ detail::kCrc32cPolyReflected : reg >> 1;
    t[0][i] = reg;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xffu];
  return t;
}

constexpr SliceTables kTables = make_slice_tables();

inline std::uint32_t load_le32(const std::uint8_t* p) noexcept {
  // Byte assembly keeps this endian-independent and alignment-free; compilers
  // turn it into one load on little-endian machines.
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

std::uint32_t portable_raw(std::uint32_t reg, const std::uint8_t* p, std::size_t n) noexcept {
  while (n >= 8) {
    const std::uint32_t lo = reg ^ load_le32(p);
    const std::uint32_t hi = load_le32(p + 4);
    reg = kTables[7][lo & 0xffu] ^ kTables[6][(lo >> 8) & 0xffu] ^ kTables[5][(lo >> 16) & 0xffu] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xffu] ^ kTables[2][(hi >> 8) & 0xffu] ^
          kTables[1][(hi >> 16) & 0xffu] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n != 0) {
    reg = (reg >> 8) ^ kTables[0][(reg ^ *p) & 0xffu];
    ++p;
    --n;
  }
  return reg;
}

// kShiftTable[k] = x^(8 * 2^k) mod P: a shift over 2^k zero bytes.
constexpr std::array<std::uint32_t, 64> make_shift_table() {
  std::array<std::uint32_t, 64> t{};
  t[0] = 0x00800000u;  // x^8
  for (std::size_t k = 1; k < t.size(); ++k) t[k] = detail::crc32c_multiply(t[k - 1], t[k - 1]);
  return t;
}

constexpr std::array<std::uint32_t, 64> kShiftTable = make_shift_table();

detail::Crc32cFunction choose_implementation() noexcept {
  detail::Crc32cFunction hardware = detail::crc32c_hardware_function();
  return hardware != nullptr ? hardware : &crc32c_portable;
}

}  // namespace

std::uint32_t crc32c_portable(std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
  // The register starts from (and the result is) the bitwise complement, as
  // the standard CRC-32C definition requires; that makes chaining work.
  return ~portable_raw(~crc, data.data(), data.size());
}

std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
  // Chosen once (thread-safe static initialisation); afterwards one indirect
  // call per buffer.
  static const detail::Crc32cFunction implementation = choose_implementation();
  return implementation(data, crc);
}

std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b) noexcept {
  // With CRC-32C's conditioning (initial ~0, final xor ~0) the two
  // conditionings cancel: crc(A ++ B) = crc(A) * x^(8|B|) + crc(B) mod P.
  std::uint32_t shifted = crc_a;
  for (std::size_t k = 0; length_b != 0; ++k, length_b >>= 1)
    if (length_b & 1u) shifted = detail::crc32c_multiply(kShiftTable[k], shifted);
  return shifted ^ crc_b;
}

}  // namespace kwire::protocol
