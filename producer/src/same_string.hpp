#pragma once
// same_string(a, b): string equality for the per-record topic checks of
// Producer::send's thread-local caches (topic registry, sticky partitioner,
// accumulator queue), which compare the record's topic with the cached one
// four times per record. Topic names are short (Kafka allows 249 bytes;
// most are under 32): comparing them with two overlapping 8-byte loads
// costs a few instructions, where the call into libc's memcmp cost ~6% of
// the sending thread's CPU per 100-byte record (issue 8, perf profile).
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kwire::producer::detail {

inline bool same_string(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8 && n <= 16) {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, p, 8);
    std::memcpy(&b0, q, 8);
    std::memcpy(&a1, p + n - 8, 8);
    std::memcpy(&b1, q + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (p[i] != q[i]) return false;
    return true;
  }
  return std::memcmp(p, q, n) == 0;
}

}  // namespace kwire::producer::detail
