#pragma once
// The one exponential backoff with jitter every kwire client uses: Kafka's
// ExponentialBackoff(initial, 2, max, 0.2) (KIP-144 for reconnects, KIP-580
// for retries). The n-th consecutive failure waits initial * 2^(n-1), capped
// at max, times a random factor in [0.8, 1.2), and never more than max. When
// max <= initial the backoff is constant and unjittered, as in Java.
// Used for reconnect.backoff.ms (per broker), retry.backoff.ms (batches and
// metadata refreshes) and, later, coordinator lookups.
#include <cstdint>
#include <limits>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

/// "No deadline": the value run_once() returns when nothing is due.
inline constexpr std::int64_t kNoDeadline = std::numeric_limits<std::int64_t>::max();

/// a + b, saturating at kNoDeadline (deadlines are "now + wait").
constexpr std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  if (b > 0 && a > kNoDeadline - b) return kNoDeadline;
  return a + b;
}

/// Jitter of every backoff: ±20% (Java's CommonClientConfigs.RETRY_BACKOFF_JITTER).
inline constexpr double kBackoffJitter = 0.2;

/// The backoff after `attempts` (>= 1) failed attempts with a given
/// `random_factor` (the jitter, in [0.8, 1.2)); see the top of this file.
std::int64_t exponential_backoff_ms(std::int32_t attempts, std::int64_t initial_ms, std::int64_t max_ms,
                                    double random_factor) noexcept;

/// exponential_backoff_ms with its own jitter source. Not thread-safe: each
/// owner (a broker's connection state, the metadata cache, the network
/// thread's retries) keeps one.
class ExponentialBackoff {
 public:
  /// `seed` 0 seeds from std::random_device (tests pass a fixed one).
  ExponentialBackoff(std::int64_t initial_ms, std::int64_t max_ms, std::uint64_t seed = 0) noexcept;

  /// The jittered wait after `attempts` (>= 1; smaller counts as 1) failures.
  std::int64_t next_ms(std::int32_t attempts) noexcept;
  /// The same without jitter (factor 1).
  std::int64_t unjittered_ms(std::int32_t attempts) const noexcept;
  /// A factor in [1 - kBackoffJitter, 1 + kBackoffJitter).
  double jitter_factor() noexcept;

  std::int64_t initial_ms() const noexcept { return initial_ms_; }
  std::int64_t max_ms() const noexcept { return max_ms_; }

 private:
  std::int64_t initial_ms_;
  std::int64_t max_ms_;
  std::uint64_t state_;
};

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
