#pragma once
// Shared by the libFuzzer targets in this folder: a check that aborts (so
// libFuzzer saves the input as a crash), and how a target reads the version
// it decodes at from its input.
//
// Input convention for every versioned target: the first byte chooses the
// version (min + byte % number of versions), the rest is the message body.
// So `printf '\x03' ; cat body` is a v3 seed for a codec whose minimum is 0,
// and a fuzzer mutating the first byte walks all versions.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>

/// Aborts with a message when `cond` is false. Unlike assert() it is never
/// compiled out, and it names the property that failed.
#define KWIRE_FUZZ_CHECK(cond, what)                                                                  \
  do {                                                                                                \
    if (!(cond)) {                                                                                    \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n  (%s)\n", __FILE__, __LINE__, what, #cond); \
      std::abort();                                                                                   \
    }                                                                                                 \
  } while (0)

namespace kwire::fuzz {

struct VersionedInput {
  std::int16_t version;
  std::span<const std::uint8_t> body;
};

/// Splits the input into (version, body); nullopt for an empty input.
inline std::optional<VersionedInput> split_version(const std::uint8_t* data, std::size_t size, std::int16_t min_version,
                                                   std::int16_t max_version) {
  if (size == 0) return std::nullopt;
  const int span = max_version - min_version + 1;
  const auto version = static_cast<std::int16_t>(min_version + data[0] % span);
  return VersionedInput{version, std::span<const std::uint8_t>(data + 1, size - 1)};
}

}  // namespace kwire::fuzz
