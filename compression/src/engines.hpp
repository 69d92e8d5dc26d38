#pragma once
// One compression engine and one decompression engine per codec, each owning
// its library context across calls. Internal: Compressor and Decompressor hold
// them; they are created on the heap once (a z_stream must not move after
// init: zlib's state points back at it) and never copied.
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "output_window.hpp"

// The libraries' context types, forward-declared so this header stays light.
struct z_stream_s;
struct LZ4F_cctx_s;
struct LZ4F_dctx_s;
struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace kwire::compression::detail {

using Bytes = std::span<const std::uint8_t>;

// Compression engines append to `out` (level already validated, kDefaultLevel
// allowed). On error they may leave `out` grown; the caller restores its size.

class GzipCompressor {
 public:
  GzipCompressor() = default;
  ~GzipCompressor();
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;
  std::error_code compress(Bytes in, std::vector<std::uint8_t>& out, int level);

 private:
  z_stream_s* stream_ = nullptr;
  int level_ = 0;
};

class Lz4Compressor {
 public:
  Lz4Compressor() = default;
  ~Lz4Compressor();
  Lz4Compressor(const Lz4Compressor&) = delete;
  Lz4Compressor& operator=(const Lz4Compressor&) = delete;
  std::error_code compress(Bytes in, std::vector<std::uint8_t>& out, int level);

 private:
  LZ4F_cctx_s* ctx_ = nullptr;
};

class ZstdCompressor {
 public:
  ZstdCompressor() = default;
  ~ZstdCompressor();
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;
  std::error_code compress(Bytes in, std::vector<std::uint8_t>& out, int level);

 private:
  ZSTD_CCtx_s* ctx_ = nullptr;
};

std::error_code snappy_compress(Bytes in, std::vector<std::uint8_t>& out);

// Decompression engines write through an OutputWindow; the caller finishes or
// discards it.

class GzipDecompressor {
 public:
  GzipDecompressor() = default;
  ~GzipDecompressor();
  GzipDecompressor(const GzipDecompressor&) = delete;
  GzipDecompressor& operator=(const GzipDecompressor&) = delete;
  std::error_code decompress(Bytes in, OutputWindow& out);

 private:
  z_stream_s* stream_ = nullptr;
};

class Lz4Decompressor {
 public:
  Lz4Decompressor() = default;
  ~Lz4Decompressor();
  Lz4Decompressor(const Lz4Decompressor&) = delete;
  Lz4Decompressor& operator=(const Lz4Decompressor&) = delete;
  std::error_code decompress(Bytes in, OutputWindow& out);

 private:
  LZ4F_dctx_s* ctx_ = nullptr;
};

class ZstdDecompressor {
 public:
  ZstdDecompressor() = default;
  ~ZstdDecompressor();
  ZstdDecompressor(const ZstdDecompressor&) = delete;
  ZstdDecompressor& operator=(const ZstdDecompressor&) = delete;
  std::error_code decompress(Bytes in, OutputWindow& out);

 private:
  std::error_code decompress_streaming(Bytes in, OutputWindow& out);
  ZSTD_DCtx_s* ctx_ = nullptr;
};

std::error_code snappy_decompress(Bytes in, OutputWindow& out);

}  // namespace kwire::compression::detail
