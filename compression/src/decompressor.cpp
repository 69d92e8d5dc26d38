#include "kwire/compression/decompressor.hpp"

#include <algorithm>
#include <memory>
#include <new>
#include <stdexcept>

#include "engines.hpp"

namespace kwire::compression {

// One engine per codec, created when the codec is first used.
struct Decompressor::Contexts {
  std::unique_ptr<detail::GzipDecompressor> gzip;
  std::unique_ptr<detail::Lz4Decompressor> lz4;
  std::unique_ptr<detail::ZstdDecompressor> zstd;
};

Decompressor::Decompressor() noexcept = default;
Decompressor::~Decompressor() = default;
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;

namespace {

template <typename Engine>
Engine& engine(std::unique_ptr<Engine>& slot) {
  if (!slot) slot = std::make_unique<Engine>();
  return *slot;
}

std::error_code copy(std::span<const std::uint8_t> in, detail::OutputWindow& out) {
  if (in.size() > out.room()) return errc::output_limit_exceeded;
  const std::span<std::uint8_t> region = out.extend(in.size());
  std::copy(in.begin(), in.end(), region.begin());
  out.commit(in.size());
  return {};
}

}  // namespace

std::error_code Decompressor::decompress(Codec codec, std::span<const std::uint8_t> in,
                                         std::vector<std::uint8_t>& out, std::size_t max_output_bytes) noexcept {
  switch (codec) {
    case Codec::none:
    case Codec::gzip:
    case Codec::snappy:
    case Codec::lz4:
    case Codec::zstd: break;
    default: return errc::unsupported_codec;
  }

  detail::OutputWindow window(out, max_output_bytes);
  std::error_code ec;
  try {
    if (!contexts_) contexts_ = std::make_unique<Contexts>();
    switch (codec) {
      case Codec::none: ec = copy(in, window); break;
      case Codec::gzip: ec = engine(contexts_->gzip).decompress(in, window); break;
      case Codec::snappy: ec = detail::snappy_decompress(in, window); break;
      case Codec::lz4: ec = engine(contexts_->lz4).decompress(in, window); break;
      case Codec::zstd: ec = engine(contexts_->zstd).decompress(in, window); break;
    }
  } catch (const std::bad_alloc&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  } catch (const std::length_error&) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  if (ec) {
    window.discard();
  } else {
    window.finish();
  }
  return ec;
}

std::error_code decompress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out,
                           std::size_t max_output_bytes) noexcept {
  Decompressor decompressor;
  return decompressor.decompress(codec, in, out, max_output_bytes);
}

}  // namespace kwire::compression
