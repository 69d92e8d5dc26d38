#pragma once
// Shared by the record batch targets: the decompressor the decoder gets, CRC
// patching (so mutations reach the records instead of dying at the CRC
// check), and the checks a successfully decoded batch must pass.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/compression/decompressor.hpp"
#include "kwire/protocol/crc32c.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::fuzz {

/// Decompressed records above this are refused: a small limit, so the
/// fuzzer cannot spend its time (or memory) on legitimate big batches.
inline constexpr std::size_t kRecordsLimit = std::size_t{1} << 20;

/// A RecordsDecompressor over one long-lived Decompressor (as the mock
/// cluster and a consumer keep one), with the 1 MiB limit; checks the limit
/// held.
inline protocol::RecordsDecompressor limited_decompressor() {
  return [](compression::Codec codec, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
    static compression::Decompressor decompressor;
    const std::error_code ec = decompressor.decompress(codec, in, out, kRecordsLimit);
    KWIRE_FUZZ_CHECK(out.size() <= kRecordsLimit, "decompressed records exceed the limit");
    return ec;
  };
}

inline std::uint32_t get_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void put_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

/// Rewrites the CRC of the batch starting at `batch[0]` over what its
/// batch_length covers (clamped to the bytes present); returns the bytes the
/// batch spans (0 if it has no complete header to patch).
inline std::size_t fix_crc(std::span<std::uint8_t> batch) {
  if (batch.size() < protocol::kRecordBatchHeaderSize) return 0;
  const auto length = static_cast<std::int32_t>(get_be32(batch.data() + protocol::batch_offsets::batch_length));
  if (length < static_cast<std::int32_t>(protocol::kRecordBatchHeaderSize - 12)) return 0;
  const std::size_t end = std::min(batch.size(), std::size_t{12} + static_cast<std::size_t>(length));
  put_be32(batch.data() + protocol::batch_offsets::crc,
           protocol::crc32c(batch.subspan(protocol::batch_offsets::attributes,
                                          end - protocol::batch_offsets::attributes)));
  return end;
}

/// fix_crc() on every batch of a sequence of batches laid end to end, so
/// mutations reach past the CRC check of each one.
inline void fix_all_crcs(std::span<std::uint8_t> batches) {
  while (true) {
    const std::size_t spanned = fix_crc(batches);
    if (spanned == 0 || spanned >= batches.size()) return;
    batches = batches.subspan(spanned);
  }
}

/// What every decoded batch satisfies, whatever bytes it came from.
inline void check_decoded_batch(const protocol::RecordBatch& batch, std::span<const std::uint8_t> bytes) {
  using protocol::kRecordBatchMagic;
  KWIRE_FUZZ_CHECK(bytes.size() == std::size_t{12} + static_cast<std::size_t>(batch.batch_length),
                   "a decoded batch spans exactly 12 + batch_length bytes");
  KWIRE_FUZZ_CHECK(batch.magic == kRecordBatchMagic, "decoded a batch that is not magic 2");
  KWIRE_FUZZ_CHECK(batch.crc == protocol::crc32c(bytes.subspan(protocol::batch_offsets::attributes)),
                   "decoded a batch whose CRC does not match");
  KWIRE_FUZZ_CHECK(batch.records_count >= 0 && batch.records.size() == static_cast<std::size_t>(batch.records_count),
                   "records.size() != records_count");
  for (const auto& record : batch.records) {
    if (batch.uses_log_append_time())
      KWIRE_FUZZ_CHECK(record.timestamp == batch.max_timestamp, "LogAppendTime records report max_timestamp");
  }
}

}  // namespace kwire::fuzz
