#pragma once
// SendClock: the two times Producer::send needs per record — monotonic
// milliseconds (the accumulator's linger and delivery-timeout clock) and the
// record's CreateTime (wall-clock milliseconds) — from ONE clock read.
//
// Why: a clock read costs 25-45 ns on the 2-core VMs kwire is benchmarked on
// (steady_clock ~26 ns, system_clock ~44 ns through the vDSO with kvm-clock),
// and reading both per record was ~16% of the producer's CPU per 100-byte
// record (issue 8, perf profile of `kwire perf` against the blackhole mock).
// The wall clock is steady_clock plus an offset that is re-read from
// system_clock whenever it is older than kRefresh of steady time, so a step
// of the system clock (settimeofday, an NTP step) shows in CreateTime within
// 10 ms, and slewing (at most 500 ppm) drifts it by microseconds at most.
//
// Thread-safe and lock-free: every application thread may call now(). A
// refresh races benignly: two threads may both refresh, and a reader may
// pair a fresh offset with an old refresh time (it then refreshes again).
#include <atomic>
#include <chrono>
#include <cstdint>

namespace kwire::producer {

class SendClock {
 public:
  struct Now {
    std::int64_t steady_ms;  ///< steady_clock, ms since its epoch
    std::int64_t wall_ms;    ///< system_clock, ms since the Unix epoch
  };

  static constexpr std::int64_t kRefreshNs = 10'000'000;  // 10 ms

  SendClock() noexcept { refresh(steady_ns()); }

  Now now() noexcept {
    const std::int64_t steady = steady_ns();
    std::int64_t offset = offset_ns_.load(std::memory_order_relaxed);
    const std::int64_t refreshed = refreshed_at_ns_.load(std::memory_order_relaxed);
    if (steady - refreshed >= kRefreshNs || steady < refreshed) offset = refresh(steady);
    return {steady / 1'000'000, floor_div(steady + offset, 1'000'000)};
  }

 private:
  static std::int64_t steady_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  static std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
  }

  std::int64_t refresh(std::int64_t steady) noexcept {
    const std::int64_t wall =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    const std::int64_t offset = wall - steady;
    offset_ns_.store(offset, std::memory_order_relaxed);
    refreshed_at_ns_.store(steady, std::memory_order_relaxed);
    return offset;
  }

  std::atomic<std::int64_t> offset_ns_{0};
  std::atomic<std::int64_t> refreshed_at_ns_{0};
};

}  // namespace kwire::producer
