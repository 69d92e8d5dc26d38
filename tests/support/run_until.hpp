#pragma once
// Bounded waits on an io_context for tests: a bug shows as a failed check,
// never as a hung test run.
#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(io_context.hpp)
#include <chrono>
#include <functional>

namespace kwire::test {

/// Runs `io` until `done()` or `limit` passes; returns `done()`.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return done();
}

/// Runs `io` for `d` (e.g. to let a stray duplicate callback show up).
inline void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  if (io.stopped()) io.restart();
  io.run_for(d);
}

}  // namespace kwire::test
