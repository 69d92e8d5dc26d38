// CRC-32 (IEEE) for librdkafka's `consistent` / `consistent_random`
// partitioners (rd_crc32 is zlib's CRC-32). A small table implementation so
// the producer does not need zlib, which only the compression module links.
#include <array>

#include "kwire/producer/partitioner.hpp"

namespace kwire::producer {

namespace {

constexpr std::array<std::uint32_t, 256> make_table() noexcept {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    table[i] = c;
  }
  return table;
}

constexpr auto table = make_table();

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> data) noexcept {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::uint8_t byte : data) crc = table[(crc ^ byte) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::int32_t crc32_partition(std::span<const std::uint8_t> key,
                             std::int32_t partition_count) noexcept {
  // librdkafka: `rd_crc32(key, keylen) % partition_cnt` in unsigned arithmetic.
  return static_cast<std::int32_t>(crc32(key) % static_cast<std::uint32_t>(partition_count));
}

}  // namespace kwire::producer
