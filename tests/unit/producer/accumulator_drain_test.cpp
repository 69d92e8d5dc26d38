// RecordAccumulator, the sender's side: drain limits and rotation, retries
// (first in line, backed off, in sequence order for idempotence), splitting
// a batch, muted partitions, and partitions without a known leader.
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "accumulator_harness.hpp"

using kwire::NodeId;

using namespace kwire::producer;
using namespace kwire::producer::accumulator_testing;
using kwire::client_errc;
using namespace std::chrono_literals;

TEST_CASE("accumulator: drain takes one batch per partition within max.request.size and rotates") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  const std::vector<TopicPartition> parts{p0, p2, p4};  // all led by node 0
  int tag = 0;
  for (const auto& tp : parts)
    for (int i = 0; i < 3; ++i) REQUIRE(add(acc, tp, 600, 0, got, tag++).new_batch_created);  // one per batch

  // Plenty of room: one batch from each partition, not more.
  auto all = acc.drain(NodeId{0}, parts, 1 << 20, 0);
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
    auto one = acc.drain(NodeId{0}, parts, 1000, 0);
    REQUIRE(one.size() == 1);
    order.push_back(one[0]->topic_partition().partition);
    succeed(acc, std::move(one[0]), 0);
  }
  CHECK(std::set<std::int32_t>(order.begin(), order.end()) == std::set<std::int32_t>{0, 2, 4});

  // A batch bigger than the limit still goes, alone.
  auto alone = acc.drain(NodeId{0}, parts, 10, 0);
  REQUIRE(alone.size() == 1);
  CHECK(alone[0]->size_in_bytes() > 10);
  succeed(acc, std::move(alone[0]), 0);

  // Partitions of other nodes and unknown partitions are not touched.
  REQUIRE(add(acc, p1, 10, 0, got, tag++).ok());
  const std::vector<TopicPartition> ghost{TopicPartition{"nope", 9}};
  CHECK(acc.drain(NodeId{0}, ghost, 1 << 20, 0).empty());
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
    CHECK(acc.ready(now, kLeaders).ready_nodes == std::vector<NodeId>{NodeId{0}});
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
  CHECK(acc.ready(100, kLeaders).ready_nodes == std::vector<NodeId>{NodeId{0}});
  auto drained = drain_one(acc, p0, 100);
  REQUIRE(drained.size() == 1u);
  succeed(acc, std::move(drained[0]), 0);
}

TEST_CASE("accumulator: partitions without a known leader are reported for a metadata refresh") {
  std::vector<Received> got;
  RecordAccumulator acc(test_config());
  REQUIRE(add(acc, p0, 10, 0, got, 0).ok());
  REQUIRE(add(acc, p1, 10, 0, got, 1).ok());
  LeaderLookup only_even = [](const TopicPartition& tp) -> std::optional<NodeId> {
    if (tp.partition % 2) return std::nullopt;
    return NodeId{0};
  };
  auto check = acc.ready(100, only_even);
  CHECK(check.ready_nodes == std::vector<NodeId>{NodeId{0}});
  CHECK(check.unknown_leader_partitions == std::vector<TopicPartition>{p1});
}
