#pragma once
// Where kwire.AIOProducer's deliveries meet its event loop, without any
// thread but the loop's touching Python: kwire's network thread queues each
// completed record here (C++ only) and, when the queue goes from empty to
// non-empty, writes an eventfd the loop watches (loop.add_reader). The loop
// then calls drain(), which sets every asyncio future of the batch
// (skipping cancelled ones). One wake-up per batch, no GIL taken by a
// background thread: that is what call_soon_threadsafe does inside
// (a self-pipe write), minus the GIL hand-off.
#include <mutex>
#include <vector>

#include <nanobind/nanobind.h>

#include "completion.hpp"

namespace kwire::python {

class AsyncSink {
 public:
  AsyncSink();
  ~AsyncSink();
  AsyncSink(const AsyncSink&) = delete;
  AsyncSink& operator=(const AsyncSink&) = delete;

  /// Any thread, no Python: queues `completion` (one reference taken).
  void post(Completion& completion);
  /// On the event loop (GIL held): resolves every queued future.
  void drain();
  int fileno() const noexcept { return fd_; }
  /// After the loop stopped watching fileno(): later posts leak their
  /// Python references (nothing may release them off the loop).
  void close();

 private:
  int fd_ = -1;
  std::mutex mutex_;
  std::vector<Completion*> queue_;
  bool closed_ = false;
};

void bind_async_sink(nanobind::module_& module);

}  // namespace kwire::python
