// lz4: the LZ4 frame format through liblz4's LZ4F API.
//
// Kafka's Java client (Lz4BlockOutputStream) writes FLG = 0x60 (version 01,
// block independence, no block/content checksum, no content size) and BD =
// 0x40 (64 KiB blocks); its broker and Lz4BlockInputStream reject dependent
// blocks, which is liblz4's default. We write the same descriptor. (The broken
// header checksum of magic v0 messages, KAFKA-3160, does not concern v2
// batches.)
#include <lz4frame.h>

#include <cstring>

#include "engines.hpp"
#include "kwire/compression/codec.hpp"
#include "kwire/compression/error.hpp"

namespace kwire::compression::detail {
namespace {

// Java uses lz4-java's fast compressor for the default level 9 and its HC
// compressor for any other level; LZ4F level 0 is the fast compressor.
int lz4f_level(int level) {
  if (level == kDefaultLevel || level == kLz4Levels.kafka_default) return 0;
  return level;
}

LZ4F_preferences_t kafka_preferences(int level) {
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof prefs);  // reserved fields must be zero
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.frameInfo.frameType = LZ4F_frame;
  prefs.frameInfo.contentSize = 0;  // not written, as Java does not
  prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
  prefs.compressionLevel = lz4f_level(level);
  // Compress straight from the input: with independent blocks liblz4 then
  // needs no internal staging buffer.
  prefs.autoFlush = 1;
  return prefs;
}

std::error_code map_error(std::size_t rc, std::error_code otherwise) {
  // LZ4F_getErrorCode is not exported by every liblz4 build; the name is.
  if (std::strcmp(LZ4F_getErrorName(rc), "ERROR_allocation_failed") == 0)
    return std::make_error_code(std::errc::not_enough_memory);
  return otherwise;
}

}  // namespace

Lz4Compressor::~Lz4Compressor() { LZ4F_freeCompressionContext(ctx_); }

std::error_code Lz4Compressor::compress(Bytes in, std::vector<std::uint8_t>& out, int level) {
  if (ctx_ == nullptr) {
    LZ4F_cctx* ctx = nullptr;
    const std::size_t rc = LZ4F_createCompressionContext(&ctx, LZ4F_VERSION);
    if (LZ4F_isError(rc)) return map_error(rc, errc::library_error);
    ctx_ = ctx;
  }
  const LZ4F_preferences_t prefs = kafka_preferences(level);
  // Header, every block of `in`, end mark (LZ4F_compressBound includes it).
  const std::size_t bound = LZ4F_HEADER_SIZE_MAX + LZ4F_compressBound(in.size(), &prefs);
  const std::size_t base = out.size();
  out.resize(base + bound);
  std::uint8_t* dst = out.data() + base;
  std::size_t left = bound;

  // LZ4F_compressBegin resets the context, so a failed call leaves no state.
  std::size_t rc = LZ4F_compressBegin(ctx_, dst, left, &prefs);
  if (LZ4F_isError(rc)) return map_error(rc, errc::library_error);
  dst += rc;
  left -= rc;
  if (!in.empty()) {
    rc = LZ4F_compressUpdate(ctx_, dst, left, in.data(), in.size(), nullptr);
    if (LZ4F_isError(rc)) return map_error(rc, errc::library_error);
    dst += rc;
    left -= rc;
  }
  rc = LZ4F_compressEnd(ctx_, dst, left, nullptr);
  if (LZ4F_isError(rc)) return map_error(rc, errc::library_error);
  left -= rc;
  out.resize(base + bound - left);
  return {};
}

Lz4Decompressor::~Lz4Decompressor() { LZ4F_freeDecompressionContext(ctx_); }

namespace {

// Decodes the frames of `in` into `out`, region by region.
std::error_code decode_frames(LZ4F_dctx* ctx, Bytes in, OutputWindow& out) {
  // liblz4 checks each block against the frame's block size and the content
  // size (when present) against what was decoded; it never allocates from the
  // content size. We bound the output ourselves, region by region.
  LZ4F_decompressOptions_t options;
  std::memset(&options, 0, sizeof options);  // stableDst = 0: our buffer may move
  const std::uint8_t* src = in.data();
  std::size_t src_left = in.size();
  std::uint8_t probe[kProbeSize];
  for (;;) {
    std::span<std::uint8_t> region = out.extend_streaming(kMinChunk);
    const bool probing = region.empty();
    if (probing) region = probe;  // at the limit: does the frame have more?
    std::size_t produced = region.size();
    std::size_t consumed = src_left;
    const std::size_t hint = LZ4F_decompress(ctx, region.data(), &produced, src, &consumed, &options);
    if (LZ4F_isError(hint)) return map_error(hint, errc::corrupt_input);
    if (probing && produced > 0) return errc::output_limit_exceeded;
    if (!probing) out.commit(produced);
    src += consumed;
    src_left -= consumed;

    if (hint == 0) {          // a frame ended
      if (src_left == 0) return {};
      continue;               // another frame (or a skippable one) follows
    }
    // The frame wants more input. LZ4F_decompress stops only when the input
    // is used up or the output region is full, so room left means truncated.
    if (src_left == 0 && produced < region.size()) return errc::corrupt_input;
    if (consumed == 0 && produced == 0) return errc::corrupt_input;  // no progress: never spin
  }
}

}  // namespace

std::error_code Lz4Decompressor::decompress(Bytes in, OutputWindow& out) {
  if (ctx_ == nullptr) {
    LZ4F_dctx* ctx = nullptr;
    const std::size_t rc = LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION);
    if (LZ4F_isError(rc)) return map_error(rc, errc::library_error);
    ctx_ = ctx;
  } else {
    LZ4F_resetDecompressionContext(ctx_);  // keeps its block buffers
  }
  if (in.empty()) return errc::corrupt_input;

  // A call that stops inside a frame (corrupt input, or the output limit)
  // drops the context rather than resetting it next time: liblz4 1.9.4's
  // LZ4F_resetDecompressionContext does not clear the content size left of
  // an unfinished frame (1.10 does), so the next frame *without* a content
  // size would fail with frameSize_wrong — one bad batch would poison the
  // next good one. Found by fuzz/decompress (reused vs fresh Decompressor).
  const auto drop_context = [this] {
    LZ4F_freeDecompressionContext(ctx_);
    ctx_ = nullptr;
  };
  std::error_code ec;
  try {
    ec = decode_frames(ctx_, in, out);
  } catch (...) {  // std::bad_alloc from the output window
    drop_context();
    throw;
  }
  if (ec) drop_context();
  return ec;
}

}  // namespace kwire::compression::detail
