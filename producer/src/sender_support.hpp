#pragma once
// Small helpers the Sender's source files share (sender.cpp,
// sender_metadata.cpp); not part of the public API.
#include <chrono>
#include <cstdint>

#include "kwire/producer/sender.hpp"

namespace kwire::producer::detail {

/// Round trips are measured on the real steady clock in microseconds (the
/// injected ms clock is too coarse for a local broker); statistics only.
inline std::int64_t monotonic_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace kwire::producer::detail
