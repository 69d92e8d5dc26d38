// The log segment walker on crafted segment bytes: whole segments, every
// possible truncation, corrupt CRCs, hostile lengths, zero-filled tails.
#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <kwire/compression/compressor.hpp>
#include <kwire/compression/decompressor.hpp>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/crc32c.hpp"
#include "kwire/protocol/log_segment.hpp"

using namespace kwire::protocol;
using kwire::client_errc;
using kwire::compression::Codec;

namespace {

using Bytes = std::vector<std::uint8_t>;
using OptView = std::optional<std::span<const std::uint8_t>>;

std::span<const std::uint8_t> view(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
Bytes bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

void put_be32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
void put_be64(Bytes& b, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}
// Recomputes the CRC of the batch starting at `at` (after editing covered bytes).
void reseal_crc(Bytes& b, std::size_t at, std::size_t size) {
  const std::span<const std::uint8_t> covered(b.data() + at + batch_offsets::attributes,
                                              size - batch_offsets::attributes);
  put_be32(b, at + batch_offsets::crc, crc32c(covered));
}

const RecordsDecompressor kDecompress = [](Codec codec, std::span<const std::uint8_t> in, Bytes& out) {
  return kwire::compression::decompress(codec, in, out, std::size_t{16} << 20);
};

/// A batch as the broker stores it: base_offset assigned, leader epoch set
/// (neither is covered by the CRC, as in Kafka).
Bytes stored_batch(std::int64_t base_offset, Codec codec, int first, int count) {
  RecordBatchBuilder builder(1700000000000);
  for (int i = first; i < first + count; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const std::string value = "value " + std::to_string(i) + " " + std::string(200, 'a');
    const Bytes header_value = bytes_of("hv" + std::to_string(i));
    const RecordHeader headers[] = {{"h", std::span<const std::uint8_t>(header_value)}, {"null", std::nullopt}};
    const OptView key_view = i % 3 == 0 ? OptView{} : OptView{view(key)};
    builder.append(1700000000000 + i, key_view, view(value), headers);
  }
  BatchSealParams params;
  params.codec = codec;
  params.producer_id = 42;
  params.producer_epoch = 1;
  params.base_sequence = first;
  const RecordsCompressor compress = [](Codec c, std::span<const std::uint8_t> in, Bytes& out) {
    out.clear();
    return !kwire::compression::compress(c, in, out);
  };
  const auto sealed = builder.seal(params, compress);
  Bytes b(sealed.begin(), sealed.end());
  put_be64(b, batch_offsets::base_offset, static_cast<std::uint64_t>(base_offset));
  put_be32(b, batch_offsets::partition_leader_epoch, 7);
  return b;
}

struct Segment {
  Bytes bytes;
  std::vector<std::size_t> starts;  ///< where each batch begins
};

Segment three_batches() {
  Segment s;
  const struct {
    std::int64_t base;
    Codec codec;
    int first;
    int count;
  } parts[] = {{0, Codec::none, 0, 3}, {3, Codec::gzip, 3, 4}, {7, Codec::zstd, 7, 2}};
  for (const auto& p : parts) {
    s.starts.push_back(s.bytes.size());
    const Bytes b = stored_batch(p.base, p.codec, p.first, p.count);
    s.bytes.insert(s.bytes.end(), b.begin(), b.end());
  }
  return s;
}

struct Walk {
  SegmentSummary summary;
  std::vector<SegmentBatch> batches;
};

Walk walk(std::span<const std::uint8_t> bytes, const RecordsDecompressor& decompress = kDecompress) {
  Walk w;
  w.summary = walk_log_segment(bytes, [&](const SegmentBatch& b) { w.batches.push_back(b); }, decompress);
  return w;
}

}  // namespace

TEST_CASE("log segment: an empty segment is complete and holds nothing") {
  const Walk w = walk({});
  CHECK(w.summary.ok());
  CHECK(w.summary.end == SegmentEnd::complete);
  CHECK(w.summary.batches == 0);
  CHECK(w.batches.empty());
}

TEST_CASE("log segment: batches back to back decode with their codecs, offsets and records") {
  const Segment s = three_batches();
  const Walk w = walk(s.bytes);
  CHECK(w.summary.ok());
  CHECK(w.summary.end == SegmentEnd::complete);
  CHECK(w.summary.batches == 3);
  CHECK(w.summary.records == 9);
  CHECK(w.summary.bytes_walked == s.bytes.size());
  REQUIRE(w.batches.size() == 3);

  const Codec codecs[] = {Codec::none, Codec::gzip, Codec::zstd};
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    const SegmentBatch& b = w.batches[i];
    CHECK(b.position == s.starts[i]);
    CHECK(b.size == (i + 1 < 3 ? s.starts[i + 1] : s.bytes.size()) - s.starts[i]);
    CHECK_FALSE(b.error);
    CHECK(b.crc_ok);
    CHECK(b.computed_crc == b.batch.crc);
    CHECK(b.batch.codec() == codecs[i]);
    CHECK(b.batch.partition_leader_epoch == 7);
    CHECK(b.batch.producer_id == 42);
    CHECK(b.batch.producer_epoch == 1);
    CHECK(static_cast<std::size_t>(b.batch.records_count) == b.batch.records.size());
  }
  // Compression really happened: the compressed batches are smaller than
  // their records in plain form would be (200-byte runs of 'a').
  CHECK(w.batches[1].size < 4 * 200);
  CHECK(w.batches[2].size < 2 * 200);

  // Every record, with absolute offsets, null keys, headers and null header values.
  int i = 0;
  for (const SegmentBatch& b : w.batches) {
    CHECK(b.batch.base_sequence == i);
    for (const Record& r : b.batch.records) {
      CAPTURE(i);
      CHECK(r.offset == i);
      CHECK(r.timestamp == 1700000000000 + i);
      if (i % 3 == 0)
        CHECK_FALSE(r.key.has_value());
      else
        CHECK(r.key == bytes_of("key-" + std::to_string(i)));
      CHECK(r.value == bytes_of("value " + std::to_string(i) + " " + std::string(200, 'a')));
      REQUIRE(r.headers.size() == 2);
      CHECK(r.headers[0].key == "h");
      CHECK(r.headers[0].value == bytes_of("hv" + std::to_string(i)));
      CHECK(r.headers[1].key == "null");
      CHECK_FALSE(r.headers[1].value.has_value());
      ++i;
    }
  }
  CHECK(i == 9);
}

TEST_CASE("log segment: a cut at every byte is a truncated tail after the whole batches") {
  const Segment s = three_batches();
  for (std::size_t cut = 0; cut <= s.bytes.size(); ++cut) {
    CAPTURE(cut);
    const Walk w = walk(std::span<const std::uint8_t>(s.bytes.data(), cut));
    std::size_t whole = 0;
    std::size_t boundary = 0;
    for (std::size_t i = 0; i < s.starts.size(); ++i) {
      const std::size_t end = i + 1 < s.starts.size() ? s.starts[i + 1] : s.bytes.size();
      if (end <= cut) {
        ++whole;
        boundary = end;
      }
    }
    CHECK(w.summary.batches == whole);
    CHECK(w.summary.bad_batches == 0);
    CHECK(w.summary.bytes_walked == boundary);
    if (cut == boundary) {
      CHECK(w.summary.end == SegmentEnd::complete);
      CHECK(w.summary.ok());
    } else {
      CHECK(w.summary.end == SegmentEnd::truncated_tail);
      CHECK(w.summary.error == client_errc::truncated);
      CHECK_FALSE(w.summary.ok());
      CHECK(w.summary.why.find("byte " + std::to_string(boundary)) != std::string::npos);
    }
  }
}

TEST_CASE("log segment: a corrupt batch is reported with its header and the walk goes on") {
  Segment s = three_batches();
  const std::size_t second = s.starts[1];
  const std::size_t second_size = s.starts[2] - second;

  SUBCASE("a flipped byte in the compressed records") {
    s.bytes[second + second_size - 5] ^= 0x01;
  }
  SUBCASE("a flipped byte in the stored CRC") {
    s.bytes[second + batch_offsets::crc] ^= 0x80;
  }
  SUBCASE("a flipped attribute bit (covered by the CRC)") {
    s.bytes[second + batch_offsets::attributes + 1] ^= 0x08;
  }
  const Walk w = walk(s.bytes);
  CHECK(w.summary.end == SegmentEnd::complete);
  CHECK(w.summary.batches == 3);
  CHECK(w.summary.bad_batches == 1);
  CHECK(w.summary.records == 5);  // the first and the last batch
  CHECK_FALSE(w.summary.ok());
  REQUIRE(w.batches.size() == 3);
  const SegmentBatch& bad = w.batches[1];
  CHECK(bad.error == client_errc::crc_mismatch);
  CHECK_FALSE(bad.crc_ok);
  CHECK(bad.computed_crc != bad.batch.crc);
  CHECK(bad.why.find("CRC-32C mismatch") != std::string::npos);
  // The header is still shown, as kafka-dump-log does with isvalid: false.
  CHECK(bad.batch.base_offset == 3);
  CHECK(bad.batch.records_count == 4);
  CHECK(bad.batch.producer_id == 42);
  CHECK(bad.batch.records.empty());
  CHECK_FALSE(w.batches[0].error);
  CHECK_FALSE(w.batches[2].error);
  CHECK(w.batches[2].batch.records.size() == 2);
}

TEST_CASE("log segment: corrupt compressed records with a valid CRC fail in the decompressor, not in a crash") {
  Segment s = three_batches();
  const std::size_t second = s.starts[1];
  const std::size_t second_size = s.starts[2] - second;
  // Overwrite the gzip stream (after its 10-byte header) with junk, then
  // re-seal the CRC so the decompressor is what meets it.
  for (std::size_t i = kRecordBatchHeaderSize + 10; i < second_size; ++i) s.bytes[second + i] = 0xA5;
  reseal_crc(s.bytes, second, second_size);
  const Walk w = walk(s.bytes);
  REQUIRE(w.batches.size() == 3);
  CHECK(w.batches[1].crc_ok);
  CHECK(w.batches[1].error);
  CHECK(w.batches[1].why.find("gzip") != std::string::npos);
  CHECK(w.summary.bad_batches == 1);
  CHECK(w.summary.end == SegmentEnd::complete);
}

TEST_CASE("log segment: compressed batches without a decompressor are reported, not skipped silently") {
  const Segment s = three_batches();
  const Walk w = walk(s.bytes, {});
  REQUIRE(w.batches.size() == 3);
  CHECK_FALSE(w.batches[0].error);
  CHECK(w.batches[1].error == client_errc::malformed);
  CHECK(w.batches[1].batch.codec() == Codec::gzip);  // the header still names it
  CHECK(w.batches[2].error == client_errc::malformed);
  CHECK(w.summary.bad_batches == 2);
}

TEST_CASE("log segment: hostile batch lengths") {
  Segment s = three_batches();
  const std::size_t second = s.starts[1];

  SUBCASE("below the smallest entry: corrupt, the walk stops") {
    for (const std::int32_t length : {-1, std::numeric_limits<std::int32_t>::min(), 0, 13}) {
      CAPTURE(length);
      Bytes bytes = s.bytes;
      put_be32(bytes, second + batch_offsets::batch_length, static_cast<std::uint32_t>(length));
      const Walk w = walk(bytes);
      CHECK(w.summary.end == SegmentEnd::corrupt);
      CHECK(w.summary.error == client_errc::malformed);
      CHECK(w.summary.batches == 1);
      CHECK(w.summary.bytes_walked == second);
      CHECK(w.summary.why.find(std::to_string(length)) != std::string::npos);
    }
  }
  SUBCASE("larger than the segment: a truncated tail, nothing allocated from it") {
    for (const std::int32_t length : {std::numeric_limits<std::int32_t>::max(), 1 << 30, 100000}) {
      CAPTURE(length);
      Bytes bytes = s.bytes;
      put_be32(bytes, second + batch_offsets::batch_length, static_cast<std::uint32_t>(length));
      const Walk w = walk(bytes);
      CHECK(w.summary.end == SegmentEnd::truncated_tail);
      CHECK(w.summary.batches == 1);
      CHECK(w.summary.bytes_walked == second);
    }
  }
  SUBCASE("too short for a v2 header but framable: that entry fails, the walk goes on") {
    // Cut the second batch to a 20-byte entry (12 + 20 = 32 bytes) that still
    // says magic 2, followed by the third batch.
    Bytes bytes(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(second + 32));
    put_be32(bytes, second + batch_offsets::batch_length, 20);
    bytes.insert(bytes.end(), s.bytes.begin() + static_cast<std::ptrdiff_t>(s.starts[2]), s.bytes.end());
    const Walk w = walk(bytes);
    CHECK(w.summary.end == SegmentEnd::complete);
    REQUIRE(w.batches.size() == 3);
    CHECK(w.batches[1].error == client_errc::malformed);
    CHECK(w.batches[1].size == 32);
    CHECK(w.batches[1].why.find("49 header bytes") != std::string::npos);
    CHECK(w.batches[2].batch.records.size() == 2);
    CHECK(w.summary.records == 5);
  }
  SUBCASE("a batch_length shorter than the batch: the rest of the bytes are misframed, never over-read") {
    // 61 header bytes + part of the records: the CRC no longer matches, and
    // the next "entry" starts inside the records.
    put_be32(s.bytes, second + batch_offsets::batch_length, 60);
    const Walk w = walk(s.bytes);
    CHECK(w.summary.batches >= 2);
    CHECK(w.summary.bad_batches >= 1);
    CHECK_FALSE(w.summary.ok());
    CHECK(w.batches[1].error == client_errc::crc_mismatch);
  }
}

TEST_CASE("log segment: a zero-filled tail is corrupt and says so") {
  Segment s = three_batches();
  const std::size_t good = s.bytes.size();
  s.bytes.resize(good + 4096, 0);
  const Walk w = walk(s.bytes);
  CHECK(w.summary.batches == 3);
  CHECK(w.summary.bad_batches == 0);
  CHECK(w.summary.end == SegmentEnd::corrupt);
  CHECK(w.summary.bytes_walked == good);
  CHECK(w.summary.why.find("zero-filled") != std::string::npos);
  CHECK(std::string(segment_end_name(w.summary.end)) == "corrupt");
}

TEST_CASE("log segment: a legacy or unknown magic is reported and skipped by its length") {
  Segment s = three_batches();
  s.bytes[s.starts[0] + batch_offsets::magic] = 1;
  const Walk w = walk(s.bytes);
  REQUIRE(w.batches.size() == 3);
  CHECK(w.batches[0].error == client_errc::malformed);
  CHECK(w.batches[0].batch.magic == 1);
  CHECK(w.batches[0].why.find("magic 1") != std::string::npos);
  CHECK_FALSE(w.batches[1].error);
  CHECK_FALSE(w.batches[2].error);
  CHECK(w.summary.end == SegmentEnd::complete);
  CHECK(w.summary.bad_batches == 1);
}
