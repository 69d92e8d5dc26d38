// FNV-1a as librdkafka's rd_fnv1a(), which reproduces Sarama's (Go) default
// NewHashPartitioner: 32-bit FNV-1a, then the absolute value of the result
// taken as int32 (INT32_MIN stays 0x80000000, as the wrap-around gives).
#include "kwire/producer/partitioner.hpp"

namespace kwire::producer {

std::uint32_t fnv1a(std::span<const std::uint8_t> data) noexcept {
  constexpr std::uint32_t prime = 0x01000193;   // 16777619
  constexpr std::uint32_t offset = 0x811C9DC5;  // 2166136261
  std::uint32_t h = offset;
  for (std::uint8_t byte : data) {
    h ^= byte;
    h *= prime;
  }
  if (h & 0x80000000u) h = 0u - h;  // -h on the int32 view, without overflow
  return h;
}

std::int32_t fnv1a_partition(std::span<const std::uint8_t> key,
                             std::int32_t partition_count) noexcept {
  return static_cast<std::int32_t>(fnv1a(key) % static_cast<std::uint32_t>(partition_count));
}

}  // namespace kwire::producer
