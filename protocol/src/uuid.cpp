#include "kwire/protocol/types.hpp"

namespace kwire::protocol {

std::string Uuid::to_base64() const {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve(22);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  // 16 = 5*3 + 1: one byte left, two characters, no padding.
  std::uint32_t n = std::uint32_t{bytes[i]} << 16;
  out += alphabet[(n >> 18) & 63];
  out += alphabet[(n >> 12) & 63];
  return out;
}

}  // namespace kwire::protocol
