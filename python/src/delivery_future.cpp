// kwire._core.DeliveryFuture: what kwire.Producer.send() returns (see
// delivery_future.hpp).
#include "delivery_future.hpp"

#include <new>

#include "async_sink.hpp"
#include "cpython_methods.hpp"
#include "dispatcher.hpp"
#include "interruptible.hpp"
#include "python_types.hpp"

namespace nb = nanobind;

namespace kwire::python {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

nb::object DeliveryFuture::get(std::optional<double> timeout) {
  Completion& c = *completion_;
  if (!c.is_done()) {  // a record already delivered costs no GIL release
    const milliseconds limit = to_millis(timeout);
    c.announce_waiter();
    Completion::WaitSlot& slot = c.wait_slot();
    if (!wait_interruptibly(slot.mutex, slot.done_cv, [&] { return c.is_done(); }, steady::now() + limit))
      raise(make_timeout_error("no delivery report within " + seconds_text(limit)));
  }
  bool failed = false;
  nb::object outcome = outcome_of(c, failed);
  if (failed) raise(outcome);
  return outcome;
}

bool DeliveryFuture::is_done() { return completion_->is_done(); }

bool DeliveryFuture::succeeded() { return completion_->is_done() && completion_->report.ok(); }

bool DeliveryFuture::failed() { return completion_->is_done() && !completion_->report.ok(); }

nb::object DeliveryFuture::value() {
  if (!succeeded()) return nb::none();
  bool failed = false;
  return outcome_of(*completion_, failed);
}

nb::object DeliveryFuture::exception() {
  if (!failed()) return nb::none();
  bool failed = false;
  return outcome_of(*completion_, failed);
}

void DeliveryFuture::add(PythonCallback callback) {
  if (completion_->add_callback(callback)) return;
  // Already complete: run it now, on this thread (kafka-python does too).
  bool failed = false;
  nb::object outcome = outcome_of(*completion_, failed);
  if (failed ? callback.on_error : callback.on_success) run_callback(callback, outcome);
}

void DeliveryFuture::attach_asyncio(nb::object future, AsyncSink& target, nb::object sink) {
  completion_->attach_asyncio(std::move(future), target, std::move(sink));
}

namespace {

// The Python DeliveryFuture: a plain CPython object around the C++ one.
// One is made per send() (fire-and-forget included), and a nanobind
// instance's registry insert and erase cost as much as send()'s own
// bookkeeping (perf). Its methods are plain CPython methods for the same
// reason: add_callback runs once per record on the callback path.
struct DeliveryFutureObject {
  PyObject_HEAD
  DeliveryFuture future;
};

PyTypeObject* delivery_future_type = nullptr;

DeliveryFuture& future_of(PyObject* self) { return reinterpret_cast<DeliveryFutureObject*>(self)->future; }

void future_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  future_of(self).~DeliveryFuture();
  PyObject_Free(self);
  Py_DECREF(type);
}

// get(timeout=None)
PyObject* m_get(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* timeout = Py_None;
  if (nargs > 1) {
    PyErr_SetString(PyExc_TypeError, "get() takes at most one argument (timeout)");
    return nullptr;
  }
  if (nargs == 1) timeout = args[0];
  const Py_ssize_t nkw = kwnames ? PyTuple_Size(kwnames) : 0;
  for (Py_ssize_t i = 0; i < nkw; ++i) {
    if (nargs == 0 && PyUnicode_CompareWithASCIIString(PyTuple_GetItem(kwnames, i), "timeout") == 0) {
      timeout = args[nargs + i];
    } else {
      PyErr_Format(PyExc_TypeError, "get() got an unexpected keyword argument %R", PyTuple_GetItem(kwnames, i));
      return nullptr;
    }
  }
  return guarded([&] {
    std::optional<double> seconds;
    if (timeout != Py_None) {
      const double value = PyFloat_AsDouble(timeout);
      if (value == -1.0 && PyErr_Occurred()) throw nb::python_error();
      seconds = value;
    }
    return future_of(self).get(seconds).release().ptr();
  });
}

PyObject* m_done(PyObject* self, PyObject*) { return py_bool(future_of(self).is_done()); }
PyObject* m_succeeded(PyObject* self, PyObject*) { return py_bool(future_of(self).succeeded()); }
PyObject* m_failed(PyObject* self, PyObject*) { return py_bool(future_of(self).failed()); }

PyObject* m_attach_asyncio(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "_attach_asyncio(future, sink)");
    return nullptr;
  }
  return guarded([&] {
    AsyncSink& target = nb::cast<AsyncSink&>(nb::handle(args[1]));  // TypeError for anything else
    future_of(self).attach_asyncio(nb::borrow(args[0]), target, nb::borrow(args[1]));
    return Py_NewRef(Py_None);
  });
}

PyObject* get_is_done(PyObject* self, void*) { return m_done(self, nullptr); }
PyObject* get_value(PyObject* self, void*) {
  return guarded([&] { return future_of(self).value().release().ptr(); });
}
PyObject* get_exception(PyObject* self, void*) {
  return guarded([&] { return future_of(self).exception().release().ptr(); });
}

// add_callback(fn, *args, **kwargs) and its siblings.
template <bool on_success, bool on_error>
PyObject* add_registration(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) noexcept {
  return guarded([&] {
    const Py_ssize_t nkw = kwnames ? PyTuple_Size(kwnames) : 0;
    if (nargs < 1) throw nb::type_error("add_callback() takes the callable as its first argument");
    // Null (not None) when absent: the usual add_callback(fn) then takes no
    // reference on None, whose count every thread touches (3.11 has no
    // immortal objects), here and again when the dispatcher drops it.
    nb::object extra;
    if (nargs > 1) {
      extra = nb::steal(PyTuple_New(nargs - 1));
      if (!extra.is_valid()) throw nb::python_error();
      for (Py_ssize_t i = 1; i < nargs; ++i) PyTuple_SetItem(extra.ptr(), i - 1, Py_NewRef(args[i]));
    }
    nb::object kwargs;
    if (nkw > 0) {
      kwargs = nb::dict();
      for (Py_ssize_t i = 0; i < nkw; ++i)
        if (PyDict_SetItem(kwargs.ptr(), PyTuple_GetItem(kwnames, i), args[nargs + i]) < 0)
          throw nb::python_error();
    }
    future_of(self).add({nb::borrow(args[0]), std::move(extra), std::move(kwargs), on_success, on_error});
    return Py_NewRef(self);
  });
}

PyMethodDef delivery_future_methods[] = {
    {"get", as_method(m_get), METH_FASTCALL | METH_KEYWORDS,
     "get(timeout=None): waits for the delivery report (GIL released; Ctrl+C works): the RecordMetadata, or "
     "raises the record's kwire.errors.KafkaError; KafkaTimeoutError after `timeout` seconds."},
    {"done", m_done, METH_NOARGS, nullptr},
    {"succeeded", m_succeeded, METH_NOARGS, nullptr},
    {"failed", m_failed, METH_NOARGS, nullptr},
    {"add_callback", as_method(add_registration<true, false>), METH_FASTCALL | METH_KEYWORDS,
     "add_callback(fn, *args, **kwargs): fn(metadata, *args, **kwargs) on success, on the dispatcher thread "
     "(at once if already done). Returns self."},
    {"add_errback", as_method(add_registration<false, true>), METH_FASTCALL | METH_KEYWORDS,
     "add_errback(fn, *args, **kwargs): fn(exception, *args, **kwargs) on failure. Returns self."},
    {"add_both", as_method(add_registration<true, true>), METH_FASTCALL | METH_KEYWORDS,
     "add_both(fn, *args, **kwargs): fn(metadata_or_exception, *args, **kwargs) either way. Returns self."},
    {"_attach_asyncio", as_method(m_attach_asyncio), METH_FASTCALL, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyGetSetDef delivery_future_getset[] = {
    {"is_done", get_is_done, nullptr, nullptr, nullptr},
    {"value", get_value, nullptr, "The RecordMetadata once delivered, else None.", nullptr},
    {"exception", get_exception, nullptr, "The error once failed, else None.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyType_Slot delivery_future_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(future_dealloc)},
    {Py_tp_methods, delivery_future_methods},
    {Py_tp_getset, delivery_future_getset},
    {Py_tp_doc, const_cast<char*>("The delivery of one record (kafka-python's FutureRecordMetadata shape).")},
    {0, nullptr}};

}  // namespace

nb::object make_delivery_future(CompletionRef completion) {
  auto* self = PyObject_New(DeliveryFutureObject, delivery_future_type);
  if (!self) throw nb::python_error();
  new (&self->future) DeliveryFuture(std::move(completion));
  return nb::steal(reinterpret_cast<PyObject*>(self));
}

void bind_delivery_future(nb::module_& m) {
  static PyType_Spec spec = {"kwire._core.DeliveryFuture", sizeof(DeliveryFutureObject), 0, Py_TPFLAGS_DEFAULT,
                             delivery_future_slots};
  delivery_future_type = add_type(m, "DeliveryFuture", spec);
}

}  // namespace kwire::python
