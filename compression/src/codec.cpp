#include "kwire/compression/codec.hpp"

#include <charconv>

namespace kwire::compression {

std::string_view codec_name(Codec codec) noexcept {
  switch (codec) {
    case Codec::none: return "none";
    case Codec::gzip: return "gzip";
    case Codec::snappy: return "snappy";
    case Codec::lz4: return "lz4";
    case Codec::zstd: return "zstd";
  }
  return "unknown";
}

std::optional<Codec> parse_codec(std::string_view name) noexcept {
  for (Codec c : {Codec::none, Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd})
    if (codec_name(c) == name) return c;
  return std::nullopt;
}

std::optional<LevelRange> level_range(Codec codec) noexcept {
  switch (codec) {
    case Codec::gzip: return kGzipLevels;
    case Codec::lz4: return kLz4Levels;
    case Codec::zstd: return kZstdLevels;
    case Codec::none:
    case Codec::snappy: break;
  }
  return std::nullopt;
}

int default_level(Codec codec) noexcept {
  const auto range = level_range(codec);
  return range ? range->kafka_default : kDefaultLevel;
}

bool is_valid_level(Codec codec, int level) noexcept {
  if (level == kDefaultLevel) return true;
  const auto range = level_range(codec);
  if (!range) return false;
  // Kafka's gzip validator: [1..9] or -1 (Deflater.DEFAULT_COMPRESSION).
  if (codec == Codec::gzip && level == kGzipLevels.kafka_default) return true;
  return level >= range->min && level <= range->max;
}

std::optional<int> parse_level(Codec codec, std::string_view text) noexcept {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(kSpace) - first + 1);
  // from_chars takes '-' but not '+'; Java's Integer.parseInt takes both.
  if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value == kDefaultLevel || !is_valid_level(codec, value)) return std::nullopt;
  return value;
}

}  // namespace kwire::compression
