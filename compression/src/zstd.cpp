// zstd: one-shot compression with a kept ZSTD_CCtx; decompression either in
// one shot (every frame declares its content size and the total fits the
// limit) or streamed with the limit enforced as output appears.
#include <zstd.h>
#include <zstd_errors.h>

#include "engines.hpp"
#include "kwire/compression/codec.hpp"
#include "kwire/compression/error.hpp"

namespace kwire::compression::detail {
namespace {

std::error_code map_error(std::size_t rc, std::error_code otherwise) {
  if (ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation)
    return std::make_error_code(std::errc::not_enough_memory);
  return otherwise;
}

}  // namespace

ZstdCompressor::~ZstdCompressor() { ZSTD_freeCCtx(ctx_); }

std::error_code ZstdCompressor::compress(Bytes in, std::vector<std::uint8_t>& out, int level) {
  if (ctx_ == nullptr) {
    ctx_ = ZSTD_createCCtx();
    if (ctx_ == nullptr) return std::make_error_code(std::errc::not_enough_memory);
  }
  const std::size_t bound = ZSTD_compressBound(in.size());
  if (ZSTD_isError(bound)) return errc::library_error;  // input beyond zstd's maximum
  const std::size_t base = out.size();
  out.resize(base + bound);
  // ZSTD_compressCCtx reuses the context's workspace; it writes the content
  // size into the frame header, which lets readers size their buffer.
  const int zlevel = level == kDefaultLevel ? kZstdLevels.kafka_default : level;
  const std::size_t written = ZSTD_compressCCtx(ctx_, out.data() + base, bound, in.data(), in.size(), zlevel);
  if (ZSTD_isError(written)) return map_error(written, errc::library_error);
  out.resize(base + written);
  return {};
}

ZstdDecompressor::~ZstdDecompressor() { ZSTD_freeDCtx(ctx_); }

std::error_code ZstdDecompressor::decompress(Bytes in, OutputWindow& out) {
  if (ctx_ == nullptr) {
    ctx_ = ZSTD_createDCtx();
    if (ctx_ == nullptr) return std::make_error_code(std::errc::not_enough_memory);
  }
  if (in.empty()) return errc::corrupt_input;

  // Walk the frames (block headers only) and add up their declared sizes. A
  // declared size is a claim, not a fact: it only serves to reject early or to
  // size the output exactly; the decoder checks every frame against it.
  unsigned long long declared = 0;
  bool all_declared = true;
  for (std::size_t at = 0; at < in.size();) {
    const std::size_t frame_size = ZSTD_findFrameCompressedSize(in.data() + at, in.size() - at);
    if (ZSTD_isError(frame_size)) return errc::corrupt_input;  // bad magic, truncated
    const unsigned long long content = ZSTD_getFrameContentSize(in.data() + at, frame_size);
    if (content == ZSTD_CONTENTSIZE_ERROR) return errc::corrupt_input;
    if (content == ZSTD_CONTENTSIZE_UNKNOWN) {
      all_declared = false;
    } else {
      if (content > out.room() - declared) return errc::output_limit_exceeded;
      declared += content;
    }
    at += frame_size;
  }
  if (!all_declared) return decompress_streaming(in, out);

  // Decoding straight into the output needs no window buffer in the context.
  const std::span<std::uint8_t> region = out.extend(static_cast<std::size_t>(declared));
  const std::size_t rc = ZSTD_decompressDCtx(ctx_, region.data(), region.size(), in.data(), in.size());
  if (ZSTD_isError(rc)) return map_error(rc, errc::corrupt_input);
  if (rc != region.size()) return errc::corrupt_input;
  out.commit(rc);
  return {};
}

std::error_code ZstdDecompressor::decompress_streaming(Bytes in, OutputWindow& out) {
  // Frames without a content size (e.g. the Java client's zstd-jni stream).
  // The context buffers one window (at most 2^27 bytes, zstd's default limit
  // for decoders) and keeps that buffer for later calls.
  const std::size_t reset = ZSTD_DCtx_reset(ctx_, ZSTD_reset_session_only);
  if (ZSTD_isError(reset)) return errc::library_error;
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::uint8_t probe[kProbeSize];
  for (;;) {
    std::span<std::uint8_t> region = out.extend_streaming(ZSTD_DStreamOutSize());
    const bool probing = region.empty();
    if (probing) region = probe;  // at the limit: does the frame have more?
    ZSTD_outBuffer output{region.data(), region.size(), 0};
    const std::size_t consumed_before = input.pos;
    const std::size_t hint = ZSTD_decompressStream(ctx_, &output, &input);
    if (ZSTD_isError(hint)) return map_error(hint, errc::corrupt_input);
    if (probing && output.pos > 0) return errc::output_limit_exceeded;
    if (!probing) out.commit(output.pos);

    if (hint == 0) {  // a frame is decoded and fully flushed
      if (input.pos == input.size) return {};
      continue;       // the next frame
    }
    // zstd stops only when the input is used up or the output is full, so
    // room left with no input left means the frame is truncated.
    if (input.pos == input.size && output.pos < output.size) return errc::corrupt_input;
    if (input.pos == consumed_before && output.pos == 0) return errc::corrupt_input;  // never spin
  }
}

}  // namespace kwire::compression::detail
