// The idempotent producer against the fault-injecting mock cluster, in
// process: for each fault a keyed, numbered stream goes to a 3-partition
// topic with 5 requests in flight per connection, and the mock's logs must
// hold every record exactly once, in send order per partition, with every
// delivery report naming the partition and offset the mock stored it at.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kwire/mock/cluster.hpp"
#include "kwire/producer/producer.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace std::chrono_literals;
using kwire::client_errc;
using kwire::errc;
using kwire::mock::ApiKey;
using kwire::mock::ClusterConfig;
using kwire::mock::DelayMode;
using kwire::mock::MockCluster;
using kwire::producer::DeliveryReport;
using kwire::producer::LogLevel;
using kwire::producer::RecordView;

namespace {

constexpr int kPartitions = 3;
const std::string kTopic = "stream";

/// Every delivery report, by record number.
class Reports {
 public:
  explicit Reports(std::size_t n) : reports_(n) {}

  void on_report(std::size_t i, const DeliveryReport& r) {
    std::lock_guard lock(mutex_);
    if (reports_[i]) ++twice_;
    reports_[i] = r;
    ++count_;
    cv_.notify_all();
  }
  bool wait_all(std::chrono::milliseconds timeout) { return wait_count(reports_.size(), timeout); }
  bool wait_count(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }
  std::optional<DeliveryReport> at(std::size_t i) const {
    std::lock_guard lock(mutex_);
    return reports_[i];
  }
  std::size_t reported_twice() const {
    std::lock_guard lock(mutex_);
    return twice_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::optional<DeliveryReport>> reports_;
  std::size_t count_ = 0;
  std::size_t twice_ = 0;
};

/// Collects the producer's log; errors are printed, and everything with
/// KWIRE_TEST_LOG=1 in the environment.
struct LogSink {
  std::mutex mutex;
  std::vector<std::string> lines;
  bool verbose = std::getenv("KWIRE_TEST_LOG") != nullptr;
  kwire::producer::LogHandler handler() {
    return [this](LogLevel level, std::string_view message) {
      std::lock_guard lock(mutex);
      lines.emplace_back(std::string(to_string(level)) + ": " + std::string(message));
      if (verbose)
        std::fprintf(stderr, "%s\n", lines.back().c_str());
      else if (level >= LogLevel::error)
        MESSAGE("producer log: " << lines.back());
    };
  }
  bool contains(std::string_view text) {
    std::lock_guard lock(mutex);
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};

std::map<std::string, std::string> producer_properties(const MockCluster& cluster,
                                                       std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> props{
      {"bootstrap.servers", cluster.bootstrap_servers()},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"max.in.flight.requests.per.connection", "5"},
      {"linger.ms", "2"},
      {"batch.size", "800"},  // ~20 records per batch: many batches, many requests
      {"retry.backoff.ms", "20"},
      {"retry.backoff.max.ms", "200"},
      {"reconnect.backoff.ms", "20"},
      {"reconnect.backoff.max.ms", "200"},
      {"request.timeout.ms", "5000"},
      {"delivery.timeout.ms", "90000"},
      {"metadata.max.age.ms", "2000"},
      {"debug", "all"},  // debug lines only go to LogSink
  };
  for (auto& [k, v] : extra) props[k] = v;
  return props;
}

std::string value_of(std::size_t i) { return "record-" + std::to_string(i); }

/// Sends records [from, to) keyed over 64 keys (so over all partitions,
/// unless `partition` is given).
void send_range(kwire::Producer& producer, Reports& reports, std::size_t from, std::size_t to,
                std::chrono::microseconds pause = 0us, std::optional<std::int32_t> partition = std::nullopt) {
  for (std::size_t i = from; i < to; ++i) {
    const std::string key = "key-" + std::to_string(i % 64);
    const std::string value = value_of(i);
    RecordView record(kTopic, key, value);
    record.partition = partition.value_or(RecordView::unassigned_partition);
    producer.send(record, [r = &reports, i](const DeliveryReport& report) { r->on_report(i, report); });
    if (pause.count() > 0 && i % 20 == 0) std::this_thread::sleep_for(pause);
  }
}

struct Verdict {
  std::size_t in_log = 0;
  std::size_t duplicates = 0;
  std::size_t missing = 0;        ///< reported delivered, not in the log
  std::size_t out_of_order = 0;   ///< per-partition order violations
  std::size_t wrong_reports = 0;  ///< partition/offset in the report differ from the log
  std::size_t unknown_offsets = 0;
  std::size_t failed = 0;          ///< records reported failed
  std::size_t failed_in_log = 0;   ///< ... that are in the log anyway (fate was unknown)
  std::size_t unreported = 0;
  std::map<std::int16_t, std::size_t> epochs;  ///< producer epoch → records
  std::set<std::int64_t> producer_ids;
};

/// Reads the mock's logs and checks them against the reports.
Verdict verify(const MockCluster& cluster, const Reports& reports, std::size_t n) {
  Verdict v;
  struct Where {
    std::int32_t partition;
    std::int64_t offset;
  };
  std::vector<std::vector<Where>> found(n);
  for (std::int32_t p = 0; p < kPartitions; ++p) {
    long long previous = -1;
    for (const kwire::mock::StoredRecord& r : cluster.records(kTopic, p)) {
      REQUIRE(r.value.has_value());
      REQUIRE(r.value->starts_with("record-"));
      const auto i = static_cast<std::size_t>(std::stoull(r.value->substr(7)));
      REQUIRE(i < n);
      found[i].push_back({p, r.offset});
      if (static_cast<long long>(i) <= previous) ++v.out_of_order;
      previous = static_cast<long long>(i);
      ++v.in_log;
      ++v.epochs[r.producer_epoch];
      v.producer_ids.insert(r.producer_id);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (found[i].size() > 1) v.duplicates += found[i].size() - 1;
    const std::optional<DeliveryReport> report = reports.at(i);
    if (!report) {
      ++v.unreported;
      continue;
    }
    if (!report->ok()) {
      ++v.failed;
      if (!found[i].empty()) ++v.failed_in_log;
      continue;
    }
    if (found[i].empty()) {
      ++v.missing;
      continue;
    }
    if (report->metadata.partition != found[i][0].partition) ++v.wrong_reports;
    if (report->metadata.offset == -1)
      ++v.unknown_offsets;  // DUPLICATE_SEQUENCE_NUMBER: success without an offset (as Java)
    else if (report->metadata.offset != found[i][0].offset)
      ++v.wrong_reports;
  }
  return v;
}

void require_exactly_once(const Verdict& v, std::size_t n, bool allow_unknown_offsets = false) {
  CHECK(v.unreported == 0);
  CHECK(v.failed == 0);
  CHECK(v.in_log == n);
  CHECK(v.duplicates == 0);
  CHECK(v.missing == 0);
  CHECK(v.out_of_order == 0);
  CHECK(v.wrong_reports == 0);
  if (!allow_unknown_offsets) CHECK(v.unknown_offsets == 0);
}

/// The producer id the mock saw (from the first stored record).
std::int64_t producer_id_in_log(const MockCluster& cluster) {
  for (std::int32_t p = 0; p < kPartitions; ++p) {
    auto records = cluster.records(kTopic, p);
    if (!records.empty()) return records.front().producer_id;
  }
  return -1;
}

/// Connections the brokers accepted: more than one per broker (plus the
/// bootstrap one) means the producer had to reconnect.
std::size_t accepted_connections(const MockCluster& cluster) {
  std::size_t n = 0;
  for (std::int32_t id : cluster.broker_ids()) n += cluster.accepted_connections(id);
  return n;
}

ClusterConfig cluster_config(int brokers = 3) {
  ClusterConfig c;
  c.brokers = brokers;
  c.topics = {{kTopic, kPartitions}};
  return c;
}

/// Produces n records; `fault(cluster)` runs once the first half has been
/// sent (and partly delivered). Returns the verdict after every report.
template <class Fault>
Verdict run_stream(MockCluster& cluster, std::size_t n, Fault fault, std::map<std::string, std::string> extra = {},
                   LogSink* sink = nullptr) {
  LogSink own;
  LogSink& logs = sink ? *sink : own;
  Reports reports(n);
  {
    kwire::Producer producer(producer_properties(cluster, std::move(extra)), logs.handler());
    send_range(producer, reports, 0, n / 2, 200us);
    cluster.wait_for_records(kTopic, 0, 1, 10s);
    fault(cluster);
    send_range(producer, reports, n / 2, n, 200us);
    CHECK(producer.flush(120s));
    CHECK(reports.wait_all(10s));
  }
  CHECK(reports.reported_twice() == 0);
  Verdict v = verify(cluster, reports, n);
  MESSAGE("records in log " << v.in_log << ", duplicates " << v.duplicates << ", epochs seen " << v.epochs.size()
                            << ", producer ids " << v.producer_ids.size() << ", unknown offsets "
                            << v.unknown_offsets);
  return v;
}

constexpr std::size_t kRecords = 2000;

}  // namespace

TEST_SUITE("idempotence_faults") {

TEST_CASE("baseline: InitProducerId before the first Produce, sequences from 0, exactly once") {
  MockCluster cluster(cluster_config());
  const Verdict v = run_stream(cluster, kRecords, [](MockCluster&) {});
  require_exactly_once(v, kRecords);
  CHECK(v.producer_ids.size() == 1);
  CHECK(v.epochs.size() == 1);
  CHECK(cluster.request_count(ApiKey::init_producer_id) == 1);
  // InitProducerId went out before any Produce.
  bool init_seen = false;
  bool produce_before_init = false;
  for (const auto& entry : cluster.request_log()) {
    if (entry.api_key == static_cast<std::int16_t>(ApiKey::init_producer_id)) init_seen = true;
    if (entry.api_key == static_cast<std::int16_t>(ApiKey::produce) && !init_seen) produce_before_init = true;
  }
  CHECK(init_seen);
  CHECK_FALSE(produce_before_init);
  // Each partition's sequences start at 0 and are consecutive.
  for (std::int32_t p = 0; p < kPartitions; ++p) {
    const auto records = cluster.records(kTopic, p);
    REQUIRE_FALSE(records.empty());
    for (std::size_t k = 0; k < records.size(); ++k) CHECK(records[k].sequence == static_cast<std::int32_t>(k));
  }
}

TEST_CASE("lost responses: the same batches are resent with the same sequences, no duplicates") {
  MockCluster cluster(cluster_config());
  const Verdict v = run_stream(cluster, kRecords, [](MockCluster& c) { c.drop_connection_after(ApiKey::produce, 4); });
  require_exactly_once(v, kRecords);
  CHECK(v.epochs.size() == 1);  // no epoch bump was needed
  CHECK(accepted_connections(cluster) > 4);  // the fault fired: the producer reconnected
}

TEST_CASE("lost responses answered DUPLICATE_SEQUENCE_NUMBER by an old broker count as delivered") {
  ClusterConfig config = cluster_config();
  config.duplicate_sequence_error = true;
  MockCluster cluster(config);
  const Verdict v = run_stream(cluster, kRecords, [](MockCluster& c) { c.drop_connection_after(ApiKey::produce, 3); });
  require_exactly_once(v, kRecords, /*allow_unknown_offsets=*/true);
  // Only records of the dropped requests can lack an offset.
  CHECK(v.unknown_offsets > 0);
  CHECK(v.unknown_offsets < kRecords / 4);
}

TEST_CASE("NOT_LEADER_OR_FOLLOWER: retried in order, nothing lost or doubled") {
  MockCluster cluster(cluster_config());
  LogSink logs;
  const Verdict v = run_stream(
      cluster, kRecords,
      [](MockCluster& c) {
        c.fail_next(ApiKey::produce, errc::not_leader_or_follower, 3, kTopic, 0);
        c.fail_next(ApiKey::produce, errc::not_leader_or_follower, 2, kTopic, 2);
      },
      {}, &logs);
  require_exactly_once(v, kRecords);
  CHECK(logs.contains("stream/0: NOT_LEADER_OR_FOLLOWER, retrying"));
}

TEST_CASE("request timeout: the broker wrote the batch, the answer comes too late, the resend is a duplicate") {
  MockCluster cluster(cluster_config());
  LogSink logs;
  const Verdict v = run_stream(
      cluster, kRecords,
      [](MockCluster& c) { c.delay(ApiKey::produce, 2500ms, 2, DelayMode::response); },
      {{"request.timeout.ms", "1000"}}, &logs);
  require_exactly_once(v, kRecords);
  CHECK(logs.contains("timed out, retrying"));
}

TEST_CASE("request timeout before the broker handles the request: resent, written once") {
  MockCluster cluster(cluster_config());
  LogSink logs;
  const Verdict v = run_stream(
      cluster, kRecords,
      [](MockCluster& c) { c.delay(ApiKey::produce, 2500ms, 2, DelayMode::request); },
      {{"request.timeout.ms", "1000"}}, &logs);
  require_exactly_once(v, kRecords);
  CHECK(logs.contains("timed out, retrying"));
}

TEST_CASE("OUT_OF_ORDER_SEQUENCE_NUMBER at the head of the line bumps the epoch and resets sequences") {
  MockCluster cluster(cluster_config());
  LogSink logs;
  const Verdict v = run_stream(
      cluster, kRecords,
      [](MockCluster& c) { c.fail_next(ApiKey::produce, errc::out_of_order_sequence_number, 1, kTopic, 1); }, {},
      &logs);
  require_exactly_once(v, kRecords);
  CHECK(v.producer_ids.size() == 1);
  CHECK(v.epochs.size() >= 2);  // bumped locally: same producer id, higher epoch
  CHECK(logs.contains("local bump, KIP-360"));
  // The bumped partition restarted at sequence 0 under the new epoch.
  const auto records = cluster.records(kTopic, 1);
  std::int16_t last_epoch = -1;
  for (const auto& r : records) {
    if (r.producer_epoch != last_epoch) {
      CHECK(r.sequence == 0);
      last_epoch = r.producer_epoch;
    }
  }
  CHECK(last_epoch >= 1);
}

TEST_CASE("UNKNOWN_PRODUCER_ID from a pre-2.5 broker that forgot us bumps the epoch") {
  ClusterConfig config = cluster_config();
  config.legacy_unknown_producer_id = true;
  MockCluster cluster(config);
  LogSink logs;
  const Verdict v = run_stream(
      cluster, kRecords, [](MockCluster& c) { c.forget_producer(producer_id_in_log(c)); }, {}, &logs);
  require_exactly_once(v, kRecords);
  CHECK(v.epochs.size() >= 2);
  CHECK(logs.contains("UNKNOWN_PRODUCER_ID"));
}

TEST_CASE("a modern broker that forgot the producer (retention) accepts it at any sequence") {
  MockCluster cluster(cluster_config());
  const Verdict v = run_stream(cluster, kRecords, [](MockCluster& c) { c.forget_producer(producer_id_in_log(c)); });
  require_exactly_once(v, kRecords);
  CHECK(v.epochs.size() == 1);  // nothing to repair
}

TEST_CASE("broker down and up: batches wait, then go with their sequences") {
  MockCluster cluster(cluster_config());
  const std::int32_t leader = cluster.leader(kTopic, 0);
  const Verdict v = run_stream(cluster, kRecords, [leader](MockCluster& c) {
    c.stop_broker(leader);
    std::this_thread::sleep_for(700ms);
    c.start_broker(leader);
  });
  require_exactly_once(v, kRecords);
  CHECK(cluster.accepted_connections(leader) >= 2);  // reconnected after the restart
}

TEST_CASE("every broker down and up, with responses lost on the way down") {
  MockCluster cluster(cluster_config());
  const Verdict v = run_stream(cluster, kRecords, [](MockCluster& c) {
    c.drop_connection_after(ApiKey::produce, 2);
    for (std::int32_t id : c.broker_ids()) c.stop_broker(id);
    std::this_thread::sleep_for(1s);
    for (std::int32_t id : c.broker_ids()) c.start_broker(id);
  });
  require_exactly_once(v, kRecords);
  CHECK(accepted_connections(cluster) >= 7);
}

TEST_CASE("leader moves: NOT_LEADER_OR_FOLLOWER with a KIP-951 hint, the new leader has the producer state") {
  MockCluster cluster(cluster_config());
  LogSink logs;
  const Verdict v = run_stream(cluster, kRecords, [](MockCluster& c) {
    for (std::int32_t p = 0; p < kPartitions; ++p) {
      const std::int32_t leader = c.leader(kTopic, p);
      c.move_leader(kTopic, p, leader == 3 ? 1 : leader + 1);
    }
    std::this_thread::sleep_for(50ms);
    c.move_leader(kTopic, 0, c.leader(kTopic, 0) == 3 ? 1 : c.leader(kTopic, 0) + 1);
  }, {}, &logs);
  require_exactly_once(v, kRecords);
  CHECK(logs.contains("NOT_LEADER_OR_FOLLOWER"));
}

TEST_CASE("several faults at once: lost responses, a leader move and OUT_OF_ORDER_SEQUENCE_NUMBER") {
  MockCluster cluster(cluster_config());
  const Verdict v = run_stream(cluster, kRecords, [](MockCluster& c) {
    c.drop_connection_after(ApiKey::produce, 2);
    c.fail_next(ApiKey::produce, errc::out_of_order_sequence_number, 1, kTopic, 2);
    c.move_leader(kTopic, 1, c.leader(kTopic, 1) == 3 ? 1 : c.leader(kTopic, 1) + 1);
  });
  require_exactly_once(v, kRecords);
}

// A real broker checks for a duplicate before it checks sequences
// (UnifiedLog.analyzeAndValidateProducerState), so a resend of a batch it
// wrote is answered with the original offset even when the next batch will
// get OUT_OF_ORDER_SEQUENCE_NUMBER. Answering the resend with the sequence
// error instead would make the producer bump its epoch and write the batch
// a second time (CI caught the mock doing so once in "several faults").
TEST_CASE("a lost response, then a sequence error: the resend is a duplicate, the error hits the next batch") {
  MockCluster cluster(cluster_config(1));
  LogSink logs;
  constexpr std::size_t n = 21;
  Reports reports(n);
  {
    kwire::Producer producer(producer_properties(cluster, {{"reconnect.backoff.ms", "300"},
                                                           {"reconnect.backoff.max.ms", "300"}}),
                             logs.handler());
    send_range(producer, reports, 0, 1, 0us, 0);
    REQUIRE(producer.flush(10s));  // acknowledged: the next batch is at the head of the line
    cluster.drop_connection_after(ApiKey::produce, 1);
    send_range(producer, reports, 1, 11, 0us, 0);
    REQUIRE(cluster.wait_for_records(kTopic, 0, 11, 10s));  // written; its response is lost
    cluster.fail_next(ApiKey::produce, errc::out_of_order_sequence_number, 1, kTopic, 0);
    REQUIRE(producer.flush(30s));  // the resend, after the reconnect backoff
    send_range(producer, reports, 11, n, 0us, 0);
    REQUIRE(producer.flush(30s));
    REQUIRE(reports.wait_all(10s));
  }
  const Verdict v = verify(cluster, reports, n);
  require_exactly_once(v, n);
  CHECK(v.epochs.size() == 2);  // the rule fired on a new batch, which bumped the epoch
}

TEST_CASE("MESSAGE_TOO_LARGE: the batch is split, the pieces keep its sequences, order and counts hold") {
  MockCluster cluster(cluster_config());
  LogSink logs;
  const Verdict v = run_stream(
      cluster, kRecords,
      // Only batches of 4+ records are refused (twice on partition 0: a
      // batch, then one of its halves), so every refused batch can be split:
      // a one-record batch refused as too large rightly fails, and on a
      // loaded machine the batch the fault meets first can hold one record.
      [](MockCluster& c) {
        c.fail_next(ApiKey::produce, errc::message_too_large, 2, kTopic, 0, 4);
        c.fail_next(ApiKey::produce, errc::message_too_large, 1, kTopic, 2, 4);
      },
      {{"batch.size", "4000"}, {"linger.ms", "200"}}, &logs);
  require_exactly_once(v, kRecords);
  CHECK(logs.contains("MESSAGE_TOO_LARGE, split"));
  CHECK(v.epochs.size() == 1);
}

TEST_CASE("batches that expire with their fate unknown: no duplicates, order kept, then the epoch is bumped") {
  // The broker holds requests longer than delivery.timeout.ms: the batches
  // in them expire while their sequences are unresolved. Whatever was
  // reported delivered is in the log once; what expired is in it at most
  // once; the stream carries on afterwards.
  MockCluster cluster(cluster_config(1));
  LogSink logs;
  const std::size_t n = 600;
  Reports reports(n);
  {
    kwire::Producer producer(producer_properties(cluster, {{"request.timeout.ms", "1000"},
                                                            {"delivery.timeout.ms", "1500"},
                                                            {"linger.ms", "0"}}),
                             logs.handler());
    send_range(producer, reports, 0, n / 3, 200us);
    REQUIRE(cluster.wait_for_records(kTopic, 0, 1, 10s));
    cluster.delay(ApiKey::produce, 4s, 3, DelayMode::request);
    send_range(producer, reports, n / 3, 2 * n / 3, 200us);
    CHECK(producer.flush(60s));
    send_range(producer, reports, 2 * n / 3, n, 200us);
    CHECK(producer.flush(60s));
    CHECK(reports.wait_all(10s));
  }
  const Verdict v = verify(cluster, reports, n);
  MESSAGE("failed " << v.failed << " (in the log anyway: " << v.failed_in_log << "), epochs " << v.epochs.size());
  CHECK(v.unreported == 0);
  CHECK(v.duplicates == 0);
  CHECK(v.missing == 0);
  CHECK(v.out_of_order == 0);
  CHECK(v.wrong_reports == 0);
  CHECK(v.failed > 0);  // the delayed batches did expire
  // The last third went through after the partition resolved.
  std::size_t last_third_ok = 0;
  for (std::size_t i = 2 * n / 3; i < n; ++i) last_third_ok += reports.at(i) && reports.at(i)->ok() ? 1 : 0;
  CHECK(last_third_ok == n - 2 * n / 3);
}

namespace {
void check_fatal(errc fault) {
  const std::string fault_name(kwire::kafka_error_name(fault));
  CAPTURE(fault_name);
  MockCluster cluster(cluster_config());
  LogSink logs;
  const std::size_t n = 1000;
  Reports reports(n);
  const auto started = std::chrono::steady_clock::now();
  {
    kwire::Producer producer(producer_properties(cluster), logs.handler());
    send_range(producer, reports, 0, n / 2, 200us);
    REQUIRE(reports.wait_count(n / 4, 30s));  // all delivered: no fault yet
    cluster.fail_next(ApiKey::produce, fault, 1, kTopic, 1);
    send_range(producer, reports, n / 2, n, 200us);
    CHECK(producer.flush(60s));
    REQUIRE(reports.wait_all(10s));
    // Later sends are refused at once.
    std::promise<std::error_code> refused;
    producer.send(RecordView(kTopic, "k", "after"),
                  [&refused](const DeliveryReport& r) { refused.set_value(r.error); });
    auto future = refused.get_future();
    REQUIRE(future.wait_for(5s) == std::future_status::ready);
    CHECK(future.get() == client_errc::fatal_producer_state);
  }
  CHECK(std::chrono::steady_clock::now() - started < 60s);
  std::size_t with_cause = 0;
  std::size_t with_fatal_state = 0;
  std::size_t ok = 0;
  std::size_t other = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = reports.at(i);
    REQUIRE(r);
    if (r->ok())
      ++ok;
    else if (r->error == kwire::make_error_code(fault))
      ++with_cause;
    else if (r->error == client_errc::fatal_producer_state)
      ++with_fatal_state;
    else
      ++other;
  }
  MESSAGE("ok " << ok << ", failed with the cause " << with_cause << ", fatal_producer_state " << with_fatal_state);
  CHECK(with_cause > 0);  // the batch that got it
  CHECK(with_fatal_state > 0);
  CHECK(other == 0);
  CHECK(ok >= n / 4);  // what was delivered before the fault stays delivered
  CHECK(logs.contains(fault_name));
  CHECK(logs.contains("every pending and future record fails with fatal_producer_state"));
  // What was reported delivered is in the log, once.
  const Verdict v = verify(cluster, reports, n);
  CHECK(v.duplicates == 0);
  CHECK(v.missing == 0);
  CHECK(v.out_of_order == 0);
  CHECK(v.wrong_reports == 0);
}
}  // namespace

TEST_CASE("PRODUCER_FENCED and INVALID_PRODUCER_EPOCH are fatal: clear error, every record reported, no hang") {
  SUBCASE("PRODUCER_FENCED") { check_fatal(errc::producer_fenced); }
  SUBCASE("INVALID_PRODUCER_EPOCH") { check_fatal(errc::invalid_producer_epoch); }
}

TEST_CASE("InitProducerId errors: retriable ones are retried, CLUSTER_AUTHORIZATION_FAILED is fatal") {
  SUBCASE("COORDINATOR_LOAD_IN_PROGRESS twice, then an id") {
    MockCluster cluster(cluster_config());
    cluster.fail_next(ApiKey::init_producer_id, errc::coordinator_load_in_progress, 2);
    const Verdict v = run_stream(cluster, 200, [](MockCluster&) {});
    require_exactly_once(v, 200);
    CHECK(cluster.request_count(ApiKey::init_producer_id) == 3);
  }
  SUBCASE("CLUSTER_AUTHORIZATION_FAILED (no IDEMPOTENT_WRITE permission)") {
    MockCluster cluster(cluster_config());
    cluster.fail_next(ApiKey::init_producer_id, errc::cluster_authorization_failed, 1);
    LogSink logs;
    Reports reports(50);
    {
      kwire::Producer producer(producer_properties(cluster), logs.handler());
      send_range(producer, reports, 0, 50);
      CHECK(producer.flush(30s));
      REQUIRE(reports.wait_all(10s));
    }
    for (std::size_t i = 0; i < 50; ++i) {
      const auto r = reports.at(i);
      REQUIRE(r);
      CHECK(r->error == client_errc::fatal_producer_state);
    }
    CHECK(cluster.record_count() == 0);
    CHECK(cluster.request_count(ApiKey::produce) == 0);
    CHECK(logs.contains("CLUSTER_AUTHORIZATION_FAILED"));
  }
}

}  // TEST_SUITE
