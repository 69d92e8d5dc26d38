// Decoding streams other tools made, and the exact bytes our encoders write.
#include <doctest/doctest.h>

#include "helpers.hpp"
#include "kwire/compression/compressor.hpp"
#include "kwire/compression/decompressor.hpp"
#include "vectors.hpp"

using namespace kwire::compression;
using namespace kwire::compression::test;

namespace {

constexpr std::size_t kLimit = 1u << 20;

std::string decoded(Codec codec, std::span<const std::uint8_t> in) {
  Buffer out;
  const std::error_code ec = decompress(codec, in, out, kLimit);
  REQUIRE_FALSE(ec);
  return text_of(out);
}

Buffer concat(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  Buffer out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{b[at]} | std::uint32_t{b[at + 1]} << 8 | std::uint32_t{b[at + 2]} << 16 |
         std::uint32_t{b[at + 3]} << 24;
}

void put_be32(Buffer& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

Buffer xerial_header() { return Buffer(kXerial, kXerial + 16); }

}  // namespace

TEST_CASE("gzip: streams from the gzip tool") {
  CHECK(decoded(Codec::gzip, kGzipCli) == kText);
  CHECK(decoded(Codec::gzip, kGzipCliEmpty).empty());
}

TEST_CASE("gzip: concatenated members decode to their concatenation, as GZIPInputStream does") {
  CHECK(decoded(Codec::gzip, concat(kGzipCli, kGzipCli)) == std::string(kText) + std::string(kText));
  CHECK(decoded(Codec::gzip, concat(kGzipCli, kGzipCliEmpty)) == kText);
  CHECK(decoded(Codec::gzip, concat(kGzipCliEmpty, kGzipCli)) == kText);

  // The limit spans members.
  Buffer out;
  CHECK(decompress(Codec::gzip, concat(kGzipCli, kGzipCli), out, kText.size() * 2 - 1) ==
        errc::output_limit_exceeded);
  CHECK(out.empty());
}

TEST_CASE("gzip: bytes after the last member are corrupt input") {
  Buffer out;
  CHECK(decompress(Codec::gzip, concat(kGzipCli, bytes_of("x")), out, kLimit) == errc::corrupt_input);
  CHECK(decompress(Codec::gzip, concat(kGzipCli, Buffer(16, 0)), out, kLimit) == errc::corrupt_input);
  CHECK(out.empty());
}

TEST_CASE("gzip: we write the gzip wrapper (RFC 1952), not a zlib stream") {
  Buffer packed;
  REQUIRE_FALSE(compress(Codec::gzip, bytes_of(kText), packed));
  REQUIRE(packed.size() > 18);
  CHECK(packed[0] == 0x1f);
  CHECK(packed[1] == 0x8b);
  CHECK(packed[2] == 0x08);  // deflate
  CHECK(packed[3] == 0x00);  // no name, comment or extra field
  // The trailer's ISIZE is the input length, little-endian.
  CHECK(le32(packed, packed.size() - 4) == kText.size());
}

TEST_CASE("lz4: frames from the lz4 tool") {
  CHECK(decoded(Codec::lz4, kLz4Cli) == kText);
  CHECK(decoded(Codec::lz4, kLz4CliChecksummed) == kText);
  CHECK(decoded(Codec::lz4, concat(kLz4Cli, kLz4CliChecksummed)) == std::string(kText) + std::string(kText));
}

TEST_CASE("lz4: we write the frame descriptor Kafka's Java client writes") {
  // Lz4BlockOutputStream: FLG = version 01 | block independence, BD = 64 KiB.
  const Buffer data = random_bytes(200000);  // incompressible: several full blocks stored raw
  const Buffer text = compressible_bytes(300000);
  for (int level : {kDefaultLevel, 1, 9, 12, 17}) {
    for (const Buffer* input : {&data, &text}) {
      CAPTURE(level);
      Buffer packed;
      REQUIRE_FALSE(compress(Codec::lz4, *input, packed, level));
      REQUIRE(packed.size() >= 11);
      CHECK(le32(packed, 0) == 0x184D2204u);
      const std::uint8_t flg = packed[4];
      CHECK((flg & 0x20) != 0);  // bit 5: blocks are independent (the broker rejects linked ones)
      CHECK(flg == 0x60);        // version 01; no block checksum, content size or content checksum
      CHECK(packed[5] == 0x40);  // 64 KiB maximum block size

      // Walk the blocks: each at most 64 KiB, then the end mark, then nothing.
      std::size_t at = 7;
      std::size_t blocks = 0;
      for (;;) {
        REQUIRE(at + 4 <= packed.size());
        const std::uint32_t size = le32(packed, at) & 0x7fffffffu;
        at += 4;
        if (size == 0) break;
        CHECK(size <= 65536u);
        at += size;
        ++blocks;
      }
      CHECK(at == packed.size());
      CHECK(blocks == (input->size() + 65535) / 65536);
    }
  }
}

TEST_CASE("zstd: frames from the zstd tool, with and without a content size") {
  CHECK(decoded(Codec::zstd, kZstdCliStream) == kText);
  CHECK(decoded(Codec::zstd, kZstdCliFile) == kText);
  CHECK(decoded(Codec::zstd, concat(kZstdCliFile, kZstdCliStream)) == std::string(kText) + std::string(kText));
  CHECK(decoded(Codec::zstd, concat(kZstdCliFile, kZstdCliFile)) == std::string(kText) + std::string(kText));
}

TEST_CASE("zstd: skippable frames are skipped") {
  // Skippable frame: magic 0x184D2A50..5F (LE), 4-byte LE size, payload.
  const Buffer skippable = {0x50, 0x2a, 0x4d, 0x18, 0x03, 0x00, 0x00, 0x00, 'x', 'y', 'z'};
  CHECK(decoded(Codec::zstd, concat(skippable, kZstdCliFile)) == kText);
  CHECK(decoded(Codec::zstd, concat(kZstdCliStream, skippable)) == kText);
}

TEST_CASE("zstd: a frame whose content size lies is corrupt") {
  // Single-segment frame header (0x20) with a 1-byte content size, then one
  // last RLE block of 100 'a's: header (100 << 3) | RLE << 1 | last.
  const std::uint32_t block = (100u << 3) | (1u << 1) | 1u;
  const auto frame = [&](std::uint8_t declared) {
    return Buffer{0x28,
                  0xb5,
                  0x2f,
                  0xfd,
                  0x20,
                  declared,
                  static_cast<std::uint8_t>(block),
                  static_cast<std::uint8_t>(block >> 8),
                  static_cast<std::uint8_t>(block >> 16),
                  'a'};
  };
  CHECK(decoded(Codec::zstd, frame(100)) == std::string(100, 'a'));
  Buffer out;
  CHECK(decompress(Codec::zstd, frame(10), out, kLimit) == errc::corrupt_input);
  CHECK(decompress(Codec::zstd, frame(200), out, kLimit) == errc::corrupt_input);
  CHECK(out.empty());
}

TEST_CASE("snappy: raw blocks written by hand") {
  CHECK(decoded(Codec::snappy, kSnappyAbc) == "abcabcabcabc");
  CHECK(decoded(Codec::snappy, kSnappyHello) == "hello");
  const std::uint8_t empty[] = {0x00};
  CHECK(decoded(Codec::snappy, empty).empty());
}

TEST_CASE("snappy: the Java client's xerial framing") {
  CHECK(decoded(Codec::snappy, kXerial) == "abcabcabcabchello");

  // A header alone is an empty stream.
  CHECK(decoded(Codec::snappy, xerial_header()).empty());

  // Version fields are not checked: the magic alone identifies the framing.
  Buffer other_versions(kXerial, kXerial + sizeof kXerial);
  other_versions[11] = 7;
  other_versions[15] = 3;
  CHECK(decoded(Codec::snappy, other_versions) == "abcabcabcabchello");

  // Two xerial streams back to back (snappy-java reads through the second header).
  CHECK(decoded(Codec::snappy, concat(kXerial, kXerial)) == "abcabcabcabchelloabcabcabcabchello");

  // Blocks of our own raw snappy, as snappy-java cuts them (32 KiB here).
  const Buffer data = compressible_bytes(100000);
  Buffer framed = xerial_header();
  for (std::size_t at = 0; at < data.size(); at += 32768) {
    Buffer block;
    const std::size_t n = std::min<std::size_t>(32768, data.size() - at);
    REQUIRE_FALSE(compress(Codec::snappy, std::span(data).subspan(at, n), block));
    put_be32(framed, static_cast<std::uint32_t>(block.size()));
    framed.insert(framed.end(), block.begin(), block.end());
  }
  Buffer out;
  REQUIRE_FALSE(decompress(Codec::snappy, framed, out, data.size()));
  CHECK(out == data);
  out.clear();
  CHECK(decompress(Codec::snappy, framed, out, data.size() - 1) == errc::output_limit_exceeded);
}

TEST_CASE("snappy: xerial damage") {
  Buffer out;
  // Magic but the header is cut short.
  CHECK(decompress(Codec::snappy, std::span(kXerial).first(12), out, kLimit) == errc::corrupt_input);
  // A block length beyond the input.
  Buffer too_long = xerial_header();
  put_be32(too_long, 8);
  too_long.insert(too_long.end(), kSnappyAbc, kSnappyAbc + sizeof kSnappyAbc);
  CHECK(decompress(Codec::snappy, too_long, out, kLimit) == errc::corrupt_input);
  // A "negative" block length.
  Buffer negative = xerial_header();
  put_be32(negative, 0xfffffff9u);
  negative.insert(negative.end(), kSnappyAbc, kSnappyAbc + sizeof kSnappyAbc);
  CHECK(decompress(Codec::snappy, negative, out, kLimit) == errc::corrupt_input);
  // A zero-length block is not a snappy block.
  Buffer zero = xerial_header();
  put_be32(zero, 0);
  CHECK(decompress(Codec::snappy, zero, out, kLimit) == errc::corrupt_input);
  // A dangling partial length.
  Buffer dangling = xerial_header();
  dangling.push_back(0);
  CHECK(decompress(Codec::snappy, dangling, out, kLimit) == errc::corrupt_input);
  CHECK(out.empty());
}

TEST_CASE("snappy: we write raw snappy, as librdkafka and franz-go do") {
  Buffer packed;
  REQUIRE_FALSE(compress(Codec::snappy, bytes_of(kText), packed));
  REQUIRE_FALSE(packed.empty());
  CHECK(packed[0] == kText.size());  // varint uncompressed length, no xerial magic
}

TEST_CASE("empty compressed input is corrupt for every codec but none") {
  for (Codec codec : kRealCodecs) {
    CAPTURE(codec_name(codec));
    Buffer out;
    CHECK(decompress(codec, {}, out, kLimit) == errc::corrupt_input);
  }
  Buffer out;
  CHECK_FALSE(decompress(Codec::none, {}, out, kLimit));
  CHECK(out.empty());
}
