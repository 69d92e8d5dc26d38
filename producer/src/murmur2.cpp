// Kafka's murmur2: the hash behind the Java client's key -> partition mapping
// (Utils.murmur2, BuiltInPartitioner.partitionForKey). Same bits as Java, so
// the same key lands on the same partition whichever client produced it.
#include "kwire/producer/partitioner.hpp"

namespace kwire::producer {

std::int32_t murmur2(std::span<const std::uint8_t> data) noexcept {
  // Java computes in signed 32-bit ints with wrap-around and `>>>`; unsigned
  // arithmetic gives the same bits without signed overflow.
  constexpr std::uint32_t seed = 0x9747b28c;
  constexpr std::uint32_t m = 0x5bd1e995;
  constexpr int r = 24;

  const std::size_t length = data.size();
  // Java's `seed ^ length` uses an int length; keys are far below 2^31.
  std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);

  const std::size_t blocks = length / 4;
  for (std::size_t i = 0; i < blocks; ++i) {
    const std::uint8_t* p = data.data() + i * 4;
    std::uint32_t k = std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) |
                      (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }

  const std::uint8_t* tail = data.data() + blocks * 4;
  switch (length % 4) {
    case 3: h ^= std::uint32_t{tail[2]} << 16; [[fallthrough]];
    case 2: h ^= std::uint32_t{tail[1]} << 8; [[fallthrough]];
    case 1:
      h ^= std::uint32_t{tail[0]};
      h *= m;
      break;
    default: break;
  }

  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);  // two's complement, as Java's int
}

std::int32_t murmur2_partition(std::span<const std::uint8_t> key,
                               std::int32_t partition_count) noexcept {
  return to_positive(murmur2(key)) % partition_count;
}

}  // namespace kwire::producer
