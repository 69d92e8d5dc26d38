// Observability (issue 10) against the fault-injecting mock cluster: a
// retried batch and a forced reconnect must show up both in the log (once,
// with broker id and address) and in the statistics; the periodic
// statistics callback delivers valid JSON; the figures add up once flushed.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kwire/mock/cluster.hpp"
#include "kwire/producer/producer.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "unit/producer/json_check.hpp"

using namespace std::chrono_literals;
using kwire::errc;
using kwire::mock::ApiKey;
using kwire::mock::ClusterConfig;
using kwire::mock::MockCluster;
using kwire::producer::DeliveryReport;
using kwire::producer::LogCategory;
using kwire::producer::LogLevel;
using kwire::producer::ProducerStatistics;
using kwire::producer::RecordView;

namespace {

struct Line {
  LogLevel level;
  LogCategory category;
  std::string message;
};

struct Sink {
  std::mutex mutex;
  std::vector<Line> lines;
  kwire::producer::LogHandler handler() {
    return [this](LogLevel level, LogCategory category, std::string_view message) {
      std::lock_guard lock(mutex);
      lines.push_back({level, category, std::string(message)});
    };
  }
  std::size_t count(LogLevel level, LogCategory category, std::string_view text) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const Line& l : lines) n += (l.level == level && l.category == category && l.message.find(text) != std::string::npos);
    return n;
  }
  std::string dump() {
    std::lock_guard lock(mutex);
    std::string out;
    for (const Line& l : lines) out += std::string(to_string(l.level)) + " [" + std::string(to_string(l.category)) + "] " + l.message + "\n";
    return out;
  }
};

struct Counter {
  std::mutex mutex;
  int delivered = 0;
  int failed = 0;
  void on(const DeliveryReport& r) {
    std::lock_guard lock(mutex);
    (r.ok() ? delivered : failed)++;
  }
};

void send_n(kwire::Producer& producer, Counter& counter, const std::string& topic, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string value = "value-" + std::to_string(i);
    producer.send(RecordView(topic, std::nullopt, value), [c = &counter](const DeliveryReport& r) { c->on(r); });
  }
}

const kwire::producer::PartitionStatistics* find_partition(const ProducerStatistics& s, const std::string& topic,
                                                          std::int32_t p) {
  for (const auto& x : s.partitions)
    if (x.topic == topic && x.partition == p) return &x;
  return nullptr;
}

const kwire::producer::BrokerStatistics* find_broker(const ProducerStatistics& s, std::int32_t id) {
  for (const auto& b : s.brokers)
    if (b.node_id == id) return &b;
  return nullptr;
}

}  // namespace

TEST_CASE("observability: a retry and a forced reconnect show in the log and the statistics") {
  ClusterConfig cc;
  cc.topics = {{"obs", 1}};
  MockCluster cluster(cc);
  const std::string address = "127.0.0.1:" + std::to_string(cluster.port(1));
  Sink sink;
  Counter counter;
  kwire::Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()},
                            {"linger.ms", "1"},
                            {"retry.backoff.ms", "10"},
                            {"retry.backoff.max.ms", "50"},
                            {"reconnect.backoff.ms", "10"},
                            {"reconnect.backoff.max.ms", "50"},
                            {"debug", "all"}},
                           sink.handler());
  REQUIRE_FALSE(producer.wait_for_cluster(10s));

  send_n(producer, counter, "obs", 10);
  REQUIRE(producer.flush(30s));
  CHECK(sink.count(LogLevel::info, LogCategory::broker, "connected to node 1 (" + address + ")") == 1);

  // A retriable error: the batch is retried once, logged once at info.
  cluster.fail_next(ApiKey::produce, errc::not_leader_or_follower, 1, std::string("obs"));
  send_n(producer, counter, "obs", 5);
  REQUIRE(producer.flush(30s));
  CHECK(sink.count(LogLevel::info, LogCategory::producer, "obs/0: NOT_LEADER_OR_FOLLOWER, retrying") == 1);

  // The broker closes the connection under a Produce request: reconnect, resend.
  cluster.drop_connection_before(ApiKey::produce, 1);
  send_n(producer, counter, "obs", 5);
  REQUIRE(producer.flush(30s));
  INFO(sink.dump());
  CHECK(sink.count(LogLevel::info, LogCategory::broker, "connection to node 1 (" + address + ") closed") >= 1);
  CHECK(sink.count(LogLevel::info, LogCategory::broker, "reconnected to node 1 (" + address + ")") >= 1);
  CHECK(sink.count(LogLevel::warning, LogCategory::broker, "Produce request to node 1 (" + address + ") failed") >= 1);

  const ProducerStatistics s = producer.statistics();
  {
    std::lock_guard lock(counter.mutex);
    CHECK(counter.delivered == 20);
    CHECK(counter.failed == 0);
  }
  CHECK(s.records_sent == 20);
  CHECK(s.records_delivered == 20);
  CHECK(s.records_failed == 0);
  CHECK(s.records_delivered + s.records_failed == s.records_sent);
  CHECK(s.records_queued == 0);
  CHECK(s.records_in_flight == 0);
  CHECK(s.retries >= 2);  // NOT_LEADER_OR_FOLLOWER, then the dropped request
  CHECK(s.producer_id >= 1000);  // the mock's first producer id (idempotence on by default)
  const auto* p = find_partition(s, "obs", 0);
  REQUIRE(p);
  CHECK(p->leader == 1);
  CHECK(p->records_delivered == 20);
  CHECK(p->errors.count("NOT_LEADER_OR_FOLLOWER") == 1);
  CHECK(p->errors.at("NOT_LEADER_OR_FOLLOWER") == 1);
  const auto* b = find_broker(s, 1);
  REQUIRE(b);
  CHECK(b->address == address);
  CHECK(b->reconnects >= 1);
  CHECK(b->disconnects >= 1);
  CHECK(b->request_errors >= 1);
  CHECK(b->rtt.samples >= 3);
  CHECK(b->rtt.max_us >= b->rtt.p50_us);
  CHECK(b->requests_sent >= b->responses_received);
  // The broker side agrees: every record once.
  CHECK(cluster.record_count("obs", 0) == 20);

  const kwire::test::Json j = kwire::test::parse_json(producer.statistics_json());
  CHECK(j.u64("records_delivered") == 20);
}

TEST_CASE("observability: statistics.interval.ms delivers the struct and valid JSON periodically") {
  MockCluster cluster;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> documents;
  std::vector<std::uint64_t> delivered;
  kwire::producer::ProducerConfig config = kwire::producer::ProducerConfig::from_properties(
      {{"bootstrap.servers", cluster.bootstrap_servers()}, {"statistics.interval.ms", "20"}, {"linger.ms", "1"}});
  config.statistics_callback = [&](const ProducerStatistics& s, std::string_view json) {
    std::lock_guard lock(mutex);
    documents.emplace_back(json);
    delivered.push_back(s.records_delivered);
    cv.notify_all();
  };
  kwire::Producer producer(config, kwire::producer::silent_log_handler());
  Counter counter;
  send_n(producer, counter, "periodic", 7);
  REQUIRE(producer.flush(30s));
  {
    std::unique_lock lock(mutex);
    // Wait for a document taken after the flush (bounded; not a timing assertion).
    const std::size_t before = documents.size();
    REQUIRE(cv.wait_for(lock, 30s, [&] { return documents.size() >= before + 2; }));
    const kwire::test::Json last = kwire::test::parse_json(documents.back());
    CHECK(last.u64("records_delivered") == 7);
    CHECK(delivered.back() == 7);
    for (const std::string& d : documents) kwire::test::parse_json(d);  // every one is valid
    // Counters never go backwards.
    for (std::size_t i = 1; i < delivered.size(); ++i) CHECK(delivered[i] >= delivered[i - 1]);
  }
  producer.close(10s);
  // After close no more documents arrive (the timer is cancelled).
  std::size_t after_close = 0;
  {
    std::lock_guard lock(mutex);
    after_close = documents.size();
  }
  std::this_thread::sleep_for(100ms);
  std::lock_guard lock(mutex);
  CHECK(documents.size() == after_close);
}

TEST_CASE("issue #19: a topic the cluster does not have (auto-creation off) is named, with the cause") {
  ClusterConfig cc;
  cc.auto_create_topics = false;
  MockCluster cluster(cc);
  kwire::Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()}, {"max.block.ms", "500"}},
                           [](LogLevel, std::string_view) {});
  REQUIRE_FALSE(producer.wait_for_cluster(10s));
  std::error_code error;
  std::string detail;
  producer.send(RecordView("no-such-topic", std::nullopt, "v"), [&](const DeliveryReport& r) {
    error = r.error;
    detail = r.detail;
  });
  CHECK(error == make_error_code(kwire::client_errc::unknown_topic));
  CHECK_MESSAGE(detail.starts_with("topic no-such-topic not in metadata after 500 ms: the cluster does not have it"),
                detail);
  CHECK(detail.find("no broker reachable") == std::string::npos);
}
