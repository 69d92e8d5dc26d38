#pragma once
// kwire::consumer::Consumer against the mock cluster (issue 15): a config
// with short timers, polling with a bound, and rebalance callbacks that
// record what they were told.
#include <chrono>
#include <map>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "../../unit/consumer/wire_batches.hpp"
#include "kwire/consumer/consumer.hpp"
#include "kwire/mock/cluster.hpp"

namespace kwire::mock::test {

using namespace std::chrono_literals;
using consumer::Consumer;
using consumer::ConsumerConfig;
using consumer::TopicPartition;
using kwire::errc;
using kwire::mock::ApiKey;
using kwire::mock::ClusterConfig;
using kwire::mock::MockCluster;

/// `brokers` brokers and topic "t" with one partition.
inline ClusterConfig one_topic(int brokers = 1) {
  ClusterConfig config;
  config.brokers = brokers;
  config.topics = {{"t", 1}};
  return config;
}

inline const TopicPartition t0{"t", 0};

/// Short timers so that every test ends within seconds: fetches wait 50 ms,
/// heartbeats every 100 ms, retries back off 20-100 ms.
inline std::map<std::string, std::string> consumer_properties(const MockCluster& mock, std::string group = "g",
                                                              std::string reset = "earliest") {
  return {{"bootstrap.servers", mock.bootstrap_servers()},
          {"group.id", std::move(group)},
          {"auto.offset.reset", std::move(reset)},
          {"enable.auto.commit", "false"},
          {"fetch.max.wait.ms", "50"},
          {"heartbeat.interval.ms", "100"},
          {"session.timeout.ms", "6000"},
          {"retry.backoff.ms", "20"},
          {"retry.backoff.max.ms", "100"},
          {"request.timeout.ms", "5000"},
          {"default.api.timeout.ms", "5000"}};
}

/// consumer_properties() with `extra` on top; under group.protocol=consumer
/// without the timers KIP-848 leaves to the broker.
inline ConsumerConfig consumer_config(const MockCluster& mock, const std::map<std::string, std::string>& extra) {
  auto properties = consumer_properties(mock);
  for (const auto& [k, v] : extra) properties[k] = v;
  if (properties["group.protocol"] == "consumer") {
    properties.erase("session.timeout.ms");
    properties.erase("heartbeat.interval.ms");
  } else if (properties["group.protocol"].empty()) {
    properties.erase("group.protocol");
  }
  return ConsumerConfig::from_properties(properties);
}

/// What the rebalance callbacks were told, in order.
struct CallbackLog {
  struct Call {
    std::string kind;  ///< "assigned", "revoked", "lost"
    std::vector<TopicPartition> partitions;
    std::error_code why;
  };
  std::vector<Call> calls;

  consumer::RebalanceCallbacks callbacks() {
    consumer::RebalanceCallbacks c;
    c.on_assigned = [this](Consumer&, const std::vector<TopicPartition>& p) { calls.push_back({"assigned", p, {}}); };
    c.on_revoked = [this](Consumer&, const std::vector<TopicPartition>& p) { calls.push_back({"revoked", p, {}}); };
    c.on_lost = [this](Consumer&, const std::vector<TopicPartition>& p, std::error_code why) {
      calls.push_back({"lost", p, why});
    };
    return c;
  }
  std::size_t count(const std::string& kind) const {
    std::size_t n = 0;
    for (const Call& c : calls) n += c.kind == kind ? 1 : 0;
    return n;
  }
};

/// One polled record, copied (poll() hands out views).
struct Polled {
  std::int64_t offset = 0;
  std::string value;
  friend bool operator==(const Polled&, const Polled&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Polled& p) { return out << p.offset << ':' << p.value; }
};

/// Polls until `done(records so far, errors so far)` or `bound` passes;
/// returns what was polled. Every poll waits at most 100 ms.
template <class Done>
std::vector<Polled> poll_until(Consumer& consumer, Done&& done, std::vector<consumer::FetchError>* errors = nullptr,
                               std::chrono::milliseconds bound = 10s) {
  std::vector<Polled> out;
  std::vector<consumer::FetchError> seen;
  const auto until = std::chrono::steady_clock::now() + bound;
  while (!done(out, seen) && std::chrono::steady_clock::now() < until) {
    for (const auto& r : consumer.poll(100ms))
      out.push_back({r.offset, r.value ? std::string(r.value->begin(), r.value->end()) : std::string()});
    for (const auto& e : consumer.errors()) seen.push_back(e);
  }
  if (errors != nullptr) *errors = seen;
  return out;
}

inline auto count_reached(std::size_t n) {
  return [n](const std::vector<Polled>& records, const auto&) { return records.size() >= n; };
}

/// A batch of `values` as a producer without idempotence would send it.
inline std::vector<std::uint8_t> batch_of(std::initializer_list<const char*> values,
                                          kwire::test::WireBatchOptions options = {}) {
  std::vector<kwire::test::WireRecord> records;
  for (const char* v : values) records.push_back({std::nullopt, std::string(v), {}});
  return kwire::test::wire_batch(records, options);
}

}  // namespace kwire::mock::test
