#include "completion.hpp"

#include "dispatcher.hpp"

namespace kwire::python {

void Completion::complete(const producer::DeliveryReport& delivered) {
  bool to_dispatcher = false;
  {
    std::lock_guard lock(mutex);
    report = delivered;
    done = true;
    to_dispatcher = dispatch_on_completion;
  }
  done_cv.notify_all();
  if (to_dispatcher) dispatch(*this);
}

bool Completion::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex);
  return done_cv.wait_for(lock, timeout, [this] { return done; });
}

}  // namespace kwire::python
