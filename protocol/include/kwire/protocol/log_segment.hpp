#pragma once
// Walking a Kafka log segment file (<log.dir>/<topic>-<partition>/<base offset>.log),
// the file kafka-dump-log reads. A segment is nothing but record batches back
// to back, exactly as the broker appended them — the producer's bytes, with
// base_offset (and partition_leader_epoch) assigned by the broker, so with
// topic compression.type=producer (the default) a batch keeps the codec the
// producer chose. No file header, no padding, no index: each entry is
//
//   base_offset int64, batch_length int32 (the 12-byte "LOG_OVERHEAD"),
//   then batch_length bytes
//
// (Kafka's FileRecords / FileLogInputStream). The walker frames entries the
// way FileLogInputStream does: a batch_length below 14 (the smallest legacy
// message, LegacyRecord.RECORD_OVERHEAD_V0) cannot frame anything and stops
// the walk as corrupt; an entry longer than the bytes left is the segment's
// truncated tail (a segment being written, or a cut copy). Each framed entry
// is then decoded on its own — CRC-32C, decompression, every record — and an
// entry that fails is reported and skipped, since its length still frames the
// next one.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <system_error>

#include "kwire/protocol/record_batch.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// Bytes before every batch in a segment: base_offset int64 + batch_length int32.
inline constexpr std::size_t kLogOverhead = 12;
/// The smallest batch_length that can frame an entry of any magic (Kafka's
/// LegacyRecord.RECORD_OVERHEAD_V0: crc, magic, attributes, key and value lengths).
inline constexpr std::int32_t kMinLogEntryLength = 14;

/// One entry of a segment, as the walker found it.
struct SegmentBatch {
  std::size_t position = 0;  ///< byte offset of the entry in the segment
  std::size_t size = 0;      ///< bytes it takes: kLogOverhead + batch_length
  /// The header fields as stored, filled whenever the entry is a whole v2
  /// header (base_offset, batch_length and magic always); `records` only when
  /// the batch decoded (`error` empty).
  RecordBatch batch;
  /// CRC-32C of the bytes the CRC covers (attributes .. end); meaningful for
  /// magic 2 with a whole header.
  std::uint32_t computed_crc = 0;
  bool crc_ok = false;
  /// Why the batch did not decode: crc_mismatch, malformed (wrong magic,
  /// short header, bad record), truncated, trailing_bytes, or the
  /// decompressor's code. Empty when it decoded.
  std::error_code error;
  std::string why;  ///< human-readable reason, naming the field at fault
};

/// How a walk ended.
enum class SegmentEnd {
  complete,        ///< the last entry ends exactly at the end of the segment
  truncated_tail,  ///< the segment ends inside an entry: being written, or cut short
  corrupt,         ///< a batch_length that cannot frame an entry: the rest is unreadable
};

/// "complete", "truncated_tail", "corrupt".
const char* segment_end_name(SegmentEnd end) noexcept;

struct SegmentSummary {
  std::size_t batches = 0;       ///< entries framed, good and bad
  std::size_t bad_batches = 0;   ///< entries reported with an error
  std::size_t records = 0;       ///< records decoded
  std::size_t bytes_walked = 0;  ///< where the walk stopped: the end of the last framed entry
  SegmentEnd end = SegmentEnd::complete;
  /// For truncated_tail (client_errc::truncated) or corrupt (client_errc::malformed).
  std::error_code error;
  std::string why;
  /// Every entry decoded and the segment ended cleanly.
  bool ok() const noexcept { return end == SegmentEnd::complete && bad_batches == 0; }
};

/// Called once per framed entry; the SegmentBatch is valid only during the call.
using SegmentBatchHandler = std::function<void(const SegmentBatch&)>;

/// Walks `segment` entry by entry, calling `on_batch` for each (when given).
/// Compressed batches need `decompress` (which should enforce an output
/// limit); without it they are reported with `malformed`. Never reads past
/// `segment`, never allocates from a length it has not checked against the
/// bytes present, never throws (unless `on_batch` or `decompress` does).
SegmentSummary walk_log_segment(std::span<const std::uint8_t> segment, const SegmentBatchHandler& on_batch,
                                const RecordsDecompressor& decompress = {});

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
