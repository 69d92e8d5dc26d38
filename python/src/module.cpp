// kwire._core: the compiled half of the kwire Python package. The public
// API is kwire/__init__.py; this module holds what must be C++ for speed or
// for thread safety (see completion.hpp and dispatcher.hpp).
#include <nanobind/nanobind.h>

#include "aio_future.hpp"
#include "async_sink.hpp"
#include "background_close.hpp"
#include "consumer_binding.hpp"
#include "dispatcher.hpp"
#include "producer_binding.hpp"
#include "python_types.hpp"

namespace nb = nanobind;

NB_MODULE(_core, m) {
  m.doc() = "kwire's C++ producer and consumer (use the kwire package, not this module)";
  // Futures still referenced at exit are expected (a record's future kept in
  // a global): not worth a warning per object.
  nb::set_leak_warnings(false);
  kwire::python::bind_python_types(m);
  kwire::python::bind_producer(m);
  kwire::python::bind_consumer(m);
  kwire::python::bind_aio_future(m);
  kwire::python::bind_async_sink(m);
  kwire::python::bind_aio_sender(m);
  m.def(
      "_shutdown",
      [] {
        kwire::python::wait_for_background_closes();
        kwire::python::stop_dispatcher();
      },
      "atexit: waits for clients dropped unclosed, then stops the dispatcher thread.");
}
