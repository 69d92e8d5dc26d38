#pragma once
// kwire.AIOProducer's delivery future: asyncio-compatible (asyncio.isfuture()
// is true; await, asyncio.gather, wait_for, wait, shield and Task all take
// it) but resolved in C++ by the producer's _AsyncSink, and its done
// callbacks run from one loop callback per batch instead of one loop Handle
// each. That Handle per record (loop.call_soon: a Python object, a deque
// slot and a trip through the loop's run queue) was the largest single cost
// of `await send()` + gather with asyncio.Future (about 1 us per record on
// the 2-core VM, measured with a call_soon micro benchmark).
//
// Threads: only the event loop's thread touches it (as asyncio.Future).
// Done callbacks never run inside add_done_callback, cancel() or the
// resolution itself: they are queued on the sink, which runs the queue from
// one loop.call_soon (so never inside a running Task, where a Task's wakeup
// would refuse to start).
#include <vector>

#include <nanobind/nanobind.h>

namespace kwire::python {

class AsyncSink;

class AioFuture {
 public:
  AioFuture(nanobind::object loop, nanobind::object sink) noexcept
      : loop_(std::move(loop)), sink_(std::move(sink)) {}

  bool done() const noexcept { return state_ != State::pending; }
  bool cancelled() const noexcept { return state_ == State::cancelled; }
  nanobind::object result() const;
  nanobind::object exception() const;
  void add_done_callback(nanobind::handle self, nanobind::object fn, nanobind::object context);
  std::size_t remove_done_callback(nanobind::handle fn);
  bool cancel(nanobind::handle self, nanobind::object message);
  const nanobind::object& loop() const noexcept { return loop_; }

  /// The sink's resolution (on the loop): no-op when already cancelled.
  void resolve(nanobind::handle self, nanobind::object outcome, bool failed);

  bool blocking = false;  // asyncio's _asyncio_future_blocking protocol flag

  /// tp_traverse / tp_clear for the cycles a Task creates (task -> future
  /// -> task.__wakeup).
  int traverse(visitproc visit, void* arg);
  void clear();

  enum class State : unsigned char { pending, finished, cancelled };
  State state() const noexcept { return state_; }

 private:
  struct Callback {
    nanobind::object fn;
    nanobind::object context;
  };
  void schedule_callbacks(nanobind::handle self);
  /// Lets the cyclic GC see `self` from now on (it starts untracked:
  /// make_aio_future).
  static void track(nanobind::handle self) noexcept;

  State state_ = State::pending;
  nanobind::object result_;
  nanobind::object exception_;
  nanobind::object cancel_message_;
  nanobind::object loop_;
  nanobind::object sink_;  // the _AsyncSink that runs the callbacks
  Callback first_;            // the first registration (fn null: none)
  std::vector<Callback> more_;  // any later ones, in order
};

/// The done-callback queue of one event loop (owned by its _AsyncSink).
class ReadyCallbacks {
 public:
  /// Queues fn(future) in `context`; the first one after a run schedules
  /// sink._run_ready() (which calls run()) with loop.call_soon.
  void push(nanobind::object fn, nanobind::handle future, nanobind::object context, const nanobind::object& loop,
            nanobind::handle sink);
  /// On the loop: runs every queued callback (and those they queue).
  void run(const nanobind::object& loop);
  void clear() noexcept;

 private:
  struct Entry {
    nanobind::object fn;
    nanobind::object future;
    nanobind::object context;
  };
  std::vector<Entry> queue_;
  std::vector<Entry> spare_;  // run()'s: an empty buffer for queue_
  bool scheduled_ = false;
};

/// Whether `object` is an AioDeliveryFuture (its type: bind_aio_future).
bool is_aio_future(nanobind::handle object) noexcept;
/// The C++ future inside an AioDeliveryFuture (is_aio_future(object)).
AioFuture& aio_future_of(nanobind::handle object) noexcept;
/// `await send()`'s already-complete awaitable: `await` gives `value`.
nanobind::object make_ready_awaitable(nanobind::object value);
/// A new pending AioFuture for `loop`, its callbacks run by `sink`.
nanobind::object make_aio_future(nanobind::object loop, nanobind::object sink);

void bind_aio_future(nanobind::module_& module);

}  // namespace kwire::python
