#include "background_close.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <nanobind/nanobind.h>

namespace kwire::python {
namespace {

struct BackgroundCloses {
  std::mutex mutex;
  std::condition_variable cv;
  int closing = 0;
};

// Never destroyed: a detached closer may still finish during static
// destruction.
BackgroundCloses& registry() {
  static auto* instance = new BackgroundCloses;
  return *instance;
}

}  // namespace

void close_in_background(std::function<void()> destroy) {
  auto& closes = registry();
  {
    std::lock_guard lock(closes.mutex);
    ++closes.closing;
  }
  std::thread([destroy = std::move(destroy), &closes]() mutable {
    destroy();
    destroy = nullptr;  // what it captured goes too, before the count drops
    {
      std::lock_guard lock(closes.mutex);
      --closes.closing;
    }
    closes.cv.notify_all();
  }).detach();
}

void wait_for_background_closes() {
  auto& closes = registry();
  nanobind::gil_scoped_release release;
  std::unique_lock lock(closes.mutex);
  closes.cv.wait(lock, [&] { return closes.closing == 0; });
}

}  // namespace kwire::python
