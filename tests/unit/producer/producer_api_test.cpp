// kwire::Producer without a broker: a closed port on 127.0.0.1. Checks the
// fail-fast check, that records refused by send() are reported exactly once
// (callback and future), configuration errors, and both threading modes.
#include <doctest/doctest.h>

#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(io_context.hpp)
#include KWIRE_ASIO_INCLUDE(ip/tcp.hpp)
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "kwire/producer/producer.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace std::chrono_literals;
using kwire::client_errc;
using kwire::Producer;
using kwire::producer::DeliveryReport;
using kwire::producer::LogLevel;
using kwire::producer::RecordView;

namespace {

/// A port on 127.0.0.1 with nothing listening (bound, then released).
std::string closed_address() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return "127.0.0.1:" + std::to_string(port);
}

std::map<std::string, std::string> props(const std::string& bootstrap) {
  return {{"bootstrap.servers", bootstrap},
          {"max.block.ms", "300"},
          {"reconnect.backoff.ms", "10"},
          {"reconnect.backoff.max.ms", "50"},
          {"socket.connection.setup.timeout.ms", "2000"}};
}

kwire::producer::LogHandler quiet() {
  return [](LogLevel, std::string_view) {};
}

}  // namespace

TEST_CASE("wait_for_cluster against a closed port gives no_broker_reachable quickly, naming the address") {
  const std::string address = closed_address();
  Producer producer(props(address), quiet());
  std::string detail;
  const auto start = std::chrono::steady_clock::now();
  const std::error_code ec = producer.wait_for_cluster(20s, &detail);
  CHECK(ec == make_error_code(client_errc::no_broker_reachable));
  CHECK(detail.find(address) != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < 15s);
}

TEST_CASE("a topic that never appears in metadata fails with unknown_topic after max.block.ms, once") {
  const std::string address = closed_address();
  Producer producer(props(address), quiet());
  std::atomic<int> reports{0};
  std::error_code error;
  std::string detail;
  producer.send(RecordView("orders", "k", "v"), [&](const DeliveryReport& r) {
    error = r.error;
    detail = r.detail;
    ++reports;
  });
  // Refused records are reported on the calling thread, before send() returns.
  CHECK(reports == 1);
  CHECK(error == make_error_code(client_errc::unknown_topic));
  // Issue #19: the topic, the wait and the real cause, not a topic problem.
  CHECK_MESSAGE(detail.starts_with("topic orders not in metadata after 300 ms: no broker reachable — " + address),
                detail);

  auto future = producer.send(RecordView("t", std::nullopt, "v"));
  REQUIRE(future.wait_for(0s) == std::future_status::ready);
  CHECK_THROWS_AS(future.get(), std::system_error);
  CHECK(producer.close(1s));
}

TEST_CASE("after close every send is refused with shutting_down; flush and close stay true") {
  Producer producer(props(closed_address()), quiet());
  CHECK(producer.close(1s));
  CHECK(producer.close(1s));
  std::error_code error;
  producer.send(RecordView("t", "k", "v"), [&](const DeliveryReport& r) { error = r.error; });
  CHECK(error == make_error_code(client_errc::shutting_down));
  kwire::producer::ProducerRecord owned;
  owned.topic = "t";
  auto future = producer.send(owned);
  try {
    future.get();
    FAIL("expected an exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == make_error_code(client_errc::shutting_down));
  }
  CHECK(producer.flush(1s));
  CHECK(producer.wait_for_cluster(1s) == make_error_code(client_errc::shutting_down));
}

TEST_CASE("invalid configuration throws ConfigError naming the key") {
  CHECK_THROWS_AS(Producer(std::map<std::string, std::string>{{"bootstrap.servers", "x:1"}, {"lingerr.ms", "1"}}),
                  kwire::ConfigError);
  try {
    Producer p(std::map<std::string, std::string>{{"bootstrap.servers", "x:1"}, {"acks", "2"}});
    FAIL("expected ConfigError");
  } catch (const kwire::ConfigError& e) {
    CHECK(e.key() == "acks");
  }
  // The TLS context is loaded at construction: a missing CA file fails now.
  CHECK_THROWS_AS(Producer(std::map<std::string, std::string>{{"bootstrap.servers", "x:1"},
                                                              {"security.protocol", "SSL"},
                                                              {"ssl.ca.location", "/nonexistent/kwire-ca.pem"}}),
                  kwire::ConfigError);
}

TEST_CASE("on the caller's io_context: works while it runs, and from a stopped one") {
  asio::io_context io;
  auto work = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(io.get_executor());
  std::thread runner([&] { io.run(); });
  {
    Producer producer(props(closed_address()), io, quiet());
    CHECK(producer.wait_for_cluster(20s) == make_error_code(client_errc::no_broker_reachable));
    std::error_code error;
    producer.send(RecordView("t", "k", "v"), [&](const DeliveryReport& r) { error = r.error; });
    CHECK(error == make_error_code(client_errc::unknown_topic));
    CHECK(producer.flush(1s));
    CHECK(producer.close(2s));
  }
  work.reset();
  runner.join();

  // Destroyed after its io_context stopped: close fails what is left inline.
  asio::io_context stopped;
  {
    Producer producer(props(closed_address()), stopped, quiet());
    stopped.run_for(50ms);
    stopped.stop();
  }
  CHECK(true);
}

TEST_CASE("send with its own deadline: bounds the metadata wait of that call, not max.block.ms") {
  auto properties = props(closed_address());
  properties["max.block.ms"] = "60000";
  Producer producer(properties, quiet());
  std::error_code error;
  int reports = 0;
  auto start = std::chrono::steady_clock::now();
  producer.send(RecordView("t", "k", "v"), [&](const DeliveryReport& r) {
    error = r.error;
    ++reports;
  }, 200ms);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(reports == 1);
  CHECK(error == make_error_code(client_errc::unknown_topic));
  CHECK(took >= 190ms);
  CHECK(took < 20s);  // generous for a loaded machine; without the bound: 60 s

  // 0 never waits; the future form.
  start = std::chrono::steady_clock::now();
  auto future = producer.send(RecordView("t", std::nullopt, "v"), 0ms);
  REQUIRE(future.wait_for(0s) == std::future_status::ready);
  CHECK_THROWS_AS(future.get(), std::system_error);
  kwire::producer::ProducerRecord owned;
  owned.topic = "t";
  auto owned_future = producer.send(owned, 0ms);
  REQUIRE(owned_future.wait_for(0s) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(producer.close(1s));
}

TEST_CASE("try_send never blocks: awaiting_metadata for an unknown topic, on_ready when the producer closes") {
  auto properties = props(closed_address());
  properties["max.block.ms"] = "60000";
  Producer producer(properties, quiet());
  int reports = 0;
  std::atomic<int> ready{0};
  const auto start = std::chrono::steady_clock::now();
  const auto result = producer.try_send(
      RecordView("t", "k", "v"), [&](const DeliveryReport&) { ++reports; }, [&] { ++ready; });
  CHECK(std::chrono::steady_clock::now() - start < 10s);  // no max.block.ms wait
  CHECK(result == Producer::TrySendResult::awaiting_metadata);
  CHECK(reports == 0);  // nothing reported: the caller sends it again later
  CHECK(ready == 0);

  // Closing notifies (the retry then gets shutting_down, as send() would).
  CHECK(producer.close(1s));
  CHECK(ready == 1);
  std::error_code error;
  CHECK(producer.try_send(RecordView("t", "k", "v"), [&](const DeliveryReport& r) {
    error = r.error;
    ++reports;
  }) == Producer::TrySendResult::accepted);
  CHECK(reports == 1);
  CHECK(error == make_error_code(client_errc::shutting_down));
}

TEST_CASE("try_send refuses what send() refuses without waiting: accepted, callback already run") {
  auto properties = props(closed_address());
  Producer producer(properties, quiet());
  std::error_code error;
  CHECK(producer.try_send(RecordView("", "k", "v"), [&](const DeliveryReport& r) { error = r.error; }) ==
        Producer::TrySendResult::accepted);
  CHECK(error == make_error_code(kwire::errc::invalid_topic_exception));
}

TEST_CASE("with a caller's io_context nobody runs: wait_for_cluster says so, the destructor does not hang") {
  asio::io_context never_run;
  const auto start = std::chrono::steady_clock::now();
  {
    Producer producer(props(closed_address()), never_run, quiet());
    std::string detail;
    CHECK(producer.wait_for_cluster(300ms, &detail) == make_error_code(client_errc::timed_out));
    CHECK(detail.find("io_context ran none of its work within 300 ms") != std::string::npos);
  }  // close(delivery.timeout.ms = 120 s): notices the loop is not run
  CHECK(std::chrono::steady_clock::now() - start < 20s);
}
