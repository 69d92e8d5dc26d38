#include "async_sink.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

#include "python_types.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace kwire::python {

AsyncSink::AsyncSink(nb::object loop) : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), loop_(std::move(loop)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

AsyncSink::~AsyncSink() {
  close();
  // Still queued: completions whose Python objects this (GIL-holding)
  // destructor may release.
  std::vector<Completion*> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(queue_);
  }
  for (Completion* completion : left) {
    completion->aio_future.reset();
    completion->aio_sink.reset();
    completion->release();
  }
}

void AsyncSink::post(Completion& completion) {
  {
    std::lock_guard lock(mutex_);
    if (!closed_) {
      completion.add_ref();
      if (queue_.empty()) {
        // Under the lock: close() cannot have closed (and the process
        // reused) the descriptor. EAGAIN: the counter is already non-zero.
        const std::uint64_t one = 1;
        (void)!::write(fd_, &one, sizeof one);
      }
      queue_.push_back(&completion);
      return;
    }
  }
  (void)completion.aio_future.release();  // deliberate leak, see close()
  (void)completion.aio_sink.release();
}

void AsyncSink::drain() {
  std::uint64_t counter = 0;
  (void)!::read(fd_, &counter, sizeof counter);  // reset before taking the queue: no wake-up lost
  // The queue's buffers go round (spare_ <-> queue_) instead of growing
  // from nothing for every batch.
  std::vector<Completion*> batch = std::exchange(spare_, {});
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
  }
  TopicNames topics;
  for (Completion* completion : batch) {
    // Done and posted: its Python references are this thread's (completion.hpp).
    nb::object future = std::move(completion->aio_future);
    completion->aio_sink.reset();  // we hold the GIL
    try {
      if (is_aio_future(future)) {
        AioFuture& aio = aio_future_of(future);
        if (!aio.done()) {
          bool failed = false;
          nb::object outcome = outcome_of(*completion, failed, &topics);
          aio.resolve(future, std::move(outcome), failed);
        }
      } else if (future.is_valid() && !nb::cast<bool>(future.attr("done")())) {
        // An asyncio.Future (AIOProducer's waits for buffer space, flush's
        // barrier).
        bool failed = false;
        nb::object outcome = outcome_of(*completion, failed);
        future.attr(failed ? "set_exception" : "set_result")(outcome);
      }
    } catch (nb::python_error& e) {
      e.discard_as_unraisable("kwire.AIOProducer delivery");
    }
    completion->release();
  }
  batch.clear();
  if (batch.capacity() > spare_.capacity()) spare_ = std::move(batch);
}

void AsyncSink::call_soon(nb::handle self, nb::object fn, nb::handle future, nb::object context) {
  ready_.push(std::move(fn), future, std::move(context), loop_, self);
}

nb::object AsyncSink::create_future(nb::handle self) { return make_aio_future(loop_, nb::borrow(self)); }

void AsyncSink::close() {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  closed_ = true;
  ::close(fd_);
}

void bind_async_sink(nb::module_& m) {
  nb::class_<AsyncSink>(m, "_AsyncSink", "An AIOProducer's delivery queue and its eventfd.")
      .def(nb::init<nb::object>(), "loop"_a)
      .def("fileno", &AsyncSink::fileno)
      .def("drain", &AsyncSink::drain, "Resolves the queued futures (on the event loop).")
      .def("close", &AsyncSink::close)
      .def("_run_ready", &AsyncSink::run_ready, "Runs the queued done callbacks (loop.call_soon).")
      .def(
          "create_future",
          [](nb::pointer_and_handle<AsyncSink> self) { return self.p->create_future(self.h); },
          "A pending AioDeliveryFuture of this loop (resolved through this sink).");
}

}  // namespace kwire::python
