// Bounded shutdown (issue 19 items 7, 8), timed against the mock cluster
// with generous upper bounds: close(timeout) during an outage returns after
// about its timeout and logs once what it waits for; close(0ms) fails
// everything queued at once, each record reported; with the caller's
// io_context that stops being run, close and the destructor notice, fail
// what is left from the calling thread and say why — instead of hanging.
#include <doctest/doctest.h>

#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "kwire/mock/cluster.hpp"
#include "kwire/producer/producer.hpp"
#include "log_lines.hpp"

using namespace std::chrono_literals;
using kwire::client_errc;
using kwire::producer::DeliveryReport;
using kwire::producer::LogCategory;
using kwire::producer::LogLevel;
using kwire::producer::RecordView;

namespace {

using Lines = kwire_test::LogLines;

struct Tally {
  std::atomic<int> shutting_down{0};
  std::atomic<int> other{0};
  kwire::producer::DeliveryCallback callback() {
    return [this](const DeliveryReport& r) {
      (r.error == make_error_code(client_errc::shutting_down) ? shutting_down : other)++;
    };
  }
};

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_CASE("shutdown: during an outage close(timeout) waits about its timeout, logs once, fails the rest") {
  kwire::mock::ClusterConfig cc;
  cc.topics = {{"orders", 2}};
  kwire::mock::MockCluster cluster(cc);
  Lines log;
  Tally tally;
  kwire::Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()}, {"linger.ms", "0"}}, log.handler());
  std::error_code error;
  REQUIRE(producer.partitions_for("orders", error, 10s).size() == 2);
  cluster.stop_broker(1);
  for (int i = 0; i < 10; ++i) producer.send(RecordView("orders", std::to_string(i), "v"), tally.callback());
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(producer.close(1500ms));
  const auto took = since(start);
  CHECK(took >= 1400ms);
  CHECK(took < 15s);  // delivery.timeout.ms is 120 s
  CHECK(tally.shutting_down == 10);
  CHECK(tally.other == 0);
  CHECK(log.count("close: waiting up to 1500 ms for 10 record(s) in 2 partition(s) to 1 broker(s)") == 1);
}

TEST_CASE("shutdown: close(0ms) fails everything queued at once, each record reported") {
  kwire::mock::ClusterConfig cc;
  cc.topics = {{"orders", 1}};
  kwire::mock::MockCluster cluster(cc);
  Tally tally;
  kwire::Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()}, {"linger.ms", "60000"}},
                           kwire::producer::silent_log_handler());
  std::error_code error;
  REQUIRE(producer.partitions_for("orders", error, 10s).size() == 1);
  cluster.stop_broker(1);
  for (int i = 0; i < 100; ++i) producer.send(RecordView("orders", std::nullopt, "v"), tally.callback());
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(producer.close(0ms));
  CHECK(since(start) < 10s);
  CHECK(tally.shutting_down == 100);
  CHECK(tally.other == 0);
}

TEST_CASE("shutdown: a caller's io_context that stops being run: close and the destructor fail the rest, bounded") {
  kwire::mock::ClusterConfig cc;
  cc.topics = {{"orders", 1}};
  kwire::mock::MockCluster cluster(cc);
  Lines log;
  Tally tally;
  asio::io_context io;
  {
    kwire::Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()}, {"linger.ms", "60000"}}, io,
                             log.handler());
    // Run the loop until the topic's metadata is in, then stop running it
    // (without io.stop(): the case the issue hit).
    std::error_code error;
    std::thread runner([&] { io.run_for(3s); });
    const auto partitions = producer.partitions_for("orders", error, 10s);
    runner.join();
    REQUIRE(partitions.size() == 1);
    REQUIRE_FALSE(io.stopped());
    for (int i = 0; i < 5; ++i) producer.send(RecordView("orders", std::nullopt, "v"), tally.callback());
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(producer.close(30s));  // would hang forever before
    CHECK(since(start) < 15s);        // noticed after a 2 s grace, not 30 s
    CHECK(tally.shutting_down == 5);
    CHECK(log.count("the io_context given to the producer is not being run") == 1);
  }
  {
    // Never run at all; only the destructor (delivery.timeout.ms: 120 s).
    asio::io_context never;
    const auto start = std::chrono::steady_clock::now();
    {
      kwire::Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()}}, never,
                               kwire::producer::silent_log_handler());
      producer.send(RecordView("orders", std::nullopt, "v"), tally.callback(), 0ms);  // no metadata: refused at once
    }
    CHECK(since(start) < 15s);
  }
}
