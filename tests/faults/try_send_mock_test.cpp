// Producer::try_send and send(..., max_block) against the mock cluster
// (issue 19 item 13): the non-blocking send an asyncio binding needs. A
// full buffer.memory answers buffer_full at once and on_ready fires when
// memory comes back (even with a linger.ms that would otherwise hold the
// last batch for a minute); a topic whose metadata is not known yet
// answers awaiting_metadata and on_ready fires when it arrives. Every
// record accepted is delivered and reported exactly once.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "kwire/mock/cluster.hpp"
#include "kwire/producer/producer.hpp"

using namespace std::chrono_literals;
using kwire::Producer;
using kwire::mock::ApiKey;
using kwire::mock::ClusterConfig;
using kwire::mock::MockCluster;
using kwire::producer::DeliveryReport;
using kwire::producer::LogLevel;
using kwire::producer::RecordView;
using TrySendResult = kwire::Producer::TrySendResult;

namespace {

/// What an event loop would do with on_ready: a flag it waits on.
struct Wakeup {
  std::mutex mutex;
  std::condition_variable cv;
  int count = 0;
  std::function<void()> callback() {
    return [this] {
      std::lock_guard lock(mutex);
      ++count;
      cv.notify_all();
    };
  }
  /// Waits for the next notification after `seen`; returns the new count.
  int wait_after(int seen, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, timeout, [&] { return count > seen; });
    return count;
  }
  int current() {
    std::lock_guard lock(mutex);
    return count;
  }
};

struct Reports {
  std::mutex mutex;
  std::map<int, int> calls;  // record index -> reports
  int failed = 0;
  kwire::producer::DeliveryCallback for_record(int index) {
    return [this, index](const DeliveryReport& r) {
      std::lock_guard lock(mutex);
      ++calls[index];
      failed += r.ok() ? 0 : 1;
    };
  }
};

kwire::producer::LogHandler quiet() {
  return [](LogLevel, std::string_view) {};
}

}  // namespace

TEST_CASE("try_send: buffer_full at once when buffer.memory is held, on_ready when it comes back") {
  ClusterConfig cc;
  cc.topics = {{"t", 1}};
  MockCluster cluster(cc);
  Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()},
                     {"batch.size", "1024"},
                     {"buffer.memory", "8192"},
                     {"linger.ms", "60000"},  // only a waiter for memory sends the last batch early
                     {"max.block.ms", "60000"}},
                    quiet());
  REQUIRE_FALSE(producer.wait_for_cluster(10s));
  auto warm = producer.send(RecordView("t", "warm", "up"), 10s);
  REQUIRE(producer.flush(10s));  // linger.ms would hold it a minute
  REQUIRE(warm.get().offset == 0);
  // Acknowledgements held back: the memory of sent batches stays taken.
  cluster.delay(ApiKey::produce, 100ms, 1000);

  Reports reports;
  Wakeup wakeup;
  const std::string value(200, 'v');
  int index = 0;
  int accepted = 0;
  int buffer_full = 0;
  const auto start = std::chrono::steady_clock::now();
  while (accepted < 200 && std::chrono::steady_clock::now() - start < 60s) {
    const int seen = wakeup.current();
    const auto call_start = std::chrono::steady_clock::now();
    const TrySendResult r = producer.try_send(RecordView("t", std::nullopt, value), reports.for_record(index),
                                              wakeup.callback());
    CHECK(std::chrono::steady_clock::now() - call_start < 5s);  // never max.block.ms
    if (r == TrySendResult::accepted) {
      ++accepted;
      ++index;
      continue;
    }
    REQUIRE(r == TrySendResult::buffer_full);
    ++buffer_full;
    // linger.ms is a minute: only the registered waiter gets the open batch
    // sent and its memory back within this bound.
    REQUIRE(wakeup.wait_after(seen, 30s) > seen);
  }
  CHECK(accepted == 200);
  CHECK(buffer_full > 0);
  REQUIRE(producer.flush(60s));
  {
    std::lock_guard lock(reports.mutex);
    CHECK(reports.failed == 0);
    CHECK(reports.calls.size() == 200);
    for (const auto& [i, n] : reports.calls) CHECK(n == 1);
  }
  CHECK(cluster.record_count("t", 0) == 201);
}

TEST_CASE("try_send: awaiting_metadata for a topic not yet known, on_ready when its metadata arrives") {
  ClusterConfig cc;
  cc.topics = {{"fresh", 2}};
  MockCluster cluster(cc);
  Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()}, {"linger.ms", "1"}}, quiet());
  Reports reports;
  Wakeup wakeup;
  // The producer asks for a topic's metadata only when a record needs it:
  // the first try is always too early.
  TrySendResult r = producer.try_send(RecordView("fresh", "k", "v"), reports.for_record(0), wakeup.callback());
  CHECK(r == TrySendResult::awaiting_metadata);
  REQUIRE(wakeup.wait_after(0, 30s) == 1);
  r = producer.try_send(RecordView("fresh", "k", "v"), reports.for_record(0), wakeup.callback());
  CHECK(r == TrySendResult::accepted);
  REQUIRE(producer.flush(30s));
  std::lock_guard lock(reports.mutex);
  CHECK(reports.calls[0] == 1);
  CHECK(reports.failed == 0);
  CHECK(cluster.record_count("fresh", 0) + cluster.record_count("fresh", 1) == 1);
}

TEST_CASE("send with its own deadline is refused in time when produce acknowledgements hold buffer.memory") {
  ClusterConfig cc;
  cc.topics = {{"t", 1}};
  MockCluster cluster(cc);
  Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()},
                     {"batch.size", "1024"},
                     {"buffer.memory", "4096"},
                     {"max.block.ms", "60000"}},
                    quiet());
  REQUIRE(producer.send(RecordView("t", "warm", "up"), 10s).get().offset == 0);
  cluster.delay(ApiKey::produce, 20s, 1000);  // memory stays held for the test's length
  const std::string value(900, 'v');
  std::atomic<int> queue_full{0};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20 && queue_full == 0; ++i)
    producer.send(RecordView("t", std::nullopt, value), [&](const DeliveryReport& report) {
      if (report.error == make_error_code(kwire::client_errc::queue_full)) ++queue_full;
    }, 300ms);
  CHECK(queue_full == 1);
  CHECK(std::chrono::steady_clock::now() - start < 20s);  // max.block.ms would be a minute
  cluster.clear_faults();
  CHECK(producer.close(0ms) == false);  // the held batches are failed, not awaited
}
