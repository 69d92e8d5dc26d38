// Codec names, level ranges and parsing, error category.
#include <doctest/doctest.h>

#include "helpers.hpp"
#include "kwire/compression/codec.hpp"
#include "kwire/compression/compressor.hpp"
#include "kwire/compression/decompressor.hpp"
#include "kwire/compression/error.hpp"

using namespace kwire::compression;
using namespace kwire::compression::test;

TEST_CASE("codec names round trip through parse_codec") {
  for (Codec c : kAllCodecs) CHECK(parse_codec(codec_name(c)) == c);
  CHECK_FALSE(parse_codec("GZIP").has_value());
  CHECK_FALSE(parse_codec("lz4 ").has_value());
  CHECK_FALSE(parse_codec("").has_value());
}

TEST_CASE("level ranges and defaults follow Kafka's CompressionType (KIP-390)") {
  CHECK(default_level(Codec::gzip) == -1);
  CHECK(default_level(Codec::lz4) == 9);
  CHECK(default_level(Codec::zstd) == 3);
  CHECK(default_level(Codec::snappy) == kDefaultLevel);
  CHECK(default_level(Codec::none) == kDefaultLevel);

  CHECK(level_range(Codec::gzip)->min == 1);
  CHECK(level_range(Codec::gzip)->max == 9);
  CHECK(level_range(Codec::lz4)->min == 1);
  CHECK(level_range(Codec::lz4)->max == 17);
  CHECK(level_range(Codec::zstd)->min == -131072);
  CHECK(level_range(Codec::zstd)->max == 22);
  CHECK_FALSE(level_range(Codec::snappy).has_value());
  CHECK_FALSE(level_range(Codec::none).has_value());
}

TEST_CASE("is_valid_level") {
  for (Codec c : kAllCodecs) CHECK(is_valid_level(c, kDefaultLevel));

  CHECK(is_valid_level(Codec::gzip, -1));  // Deflater.DEFAULT_COMPRESSION
  CHECK(is_valid_level(Codec::gzip, 1));
  CHECK(is_valid_level(Codec::gzip, 9));
  CHECK_FALSE(is_valid_level(Codec::gzip, 0));
  CHECK_FALSE(is_valid_level(Codec::gzip, -2));
  CHECK_FALSE(is_valid_level(Codec::gzip, 10));

  CHECK(is_valid_level(Codec::lz4, 1));
  CHECK(is_valid_level(Codec::lz4, 17));
  CHECK_FALSE(is_valid_level(Codec::lz4, 0));
  CHECK_FALSE(is_valid_level(Codec::lz4, -1));
  CHECK_FALSE(is_valid_level(Codec::lz4, 18));

  CHECK(is_valid_level(Codec::zstd, -131072));
  CHECK(is_valid_level(Codec::zstd, -1));
  CHECK(is_valid_level(Codec::zstd, 0));
  CHECK(is_valid_level(Codec::zstd, 22));
  CHECK_FALSE(is_valid_level(Codec::zstd, -131073));
  CHECK_FALSE(is_valid_level(Codec::zstd, 23));

  CHECK_FALSE(is_valid_level(Codec::snappy, 0));
  CHECK_FALSE(is_valid_level(Codec::snappy, 1));
  CHECK_FALSE(is_valid_level(Codec::none, 0));
}

TEST_CASE("parse_level accepts what Kafka's config accepts, nothing else") {
  CHECK(parse_level(Codec::gzip, "9") == 9);
  CHECK(parse_level(Codec::gzip, " -1 ") == -1);
  CHECK(parse_level(Codec::gzip, "+5") == 5);
  CHECK(parse_level(Codec::zstd, "-131072") == -131072);
  CHECK(parse_level(Codec::zstd, "0") == 0);
  CHECK(parse_level(Codec::lz4, "\t17\n") == 17);

  CHECK_FALSE(parse_level(Codec::gzip, "0").has_value());
  CHECK_FALSE(parse_level(Codec::gzip, "10").has_value());
  CHECK_FALSE(parse_level(Codec::lz4, "18").has_value());
  CHECK_FALSE(parse_level(Codec::zstd, "23").has_value());
  CHECK_FALSE(parse_level(Codec::zstd, "-131073").has_value());
  CHECK_FALSE(parse_level(Codec::zstd, "-2147483648").has_value());  // kDefaultLevel is not a level
  CHECK_FALSE(parse_level(Codec::zstd, "99999999999999").has_value());
  CHECK_FALSE(parse_level(Codec::gzip, "").has_value());
  CHECK_FALSE(parse_level(Codec::gzip, "   ").has_value());
  CHECK_FALSE(parse_level(Codec::gzip, "5x").has_value());
  CHECK_FALSE(parse_level(Codec::gzip, "5 5").has_value());
  CHECK_FALSE(parse_level(Codec::gzip, "+-5").has_value());
  CHECK_FALSE(parse_level(Codec::gzip, "+").has_value());
  CHECK_FALSE(parse_level(Codec::gzip, "1.5").has_value());
  CHECK_FALSE(parse_level(Codec::snappy, "1").has_value());
  CHECK_FALSE(parse_level(Codec::none, "0").has_value());
}

TEST_CASE("compress rejects levels outside the codec's range") {
  const Buffer input = bytes_of("some bytes");
  struct Case {
    Codec codec;
    int level;
  };
  for (Case c : {Case{Codec::gzip, 0}, Case{Codec::gzip, 10}, Case{Codec::gzip, -2}, Case{Codec::lz4, 0},
                 Case{Codec::lz4, 18}, Case{Codec::zstd, 23}, Case{Codec::zstd, -131073}, Case{Codec::snappy, 1},
                 Case{Codec::none, 1}}) {
    CAPTURE(codec_name(c.codec));
    CAPTURE(c.level);
    Buffer out = bytes_of("prefix");
    CHECK(compress(c.codec, input, out, c.level) == errc::invalid_level);
    CHECK(text_of(out) == "prefix");  // untouched
  }
}

TEST_CASE("unknown codec values are rejected") {
  const Buffer input = bytes_of("abc");
  Buffer out;
  CHECK(compress(static_cast<Codec>(5), input, out) == errc::unsupported_codec);
  CHECK(decompress(static_cast<Codec>(7), input, out, 100) == errc::unsupported_codec);
  CHECK(out.empty());
}

TEST_CASE("the error category names every code") {
  const std::error_code ec = errc::output_limit_exceeded;
  CHECK(ec.category().name() == std::string("kwire.compression"));
  CHECK(ec.message() == "decompressed data exceeds the output limit");
  CHECK(std::error_code(errc::corrupt_input).message().find("corrupt") != std::string::npos);
  CHECK(std::error_code(errc::invalid_level) != std::error_code(errc::corrupt_input));
  CHECK_FALSE(std::error_code(errc::ok));
}
