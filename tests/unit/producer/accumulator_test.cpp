// RecordAccumulator, driven with an injected clock (plain int64 milliseconds):
// linger, size, oversize records, the buffer.memory bound, drain fairness and
// limits, retry order and backoff, delivery timeout, flush, abort, split, and
// allocation-free steady-state appends.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include "kwire/compression/decompressor.hpp"
#include "kwire/producer/config.hpp"
#include "kwire/producer/record_accumulator.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

// --- Allocation counting ----------------------------------------------------
// The unit_producer executable globs every test file, so this replacement of
// the global operator new serves all of them; it only *counts* on a thread
// while that thread has set the flag, so other tests are unaffected. Only the
// plain and nothrow forms (and their deletes) are replaced; array and aligned
// forms keep the runtime's (ASan's) own matching pairs.
namespace kwire_test_alloc {
thread_local bool counting = false;
thread_local std::size_t count = 0;
}  // namespace kwire_test_alloc

void* operator new(std::size_t size) {
  if (kwire_test_alloc::counting) ++kwire_test_alloc::count;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (kwire_test_alloc::counting) ++kwire_test_alloc::count;
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using namespace kwire::producer;
using kwire::client_errc;
using namespace std::chrono_literals;

struct Received {
  int tag = 0;
  DeliveryReport report;
};

const TopicPartition p0{"t", 0};
const TopicPartition p1{"t", 1};
const TopicPartition p2{"t", 2};
const TopicPartition p4{"t", 4};

/// Even partitions are led by node 0, odd ones by node 1.
const LeaderLookup kLeaders = [](const TopicPartition& tp) -> std::optional<std::int32_t> { return tp.partition % 2; };

AccumulatorConfig test_config() {
  AccumulatorConfig c;
  c.batch_size = 1024;
  c.linger_ms = 10;
  c.buffer_memory = 64 * 1024;
  c.max_block_ms = 50;
  c.delivery_timeout_ms = 1000;
  c.retry_backoff_ms = 100;
  c.retry_backoff_max_ms = 1000;
  c.max_request_size = 4096;
  c.jitter_seed = 42;
  return c;
}

/// Appends a record with a `value_size`-byte value and timestamp `now`,
/// whose report lands in `got` under `tag`.
AppendResult add(RecordAccumulator& acc, const TopicPartition& tp, std::size_t value_size, std::int64_t now,
                 std::vector<Received>& got, int tag) {
  std::vector<std::uint8_t> value(value_size, static_cast<std::uint8_t>(tag));
  DeliveryCallback cb = [&got, tag](const DeliveryReport& r) { got.push_back(Received{tag, r}); };
  return acc.append(tp, now, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(), cb,
                    now);
}

std::vector<BatchPtr> drain_one(RecordAccumulator& acc, const TopicPartition& tp, std::int64_t now,
                                std::size_t max_bytes = 1 << 20) {
  return acc.drain(tp.partition % 2, std::span<const TopicPartition>(&tp, 1), max_bytes, now);
}

/// The sender's happy path for one batch.
void succeed(RecordAccumulator& acc, BatchPtr batch, std::int64_t base_offset) {
  batch->seal({});
  batch->complete(base_offset, -1);
  acc.deallocate(std::move(batch));
}

/// Each tag reported exactly once, all with `error`.
void check_each_once(const std::vector<Received>& got, int tags, std::error_code error) {
  std::map<int, int> seen;
  for (const auto& r : got) {
    ++seen[r.tag];
    CHECK(r.report.error == error);
  }
  CHECK(seen.size() == static_cast<std::size_t>(tags));
  for (const auto& [tag, n] : seen) CHECK(n == 1);
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("accumulator: a batch is not ready before linger.ms and ready at it") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  auto r = add(acc, p0, 10, 1000, got, 0);
  REQUIRE(r.ok());
  CHECK(r.new_batch_created);
  CHECK_FALSE(r.batch_is_full);

  auto check = acc.ready(1000, kLeaders);
  CHECK(check.ready_nodes.empty());
  CHECK(check.next_ready_check_delay_ms == 10);
  check = acc.ready(1009, kLeaders);
  CHECK(check.ready_nodes.empty());
  CHECK(check.next_ready_check_delay_ms == 1);
  check = acc.ready(1010, kLeaders);
  CHECK(check.ready_nodes == std::vector<std::int32_t>{0});

  // Nothing queued: the sender may sleep until the next delivery deadline.
  auto batches = drain_one(acc, p0, 1010);
  REQUIRE(batches.size() == 1);
  CHECK(acc.ready(1010, kLeaders).ready_nodes.empty());
  succeed(acc, std::move(batches[0]), 0);
  // The sender still wakes at the old delivery deadline (a lower bound)...
  CHECK(acc.ready(1010, kLeaders).next_ready_check_delay_ms == 990);
  // ...where expire() finds nothing left and drops it.
  CHECK(acc.expire(2000) == 0);
  CHECK(acc.ready(2000, kLeaders).next_ready_check_delay_ms == kNoDeadline);
}

TEST_CASE("accumulator: a full batch is ready before linger.ms") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  int tag = 0;
  REQUIRE(add(acc, p0, 100, 0, got, tag++).new_batch_created);
  AppendResult r;
  do {
    r = add(acc, p0, 100, 0, got, tag++);
    REQUIRE(r.ok());
  } while (!r.new_batch_created);
  CHECK(r.batch_is_full);
  CHECK(acc.queued_batches(p0) == 2);
  CHECK(tag > 5);  // several records shared the first batch
  CHECK(acc.ready(0, kLeaders).ready_nodes == std::vector<std::int32_t>{0});
}

TEST_CASE("accumulator: a record bigger than batch.size gets a batch of its own") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  auto big = add(acc, p0, 2000, 0, got, 1);
  REQUIRE(big.ok());
  CHECK(big.new_batch_created);
  CHECK(big.batch_is_full);
  auto after = add(acc, p0, 10, 0, got, 2);
  REQUIRE(after.ok());
  CHECK(after.new_batch_created);  // the oversized batch takes nothing more
  CHECK(acc.queued_batches(p0) == 3);

  auto first = drain_one(acc, p0, 0);
  auto second = drain_one(acc, p0, 0);
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  CHECK(first[0]->record_count() == 1);
  CHECK(second[0]->record_count() == 1);
  CHECK(second[0]->size_in_bytes() > 2000);
  CHECK(second[0]->reserved_bytes() == second[0]->size_in_bytes());  // reserved exactly its size
  succeed(acc, std::move(first[0]), 0);
  succeed(acc, std::move(second[0]), 1);
  CHECK(got.size() == 2);
}

TEST_CASE("accumulator: records too large for a request or for buffer.memory are refused") {
  auto config = test_config();
  config.buffer_memory = 3000;
  RecordAccumulator acc(config);
  std::vector<std::uint8_t> value(5000);
  int calls = 0;
  DeliveryCallback cb = [&calls](const DeliveryReport&) { ++calls; };
  auto r = acc.append(p0, 0, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(), cb, 0);
  CHECK(r.error == client_errc::record_too_large);
  CHECK(r.detail.find("more than max.request.size (4096 bytes): raise max.request.size") != std::string::npos);
  CHECK(r.detail.find("the record is 50") != std::string::npos);  // 5000 bytes of value + framing
  CHECK(cb);  // not taken: the caller reports the record itself

  // Below max.request.size (4096) but above buffer.memory (3000): its own
  // cause, both sizes and the setting to change.
  std::vector<std::uint8_t> medium(3500);
  r = acc.append(p0, 0, std::nullopt, std::span<const std::uint8_t>(medium), std::span<const HeaderView>(), cb, 0);
  CHECK(r.error == client_errc::record_exceeds_buffer_memory);
  CHECK(r.detail.find("the record is 35") != std::string::npos);
  CHECK(r.detail.find("more than buffer.memory (3000 bytes)") != std::string::npos);
  CHECK(r.detail.find("raise buffer.memory") != std::string::npos);
  CHECK(make_error_code(client_errc::record_exceeds_buffer_memory).message() == "record larger than buffer.memory");
  CHECK(cb);
  CHECK(acc.queued_batches(p0) == 0);
  CHECK_FALSE(acc.has_incomplete());
  CHECK(calls == 0);
}

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
  CHECK(check.ready_nodes == std::vector<std::int32_t>{0, 1});

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
  CHECK(check.ready_nodes == std::vector<std::int32_t>{0, 1});

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

TEST_CASE("accumulator: drain takes one batch per partition within max.request.size and rotates") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  const std::vector<TopicPartition> parts{p0, p2, p4};  // all led by node 0
  int tag = 0;
  for (const auto& tp : parts)
    for (int i = 0; i < 3; ++i) REQUIRE(add(acc, tp, 600, 0, got, tag++).new_batch_created);  // one per batch

  // Plenty of room: one batch from each partition, not more.
  auto all = acc.drain(0, parts, 1 << 20, 0);
  REQUIRE(all.size() == 3);
  std::set<std::int32_t> drained;
  for (auto& b : all) drained.insert(b->topic_partition().partition);
  CHECK(drained == std::set<std::int32_t>{0, 2, 4});
  for (const auto& tp : parts) CHECK(acc.queued_batches(tp) == 2);
  for (auto& b : all) CHECK(b->state() == BatchState::in_flight);
  for (auto& b : all) succeed(acc, std::move(b), 0);

  // Room for one batch per request: successive drains visit every partition
  // before any repeats.
  std::vector<std::int32_t> order;
  for (int i = 0; i < 3; ++i) {
    auto one = acc.drain(0, parts, 1000, 0);
    REQUIRE(one.size() == 1);
    order.push_back(one[0]->topic_partition().partition);
    succeed(acc, std::move(one[0]), 0);
  }
  CHECK(std::set<std::int32_t>(order.begin(), order.end()) == std::set<std::int32_t>{0, 2, 4});

  // A batch bigger than the limit still goes, alone.
  auto alone = acc.drain(0, parts, 10, 0);
  REQUIRE(alone.size() == 1);
  CHECK(alone[0]->size_in_bytes() > 10);
  succeed(acc, std::move(alone[0]), 0);

  // Partitions of other nodes and unknown partitions are not touched.
  REQUIRE(add(acc, p1, 10, 0, got, tag++).ok());
  const std::vector<TopicPartition> ghost{TopicPartition{"nope", 9}};
  CHECK(acc.drain(0, ghost, 1 << 20, 0).empty());
  CHECK(acc.queued_batches(p1) == 1);
}

TEST_CASE("accumulator: reenqueue puts a retry first, backs off, and keeps partition order") {
  auto config = test_config();
  config.delivery_timeout_ms = 1000000;  // keep expiry out of next_ready_check_delay_ms
  std::vector<Received> got;
  RecordAccumulator acc(config);
  REQUIRE(add(acc, p0, 600, 0, got, 0).ok());  // batch A
  REQUIRE(add(acc, p0, 600, 0, got, 1).ok());  // batch B
  REQUIRE(acc.queued_batches(p0) == 2);

  std::int64_t now = 20;
  auto drained = drain_one(acc, p0, now);
  REQUIRE(drained.size() == 1);
  ProducerBatch* a = drained[0].get();
  std::int64_t previous_backoff = 0;
  for (int attempt = 1; attempt <= 6; ++attempt) {
    acc.reenqueue(std::move(drained[0]), now);
    CHECK(acc.queued_batches(p0) == 2);
    CHECK(a->attempts() == attempt);
    CHECK(a->state() == BatchState::pending);
    const std::int64_t backoff = a->retry_ready_ms() - now;
    const double nominal = std::min(100.0 * (1 << (attempt - 1)), 1000.0);
    CHECK(backoff >= static_cast<std::int64_t>(nominal * 0.8));
    CHECK(backoff <= std::min<std::int64_t>(static_cast<std::int64_t>(nominal * 1.2), 1000));
    if (attempt <= 3) CHECK(backoff > previous_backoff);  // grows (ranges do not overlap yet)
    previous_backoff = backoff;

    // Backing off: the node is not ready, the sender sleeps until the
    // backoff ends, and B must not overtake A.
    auto check = acc.ready(now, kLeaders);
    CHECK(check.ready_nodes.empty());
    CHECK(check.next_ready_check_delay_ms == backoff);
    CHECK(drain_one(acc, p0, now + backoff - 1).empty());

    now += backoff;
    CHECK(acc.ready(now, kLeaders).ready_nodes == std::vector<std::int32_t>{0});
    drained = drain_one(acc, p0, now);
    REQUIRE(drained.size() == 1);
    REQUIRE(drained[0].get() == a);  // A again, not B
  }
  succeed(acc, std::move(drained[0]), 0);
  auto b = drain_one(acc, p0, now);
  REQUIRE(b.size() == 1);
  succeed(acc, std::move(b[0]), 1);
  REQUIRE(got.size() == 2);
  CHECK(got[0].tag == 0);
  CHECK(got[1].tag == 1);
}

TEST_CASE("accumulator: a retried batch takes no new records") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  auto drained = drain_one(acc, p0, 20);
  REQUIRE(drained.size() == 1);
  drained[0]->seal({});
  acc.reenqueue(std::move(drained[0]), 20);
  auto r = add(acc, p0, 10, 21, got, 1);
  REQUIRE(r.ok());
  CHECK(r.new_batch_created);
  CHECK(acc.queued_batches(p0) == 2);
}

TEST_CASE("accumulator: retried idempotent batches are queued in sequence order") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  for (int i = 0; i < 3; ++i) REQUIRE(add(acc, p0, 600, 0, got, i).ok());
  std::vector<BatchPtr> in_flight;
  for (int i = 0; i < 3; ++i) {
    auto one = drain_one(acc, p0, 20);
    REQUIRE(one.size() == 1);
    one[0]->seal({.producer_id = 1, .producer_epoch = 0, .base_sequence = i});
    in_flight.push_back(std::move(one[0]));
  }
  // Responses fail out of order: 2, then 0, then 1.
  ProducerBatch* raw[3] = {in_flight[0].get(), in_flight[1].get(), in_flight[2].get()};
  acc.reenqueue(std::move(in_flight[2]), 30);
  acc.reenqueue(std::move(in_flight[0]), 30);
  acc.reenqueue(std::move(in_flight[1]), 30);
  std::int64_t now = 10000;
  for (int i = 0; i < 3; ++i) {
    auto one = drain_one(acc, p0, now);
    REQUIRE(one.size() == 1);
    CHECK(one[0].get() == raw[i]);
    CHECK(one[0]->base_sequence() == i);
    succeed(acc, std::move(one[0]), i);
  }
}

TEST_CASE("accumulator: delivery.timeout.ms fails queued and in-flight batches, each record once") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  for (int i = 0; i < 3; ++i) REQUIRE(add(acc, p0, 10, 0, got, i).ok());
  for (int i = 3; i < 5; ++i) REQUIRE(add(acc, p1, 10, 0, got, i).ok());
  auto in_flight = drain_one(acc, p1, 20);
  REQUIRE(in_flight.size() == 1);
  in_flight[0]->seal({});
  CHECK(acc.next_expiry_ms() == 1000);

  std::vector<BatchState> observed;
  ExpiredBatchObserver observe = [&observed](const ProducerBatch& b) { observed.push_back(b.state()); };
  CHECK(acc.expire(999, observe) == 0);
  CHECK(got.empty());
  CHECK(acc.expire(1000, observe) == 2);
  check_each_once(got, 5, make_error_code(client_errc::timed_out));
  // Each report names the topic-partition, the timeout and what the batch
  // was waiting for (Java's "Expiring N record(s) for t-0: ..." and more).
  for (const Received& r : got) {
    const std::string& detail = r.report.detail;
    if (r.tag < 3) {
      CHECK(detail.find("Expiring 3 record(s) for t-0: 1000 ms has passed since batch creation "
                        "(delivery.timeout.ms=1000); never sent") != std::string::npos);
    } else {
      CHECK(detail.find("Expiring 2 record(s) for t-1: 1000 ms has passed") != std::string::npos);
      CHECK(detail.find("in flight for 980 ms without a response") != std::string::npos);
    }
  }
  CHECK(observed == std::vector<BatchState>{BatchState::failed, BatchState::failed});
  CHECK(acc.queued_batches(p0) == 0);

  // The in-flight one is finished but still the sender's: its late response
  // completes nothing, and handing it back settles the books.
  CHECK(in_flight[0]->is_done());
  CHECK_FALSE(in_flight[0]->complete(500, -1));
  CHECK(acc.expire(2000, observe) == 0);
  CHECK(got.size() == 5);
  CHECK(acc.has_incomplete());
  acc.deallocate(std::move(in_flight[0]));
  CHECK_FALSE(acc.has_incomplete());
  CHECK(acc.available_memory() == test_config().buffer_memory);
}

TEST_CASE("accumulator: a batch that expires after retries names the attempts and the last cause") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  auto batches = drain_one(acc, p0, 20);
  REQUIRE(batches.size() == 1);
  acc.reenqueue(std::move(batches[0]), 30, make_error_code(kwire::errc::not_enough_replicas),
                "broker 1 answered NOT_ENOUGH_REPLICAS");
  CHECK(acc.expire(1000) == 1);
  REQUIRE(got.size() == 1);
  const std::string& detail = got[0].report.detail;
  CHECK(detail.find("Expiring 1 record(s) for t-0") != std::string::npos);
  CHECK(detail.find("after 1 failed attempt(s); last error: ") != std::string::npos);
  CHECK(detail.find("(broker 1 answered NOT_ENOUGH_REPLICAS)") != std::string::npos);
}

TEST_CASE("accumulator: flush makes batches ready at once and waits for their completion") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  CHECK(acc.ready(0, kLeaders).ready_nodes.empty());

  acc.begin_flush();
  CHECK(acc.flush_in_progress());
  CHECK(acc.ready(0, kLeaders).ready_nodes == std::vector<std::int32_t>{0});
  CHECK_FALSE(acc.await_flush_completion(20ms));  // nothing sent yet: times out
  CHECK_FALSE(acc.flush_in_progress());
  CHECK(acc.ready(0, kLeaders).ready_nodes.empty());

  acc.begin_flush();
  std::atomic<bool> finished{false};
  bool flushed = false;
  std::thread flusher([&] {
    flushed = acc.await_flush_completion(10s);
    finished = true;
  });
  auto batches = drain_one(acc, p0, 0);
  REQUIRE(batches.size() == 1);
  batches[0]->seal({});
  batches[0]->complete(0, -1);
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(finished.load());  // completed, but not yet handed back
  acc.deallocate(std::move(batches[0]));
  flusher.join();
  CHECK(flushed);
  CHECK(got.size() == 1);  // the callback ran before flush returned
}

TEST_CASE("accumulator: abort_all reports every queued and in-flight record exactly once") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  REQUIRE(add(acc, p0, 600, 0, got, 0).ok());
  REQUIRE(add(acc, p0, 600, 0, got, 1).ok());
  REQUIRE(add(acc, p1, 10, 0, got, 2).ok());
  REQUIRE(add(acc, p1, 10, 0, got, 3).ok());
  auto in_flight = drain_one(acc, p1, 20);
  REQUIRE(in_flight.size() == 1);

  acc.close();
  int calls = 0;
  std::vector<std::uint8_t> value(10);
  DeliveryCallback cb = [&calls](const DeliveryReport&) { ++calls; };
  auto refused =
      acc.append(p0, 0, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(), cb, 0);
  CHECK(refused.error == client_errc::shutting_down);
  CHECK(cb);
  // Closing makes everything queued ready, linger or not.
  CHECK(acc.ready(0, kLeaders).ready_nodes == std::vector<std::int32_t>{0});

  const std::error_code error = make_error_code(client_errc::shutting_down);
  CHECK(acc.abort_all(error) == 3);
  check_each_once(got, 4, error);
  CHECK_FALSE(acc.has_undrained());
  CHECK(acc.abort_all(error) == 0);  // nothing twice
  CHECK_FALSE(in_flight[0]->complete(10, -1));
  acc.deallocate(std::move(in_flight[0]));
  CHECK(got.size() == 4);
  CHECK_FALSE(acc.has_incomplete());
}

TEST_CASE("accumulator: callbacks get offsets base+i and the sender's timestamps") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  for (int i = 0; i < 5; ++i) REQUIRE(add(acc, p0, 10, 100 + i, got, i).ok());
  auto batches = drain_one(acc, p0, 200);
  REQUIRE(batches.size() == 1);
  CHECK(batches[0]->record_count() == 5);
  CHECK(batches[0]->created_ms() == 100);
  succeed(acc, std::move(batches[0]), 1000);
  REQUIRE(got.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(got[i].tag == i);
    CHECK(got[i].report.ok());
    CHECK(got[i].report.metadata.offset == 1000 + i);
    CHECK(got[i].report.metadata.timestamp_ms == 100 + i);
    CHECK(got[i].report.metadata.topic == "t");
  }
}

TEST_CASE("accumulator: split_and_reenqueue queues the pieces first, in order, and flush waits for them") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  for (int i = 0; i < 8; ++i) REQUIRE(add(acc, p0, 100, 0, got, i).ok());
  REQUIRE(add(acc, p0, 600, 0, got, 8).ok());  // a later batch must stay behind the pieces
  REQUIRE(acc.queued_batches(p0) == 2);
  auto big = drain_one(acc, p0, 20);
  REQUIRE(big.size() == 1);
  REQUIRE(big[0]->record_count() == 8);
  big[0]->seal({});

  acc.begin_flush();
  std::error_code error;
  const std::size_t pieces = acc.split_and_reenqueue(big[0], 30, error);
  REQUIRE_FALSE(error);
  CHECK(pieces >= 2);
  CHECK_FALSE(big[0]);  // consumed
  CHECK(acc.queued_batches(p0) == pieces + 1);
  CHECK_FALSE(acc.await_flush_completion(10ms));  // pieces inherit the original's flush generation
  CHECK(got.empty());

  std::int64_t offset = 0;
  for (std::size_t i = 0; i < pieces + 1; ++i) {
    auto one = drain_one(acc, p0, 30);
    REQUIRE(one.size() == 1);
    CHECK(one[0]->attempts() == 0);
    const std::int32_t n = one[0]->record_count();
    succeed(acc, std::move(one[0]), offset);
    offset += n;
  }
  REQUIRE(got.size() == 9);
  for (int i = 0; i < 9; ++i) {
    CHECK(got[i].tag == i);
    CHECK(got[i].report.metadata.offset == i);
  }
  acc.begin_flush();
  CHECK(acc.await_flush_completion(10ms));
  CHECK(acc.available_memory() == test_config().buffer_memory);
}

TEST_CASE("accumulator: a one-record batch is not split") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  auto one = drain_one(acc, p0, 20);
  REQUIRE(one.size() == 1);
  std::error_code error;
  CHECK(acc.split_and_reenqueue(one[0], 30, error) == 0);
  REQUIRE(one[0]);  // still the caller's, to fail
  one[0]->fail(kwire::make_error_code(kwire::errc::message_too_large));
  acc.deallocate(std::move(one[0]));
  REQUIRE(got.size() == 1);
  CHECK(got[0].report.error == kwire::errc::message_too_large);
}

TEST_CASE("accumulator: muted partitions are neither ready nor drained") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  acc.mute(p0);
  CHECK(acc.is_muted(p0));
  CHECK(acc.ready(100, kLeaders).ready_nodes.empty());
  CHECK(drain_one(acc, p0, 100).empty());
  acc.unmute(p0);
  CHECK(acc.ready(100, kLeaders).ready_nodes == std::vector<std::int32_t>{0});
  auto drained = drain_one(acc, p0, 100);
  REQUIRE(drained.size() == 1u);
  succeed(acc, std::move(drained[0]), 0);
}

TEST_CASE("accumulator: partitions without a known leader are reported for a metadata refresh") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  REQUIRE(add(acc, p1, 10, 0, got, 1).ok());
  LeaderLookup only_even = [](const TopicPartition& tp) -> std::optional<std::int32_t> {
    if (tp.partition % 2) return std::nullopt;
    return 0;
  };
  auto check = acc.ready(100, only_even);
  CHECK(check.ready_nodes == std::vector<std::int32_t>{0});
  CHECK(check.unknown_leader_partitions == std::vector<TopicPartition>{p1});
}

TEST_CASE("accumulator: steady-state appends perform no heap allocation") {
  auto config = test_config();
  config.buffer_memory = 1 << 20;
  RecordAccumulator acc(config);
  const TopicPartition parts[2] = {p0, p1};
  std::array<std::uint8_t, 100> value{};
  const HeaderView header("trace", "abc");
  const std::array<HeaderView, 1> headers{header};
  int delivered = 0;
  int failures = 0;
  std::vector<BatchPtr> drained;
  drained.reserve(64);

  // One full cycle: append, drain, complete, hand back. No doctest macros
  // inside (they may allocate); problems are counted instead.
  auto cycle = [&](std::int64_t now) {
    for (int i = 0; i < 300; ++i) {
      DeliveryCallback cb = [&delivered](const DeliveryReport& r) { delivered += r.ok() ? 1 : 0; };
      auto r = acc.append(parts[i % 2], now, std::nullopt, std::span<const std::uint8_t>(value), headers, cb, now);
      if (!r.ok()) ++failures;
    }
    for (const auto& tp : parts)
      while (acc.queued_batches(tp) > 0)
        acc.drain(tp.partition % 2, std::span<const TopicPartition>(&tp, 1), 1 << 20, now, drained);
    for (auto& b : drained) {
      b->seal({});
      b->complete(0, -1);
      acc.deallocate(std::move(b));
    }
    drained.clear();
  };

  for (int i = 0; i < 3; ++i) cycle(i);  // warm-up: pool, ring buffers, slot vectors
  kwire_test_alloc::count = 0;
  kwire_test_alloc::counting = true;
  cycle(10);
  cycle(11);
  kwire_test_alloc::counting = false;
  CHECK(kwire_test_alloc::count == 0);
  CHECK(failures == 0);
  CHECK(delivered == 5 * 300);

  // The counter does count: a std::function with a big capture allocates.
  std::array<char, 64> big{};
  kwire_test_alloc::count = 0;
  kwire_test_alloc::counting = true;
  DeliveryCallback heavy = [big](const DeliveryReport&) { (void)big; };
  kwire_test_alloc::counting = false;
  CHECK(kwire_test_alloc::count >= 1);
}

TEST_CASE("accumulator: concurrent appends while the sender drains report every record once, in order") {
  auto config = test_config();
  config.buffer_memory = 256 * 1024;
  config.max_block_ms = 10000;
  RecordAccumulator acc(config);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  struct Seen {
    std::int64_t offset = -1;
    int reports = 0;
  };
  // Callbacks run on this (sender) thread only.
  std::vector<std::vector<Seen>> seen(kThreads, std::vector<Seen>(kPerThread));
  std::atomic<int> appended{0};
  std::atomic<int> failed{0};

  std::vector<std::thread> appenders;
  for (int t = 0; t < kThreads; ++t) {
    appenders.emplace_back([&, t] {
      const TopicPartition tp{"t", t};  // one partition per thread: its order is the thread's order
      std::array<std::uint8_t, 50> value{};
      for (int i = 0; i < kPerThread; ++i) {
        Seen* slot = &seen[t][i];
        DeliveryCallback cb = [slot](const DeliveryReport& r) {
          slot->offset = r.metadata.offset;
          ++slot->reports;
        };
        // Record timestamps vary; the clock (`now`) is the sender's, from 0.
        auto r = acc.append(tp, i, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(),
                            cb, 0);
        if (!r.ok()) ++failed;
        ++appended;
      }
    });
  }

  const std::vector<TopicPartition> node_parts[2] = {{TopicPartition{"t", 0}, TopicPartition{"t", 2}},
                                                     {TopicPartition{"t", 1}, TopicPartition{"t", 3}}};
  std::int64_t next_offset[kThreads] = {};
  std::int64_t now = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while ((appended.load() < kThreads * kPerThread || acc.has_incomplete()) &&
         std::chrono::steady_clock::now() < deadline) {
    now += 5;
    auto check = acc.ready(now, kLeaders);
    for (std::int32_t node : check.ready_nodes) {
      for (auto& batch : acc.drain(node, node_parts[node], 1 << 20, now)) {
        const int p = batch->topic_partition().partition;
        const std::int64_t base = next_offset[p];
        next_offset[p] += batch->record_count();
        succeed(acc, std::move(batch), base);
      }
    }
    if (check.ready_nodes.empty()) std::this_thread::yield();
  }
  for (auto& th : appenders) th.join();
  CHECK(failed.load() == 0);
  CHECK_FALSE(acc.has_incomplete());
  int wrong = 0;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kPerThread; ++i)
      if (seen[t][i].reports != 1 || seen[t][i].offset != i) ++wrong;
  CHECK(wrong == 0);
}

TEST_CASE("accumulator: AccumulatorConfig takes the producer's settings") {
  ProducerConfig producer;
  producer.batch_size = 5000;
  producer.linger_ms = 7;
  producer.buffer_memory = 1 << 22;
  producer.max_block_ms = 1234;
  producer.delivery_timeout_ms = 60000;
  producer.retry_backoff_ms = 50;
  producer.retry_backoff_max_ms = 800;
  producer.max_request_size = 2 << 20;
  producer.compression_type = kwire::compression::Codec::zstd;
  producer.compression_level = 7;
  const auto c = AccumulatorConfig::from(producer);
  CHECK(c.compression == kwire::compression::Codec::zstd);
  CHECK(c.compression_level == 7);
  CHECK(c.batch_size == 5000);
  CHECK(c.linger_ms == 7);
  CHECK(c.buffer_memory == (1u << 22));
  CHECK(c.max_block_ms == 1234);
  CHECK(c.delivery_timeout_ms == 60000);
  CHECK(c.retry_backoff_ms == 50);
  CHECK(c.retry_backoff_max_ms == 800);
  CHECK(c.max_request_size == (2u << 20));
  producer.delivery_timeout_ms.reset();
  CHECK(AccumulatorConfig::from(producer).delivery_timeout_ms == 120000);
}
