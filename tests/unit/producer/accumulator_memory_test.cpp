// RecordAccumulator with buffer.memory exhausted: blocking for max.block.ms
// (or a per-call bound), try_send's immediate queue_full and its
// notification, the closing append compressing or checksumming its batch,
// and a blocked append resuming when memory comes back.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "kwire/compression/decompressor.hpp"

#include "accumulator_harness.hpp"

using kwire::NodeId;

using namespace kwire::producer;
using namespace kwire::producer::accumulator_testing;
using kwire::client_errc;
using namespace std::chrono_literals;

TEST_CASE("accumulator: buffer.memory exhausted blocks for max.block.ms, then queue_full") {
  auto config = test_config();
  config.buffer_memory = 2048;  // two batches
  std::vector<Received> got;
  RecordAccumulator acc(config);
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  REQUIRE(add(acc, p1, 10, 0, got, 1).ok());
  CHECK(acc.available_memory() == 0);
  // The open batches still take records: that needs no new memory.
  REQUIRE(add(acc, p0, 10, 0, got, 2).ok());

  const auto start = std::chrono::steady_clock::now();
  int calls = 0;
  std::vector<std::uint8_t> value(10);
  DeliveryCallback cb = [&calls](const DeliveryReport&) { ++calls; };
  auto r = acc.append(p2, 0, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(), cb, 0);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(r.error == client_errc::queue_full);
  CHECK(waited >= 45ms);
  CHECK(waited < 2s);
  CHECK(cb);
  CHECK(acc.queued_batches(p2) == 0);
  CHECK(acc.pool().waiter_count() == 0);
}

TEST_CASE("accumulator: an append allowed no wait (try_send) fails with queue_full at once and can be notified") {
  auto config = test_config();
  config.buffer_memory = 2048;   // two batches
  config.max_block_ms = 10000;   // would block 10 s without the per-call bound
  config.linger_ms = 100000;     // nothing is ready by linger
  std::vector<Received> got;
  RecordAccumulator acc(config);
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  REQUIRE(add(acc, p1, 10, 0, got, 1).ok());
  CHECK(acc.ready(0, kLeaders).ready_nodes.empty());

  std::vector<std::uint8_t> value(10);
  int calls = 0;
  DeliveryCallback cb = [&calls](const DeliveryReport&) { ++calls; };
  const std::uint64_t seen = acc.pool().release_count();
  const auto start = std::chrono::steady_clock::now();
  auto r = acc.append(p2, 0, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(), cb, 0,
                      0ms);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  CHECK(r.error == client_errc::queue_full);
  CHECK(cb);  // not taken
  CHECK(acc.pool().waiter_count() == 0);  // it did not queue as a waiter

  // A notification registered for memory: counts as a waiter, so every
  // partition becomes ready although linger.ms has not passed.
  std::atomic<int> notified{0};
  acc.pool().notify_when_freed(seen, [&notified] { ++notified; });
  CHECK(notified == 0);
  CHECK(acc.pool().waiter_count() == 1);
  auto check = acc.ready(0, kLeaders);
  std::sort(check.ready_nodes.begin(), check.ready_nodes.end());
  CHECK(check.ready_nodes == std::vector<NodeId>{NodeId{0}, NodeId{1}});

  // Memory comes back: notified once, no longer a waiter, and the retry fits.
  auto batches = drain_one(acc, p0, 0);
  REQUIRE(batches.size() == 1);
  succeed(acc, std::move(batches[0]), 0);
  CHECK(notified == 1);
  CHECK(acc.pool().waiter_count() == 0);
  r = acc.append(p2, 0, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(), cb, 0, 0ms);
  CHECK(r.ok());
  CHECK_FALSE(cb);

  // Registered with a stale count (memory came back meanwhile): at once.
  int at_once = 0;
  acc.pool().notify_when_freed(seen, [&at_once] { ++at_once; });
  CHECK(at_once == 1);
  CHECK(acc.pool().waiter_count() == 0);

  // close() notifies whoever still waits.
  int on_close = 0;
  acc.pool().notify_when_freed(acc.pool().release_count(), [&on_close] { ++on_close; });
  CHECK(on_close == 0);
  acc.close();
  CHECK(on_close == 1);
}

TEST_CASE("accumulator: a per-call max_block replaces max.block.ms for one append") {
  auto config = test_config();
  config.buffer_memory = 2048;
  config.max_block_ms = 10000;
  std::vector<Received> got;
  RecordAccumulator acc(config);
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  REQUIRE(add(acc, p1, 10, 0, got, 1).ok());
  std::vector<std::uint8_t> value(10);
  DeliveryCallback cb = [](const DeliveryReport&) {};
  const auto start = std::chrono::steady_clock::now();
  auto r = acc.append(p2, 0, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(), cb, 0,
                      60ms);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(r.error == client_errc::queue_full);
  CHECK(waited >= 55ms);
  CHECK(waited < 5s);
}

TEST_CASE("accumulator: with buffer.memory exhausted, the append that closes a batch compresses it") {
  // (and checksums its records: the decoder below checks the batch's CRC)
  auto config = test_config();
  config.buffer_memory = 2048;  // two batches
  config.max_block_ms = 0;
  config.compression = kwire::compression::Codec::lz4;
  std::vector<Received> got;
  RecordAccumulator acc(config);
  // With memory to spare, a closed batch is left to the network thread.
  REQUIRE(add(acc, p0, 100, 0, got, 0).ok());
  AppendResult r;
  int tag = 1;
  do {
    r = add(acc, p0, 100, 0, got, tag);
    REQUIRE(r.ok());
    REQUIRE(++tag < 100);
  } while (!r.new_batch_created);  // the first batch closed, a second one opened
  CHECK_FALSE(r.prepared_ahead);
  REQUIRE(acc.queued_batches(p0) == 2);
  CHECK(acc.available_memory() == 0);
  std::vector<BatchPtr> first = drain_one(acc, p0, 0);
  REQUIRE(first.size() == 1);
  first[0]->seal({});  // no compressor: stays uncompressed
  CHECK(first[0]->bytes()[kwire::protocol::batch_offsets::attributes + 1] == 0);
  const int first_records = first[0]->record_count();
  succeed(acc, std::move(first[0]), 0);

  // Memory for one more batch: the second batch fills and closes without help.
  REQUIRE(add(acc, p1, 100, 0, got, 1000).ok());  // takes the last batch of memory
  CHECK(acc.available_memory() == 0);
  int closing = -1;
  for (int t = 2000;; ++t) {
    r = add(acc, p0, 100, 0, got, t);
    if (!r.ok()) {
      closing = t;
      break;
    }
    REQUIRE(t < 2100);
  }
  // The append that closed the batch found no memory for the next one: it
  // compressed the closed batch, then gave up (max.block.ms 0).
  CHECK(r.error == client_errc::queue_full);
  CHECK(r.prepared_ahead);
  REQUIRE(acc.queued_batches(p0) == 1);
  std::vector<BatchPtr> second = drain_one(acc, p0, 0);
  REQUIRE(second.size() == 1);
  const std::size_t queued_size = second[0]->size_in_bytes();
  CHECK(queued_size < 400);  // compressed: ~9 records of 100 equal bytes
  second[0]->seal({.producer_id = 5, .producer_epoch = 1, .base_sequence = 7});  // no compressor needed
  CHECK(second[0]->bytes().size() == queued_size);

  // A proper lz4 batch: codec bits, producer state and every record.
  kwire::compression::Decompressor decompressor;
  const kwire::protocol::RecordsDecompressor decompress = [&](kwire::compression::Codec codec,
                                                              std::span<const std::uint8_t> in,
                                                              std::vector<std::uint8_t>& out) {
    return decompressor.decompress(codec, in, out, 1 << 20);
  };
  kwire::protocol::Reader reader(second[0]->bytes());
  kwire::protocol::RecordBatch decoded;
  REQUIRE_FALSE(kwire::protocol::decode_record_batch(reader, decoded, nullptr, decompress));
  CHECK(decoded.codec() == kwire::compression::Codec::lz4);
  CHECK(decoded.producer_id == 5);
  CHECK(decoded.base_sequence == 7);
  REQUIRE(decoded.records.size() == static_cast<std::size_t>(second[0]->record_count()));
  // The record that opened the batch in the first phase, then 2000...
  CHECK(decoded.records.size() == static_cast<std::size_t>(closing - 2000 + 1));
  for (std::size_t i = 0; i < decoded.records.size(); ++i) {
    CAPTURE(i);
    const int value_tag = i == 0 ? tag - 1 : 2000 + static_cast<int>(i) - 1;
    const auto expected = std::vector<std::uint8_t>(100, static_cast<std::uint8_t>(value_tag));
    CHECK(decoded.records[i].value == std::optional<std::vector<std::uint8_t>>(expected));
  }
  // Records still report normally.
  got.clear();
  succeed(acc, std::move(second[0]), 50);
  REQUIRE(got.size() == decoded.records.size());
  CHECK(got.front().tag == tag - 1);
  CHECK(got.front().report.metadata.offset == 50);
  CHECK(got.back().report.metadata.offset == 50 + static_cast<std::int64_t>(got.size()) - 1);
  CHECK(first_records > 1);
}

TEST_CASE("accumulator: without compression, the append that closes a batch with memory exhausted checksums it") {
  auto config = test_config();
  config.buffer_memory = 2048;  // two batches
  config.max_block_ms = 0;
  std::vector<Received> got;
  RecordAccumulator acc(config);
  int woken = 0;
  acc.set_prepared_hook([&woken] { ++woken; });
  REQUIRE(add(acc, p1, 10, 0, got, 0).ok());  // half the memory
  AppendResult r = add(acc, p0, 100, 0, got, 1);  // the other half
  REQUIRE(r.ok());
  CHECK(acc.available_memory() == 0);
  int tag = 2;
  while ((r = add(acc, p0, 100, 3, got, tag)).ok()) REQUIRE(++tag < 100);
  CHECK(r.error == client_errc::queue_full);
  CHECK(r.prepared_ahead);
  CHECK(woken == 1);  // the sender hears of it
  std::vector<BatchPtr> batch = drain_one(acc, p0, 3);
  REQUIRE(batch.size() == 1);
  const auto sealed = batch[0]->seal({.producer_id = 11, .producer_epoch = 2, .base_sequence = 30});
  kwire::protocol::Reader reader(sealed);
  kwire::protocol::RecordBatch decoded;
  REQUIRE_FALSE(kwire::protocol::decode_record_batch(reader, decoded));  // CRC checked
  CHECK(decoded.codec() == kwire::compression::Codec::none);
  CHECK(decoded.producer_id == 11);
  CHECK(decoded.base_sequence == 30);
  CHECK(decoded.records.size() == static_cast<std::size_t>(tag - 1));
  CHECK(decoded.records.back().timestamp == 3);
  succeed(acc, std::move(batch[0]), 0);
}

TEST_CASE("accumulator: a blocked append resumes when a batch's memory is released") {
  auto config = test_config();
  config.buffer_memory = 2048;
  config.max_block_ms = 10000;  // ends by release, not by timeout
  std::vector<Received> got;
  std::vector<Received> late;  // only touched by callbacks on this thread
  RecordAccumulator acc(config);
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  REQUIRE(add(acc, p1, 10, 0, got, 1).ok());

  AppendResult blocked_result;
  std::atomic<bool> returned{false};
  std::thread appender([&] {
    blocked_result = add(acc, p2, 10, 0, late, 2);
    returned = true;
  });
  REQUIRE(eventually([&] { return acc.pool().waiter_count() == 1; }));
  CHECK_FALSE(returned.load());

  // While someone waits for memory every partition is ready (linger or not),
  // so the sender frees memory as fast as it can.
  auto check = acc.ready(0, kLeaders);
  std::sort(check.ready_nodes.begin(), check.ready_nodes.end());
  CHECK(check.ready_nodes == std::vector<NodeId>{NodeId{0}, NodeId{1}});

  auto batches = drain_one(acc, p0, 0);
  REQUIRE(batches.size() == 1);
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(returned.load());  // in flight still holds its memory
  succeed(acc, std::move(batches[0]), 0);

  appender.join();
  CHECK(blocked_result.ok());
  CHECK(blocked_result.new_batch_created);
  CHECK(acc.queued_batches(p2) == 1);
  CHECK(acc.available_memory() == 0);
}
