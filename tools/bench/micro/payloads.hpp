#pragma once
// Realistic benchmark inputs: JSON-ish event records (a fixed schema with
// varying ids, timestamps, names and numbers), the kind of values Kafka
// topics mostly carry. Deterministic (fixed seed), so runs compare.
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <kwire/protocol/record_batch.hpp>

namespace kwire::bench {

/// One event of about `size` bytes (padded or cut to exactly `size`).
inline std::string json_event(std::mt19937_64& rng, std::size_t size) {
  static constexpr const char* kNames[] = {"checkout", "page_view", "add_to_cart", "login", "search", "logout"};
  static constexpr const char* kCountries[] = {"DE", "FR", "US", "BR", "JP", "IN", "GB", "NL"};
  std::uniform_int_distribution<std::uint64_t> id(1, 99'999'999);
  std::uniform_int_distribution<int> pick(0, 5), country(0, 7), cents(0, 99'999);
  std::string s = "{\"event\":\"" + std::string(kNames[pick(rng)]) + "\",\"user_id\":" + std::to_string(id(rng)) +
                  ",\"session\":\"" + std::to_string(id(rng)) + "-" + std::to_string(id(rng)) +
                  "\",\"ts\":" + std::to_string(1'700'000'000'000ULL + id(rng)) + ",\"country\":\"" +
                  kCountries[country(rng)] + "\",\"amount_cents\":" + std::to_string(cents(rng)) +
                  ",\"tags\":[\"web\",\"v2\"],\"note\":\"";
  // Free text from a small vocabulary, as log messages and descriptions are:
  // compressible, but not one string repeated.
  static constexpr const char* kWords[] = {"the", "order", "was", "shipped", "to", "customer", "after",
                                           "payment", "confirmed", "by", "gateway", "retry", "timeout",
                                           "warehouse", "item", "returned", "session", "expired", "user",
                                           "clicked", "banner", "on", "mobile", "desktop", "cart", "empty"};
  while (s.size() + 2 < size) {
    s += kWords[rng() % (sizeof kWords / sizeof kWords[0])];
    s += ' ';
  }
  s += "\"}";
  s.resize(size, ' ');
  return s;
}

/// The records section (the part a codec compresses) of a batch of
/// `record_size`-byte events filling about `batch_bytes`.
inline std::vector<std::uint8_t> records_section(std::size_t batch_bytes, std::size_t record_size) {
  std::mt19937_64 rng(7);
  protocol::RecordBatchBuilder builder(1'700'000'000'000, batch_bytes);
  std::string value;
  while (true) {
    value = json_event(rng, record_size);
    const std::span<const std::uint8_t> v(reinterpret_cast<const std::uint8_t*>(value.data()), value.size());
    if (!builder.has_room_for(builder.next_record_size(1'700'000'000'000, std::nullopt, v, {}), batch_bytes)) break;
    builder.append(1'700'000'000'000, std::nullopt, v);
  }
  const auto bytes = builder.seal();
  return {bytes.begin() + static_cast<std::ptrdiff_t>(protocol::kRecordBatchHeaderSize), bytes.end()};
}

}  // namespace kwire::bench
