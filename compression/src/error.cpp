#include "kwire/compression/error.hpp"

#include <string>

namespace kwire::compression {
namespace {

class compression_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kwire.compression"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "success";
      case errc::corrupt_input: return "compressed data is corrupt or truncated";
      case errc::output_limit_exceeded: return "decompressed data exceeds the output limit";
      case errc::invalid_level: return "compression level out of range for the codec";
      case errc::unsupported_codec: return "unsupported compression codec";
      case errc::library_error: return "compression library failure";
    }
    return "unknown compression error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& compression_category() noexcept {
  static const compression_error_category category;
  return category;
}

}  // namespace kwire::compression
