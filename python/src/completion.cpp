#include "completion.hpp"

#include "async_sink.hpp"
#include "dispatcher.hpp"

namespace kwire::python {

void Completion::complete(const producer::DeliveryReport& delivered) {
  bool to_dispatcher = false;
  AsyncSink* sink = nullptr;
  {
    std::lock_guard lock(mutex);
    report = delivered;
    done = true;
    to_dispatcher = dispatch_on_completion;
    sink = async_sink;
  }
  done_cv.notify_all();
  // An asyncio future goes to its loop's sink; callbacks to the dispatcher.
  if (sink) sink->post(*this);
  else if (to_dispatcher) dispatch(*this);
}

bool Completion::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex);
  return done_cv.wait_for(lock, timeout, [this] { return done; });
}

}  // namespace kwire::python
