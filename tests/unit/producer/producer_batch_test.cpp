// ProducerBatch: per-record completion (offsets, timestamps, exactly once),
// sealing with producer state, and splitting for MESSAGE_TOO_LARGE.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "kwire/compression/compressor.hpp"
#include "kwire/compression/decompressor.hpp"
#include "producer_batch.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace {

using namespace kwire::producer;
namespace protocol = kwire::protocol;
using kwire::client_errc;

/// One report per (tag) as received, to check order and exactly-once.
struct Received {
  int tag = 0;
  DeliveryReport report;
};

DeliveryCallback record_into(std::vector<Received>& out, int tag) {
  return [&out, tag](const DeliveryReport& r) { out.push_back(Received{tag, r}); };
}

std::vector<std::uint8_t> payload(std::size_t n, std::uint8_t fill) { return std::vector<std::uint8_t>(n, fill); }

const TopicPartition kTp{"orders", 3};

/// Appends `count` records with values of `value_size` bytes, timestamps
/// 1000 + i, tags first_tag + i. Returns how many fit.
int fill(ProducerBatch& batch, std::vector<Received>& out, int count, std::size_t value_size, int first_tag = 0) {
  int appended = 0;
  for (int i = 0; i < count; ++i) {
    auto value = payload(value_size, static_cast<std::uint8_t>(first_tag + i));
    auto key = payload(4, static_cast<std::uint8_t>(0x40 + i));
    DeliveryCallback cb = record_into(out, first_tag + i);
    if (!batch.try_append(1000 + first_tag + i, std::span<const std::uint8_t>(key),
                          std::span<const std::uint8_t>(value), {}, cb, 50))
      break;
    CHECK_FALSE(cb);  // taken on success
    ++appended;
  }
  return appended;
}

}  // namespace

TEST_CASE("ProducerBatch: completion gives record i offset base+i and its own CreateTime, once") {
  ProducerBatch batch;
  batch.reset(kTp, 10, 16384);
  std::vector<Received> got;
  REQUIRE(fill(batch, got, 5, 10) == 5);
  CHECK(batch.record_count() == 5);
  CHECK(batch.state() == BatchState::pending);

  CHECK(batch.complete(700, -1));
  CHECK(batch.state() == BatchState::succeeded);
  REQUIRE(got.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(got[i].tag == i);
    CHECK(got[i].report.ok());
    CHECK(got[i].report.metadata.topic == "orders");
    CHECK(got[i].report.metadata.partition == 3);
    CHECK(got[i].report.metadata.offset == 700 + i);
    CHECK(got[i].report.metadata.timestamp_ms == 1000 + i);
  }
}

TEST_CASE("ProducerBatch: LogAppendTime from the broker replaces every record's timestamp") {
  ProducerBatch batch;
  batch.reset(kTp, 10, 16384);
  std::vector<Received> got;
  REQUIRE(fill(batch, got, 3, 10) == 3);
  CHECK(batch.complete(0, 99999));
  REQUIRE(got.size() == 3);
  for (auto& r : got) CHECK(r.report.metadata.timestamp_ms == 99999);
  CHECK(got[2].report.metadata.offset == 2);
}

TEST_CASE("ProducerBatch: failure reports the error with offset -1 for every record") {
  ProducerBatch batch;
  batch.reset(kTp, 10, 16384);
  std::vector<Received> got;
  REQUIRE(fill(batch, got, 4, 10) == 4);
  const std::error_code err = kwire::make_error_code(kwire::errc::topic_authorization_failed);
  CHECK(batch.complete(123, 456, err));
  CHECK(batch.state() == BatchState::failed);
  CHECK(batch.final_error() == err);
  REQUIRE(got.size() == 4);
  for (int i = 0; i < 4; ++i) {
    CHECK(got[i].report.error == err);
    CHECK(got[i].report.metadata.offset == -1);
    CHECK(got[i].report.metadata.timestamp_ms == 1000 + i);  // CreateTime, not the ignored append time
  }
}

TEST_CASE("ProducerBatch: a second completion never calls back again") {
  ProducerBatch batch;
  batch.reset(kTp, 10, 16384);
  std::vector<Received> got;
  REQUIRE(fill(batch, got, 3, 10) == 3);
  CHECK(batch.fail(client_errc::timed_out));  // e.g. delivery.timeout.ms while in flight
  CHECK(got.size() == 3);
  CHECK_FALSE(batch.complete(10, -1));  // the late success response
  CHECK_FALSE(batch.fail(client_errc::disconnected));
  CHECK(got.size() == 3);
  CHECK(batch.state() == BatchState::failed);
  CHECK(batch.final_error() == make_error_code(client_errc::timed_out));
}

TEST_CASE("ProducerBatch: a throwing callback does not cost the others their report") {
  ProducerBatch batch;
  batch.reset(kTp, 10, 16384);
  int calls = 0;
  for (int i = 0; i < 3; ++i) {
    DeliveryCallback cb = [&calls, i](const DeliveryReport&) {
      ++calls;
      if (i == 0) throw std::runtime_error("user bug");
    };
    REQUIRE(batch.try_append(1, std::nullopt, std::nullopt, {}, cb, 1));
  }
  CHECK(batch.complete(0, -1));
  CHECK(calls == 3);
}

TEST_CASE("ProducerBatch: a throwing callback is logged with the topic-partition, once per type per interval") {
  std::vector<std::string> lines;
  CallbackErrorLog errors([&lines](LogLevel level, LogCategory, std::string_view line) {
    CHECK(level == LogLevel::error);
    lines.emplace_back(line);
  }, std::chrono::milliseconds(60000));
  ProducerBatch batch;
  batch.reset(kTp, 10, 16384);
  batch.set_callback_error_log(&errors);
  for (int i = 0; i < 4; ++i) {
    DeliveryCallback cb = [i](const DeliveryReport&) {
      if (i < 3) throw std::runtime_error("boom " + std::to_string(i));
      throw 42;
    };
    REQUIRE(batch.try_append(1, std::nullopt, std::nullopt, {}, cb, 1));
  }
  CHECK(batch.complete(0, -1));
  // Three runtime_errors: one line; the int: its own line.
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("delivery callback for orders-3 threw std::runtime_error: boom 0") != std::string::npos);
  CHECK(lines[1].find("delivery callback for orders-3 threw int") != std::string::npos);

  // After the interval the next one is logged, counting those left out.
  CallbackErrorLog quick([&lines](LogLevel, LogCategory, std::string_view line) { lines.emplace_back(line); },
                         std::chrono::milliseconds(0));
  lines.clear();
  ProducerBatch again;
  again.reset(kTp, 10, 16384);
  again.set_callback_error_log(&quick);
  DeliveryCallback cb = [](const DeliveryReport&) { throw std::logic_error("x"); };
  REQUIRE(again.try_append(1, std::nullopt, std::nullopt, {}, cb, 1));
  CHECK(again.fail(make_error_code(client_errc::timed_out)));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("orders-3 threw std::logic_error: x") != std::string::npos);
}

TEST_CASE("ProducerBatch: batch.size bounds appends, but the first record always fits") {
  std::vector<Received> got;
  SUBCASE("records stop at max_batch_bytes and the batch closes") {
    ProducerBatch batch;
    batch.reset(kTp, 0, 300);
    int n = fill(batch, got, 100, 50);
    CHECK(n >= 3);
    CHECK(n < 100);
    CHECK(batch.size_in_bytes() <= 300);
    CHECK(batch.is_full());
    CHECK(batch.closed_for_appends());
    // Once closed, even a tiny record is refused.
    DeliveryCallback cb = record_into(got, 99);
    CHECK_FALSE(batch.try_append(1, std::nullopt, std::nullopt, {}, cb, 1));
    CHECK(cb);  // not taken
  }
  SUBCASE("an oversized first record gets the batch to itself") {
    ProducerBatch batch;
    batch.reset(kTp, 0, 100);
    CHECK(fill(batch, got, 1, 500) == 1);
    CHECK(batch.size_in_bytes() > 500);
    CHECK(batch.is_full());
    CHECK(fill(batch, got, 1, 1, 1) == 0);
  }
}

TEST_CASE("ProducerBatch: seal writes the producer state; resealing rewrites it in place") {
  ProducerBatch batch;
  batch.reset(kTp, 0, 16384);
  std::vector<Received> got;
  REQUIRE(fill(batch, got, 3, 20) == 3);

  protocol::BatchSealParams params;
  params.producer_id = 4242;
  params.producer_epoch = 7;
  params.base_sequence = 100;
  auto bytes = batch.seal(params);
  CHECK(batch.sealed());
  CHECK(batch.base_sequence() == 100);
  CHECK(batch.closed_for_appends());

  auto decode = [&] {
    protocol::Reader reader(batch.bytes());
    protocol::RecordBatch decoded;
    REQUIRE_FALSE(protocol::decode_record_batch(reader, decoded));
    return decoded;
  };
  auto first = decode();
  CHECK(first.producer_id == 4242);
  CHECK(first.producer_epoch == 7);
  CHECK(first.base_sequence == 100);
  REQUIRE(first.records.size() == 3);
  CHECK(first.records[1].timestamp == 1001);

  // Same state: same bytes, untouched.
  auto again = batch.seal(params);
  CHECK(std::vector<std::uint8_t>(again.begin(), again.end()) == std::vector<std::uint8_t>(bytes.begin(), bytes.end()));

  // KIP-360: epoch bumped, sequence reset; the records do not change.
  params.producer_epoch = 8;
  params.base_sequence = 0;
  batch.seal(params);
  auto second = decode();  // CRC is checked by the decoder
  CHECK(second.producer_epoch == 8);
  CHECK(second.base_sequence == 0);
  CHECK(second.records == first.records);
  CHECK(batch.producer_epoch() == 8);
}

TEST_CASE("ProducerBatch: split keeps order, timestamps and callbacks, and inherits sequences") {
  ProducerBatch batch;
  batch.reset(kTp, 77, 1 << 20);
  std::vector<Received> got;
  REQUIRE(fill(batch, got, 10, 100) == 10);
  batch.set_producer_state(9, 2, 50, false);
  batch.seal({.producer_id = 9, .producer_epoch = 2, .base_sequence = 50});

  std::error_code error;
  auto pieces = batch.split(350, error);
  REQUIRE_FALSE(error);
  REQUIRE(pieces.size() >= 2);
  // Every piece respects the new size except a lone record.
  int total = 0;
  std::int32_t expected_sequence = 50;
  for (auto& piece : pieces) {
    CHECK(piece->is_split_batch());
    CHECK(piece->topic_partition() == kTp);
    CHECK(piece->created_ms() == 77);  // delivery.timeout.ms keeps counting from the original
    CHECK(piece->attempts() == 0);
    CHECK(piece->reserved_bytes() == 0);
    CHECK((piece->size_in_bytes() <= 350 || piece->record_count() == 1));
    CHECK(piece->base_sequence() == expected_sequence);
    CHECK(piece->producer_id() == 9);
    expected_sequence += piece->record_count();
    total += piece->record_count();
  }
  CHECK(total == 10);

  // The original reports nothing any more.
  CHECK(batch.is_done());
  CHECK_FALSE(batch.complete(0, -1));
  CHECK(got.empty());

  // Completing the pieces in order reports every record once, in order.
  std::int64_t base = 1000;
  for (auto& piece : pieces) {
    std::int32_t n = piece->record_count();
    CHECK(piece->complete(base, -1));
    base += n;
  }
  REQUIRE(got.size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(got[i].tag == i);
    CHECK(got[i].report.metadata.offset == 1000 + i);
    CHECK(got[i].report.metadata.timestamp_ms == 1000 + i);
  }
}

TEST_CASE("ProducerBatch: split re-encodes the same records (values, keys, headers)") {
  ProducerBatch batch;
  batch.reset(kTp, 0, 1 << 20);
  int calls = 0;
  const std::string value_text = "value-";
  for (int i = 0; i < 6; ++i) {
    std::string v = value_text + std::to_string(i);
    protocol::RecordHeader headers[] = {{"h", bytes_of("x")}, {"null", std::nullopt}};
    DeliveryCallback cb = [&calls](const DeliveryReport&) { ++calls; };
    auto key = i % 2 == 0 ? std::optional<std::span<const std::uint8_t>>(bytes_of("k")) : std::nullopt;
    REQUIRE(batch.try_append(500 + i, key, bytes_of(v), headers, cb, 0));
  }
  std::error_code error;
  auto pieces = batch.split(130, error);
  REQUIRE_FALSE(error);
  REQUIRE(pieces.size() >= 2);
  int index = 0;
  for (auto& piece : pieces) {
    piece->seal({});
    protocol::Reader reader(piece->bytes());
    protocol::RecordBatch decoded;
    REQUIRE_FALSE(protocol::decode_record_batch(reader, decoded));
    for (auto& r : decoded.records) {
      std::string expected = value_text + std::to_string(index);
      REQUIRE(r.value);
      CHECK(std::string(r.value->begin(), r.value->end()) == expected);
      CHECK(r.key.has_value() == (index % 2 == 0));
      CHECK(r.timestamp == 500 + index);
      REQUIRE(r.headers.size() == 2);
      CHECK(r.headers[0].key == "h");
      CHECK_FALSE(r.headers[1].value.has_value());
      ++index;
    }
  }
  CHECK(index == 6);
  for (auto& piece : pieces) piece->complete(0, -1);
  CHECK(calls == 6);
}

TEST_CASE("ProducerBatch: split of a compressed batch decodes through the decompressor") {
  ProducerBatch batch;
  batch.reset(kTp, 0, 1 << 20);
  std::vector<Received> got;
  REQUIRE(fill(batch, got, 8, 200) == 8);
  kwire::compression::Compressor compressor;
  protocol::RecordsCompressor compress = [&](kwire::compression::Codec codec, std::span<const std::uint8_t> in,
                                             std::vector<std::uint8_t>& out) {
    out.clear();
    return !compressor.compress(codec, in, out);
  };
  protocol::BatchSealParams params;
  params.codec = kwire::compression::Codec::gzip;
  const std::size_t uncompressed = batch.size_in_bytes();
  batch.seal(params, compress);
  REQUIRE(batch.bytes().size() < uncompressed);  // really compressed

  std::error_code error;
  SUBCASE("without a decompressor the split fails and leaves the batch intact") {
    auto pieces = batch.split(600, error);
    CHECK(pieces.empty());
    CHECK(error);
    CHECK_FALSE(batch.is_done());
    CHECK(batch.complete(0, -1));
    CHECK(got.size() == 8);
  }
  SUBCASE("with one, the records come back in order") {
    kwire::compression::Decompressor decompressor;
    protocol::RecordsDecompressor decompress = [&](kwire::compression::Codec codec, std::span<const std::uint8_t> in,
                                                   std::vector<std::uint8_t>& out) {
      return decompressor.decompress(codec, in, out, 1 << 20);
    };
    auto pieces = batch.split(600, error, decompress);
    REQUIRE_FALSE(error);
    REQUIRE(pieces.size() >= 2);
    std::int64_t base = 0;
    for (auto& piece : pieces) {
      std::int32_t n = piece->record_count();
      piece->complete(base, -1);
      base += n;
    }
    REQUIRE(got.size() == 8);
    for (int i = 0; i < 8; ++i) CHECK(got[i].report.metadata.offset == i);
  }
}

TEST_CASE("ProducerBatch: a one-record batch cannot be split") {
  ProducerBatch batch;
  batch.reset(kTp, 0, 100);
  std::vector<Received> got;
  REQUIRE(fill(batch, got, 1, 500) == 1);
  std::error_code error;
  CHECK(batch.split(100, error).empty());
  CHECK_FALSE(error);
  CHECK_FALSE(batch.is_done());
  CHECK(batch.fail(kwire::make_error_code(kwire::errc::message_too_large)));
  CHECK(got.size() == 1);
}

TEST_CASE("ProducerBatch: reset recycles the object for another partition") {
  ProducerBatch batch;
  batch.reset(kTp, 0, 16384);
  std::vector<Received> got;
  REQUIRE(fill(batch, got, 3, 10) == 3);
  batch.seal({});
  batch.complete(5, -1);
  batch.reset(TopicPartition{"other", 0}, 500, 16384);
  CHECK(batch.state() == BatchState::pending);
  CHECK(batch.record_count() == 0);
  CHECK_FALSE(batch.sealed());
  CHECK_FALSE(batch.closed_for_appends());
  CHECK(batch.created_ms() == 500);
  CHECK(batch.base_sequence() == ProducerBatch::no_sequence);
  REQUIRE(fill(batch, got, 2, 10) == 2);
  batch.complete(0, -1);
  REQUIRE(got.size() == 5);
  CHECK(got[4].report.metadata.topic == "other");
}
