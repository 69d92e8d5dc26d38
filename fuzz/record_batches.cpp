// The `records` field decoder (decode_record_batches): several batches back
// to back, possibly ending in a partial batch (a Fetch response cut at
// max_bytes), with the 1 MiB decompression limit.
//
// Input: one mode byte, then the records field. Mode bit 0: rewrite the CRC
// of every batch whose header is complete, walking the field by
// batch_length, so mutations get past the CRC check.
//
// On success: the batches and the partial tail account for every input
// byte, and each batch decodes alone, with decode_record_batch, to the same
// value. On failure: a reason is given.
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "record_batch_support.hpp"

using namespace kwire::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::vector<std::uint8_t> bytes(data + 1, data + size);
  if (data[0] & 1) kwire::fuzz::fix_all_crcs(bytes);

  static const RecordsDecompressor decompress = kwire::fuzz::limited_decompressor();
  std::vector<RecordBatch> batches;
  std::string why;
  std::size_t tail = 0;
  if (decode_record_batches(bytes, batches, &why, decompress, &tail)) {
    KWIRE_FUZZ_CHECK(!why.empty(), "a failed decode must say why");
    return 0;
  }
  KWIRE_FUZZ_CHECK(tail <= bytes.size(), "partial tail larger than the input");

  std::size_t at = 0;
  for (const RecordBatch& batch : batches) {
    const std::size_t length = std::size_t{12} + static_cast<std::size_t>(batch.batch_length);
    KWIRE_FUZZ_CHECK(at + length <= bytes.size(), "a batch runs past the input");
    const auto one = std::span<const std::uint8_t>(bytes).subspan(at, length);
    kwire::fuzz::check_decoded_batch(batch, one);
    Reader in(one);
    RecordBatch alone;
    KWIRE_FUZZ_CHECK(!decode_record_batch(in, alone, nullptr, decompress) && in.at_end(),
                     "a batch of a good records field does not decode alone");
    KWIRE_FUZZ_CHECK(alone == batch, "a batch decodes differently alone");
    at += length;
  }
  KWIRE_FUZZ_CHECK(at + tail == bytes.size(), "batches + partial tail do not account for the input");
  if (tail > 0) {
    // A tail is only ever a batch that is cut short, never a bad one.
    Reader in(std::span<const std::uint8_t>(bytes).subspan(at));
    RecordBatch cut;
    const std::error_code ec = decode_record_batch(in, cut, nullptr, decompress);
    KWIRE_FUZZ_CHECK(ec == kwire::client_errc::truncated || ec == kwire::client_errc::length_exceeds_input,
                     "the partial tail is not a truncated batch");
  }
  return 0;
}
