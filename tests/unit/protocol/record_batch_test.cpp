#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kwire/protocol/crc32c.hpp"
#include "kwire/protocol/record_batch.hpp"
#include "kwire/protocol/writer.hpp"

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

// One record (key "k", value "v", timestamp 1000 = the base timestamp, no
// headers), non-idempotent, uncompressed. Worked out by hand from the v2
// layout; the CRC was then checked against Apache Kafka's own encoder
// (kafka-clients 4.4.0, MemoryRecords.withRecords(Compression.NONE,
// new SimpleRecord(1000L, "k", "v"))), which produced these exact 70 bytes.
const Bytes kOneRecordBatch = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // base_offset 0
    0x00, 0x00, 0x00, 0x3a,                          // batch_length 58 = 70 - 12
    0xff, 0xff, 0xff, 0xff,                          // partition_leader_epoch -1
    0x02,                                            // magic 2
    0x71, 0x6a, 0x61, 0x89,                          // CRC-32C of bytes 21..69
    0x00, 0x00,                                      // attributes: no codec, CreateTime
    0x00, 0x00, 0x00, 0x00,                          // last_offset_delta 0 (count - 1)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,  // base_timestamp 1000
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,  // max_timestamp 1000
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // producer_id -1
    0xff, 0xff,                                      // producer_epoch -1
    0xff, 0xff, 0xff, 0xff,                          // base_sequence -1
    0x00, 0x00, 0x00, 0x01,                          // records_count 1
    // The record: body = attributes 0, timestamp delta 0, offset delta 0,
    // key length 1 (zigzag 02) "k", value length 1 (02) "v", 0 headers:
    // 8 bytes, so its length prefix is zigzag(8) = 0x10.
    0x10, 0x00, 0x00, 0x00, 0x02, 0x6b, 0x02, 0x76, 0x00};

// kafka-clients 4.4.0: MemoryRecords.withIdempotentRecords(NONE, pid 1234,
// epoch 5, base sequence 42, records:
//   (1700000000000, key null, value "value", headers h1="x", h2=null),
//   (1699999999000, key "" (empty), value null),
//   (1700000100000, key "key", value "" (empty)))
// so: null vs empty keys/values, a null header value, a negative and a large
// positive timestamp delta, and max_timestamp != the first timestamp.
const Bytes kJavaIdempotentBatch = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5a, 0xff, 0xff, 0xff, 0xff, 0x02, 0xd3,
    0x26, 0x18, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, 0x00,
    0x00, 0x01, 0x8b, 0xcf, 0xe6, 0xee, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd2, 0x00, 0x05, 0x00,
    0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x03, 0x28, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x76, 0x61, 0x6c, 0x75, 0x65,
    0x04, 0x04, 0x68, 0x31, 0x02, 0x78, 0x04, 0x68, 0x32, 0x01, 0x0e, 0x00, 0xcf, 0x0f, 0x02, 0x00, 0x01, 0x00,
    0x16, 0x00, 0xc0, 0x9a, 0x0c, 0x04, 0x06, 0x6b, 0x65, 0x79, 0x00, 0x00};

// kafka-clients 4.4.0: MemoryRecords.withTransactionalRecords(NONE, pid 77,
// epoch 3, base sequence 9, (5, "a", "b")): attributes 0x0010.
const Bytes kJavaTransactionalBatch = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3a, 0xff, 0xff, 0xff, 0xff, 0x02, 0x53,
    0xc7, 0x5d, 0xc2, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4d, 0x00, 0x03, 0x00,
    0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x00, 0x02, 0x61, 0x02, 0x62, 0x00};

void put_be32(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 24);
  b[at + 1] = static_cast<std::uint8_t>(v >> 16);
  b[at + 2] = static_cast<std::uint8_t>(v >> 8);
  b[at + 3] = static_cast<std::uint8_t>(v);
}
/// Recomputes the CRC after a test patched a header field.
void fix_crc(Bytes& b) {
  put_be32(b, batch_offsets::crc,
           crc32c(std::span<const std::uint8_t>(b).subspan(batch_offsets::attributes)));
}

/// A sealed batch around hand-written records bytes, for malformed records.
Bytes wrap_records(const Bytes& records, std::int32_t count) {
  Bytes out;
  Writer w(out);
  w.write_int64(0);
  w.write_int32(static_cast<std::int32_t>(kRecordBatchHeaderSize - 12 + records.size()));
  w.write_int32(-1);
  w.write_int8(2);
  w.write_uint32(0);  // CRC, fixed below
  w.write_int16(0);
  w.write_int32(count - 1);
  w.write_int64(100);
  w.write_int64(100);
  w.write_int64(-1);
  w.write_int16(-1);
  w.write_int32(-1);
  w.write_int32(count);
  w.write_raw(records);
  fix_crc(out);
  return out;
}

struct Decoded {
  std::error_code ec;
  RecordBatch batch;
  std::string why;
  bool reader_ok = true;
};

Decoded decode_one(std::span<const std::uint8_t> bytes, const RecordsDecompressor& decompress = {}) {
  Decoded d;
  Reader in(bytes);
  d.ec = decode_record_batch(in, d.batch, &d.why, decompress);
  d.reader_ok = in.ok();
  if (!d.ec) CHECK(in.at_end());
  return d;
}

}  // namespace

TEST_CASE("record batch: the one-record golden batch, built and decoded") {
  RecordBatchBuilder builder(1000);
  const Bytes key = bytes_of("k");
  const Bytes value = bytes_of("v");
  const std::size_t predicted = builder.next_record_size(1000, OptView(key), OptView(value), {});
  builder.append(1000, OptView(key), OptView(value));
  CHECK(predicted == 9);
  CHECK(builder.size_in_bytes() == kRecordBatchHeaderSize + 9);
  const auto sealed = builder.seal();
  CHECK(Bytes(sealed.begin(), sealed.end()) == kOneRecordBatch);
  CHECK(crc32c(std::span<const std::uint8_t>(kOneRecordBatch).subspan(21)) == 0x716a6189u);

  auto d = decode_one(kOneRecordBatch);
  REQUIRE_FALSE(d.ec);
  const RecordBatch& b = d.batch;
  CHECK(b.base_offset == 0);
  CHECK(b.batch_length == 58);
  CHECK(b.partition_leader_epoch == -1);
  CHECK(b.magic == 2);
  CHECK(b.crc == 0x716a6189u);
  CHECK(b.attributes == 0);
  CHECK(b.codec() == Codec::none);
  CHECK_FALSE(b.is_transactional());
  CHECK_FALSE(b.is_control());
  CHECK(b.last_offset_delta == 0);
  CHECK(b.base_timestamp == 1000);
  CHECK(b.max_timestamp == 1000);
  CHECK(b.producer_id == -1);
  CHECK(b.producer_epoch == -1);
  CHECK(b.base_sequence == -1);
  CHECK(b.records_count == 1);
  REQUIRE(b.records.size() == 1);
  CHECK(b.records[0].timestamp == 1000);
  CHECK(b.records[0].offset == 0);
  CHECK(b.records[0].key == std::optional<Bytes>(key));
  CHECK(b.records[0].value == std::optional<Bytes>(value));
  CHECK(b.records[0].headers.empty());
}

TEST_CASE("record batch: builder output matches Kafka's encoder for idempotent and transactional batches") {
  SUBCASE("idempotent, with headers, null vs empty, negative delta") {
    RecordBatchBuilder builder(1'700'000'000'000);
    const Bytes x = bytes_of("x");
    const RecordHeader headers[] = {{"h1", OptView(x)}, {"h2", std::nullopt}};
    const Bytes empty;
    builder.append(1'700'000'000'000, std::nullopt, OptView(view("value")), headers);
    builder.append(1'699'999'999'000, OptView(empty), std::nullopt);
    builder.append(1'700'000'100'000, OptView(view("key")), OptView(empty));
    const auto sealed = builder.seal({.producer_id = 1234, .producer_epoch = 5, .base_sequence = 42});
    CHECK(Bytes(sealed.begin(), sealed.end()) == kJavaIdempotentBatch);

    auto d = decode_one(kJavaIdempotentBatch);
    REQUIRE_FALSE(d.ec);
    CHECK(d.batch.producer_id == 1234);
    CHECK(d.batch.producer_epoch == 5);
    CHECK(d.batch.base_sequence == 42);
    CHECK(d.batch.last_offset_delta == 2);
    CHECK(d.batch.max_timestamp == 1'700'000'100'000);
    REQUIRE(d.batch.records.size() == 3);
    const auto& r = d.batch.records;
    CHECK_FALSE(r[0].key.has_value());
    CHECK(r[0].value == std::optional<Bytes>(bytes_of("value")));
    REQUIRE(r[0].headers.size() == 2);
    CHECK(r[0].headers[0] == DecodedHeader{"h1", bytes_of("x")});
    CHECK(r[0].headers[1] == DecodedHeader{"h2", std::nullopt});
    CHECK(r[1].key == std::optional<Bytes>(Bytes{}));  // empty, not null
    CHECK_FALSE(r[1].value.has_value());                 // null (tombstone)
    CHECK(r[1].timestamp == 1'699'999'999'000);
    CHECK(r[1].offset == 1);
    CHECK(r[2].key == std::optional<Bytes>(bytes_of("key")));
    CHECK(r[2].value == std::optional<Bytes>(Bytes{}));
    CHECK(r[2].timestamp == 1'700'000'100'000);
    CHECK(r[2].offset == 2);
  }
  SUBCASE("transactional") {
    RecordBatchBuilder builder(5);
    builder.append(5, OptView(view("a")), OptView(view("b")));
    const auto sealed =
        builder.seal({.producer_id = 77, .producer_epoch = 3, .base_sequence = 9, .is_transactional = true});
    CHECK(Bytes(sealed.begin(), sealed.end()) == kJavaTransactionalBatch);
    auto d = decode_one(kJavaTransactionalBatch);
    REQUIRE_FALSE(d.ec);
    CHECK(d.batch.is_transactional());
    CHECK(d.batch.attributes == batch_attributes::transactional);
  }
}

TEST_CASE("record batch: many random records round trip, sizes are predicted exactly") {
  std::mt19937 rng(2024);
  auto random_field = [&](std::size_t max_len) -> std::optional<Bytes> {
    const auto kind = rng() % 4;
    if (kind == 0) return std::nullopt;
    if (kind == 1) return Bytes{};
    Bytes b(rng() % max_len);
    for (auto& c : b) c = static_cast<std::uint8_t>(rng());
    return b;
  };
  const std::int64_t base = 1'700'000'000'000;
  RecordBatchBuilder builder(base, 1 << 16);
  std::vector<Record> expected;
  for (int i = 0; i < 1000; ++i) {
    Record r;
    // Deltas of every size, both signs, including ones beyond int32.
    const std::int64_t deltas[] = {0, -1, 1, -1000, 5'000'000'000LL, -5'000'000'000LL,
                                   static_cast<std::int64_t>(rng() % 100000) - 50000};
    r.timestamp = base + deltas[rng() % 7];
    r.offset = i;
    r.key = random_field(40);
    r.value = random_field(300);
    const auto header_count = rng() % 4;
    for (unsigned h = 0; h < header_count; ++h) {
      DecodedHeader header;
      header.key = "hdr-" + std::to_string(rng() % 1000);
      if (h == 0) header.key.clear();  // empty header keys are legal
      header.value = random_field(20);
      r.headers.push_back(std::move(header));
    }
    std::vector<RecordHeader> headers;
    for (const auto& h : r.headers)
      headers.push_back({h.key, h.value ? OptView(*h.value) : OptView(std::nullopt)});
    const OptView key = r.key ? OptView(*r.key) : std::nullopt;
    const OptView value = r.value ? OptView(*r.value) : std::nullopt;

    const std::size_t before = builder.size_in_bytes();
    const std::size_t predicted = builder.next_record_size(r.timestamp, key, value, headers);
    CHECK(predicted == RecordBatchBuilder::record_size(i, r.timestamp - base, key, value, headers));
    builder.append(r.timestamp, key, value, headers);
    CHECK(builder.size_in_bytes() - before == predicted);
    expected.push_back(std::move(r));
  }
  CHECK(builder.record_count() == 1000);
  const auto sealed = builder.seal({.producer_id = 9, .producer_epoch = 1, .base_sequence = 100});

  auto d = decode_one(sealed);
  REQUIRE_FALSE(d.ec);
  CHECK(d.batch.records_count == 1000);
  CHECK(d.batch.last_offset_delta == 999);
  CHECK(d.batch.base_timestamp == base);
  CHECK(d.batch.max_timestamp == base + 5'000'000'000LL);
  REQUIRE(d.batch.records.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("record " << i);
    CHECK(d.batch.records[i] == expected[i]);
  }
}

TEST_CASE("record batch: extreme timestamps wrap like Kafka's arithmetic") {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  RecordBatchBuilder builder(0);
  builder.append(kMax, std::nullopt, std::nullopt);
  builder.append(kMin, std::nullopt, std::nullopt);
  auto d = decode_one(builder.seal());
  REQUIRE_FALSE(d.ec);
  REQUIRE(d.batch.records.size() == 2);
  CHECK(d.batch.records[0].timestamp == kMax);
  CHECK(d.batch.records[1].timestamp == kMin);
}

TEST_CASE("record batch: has_room_for, reset and steady-state reuse") {
  RecordBatchBuilder builder(0, 1024);
  const Bytes big(5000, 0xab);
  // The first record always fits, even when larger than batch.size.
  CHECK(builder.has_room_for(6000, 1024));
  builder.append(0, std::nullopt, OptView(big));
  CHECK_FALSE(builder.has_room_for(10, 1024));
  CHECK(builder.has_room_for(10, builder.size_in_bytes() + 10));
  CHECK_FALSE(builder.has_room_for(11, builder.size_in_bytes() + 10));

  builder.seal();
  const auto capacity_before = builder.bytes().size();
  builder.reset(77);
  CHECK(builder.size_in_bytes() == kRecordBatchHeaderSize);
  CHECK(builder.record_count() == 0);
  CHECK_FALSE(builder.sealed());
  CHECK(builder.base_timestamp() == 77);

  // Steady state: a batch no larger than the previous one never reallocates.
  builder.append(77, std::nullopt, OptView(std::span<const std::uint8_t>(big).first(1000)));
  const auto* data_before = builder.seal().data();
  for (int round = 0; round < 3; ++round) {
    builder.reset(78);
    for (int i = 0; i < 10; ++i) builder.append(78 + i, std::nullopt, OptView(std::span<const std::uint8_t>(big).first(90)));
    CHECK(builder.seal().data() == data_before);
  }
  CHECK(capacity_before > 5000);
}

TEST_CASE("record batch: misuse of the builder throws") {
  RecordBatchBuilder builder(0);
  CHECK_THROWS_AS(builder.rewrite_producer_state(1, 2, 3), std::logic_error);
  builder.append(0, std::nullopt, std::nullopt);
  builder.seal();
  CHECK_THROWS_AS(builder.seal(), std::logic_error);
  CHECK_THROWS_AS(builder.append(0, std::nullopt, std::nullopt), std::logic_error);
}

TEST_CASE("record batch: an empty batch seals with last_offset_delta -1") {
  RecordBatchBuilder builder(123);
  auto d = decode_one(builder.seal());
  REQUIRE_FALSE(d.ec);
  CHECK(d.batch.records_count == 0);
  CHECK(d.batch.last_offset_delta == -1);
  CHECK(d.batch.max_timestamp == 123);
}

TEST_CASE("record batch: rewrite_producer_state patches the fields and recomputes the CRC") {
  RecordBatchBuilder builder(5);
  builder.append(5, OptView(view("a")), OptView(view("b")));
  builder.seal({.producer_id = 1, .producer_epoch = 0, .base_sequence = 0, .is_transactional = true});
  const std::uint32_t old_crc = decode_one(builder.bytes()).batch.crc;

  // KIP-360 epoch bump: same records, new producer id/epoch/sequence.
  builder.rewrite_producer_state(77, 3, 9);
  CHECK(Bytes(builder.bytes().begin(), builder.bytes().end()) == kJavaTransactionalBatch);
  auto d = decode_one(builder.bytes());
  REQUIRE_FALSE(d.ec);  // the CRC was recomputed
  CHECK(d.batch.crc != old_crc);
  CHECK(d.batch.producer_id == 77);
  CHECK(d.batch.producer_epoch == 3);
  CHECK(d.batch.base_sequence == 9);
  CHECK(d.batch.is_transactional());  // flags untouched

  // The free function works on any sealed batch, and refuses non-batches.
  Bytes copy = kOneRecordBatch;
  CHECK_FALSE(rewrite_producer_state(copy, 1234, 5, 42));
  auto patched = decode_one(copy);
  REQUIRE_FALSE(patched.ec);
  CHECK(patched.batch.producer_id == 1234);
  CHECK(patched.batch.base_sequence == 42);
  Bytes short_copy(kOneRecordBatch.begin(), kOneRecordBatch.begin() + 60);
  CHECK(rewrite_producer_state(short_copy, 1, 1, 1) == client_errc::malformed);
  Bytes longer = kOneRecordBatch;
  longer.push_back(0);
  CHECK(rewrite_producer_state(longer, 1, 1, 1) == client_errc::malformed);
}

TEST_CASE("record batch: the compression seam") {
  // A toy run-length "codec" stands in for the compression module: pairs of
  // (count, byte). It shrinks records with long runs, which is all the seam
  // needs to show.
  const RecordsCompressor rle = [](Codec codec, std::span<const std::uint8_t> in, Bytes& out) {
    CHECK(codec == Codec::gzip);
    out.clear();
    for (std::size_t i = 0; i < in.size();) {
      std::size_t run = 1;
      while (i + run < in.size() && in[i + run] == in[i] && run < 255) ++run;
      out.push_back(static_cast<std::uint8_t>(run));
      out.push_back(in[i]);
      i += run;
    }
    return true;
  };
  const RecordsDecompressor unrle = [](Codec codec, std::span<const std::uint8_t> in, Bytes& out) {
    CHECK(codec == Codec::gzip);
    out.clear();
    if (in.size() % 2 != 0) return make_error_code(client_errc::malformed);
    for (std::size_t i = 0; i < in.size(); i += 2) out.insert(out.end(), in[i], in[i + 1]);
    return std::error_code{};
  };
  const Bytes run(1000, 'z');

  RecordBatchBuilder plain(0);
  plain.append(0, std::nullopt, OptView(run));
  plain.append(1, std::nullopt, OptView(run));
  const auto plain_sealed = plain.seal();
  const Bytes uncompressed(plain_sealed.begin(), plain_sealed.end());

  RecordBatchBuilder builder(0);
  builder.append(0, std::nullopt, OptView(run));
  builder.append(1, std::nullopt, OptView(run));
  const auto sealed = builder.seal({.codec = Codec::gzip}, rle);
  CHECK(sealed.size() < 200);

  auto d = decode_one(sealed, unrle);
  REQUIRE_FALSE(d.ec);
  CHECK(d.batch.codec() == Codec::gzip);
  REQUIRE(d.batch.records.size() == 2);
  CHECK(d.batch.records[1].value == std::optional<Bytes>(run));
  CHECK(d.batch.records[1].timestamp == 1);
  // Same records as the uncompressed batch.
  CHECK(d.batch.records == decode_one(uncompressed).batch.records);

  // Without a decompressor the decoder says what is missing.
  auto no_module = decode_one(sealed);
  CHECK(no_module.ec == client_errc::malformed);
  CHECK(no_module.why == "compressed batches need the compression module");

  // A decompressor's failure is passed through.
  const RecordsDecompressor failing = [](Codec, std::span<const std::uint8_t>, Bytes&) {
    return std::make_error_code(std::errc::value_too_large);
  };
  auto failed = decode_one(sealed, failing);
  CHECK(failed.ec == std::errc::value_too_large);
  CHECK_FALSE(failed.reader_ok);

  SUBCASE("compression that does not shrink is not kept") {
    RecordBatchBuilder b2(0);
    b2.append(0, OptView(view("abcdef")), OptView(view("ghijkl")));
    auto s2 = b2.seal({.codec = Codec::gzip}, rle);  // RLE doubles distinct bytes
    auto d2 = decode_one(s2);
    REQUIRE_FALSE(d2.ec);
    CHECK(d2.batch.codec() == Codec::none);
  }
  SUBCASE("finish_records ahead of seal gives the same batch") {
    RecordBatchBuilder early(0);
    early.append(0, std::nullopt, OptView(run));
    early.append(1, std::nullopt, OptView(run));
    const std::size_t before = early.size_in_bytes();
    REQUIRE(early.finish_records(Codec::gzip, rle));
    CHECK(early.records_finished());
    CHECK(early.records_codec() == Codec::gzip);
    CHECK(early.size_in_bytes() < before);  // the compressed size, before sealing
    CHECK_THROWS_AS(early.append(2, std::nullopt, OptView(run)), std::logic_error);
    CHECK_FALSE(early.finish_records(Codec::gzip, rle));  // once
    // seal() neither compresses again nor needs the codec or a compressor.
    const auto early_sealed = early.seal({.codec = Codec::none});
    CHECK(Bytes(early_sealed.begin(), early_sealed.end()) == Bytes(sealed.begin(), sealed.end()));
    CHECK(decode_one(early_sealed, unrle).batch.records == decode_one(uncompressed).batch.records);
  }
  SUBCASE("finish_records: compression that does not shrink leaves the records, and seal keeps them plain") {
    RecordBatchBuilder b4(0);
    b4.append(0, OptView(view("abcdef")), OptView(view("ghijkl")));
    const std::size_t before = b4.size_in_bytes();
    CHECK(b4.finish_records(Codec::gzip, rle));
    CHECK(b4.records_codec() == Codec::none);
    CHECK(b4.size_in_bytes() == before);
    CHECK_THROWS_AS(b4.append(1, std::nullopt, std::nullopt), std::logic_error);
    auto d4 = decode_one(b4.seal({.codec = Codec::gzip}, rle));
    REQUIRE_FALSE(d4.ec);
    CHECK(d4.batch.codec() == Codec::none);
    // Nothing to do for an empty batch: it stays open.
    RecordBatchBuilder empty(0);
    CHECK_FALSE(empty.finish_records(Codec::gzip, rle));
    empty.append(0, std::nullopt, OptView(run));
    CHECK(empty.record_count() == 1);
  }
  SUBCASE("finish_records without compression: seal's CRC from the records' CRC is the same batch") {
    for (const bool with_state : {false, true}) {
      CAPTURE(with_state);
      const BatchSealParams params = with_state ? BatchSealParams{.producer_id = 4242, .producer_epoch = 7,
                                                                  .base_sequence = 99, .is_transactional = true}
                                                : BatchSealParams{};
      RecordBatchBuilder usual(5), early(5);
      for (RecordBatchBuilder* b : {&usual, &early})
        for (int i = 0; i < 50; ++i) b->append(5 + i, OptView(view("key")), OptView(run), {});
      const auto sealed_usual = usual.seal(params);
      const Bytes expected(sealed_usual.begin(), sealed_usual.end());
      REQUIRE(early.finish_records(Codec::none, rle));  // codec none: no compression
      CHECK(early.records_codec() == Codec::none);
      const auto sealed_early = early.seal(params, rle);  // neither compressed now
      CHECK(Bytes(sealed_early.begin(), sealed_early.end()) == expected);
      CHECK_FALSE(decode_one(sealed_early).ec);  // the decoder checks the CRC
    }
  }
  SUBCASE("no compressor: the codec is ignored and the batch stays plain") {
    RecordBatchBuilder b3(0);
    b3.append(0, std::nullopt, OptView(run));
    auto d3 = decode_one(b3.seal({.codec = Codec::zstd}));
    REQUIRE_FALSE(d3.ec);
    CHECK(d3.batch.codec() == Codec::none);
  }
}

TEST_CASE("record batch decoder: corrupted bytes fail the CRC") {
  for (std::size_t at : {std::size_t{17}, std::size_t{21}, std::size_t{30}, std::size_t{60}, std::size_t{65},
                         kOneRecordBatch.size() - 1}) {
    INFO("flipped byte " << at);
    Bytes bad = kOneRecordBatch;
    bad[at] ^= 0x01;
    auto d = decode_one(bad);
    CHECK(d.ec == client_errc::crc_mismatch);
    CHECK_FALSE(d.reader_ok);
    CHECK(d.why.find("CRC-32C mismatch") != std::string::npos);
  }
  // Bytes before the CRC'd range (base offset, leader epoch) are not covered.
  Bytes epoch = kOneRecordBatch;
  epoch[12] = 0x00;
  CHECK_FALSE(decode_one(epoch).ec);
}

TEST_CASE("record batch decoder: bad magic") {
  for (int magic : {0, 1, 3}) {
    Bytes bad = kOneRecordBatch;
    bad[batch_offsets::magic] = static_cast<std::uint8_t>(magic);
    auto d = decode_one(bad);
    CHECK(d.ec == client_errc::malformed);
    CHECK(d.why.find("magic byte " + std::to_string(magic)) != std::string::npos);
  }
}

TEST_CASE("record batch decoder: truncated at every byte offset") {
  const Bytes& full = kJavaIdempotentBatch;
  for (std::size_t n = 0; n < full.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    std::span<const std::uint8_t> prefix(full.data(), n);
    auto d = decode_one(prefix);
    CHECK(d.ec);
    CHECK((d.ec == client_errc::truncated || d.ec == client_errc::length_exceeds_input));
    CHECK_FALSE(d.reader_ok);
    CHECK_FALSE(d.why.empty());

    // As the tail of a records field it is a partial batch, not an error.
    std::vector<RecordBatch> batches;
    std::size_t tail = 99;
    CHECK_FALSE(decode_record_batches(prefix, batches, nullptr, {}, &tail));
    CHECK(batches.empty());
    CHECK(tail == n);
  }
}

TEST_CASE("record batch decoder: batch_length checks") {
  SUBCASE("beyond the input") {
    Bytes bad = kOneRecordBatch;
    put_be32(bad, batch_offsets::batch_length, 59);
    auto d = decode_one(bad);
    CHECK(d.ec == client_errc::length_exceeds_input);
    CHECK(d.why == "batch_length 59 exceeds the 58 bytes left");
  }
  SUBCASE("smaller than the header") {
    Bytes bad = kOneRecordBatch;
    put_be32(bad, batch_offsets::batch_length, 48);
    CHECK(decode_one(bad).ec == client_errc::malformed);
    put_be32(bad, batch_offsets::batch_length, 0xffffffffu);
    CHECK(decode_one(bad).ec == client_errc::malformed);
    std::vector<RecordBatch> batches;
    CHECK(decode_record_batches(bad, batches) == client_errc::malformed);
    // Even when the input is shorter than a header.
    const Bytes tiny = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5};
    std::string why;
    CHECK(decode_record_batches(tiny, batches, &why) == client_errc::malformed);
    CHECK(why == "batch_length 5 is smaller than the 49 header bytes it must count");
  }
  SUBCASE("shorter than the records: bytes after the batch stay in the reader") {
    Bytes two = kOneRecordBatch;
    two.insert(two.end(), kOneRecordBatch.begin(), kOneRecordBatch.end());
    Reader in(two);
    RecordBatch b;
    CHECK_FALSE(decode_record_batch(in, b));
    CHECK(in.remaining() == kOneRecordBatch.size());
  }
}

TEST_CASE("record batch decoder: records_count must match the records present") {
  Bytes three = kJavaIdempotentBatch;  // holds 3 records in 57 bytes
  SUBCASE("far too large: rejected before allocating") {
    put_be32(three, batch_offsets::records_count, 0x7fffffff);
    fix_crc(three);
    auto d = decode_one(three);
    CHECK(d.ec == client_errc::length_exceeds_input);
    CHECK(d.why.find("records_count 2147483647 cannot fit") != std::string::npos);
  }
  SUBCASE("one more than present") {
    put_be32(three, batch_offsets::records_count, 4);
    fix_crc(three);
    auto d = decode_one(three);
    CHECK(d.ec == client_errc::truncated);
    CHECK(d.why == "records_count says 4 records but the batch holds only 3");
  }
  SUBCASE("one fewer than present") {
    put_be32(three, batch_offsets::records_count, 2);
    fix_crc(three);
    auto d = decode_one(three);
    CHECK(d.ec == client_errc::trailing_bytes);
    CHECK(d.why.find("left after the 2 records that records_count declares") != std::string::npos);
  }
  SUBCASE("negative") {
    put_be32(three, batch_offsets::records_count, 0xffffffffu);
    fix_crc(three);
    CHECK(decode_one(three).ec == client_errc::malformed);
  }
}

TEST_CASE("record batch decoder: malformed records") {
  // Each case is one hand-written record inside an otherwise valid batch.
  struct Case {
    const char* name;
    Bytes record;
    client_errc expected;
    const char* why_contains;
  };
  const Case cases[] = {
      // length 6: attributes, ts, offset, key len -2 (zigzag 3), ...
      {"negative key length", {0x0c, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00}, client_errc::malformed, "key length -2"},
      {"key longer than the record", {0x0c, 0x00, 0x00, 0x00, 0x14, 0x01, 0x00}, client_errc::length_exceeds_input,
       "key length 10 exceeds"},
      {"null header key", {0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01},  // 1 header, key len -1
       client_errc::malformed, "null key"},
      {"header count too large", {0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x7e},  // 63 headers in 0 bytes
       client_errc::length_exceeds_input, "header count 63"},
      {"negative header count", {0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01}, client_errc::malformed,
       "header count -1"},
      {"bytes after the headers", {0x0e, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0xaa}, client_errc::trailing_bytes,
       "1 bytes left after its headers"},
      {"record longer than the records", {0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00}, client_errc::length_exceeds_input,
       "record 0: length 8 exceeds the 6 bytes left"},
      {"fields cut short by the record length", {0x06, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00},
       client_errc::truncated, "record 0: key length: the record ends early"},
      {"negative record length", {0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00}, client_errc::malformed,
       "length -1 is negative"},
      {"overlong varint", {0x18, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
       client_errc::malformed, "malformed varint"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto d = decode_one(wrap_records(c.record, 1));
    CHECK(d.ec == c.expected);
    CHECK(d.why.find(c.why_contains) != std::string::npos);
    if (d.why.find(c.why_contains) == std::string::npos) MESSAGE("why: " << d.why);
  }
  // And a well-formed hand-written record decodes (sanity check of wrap_records).
  auto ok = decode_one(wrap_records({0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00}, 1));
  REQUIRE_FALSE(ok.ec);
  CHECK(ok.batch.records.size() == 1);
  CHECK_FALSE(ok.batch.records[0].key.has_value());
}

TEST_CASE("record batch decoder: LogAppendTime batches report max_timestamp for every record") {
  Bytes batch = kJavaIdempotentBatch;
  batch[batch_offsets::attributes + 1] |= batch_attributes::log_append_time;
  fix_crc(batch);
  auto d = decode_one(batch);
  REQUIRE_FALSE(d.ec);
  CHECK(d.batch.uses_log_append_time());
  for (const auto& r : d.batch.records) CHECK(r.timestamp == d.batch.max_timestamp);
}

TEST_CASE("record batch decoder: several batches in one records field") {
  Bytes field = kOneRecordBatch;
  field.insert(field.end(), kJavaIdempotentBatch.begin(), kJavaIdempotentBatch.end());
  field.insert(field.end(), kJavaTransactionalBatch.begin(), kJavaTransactionalBatch.end() - 5);  // partial

  std::vector<RecordBatch> batches;
  std::size_t tail = 0;
  REQUIRE_FALSE(decode_record_batches(field, batches, nullptr, {}, &tail));
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].records.size() == 1);
  CHECK(batches[1].records.size() == 3);
  CHECK(tail == kJavaTransactionalBatch.size() - 5);

  // A bad batch in the middle is an error, and says why.
  Bytes bad = field;
  bad[kOneRecordBatch.size() + 40] ^= 0xff;
  batches.clear();
  std::string why;
  CHECK(decode_record_batches(bad, batches, &why) == client_errc::crc_mismatch);
  CHECK(batches.size() == 1);
  CHECK_FALSE(why.empty());

  batches.clear();
  CHECK_FALSE(decode_record_batches({}, batches));
  CHECK(batches.empty());
}
