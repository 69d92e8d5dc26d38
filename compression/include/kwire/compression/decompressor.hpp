#pragma once
// Decompressing a record batch's records section. The input is untrusted: every
// codec enforces `max_output_bytes` while it decodes (a size a frame header
// claims is at most a hint, capped by the limit), so a decompression bomb stops
// with output_limit_exceeded having grown `out` by no more than the limit.
// Corrupt or truncated input returns corrupt_input; nothing throws or hangs.
//
// What each codec accepts:
//   gzip   - gzip members (RFC 1952, CRC-32 and length checked); several
//            concatenated members decode to their concatenation, as Java's
//            GZIPInputStream does. Bytes after the last member are corrupt_input.
//   snappy - raw snappy, or the xerial framing the Java client writes, detected by
//            its 8-byte magic "\x82SNAPPY\0" alone (then int32 version, int32
//            compatible version, and big-endian int32 length-prefixed raw
//            blocks; a repeated header between blocks, as snappy-java writes when
//            streams are concatenated, is skipped).
//   lz4    - LZ4 frames (independent or linked blocks, any block size,
//            checksums verified when present), concatenated frames allowed.
//   zstd   - zstd frames, concatenated and skippable frames allowed. The
//            decoder's own window buffer is bounded by zstd's default window
//            limit (2^27 bytes), as in every Kafka client.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include "kwire/compression/codec.hpp"
#include "kwire/compression/error.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::compression {

/// Keeps each codec's decompression context (z_stream, LZ4F_dctx, ZSTD_DCtx)
/// between calls; a context is created the first time its codec is used, and
/// reset (not recreated) by every call, including after a failed one.
///
/// Not thread-safe: use one per thread.
class Decompressor {
 public:
  Decompressor() noexcept;
  ~Decompressor();
  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  /// Appends the decompressed `in` to `out`, producing at most
  /// `max_output_bytes` bytes (what `out` held before does not count). Uses
  /// `out`'s spare capacity first and never grows its capacity beyond
  /// `out.size() + max_output_bytes` (measured at entry). On error `out`'s
  /// size is restored. Errors: corrupt_input, output_limit_exceeded,
  /// unsupported_codec, library_error, std::errc::not_enough_memory.
  std::error_code decompress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out,
                             std::size_t max_output_bytes) noexcept;

 private:
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
};

/// One-off decompress(): creates and frees the codec's context on every call.
/// Keep a Decompressor on hot paths.
std::error_code decompress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out,
                           std::size_t max_output_bytes) noexcept;

}  // namespace kwire::compression

KWIRE_PUBLIC_END
