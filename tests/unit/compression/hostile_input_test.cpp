// Untrusted input: truncation and corruption at every byte offset,
// decompression bombs, and contexts that must recover after a failure.
#include <doctest/doctest.h>

#include <algorithm>

#include "helpers.hpp"
#include "kwire/compression/compressor.hpp"
#include "kwire/compression/decompressor.hpp"
#include "vectors.hpp"

using namespace kwire::compression;
using namespace kwire::compression::test;

namespace {

constexpr std::size_t kLimit = 1u << 20;

struct Vector {
  const char* name;
  Codec codec;
  Buffer bytes;
  std::string plain;
  bool checksummed;  // a corrupted stream either fails or still decodes to `plain`
};

std::vector<Vector> vectors() {
  std::vector<Vector> v;
  const auto add = [&](const char* name, Codec codec, std::span<const std::uint8_t> bytes, std::string plain,
                       bool checksummed) {
    v.push_back({name, codec, Buffer(bytes.begin(), bytes.end()), std::move(plain), checksummed});
  };
  add("gzip cli", Codec::gzip, kGzipCli, std::string(kText), true);
  add("lz4 cli", Codec::lz4, kLz4Cli, std::string(kText), true);
  add("lz4 cli checksummed", Codec::lz4, kLz4CliChecksummed, std::string(kText), true);
  add("zstd cli stream", Codec::zstd, kZstdCliStream, std::string(kText), true);
  add("zstd cli file", Codec::zstd, kZstdCliFile, std::string(kText), true);
  add("snappy raw", Codec::snappy, kSnappyAbc, "abcabcabcabc", false);

  // Our own output for each codec (lz4, zstd and snappy carry no checksum).
  const std::string text = "our own stream: " + std::string(kText) + " " + std::string(kText);
  for (Codec codec : kRealCodecs) {
    Buffer packed;
    REQUIRE_FALSE(compress(codec, bytes_of(text), packed));
    add("ours", codec, packed, text, codec == Codec::gzip);
  }
  return v;
}

}  // namespace

TEST_CASE("every truncation of a stream is corrupt input") {
  Decompressor decompressor;
  for (const Vector& v : vectors()) {
    for (std::size_t n = 0; n < v.bytes.size(); ++n) {
      CAPTURE(v.name);
      CAPTURE(codec_name(v.codec));
      CAPTURE(n);
      Buffer out = bytes_of("kept");
      CHECK(decompressor.decompress(v.codec, std::span(v.bytes).first(n), out, kLimit) == errc::corrupt_input);
      CHECK(text_of(out) == "kept");
    }
    // And the whole stream still decodes with the same (reset) context.
    Buffer out;
    REQUIRE_FALSE(decompressor.decompress(v.codec, v.bytes, out, kLimit));
    CHECK(text_of(out) == v.plain);
  }
}

TEST_CASE("xerial truncations: corrupt unless cut at a block boundary") {
  const std::string plain = "abcabcabcabchello";
  Decompressor decompressor;
  for (std::size_t n = 0; n < sizeof kXerial; ++n) {
    CAPTURE(n);
    Buffer out;
    const std::error_code ec = decompressor.decompress(Codec::snappy, std::span(kXerial).first(n), out, kLimit);
    if (std::find(std::begin(kXerialBlockEnds), std::end(kXerialBlockEnds), n) != std::end(kXerialBlockEnds)) {
      CHECK_FALSE(ec);  // the framing has no end mark: fewer whole blocks are a valid stream
      CHECK(plain.starts_with(text_of(out)));
    } else {
      CHECK(ec == errc::corrupt_input);
      CHECK(out.empty());
    }
  }
}

TEST_CASE("corrupting any byte fails cleanly or, where unchecked, stays within the limit") {
  Decompressor decompressor;
  std::vector<Vector> all = vectors();
  all.push_back({"xerial", Codec::snappy, Buffer(kXerial, kXerial + sizeof kXerial), "abcabcabcabchello", false});
  for (const Vector& v : all) {
    std::size_t detected = 0;
    for (std::size_t i = 0; i < v.bytes.size(); ++i) {
      for (int mask : {0x01, 0x10, 0x80, 0xff}) {
        CAPTURE(v.name);
        CAPTURE(codec_name(v.codec));
        CAPTURE(i);
        CAPTURE(mask);
        Buffer damaged = v.bytes;
        damaged[i] = static_cast<std::uint8_t>(damaged[i] ^ mask);
        const std::size_t limit = 4096;
        Buffer out;
        const std::error_code ec = decompressor.decompress(v.codec, damaged, out, limit);
        CHECK(out.capacity() <= limit);
        if (ec) {
          ++detected;
          CHECK((ec == errc::corrupt_input || ec == errc::output_limit_exceeded));
          CHECK(out.empty());
        } else if (v.checksummed) {
          CHECK(text_of(out) == v.plain);  // only bytes no check covers (e.g. gzip's MTIME, OS)
        }
      }
    }
    CAPTURE(v.name);
    CHECK(detected > 0);
    // The context still works after all that.
    Buffer out;
    REQUIRE_FALSE(decompressor.decompress(v.codec, v.bytes, out, kLimit));
    CHECK(text_of(out) == v.plain);
  }
}

TEST_CASE("trailing garbage after a complete stream is corrupt input") {
  Decompressor decompressor;
  for (const Vector& v : vectors()) {
    if (v.codec == Codec::snappy) continue;  // raw snappy: the length prefix decides, see below
    for (const Buffer& tail : {bytes_of("x"), bytes_of("garbage!"), Buffer(32, 0)}) {
      CAPTURE(v.name);
      CAPTURE(codec_name(v.codec));
      CAPTURE(tail.size());
      Buffer damaged = v.bytes;
      damaged.insert(damaged.end(), tail.begin(), tail.end());
      Buffer out;
      CHECK(decompressor.decompress(v.codec, damaged, out, kLimit) == errc::corrupt_input);
    }
  }
  Buffer raw(kSnappyAbc, kSnappyAbc + sizeof kSnappyAbc);
  raw.push_back('x');
  Buffer out;
  CHECK(decompressor.decompress(Codec::snappy, raw, out, kLimit) == errc::corrupt_input);
}

// --- bombs ------------------------------------------------------------------

namespace {

constexpr std::size_t kBombLimit = 1u << 20;

void check_bomb(Codec codec, std::span<const std::uint8_t> bomb) {
  CAPTURE(codec_name(codec));
  CAPTURE(bomb.size());
  Decompressor decompressor;
  Buffer out;
  CHECK(decompressor.decompress(codec, bomb, out, kBombLimit) == errc::output_limit_exceeded);
  CHECK(out.empty());
  CHECK(out.capacity() <= kBombLimit);  // never allocated past the limit

  // With room, the same context decodes it fully.
  out.clear();
  out.shrink_to_fit();
  REQUIRE_FALSE(decompressor.decompress(codec, bomb, out, hundred_mib_of_zeros().size()));
  CHECK(out.size() == hundred_mib_of_zeros().size());
  CHECK(out == hundred_mib_of_zeros());
}

}  // namespace

TEST_CASE("bomb: 100 MiB of zeros, decompressed with a 1 MiB limit") {
  for (Codec codec : {Codec::gzip, Codec::lz4, Codec::zstd, Codec::snappy}) {
    Buffer bomb;
    REQUIRE_FALSE(compress(codec, hundred_mib_of_zeros(), bomb, codec == Codec::gzip ? 1 : kDefaultLevel));
    CHECK(bomb.size() < hundred_mib_of_zeros().size() / 20);
    check_bomb(codec, bomb);
  }
}

TEST_CASE("bomb: zstd frames without a content size go through the streaming decoder") {
  // Hand-made frame: header descriptor 0 (no content size, no checksum),
  // window descriptor 0x38 (2^17 bytes), then 800 RLE blocks of 128 KiB zeros.
  Buffer bomb = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38};
  const std::size_t blocks = hundred_mib_of_zeros().size() / (128u << 10);
  for (std::size_t i = 0; i < blocks; ++i) {
    const std::uint32_t header = ((128u << 10) << 3) | (1u << 1) | (i + 1 == blocks ? 1u : 0u);
    bomb.push_back(static_cast<std::uint8_t>(header));
    bomb.push_back(static_cast<std::uint8_t>(header >> 8));
    bomb.push_back(static_cast<std::uint8_t>(header >> 16));
    bomb.push_back(0);
  }
  check_bomb(Codec::zstd, bomb);
}

TEST_CASE("bomb: a claimed size beyond the limit is refused before allocating") {
  // Raw snappy claiming 100 MiB (varint) with almost nothing behind it.
  const Buffer snappy_claim = {0x80, 0x80, 0x80, 0x32, 0x00, 'a'};
  // zstd single-segment frame claiming 100 MiB (4-byte content size field).
  const Buffer zstd_claim = {0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x40, 0x06, 0x01, 0x00, 0x00};
  for (const auto& [codec, claim] : {std::pair{Codec::snappy, snappy_claim}, std::pair{Codec::zstd, zstd_claim}}) {
    CAPTURE(codec_name(codec));
    Buffer out;
    CHECK(decompress(codec, claim, out, kBombLimit) == errc::output_limit_exceeded);
    CHECK(out.capacity() == 0);
  }
}

TEST_CASE("bomb: xerial blocks each within the limit but not together") {
  Buffer block;
  REQUIRE_FALSE(compress(Codec::snappy, Buffer(64u << 10, 0), block));
  Buffer framed(kXerial, kXerial + 16);
  for (int i = 0; i < 20; ++i) {  // 20 x 64 KiB > 1 MiB
    for (int shift = 24; shift >= 0; shift -= 8) framed.push_back(static_cast<std::uint8_t>(block.size() >> shift));
    framed.insert(framed.end(), block.begin(), block.end());
  }
  Buffer out;
  CHECK(decompress(Codec::snappy, framed, out, kBombLimit) == errc::output_limit_exceeded);
  CHECK(out.empty());
  CHECK(out.capacity() <= kBombLimit);
}

TEST_CASE("none: the limit applies to stored data too") {
  const Buffer data = compressible_bytes(1000);
  Buffer out;
  CHECK(decompress(Codec::none, data, out, 999) == errc::output_limit_exceeded);
  CHECK(out.capacity() == 0);
  REQUIRE_FALSE(decompress(Codec::none, data, out, 1000));
  CHECK(out == data);
}
