// gzip: zlib's deflate/inflate with the RFC 1952 wrapper (windowBits 15 + 16).
// Kafka's "gzip" is the gzip file format (Java's GZIPOutputStream), not a bare
// zlib (RFC 1950) stream.
#define ZLIB_CONST  // next_in is const
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <new>

#include "engines.hpp"
#include "kwire/compression/codec.hpp"
#include "kwire/compression/error.hpp"

namespace kwire::compression::detail {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper only
constexpr int kMemLevel = 8;              // zlib's and Java's Deflater default

// zlib counts in uInt; feed larger buffers in pieces.
constexpr std::size_t kMaxChunk = UINT_MAX;

uInt chunk(std::size_t n) { return static_cast<uInt>(std::min(n, kMaxChunk)); }

}  // namespace

GzipCompressor::~GzipCompressor() {
  if (stream_ != nullptr) deflateEnd(stream_);
  delete stream_;
}

std::error_code GzipCompressor::compress(Bytes in, std::vector<std::uint8_t>& out, int level) {
  // Kafka's default (-1) is zlib's Z_DEFAULT_COMPRESSION (6).
  const int zlevel = level == kDefaultLevel ? Z_DEFAULT_COMPRESSION : level;
  if (stream_ != nullptr && level_ != zlevel) {
    // A level change is rare (one producer, one level); re-initialise.
    deflateEnd(stream_);
    delete stream_;
    stream_ = nullptr;
  }
  if (stream_ == nullptr) {
    auto stream = std::make_unique<z_stream>();
    const int rc = deflateInit2(stream.get(), zlevel, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY);
    if (rc == Z_MEM_ERROR) return std::make_error_code(std::errc::not_enough_memory);
    if (rc != Z_OK) return errc::library_error;
    stream_ = stream.release();
    level_ = zlevel;
  } else if (deflateReset(stream_) != Z_OK) {  // keeps the window and hash tables
    return errc::library_error;
  }

  // deflateBound covers the whole stream, wrapper included, so one pass fits.
  const std::size_t base = out.size();
  const std::size_t bound = deflateBound(stream_, static_cast<uLong>(in.size()));
  out.resize(base + bound);

  z_stream& z = *stream_;
  const std::uint8_t* next_in = in.data();
  std::size_t in_left = in.size();
  std::size_t out_left = bound;
  z.next_out = out.data() + base;
  z.avail_out = 0;
  z.avail_in = 0;
  for (;;) {
    if (z.avail_in == 0 && in_left > 0) {
      z.next_in = next_in;
      z.avail_in = chunk(in_left);
      next_in += z.avail_in;
      in_left -= z.avail_in;
    }
    if (z.avail_out == 0 && out_left > 0) {
      z.avail_out = chunk(out_left);
      out_left -= z.avail_out;
    }
    const int rc = deflate(&z, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) return errc::library_error;
    if (z.avail_out == 0 && out_left == 0) return errc::library_error;  // bound was wrong
  }
  out.resize(static_cast<std::size_t>(z.next_out - out.data()));
  return {};
}

GzipDecompressor::~GzipDecompressor() {
  if (stream_ != nullptr) inflateEnd(stream_);
  delete stream_;
}

std::error_code GzipDecompressor::decompress(Bytes in, OutputWindow& out) {
  if (stream_ == nullptr) {
    auto stream = std::make_unique<z_stream>();
    const int rc = inflateInit2(stream.get(), kGzipWindowBits);
    if (rc == Z_MEM_ERROR) return std::make_error_code(std::errc::not_enough_memory);
    if (rc != Z_OK) return errc::library_error;
    stream_ = stream.release();
  } else if (inflateReset(stream_) != Z_OK) {  // keeps the 32 KiB window allocation
    return errc::library_error;
  }

  z_stream& z = *stream_;
  const std::uint8_t* next_in = in.data();
  std::size_t in_left = in.size();
  z.avail_in = 0;
  std::uint8_t probe[kProbeSize];
  for (;;) {
    if (z.avail_in == 0 && in_left > 0) {
      z.next_in = next_in;
      z.avail_in = chunk(in_left);
      next_in += z.avail_in;
      in_left -= z.avail_in;
    }
    std::span<std::uint8_t> region = out.extend_streaming(kMinChunk);
    const bool probing = region.empty();
    if (probing) region = probe;  // at the limit: does the stream have more?
    z.next_out = region.data();
    z.avail_out = chunk(region.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = region.size() - z.avail_out;
    if (probing && produced > 0) return errc::output_limit_exceeded;
    if (!probing) out.commit(produced);

    switch (rc) {
      case Z_STREAM_END:
        if (z.avail_in == 0 && in_left == 0) return {};
        // Another gzip member follows; Java's GZIPInputStream reads on, so do we.
        if (inflateReset(&z) != Z_OK) return errc::library_error;
        break;
      case Z_OK:
        break;
      case Z_BUF_ERROR:  // no progress possible
        if (z.avail_in == 0 && in_left == 0) return errc::corrupt_input;  // truncated
        if (produced == 0 && z.avail_out > 0) return errc::corrupt_input;
        break;
      case Z_MEM_ERROR:
        return std::make_error_code(std::errc::not_enough_memory);
      default:  // Z_DATA_ERROR (bad data, CRC or length), Z_NEED_DICT, Z_STREAM_ERROR
        return errc::corrupt_input;
    }
  }
}

}  // namespace kwire::compression::detail
