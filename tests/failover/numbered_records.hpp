#pragma once
// What the three-node tests share: whether the managed three-node cluster is
// the one under test, and numbered records — record i is "<prefix>-<i, 9
// digits>" in partition i % partitions — written with a given producer, so a
// reader can tell a missing, a duplicated and a misplaced record apart.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>

#include <kwire/producer/producer.hpp>

#include "stream_check.hpp"
#include "support.hpp"

namespace kwire::test {

/// True when the tests run against the managed three-node cluster
/// (`kafka-broker start --nodes 3`); otherwise says why they skip.
inline bool managed_three_nodes() {
  const auto& env = broker_env();
  if (!env.managed() || !env.has("KWIRE_BROKER_NODES") || env.get("KWIRE_BROKER_NODES") != "3") {
    MESSAGE("skipped: needs the managed three-node cluster (kafka-broker start --nodes 3)");
    return false;
  }
  return true;
}

/// Before a case that kills nodes or counts on min.insync.replicas: every
/// replica is back in sync after an earlier case's restart.
inline void require_replicas_in_sync() {
  std::string lagging;
  REQUIRE_MESSAGE(wait_in_sync(std::chrono::seconds(120), &lagging), "replicas still out of sync: " << lagging);
}

/// Record i's value: "<prefix>-<i, 9 digits>".
inline std::string numbered_value(const char* prefix, std::size_t i) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%s-%09zu", prefix, i);
  return buffer;
}

/// Record i's number from its value, if the value is one numbered_value()
/// wrote with `prefix` and the number is below `limit`.
inline std::optional<std::size_t> number_of(const char* prefix, const std::string& value, std::size_t limit) {
  unsigned long long n = 0;
  const std::string format = std::string(prefix) + "-%llu";
  if (std::sscanf(value.c_str(), format.c_str(), &n) != 1 || n >= limit) return std::nullopt;
  if (value != numbered_value(prefix, static_cast<std::size_t>(n))) return std::nullopt;
  return static_cast<std::size_t>(n);
}

/// Writes records [from, to) to `topic` through `producer`, record i into
/// partition i % `partitions`, and waits until each is delivered.
inline void produce_numbered(kwire::Producer& producer, const std::string& topic, const char* prefix, int partitions,
                             std::size_t from, std::size_t to) {
  std::atomic<std::size_t> failed{0};
  std::string first_error;  // written once, by the first failed delivery
  for (std::size_t i = from; i < to; ++i) {
    const std::string value = numbered_value(prefix, i);
    kwire::producer::RecordView record(topic, std::nullopt, value);
    record.partition = static_cast<std::int32_t>(i % static_cast<std::size_t>(partitions));
    producer.send(record, [&failed, &first_error](const kwire::producer::DeliveryReport& report) {
      if (!report.ok() && failed.fetch_add(1) == 0) first_error = report.error.message() + " " + report.detail;
    });
  }
  REQUIRE(producer.flush(std::chrono::seconds(300)));
  REQUIRE_MESSAGE(failed.load() == 0, "first failed delivery: " << first_error);
}

}  // namespace kwire::test
