#pragma once
// Compressing a record batch's records section with the codec Kafka expects:
//   gzip   - the gzip wrapper (RFC 1952), not a bare zlib stream
//   snappy - raw snappy, as librdkafka and franz-go write (brokers and every
//            client read it; the Java client's xerial framing is not needed)
//   lz4    - one LZ4 frame, independent blocks, 64 KiB max block size, no block
//            or content checksum, no content size: the frame descriptor Kafka's
//            Java client writes (Lz4BlockOutputStream: FLG 0x60, BD 0x40). The
//            broker rejects dependent blocks.
//   zstd   - one zstd frame (with its content size)
//   none   - the input copied unchanged
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

/// Keeps each codec's compression context (z_stream, LZ4F_cctx, ZSTD_CCtx)
/// between calls, so that compressing a batch allocates nothing once the
/// contexts exist and `out` has capacity. A context is created the first time
/// its codec is used. (snappy has no context API: libsnappy allocates its hash
/// table per call.)
///
/// Not thread-safe: use one per thread (the producer's sender thread owns one).
class Compressor {
 public:
  Compressor() noexcept;
  ~Compressor();
  Compressor(Compressor&&) noexcept;
  Compressor& operator=(Compressor&&) noexcept;
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  /// Appends `in` compressed with `codec` at `level` to `out` (what `out` held is
  /// kept; its spare capacity is used before it grows). On error `out` is left
  /// as it was. Errors: invalid_level (see is_valid_level), unsupported_codec,
  /// library_error, std::errc::not_enough_memory.
  std::error_code compress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out,
                           int level = kDefaultLevel) noexcept;

 private:
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
};

/// One-off compress(): creates and frees the codec's context on every call.
/// Keep a Compressor on hot paths.
std::error_code compress(Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out,
                         int level = kDefaultLevel) noexcept;

}  // namespace kwire::compression

KWIRE_PUBLIC_END
