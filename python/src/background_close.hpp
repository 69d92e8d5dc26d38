#pragma once
// Clients dropped without close(): kwire's destructors close them, which may
// wait (delivery.timeout.ms for a producer, default.api.timeout.ms for a
// consumer), and a Python destructor must not block the thread that dropped
// the last reference. So the C++ object is destroyed on a thread of its own,
// and the atexit hook (kwire._core._shutdown) waits for every such thread.
#include <functional>

namespace kwire::python {

/// Runs `destroy` on a detached thread, counted until it returns. `destroy`
/// must not touch Python. Any thread.
void close_in_background(std::function<void()> destroy);

/// Waits (GIL released) until every close_in_background() has finished.
/// Call with the GIL held.
void wait_for_background_closes();

}  // namespace kwire::python
