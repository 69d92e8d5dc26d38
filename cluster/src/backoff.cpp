#include "kwire/cluster/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace kwire::cluster {

std::int64_t exponential_backoff_ms(std::int32_t attempts, std::int64_t initial_ms, std::int64_t max_ms,
                                    double random_factor) noexcept {
  max_ms = std::max<std::int64_t>(0, max_ms);
  const std::int64_t initial = std::clamp<std::int64_t>(initial_ms, 0, max_ms);
  if (max_ms <= initial) return initial;  // constant backoff: Java applies no jitter either
  // initial * 2^(attempts - 1), capped at the maximum. Java caps the
  // exponent at log2(max / initial) instead, which is the same value but
  // can land a rounding error below it (999 for 100 * 2^log2(10)).
  const int exponent = std::clamp(attempts - 1, 0, 62);
  const double term = std::min(static_cast<double>(initial) * std::exp2(exponent), static_cast<double>(max_ms));
  const auto value = static_cast<std::int64_t>(random_factor * term);
  return std::clamp<std::int64_t>(value, 0, max_ms);
}

ExponentialBackoff::ExponentialBackoff(std::int64_t initial_ms, std::int64_t max_ms, std::uint64_t seed) noexcept
    : initial_ms_(initial_ms), max_ms_(max_ms), state_(seed) {
  if (state_ == 0) {
    std::random_device device;
    state_ = (static_cast<std::uint64_t>(device()) << 32) | device();
  }
}

std::int64_t ExponentialBackoff::next_ms(std::int32_t attempts) noexcept {
  return exponential_backoff_ms(std::max(1, attempts), initial_ms_, max_ms_, jitter_factor());
}

std::int64_t ExponentialBackoff::unjittered_ms(std::int32_t attempts) const noexcept {
  return exponential_backoff_ms(std::max(1, attempts), initial_ms_, max_ms_, 1.0);
}

double ExponentialBackoff::jitter_factor() noexcept {
  // SplitMix64: a cheap, well-mixed stream; statistical quality is all a
  // jitter needs.
  state_ += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  const double unit = static_cast<double>(z >> 11) / static_cast<double>(1ULL << 53);
  return 1.0 - kBackoffJitter + 2 * kBackoffJitter * unit;
}

}  // namespace kwire::cluster
