#pragma once
// A numbered, keyed record stream for failover tests against real brokers:
// one thread sends records 0..N-1 (value "n=<i>;" plus padding, key one of
// 1000, so each key's records land in one partition in send order) while a
// fault (a broker SIGKILLed and restarted) runs on another thread; then kcat
// — an independent consumer — reads the topic back and the verdict says
// what was lost, duplicated or reordered, and whether every delivery report
// names the partition and offset the record really has.
//
// Header-only: used by the integration tests (single node) and by the
// failover executable (three nodes). No timing assertions.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <kwire/producer/producer.hpp>

#include "support.hpp"

namespace kwire::test {

struct StreamRun {
  std::string topic;
  int partitions = 3;
  std::size_t records = 200000;
  /// Producer properties (bootstrap.servers is added).
  std::map<std::string, std::string> properties;
  /// The fault runs on its own thread once this many records were
  /// acknowledged; the stream keeps flowing meanwhile.
  std::size_t fault_after_acked = 30000;
  std::function<void()> fault;
  /// Records per second at most (0: as fast as send() takes them) until
  /// the fault starts — about what the producer delivers, so it is busy
  /// (requests in flight) when the fault hits without having queued the
  /// whole stream already — and after it, so the stream is still flowing
  /// when a broker comes back.
  std::size_t rate_before_fault = 20000;
  std::size_t rate_after_fault = 10000;
  /// Producer log lines at warning and above are printed (prefix).
  std::string log_prefix = "producer";
  /// bootstrap.servers for the producer and for reading back; empty: the
  /// broker env's KWIRE_BOOTSTRAP.
  std::string bootstrap;
  /// Producer log lines (any level) containing this are counted in
  /// StreamVerdict::watched_lines (empty: none).
  std::string watch_log;
};

struct StreamVerdict {
  std::size_t records = 0;
  std::size_t delivered = 0;      ///< reported delivered
  std::size_t failed = 0;         ///< reported failed
  std::size_t unreported = 0;     ///< no report at all (must be 0)
  std::size_t consumed = 0;       ///< records kcat read
  std::size_t distinct = 0;       ///< distinct record numbers read
  std::size_t duplicates = 0;     ///< extra copies read
  std::size_t lost = 0;           ///< reported delivered, not read
  std::size_t failed_but_written = 0;
  std::size_t out_of_order = 0;   ///< a record read after a later one of its partition
  std::size_t wrong_reports = 0;  ///< report's partition/offset not where it was read
  std::size_t warnings = 0;       ///< producer log lines at warning or above
  std::size_t watched_lines = 0;  ///< producer log lines containing StreamRun::watch_log
  double produce_seconds = 0;     ///< first send to last report
  double fault_seconds = 0;
  double consume_seconds = 0;

  std::string summary() const {
    std::ostringstream out;
    out << records << " records: delivered " << delivered << ", failed " << failed << ", read back " << consumed
        << " (" << distinct << " distinct), duplicates " << duplicates << ", lost " << lost
        << ", out of order " << out_of_order << ", wrong reports " << wrong_reports << ", failed but written "
        << failed_but_written << "; produce " << produce_seconds << " s, fault " << fault_seconds
        << " s, consume " << consume_seconds << " s, producer warnings " << warnings;
    return out.str();
  }
};

namespace stream_detail {

inline std::string value_of(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "n=%zu;", i);
  std::string v = buf;
  v.resize(48, '.');  // ~100 bytes a record on the wire
  return v;
}

inline std::optional<std::size_t> number_of(const std::optional<std::string>& value) {
  if (!value || value->size() < 3 || value->compare(0, 2, "n=") != 0) return std::nullopt;
  std::size_t i = 0;
  std::size_t pos = 2;
  while (pos < value->size() && (*value)[pos] >= '0' && (*value)[pos] <= '9')
    i = i * 10 + static_cast<std::size_t>((*value)[pos++] - '0');
  if (pos == 2 || pos >= value->size() || (*value)[pos] != ';') return std::nullopt;
  return i;
}

class Reports {
 public:
  explicit Reports(std::size_t n) : ok_(n, 0), partition_(n, -1), offset_(n, -1) {}

  void on_report(std::size_t i, const kwire::producer::DeliveryReport& r) {
    std::lock_guard lock(mutex_);
    if (ok_[i] != 0) ++twice_;
    ok_[i] = r.ok() ? 1 : 2;
    partition_[i] = r.metadata.partition;
    offset_[i] = r.metadata.offset;
    ++count_;
    if (r.ok()) ++acked_;
    if (!r.ok() && first_error_.empty()) first_error_ = r.error.message();
    cv_.notify_all();
  }
  bool wait_acked(std::size_t n, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return acked_ >= n || count_ >= ok_.size(); });
  }
  bool wait_all(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= ok_.size(); });
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::uint8_t> ok_;  ///< 0 none, 1 delivered, 2 failed
  std::vector<std::int32_t> partition_;
  std::vector<std::int64_t> offset_;
  std::size_t count_ = 0;
  std::size_t acked_ = 0;
  std::size_t twice_ = 0;
  std::string first_error_;
};

}  // namespace stream_detail

inline StreamVerdict run_stream(const StreamRun& run) {
  using Clock = std::chrono::steady_clock;
  using namespace std::chrono_literals;
  StreamVerdict v;
  v.records = run.records;
  stream_detail::Reports reports(run.records);
  std::atomic<std::size_t> warnings{0};
  std::atomic<std::size_t> watched{0};

  const std::string bootstrap = run.bootstrap.empty() ? broker_env().bootstrap() : run.bootstrap;
  std::map<std::string, std::string> props = run.properties;
  props["bootstrap.servers"] = bootstrap;
  const auto started = Clock::now();
  std::thread fault_thread;
  std::string fault_error;
  std::atomic<bool> fault_started{false};
  {
    kwire::Producer producer(props, [&warnings, &watched, prefix = run.log_prefix, watch = run.watch_log](
                                        kwire::producer::LogLevel level, std::string_view line) {
      if (!watch.empty() && line.find(watch) != std::string_view::npos) watched.fetch_add(1);
      if (level < kwire::producer::LogLevel::warning) return;
      // Expected while a broker is down; printed so a failure can be read.
      if (warnings.fetch_add(1) < 200)
        std::fprintf(stderr, "%s %s: %.*s\n", prefix.c_str(), std::string(to_string(level)).c_str(),
                     static_cast<int>(line.size()), line.data());
    });
    std::string detail;
    REQUIRE_MESSAGE(!producer.wait_for_cluster(60s, &detail), detail);

    if (run.fault) {
      fault_thread = std::thread([&] {
        reports.wait_acked(run.fault_after_acked, 300s);
        fault_started.store(true);
        const auto t0 = Clock::now();
        try {
          run.fault();
        } catch (const std::exception& e) {
          fault_error = e.what();
        }
        v.fault_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      });
    }
    // Pacing: record `from` was due at `since`; later ones at `rate`.
    std::size_t from = 0;
    Clock::time_point since = Clock::now();
    std::size_t rate = run.rate_before_fault;
    bool after_fault = false;
    for (std::size_t i = 0; i < run.records; ++i) {
      const std::string key = "key-" + std::to_string(i % 1000);
      const std::string value = stream_detail::value_of(i);
      producer.send(kwire::producer::RecordView(run.topic, key, value),
                    [r = &reports, i](const kwire::producer::DeliveryReport& report) { r->on_report(i, report); });
      if (i % 500 != 499) continue;
      if (!after_fault && fault_started.load()) {
        after_fault = true;
        from = i;
        since = Clock::now();
        rate = run.rate_after_fault;
      }
      if (rate > 0) std::this_thread::sleep_until(since + std::chrono::microseconds((i - from) * 1000000 / rate));
    }
    CHECK(producer.flush(600s));
    CHECK(reports.wait_all(60s));
    v.produce_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (fault_thread.joinable()) fault_thread.join();
  }
  v.warnings = warnings.load();
  v.watched_lines = watched.load();
  CHECK(reports.twice_ == 0);
  CHECK_MESSAGE(fault_error.empty(), fault_error);

  const auto consume_started = Clock::now();
  const std::vector<ConsumedRecord> consumed = consume_with_kcat(run.topic, std::nullopt, std::nullopt, bootstrap);
  v.consume_seconds = std::chrono::duration<double>(Clock::now() - consume_started).count();
  v.consumed = consumed.size();

  struct Where {
    std::int32_t partition;
    std::int64_t offset;
  };
  std::vector<std::vector<Where>> found(run.records);
  std::map<std::int32_t, long long> last_in_partition;
  std::size_t foreign = 0;
  for (const ConsumedRecord& r : consumed) {
    const std::optional<std::size_t> i = stream_detail::number_of(r.value);
    if (!i || *i >= run.records) {
      ++foreign;
      continue;
    }
    found[*i].push_back({r.partition, r.offset});
    auto [it, fresh] = last_in_partition.emplace(r.partition, -1);
    if (static_cast<long long>(*i) <= it->second) ++v.out_of_order;
    it->second = std::max(it->second, static_cast<long long>(*i));
  }
  CHECK(foreign == 0);
  for (std::size_t i = 0; i < run.records; ++i) {
    if (!found[i].empty()) ++v.distinct;
    if (found[i].size() > 1) v.duplicates += found[i].size() - 1;
    switch (reports.ok_[i]) {
      case 0: ++v.unreported; break;
      case 2:
        ++v.failed;
        if (!found[i].empty()) ++v.failed_but_written;
        break;
      default: {
        ++v.delivered;
        if (found[i].empty()) {
          ++v.lost;
          break;
        }
        const bool matches = std::any_of(found[i].begin(), found[i].end(), [&](const Where& w) {
          return w.partition == reports.partition_[i] && w.offset == reports.offset_[i];
        });
        if (!matches) ++v.wrong_reports;
      }
    }
  }
  if (!reports.first_error_.empty()) MESSAGE("first delivery error: " << reports.first_error_);
  return v;
}

/// The exactly-once verdict of an idempotent run: every record reported
/// delivered, read back once, in order, where its report said (9 checks).
inline void check_exactly_once(const StreamVerdict& v) {
  CHECK(v.unreported == 0);
  CHECK(v.failed == 0);
  CHECK(v.delivered == v.records);
  CHECK(v.consumed == v.records);
  CHECK(v.distinct == v.records);
  CHECK(v.duplicates == 0);
  CHECK(v.lost == 0);
  CHECK(v.out_of_order == 0);
  CHECK(v.wrong_reports == 0);
}

/// Partition leaders of `topic` from kcat's metadata listing (-L), by partition.
inline std::map<int, int> partition_leaders(const std::string& topic) {
  const CommandResult r =
      run_command("kcat -L -b " + shell_quote(broker_env().bootstrap()) + " -t " + shell_quote(topic) + " 2>/dev/null");
  std::map<int, int> leaders;
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line)) {
    int partition = -1;
    int leader = -1;
    if (std::sscanf(line.c_str(), " partition %d, leader %d", &partition, &leader) == 2) leaders[partition] = leader;
  }
  return leaders;
}

/// Waits until every partition of every topic (the internal ones included)
/// has all its replicas in sync again, as kcat's metadata listing shows them;
/// false, with the first lagging partition in `lagging`, on timeout. A node
/// that `start-node` reported ready still has to catch up on what it missed:
/// a test that starts before it has sees leaders move back to it (KIP-491
/// preferred leaders) and partitions one replica short of min.insync.replicas.
inline bool wait_in_sync(std::chrono::seconds limit, std::string* lagging = nullptr) {
  // "..., replicas: 3,1,2, isrs: 1,2" (kcat may append an error text).
  const auto count = [](std::string_view ids) {
    ids = ids.substr(0, ids.find_first_not_of("0123456789,"));
    if (!ids.empty() && ids.back() == ',') ids.remove_suffix(1);
    return ids.empty() ? 0 : 1 + std::count(ids.begin(), ids.end(), ',');
  };
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const CommandResult r = run_command("kcat -L -b " + shell_quote(broker_env().bootstrap()) + " 2>/dev/null");
    std::string first_lagging;
    std::string topic;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line) && first_lagging.empty()) {
      char name[256];
      if (std::sscanf(line.c_str(), " topic \"%255[^\"]\"", name) == 1) topic = name;
      const auto replicas = line.find("replicas: ");
      const auto isrs = line.find(", isrs: ");
      if (replicas == std::string::npos || isrs == std::string::npos) continue;
      const std::string_view text(line);
      if (count(text.substr(replicas + 10, isrs - replicas - 10)) != count(text.substr(isrs + 8)))
        first_lagging = topic + ": " + line;
    }
    // A fresh cluster has no topic at all (not even __consumer_offsets): in sync.
    const bool answered = r.exit_code == 0 && r.output.find(" brokers:") != std::string::npos;
    if (answered && first_lagging.empty()) return true;
    if (std::chrono::steady_clock::now() >= deadline) {
      if (lagging) *lagging = first_lagging.empty() ? "no metadata from kcat" : first_lagging;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

/// Runs the broker script with `args` (e.g. "kill9 1"); throws on failure.
inline void broker_script(const std::string& args) {
  const CommandResult r = run_command(shell_quote(KWIRE_BROKER_SCRIPT) + " " + args + " >&2");
  if (r.exit_code != 0) throw std::runtime_error("kafka-broker " + args + " failed (exit " + std::to_string(r.exit_code) + ")");
}

}  // namespace kwire::test
