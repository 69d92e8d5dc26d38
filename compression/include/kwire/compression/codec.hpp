#pragma once
// The compression codecs a Kafka record batch can carry (attributes bits 0-2).
#include <cstdint>
#include <optional>
#include <string_view>

namespace kwire::compression {

enum class Codec : std::uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

/// Kafka's name for the codec, as in `compression.type`.
std::string_view codec_name(Codec codec) noexcept;
/// Parses a `compression.type` value ("none", "gzip", "snappy", "lz4", "zstd").
std::optional<Codec> parse_codec(std::string_view name) noexcept;

}  // namespace kwire::compression
