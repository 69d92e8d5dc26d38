#pragma once
// Shared by the RecordAccumulator unit tests (accumulator_*test.cpp): an
// injected clock (plain int64 milliseconds), a small configuration, and
// helpers that append, drain and complete batches and check the reports.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <system_error>
#include <thread>
#include <vector>

#include "record_accumulator.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::producer::accumulator_testing {

using kwire::client_errc;
using namespace std::chrono_literals;

struct Received {
  int tag = 0;
  DeliveryReport report;
};

inline const TopicPartition p0{"t", 0};
inline const TopicPartition p1{"t", 1};
inline const TopicPartition p2{"t", 2};
inline const TopicPartition p4{"t", 4};

/// Even partitions are led by node 0, odd ones by node 1.
inline const LeaderLookup kLeaders = [](const TopicPartition& tp) -> std::optional<kwire::NodeId> {
  return kwire::NodeId{tp.partition % 2};
};

inline AccumulatorConfig test_config() {
  AccumulatorConfig c;
  c.batch_size = 1024;
  c.linger_ms = 10;
  c.buffer_memory = 64 * 1024;
  c.max_block_ms = 50;
  c.delivery_timeout_ms = 1000;
  c.retry_backoff_ms = 100;
  c.retry_backoff_max_ms = 1000;
  c.max_request_size = 4096;
  c.jitter_seed = 42;
  return c;
}

/// Appends a record with a `value_size`-byte value and timestamp `now`,
/// whose report lands in `got` under `tag`.
inline AppendResult add(RecordAccumulator& acc, const TopicPartition& tp, std::size_t value_size,
                        std::int64_t now, std::vector<Received>& got, int tag) {
  std::vector<std::uint8_t> value(value_size, static_cast<std::uint8_t>(tag));
  DeliveryCallback cb = [&got, tag](const DeliveryReport& r) { got.push_back(Received{tag, r}); };
  return acc.append(tp, now, std::nullopt, std::span<const std::uint8_t>(value), std::span<const HeaderView>(), cb,
                    now);
}

inline std::vector<BatchPtr> drain_one(RecordAccumulator& acc, const TopicPartition& tp, std::int64_t now,
                                       std::size_t max_bytes = 1 << 20) {
  return acc.drain(kwire::NodeId{tp.partition % 2}, std::span<const TopicPartition>(&tp, 1), max_bytes, now);
}

/// The sender's happy path for one batch.
inline void succeed(RecordAccumulator& acc, BatchPtr batch, std::int64_t base_offset) {
  batch->seal({});
  batch->complete(base_offset, -1);
  acc.deallocate(std::move(batch));
}

/// Each tag reported exactly once, all with `error`.
inline void check_each_once(const std::vector<Received>& got, int tags, std::error_code error) {
  std::map<int, int> seen;
  for (const auto& r : got) {
    ++seen[r.tag];
    CHECK(r.report.error == error);
  }
  CHECK(seen.size() == static_cast<std::size_t>(tags));
  for (const auto& [tag, n] : seen) CHECK(n == 1);
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace kwire::producer::accumulator_testing
