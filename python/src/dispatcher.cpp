#include "dispatcher.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "cpython_methods.hpp"
#include "python_types.hpp"

namespace nb = nanobind;

namespace kwire::python {
namespace {

nb::tuple prepend(const nb::object& first, const nb::object& args) {
  const Py_ssize_t n = args.is_valid() ? PyTuple_Size(args.ptr()) : 0;
  nb::object tuple = nb::steal(PyTuple_New(n + 1));
  if (!tuple.is_valid()) throw nb::python_error();
  PyTuple_SetItem(tuple.ptr(), 0, first.inc_ref().ptr());  // steals
  for (Py_ssize_t i = 0; i < n; ++i)
    PyTuple_SetItem(tuple.ptr(), i + 1, nb::borrow(PyTuple_GetItem(args.ptr(), i)).release().ptr());
  return nb::borrow<nb::tuple>(tuple);
}

void run_callback_impl(const PythonCallback& callback, const nb::object& outcome) {
  try {
    // The usual add_callback(fn): fn(outcome) without building a tuple.
    PyObject* result = !callback.args.is_valid() && !callback.kwargs.is_valid()
                           ? call_one(callback.fn.ptr(), outcome.ptr())
                           : PyObject_Call(callback.fn.ptr(), prepend(outcome, callback.args).ptr(),
                                           callback.kwargs.is_valid() ? callback.kwargs.ptr() : nullptr);
    if (!result) throw nb::python_error();
    Py_DECREF(result);
  } catch (nb::python_error& e) {
    // kafka-python logs a failing callback and carries on; so do we
    // (sys.unraisablehook prints it with the callable's name).
    e.discard_as_unraisable(callback.fn);
  }
}

// The queue is a lock-free stack (push: one CAS on the network thread; the
// dispatcher takes it whole and reverses it into completion order): before
// it, the network thread's per-record mutex here was a tenth of its time
// (perf, 1M send().add_callback()). The mutex and condition variable are
// for sleeping only: a post that finds the queue empty wakes the thread
// (and starts it, the first time), once per batch.
class Dispatcher {
 public:
  void post(Completion& completion) {
    completion.add_ref();
    Completion* head = queue_.load(std::memory_order_relaxed);
    do {
      completion.dispatch_next = head;
    } while (!queue_.compare_exchange_weak(head, &completion, std::memory_order_release,
                                           std::memory_order_relaxed));
    if (head == nullptr) wake();
  }

  void stop() {
    std::thread thread;
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      thread = std::move(thread_);
    }
    wakeup_.notify_one();
    if (thread.joinable()) {
      nb::gil_scoped_release release;
      thread.join();
    }
  }

 private:
  void wake() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) {
        // Nothing may touch Python from here on (see abandon()). Whoever
        // finds the queue empty after the stop empties it again.
        Completion* left = queue_.exchange(nullptr, std::memory_order_acquire);
        while (left) abandon(*std::exchange(left, left->dispatch_next));
        return;
      }
      if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    }
    // Under the lock the thread has either seen the queue non-empty or is
    // waiting: no wake-up is lost.
    wakeup_.notify_one();
  }

  // After the stop nothing may touch Python from this thread: the objects
  // are moved to a heap vector that is never freed (no reference count
  // change), then the completion reference is dropped.
  static void abandon(Completion& completion) {
    auto* leaked = new std::vector<PythonCallback>(std::move(completion.callbacks));
    (void)leaked;
    (void)completion.aio_future.release();
    (void)completion.aio_sink.release();
    completion.release();
  }

  void run() {
    std::vector<Completion*> batch;
    for (;;) {
      Completion* taken = queue_.exchange(nullptr, std::memory_order_acquire);
      if (!taken) {
        std::unique_lock lock(mutex_);
        wakeup_.wait(lock, [this] { return queue_.load(std::memory_order_relaxed) || stopped_; });
        if (!queue_.load(std::memory_order_relaxed)) return;  // stopped and drained
        continue;
      }
      for (; taken; taken = taken->dispatch_next) batch.push_back(taken);
      std::reverse(batch.begin(), batch.end());  // the stack is newest first
      {
        // The interpreter is alive: stop() (atexit) joins this thread
        // before finalization starts.
        nb::gil_scoped_acquire gil;
        run_batch(batch);
      }
      // No Python reference is left in them: the completions go back to
      // their pool without the GIL, while the sending thread runs.
      for (Completion* completion : batch) completion->release();
      batch.clear();
    }
  }

  // With the GIL: every add_callback/add_errback callable, in completion
  // order, each dropped once it ran. No lock per record: a completion comes
  // here done, and its callbacks are this thread's from then on (the state
  // word's hand-over, completion.hpp). The vector keeps its capacity for
  // the completion's next record.
  static void run_batch(const std::vector<Completion*>& batch) {
    TopicNames topics;
    const std::size_t n = batch.size();
    for (std::size_t i = 0; i < n; ++i) {
      // The network thread wrote these completions on the other core:
      // fetch them a few records ahead, and their callbacks' buffers once
      // their vectors are here, so the GIL is not held across those misses
      // (GIL-held time per record 100-116 -> 76-80 ns, 2M records).
      if (i + 4 < n) prefetch_completion<false>(batch[i + 4]);
      if (i + 2 < n) __builtin_prefetch(batch[i + 2]->callbacks.data());
      Completion* completion = batch[i];
      std::vector<PythonCallback>& callbacks = completion->callbacks;
      try {
        bool failed = false;
        nb::object outcome = outcome_of(*completion, failed, &topics);
        for (const PythonCallback& callback : callbacks) {
          if (failed ? !callback.on_error : !callback.on_success) continue;
          run_callback_impl(callback, outcome);
        }
      } catch (nb::python_error& e) {
        e.discard_as_unraisable("kwire delivery dispatcher");
      }
      callbacks.clear();
    }
  }

  std::atomic<Completion*> queue_{nullptr};  // newest first, linked by dispatch_next
  std::mutex mutex_;                         // for sleeping, starting and stopping
  std::condition_variable wakeup_;
  bool stopped_ = false;
  std::thread thread_;
};

Dispatcher& dispatcher() {
  // Never destroyed: completions may still arrive from kwire's threads
  // while the process exits.
  static auto* instance = new Dispatcher;
  return *instance;
}

}  // namespace

void dispatch(Completion& completion) { dispatcher().post(completion); }

void stop_dispatcher() { dispatcher().stop(); }

void run_callback(const PythonCallback& callback, const nb::object& outcome) {
  run_callback_impl(callback, outcome);
}

}  // namespace kwire::python
