// The consumer's zero-copy batch walk (consumer/record_view.hpp), checked
// against the owning decoder (protocol::decode_record_batch).
//
// Input: one mode byte, then a records field (several batches, maybe a
// partial tail). Mode bit 0: rewrite every complete batch's CRC so
// mutations get past the check; bit 1: walk without checking CRCs.
//
// Checked: nothing reads past the input (ASan); parsing stops cleanly at a
// partial tail or an error, which always says why; and for every batch both
// decoders accept, the views give exactly the owning decoder's records
// (offset, timestamp, key, value, headers).
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/compression/decompressor.hpp"
#include "kwire/consumer/record_view.hpp"
#include "record_batch_support.hpp"

using namespace kwire;
using namespace kwire::consumer;

namespace {

bool same_bytes(const std::optional<Bytes>& view, const std::optional<std::vector<std::uint8_t>>& owned) {
  if (view.has_value() != owned.has_value()) return false;
  return !view || std::equal(view->begin(), view->end(), owned->begin(), owned->end());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::vector<std::uint8_t> bytes(data + 1, data + size);
  if (data[0] & 1) kwire::fuzz::fix_all_crcs(bytes);
  const bool check_crc = (data[0] & 2) == 0;

  static compression::Decompressor decompressor;
  static const protocol::RecordsDecompressor owning_decompress = kwire::fuzz::limited_decompressor();
  Bytes rest(bytes);
  while (!rest.empty()) {
    BatchHeader batch;
    std::string why;
    const auto parsed = parse_batch_header(rest, batch, check_crc, &why);
    if (parsed.status == BatchParseStatus::partial) break;
    if (parsed.status == BatchParseStatus::error) {
      KWIRE_FUZZ_CHECK(!why.empty() && parsed.error, "a rejected batch must say why");
      break;
    }
    KWIRE_FUZZ_CHECK(parsed.consumed >= protocol::kRecordBatchHeaderSize && parsed.consumed <= rest.size(),
                     "a batch lies within its input");
    const Bytes whole = rest.first(parsed.consumed);
    rest = rest.subspan(parsed.consumed);

    std::vector<std::uint8_t> decompressed;
    Bytes records = batch.records;
    if (batch.codec() != compression::Codec::none) {
      if (decompressor.decompress(batch.codec(), batch.records, decompressed, kwire::fuzz::kRecordsLimit)) continue;
      records = decompressed;
    }
    std::vector<RecordView> views;
    RecordCursor cursor(batch, records);
    RecordView view;
    while (cursor.next(view)) views.push_back(view);
    if (cursor.error()) KWIRE_FUZZ_CHECK(!cursor.why().empty(), "a bad record must say why");

    protocol::Reader in(whole);
    protocol::RecordBatch owned;
    if (!check_crc || cursor.error() || protocol::decode_record_batch(in, owned, nullptr, owning_decompress)) continue;
    KWIRE_FUZZ_CHECK(owned.records.size() == views.size(), "both decoders see the same records");
    for (std::size_t i = 0; i < views.size(); ++i) {
      const auto& o = owned.records[i];
      const auto& v = views[i];
      KWIRE_FUZZ_CHECK(o.offset == v.offset && o.timestamp == v.timestamp, "same offset and timestamp");
      KWIRE_FUZZ_CHECK(same_bytes(v.key, o.key) && same_bytes(v.value, o.value), "same key and value");
      KWIRE_FUZZ_CHECK(static_cast<std::size_t>(v.headers.size()) == o.headers.size(), "same header count");
      std::size_t h = 0;
      v.headers.for_each([&](const HeaderView& header) {
        KWIRE_FUZZ_CHECK(header.key == o.headers[h].key && same_bytes(header.value, o.headers[h].value),
                         "same header");
        ++h;
      });
    }
  }
  return 0;
}
