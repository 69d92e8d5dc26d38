#pragma once
// Blocking calls that release the GIL and still answer Ctrl+C (as
// confluent-kafka-python 2.13 fixed in PR #2126): the work runs on a helper
// thread while the calling thread waits in slices of 200 ms with the GIL
// released and runs the signal handlers between slices. A
// KeyboardInterrupt (or any exception a handler raises) propagates at once;
// the work itself then finishes in the background, keeping alive what its
// closure captured.
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <nanobind/nanobind.h>

namespace kwire::python {

inline constexpr std::chrono::milliseconds signal_check_interval{200};

/// A Python timeout in seconds as kwire's milliseconds (rounded up). None:
/// as good as forever (a year; kwire adds timeouts to now()).
inline std::chrono::milliseconds to_millis(std::optional<double> seconds) {
  if (!seconds) return std::chrono::hours(24 * 365);
  if (!(*seconds >= 0)) throw nanobind::value_error("timeout must be >= 0 seconds");
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(*seconds * 1000.0)));
}

/// "1.5 s", for error messages.
inline std::string seconds_text(std::chrono::milliseconds ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g s", static_cast<double>(ms.count()) / 1000.0);
  return buffer;
}

/// Waits until `done()` (evaluated under `mutex`) is true or `timeout`
/// passes, GIL released, checking for signals every 200 ms. True when done.
template <class Done>
bool wait_interruptibly(std::mutex& mutex, std::condition_variable& cv, Done done,
                        std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const auto slice = std::min<std::chrono::steady_clock::duration>(signal_check_interval, deadline - now);
    bool finished = false;
    {
      nanobind::gil_scoped_release release;
      std::unique_lock lock(mutex);
      finished = cv.wait_for(lock, std::max<std::chrono::steady_clock::duration>(slice, {}), done);
    }
    if (finished) return true;
    if (PyErr_CheckSignals() != 0) throw nanobind::python_error();
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

/// Runs `work()` on a helper thread and returns its result (or rethrows its
/// exception); see the file comment for Ctrl+C.
template <class Work>
auto run_interruptibly(Work work) -> decltype(work()) {
  using Result = decltype(work());
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    std::optional<Result> result;
    std::exception_ptr error;
  };
  auto state = std::make_shared<State>();
  std::thread([state, work = std::move(work)]() mutable {
    std::optional<Result> result;
    std::exception_ptr error;
    try {
      result.emplace(work());
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(state->mutex);
      state->result = std::move(result);
      state->error = error;
      state->done = true;
    }
    state->cv.notify_all();
  }).detach();
  wait_interruptibly(state->mutex, state->cv, [&] { return state->done; },
                     std::chrono::steady_clock::time_point::max());
  if (state->error) std::rethrow_exception(state->error);
  return std::move(*state->result);
}

}  // namespace kwire::python
