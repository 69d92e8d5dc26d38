#pragma once
// One-shot "try again" notifications (Producer::try_send's on_ready), run
// outside the lock of whoever collected them.
#include <functional>
#include <vector>

namespace kwire::producer::detail {

/// Runs and clears `notifications`. One that throws is ignored: the thread
/// running them (the network thread, freeing memory or publishing
/// metadata) must go on.
inline void run_notifications(std::vector<std::function<void()>>& notifications) noexcept {
  for (auto& notify : notifications) {
    try {
      notify();
    } catch (...) {
    }
  }
  notifications.clear();
}

}  // namespace kwire::producer::detail
