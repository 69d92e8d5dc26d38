// RecordAccumulator, driven with an injected clock: when a batch is ready
// (linger.ms, batch.size), oversize records, the request and buffer.memory
// limits on one record, allocation-free steady-state appends, and the
// settings taken from ProducerConfig. The other accumulator_*_test.cpp files
// cover buffer.memory waits, drain and retries, and completion.
#include <doctest/doctest.h>

#include <array>
#include <cstdlib>
#include <new>
#include <vector>

#include "kwire/producer/config.hpp"

#include "accumulator_harness.hpp"

using kwire::NodeId;

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

using namespace kwire::producer;
using namespace kwire::producer::accumulator_testing;
using kwire::client_errc;
using namespace std::chrono_literals;

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
  CHECK(check.ready_nodes == std::vector<NodeId>{NodeId{0}});

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
  CHECK(acc.ready(0, kLeaders).ready_nodes == std::vector<NodeId>{NodeId{0}});
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
        acc.drain(NodeId{tp.partition % 2}, std::span<const TopicPartition>(&tp, 1), 1 << 20, now, drained);
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
