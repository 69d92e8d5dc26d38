// kwire::consumer::Consumer on the caller's asio::io_context (run on a
// thread of the test's), against the real broker: it joins a group, reads
// and commits with no network thread of its own. Called from a handler on
// that io_context — the thread its network side needs — nothing waits:
// poll() hands out what is there, commit_sync() says operation_would_block,
// committed() throws with that code and close() refuses.
#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <kwire/consumer/consumer.hpp>
#include <kwire/producer/producer.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::consumer::Consumer;
using kwire::consumer::ConsumerConfig;
using kwire::test::broker_env;

TEST_CASE("kwire::Consumer on the caller's io_context: reads and commits; on its thread nothing waits") {
  const std::string topic = kwire::test::unique_topic("consumer-user-io");
  const std::string group = topic + "-g";
  kwire::test::create_topic(topic, 1);
  {
    kwire::Producer producer({{"bootstrap.servers", broker_env().bootstrap()}});
    for (int i = 0; i < 20; ++i) producer.send(kwire::producer::RecordView(topic, std::nullopt, "v" + std::to_string(i)));
    REQUIRE(producer.flush(60s));
  }

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  {
    Consumer consumer(ConsumerConfig::from_properties({{"bootstrap.servers", broker_env().bootstrap()},
                                                       {"group.id", group},
                                                       {"auto.offset.reset", "earliest"},
                                                       {"enable.auto.commit", "false"}}),
                      io);
    consumer.subscribe({topic});
    std::vector<std::string> values;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (values.size() < 20 && std::chrono::steady_clock::now() < deadline)
      for (const auto& r : consumer.poll(200ms))
        values.emplace_back(reinterpret_cast<const char*>(r.value->data()), r.value->size());
    REQUIRE(values.size() == 20);
    CHECK(values.front() == "v0");
    CHECK(values.back() == "v19");
    CHECK_FALSE(consumer.commit_sync());

    // From a handler on the io_context: each call returns at once instead of
    // waiting for the thread it runs on (an hour-long poll() would hang the
    // test past the 60 s below).
    std::promise<void> done;
    std::error_code commit_there;
    std::error_code committed_there;
    bool close_refused = false;
    asio::post(io, [&] {
      try {
        CHECK(consumer.poll(std::chrono::hours(1)).empty());
        commit_there = consumer.commit_sync();
        try {
          (void)consumer.committed({{topic, 0}});
        } catch (const std::system_error& e) {
          committed_there = e.code();
        }
        try {
          consumer.close();
        } catch (const std::logic_error&) {
          close_refused = true;
        }
      } catch (...) {
        FAIL_CHECK("unexpected exception on the io_context's thread");
      }
      done.set_value();
    });
    REQUIRE(done.get_future().wait_for(60s) == std::future_status::ready);
    CHECK(commit_there == std::errc::operation_would_block);
    CHECK(committed_there == std::errc::operation_would_block);
    CHECK(close_refused);

    // From this thread, while the io_context runs: all as usual.
    const auto committed = consumer.committed({{topic, 0}});
    REQUIRE(committed.at({topic, 0}).has_value());
    CHECK(committed.at({topic, 0})->offset == 20);
    consumer.close();
  }
  work.reset();
  runner.join();
  CHECK(kwire::test::committed_by_kafka(group, topic).at(0) == 20);
}
