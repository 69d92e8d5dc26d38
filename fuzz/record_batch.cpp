// Record batch v2 decoder (decode_record_batch), with compressed records
// decompressed through compression::Decompressor under a 1 MiB limit.
//
// Input: one mode byte, then one batch.
//   mode bit 0:    rewrite the CRC before decoding, so mutations get past
//                  the CRC check and into the records;
//   mode bits 1-3: 1..4 = compress the records section (bytes 61..end) with
//                  that codec first (gzip, snappy, lz4, zstd) and set the
//                  batch's codec bits and length to match (the CRC is then
//                  rewritten too), so mutated records also travel through
//                  every decompressor; 0 or 5-7 = leave the bytes alone.
//
// On success, besides the invariants of check_decoded_batch(), the records
// are rebuilt with RecordBatchBuilder and decoded again: keys, values,
// headers and timestamps must survive. When the input is exactly what the
// builder writes (base offset 0, only the transactional attribute, offset
// deltas 0..n-1, record attributes 0, max_timestamp the largest timestamp,
// last_offset_delta n-1, and every varint minimal — i.e. the rebuilt batch
// has the same size), the rebuilt bytes must equal the input.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/compression/compressor.hpp"
#include "record_batch_support.hpp"

using namespace kwire::protocol;
using kwire::compression::Codec;

namespace {

using OptView = std::optional<std::span<const std::uint8_t>>;

OptView view(const std::optional<std::vector<std::uint8_t>>& b) {
  if (!b) return std::nullopt;
  return std::span<const std::uint8_t>(*b);
}

void recompress(std::vector<std::uint8_t>& batch, Codec codec) {
  if (batch.size() < kRecordBatchHeaderSize) return;
  static kwire::compression::Compressor compressor;
  std::vector<std::uint8_t> compressed;
  const std::span<const std::uint8_t> records(batch.data() + kRecordBatchHeaderSize,
                                              batch.size() - kRecordBatchHeaderSize);
  KWIRE_FUZZ_CHECK(!compressor.compress(codec, records, compressed), "compressing records failed");
  batch.resize(kRecordBatchHeaderSize);
  batch.insert(batch.end(), compressed.begin(), compressed.end());
  kwire::fuzz::put_be32(batch.data() + batch_offsets::batch_length, static_cast<std::uint32_t>(batch.size() - 12));
  const auto attributes = static_cast<std::uint16_t>(
      ((batch[batch_offsets::attributes] << 8 | batch[batch_offsets::attributes + 1]) & ~batch_attributes::codec_mask) |
      static_cast<int>(codec));
  batch[batch_offsets::attributes] = static_cast<std::uint8_t>(attributes >> 8);
  batch[batch_offsets::attributes + 1] = static_cast<std::uint8_t>(attributes);
}

void check_rebuild(const RecordBatch& batch, std::span<const std::uint8_t> input) {
  RecordBatchBuilder builder(batch.base_timestamp);
  std::vector<RecordHeader> headers;
  for (const Record& r : batch.records) {
    headers.clear();
    for (const auto& h : r.headers) headers.push_back({h.key, view(h.value)});
    builder.append(r.timestamp, view(r.key), view(r.value), headers);
  }
  const auto sealed = builder.seal({.producer_id = batch.producer_id,
                                    .producer_epoch = batch.producer_epoch,
                                    .base_sequence = batch.base_sequence,
                                    .is_transactional = batch.is_transactional(),
                                    .partition_leader_epoch = batch.partition_leader_epoch});
  Reader in(sealed);
  RecordBatch rebuilt;
  std::string why;
  KWIRE_FUZZ_CHECK(!decode_record_batch(in, rebuilt, &why) && in.at_end(), "the builder's batch does not decode");
  KWIRE_FUZZ_CHECK(rebuilt.records.size() == batch.records.size(), "rebuilt record count differs");
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const Record& a = batch.records[i];
    const Record& b = rebuilt.records[i];
    KWIRE_FUZZ_CHECK(a.key == b.key && a.value == b.value && a.headers == b.headers, "rebuilt record differs");
    KWIRE_FUZZ_CHECK(a.timestamp == b.timestamp, "rebuilt timestamp differs");
    KWIRE_FUZZ_CHECK(b.offset == static_cast<std::int64_t>(i) && b.attributes == 0, "builder offsets/attributes");
  }

  const bool builder_shaped =
      !batch.records.empty() && batch.base_offset == 0 &&
      (batch.attributes & ~batch_attributes::transactional) == 0 &&
      batch.last_offset_delta == batch.records_count - 1 && batch.max_timestamp == rebuilt.max_timestamp &&
      std::all_of(batch.records.begin(), batch.records.end(), [&, i = std::int64_t{0}](const Record& r) mutable {
        return r.attributes == 0 && r.offset == i++;
      });
  if (builder_shaped && sealed.size() == input.size())
    KWIRE_FUZZ_CHECK(std::equal(sealed.begin(), sealed.end(), input.begin()),
                     "a canonical batch re-encodes to different bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  std::vector<std::uint8_t> bytes(data + 1, data + size);
  const int codec = (mode >> 1) & 7;
  if (codec >= 1 && codec <= 4) {
    recompress(bytes, static_cast<Codec>(codec));
    kwire::fuzz::fix_crc(bytes);
  } else if (mode & 1) {
    kwire::fuzz::fix_crc(bytes);
  }

  static const RecordsDecompressor decompress = kwire::fuzz::limited_decompressor();
  Reader in(bytes);
  RecordBatch batch;
  std::string why;
  if (decode_record_batch(in, batch, &why, decompress)) {
    KWIRE_FUZZ_CHECK(!in.ok(), "a failed decode must fail the reader");
    KWIRE_FUZZ_CHECK(!why.empty(), "a failed decode must say why");
    return 0;
  }
  KWIRE_FUZZ_CHECK(in.ok(), "a successful decode left the reader failed");
  const auto consumed = std::span<const std::uint8_t>(bytes).first(in.position());
  kwire::fuzz::check_decoded_batch(batch, consumed);
  if (!batch.uses_log_append_time()) check_rebuild(batch, consumed);
  return 0;
}
