// kwire::Consumer's statistics and log lines on a real broker: after
// consuming every record of a topic the totals equal what was produced, lag
// reaches 0, the high watermarks match the log ends, the interval callback
// delivers valid JSON, and the group's join and assignment are logged.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <kwire/consumer/consumer.hpp>
#include <kwire/producer/producer.hpp>

#include "support.hpp"
#include "unit/producer/json_check.hpp"

using namespace std::chrono_literals;
using kwire::cluster::LogCategory;
using kwire::cluster::LogLevel;
using kwire::consumer::ConsumerStatistics;
using kwire::test::broker_env;

TEST_CASE("kwire::Consumer statistics: totals equal the records produced, lag 0, high watermarks = log ends") {
  const std::string topic = kwire::test::unique_topic("kwire-consumer-stats");
  kwire::test::create_topic(topic, 3);
  constexpr int kRecords = 450;
  std::uint64_t value_bytes = 0;
  {
    kwire::Producer producer({{"bootstrap.servers", broker_env().bootstrap()}, {"linger.ms", "5"}});
    for (int i = 0; i < kRecords; ++i) {
      const std::string value = "value-" + std::to_string(i);
      value_bytes += value.size();
      producer.send(kwire::producer::RecordView(topic, std::nullopt, value), [](const auto&) {});
    }
    REQUIRE(producer.flush(60s));
  }

  std::mutex mu;
  std::vector<std::string> lines;
  std::vector<std::string> json_snapshots;
  auto config = kwire::consumer::ConsumerConfig::from_properties({{"bootstrap.servers", broker_env().bootstrap()},
                                                                   {"group.id", kwire::test::unique_topic("g-stats")},
                                                                   {"auto.offset.reset", "earliest"},
                                                                   {"enable.auto.commit", "false"},
                                                                   {"statistics.interval.ms", "200"},
                                                                   {"queued.max.messages.kbytes", "64"},
                                                                   {"debug", "consumer,group,fetch"}});
  config.statistics_callback = [&](const ConsumerStatistics&, std::string_view json) {
    std::lock_guard lock(mu);
    json_snapshots.emplace_back(json);
  };
  kwire::consumer::Consumer consumer(std::move(config), {},
                                     [&](LogLevel, LogCategory category, std::string_view text) {
                                       std::lock_guard lock(mu);
                                       lines.push_back(std::string(kwire::cluster::to_string(category)) + " " +
                                                       std::string(text));
                                     });
  consumer.subscribe({topic});
  int consumed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (consumed < kRecords) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "read " << consumed);
    consumed += static_cast<int>(consumer.poll(100ms).size());
    for (const auto& e : consumer.errors()) FAIL_CHECK("consumer error: " << e.message);
  }
  CHECK(consumed == kRecords);
  REQUIRE_FALSE(consumer.commit_sync());

  // Lag reaches 0 once a Fetch after the last record reports the high watermark.
  ConsumerStatistics s;
  const auto lag_deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    (void)consumer.poll(100ms);
    s = consumer.statistics();
    bool caught_up = s.partitions.size() == 3;
    for (const auto& p : s.partitions) caught_up = caught_up && p.lag == 0;
    if (caught_up) break;
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < lag_deadline, kwire::consumer::to_json(s));
  }
  CHECK(s.records_consumed == kRecords);
  CHECK(s.bytes_consumed == value_bytes);
  CHECK(s.fetch_requests >= s.fetch_responses);
  CHECK(s.fetch_responses > 0);
  CHECK(s.bytes_fetched > value_bytes);  // batch headers and framing too
  CHECK(s.fetch_latency.samples == s.fetch_responses);
  CHECK(s.group_state == "stable");
  CHECK(s.generation >= 1);
  CHECK_FALSE(s.member_id.empty());
  CHECK(s.rebalances >= 1);
  CHECK(s.assignment_size == 3);
  CHECK(s.buffered_bytes_max == 64 * 1024);
  CHECK_FALSE(s.brokers.empty());
  std::int64_t high_watermarks = 0;
  for (const auto& p : s.partitions) {
    CHECK(p.high_watermark == p.position);
    CHECK(p.committed_offset == p.position);
    CHECK(p.leader >= 0);
    high_watermarks += p.high_watermark;
    // The broker's own log end agrees.
    CHECK(consumer.watermarks({p.topic, p.partition})->high_watermark == p.high_watermark);
  }
  CHECK(high_watermarks == kRecords);

  const auto json = kwire::test::parse_json(consumer.statistics_json());
  CHECK(json.u64("records_consumed") == kRecords);
  // statistics.interval.ms=200: a snapshot arrives while the consumer runs.
  const auto callback_deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (!json_snapshots.empty()) break;
    }
    REQUIRE(std::chrono::steady_clock::now() < callback_deadline);
    (void)consumer.poll(50ms);
  }
  consumer.close();
  // After close: the final figures, without brokers.
  CHECK(consumer.statistics().records_consumed == kRecords);

  std::lock_guard lock(mu);
  REQUIRE_FALSE(json_snapshots.empty());
  for (const auto& snapshot : json_snapshots) (void)kwire::test::parse_json(snapshot);
  auto logged = [&](std::string_view prefix, std::string_view part) {
    for (const auto& l : lines)
      if (l.starts_with(prefix) && l.find(part) != std::string::npos) return true;
    return false;
  };
  CHECK(logged("consumer", "subscribe: group"));
  CHECK(logged("group", "joined, generation"));
  CHECK(logged("group", "assigned 3 partition(s)"));
  CHECK(logged("consumer", "close: leaving group"));
}
