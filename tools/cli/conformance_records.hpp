#pragma once
// The known record set `kwire conformance` produces and reads back, header
// only so an independent checker (tests/integration/conformance_test.cpp,
// which reads the same offsets with kcat) can rebuild it from the label the
// JSON report gives for each cell.
//
// It covers what brokers and proxies get wrong: keyed and null-keyed
// records, an empty key, empty vs null values (a tombstone), headers with
// empty, null and repeated keys, every byte value, and a large, compressible
// value that spans several compression blocks.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kwire::conformance {

struct TestHeader {
  std::string key;
  std::optional<std::string> value;  ///< nullopt: a null header value
};

struct TestRecord {
  std::optional<std::string> key;    ///< nullopt: null key
  std::optional<std::string> value;  ///< nullopt: null value (tombstone)
  std::vector<TestHeader> headers;
};

/// Size of the large value: well above one 64 KiB lz4 block and the
/// producer's default batch.size, well below the broker's default
/// max.message.bytes (1 MiB).
inline constexpr std::size_t kLargeValueSize = 300 * 1024;

/// The record set for one cell; `label` (e.g. "zstd acks=all") goes into
/// the first value so each cell's records are told apart.
inline std::vector<TestRecord> known_record_set(std::string_view label) {
  std::vector<TestRecord> records;
  records.push_back({"key-1", "kwire conformance " + std::string(label), {}});
  records.push_back({std::nullopt, "a record with a null key", {}});
  records.push_back({"", "a record with an empty key", {}});
  records.push_back({"empty-value", "", {}});
  records.push_back({"tombstone", std::nullopt, {}});
  records.push_back({"headers",
                     "a record with headers",
                     {{"h1", "first"}, {"empty", ""}, {"null", std::nullopt}, {"h1", "repeated key"}}});
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  // Header values stay free of ',', '=' and '\n' so kcat's %h output can be
  // parsed by the independent check.
  records.push_back({every_byte, every_byte, {{"binary", std::string("\x01\x7f\x80\xfe\xff", 5)}}});
  std::string large;
  large.reserve(kLargeValueSize);
  for (std::uint32_t i = 0; large.size() < kLargeValueSize; ++i) {
    // Compressible but not trivially so: a counter and a scrambled word.
    std::uint32_t x = i * 2654435761u;
    large += "line " + std::to_string(i) + " " + std::to_string(x % 100000) + "\n";
  }
  large.resize(kLargeValueSize);
  records.push_back({"large", large, {}});
  return records;
}

}  // namespace kwire::conformance
