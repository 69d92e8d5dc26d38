#pragma once
// The one thread that runs Python callbacks for deliveries (see
// completion.hpp): kwire's network thread queues completions that have an
// add_callback/add_errback attached; this thread takes the whole queue,
// takes the GIL once for the batch and runs them (kafka-python also runs
// callbacks on a background thread). asyncio futures do not come here:
// async_sink.hpp hands them to their event loop directly.
//
// One dispatcher per process, started on first use and stopped by
// kwire._core._shutdown() from an atexit hook: a thread must not take the
// GIL once the interpreter is finalizing. Completions queued after the stop
// keep their Python references forever (a deliberate leak at exit: they
// cannot be released without the GIL).
#include "completion.hpp"

namespace kwire::python {

/// Queues `completion` (one reference is taken) for the dispatcher thread.
/// Any thread; never touches Python.
void dispatch(Completion& completion);

/// Drains what is queued and stops the thread. Call with the GIL held; it is
/// released while waiting. Later dispatch() calls leak their Python objects.
void stop_dispatcher();

/// Calls callback.fn(outcome, *args, **kwargs) with the GIL held; an
/// exception it raises goes to sys.unraisablehook (kafka-python logs and
/// carries on).
void run_callback(const PythonCallback& callback, const nanobind::object& outcome);

}  // namespace kwire::python
