// The one exponential backoff (KIP-144 reconnects, KIP-580 retries) and
// saturating deadlines.
#include <doctest/doctest.h>

#include "kwire/cluster/backoff.hpp"

using namespace kwire::cluster;

TEST_CASE("exponential backoff doubles per attempt, caps at the maximum, jitter never exceeds it") {
  CHECK(exponential_backoff_ms(1, 100, 1000, 1.0) == 100);
  CHECK(exponential_backoff_ms(2, 100, 1000, 1.0) == 200);
  CHECK(exponential_backoff_ms(4, 100, 1000, 1.0) == 800);
  CHECK(exponential_backoff_ms(5, 100, 1000, 1.0) == 1000);
  CHECK(exponential_backoff_ms(1000, 100, 1000, 1.0) == 1000);
  CHECK(exponential_backoff_ms(1, 100, 1000, 0.8) == 80);
  CHECK(exponential_backoff_ms(9, 100, 1000, 1.2) == 1000);
  CHECK(exponential_backoff_ms(3, 500, 500, 1.2) == 500);  // constant, unjittered (Java)
  CHECK(exponential_backoff_ms(3, 700, 500, 0.8) == 500);  // initial capped by the maximum
}

TEST_CASE("ExponentialBackoff draws its jitter within ±20% and is reproducible from a seed") {
  ExponentialBackoff a(100, 10000, 7);
  ExponentialBackoff b(100, 10000, 7);
  bool varied = false;
  std::int64_t first = -1;
  for (int i = 0; i < 1000; ++i) {
    const double f = a.jitter_factor();
    CHECK(f >= 1.0 - kBackoffJitter);
    CHECK(f < 1.0 + kBackoffJitter);
    CHECK(f == b.jitter_factor());
  }
  for (int i = 0; i < 50; ++i) {
    const std::int64_t wait = a.next_ms(3);  // 400 ± 20%
    CHECK(wait >= 320);
    CHECK(wait <= 480);
    if (first < 0) first = wait;
    if (wait != first) varied = true;
  }
  CHECK(varied);
  CHECK(a.unjittered_ms(3) == 400);
  CHECK(a.next_ms(0) <= 120);  // attempts below 1 count as 1
}

TEST_CASE("saturating_add stops at kNoDeadline") {
  CHECK(saturating_add(5, 7) == 12);
  CHECK(saturating_add(kNoDeadline - 1, 10) == kNoDeadline);
  CHECK(saturating_add(kNoDeadline, 1) == kNoDeadline);
  CHECK(saturating_add(10, -3) == 7);
}
