// The send() hot path's shortcuts (issue 8): one clock read for both times
// (SendClock), the per-thread caches of the accumulator's queues, the sticky
// partitioner's topic state and the topic registry's snapshots, and waking
// the sender only when a batch became sendable. Each shortcut must give the
// answers the slow path gives, and caches of two instances used from one
// thread must never mix.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "support/fake_transport.hpp"
#include "kwire/cluster/metadata_cache.hpp"
#include "kwire/producer/partitioner.hpp"
#include "record_accumulator.hpp"
// Private headers of the producer (no public API of their own).
#include "../../../producer/src/same_string.hpp"
#include "../../../producer/src/send_clock.hpp"
#include "../../../producer/src/topic_registry.hpp"

using kwire::NodeId;

using namespace kwire::producer;

namespace {

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

AccumulatorConfig small_batches() {
  AccumulatorConfig c;
  c.batch_size = 200;
  c.linger_ms = 10;
  c.buffer_memory = 64 * 1024;
  c.max_block_ms = 50;
  c.max_request_size = 4096;
  c.jitter_seed = 1;
  return c;
}

AppendResult add(RecordAccumulator& acc, const TopicPartition& tp, std::size_t value_size, int& delivered) {
  const std::vector<std::uint8_t> value(value_size, 7);
  DeliveryCallback cb = [&delivered](const DeliveryReport& r) {
    if (r.ok()) ++delivered;
  };
  return acc.append(tp, 1000, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(), cb,
                    1000);
}

}  // namespace

TEST_CASE("SendClock: one read gives steady and wall-clock milliseconds") {
  SendClock clock;
  for (int i = 0; i < 3; ++i) {
    const std::int64_t wall_before = system_ms();
    const std::int64_t steady_before = steady_ms();
    const SendClock::Now now = clock.now();
    const std::int64_t wall_after = system_ms();
    const std::int64_t steady_after = steady_ms();
    // The wall time derives from an offset at most 10 ms old; with no clock
    // step meanwhile it agrees with system_clock to a millisecond.
    CHECK(now.wall_ms >= wall_before - 1);
    CHECK(now.wall_ms <= wall_after + 1);
    CHECK(now.steady_ms >= steady_before);
    CHECK(now.steady_ms <= steady_after);
    std::this_thread::sleep_for(std::chrono::milliseconds(12));  // past the refresh interval
  }
}

TEST_CASE("accumulator: batch_became_full only when an append made a batch sendable") {
  RecordAccumulator acc(small_batches());
  const TopicPartition tp{"t", 0};
  int delivered = 0;
  AppendResult first = add(acc, tp, 50, delivered);
  CHECK(first.new_batch_created);
  CHECK_FALSE(first.batch_became_full);
  // Fill the first batch until a record opens the second one.
  AppendResult r;
  do r = add(acc, tp, 50, delivered);
  while (!r.new_batch_created);
  CHECK(r.batch_is_full);        // two batches queued
  CHECK(r.batch_became_full);    // and the first one just became sendable
  // More records join the second batch: the queue still counts as full,
  // but nothing new became sendable, so the sender need not be woken.
  AppendResult next = add(acc, tp, 10, delivered);
  CHECK_FALSE(next.new_batch_created);
  CHECK(next.batch_is_full);
  CHECK_FALSE(next.batch_became_full);
  CHECK(acc.queued_batches(tp) == 2);
  acc.abort_all(make_error_code(kwire::client_errc::shutting_down));
}

TEST_CASE("accumulator: two accumulators appended to from one thread keep their own queues") {
  // The per-thread queue cache is keyed by accumulator: alternating between
  // two (same topic and partition) must never put a record in the other's
  // queue.
  AccumulatorConfig config = small_batches();
  config.batch_size = 1024;  // every record of each accumulator in one batch
  RecordAccumulator a(config);
  RecordAccumulator b(config);
  const TopicPartition tp{"shared-topic-name-longer-than-sso", 3};
  int delivered = 0;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(add(a, tp, 10, delivered).ok());
    REQUIRE(add(b, tp, 10, delivered).ok());
    REQUIRE(add(b, tp, 10, delivered).ok());
  }
  auto drained_a = a.drain(NodeId{0}, std::span<const TopicPartition>(&tp, 1), 1 << 20, 5000);
  auto drained_b = b.drain(NodeId{0}, std::span<const TopicPartition>(&tp, 1), 1 << 20, 5000);
  REQUIRE(drained_a.size() == 1);
  REQUIRE(drained_b.size() == 1);
  CHECK(drained_a[0]->record_count() == 5);
  CHECK(drained_b[0]->record_count() == 10);
  // A partition of another topic is not the cached one either.
  const TopicPartition other{"other", 3};
  REQUIRE(add(a, other, 10, delivered).ok());
  CHECK(a.queued_batches(other) == 1);
  CHECK(a.queued_batches(tp) == 0);
  for (auto& batch : drained_a) a.deallocate(std::move(batch));
  for (auto& batch : drained_b) b.deallocate(std::move(batch));
  a.abort_all(make_error_code(kwire::client_errc::shutting_down));
}

TEST_CASE("sticky partition: two caches used from one thread keep their own state") {
  StickyPartitionCache a(1000, 1);
  StickyPartitionCache b(1000, 2);
  const std::int32_t pa = a.partition("t", 8);
  const std::int32_t pb = b.partition("t", 8);
  // Switching a leaves b where it was, whatever the thread cached last.
  a.on_append("t", pa, 1000);
  CHECK(b.partition("t", 8) == pb);
  const std::int32_t pa2 = a.partition("t", 8);
  CHECK(pa2 != pa);
  b.on_append("t", pb, 999);
  CHECK(b.partition("t", 8) == pb);
  CHECK(a.partition("t", 8) == pa2);
  // Bytes of the old partition after a switch do not count for the new one.
  a.on_append("t", pa, 5000);
  CHECK(a.partition("t", 8) == pa2);
  // current() of a topic never partitioned stays -1; on_append does not create it.
  a.on_append("never", 0, 10);
  CHECK(a.current("never") == -1);
}

TEST_CASE("TopicRegistry::find_cached follows publish() and never mixes registries") {
  namespace protocol = kwire::protocol;
  MetadataCache::Options options;
  options.jitter_seed = 1;
  MetadataCache md(options, {{"seed", 9092}});
  md.add_topic("t", 0);
  md.on_request_sent(0);
  md.update(kwire::test::metadata_response(1, "t", {{1, 0}, {1, 0}}), 1);

  TopicRegistry registry;
  TopicRegistry other;
  CHECK(registry.find_cached("t") == nullptr);  // not published yet
  registry.publish(md);
  const TopicSnapshot* two = registry.find_cached("t");
  REQUIRE(two != nullptr);
  CHECK(two->partition_count == 2);
  CHECK(registry.find_cached("t") == two);   // cached: same snapshot
  CHECK(other.find_cached("t") == nullptr);  // another registry: its own answer
  REQUIRE(registry.find_cached("t") != nullptr);

  // The topic grows: the next lookup sees the new snapshot.
  md.on_request_sent(2);
  md.update(kwire::test::metadata_response(1, "t", {{1, 0}, {1, 0}, {1, 0}}), 3);
  registry.publish(md);
  const TopicSnapshot* three = registry.find_cached("t");
  REQUIRE(three != nullptr);
  CHECK(three->partition_count == 3);
  CHECK(registry.find_cached("missing") == nullptr);
  CHECK(registry.find_cached("t")->partition_count == 3);
}

TEST_CASE("hot path: same_string agrees with string equality for every length and difference position") {
  using kwire::producer::detail::same_string;
  std::string a, b;
  for (std::size_t n = 0; n <= 40; ++n) {
    a.assign(n, 'x');
    for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + (i * 7) % 26);
    b = a;
    CAPTURE(n);
    CHECK(same_string(a, b));
    CHECK(same_string(std::string_view(a).substr(0, n), std::string_view(b)));
    for (std::size_t i = 0; i < n; ++i) {
      b[i] = static_cast<char>(b[i] ^ 0x20);
      CHECK_FALSE(same_string(a, b));
      b[i] = a[i];
    }
    b.push_back('z');  // longer: never equal
    CHECK_FALSE(same_string(a, b));
    CHECK_FALSE(same_string(b, a));
  }
}
