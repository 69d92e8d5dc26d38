#pragma once
// One record's delivery as the binding sees it: kwire's network thread
// completes it (C++ only), a Python thread reads it with the GIL released
// (DeliveryFuture.get), and the dispatcher thread (dispatcher.hpp) runs the
// Python callbacks and resolves the asyncio future attached to it, in
// batches.
//
// Thread rules (the point of this file):
//  * complete() runs on kwire's network thread and touches no Python object
//    and no Python reference count. When a Python callback is attached it
//    hands the completion to the dispatcher; an asyncio future, to its sink.
//  * Who does what is decided by one atomic state word, not a lock: the
//    network thread marks the record done with one atomic operation, and
//    the usual add_callback registers with one compare-and-swap. A waiting
//    DeliveryFuture.get() sleeps on a mutex and condition variable shared
//    with other completions (wait_slot()), which the network thread
//    touches only when a get() is waiting (kWaiter).
//    A registration that overlaps complete() (kAdding) is handed over by
//    whichever of the two finishes last, so it is never lost and never run
//    twice.
//  * `callbacks`, `aio_future` and `aio_sink` are Python references: they are
//    created with the GIL held (attached, on free-threaded builds) and
//    released only by the dispatcher with the GIL held, or by the thread that
//    attached them when the record had already completed, or by the sink's
//    drain() on the event loop. So the last
//    reference, which may well be dropped on the network thread, always
//    finds them empty.
//  * The reference count is intrusive so that the network thread's callback
//    captures two plain pointers: it fits std::function's local storage and
//    send() allocates nothing for it.
//  * Completions are recycled, never freed (Completion::create, release()):
//    the last reference of most records is dropped on another thread than
//    the one that made them (the network thread, once Python has let go of
//    the future; the dispatcher, after the callback), and glibc's malloc
//    turns a free of another thread's memory into contention on the sending
//    thread's arena lock: measured at a third of the sending thread's time
//    in 1M send()s. A recycled Completion also keeps its callbacks vector's
//    capacity, so add_callback allocates nothing either.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include <nanobind/nanobind.h>

#include "kwire/producer/record.hpp"

namespace kwire::python {

class AsyncSink;

/// One add_callback/add_errback registration: fn(value, *args, **kwargs).
struct PythonCallback {
  nanobind::object fn;
  nanobind::object args;    // a tuple, or null (not None) when there are none
  nanobind::object kwargs;  // a dict, or null
  bool on_success = true;   // add_callback; false: add_errback
  bool on_error = false;
};

class alignas(64) Completion {
 public:
  /// A Completion with `references` references (from the pool when it has
  /// one). The sizes are -1 for a completion that is not a record's (a
  /// barrier, a ready signal). With the GIL held (attached, on a
  /// free-threaded build): the pool's takers rely on it.
  static Completion* create(std::int32_t key_size = -1, std::int32_t value_size = -1,
                            std::int32_t header_size = -1, std::int32_t references = 1);

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  /// The last release returns the completion to the pool, from any thread.
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) recycle();
  }

  /// On kwire's network thread (or the sending thread for records send()
  /// refuses): stores the report, marks the record done, wakes a waiting
  /// get() and hands attached Python work to the dispatcher or the sink.
  void complete(const producer::DeliveryReport& report);

  /// True once complete() ran; `report` may be read from then on.
  bool is_done() const noexcept { return (state_.load(std::memory_order_acquire) & kDone) != 0; }

  /// Registers a Python callback for the dispatcher (GIL held). False when
  /// the record has already completed: `callback` is left to the caller,
  /// who runs it.
  bool add_callback(PythonCallback& callback);

  /// Resolves `future` through `sink` (whose Python object is
  /// `sink_object`) once the record completes, at once when it already has.
  void attach_asyncio(nanobind::object future, AsyncSink& sink, nanobind::object sink_object);

  /// Where a get() sleeps until is_done(): one of a few pairs that all
  /// completions share, chosen by address. Only a waiting get() needs
  /// one, and a pair in every completion made each 88 bytes (two cache
  /// lines, with the alignment) larger: every record in flight has one.
  struct WaitSlot {
    std::mutex mutex;
    std::condition_variable done_cv;  // notify_all: other records' waiters may share it
  };
  WaitSlot& wait_slot() const noexcept;

  /// Before waiting on wait_slot() for is_done(): asks complete() to
  /// notify it.
  void announce_waiter() noexcept { state_.fetch_or(kWaiter, std::memory_order_acq_rel); }

  // The first cache line holds all that send() touches (create() and the
  // callback's reference): one line to miss per record, prefetched by the
  // pool, however recently another thread wrote the rest.
 private:
  std::atomic<std::int32_t> refs_{1};
  std::atomic<std::uint32_t> state_{0};
  Completion* next_free_ = nullptr;  // the pool's link

 public:
  /// kafka-python's RecordMetadata.serialized_*_size (-1: null).
  std::int32_t key_size = -1;
  std::int32_t value_size = -1;
  std::int32_t header_size = -1;

  producer::DeliveryReport report;  // valid once is_done()
  Completion* dispatch_next = nullptr;  // the dispatcher's queue link
  // Python work (see the thread rules): published to complete() by the
  // state word, read by the dispatcher or the sink once done.
  std::vector<PythonCallback> callbacks;
  nanobind::object aio_future;
  nanobind::object aio_sink;  // the Python _AsyncSink (keeps async_sink alive)
  AsyncSink* async_sink = nullptr;

 private:
  friend class CompletionPool;
  Completion() = default;
  ~Completion() = default;
  void recycle() noexcept;

  // The state word's bits.
  static constexpr std::uint32_t kDone = 1;       // complete() ran
  static constexpr std::uint32_t kCallbacks = 2;  // `callbacks` go to the dispatcher
  static constexpr std::uint32_t kAsync = 4;      // `aio_future` goes to `async_sink`
  static constexpr std::uint32_t kWaiter = 8;     // a get() may sleep on wait_slot()
  static constexpr std::uint32_t kAdding = 16;    // a registration is writing its fields

  /// Takes kAdding (a spin lock among registering threads, which only
  /// free-threaded builds can have); the state seen before.
  std::uint32_t claim() noexcept;
  /// Drops kAdding and sets `published`; hands the completion over when
  /// complete() ran after the claim (it left that to us).
  void publish(std::uint32_t claimed, std::uint32_t published);
  void hand_over(std::uint32_t state);
};

/// Asks the CPU for every cache line of `completion` ahead of its use by
/// this thread: another thread wrote it last (the pool's takers, for
/// writing; the dispatcher, to read it).
template <bool for_writing>
inline void prefetch_completion(const Completion* completion) noexcept {
  const auto* bytes = reinterpret_cast<const char*>(completion);
  for (std::size_t offset = 0; offset < sizeof(Completion); offset += 64)
    __builtin_prefetch(bytes + offset, for_writing ? 1 : 0);
}

/// An owning pointer to a Completion (one reference).
class CompletionRef {
 public:
  CompletionRef() = default;
  explicit CompletionRef(Completion* adopt) noexcept : ptr_(adopt) {}
  CompletionRef(const CompletionRef& other) noexcept : ptr_(other.ptr_) {
    if (ptr_) ptr_->add_ref();
  }
  CompletionRef(CompletionRef&& other) noexcept : ptr_(other.ptr_) { other.ptr_ = nullptr; }
  CompletionRef& operator=(CompletionRef other) noexcept {
    std::swap(ptr_, other.ptr_);
    return *this;
  }
  ~CompletionRef() {
    if (ptr_) ptr_->release();
  }
  Completion* get() const noexcept { return ptr_; }
  Completion* operator->() const noexcept { return ptr_; }
  Completion& operator*() const noexcept { return *ptr_; }
  /// Gives up ownership without releasing.
  Completion* detach() noexcept { return std::exchange(ptr_, nullptr); }

 private:
  Completion* ptr_ = nullptr;
};

}  // namespace kwire::python
