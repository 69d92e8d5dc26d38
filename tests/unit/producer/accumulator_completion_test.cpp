// RecordAccumulator, how batches end: delivery.timeout.ms expiry (queued and
// in flight), flush, abort_all, the offsets and timestamps callbacks get,
// and concurrent appenders while the sender drains — every record reported
// exactly once.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "accumulator_harness.hpp"

using kwire::NodeId;

using namespace kwire::producer;
using namespace kwire::producer::accumulator_testing;
using kwire::client_errc;
using namespace std::chrono_literals;

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
  CHECK(acc.ready(0, kLeaders).ready_nodes == std::vector<NodeId>{NodeId{0}});
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
  CHECK(acc.ready(0, kLeaders).ready_nodes == std::vector<NodeId>{NodeId{0}});

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
    for (NodeId node : check.ready_nodes) {
      for (auto& batch : acc.drain(node, node_parts[node.value()], 1 << 20, now)) {
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
