#pragma once
// Small value types shared by the codecs.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// Kafka's UUID (topic ids, KIP-516): 16 raw bytes, all zero meaning "none".
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  bool is_zero() const noexcept {
    for (auto b : bytes)
      if (b != 0) return false;
    return true;
  }
  friend bool operator==(const Uuid&, const Uuid&) = default;
  /// Kafka's textual form: URL-safe base64 without padding (22 characters).
  std::string to_base64() const;
};

/// A tagged field (KIP-482) the codec does not know, kept so it can be
/// written back unchanged.
struct RawTaggedField {
  std::uint32_t tag = 0;
  std::vector<std::uint8_t> data;
  friend bool operator==(const RawTaggedField&, const RawTaggedField&) = default;
};
using TaggedFields = std::vector<RawTaggedField>;

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
