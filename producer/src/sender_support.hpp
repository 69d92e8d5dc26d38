#pragma once
// Small helpers the Sender's source files share (sender.cpp,
// sender_metadata.cpp); not part of the public API.
#include <chrono>
#include <cstdint>

#include "kwire/producer/sender.hpp"

namespace kwire::producer::detail {

/// a + b, saturating at kNoDeadline (deadlines are "now + wait").
inline std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  if (b > 0 && a > kNoDeadline - b) return kNoDeadline;
  return a + b;
}

/// Round trips are measured on the real steady clock in microseconds (the
/// injected ms clock is too coarse for a local broker); statistics only.
inline std::int64_t monotonic_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace kwire::producer::detail
