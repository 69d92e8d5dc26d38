// Error reports that explain (issue 19 items 3, 5, 6) against the mock
// cluster: a record that expires while its leader is down names the
// topic-partition, the timeout and that it was never sent; a record larger
// than buffer.memory names both sizes and the setting; a throwing delivery
// callback is logged with the topic-partition.
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "kwire/mock/cluster.hpp"
#include "kwire/producer/producer.hpp"
#include "log_lines.hpp"

using namespace std::chrono_literals;
using kwire::producer::DeliveryReport;
using kwire::producer::LogCategory;
using kwire::producer::LogLevel;
using kwire::producer::RecordView;

namespace {
using Lines = kwire_test::LogLines;
}  // namespace

TEST_CASE("error reports: a record expiring while its leader is down names the partition, timeout and cause") {
  kwire::mock::ClusterConfig cc;
  cc.topics = {{"orders", 1}};
  kwire::mock::MockCluster cluster(cc);
  Lines log;
  kwire::Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()},
                            {"linger.ms", "0"},
                            {"request.timeout.ms", "1000"},
                            {"delivery.timeout.ms", "1500"},
                            {"reconnect.backoff.ms", "10"},
                            {"reconnect.backoff.max.ms", "50"}},
                           log.handler());
  REQUIRE(producer.send(RecordView("orders", "k", "warm-up"), 10s).get().offset == 0);
  cluster.stop_broker(1);
  auto future = producer.send(RecordView("orders", "k", "lost"));
  REQUIRE(future.wait_for(30s) == std::future_status::ready);
  try {
    future.get();
    FAIL("expected timed_out");
  } catch (const std::system_error& e) {
    CHECK(e.code() == make_error_code(kwire::client_errc::timed_out));
    const std::string what = e.what();
    CHECK(what.find("Expiring 1 record(s) for orders-0: ") != std::string::npos);
    CHECK(what.find("delivery.timeout.ms=1500") != std::string::npos);
    MESSAGE(what);
  }
  cluster.start_broker(1);
}

TEST_CASE("error reports: a record larger than buffer.memory; a throwing callback is logged") {
  kwire::mock::ClusterConfig cc;
  cc.topics = {{"orders", 1}};
  kwire::mock::MockCluster cluster(cc);
  Lines log;
  kwire::Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()},
                            {"batch.size", "1024"},
                            {"buffer.memory", "4096"},
                            {"linger.ms", "0"}},
                           log.handler());
  const std::string big(6000, 'x');  // below max.request.size (1 MiB), above buffer.memory
  DeliveryReport report;
  producer.send(RecordView("orders", "k", big), [&](const DeliveryReport& r) { report = r; }, 10s);
  CHECK(report.error == make_error_code(kwire::client_errc::record_exceeds_buffer_memory));
  CHECK(report.detail.find("more than buffer.memory (4096 bytes)") != std::string::npos);
  CHECK(report.detail.find("raise buffer.memory") != std::string::npos);

  for (int i = 0; i < 3; ++i)
    producer.send(RecordView("orders", "k", "v"), [](const DeliveryReport&) { throw std::runtime_error("handler bug"); });
  REQUIRE(producer.flush(30s));
  CHECK(log.count("delivery callback for orders-0 threw std::runtime_error: handler bug") == 1);
}
