// compress() then decompress() gives the input back, for every codec and a
// spread of levels; and the streams have the shape Kafka brokers require.
//
// Input: byte 0 chooses the codec (0 none .. 4 zstd), byte 1 the level
// (0: the codec's default; else a level in the codec's range), then the data.
//
// Checked: compression succeeds for any data and valid level; decompressing
// with a limit of exactly the data's size gives the data back, one byte less
// is output_limit_exceeded; gzip output is a gzip member (RFC 1952 magic),
// lz4 output is one frame with the descriptor the Java client writes
// (FLG 0x60: independent blocks, no checksums; BD 0x40: 64 KiB blocks),
// zstd output is a zstd frame.
#include <algorithm>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/compression/compressor.hpp"
#include "kwire/compression/decompressor.hpp"

using namespace kwire::compression;

namespace {

int choose_level(Codec codec, std::uint8_t byte) {
  if (byte == 0) return kDefaultLevel;
  switch (codec) {
    case Codec::gzip: return byte % 10 == 0 ? -1 : byte % 10;  // -1 (zlib default) or 1..9
    case Codec::lz4: return 1 + byte % 17;                      // 1..17
    case Codec::zstd: return -5 + byte % 25;                    // -5..19 (20-22 are too slow to fuzz)
    default: return kDefaultLevel;                              // none and snappy have no levels
  }
}

bool starts_with(const std::vector<std::uint8_t>& v, std::initializer_list<std::uint8_t> prefix) {
  return v.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), v.begin());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto codec = static_cast<Codec>(data[0] % 5);
  const int level = choose_level(codec, data[1]);
  const std::span<const std::uint8_t> in(data + 2, size - 2);

  static Compressor compressor;
  static Decompressor decompressor;
  std::vector<std::uint8_t> compressed;
  KWIRE_FUZZ_CHECK(!compressor.compress(codec, in, compressed, level), "compress failed");
  switch (codec) {
    case Codec::gzip: KWIRE_FUZZ_CHECK(starts_with(compressed, {0x1f, 0x8b, 0x08}), "not a gzip member"); break;
    case Codec::lz4:
      KWIRE_FUZZ_CHECK(starts_with(compressed, {0x04, 0x22, 0x4d, 0x18, 0x60, 0x40}),
                       "not an lz4 frame with the Java client's descriptor");
      break;
    case Codec::zstd: KWIRE_FUZZ_CHECK(starts_with(compressed, {0x28, 0xb5, 0x2f, 0xfd}), "not a zstd frame"); break;
    default: break;
  }

  std::vector<std::uint8_t> out;
  KWIRE_FUZZ_CHECK(!decompressor.decompress(codec, compressed, out, in.size()), "decompress failed");
  KWIRE_FUZZ_CHECK(std::equal(out.begin(), out.end(), in.begin(), in.end()), "round trip changed the data");
  if (!in.empty()) {
    out.clear();
    KWIRE_FUZZ_CHECK(decompressor.decompress(codec, compressed, out, in.size() - 1) == errc::output_limit_exceeded,
                     "one byte under the data's size must be refused");
  }
  return 0;
}
