// Every codec at several levels and sizes: compress, then decompress with the
// exact size as the limit (must pass) and one byte less (must fail).
#include <doctest/doctest.h>

#include <string>

#include "helpers.hpp"
#include "kwire/compression/compressor.hpp"
#include "kwire/compression/decompressor.hpp"

using namespace kwire::compression;
using namespace kwire::compression::test;

namespace {

std::vector<int> levels_for(Codec codec) {
  switch (codec) {
    case Codec::gzip: return {kDefaultLevel, -1, 1, 6, 9};
    case Codec::lz4: return {kDefaultLevel, 1, 3, 9, 12, 17};
    case Codec::zstd: return {kDefaultLevel, -131072, -5, 0, 1, 3, 19};
    default: return {kDefaultLevel};
  }
}

struct Payload {
  std::string name;
  Buffer data;
};

std::vector<Payload> payloads() {
  std::vector<Payload> p;
  p.push_back({"empty", {}});
  p.push_back({"1 byte", {0x7f}});
  for (std::size_t n : {std::size_t{65535}, std::size_t{65536}, std::size_t{65537}}) {
    p.push_back({std::to_string(n) + " compressible", compressible_bytes(n)});
    p.push_back({std::to_string(n) + " random", random_bytes(n, static_cast<std::uint32_t>(n))});
  }
  p.push_back({"1 MiB compressible", compressible_bytes(1u << 20)});
  p.push_back({"1 MiB random", random_bytes(1u << 20)});
  return p;
}

}  // namespace

TEST_CASE("round trip: every codec, level and size") {
  const auto cases = payloads();
  Compressor compressor;
  Decompressor decompressor;
  for (Codec codec : kAllCodecs) {
    for (int level : levels_for(codec)) {
      for (const Payload& payload : cases) {
        CAPTURE(codec_name(codec));
        CAPTURE(level);
        CAPTURE(payload.name);
        Buffer packed;
        REQUIRE_FALSE(compressor.compress(codec, payload.data, packed, level));
        // Negative zstd levels trade ratio away (-131072 stores almost raw).
        if (codec != Codec::none && (level == kDefaultLevel || level > 0) && payload.name == "1 MiB compressible")
          CHECK(packed.size() < payload.data.size() / 4);

        Buffer unpacked;
        REQUIRE_FALSE(decompressor.decompress(codec, packed, unpacked, payload.data.size()));
        CHECK(unpacked == payload.data);
        CHECK(unpacked.capacity() <= payload.data.size());  // the limit bounds capacity too

        if (!payload.data.empty()) {
          Buffer short_of_one;
          CHECK(decompressor.decompress(codec, packed, short_of_one, payload.data.size() - 1) ==
                errc::output_limit_exceeded);
          CHECK(short_of_one.empty());
          CHECK(short_of_one.capacity() <= payload.data.size() - 1);
        }
      }
    }
  }
}

TEST_CASE("zstd's maximum level round trips") {
  const Buffer data = compressible_bytes(100000);
  Buffer packed;
  REQUIRE_FALSE(compress(Codec::zstd, data, packed, 22));
  Buffer unpacked;
  REQUIRE_FALSE(decompress(Codec::zstd, packed, unpacked, data.size()));
  CHECK(unpacked == data);
}

TEST_CASE("compress and decompress append to what the buffer holds") {
  const Buffer data = compressible_bytes(5000);
  for (Codec codec : kAllCodecs) {
    CAPTURE(codec_name(codec));
    Buffer alone;
    REQUIRE_FALSE(compress(codec, data, alone));

    Buffer packed = bytes_of("HEADER");
    REQUIRE_FALSE(compress(codec, data, packed));
    REQUIRE(packed.size() == 6 + alone.size());
    CHECK(text_of(std::span(packed).first(6)) == "HEADER");
    CHECK(Buffer(packed.begin() + 6, packed.end()) == alone);

    // The limit counts only the bytes this call appends.
    Buffer unpacked = bytes_of("previous");
    REQUIRE_FALSE(decompress(codec, std::span(packed).subspan(6), unpacked, data.size()));
    CHECK(text_of(std::span(unpacked).first(8)) == "previous");
    CHECK(Buffer(unpacked.begin() + 8, unpacked.end()) == data);

    // A failed call leaves the earlier contents alone.
    Buffer kept = bytes_of("previous");
    CHECK(decompress(codec, std::span(packed).subspan(6), kept, data.size() - 1) == errc::output_limit_exceeded);
    CHECK(text_of(kept) == "previous");
  }
}

TEST_CASE("a reused Compressor gives the same bytes as a fresh one, whatever came before") {
  const Buffer a = compressible_bytes(200000);
  const Buffer b = random_bytes(70000);
  Compressor reused;
  for (Codec codec : kAllCodecs) {
    for (int level : levels_for(codec)) {
      CAPTURE(codec_name(codec));
      CAPTURE(level);
      Buffer fresh_a, fresh_b;
      REQUIRE_FALSE(compress(codec, a, fresh_a, level));
      REQUIRE_FALSE(compress(codec, b, fresh_b, level));

      Buffer first, second, third;
      REQUIRE_FALSE(reused.compress(codec, a, first, level));
      REQUIRE_FALSE(reused.compress(codec, b, second, level));
      REQUIRE_FALSE(reused.compress(codec, a, third, level));
      CHECK(first == fresh_a);
      CHECK(second == fresh_b);
      CHECK(third == fresh_a);
    }
  }
}

TEST_CASE("buffers with spare capacity are written in place") {
  const Buffer data = compressible_bytes(1u << 20);
  Compressor compressor;
  Decompressor decompressor;
  for (Codec codec : kRealCodecs) {
    CAPTURE(codec_name(codec));
    Buffer packed;
    packed.reserve(2u << 20);
    const std::uint8_t* const packed_at = packed.data();
    Buffer unpacked;
    unpacked.reserve(2u << 20);
    const std::uint8_t* const unpacked_at = unpacked.data();
    for (int round = 0; round < 3; ++round) {
      packed.clear();
      unpacked.clear();
      REQUIRE_FALSE(compressor.compress(codec, data, packed));
      REQUIRE_FALSE(decompressor.decompress(codec, packed, unpacked, 2u << 20));
      CHECK(unpacked == data);
      CHECK(packed.data() == packed_at);
      CHECK(unpacked.data() == unpacked_at);
    }
  }
}

TEST_CASE("decompressing with a generous limit allocates about what is produced") {
  const Buffer data = compressible_bytes(300000);
  for (Codec codec : kRealCodecs) {
    CAPTURE(codec_name(codec));
    Buffer packed;
    REQUIRE_FALSE(compress(codec, data, packed));
    Buffer unpacked;
    REQUIRE_FALSE(decompress(codec, packed, unpacked, std::size_t{1} << 40));
    CHECK(unpacked == data);
    CHECK(unpacked.capacity() <= 2 * data.size());
  }
}
