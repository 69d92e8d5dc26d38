// Zero-copy record batch reading: header fields, records as views, headers,
// CRC checks, partial tails and malformed input named by field.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kwire/consumer/record_view.hpp"
#include "kwire/protocol/client_error.hpp"
#include "wire_batches.hpp"

using namespace kwire::consumer;
using kwire::client_errc;
using kwire::test::wire_batch;
using kwire::test::WireRecord;

namespace {

std::string text(const std::optional<Bytes>& b) {
  REQUIRE(b.has_value());
  return {reinterpret_cast<const char*>(b->data()), b->size()};
}

}  // namespace

TEST_CASE("RecordView: header fields and records as views into the batch") {
  const auto bytes = wire_batch({{.key = "k0", .value = "v0", .headers = {{"h", "x"}, {"n", std::nullopt}}},
                                 {.key = std::nullopt, .value = std::nullopt, .headers = {}}},
                                {.base_offset = 40, .leader_epoch = 7, .producer_id = 9});
  BatchHeader batch;
  const auto parsed = parse_batch_header(bytes, batch, true);
  REQUIRE(parsed.status == BatchParseStatus::ok);
  CHECK(parsed.consumed == bytes.size());
  CHECK(batch.base_offset == 40);
  CHECK(batch.last_offset() == 41);
  CHECK(batch.partition_leader_epoch == 7);
  CHECK(batch.producer_id == 9);
  CHECK(batch.records_count == 2);

  RecordCursor cursor(batch, batch.records);
  RecordView r;
  REQUIRE(cursor.next(r));
  CHECK(r.offset == 40);
  CHECK(r.timestamp == 1000);
  CHECK(text(r.key) == "k0");
  CHECK(text(r.value) == "v0");
  // The views point into the batch's own bytes: nothing was copied.
  CHECK(r.value->data() >= bytes.data());
  CHECK(r.value->data() < bytes.data() + bytes.size());
  REQUIRE(r.headers.size() == 2);
  std::vector<std::string> keys;
  r.headers.for_each([&](const HeaderView& h) { keys.emplace_back(h.key); });
  CHECK(keys == std::vector<std::string>{"h", "n"});
  CHECK(text(r.headers.last("h")->value) == "x");
  CHECK_FALSE(r.headers.last("n")->value.has_value());
  CHECK_FALSE(r.headers.last("missing").has_value());
  REQUIRE(cursor.next(r));
  CHECK(r.offset == 41);
  CHECK_FALSE(r.key.has_value());
  CHECK_FALSE(r.value.has_value());
  CHECK(r.headers.empty());
  CHECK_FALSE(cursor.next(r));
  CHECK_FALSE(cursor.error());
}

TEST_CASE("RecordView: every truncation of a batch is partial, never an error or a read past the end") {
  const auto bytes = wire_batch({{.key = "k", .value = "value", .headers = {}}}, {.base_offset = 3});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    BatchHeader batch;
    const auto parsed = parse_batch_header(std::span(bytes).first(n), batch, true);
    INFO("length " << n);
    CHECK(parsed.status == BatchParseStatus::partial);
  }
}

TEST_CASE("RecordView: a flipped byte fails the CRC check, which check.crcs=false skips") {
  auto bytes = wire_batch({{.key = "k", .value = "value", .headers = {}}}, {.base_offset = 3});
  bytes.back() ^= 0x01;
  BatchHeader batch;
  std::string why;
  auto parsed = parse_batch_header(bytes, batch, true, &why);
  CHECK(parsed.status == BatchParseStatus::error);
  CHECK(parsed.error == make_error_code(client_errc::crc_mismatch));
  CHECK(why.find("offset 3") != std::string::npos);
  parsed = parse_batch_header(bytes, batch, false);
  CHECK(parsed.status == BatchParseStatus::ok);
}

TEST_CASE("RecordView: wrong magic and a batch_length below the header are errors") {
  auto bytes = wire_batch({{.key = "k", .value = "v", .headers = {}}});
  BatchHeader batch;
  auto wrong_magic = bytes;
  wrong_magic[kwire::protocol::batch_offsets::magic] = 1;
  CHECK(parse_batch_header(wrong_magic, batch, false).error == make_error_code(client_errc::malformed));
  auto short_length = bytes;
  kwire::test::put_be(short_length, kwire::protocol::batch_offsets::batch_length, 10, 4);
  CHECK(parse_batch_header(short_length, batch, false).error == make_error_code(client_errc::malformed));
}

TEST_CASE("RecordView: records that lie about their lengths or count fail with a reason, never read past") {
  const auto bytes = wire_batch({{.key = "key", .value = "value", .headers = {{"h", "x"}}}});
  BatchHeader batch;
  REQUIRE(parse_batch_header(bytes, batch, false).status == BatchParseStatus::ok);
  // Every byte of the records section set to every interesting value: the
  // cursor either reads the record or fails cleanly (ASan checks the rest).
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    for (int v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::vector<std::uint8_t> records(batch.records.begin(), batch.records.end());
      records[i] = static_cast<std::uint8_t>(v);
      RecordCursor cursor(batch, records);
      RecordView r;
      while (cursor.next(r)) {
      }
      if (cursor.error()) CHECK_FALSE(cursor.why().empty());
    }
  }
  // A count larger than the records present: truncated.
  BatchHeader more = batch;
  more.records_count = 2;
  RecordCursor cursor(more, batch.records);
  RecordView r;
  CHECK(cursor.next(r));
  CHECK_FALSE(cursor.next(r));
  CHECK(cursor.error() == make_error_code(client_errc::truncated));
  // A count smaller: the bytes after it are trailing.
  BatchHeader fewer = batch;
  fewer.records_count = 0;
  RecordCursor trailing(fewer, batch.records);
  CHECK_FALSE(trailing.next(r));
  CHECK(trailing.error() == make_error_code(client_errc::trailing_bytes));
}

TEST_CASE("RecordView: LogAppendTime batches report the batch's max timestamp") {
  auto bytes = wire_batch({{.key = std::nullopt, .value = "a", .headers = {}}, {.key = std::nullopt, .value = "b", .headers = {}}});
  BatchHeader batch;
  REQUIRE(parse_batch_header(bytes, batch, false).status == BatchParseStatus::ok);
  batch.attributes |= kwire::protocol::batch_attributes::log_append_time;
  RecordCursor cursor(batch, batch.records);
  RecordView r;
  REQUIRE(cursor.next(r));
  CHECK(r.timestamp == batch.max_timestamp);
}
