// compression::Decompressor, every codec, under an output limit.
//
// Input: byte 0 chooses the codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd,
// 5 an invalid codec value), byte 1 the output limit (from a table, mostly
// 1 MiB), then the compressed bytes.
//
// Checked (decompressor.hpp's contract):
//  - errors are corrupt_input / output_limit_exceeded (unsupported_codec
//    exactly for the invalid codec); never library_error on any input;
//  - the output never exceeds the limit, and the vector's capacity never
//    grows past (size on entry + limit);
//  - what `out` held before is kept; on error its size is restored;
//  - a long-lived Decompressor (contexts reset between calls, including
//    after failures) gives exactly what a fresh one-off decompress() gives;
//  - the limit is exact: output that fit in L fits in exactly its own size,
//    and fails with output_limit_exceeded one byte below it.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/compression/decompressor.hpp"

using namespace kwire::compression;

namespace {

constexpr std::size_t kLimits[] = {std::size_t{1} << 20, 0, 1, 64, 4096, 65536, std::size_t{1} << 20,
                                   std::size_t{1} << 20};
constexpr std::uint8_t kPrefix[] = {'k', 'w', 'i', 'r', 'e'};

struct Result {
  std::error_code ec;
  std::vector<std::uint8_t> out;
};

Result run(Decompressor& d, Codec codec, std::span<const std::uint8_t> in, std::size_t limit) {
  Result r;
  r.out.assign(std::begin(kPrefix), std::end(kPrefix));
  const std::size_t capacity_before = r.out.capacity();
  r.ec = d.decompress(codec, in, r.out, limit);
  KWIRE_FUZZ_CHECK(r.out.size() >= sizeof kPrefix && std::memcmp(r.out.data(), kPrefix, sizeof kPrefix) == 0,
                   "what `out` held before was changed");
  KWIRE_FUZZ_CHECK(r.out.size() - sizeof kPrefix <= limit, "output exceeds the limit");
  KWIRE_FUZZ_CHECK(r.out.capacity() <= std::max(capacity_before, sizeof kPrefix + limit),
                   "capacity grew past the limit");
  if (r.ec) KWIRE_FUZZ_CHECK(r.out.size() == sizeof kPrefix, "a failed decompress left output behind");
  r.out.erase(r.out.begin(), r.out.begin() + sizeof kPrefix);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // The last input before this one that used the same codec (so the same
  // reused context), to report a difference that depends on it.
  static std::vector<std::uint8_t> previous_by_codec[6];
  struct Remember {
    std::vector<std::uint8_t>& slot;
    const std::uint8_t* data;
    std::size_t size;
    ~Remember() { slot.assign(data, data + size); }
  } remember{previous_by_codec[data[0] % 6], data, size};
  const std::vector<std::uint8_t>& previous = previous_by_codec[data[0] % 6];
  const int choice = data[0] % 6;
  const Codec codec = choice == 5 ? static_cast<Codec>(5 + data[0] % 3) : static_cast<Codec>(choice);
  const std::size_t limit = kLimits[data[1] % std::size(kLimits)];
  const std::span<const std::uint8_t> in(data + 2, size - 2);

  static Decompressor reused;
  const Result r = run(reused, codec, in, limit);
  if (choice == 5) {
    KWIRE_FUZZ_CHECK(r.ec == errc::unsupported_codec, "an invalid codec must be unsupported_codec");
    return 0;
  }
  KWIRE_FUZZ_CHECK(!r.ec || r.ec == errc::corrupt_input || r.ec == errc::output_limit_exceeded,
                   "unexpected error kind (library_error on input bytes?)");
  if (codec == Codec::none) {
    KWIRE_FUZZ_CHECK(r.ec ? in.size() > limit : std::equal(in.begin(), in.end(), r.out.begin(), r.out.end()),
                     "codec none must copy the input");
  }

  Decompressor fresh;
  const Result f = run(fresh, codec, in, limit);
  if (f.ec != r.ec || f.out != r.out) {
    // The reused context carries state from the codec's previous input:
    // print it, so the pair can be replayed (`decompress previous crash`).
    std::fprintf(stderr, "reused: %s, %zu bytes; fresh: %s, %zu bytes\nprevious input (%zu bytes):",
                 r.ec.message().c_str(), r.out.size(), f.ec.message().c_str(), f.out.size(), previous.size());
    for (std::uint8_t b : previous) std::fprintf(stderr, "\\x%02x", b);
    std::fprintf(stderr, "\n");
  }
  KWIRE_FUZZ_CHECK(f.ec == r.ec && f.out == r.out, "a reused Decompressor differs from a fresh one");

  if (!r.ec) {
    const Result exact = run(reused, codec, in, r.out.size());
    KWIRE_FUZZ_CHECK(!exact.ec && exact.out == r.out, "output that fit does not fit in exactly its own size");
    if (!r.out.empty()) {
      const Result under = run(reused, codec, in, r.out.size() - 1);
      KWIRE_FUZZ_CHECK(under.ec == errc::output_limit_exceeded, "one byte under the output size must be refused");
    }
  }
  return 0;
}
