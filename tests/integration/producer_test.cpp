// kwire::Producer and `kwire produce` against a real Apache Kafka broker,
// every record read back by an independent consumer (kcat, i.e. librdkafka)
// and compared byte for byte. Generous timeouts, no timing assertions: these
// run on loaded 2-core machines.
#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <kwire/producer/partitioner.hpp>
#include <kwire/producer/producer.hpp>
#include <kwire/protocol/client_error.hpp>
#include <kwire/protocol/kafka_error.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::Producer;
using kwire::producer::DeliveryReport;
using kwire::producer::HeaderView;
using kwire::producer::LogLevel;
using kwire::producer::RecordView;
using kwire::test::broker_env;
using kwire::test::consume_with_kcat;
using kwire::test::ConsumedRecord;
using kwire::test::create_topic;
using kwire::test::run_command;
using kwire::test::shell_quote;
using kwire::test::unique_topic;

namespace {

std::map<std::string, std::string> props(std::map<std::string, std::string> extra = {}) {
  extra["bootstrap.servers"] = broker_env().bootstrap();
  if (!extra.count("client.id")) extra["client.id"] = "kwire-integration";
  return extra;
}

/// Delivery reports by record index; waits for a number of them.
class Collector {
 public:
  explicit Collector(std::size_t n) : reports_(n), counts_(n, 0) {}

  /// A callback for record `i` (captures two words: no allocation).
  kwire::producer::DeliveryCallback callback(std::size_t i) {
    return [this, i](const DeliveryReport& r) { record(i, r); };
  }
  void record(std::size_t i, const DeliveryReport& r) {
    std::lock_guard lock(m_);
    reports_.at(i) = r;
    ++counts_.at(i);
    ++total_;
    cv_.notify_all();
  }
  bool wait_all(std::chrono::seconds timeout = 120s) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, timeout, [&] { return total_ >= reports_.size(); });
  }
  DeliveryReport report(std::size_t i) {
    std::lock_guard lock(m_);
    return reports_.at(i);
  }
  /// Every record reported exactly once?
  bool each_once() {
    std::lock_guard lock(m_);
    for (int c : counts_)
      if (c != 1) return false;
    return true;
  }
  std::size_t failures() {
    std::lock_guard lock(m_);
    std::size_t n = 0;
    for (const auto& r : reports_) n += r.ok() ? 0 : 1;
    return n;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<DeliveryReport> reports_;
  std::vector<int> counts_;
  std::size_t total_ = 0;
};

/// A record as the test means it (owned), for comparing with kcat.
struct Expected {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::int32_t partition = -1;
};

std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

/// The mixed record set: keys, null keys, empty and null values, headers,
/// explicit partitions and 500 KB binary values.
std::vector<Expected> mixed_records() {
  std::vector<Expected> out;
  for (int i = 0; i < 60; ++i) {
    Expected e;
    e.key = "key-" + std::to_string(i);
    e.value = "value-" + std::to_string(i);
    if (i % 3 == 0) e.headers = {{"trace", "t" + std::to_string(i)}, {"empty", ""}};
    out.push_back(e);
  }
  for (int i = 0; i < 20; ++i) out.push_back({std::nullopt, "no key " + std::to_string(i), {}, -1});
  out.push_back({std::string(), std::string(), {}, -1});          // empty key, empty value
  out.push_back({"tombstone", std::nullopt, {}, -1});              // null value
  out.push_back({std::nullopt, std::nullopt, {{"h", "v"}}, -1});  // null key and value
  out.push_back({"pinned", "to partition 2", {}, 2});
  out.push_back({std::nullopt, random_bytes(500 * 1024, 1), {}, -1});
  out.push_back({"big", random_bytes(500 * 1024, 2), {{"size", "512000"}}, 1});
  return out;
}

/// Sends `records` in order with callbacks; returns after every report.
void send_all(Producer& producer, const std::string& topic, const std::vector<Expected>& records, Collector& c) {
  std::vector<HeaderView> headers;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Expected& e = records[i];
    RecordView view(topic, e.key ? std::optional<std::string_view>(*e.key) : std::nullopt,
                    e.value ? std::optional<std::string_view>(*e.value) : std::nullopt);
    view.partition = e.partition;
    headers.clear();
    for (const auto& [k, v] : e.headers) headers.emplace_back(k, std::optional<std::string_view>(v));
    view.headers = headers;
    producer.send(view, c.callback(i));
  }
  REQUIRE(producer.flush(120s));
  REQUIRE(c.wait_all());
}

void check_same(const ConsumedRecord& got, const Expected& want) {
  CHECK(got.key.has_value() == want.key.has_value());
  if (got.key && want.key) CHECK(*got.key == *want.key);
  CHECK(got.value.has_value() == want.value.has_value());
  if (got.value && want.value) {
    CHECK(got.value->size() == want.value->size());
    CHECK(*got.value == *want.value);
  }
  CHECK(got.headers == want.headers);
}

/// kcat's records of `topic`, by partition, in offset order.
std::map<std::int32_t, std::vector<ConsumedRecord>> by_partition(const std::vector<ConsumedRecord>& records) {
  std::map<std::int32_t, std::vector<ConsumedRecord>> out;
  for (const auto& r : records) out[r.partition].push_back(r);
  for (auto& [p, list] : out)
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  return out;
}

std::string closed_address() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return "127.0.0.1:" + std::to_string(port);
}

kwire::producer::LogHandler quiet() {
  return [](LogLevel, std::string_view) {};
}

}  // namespace

TEST_CASE("mixed records under acks 0, 1 and all read back byte for byte; offsets match the reports") {
  for (const std::string acks : {"all", "1", "0"}) {
    CAPTURE(acks);
    const std::string topic = unique_topic("kwire-mixed-acks" + acks);
    create_topic(topic, 3);
    const std::vector<Expected> records = mixed_records();
    Collector c(records.size());
    {
      Producer producer(props({{"acks", acks}, {"linger.ms", "20"}}));
      REQUIRE_FALSE(producer.wait_for_cluster(60s));
      send_all(producer, topic, records, c);
      CHECK(producer.close(60s));
    }
    REQUIRE(c.each_once());
    REQUIRE(c.failures() == 0);

    const auto consumed = consume_with_kcat(topic, std::nullopt, records.size());
    REQUIRE(consumed.size() == records.size());
    const auto partitions = by_partition(consumed);

    if (acks != "0") {
      // Every report's (partition, offset) is where kcat found the record.
      std::map<std::pair<std::int32_t, std::int64_t>, const ConsumedRecord*> at;
      for (const auto& r : consumed) at[{r.partition, r.offset}] = &r;
      for (std::size_t i = 0; i < records.size(); ++i) {
        CAPTURE(i);
        const DeliveryReport r = c.report(i);
        CHECK(r.metadata.topic == topic);
        REQUIRE(r.metadata.offset >= 0);
        auto it = at.find({r.metadata.partition, r.metadata.offset});
        REQUIRE(it != at.end());
        check_same(*it->second, records[i]);
        CHECK(it->second->timestamp_ms == r.metadata.timestamp_ms);
      }
    } else {
      // acks=0 gives no offsets: compare per partition, in send order.
      std::map<std::int32_t, std::vector<std::size_t>> sent;
      for (std::size_t i = 0; i < records.size(); ++i) {
        CHECK(c.report(i).metadata.offset == -1);
        sent[c.report(i).metadata.partition].push_back(i);
      }
      for (const auto& [p, indices] : sent) {
        CAPTURE(p);
        const auto& got = partitions.at(p);
        REQUIRE(got.size() == indices.size());
        for (std::size_t k = 0; k < indices.size(); ++k) check_same(got[k], records[indices[k]]);
      }
    }
    // Explicit partitions were honoured.
    for (std::size_t i = 0; i < records.size(); ++i)
      if (records[i].partition >= 0) CHECK(c.report(i).metadata.partition == records[i].partition);
  }
}

TEST_CASE("per-partition order holds and keys land where Java's murmur2 puts them (checked with librdkafka)") {
  const std::string topic = unique_topic("kwire-order");
  const std::string reference = unique_topic("kwire-murmur-ref");
  create_topic(topic, 3);
  create_topic(reference, 3);

  // librdkafka's murmur2_random partitioner is Java-compatible: let kcat
  // place the same keys, independently of kwire.
  const int keys = 50;
  std::string lines;
  for (int k = 0; k < keys; ++k) lines += "user-" + std::to_string(k) + ":x\n";
  const std::string kcat_produce = "printf %s " + shell_quote(lines) + " | kcat -P -q -b " +
                                   shell_quote(broker_env().bootstrap()) + " -t " + shell_quote(reference) +
                                   " -K: -X partitioner=murmur2_random";
  REQUIRE(run_command(kcat_produce).exit_code == 0);
  std::map<std::string, std::int32_t> java_partition;
  for (const auto& r : consume_with_kcat(reference, std::nullopt, keys)) java_partition[*r.key] = r.partition;
  REQUIRE(java_partition.size() == static_cast<std::size_t>(keys));

  const std::size_t n = 3000;
  Collector c(n);
  {
    Producer producer(props({{"linger.ms", "5"}, {"batch.size", "4096"}}));
    for (std::size_t i = 0; i < n; ++i) {
      const std::string key = "user-" + std::to_string(i % keys);
      const std::string value = std::to_string(i);
      producer.send(RecordView(topic, key, value), c.callback(i));
    }
    REQUIRE(producer.flush(120s));
  }
  REQUIRE(c.wait_all());
  REQUIRE(c.failures() == 0);
  std::set<std::int32_t> used;
  for (std::size_t i = 0; i < n; ++i) {
    const DeliveryReport r = c.report(i);
    CHECK(r.metadata.partition == java_partition.at("user-" + std::to_string(i % keys)));
    CHECK(r.metadata.partition == kwire::producer::murmur2_partition(
                                      kwire::producer::bytes_of("user-" + std::to_string(i % keys)), 3));
    used.insert(r.metadata.partition);
  }
  CHECK(used.size() == 3);

  // Order: within a partition, offsets grow with send order.
  const auto partitions = by_partition(consume_with_kcat(topic, std::nullopt, n));
  std::size_t total = 0;
  for (const auto& [p, list] : partitions) {
    total += list.size();
    for (std::size_t k = 1; k < list.size(); ++k) CHECK(std::stoul(*list[k - 1].value) < std::stoul(*list[k].value));
  }
  CHECK(total == n);
}

TEST_CASE("send() from 4 threads at once: every record delivered once, each thread's order kept") {
  const std::string topic = unique_topic("kwire-threads");
  create_topic(topic, 3);
  const int threads = 4;
  const int per_thread = 2500;
  Collector c(threads * per_thread);
  {
    Producer producer(props({{"linger.ms", "2"}}));
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          const std::string key = "thread-" + std::to_string(t);
          const std::string value = std::to_string(t) + ":" + std::to_string(i);
          producer.send(RecordView(topic, key, value), c.callback(static_cast<std::size_t>(t * per_thread + i)));
        }
      });
    for (auto& w : workers) w.join();
    CHECK(producer.close(120s));
  }
  REQUIRE(c.wait_all());
  CHECK(c.each_once());
  CHECK(c.failures() == 0);
  const auto consumed = consume_with_kcat(topic, std::nullopt, threads * per_thread);
  REQUIRE(consumed.size() == static_cast<std::size_t>(threads * per_thread));
  // One key per thread: one partition per thread, in the thread's order.
  std::map<int, int> last;
  for (const auto& [p, list] : by_partition(consumed))
    for (const auto& r : list) {
      const auto colon = r.value->find(':');
      const int t = std::stoi(r.value->substr(0, colon));
      const int i = std::stoi(r.value->substr(colon + 1));
      if (last.count(t)) CHECK(i == last[t] + 1);
      last[t] = i;
    }
  CHECK(last.size() == static_cast<std::size_t>(threads));
}

TEST_CASE("flush ignores linger.ms; close delivers what is queued; close(0) fails the rest, once each") {
  const std::string topic = unique_topic("kwire-flush");
  create_topic(topic, 1);
  {
    Collector c(10);
    Producer producer(props({{"linger.ms", "600000"}, {"delivery.timeout.ms", "900000"}}));
    for (std::size_t i = 0; i < 10; ++i) producer.send(RecordView(topic, std::nullopt, "flushed"), c.callback(i));
    CHECK(producer.flush(60s));
    REQUIRE(c.wait_all(1s));  // flush returned: every report is in
    CHECK(c.failures() == 0);

    Collector later(5);
    for (std::size_t i = 0; i < 5; ++i) producer.send(RecordView(topic, std::nullopt, "closed"), later.callback(i));
    CHECK(producer.close(60s));
    REQUIRE(later.wait_all(1s));
    CHECK(later.failures() == 0);
    CHECK(later.each_once());
  }
  CHECK(consume_with_kcat(topic, std::nullopt, 15).size() == 15);

  // close(0) with records still lingering: they fail with shutting_down.
  Collector c(20);
  {
    Producer producer(props({{"linger.ms", "600000"}, {"delivery.timeout.ms", "900000"}}));
    REQUIRE_FALSE(producer.wait_for_cluster(60s));
    for (std::size_t i = 0; i < 20; ++i) producer.send(RecordView(topic, std::nullopt, "abandoned"), c.callback(i));
    CHECK_FALSE(producer.close(0ms));
  }
  REQUIRE(c.wait_all(1s));
  CHECK(c.each_once());
  for (std::size_t i = 0; i < 20; ++i)
    CHECK(c.report(i).error == make_error_code(kwire::client_errc::shutting_down));
}

TEST_CASE("the future API, an auto-created topic, and wait_for_cluster") {
  Producer producer(props());
  CHECK_FALSE(producer.wait_for_cluster(60s));
  // Never created: the broker auto-creates it on the producer's Metadata.
  const std::string topic = unique_topic("kwire-auto-created");
  auto future = producer.send(RecordView(topic, "k", "via future"));
  REQUIRE(future.wait_for(120s) == std::future_status::ready);
  const kwire::producer::RecordMetadata md = future.get();
  CHECK(md.topic == topic);
  CHECK(md.offset >= 0);
  kwire::producer::ProducerRecord owned;
  owned.topic = topic;
  owned.partition = md.partition;
  owned.value = std::vector<std::uint8_t>{'o', 'w', 'n'};
  owned.headers.push_back({"h", std::vector<std::uint8_t>{'1'}});
  const auto second = producer.send(owned).get();
  CHECK(second.offset == md.offset + 1);
  const auto consumed = consume_with_kcat(topic, md.partition, 2);
  REQUIRE(consumed.size() == 2);
  CHECK(consumed[0].value == "via future");
  CHECK(consumed[1].value == "own");
  CHECK(consumed[1].headers == std::vector<std::pair<std::string, std::string>>{{"h", "1"}});

  // A partition the topic does not have: refused after max.block.ms.
  Producer quick(props({{"max.block.ms", "1500"}}), quiet());
  RecordView view(topic, std::nullopt, "nowhere");
  view.partition = 1000;
  auto refused = quick.send(view);
  try {
    refused.get();
    FAIL("expected an error");
  } catch (const std::system_error& e) {
    CHECK(e.code() == make_error_code(kwire::errc::unknown_topic_or_partition));
  }
}

TEST_CASE("wait_for_cluster against a closed port: no_broker_reachable, quickly") {
  const std::string address = closed_address();
  Producer producer(std::map<std::string, std::string>{{"bootstrap.servers", address}}, quiet());
  std::string detail;
  const auto start = std::chrono::steady_clock::now();
  CHECK(producer.wait_for_cluster(30s, &detail) == make_error_code(kwire::client_errc::no_broker_reachable));
  CHECK(std::chrono::steady_clock::now() - start < 25s);
  CHECK(detail.find(address) != std::string::npos);
}

TEST_CASE("every compression codec is readable by librdkafka") {
  for (const std::string codec : {"gzip", "snappy", "lz4", "zstd"}) {
    CAPTURE(codec);
    const std::string topic = unique_topic("kwire-codec-" + codec);
    create_topic(topic, 1);
    const std::size_t n = 200;
    Collector c(n);
    {
      Producer producer(props({{"compression.type", codec}, {"linger.ms", "50"}}));
      for (std::size_t i = 0; i < n; ++i)
        producer.send(RecordView(topic, "k" + std::to_string(i), "compressible value " + std::string(100, 'a')),
                      c.callback(i));
      REQUIRE(producer.flush(120s));
    }
    REQUIRE(c.wait_all());
    REQUIRE(c.failures() == 0);
    const auto consumed = consume_with_kcat(topic, std::nullopt, n);
    REQUIRE(consumed.size() == n);
    for (std::size_t i = 0; i < n; ++i) CHECK(*consumed[i].key == "k" + std::to_string(i));
  }
}

TEST_CASE("MESSAGE_TOO_LARGE from the broker: the batch is split and every record delivered") {
  const std::string topic = unique_topic("kwire-split");
  const auto created = run_command(shell_quote(KWIRE_BROKER_SCRIPT) + " create-topic " + shell_quote(topic) +
                                   " 1 max.message.bytes=4000 >&2");
  REQUIRE(created.exit_code == 0);
  const std::size_t n = 200;
  Collector c(n);
  {
    // One 30 KB batch the broker refuses, split until the pieces fit.
    // max.in.flight=1 keeps the order (with more in flight, a piece refused
    // again can land after a later one, as in Java without idempotence).
    Producer producer(props({{"batch.size", "32768"}, {"linger.ms", "100"},
                             {"max.in.flight.requests.per.connection", "1"}}),
                      quiet());
    for (std::size_t i = 0; i < n; ++i)
      producer.send(RecordView(topic, std::nullopt, std::to_string(i) + ":" + random_bytes(100, 9)), c.callback(i));
    REQUIRE(producer.flush(120s));
  }
  REQUIRE(c.wait_all());
  CHECK(c.failures() == 0);
  const auto consumed = consume_with_kcat(topic, std::nullopt, n);
  REQUIRE(consumed.size() == n);
  for (std::size_t i = 0; i < n; ++i) CHECK(consumed[i].value->substr(0, consumed[i].value->find(':')) == std::to_string(i));
}

TEST_CASE("on the caller's own io_context") {
  const std::string topic = unique_topic("kwire-user-io");
  create_topic(topic, 2);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  Collector c(100);
  {
    Producer producer(props(), io);
    for (std::size_t i = 0; i < 100; ++i) producer.send(RecordView(topic, std::nullopt, "user io"), c.callback(i));
    CHECK(producer.close(120s));
  }
  work.reset();
  runner.join();
  REQUIRE(c.wait_all(1s));
  CHECK(c.failures() == 0);
  CHECK(consume_with_kcat(topic, std::nullopt, 100).size() == 100);
}

TEST_CASE("kwire produce: lines in, records out (keys, headers), exit 0; failures exit non-zero") {
  const std::string topic = unique_topic("kwire-cli-produce");
  create_topic(topic, 3);
  const std::string cli = shell_quote(kwire::test::kwire_cli());
  const std::string bootstrap = shell_quote(broker_env().bootstrap());
  std::string lines;
  for (int i = 0; i < 500; ++i) lines += "key" + std::to_string(i % 7) + "=line " + std::to_string(i) + "\n";
  lines += "no separator here\n";
  lines += "last line without newline";
  const auto r = run_command("printf %s " + shell_quote(lines) + " | " + cli + " produce -b " + bootstrap + " -t " +
                             shell_quote(topic) + " -k = -H source=cli -H run=1 -z lz4 --json");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("\"delivered\":502") != std::string::npos);
  CHECK(r.output.find("\"failed\":0") != std::string::npos);

  const auto consumed = consume_with_kcat(topic, std::nullopt, 502);
  REQUIRE(consumed.size() == 502);
  std::map<std::string, int> values;
  for (const auto& rec : consumed) {
    ++values[*rec.value];
    CHECK(rec.headers == std::vector<std::pair<std::string, std::string>>{{"source", "cli"}, {"run", "1"}});
    if (*rec.value == "no separator here" || *rec.value == "last line without newline")
      CHECK_FALSE(rec.key.has_value());
    else
      CHECK(rec.key->rfind("key", 0) == 0);
  }
  CHECK(values.size() == 502);
  CHECK(values.count("line 499") == 1);
  CHECK(values.count("last line without newline") == 1);

  // A record larger than max.request.size fails: exit 1, counted.
  const auto too_big = run_command("printf %s " + shell_quote(std::string(3000, 'x') + "\nsmall\n") + " | " + cli +
                                   " produce -b " + bootstrap + " -t " + shell_quote(topic) +
                                   " -X max.request.size=1000 --json 2>/dev/null");
  CHECK(too_big.exit_code == 1);
  CHECK(too_big.output.find("\"delivered\":1") != std::string::npos);
  CHECK(too_big.output.find("\"failed\":1") != std::string::npos);

  // No broker: exit non-zero quickly.
  const auto unreachable = run_command("echo x | " + cli + " produce -b " + shell_quote(closed_address()) + " -t " +
                                       shell_quote(topic) + " 2>/dev/null");
  CHECK(unreachable.exit_code != 0);
}

// The producer over TLS and every SASL listener and mechanism, and refused
// credentials: secure_producer_test.cpp.
