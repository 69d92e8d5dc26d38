// The one real-broker test of an Asio flavour (tools/check runs it on the
// KWIRE_ASIO=boost build; it builds in either): a Producer on the caller's
// own io_context — boost::asio::io_context in the Boost.Asio flavour, as a
// Boost.Asio or Beast service would pass it — delivers to a real broker,
// every record read back by kcat.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <type_traits>

#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(executor_work_guard.hpp)
#include KWIRE_ASIO_INCLUDE(io_context.hpp)

#include <kwire/producer/producer.hpp>

#include "integration/support.hpp"

using namespace std::chrono_literals;

#if KWIRE_ASIO_BOOST
using FlavourIoContext = boost::asio::io_context;
#else
using FlavourIoContext = ::asio::io_context;
#endif

// The public headers name the flavour's io_context, whichever it is.
static_assert(std::is_constructible_v<kwire::Producer, std::map<std::string, std::string>, FlavourIoContext&>);

TEST_CASE("a Producer on the caller's own io_context of this build's Asio flavour delivers to a real broker") {
  const std::string topic = kwire::test::unique_topic(KWIRE_ASIO_BOOST ? "kwire-boost-io" : "kwire-asio-io");
  kwire::test::create_topic(topic, 2);
  FlavourIoContext io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  constexpr int n = 200;
  std::atomic<int> delivered{0};
  std::atomic<int> failed{0};
  std::atomic<std::int64_t> max_offset{-1};
  {
    kwire::Producer producer({{"bootstrap.servers", kwire::test::broker_env().bootstrap()}, {"linger.ms", "5"}}, io);
    for (int i = 0; i < n; ++i)
      producer.send(kwire::producer::RecordView(topic, std::to_string(i % 7), "value " + std::to_string(i)),
                    [&](const kwire::producer::DeliveryReport& r) {
                      if (!r.ok()) {
                        ++failed;
                        return;
                      }
                      ++delivered;
                      std::int64_t seen = max_offset.load();
                      while (r.metadata.offset > seen && !max_offset.compare_exchange_weak(seen, r.metadata.offset)) {
                      }
                    });
    CHECK(producer.close(120s));
  }
  work.reset();
  runner.join();
  CHECK(delivered == n);
  CHECK(failed == 0);
  CHECK(max_offset >= 0);
  CHECK(kwire::test::consume_with_kcat(topic, std::nullopt, n).size() == n);
}
