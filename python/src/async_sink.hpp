#pragma once
// Where kwire.AIOProducer's deliveries meet its event loop, without any
// thread but the loop's touching Python: kwire's network thread queues each
// completed record here (C++ only) and, when the queue goes from empty to
// non-empty, writes an eventfd the loop watches (loop.add_reader). The loop
// then calls drain(), which resolves every future of the batch (skipping
// cancelled ones). One wake-up per batch, no GIL taken by a background
// thread: that is what call_soon_threadsafe does inside (a self-pipe
// write), minus the GIL hand-off. The futures are AioFutures
// (aio_future.hpp), whose done callbacks the sink also runs: all of a
// batch's from one loop.call_soon.
#include <mutex>
#include <vector>

#include <nanobind/nanobind.h>

#include "aio_future.hpp"
#include "completion.hpp"

namespace kwire::python {

class AsyncSink {
 public:
  explicit AsyncSink(nanobind::object loop);
  ~AsyncSink();
  AsyncSink(const AsyncSink&) = delete;
  AsyncSink& operator=(const AsyncSink&) = delete;

  /// Any thread, no Python: queues `completion` (one reference taken).
  void post(Completion& completion);
  /// On the event loop (GIL held): resolves every queued future.
  void drain();
  int fileno() const noexcept { return fd_; }
  /// On the loop: fn(future) in `context` soon (see ReadyCallbacks);
  /// `self` is this sink's Python object.
  void call_soon(nanobind::handle self, nanobind::object fn, nanobind::handle future, nanobind::object context);
  /// On the loop: runs the queued done callbacks (scheduled by call_soon).
  void run_ready() { ready_.run(loop_); }
  const nanobind::object& loop() const noexcept { return loop_; }
  /// A new pending future of this sink's loop.
  nanobind::object create_future(nanobind::handle self);
  /// After the loop stopped watching fileno(): later posts leak their
  /// Python references (nothing may release them off the loop).
  void close();

 private:
  int fd_ = -1;
  std::mutex mutex_;
  std::vector<Completion*> queue_;
  std::vector<Completion*> spare_;  // drain()'s, on the loop: an empty buffer for queue_
  bool closed_ = false;
  nanobind::object loop_;
  ReadyCallbacks ready_;
};

void bind_async_sink(nanobind::module_& module);

}  // namespace kwire::python
