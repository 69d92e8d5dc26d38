// The log segment walker (walk_log_segment, behind `kwire dump-log`): entries
// back to back as a broker's .log file holds them, possibly ending in a
// truncated tail or a length that cannot frame an entry, with the 1 MiB
// decompression limit.
//
// Input: one mode byte, then the segment. Mode bit 0: rewrite the CRC of
// every entry whose header is complete, walking by batch_length, so
// mutations get past the CRC check.
//
// Checked: entries are reported in order, contiguous from byte 0, each
// inside the input; the summary's counts match what was reported; the walk
// ends exactly at the input's end when complete and short of it otherwise;
// every entry without an error satisfies what any decoded batch does and
// decodes alone to the same value.
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/protocol/log_segment.hpp"
#include "record_batch_support.hpp"

using namespace kwire::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::vector<std::uint8_t> bytes(data + 1, data + size);
  if (data[0] & 1) kwire::fuzz::fix_all_crcs(bytes);

  static const RecordsDecompressor decompress = kwire::fuzz::limited_decompressor();
  std::size_t next = 0, reported = 0, bad = 0, records = 0;
  const SegmentSummary summary = walk_log_segment(
      bytes,
      [&](const SegmentBatch& e) {
        KWIRE_FUZZ_CHECK(e.position == next, "entries are not contiguous from byte 0");
        KWIRE_FUZZ_CHECK(e.size >= kLogOverhead + kMinLogEntryLength, "an entry shorter than the smallest one");
        KWIRE_FUZZ_CHECK(e.position + e.size <= bytes.size(), "an entry runs past the input");
        next = e.position + e.size;
        ++reported;
        if (e.error) {
          ++bad;
          KWIRE_FUZZ_CHECK(!e.why.empty(), "a bad entry must say why");
          return;
        }
        const auto one = std::span<const std::uint8_t>(bytes).subspan(e.position, e.size);
        KWIRE_FUZZ_CHECK(e.crc_ok, "an entry decoded with a bad CRC");
        kwire::fuzz::check_decoded_batch(e.batch, one);
        records += e.batch.records.size();
        Reader in(one);
        RecordBatch alone;
        KWIRE_FUZZ_CHECK(!decode_record_batch(in, alone, nullptr, decompress) && in.at_end(),
                         "a good entry does not decode alone");
        KWIRE_FUZZ_CHECK(alone == e.batch, "an entry decodes differently alone");
      },
      decompress);

  KWIRE_FUZZ_CHECK(summary.batches == reported && summary.bad_batches == bad && summary.records == records,
                   "the summary disagrees with the entries reported");
  KWIRE_FUZZ_CHECK(summary.bytes_walked == next, "bytes_walked is not the end of the last entry");
  if (summary.end == SegmentEnd::complete) {
    KWIRE_FUZZ_CHECK(next == bytes.size() && !summary.error, "a complete walk stops short of the end");
  } else {
    KWIRE_FUZZ_CHECK(next < bytes.size() && summary.error && !summary.why.empty(),
                     "an unclean end without unread bytes or a reason");
  }
  return 0;
}
