#include "kwire/compression/codec.hpp"

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

}  // namespace kwire::compression
