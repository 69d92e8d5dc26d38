// CRC-32C with the SSE4.2 `crc32` instruction (x86-64 only).
//
// Only the functions marked `target("sse4.2")` use the instruction, so the
// library still runs on CPUs without it: crc32c() asks
// crc32c_hardware_function() once and falls back to slicing-by-8.
//
// Speed: `crc32 r64, m64` has a latency of 3 cycles and a throughput of one
// per cycle, so a single dependency chain runs at a third of the possible
// rate. Large buffers are therefore cut into three equal streams whose CRCs
// are computed in the same loop and joined afterwards:
//   crc(A ++ B ++ C) = shift(shift(crc(A), |B|) ^ crc(B), |C|) ^ crc(C)
// on raw registers, with B and C started from 0. The shift by a fixed length
// is a linear map, applied with four 256-entry tables built at compile time.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kwire/protocol/crc32c.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KWIRE_CRC32C_HAVE_SSE42 1
#include <nmmintrin.h>
#endif

namespace kwire::protocol {

#if defined(KWIRE_CRC32C_HAVE_SSE42)
namespace {

// Bytes per stream. A record batch is typically batch.size (16 KiB) or less,
// so the long tier (3 x 4 KiB) handles its bulk and the short tier
// (3 x 256 B) most of the rest; each join costs a few table lookups.
constexpr std::size_t kLongStream = 4096;
constexpr std::size_t kShortStream = 256;

// shift(reg) = t[0][byte0] ^ t[1][byte1] ^ t[2][byte2] ^ t[3][byte3], where
// t[k][b] is (b << 8k) shifted by the stream length: the shift is linear.
using ShiftTable = std::array<std::array<std::uint32_t, 256>, 4>;

constexpr ShiftTable make_shift_table(std::size_t zero_bytes) {
  ShiftTable t{};
  const std::uint32_t factor = detail::crc32c_x_pow_8n(zero_bytes);
  for (std::uint32_t k = 0; k < 4; ++k)
    for (std::uint32_t b = 0; b < 256; ++b) t[k][b] = detail::crc32c_multiply(factor, b << (8 * k));
  return t;
}

constexpr ShiftTable kLongShift = make_shift_table(kLongStream);
constexpr ShiftTable kShortShift = make_shift_table(kShortStream);

inline std::uint32_t apply_shift(const ShiftTable& t, std::uint64_t reg) noexcept {
  return t[0][reg & 0xffu] ^ t[1][(reg >> 8) & 0xffu] ^ t[2][(reg >> 16) & 0xffu] ^ t[3][(reg >> 24) & 0xffu];
}

inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);  // x86 is little-endian, as crc32 expects
  return v;
}

// Three interleaved streams of `stream` bytes each; `p` advances by 3 * stream.
__attribute__((target("sse4.2"))) inline std::uint64_t three_streams(std::uint64_t c0, const std::uint8_t*& p,
                                                                     std::size_t stream,
                                                                     const ShiftTable& shift) noexcept {
  std::uint64_t c1 = 0;
  std::uint64_t c2 = 0;
  const std::uint8_t* end = p + stream;
  do {
    c0 = _mm_crc32_u64(c0, load64(p));
    c1 = _mm_crc32_u64(c1, load64(p + stream));
    c2 = _mm_crc32_u64(c2, load64(p + 2 * stream));
    p += 8;
  } while (p < end);
  c0 = apply_shift(shift, c0) ^ c1;
  c0 = apply_shift(shift, c0) ^ c2;
  p += 2 * stream;
  return c0;
}

__attribute__((target("sse4.2"))) std::uint32_t sse42_raw(std::uint32_t reg, const std::uint8_t* p,
                                                          std::size_t n) noexcept {
  std::uint64_t c = reg;
  // Align to 8 so the word loads below never straddle a cache line needlessly.
  while (n != 0 && (reinterpret_cast<std::uintptr_t>(p) & 7u) != 0) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --n;
  }
  while (n >= 3 * kLongStream) {
    c = three_streams(c, p, kLongStream, kLongShift);
    n -= 3 * kLongStream;
  }
  while (n >= 3 * kShortStream) {
    c = three_streams(c, p, kShortStream, kShortShift);
    n -= 3 * kShortStream;
  }
  while (n >= 8) {
    c = _mm_crc32_u64(c, load64(p));
    p += 8;
    n -= 8;
  }
  while (n != 0) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --n;
  }
  return static_cast<std::uint32_t>(c);
}

std::uint32_t sse42_crc(std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
  return ~sse42_raw(~crc, data.data(), data.size());
}

bool cpu_has_sse42() noexcept {
  __builtin_cpu_init();  // safe even if called before static constructors ran
  return __builtin_cpu_supports("sse4.2") != 0;
}

}  // namespace

bool crc32c_hardware_available() noexcept {
  static const bool available = cpu_has_sse42();
  return available;
}

std::uint32_t crc32c_hardware(std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
  return crc32c_hardware_available() ? sse42_crc(data, crc) : crc32c_portable(data, crc);
}

detail::Crc32cFunction detail::crc32c_hardware_function() noexcept {
  return crc32c_hardware_available() ? &sse42_crc : nullptr;
}

#else  // no SSE4.2 on this target: the portable implementation stands in

bool crc32c_hardware_available() noexcept { return false; }

std::uint32_t crc32c_hardware(std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
  return crc32c_portable(data, crc);
}

detail::Crc32cFunction detail::crc32c_hardware_function() noexcept { return nullptr; }

#endif

}  // namespace kwire::protocol
