#include "kwire/compression/compressor.hpp"

#include <memory>
#include <new>
#include <stdexcept>

#include "engines.hpp"

namespace kwire::compression {

// One engine per codec, created when the codec is first used.
struct Compressor::Contexts {
  std::unique_ptr<detail::GzipCompressor> gzip;
  std::unique_ptr<detail::Lz4Compressor> lz4;
  std::unique_ptr<detail::ZstdCompressor> zstd;
};

Compressor::Compressor() noexcept = default;
Compressor::~Compressor() = default;
Compressor::Compressor(Compressor&&) noexcept = default;
Compressor& Compressor::operator=(Compressor&&) noexcept = default;

namespace {

template <typename Engine>
Engine& engine(std::unique_ptr<Engine>& slot) {
  if (!slot) slot = std::make_unique<Engine>();
  return *slot;
}

}  // namespace

std::error_code Compressor::compress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out,
                                     int level) noexcept {
  switch (codec) {
    case Codec::none:
    case Codec::gzip:
    case Codec::snappy:
    case Codec::lz4:
    case Codec::zstd: break;
    default: return errc::unsupported_codec;
  }
  if (!is_valid_level(codec, level)) return errc::invalid_level;

  const std::size_t base = out.size();
  std::error_code ec;
  try {
    if (!contexts_) contexts_ = std::make_unique<Contexts>();
    switch (codec) {
      case Codec::none: out.insert(out.end(), in.begin(), in.end()); break;
      case Codec::gzip: ec = engine(contexts_->gzip).compress(in, out, level); break;
      case Codec::snappy: ec = detail::snappy_compress(in, out); break;
      case Codec::lz4: ec = engine(contexts_->lz4).compress(in, out, level); break;
      case Codec::zstd: ec = engine(contexts_->zstd).compress(in, out, level); break;
    }
  } catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  } catch (const std::length_error&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  if (ec) out.resize(base);
  return ec;
}

std::error_code compress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out,
                         int level) noexcept {
  Compressor compressor;
  return compressor.compress(codec, in, out, level);
}

}  // namespace kwire::compression
