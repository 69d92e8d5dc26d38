// Log segment walker. The input is a file from disk: trusted no more than a
// network buffer (it may be half written, zero-filled after a crash, or
// hand-crafted), so every length is checked against the bytes present first.
#include "kwire/protocol/log_segment.hpp"

#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/crc32c.hpp"

namespace kwire::protocol {
namespace {

std::string entry_at(std::size_t position) { return "the entry at byte " + std::to_string(position); }

// Fills the v2 header fields of `out` from a whole entry (`entry` holds at
// least kRecordBatchHeaderSize bytes) and checks its CRC.
void read_v2_header(std::span<const std::uint8_t> entry, SegmentBatch& out) {
  Reader r(entry);
  RecordBatch& b = out.batch;
  b.base_offset = r.read_int64();
  b.batch_length = r.read_int32();
  b.partition_leader_epoch = r.read_int32();
  b.magic = r.read_int8();
  b.crc = r.read_uint32();
  b.attributes = r.read_int16();
  b.last_offset_delta = r.read_int32();
  b.base_timestamp = r.read_int64();
  b.max_timestamp = r.read_int64();
  b.producer_id = r.read_int64();
  b.producer_epoch = r.read_int16();
  b.base_sequence = r.read_int32();
  b.records_count = r.read_int32();
  out.computed_crc = crc32c(entry.subspan(batch_offsets::attributes));
  out.crc_ok = out.computed_crc == b.crc;
}

}  // namespace

const char* segment_end_name(SegmentEnd end) noexcept {
  switch (end) {
    case SegmentEnd::complete: return "complete";
    case SegmentEnd::truncated_tail: return "truncated_tail";
    case SegmentEnd::corrupt: return "corrupt";
  }
  return "unknown";
}

SegmentSummary walk_log_segment(std::span<const std::uint8_t> segment, const SegmentBatchHandler& on_batch,
                                const RecordsDecompressor& decompress) {
  SegmentSummary summary;
  std::size_t pos = 0;
  SegmentBatch entry;
  while (pos < segment.size()) {
    const std::size_t left = segment.size() - pos;
    if (left < kLogOverhead) {
      summary.end = SegmentEnd::truncated_tail;
      summary.error = make_error_code(client_errc::truncated);
      summary.why = "the segment ends " + std::to_string(left) + " bytes into " + entry_at(pos) +
                    ", inside its 12-byte base_offset/batch_length";
      break;
    }
    Reader head(segment.subspan(pos, kLogOverhead));
    const std::int64_t base_offset = head.read_int64();
    const std::int32_t batch_length = head.read_int32();
    if (batch_length < kMinLogEntryLength) {
      summary.end = SegmentEnd::corrupt;
      summary.error = make_error_code(client_errc::malformed);
      summary.why = entry_at(pos) + " declares batch_length " + std::to_string(batch_length) +
                    ", below the 14 bytes of the smallest entry: the rest of the segment cannot be framed";
      if (batch_length == 0 && base_offset == 0) summary.why += " (zero bytes: a zero-filled tail?)";
      break;
    }
    const auto length = static_cast<std::size_t>(batch_length);
    if (length > left - kLogOverhead) {
      summary.end = SegmentEnd::truncated_tail;
      summary.error = make_error_code(client_errc::truncated);
      summary.why = entry_at(pos) + " (base_offset " + std::to_string(base_offset) + ") declares batch_length " +
                    std::to_string(batch_length) + " but only " + std::to_string(left - kLogOverhead) +
                    " bytes follow: a truncated tail (a segment being written?) or a corrupt length";
      break;
    }

    const std::span<const std::uint8_t> bytes = segment.subspan(pos, kLogOverhead + length);
    entry.position = pos;
    entry.size = bytes.size();
    entry.batch = RecordBatch{};
    entry.batch.base_offset = base_offset;
    entry.batch.batch_length = batch_length;
    entry.batch.magic = static_cast<std::int8_t>(bytes[batch_offsets::magic]);
    entry.computed_crc = 0;
    entry.crc_ok = false;
    entry.error.clear();
    entry.why.clear();

    if (entry.batch.magic != kRecordBatchMagic) {
      entry.error = make_error_code(client_errc::malformed);
      entry.why = "magic " + std::to_string(entry.batch.magic) +
                  ": a legacy message set (v0/v1) or garbage; only record batch v2 is decoded";
    } else if (bytes.size() < kRecordBatchHeaderSize) {
      entry.error = make_error_code(client_errc::malformed);
      entry.why = "batch_length " + std::to_string(batch_length) + " is smaller than the 49 header bytes it must count";
    } else {
      read_v2_header(bytes, entry);
      RecordBatch decoded;
      Reader in(bytes);
      if (auto ec = decode_record_batch(in, decoded, &entry.why, decompress)) {
        entry.error = ec;
      } else {
        entry.batch = std::move(decoded);
        summary.records += entry.batch.records.size();
      }
    }

    ++summary.batches;
    if (entry.error) ++summary.bad_batches;
    pos += bytes.size();
    summary.bytes_walked = pos;
    if (on_batch) on_batch(entry);
  }
  return summary;
}

}  // namespace kwire::protocol
