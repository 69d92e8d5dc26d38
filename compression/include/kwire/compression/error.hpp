#pragma once
// Errors of the compression layer, as std::error_code (category
// "kwire.compression"), so record batch decoding can pass them up unchanged.
#include <system_error>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::compression {

enum class errc {
  ok = 0,
  corrupt_input,          ///< not a valid stream of the codec: bad data, bad checksum, truncated, trailing bytes
  output_limit_exceeded,  ///< decompressed data would exceed max_output_bytes
  invalid_level,          ///< the level is outside the codec's range (see codec.hpp)
  unsupported_codec,      ///< not one of the Codec values (e.g. attribute bits 5-7)
  library_error,          ///< zlib/zstd/lz4/snappy failed for a reason other than the input (out of memory, ...)
};

const std::error_category& compression_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), compression_category()};
}

}  // namespace kwire::compression

template <>
struct std::is_error_code_enum<kwire::compression::errc> : std::true_type {};

KWIRE_PUBLIC_END
