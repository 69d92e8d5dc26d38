// Observability (issue 10) against the real broker: the statistics after a
// known produce (checked against an independent consumer, kcat), the CLI's
// -d and --stats, and that no password or token reaches any log line at
// any level over the SASL listeners with debug=all — also when the
// credentials are wrong, where the log must say what to fix.
// Retries and reconnects are provoked on the mock cluster instead
// (tests/faults/observability_mock_test.cpp): the shared broker is never
// restarted.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <kwire/producer/producer.hpp>
#include <kwire/protocol/client_error.hpp>
#include <kwire/security/sasl_oauthbearer.hpp>

#include "support.hpp"
#include "unit/producer/json_check.hpp"

using namespace std::chrono_literals;
using kwire::producer::DeliveryReport;
using kwire::producer::LogCategory;
using kwire::producer::LogLevel;
using kwire::producer::ProducerStatistics;
using kwire::producer::RecordView;
using kwire::test::broker_env;
using Properties = std::map<std::string, std::string>;

namespace {

std::string var(const std::string& name) { return broker_env().get(name); }

bool has_vars(std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (!broker_env().has(n) || broker_env().get(n).empty()) {
      MESSAGE("skipped: the broker environment has no " << n);
      return false;
    }
  return true;
}

/// Every line the producer logs, at every level.
struct Sink {
  std::mutex mutex;
  std::vector<std::string> lines;
  kwire::producer::LogHandler handler() {
    return [this](LogLevel level, LogCategory category, std::string_view message) {
      std::lock_guard lock(mutex);
      lines.push_back(std::string(to_string(level)) + " [" + std::string(to_string(category)) + "] " +
                      std::string(message));
    };
  }
  /// The first line containing `text`, or "".
  std::string find(std::string_view text) {
    std::lock_guard lock(mutex);
    for (const std::string& l : lines)
      if (l.find(text) != std::string::npos) return l;
    return {};
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return lines.size();
  }
};

struct Counter {
  std::mutex mutex;
  int delivered = 0;
  int failed = 0;
  std::map<std::int32_t, int> per_partition;
  void on(const DeliveryReport& r) {
    std::lock_guard lock(mutex);
    if (r.ok()) {
      ++delivered;
      ++per_partition[r.metadata.partition];
    } else {
      ++failed;
    }
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("observability: statistics after a known produce match the broker's log") {
  const std::string topic = kwire::test::unique_topic("kwire-obs-stats");
  kwire::test::create_topic(topic, 3);
  constexpr int kRecords = 300;
  Sink sink;
  Counter counter;
  {
    kwire::Producer producer({{"bootstrap.servers", broker_env().bootstrap()},
                              {"linger.ms", "5"},
                              {"batch.size", "2000"},  // several batches per partition
                              {"debug", "all"}},
                             sink.handler());
    REQUIRE_FALSE(producer.wait_for_cluster(60s));
    for (int i = 0; i < kRecords; ++i) {
      const std::string key = "key-" + std::to_string(i % 17);
      const std::string value = "value-" + std::to_string(i);
      producer.send(RecordView(topic, key, value), [c = &counter](const DeliveryReport& r) { c->on(r); });
    }
    REQUIRE(producer.flush(60s));

    const ProducerStatistics s = producer.statistics();
    CHECK(s.records_sent == kRecords);
    CHECK(s.records_delivered == kRecords);
    CHECK(s.records_failed == 0);
    CHECK(s.records_delivered + s.records_failed == s.records_sent);
    CHECK(s.records_queued == 0);
    CHECK(s.records_in_flight == 0);
    CHECK(s.producer_id >= 0);  // idempotence is on by default
    CHECK(s.producer_epoch >= 0);
    CHECK(s.buffer_memory_total == 33554432);
    CHECK(s.fatal_error.empty());

    std::uint64_t batches = 0;
    int partitions_seen = 0;
    for (const auto& p : s.partitions) {
      if (p.topic != topic) continue;
      ++partitions_seen;
      CAPTURE(p.partition);
      CHECK(p.leader >= 0);
      std::lock_guard lock(counter.mutex);
      CHECK(p.records_delivered == static_cast<std::uint64_t>(counter.per_partition[p.partition]));
      CHECK(p.records_sent == p.records_delivered);
      CHECK(p.batch_fill_ratio_avg > 0);
      batches += p.batches_sent;
    }
    CHECK(partitions_seen == 3);
    CHECK(batches >= 3);

    bool leader_seen = false;
    for (const auto& b : s.brokers) {
      if (b.node_id < 0) continue;  // bootstrap connection
      leader_seen = true;
      CHECK(b.state == "ready");
      CHECK(b.requests_sent >= batches / 3);
      CHECK(b.responses_received >= 1);
      CHECK(b.response_bytes_received > 0);
      CHECK(b.rtt.samples >= 1);
      CHECK(b.rtt.p99_us >= b.rtt.p50_us);
      CHECK(b.connects >= 1);
      CHECK_FALSE(b.address.empty());
    }
    CHECK(leader_seen);

    const kwire::test::Json j = kwire::test::parse_json(producer.statistics_json());
    CHECK(j.u64("records_delivered") == kRecords);
    // The connection line names the broker, its address and what was negotiated.
    CHECK_FALSE(sink.find("[broker] connected to node").empty());
    CHECK_FALSE(sink.find("Produce v").empty());
    CHECK_FALSE(sink.find("idempotent producer: uninitialized -> ").empty());
    producer.close(30s);
  }
  REQUIRE(counter.delivered == kRecords);

  // The broker's view, through librdkafka: the same count per partition.
  const auto consumed = kwire::test::consume_with_kcat(topic, std::nullopt, kRecords);
  std::map<std::int32_t, int> per_partition;
  for (const auto& r : consumed) ++per_partition[r.partition];
  CHECK(per_partition == counter.per_partition);
}

TEST_CASE("observability: kwire produce -d and --stats --json") {
  const std::string topic = kwire::test::unique_topic("kwire-obs-cli");
  kwire::test::create_topic(topic, 1);
  const std::string err = "/tmp/kwire-obs-cli-" + topic + ".err";
  const auto result = kwire::test::run_command(
      "printf 'one\\ntwo\\nthree\\n' | " + kwire::test::shell_quote(kwire::test::kwire_cli()) + " produce -b " +
      kwire::test::shell_quote(broker_env().bootstrap()) + " -t " + kwire::test::shell_quote(topic) +
      " -d broker,metadata --stats --json 2>" + kwire::test::shell_quote(err));
  const std::string stderr_text = read_file(err);
  std::remove(err.c_str());
  INFO(result.output);
  INFO(stderr_text);
  REQUIRE(result.exit_code == 0);
  const std::vector<std::string> out = lines_of(result.output);
  REQUIRE(out.size() == 2);  // the summary, then the statistics
  const kwire::test::Json summary = kwire::test::parse_json(out[0]);
  CHECK(summary.u64("delivered") == 3);
  const kwire::test::Json stats = kwire::test::parse_json(out[1]);
  CHECK(stats.u64("records_sent") == 3);
  CHECK(stats.u64("records_delivered") == 3);
  CHECK(stats.u64("records_failed") == 0);
  CHECK(stats.at("partitions").array.size() == 1);
  // Debug lines of the chosen categories only.
  CHECK(stderr_text.find("kwire debug [broker]: connecting to") != std::string::npos);
  CHECK(stderr_text.find("kwire debug [metadata]: Metadata v") != std::string::npos);
  CHECK(stderr_text.find("kwire debug [protocol]") == std::string::npos);

  // kwire perf: the report, then the statistics.
  const auto perf = kwire::test::run_command(
      kwire::test::shell_quote(kwire::test::kwire_cli()) + " perf -b " +
      kwire::test::shell_quote(broker_env().bootstrap()) + " -t " + kwire::test::shell_quote(topic) +
      " -n 2000 -s 50 --no-confirm --no-progress --stats --json -d protocol 2>/dev/null");
  INFO(perf.output);
  REQUIRE(perf.exit_code == 0);
  const std::vector<std::string> perf_out = lines_of(perf.output);
  REQUIRE(perf_out.size() == 2);
  CHECK(kwire::test::parse_json(perf_out[0]).u64("delivered") == 2000);
  const kwire::test::Json perf_stats = kwire::test::parse_json(perf_out[1]);
  CHECK(perf_stats.u64("records_sent") == 2000);
  CHECK(perf_stats.u64("records_delivered") == 2000);

  // An unknown category is a usage error naming it.
  const auto bad = kwire::test::run_command("echo x | " + kwire::test::shell_quote(kwire::test::kwire_cli()) +
                                            " produce -b " + kwire::test::shell_quote(broker_env().bootstrap()) +
                                            " -t " + kwire::test::shell_quote(topic) + " -d brokers 2>&1");
  CHECK(bad.exit_code != 0);
  CHECK(bad.output.find("brokers") != std::string::npos);
}

TEST_CASE("observability: no password or token in any log line with debug=all over SASL") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SASL_PLAINTEXT", "KWIRE_SASL_USERNAME", "KWIRE_SASL_PASSWORD",
                 "KWIRE_SASL_MECHANISMS"}))
    return;
  const std::string boot = var("KWIRE_BOOTSTRAP_SASL_PLAINTEXT");
  const std::string user = var("KWIRE_SASL_USERNAME");
  const std::string password = var("KWIRE_SASL_PASSWORD");
  const std::string topic = kwire::test::unique_topic("kwire-obs-sasl");
  kwire::test::create_topic(topic, 1);

  std::vector<std::string> mechanisms;
  {
    std::istringstream in(var("KWIRE_SASL_MECHANISMS"));
    for (std::string m; std::getline(in, m, ',');) mechanisms.push_back(m);
  }
  REQUIRE_FALSE(mechanisms.empty());
  auto check_no_secret = [](Sink& sink, const std::string& secret) {
    std::lock_guard lock(sink.mutex);
    for (const std::string& line : sink.lines) {
      CAPTURE(line);
      CHECK(line.find(secret) == std::string::npos);
    }
  };

  for (const std::string& mechanism : mechanisms) {
    CAPTURE(mechanism);
    {
      Sink sink;
      Counter counter;
      {
        kwire::Producer producer({{"bootstrap.servers", boot},
                                  {"security.protocol", "SASL_PLAINTEXT"},
                                  {"sasl.mechanism", mechanism},
                                  {"sasl.username", user},
                                  {"sasl.password", password},
                                  {"debug", "all"}},
                                 sink.handler());
        REQUIRE_FALSE(producer.wait_for_cluster(60s));
        for (int i = 0; i < 5; ++i)
          producer.send(RecordView(topic, std::nullopt, "v"), [c = &counter](const DeliveryReport& r) { c->on(r); });
        REQUIRE(producer.flush(60s));
        producer.close(30s);
      }
      CHECK(counter.delivered == 5);
      CHECK(sink.size() > 5);  // debug=all really logged
      CHECK_FALSE(sink.find("SASL " + mechanism).empty());  // the connection line says how it authenticated
      check_no_secret(sink, password);
    }
    {
      // Wrong password: refused, the log says what to fix, and shows neither password.
      const std::string wrong = "obs-wrong-" + mechanism + "-pw";
      Sink sink;
      kwire::Producer producer({{"bootstrap.servers", boot},
                                {"security.protocol", "SASL_PLAINTEXT"},
                                {"sasl.mechanism", mechanism},
                                {"sasl.username", user},
                                {"sasl.password", wrong},
                                {"debug", "all"}},
                               sink.handler());
      std::string detail;
      CHECK(producer.wait_for_cluster(60s, &detail) == kwire::client_errc::authentication_failed);
      producer.close(5s);
      const std::string actionable = sink.find("check sasl.username / sasl.password");
      CHECK_FALSE(actionable.empty());
      CHECK(actionable.find(user) != std::string::npos);  // who
      CHECK(actionable.find(boot) != std::string::npos);  // where
      check_no_secret(sink, wrong);
      check_no_secret(sink, password);
      CHECK(detail.find(wrong) == std::string::npos);
      CHECK(detail.find("check sasl.username / sasl.password") != std::string::npos);  // wait_for_cluster says it too
    }
  }

  // OAUTHBEARER with a static token: the token never appears (nor its payload).
  if (broker_env().has("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER")) {
    const std::string token = kwire::security::make_unsecured_jwt("alice", std::chrono::seconds(600));
    const std::string payload = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
    REQUIRE(payload.size() > 8);
    Sink sink;
    Counter counter;
    {
      kwire::Producer producer({{"bootstrap.servers", var("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER")},
                                {"security.protocol", "SASL_PLAINTEXT"},
                                {"sasl.mechanism", "OAUTHBEARER"},
                                {"sasl.oauthbearer.token", token},
                                {"debug", "all"}},
                               sink.handler());
      REQUIRE_FALSE(producer.wait_for_cluster(60s));
      producer.send(RecordView(topic, std::nullopt, "v"), [c = &counter](const DeliveryReport& r) { c->on(r); });
      REQUIRE(producer.flush(60s));
      producer.close(30s);
    }
    CHECK(counter.delivered == 1);
    CHECK_FALSE(sink.find("SASL OAUTHBEARER").empty());
    check_no_secret(sink, token);
    check_no_secret(sink, payload);
  }

  // The CLI with -d all: stderr holds no password either.
  const auto cli = kwire::test::run_command(
      "echo v | " + kwire::test::shell_quote(kwire::test::kwire_cli()) + " produce -b " +
      kwire::test::shell_quote(boot) + " -t " + kwire::test::shell_quote(topic) +
      " -X security.protocol=SASL_PLAINTEXT -X sasl.mechanism=SCRAM-SHA-256 -X " +
      kwire::test::shell_quote("sasl.username=" + user) + " -X " +
      kwire::test::shell_quote("sasl.password=" + password) + " -d all --stats 2>&1");
  CHECK(cli.exit_code == 0);
  CHECK(cli.output.find("kwire debug [broker]") != std::string::npos);
  CHECK(cli.output.find(password) == std::string::npos);
  CHECK(cli.output.find("statistics:") != std::string::npos);
}
