#include "completion.hpp"

#include <thread>

#include "async_sink.hpp"
#include "dispatcher.hpp"

namespace kwire::python {

// Where released completions wait for their next record (see the thread
// rules in completion.hpp for why they are not freed). Any thread gives
// one back by pushing it on `returned_`, a lock-free stack; takers (always
// holding the GIL, or attached on a free-threaded build) pop from their own
// list and refill it by taking the whole stack at once, which keeps the
// stack free of the ABA problem: nothing is ever popped from it one by one.
class CompletionPool {
 public:
  Completion* take() {
    {
      TakeLock lock(take_mutex_);
      if (!free_) free_ = returned_.exchange(nullptr, std::memory_order_acquire);
      if (Completion* completion = free_) {
        free_ = completion->next_free_;
        // The next send()'s completion was last written by another thread
        // (the dispatcher or the network thread recycled it): fetch every
        // line of it for writing while this record goes on. Only the first
        // was fetched before, and the stores to the others missed; each
        // such miss stalled the next locked instruction of send() or
        // add_callback (perf: a tenth of the sending thread with callbacks).
        if (free_) prefetch_completion<true>(free_);
        // add_callback's slot: the vector keeps its buffer across records,
        // a line of its own (this completion's lines came in a take ago).
        if (const PythonCallback* slot = completion->callbacks.data()) __builtin_prefetch(slot, 1);
        completion->next_free_ = nullptr;
        taken_.store(taken_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return completion;
      }
    }
    return new Completion;
  }

  void give(Completion* completion) noexcept {
    // Past the peak a program ever had in flight the pool stops growing
    // (a few hundred bytes each). Checked every kCheckEvery gives, so that
    // givers rarely read the takers' cache line.
    const std::size_t given = given_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (given % kCheckEvery == 0) {
      full_.store(given - taken_.load(std::memory_order_relaxed) > kMaxPooled, std::memory_order_relaxed);
    }
    if (full_.load(std::memory_order_relaxed)) {
      given_.fetch_sub(1, std::memory_order_relaxed);
      delete completion;
      return;
    }
    Completion* head = returned_.load(std::memory_order_relaxed);
    do {
      completion->next_free_ = head;
    } while (!returned_.compare_exchange_weak(head, completion, std::memory_order_release,
                                              std::memory_order_relaxed));
  }

 private:
  static constexpr std::size_t kMaxPooled = 65536;
  static constexpr std::size_t kCheckEvery = 256;

#ifdef Py_GIL_DISABLED
  using TakeLock = std::lock_guard<std::mutex>;
#else
  // The GIL already serializes the takers.
  struct TakeLock {
    explicit TakeLock(std::mutex&) noexcept {}
  };
#endif

  // The givers' side and the takers' side on cache lines of their own: a
  // take must not wait for the line a network thread's give just wrote.
  alignas(64) std::atomic<Completion*> returned_{nullptr};
  std::atomic<std::size_t> given_{0};
  std::atomic<bool> full_{false};
  alignas(64) std::mutex take_mutex_;  // free-threaded builds only
  Completion* free_ = nullptr;         // under the GIL or take_mutex_
  std::atomic<std::size_t> taken_{0};  // written by the taker only
};

namespace {

CompletionPool& pool() {
  // Never destroyed: kwire's threads may release completions while the
  // process exits.
  static auto* instance = new CompletionPool;
  return *instance;
}

}  // namespace

Completion* Completion::create(std::int32_t key_size, std::int32_t value_size, std::int32_t header_size,
                               std::int32_t references) {
  Completion* completion = pool().take();
  completion->refs_.store(references, std::memory_order_relaxed);
  completion->key_size = key_size;
  completion->value_size = value_size;
  completion->header_size = header_size;
  return completion;
}

void Completion::recycle() noexcept {
  // No reference is left, so no get() waits for it, and the Python
  // references are already gone (the thread rules). Only what is read
  // before completion is reset: complete() writes the whole report, which
  // nobody reads before kDone (the strings keep their capacity).
  state_.store(0, std::memory_order_relaxed);
  callbacks.clear();  // empty already (the dispatcher moved them out); keeps its capacity
  async_sink = nullptr;
  pool().give(this);
}

// Three cache lines a record: each line more is one more for the pool, the
// network thread and the dispatcher to move between cores, per record.
static_assert(sizeof(Completion) <= 192, "a Completion grew past three cache lines");

Completion::WaitSlot& Completion::wait_slot() const noexcept {
  static constexpr std::size_t kSlots = 64;
  // Never destroyed, like the pool: a get() may wait while the process exits.
  static auto* slots = new WaitSlot[kSlots];
  // Fibonacci hashing of the address: completions are 64-byte aligned and
  // a few lines apart, so its low bits alone would use few slots.
  const auto key = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(this) >> 6);
  return slots[(key * 0x9E3779B97F4A7C15ULL) >> 58];
}

void Completion::complete(const producer::DeliveryReport& delivered) {
  report = delivered;
  const std::uint32_t seen = state_.fetch_or(kDone, std::memory_order_acq_rel);
  if (seen & kWaiter) {
    // The waiter checks kDone under the mutex before it sleeps: taking it
    // here means the notification cannot fall between the two.
    WaitSlot& slot = wait_slot();
    { std::lock_guard lock(slot.mutex); }
    slot.done_cv.notify_all();
  }
  // A registration in progress hands the completion over itself (publish()).
  if (!(seen & kAdding)) hand_over(seen);
}

void Completion::hand_over(std::uint32_t state) {
  // An asyncio future goes to its loop's sink; callbacks to the dispatcher.
  if (state & kAsync) async_sink->post(*this);
  else if (state & kCallbacks) dispatch(*this);
}

std::uint32_t Completion::claim() noexcept {
  for (;;) {
    const std::uint32_t seen = state_.fetch_or(kAdding, std::memory_order_acquire);
    if (!(seen & kAdding)) return seen;
    std::this_thread::yield();  // another thread registers on this record (free-threaded builds)
  }
}

void Completion::publish(std::uint32_t claimed, std::uint32_t published) {
  std::uint32_t seen = state_.load(std::memory_order_relaxed);
  while (!state_.compare_exchange_weak(seen, (seen & ~kAdding) | published, std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
  }
  // complete() ran while we held kAdding and left the hand-over to us.
  if ((seen & kDone) && !(claimed & kDone)) hand_over(seen | published);
}

bool Completion::add_callback(PythonCallback& callback) {
#ifndef Py_GIL_DISABLED
  // The usual case, one add_callback on a pending record: one CAS. Nobody
  // reads `callbacks` before complete() sees kCallbacks, and the GIL keeps
  // other registering threads out, so the vector is filled first and
  // published by the CAS, which fails only when complete() or a waiter
  // changed the word meanwhile.
  std::uint32_t seen = state_.load(std::memory_order_acquire);
  if (seen & kDone) return false;
  if (!(seen & (kCallbacks | kAdding))) {
    callbacks.push_back(std::move(callback));
    if (state_.compare_exchange_strong(seen, seen | kCallbacks, std::memory_order_acq_rel,
                                       std::memory_order_acquire))
      return true;
    callback = std::move(callbacks.back());
    callbacks.pop_back();
  }
#endif
  const std::uint32_t claimed = claim();
  if (claimed & kDone) {
    state_.fetch_and(~kAdding, std::memory_order_release);
    return false;  // complete() handed over what was registered before; this one is the caller's
  }
  callbacks.push_back(std::move(callback));
  publish(claimed, kCallbacks);
  return true;
}

void Completion::attach_asyncio(nanobind::object future, AsyncSink& sink, nanobind::object sink_object) {
  const std::uint32_t claimed = claim();
  aio_future = std::move(future);
  aio_sink = std::move(sink_object);
  async_sink = &sink;
  publish(claimed, kAsync);
  // complete() ran before the claim and found nothing to hand over.
  if (claimed & kDone) hand_over(kAsync);
}

}  // namespace kwire::python
