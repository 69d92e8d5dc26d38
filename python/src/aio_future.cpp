#include "aio_future.hpp"

#include <utility>

#include <nanobind/stl/string.h>

#include "async_sink.hpp"
#include "cpython_methods.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace kwire::python {
namespace {

PyTypeObject* aio_future_type = nullptr;
PyTypeObject* ready_awaitable_type = nullptr;

// A plain CPython object around the C++ future (one per record: a nanobind
// instance's registry insert and erase cost about as much as the rest of
// the future, perf).
struct AioFutureObject {
  PyObject_HEAD
  AioFuture future;
};

AioFuture& future_of(PyObject* self) { return reinterpret_cast<AioFutureObject*>(self)->future; }

// asyncio's exception classes, looked up once (kept for the process: the
// module lives as long as the interpreter).
nb::handle asyncio_attr(const char* name) {
  static PyObject* cancelled_error = nullptr;
  static PyObject* invalid_state_error = nullptr;
  if (!cancelled_error) {
    nb::module_ exceptions = nb::module_::import_("asyncio.exceptions");
    cancelled_error = nb::object(exceptions.attr("CancelledError")).release().ptr();
    invalid_state_error = nb::object(exceptions.attr("InvalidStateError")).release().ptr();
  }
  return std::string_view(name) == "CancelledError" ? cancelled_error : invalid_state_error;
}

[[noreturn]] void raise_cancelled(const nb::object& message) {
  nb::object error = message.is_valid() && !message.is_none() ? asyncio_attr("CancelledError")(message)
                                                              : asyncio_attr("CancelledError")();
  PyErr_SetObject(asyncio_attr("CancelledError").ptr(), error.ptr());
  throw nb::python_error();
}

[[noreturn]] void raise_invalid_state(const char* message) {
  PyErr_SetString(asyncio_attr("InvalidStateError").ptr(), message);
  throw nb::python_error();
}

// fn(future) inside `context`, as asyncio's Handle runs a callback: an
// Exception goes to the loop's exception handler; a BaseException
// (KeyboardInterrupt, SystemExit) is kept in `fatal` for the caller to
// raise once every queued callback ran.
void run_in_context(const nb::object& loop, PyObject* fn, PyObject* future, PyObject* context,
                    nb::object& fatal) {
#ifdef Py_LIMITED_API  // no context C API in the stable ABI: context.run(fn, future)
  PyObject* result = PyObject_CallMethod(context, "run", "OO", fn, future);
  if (result) {
    Py_DECREF(result);
    return;
  }
  nb::python_error error;
#else
  if (PyContext_Enter(context) < 0) {
    nb::python_error e;
    e.discard_as_unraisable("kwire.AIOProducer done callback");
    return;
  }
  PyObject* result = call_one(fn, future);
  if (result) {
    Py_DECREF(result);
    (void)PyContext_Exit(context);
    return;
  }
  nb::python_error error;
  (void)PyContext_Exit(context);
#endif
  nb::object value = nb::borrow(error.value());
  if (!PyObject_IsInstance(value.ptr(), PyExc_Exception)) {
    if (!fatal.is_valid()) fatal = value;
    return;
  }
  try {
    nb::dict report;
    report["message"] = nb::str("Exception in callback {!r}({!r})").format(nb::handle(fn), nb::handle(future));
    report["exception"] = value;
    report["future"] = nb::handle(future);
    loop.attr("call_exception_handler")(report);
  } catch (nb::python_error& e) {
    e.discard_as_unraisable("kwire.AIOProducer done callback");
  }
}

// Both awaitables are their own iterators; am_send answers without raising
// StopIteration (PEP 590-era fast path, used by `await` since 3.10).
PyObject* self_iter(PyObject* self) {
  Py_INCREF(self);
  return self;
}

PySendResult future_send(PyObject* self, PyObject*, PyObject** out) {
  AioFuture& future = future_of(self);
  if (!future.done()) {
    // asyncio's protocol: yield the future itself with the flag set; the
    // Task then adds its wakeup as a done callback.
    future.blocking = true;
    Py_INCREF(self);
    *out = self;
    return PYGEN_NEXT;
  }
  try {
    *out = future.result().release().ptr();
    return PYGEN_RETURN;
  } catch (nb::python_error& e) {
    e.restore();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  *out = nullptr;
  return PYGEN_ERROR;
}

PyObject* future_next(PyObject* self) {
  PyObject* out = nullptr;
  switch (future_send(self, Py_None, &out)) {
    case PYGEN_NEXT:
      return out;
    case PYGEN_RETURN: {
      PyObject* stop = call_one(PyExc_StopIteration, out);
      Py_DECREF(out);
      if (stop) {
        PyErr_SetObject(PyExc_StopIteration, stop);
        Py_DECREF(stop);
      }
      return nullptr;
    }
    default:
      return nullptr;
  }
}

int future_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  return future_of(self).traverse(visit, arg);
}

int future_clear(PyObject* self) {
  future_of(self).clear();
  return 0;
}

void future_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  future_of(self).~AioFuture();
  PyObject_GC_Del(self);
  Py_DECREF(type);
}

PyObject* future_repr(PyObject* self) {
  switch (future_of(self).state()) {
    case AioFuture::State::pending:
      return PyUnicode_FromString("<kwire.AioDeliveryFuture pending>");
    case AioFuture::State::cancelled:
      return PyUnicode_FromString("<kwire.AioDeliveryFuture cancelled>");
    case AioFuture::State::finished:
      break;
  }
  return PyUnicode_FromString("<kwire.AioDeliveryFuture finished>");
}

// The methods asyncio calls per future (isfuture's flag, get_loop,
// add_done_callback, done/cancelled/exception/result in gather's callback
// and its result loop) as plain CPython methods: about six calls per record,
// each cheaper than a nanobind dispatch.
PyObject* m_done(PyObject* self, PyObject*) { return py_bool(future_of(self).done()); }
PyObject* m_cancelled(PyObject* self, PyObject*) { return py_bool(future_of(self).cancelled()); }
PyObject* m_result(PyObject* self, PyObject*) {
  return guarded([&] { return future_of(self).result().release().ptr(); });
}
PyObject* m_exception(PyObject* self, PyObject*) {
  return guarded([&] { return future_of(self).exception().release().ptr(); });
}
PyObject* m_get_loop(PyObject* self, PyObject*) { return future_of(self).loop().inc_ref().ptr(); }

// fn, *, context=None / msg=None: one positional-or-keyword argument and one
// optional keyword.
bool parse_two(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, const char* first_name,
               const char* second_name, bool second_positional, PyObject** first, PyObject** second) {
  *first = nullptr;
  *second = Py_None;
  const Py_ssize_t max_positional = second_positional ? 2 : 1;
  if (nargs > max_positional) {
    PyErr_Format(PyExc_TypeError, "expected at most %d positional arguments", static_cast<int>(max_positional));
    return false;
  }
  if (nargs > 0) *first = args[0];
  if (nargs > 1) *second = args[1];
  const Py_ssize_t nkw = kwnames ? PyTuple_Size(kwnames) : 0;
  for (Py_ssize_t i = 0; i < nkw; ++i) {
    PyObject* name = PyTuple_GetItem(kwnames, i);
    if (first_name && PyUnicode_CompareWithASCIIString(name, first_name) == 0 && !*first) {
      *first = args[nargs + i];
    } else if (PyUnicode_CompareWithASCIIString(name, second_name) == 0) {
      *second = args[nargs + i];
    } else {
      PyErr_Format(PyExc_TypeError, "unexpected keyword argument %R", name);
      return false;
    }
  }
  if (first_name && !*first) {
    PyErr_Format(PyExc_TypeError, "missing argument '%s'", first_name);
    return false;
  }
  return true;
}

PyObject* m_add_done_callback(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* fn = nullptr;
  PyObject* context = nullptr;
  if (!parse_two(args, nargs, kwnames, "fn", "context", false, &fn, &context)) return nullptr;
  return guarded([&] {
    future_of(self).add_done_callback(self, nb::borrow(fn), nb::borrow(context));
    return Py_NewRef(Py_None);
  });
}

PyObject* m_remove_done_callback(PyObject* self, PyObject* fn) {
  return guarded([&] { return PyLong_FromSize_t(future_of(self).remove_done_callback(fn)); });
}

PyObject* m_cancel(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* unused = nullptr;
  PyObject* message = nullptr;
  if (nargs == 1 && !kwnames) {
    message = args[0];
  } else if (!parse_two(args, 0, kwnames, nullptr, "msg", false, &unused, &message)) {
    return nullptr;
  } else if (nargs > 0) {
    PyErr_SetString(PyExc_TypeError, "cancel() takes at most one argument");
    return nullptr;
  }
  if (!message) message = Py_None;
  return guarded([&] { return py_bool(future_of(self).cancel(self, nb::borrow(message))); });
}

PyMethodDef future_methods[] = {
    {"done", m_done, METH_NOARGS, "True once resolved or cancelled."},
    {"cancelled", m_cancelled, METH_NOARGS, nullptr},
    {"result", m_result, METH_NOARGS,
     "The RecordMetadata; raises the record's kwire.errors.KafkaError, CancelledError, or InvalidStateError "
     "while pending."},
    {"exception", m_exception, METH_NOARGS, "The record's error, None once delivered."},
    {"get_loop", m_get_loop, METH_NOARGS, nullptr},
    {"add_done_callback", as_method(m_add_done_callback),
     METH_FASTCALL | METH_KEYWORDS,
     "add_done_callback(fn, *, context=None): fn(future) on the event loop once done (never from inside this "
     "call)."},
    {"remove_done_callback", m_remove_done_callback, METH_O, nullptr},
    {"cancel", as_method(m_cancel), METH_FASTCALL | METH_KEYWORDS,
     "cancel(msg=None): stops waiting (the record is still sent)."},
    {nullptr, nullptr, 0, nullptr}};

PyObject* get_blocking(PyObject* self, void*) { return py_bool(future_of(self).blocking); }
int set_blocking(PyObject* self, PyObject* value, void*) {
  if (!value) {
    PyErr_SetString(PyExc_AttributeError, "cannot delete _asyncio_future_blocking");
    return -1;
  }
  const int truth = PyObject_IsTrue(value);
  if (truth < 0) return -1;
  future_of(self).blocking = truth != 0;
  return 0;
}

PyGetSetDef future_getset[] = {
    {"_asyncio_future_blocking", get_blocking, set_blocking, "asyncio's await protocol flag", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyType_Slot future_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(future_dealloc)},
    {Py_tp_repr, reinterpret_cast<void*>(future_repr)},
    {Py_tp_doc,
     const_cast<char*>("kwire.AIOProducer's delivery future: asyncio-compatible (await, gather, wait_for, shield), "
                       "resolved in batches by the producer; its result is the RecordMetadata.")},
    {Py_tp_methods, future_methods},
    {Py_tp_getset, future_getset},
    {Py_am_await, reinterpret_cast<void*>(self_iter)},
    {Py_am_send, reinterpret_cast<void*>(future_send)},
    {Py_tp_iter, reinterpret_cast<void*>(self_iter)},
    {Py_tp_iternext, reinterpret_cast<void*>(future_next)},
    {Py_tp_traverse, reinterpret_cast<void*>(future_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(future_clear)},
    {0, nullptr}};

// `await producer.send(...)` when the record was queued at once: the
// awaitable completes without suspending and gives the delivery future (no
// coroutine frame per record).
// A plain CPython object (not a nanobind instance: one per record, and
// nanobind's instance registry costs more than the rest of it).
struct ReadyAwaitable {
  PyObject_HEAD
  PyObject* value;
};

PyObject* ready_value(PyObject* self) { return reinterpret_cast<ReadyAwaitable*>(self)->value; }

void ready_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  Py_XDECREF(ready_value(self));
  PyObject_Free(self);
  Py_DECREF(type);
}

PySendResult ready_send(PyObject* self, PyObject*, PyObject** out) {
  *out = Py_NewRef(ready_value(self));
  return PYGEN_RETURN;
}

PyObject* ready_next(PyObject* self) {
  PyObject* value = ready_value(self);
  PyObject* stop = call_one(PyExc_StopIteration, value);
  if (stop) {
    PyErr_SetObject(PyExc_StopIteration, stop);
    Py_DECREF(stop);
  }
  return nullptr;
}

// send/throw/close make it a collections.abc.Coroutine, so that
// asyncio.create_task(producer.send(...)) and ensure_future() take it as
// they take aiokafka's coroutine.
PyObject* ready_coro_send(PyObject* self, PyObject*) { return ready_next(self); }

PyObject* ready_coro_throw(PyObject*, PyObject* args) {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  if (!PyArg_UnpackTuple(args, "throw", 1, 3, &type, &value, &traceback)) return nullptr;
  if (PyExceptionInstance_Check(type)) {
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(type)), type);
  } else if (value && value != Py_None) {
    PyErr_SetObject(type, value);
  } else {
    PyErr_SetNone(type);
  }
  return nullptr;
}

PyObject* ready_coro_close(PyObject*, PyObject*) { return Py_NewRef(Py_None); }

PyMethodDef ready_methods[] = {
    {"send", ready_coro_send, METH_O, "Completes at once with the delivery future (StopIteration)."},
    {"throw", ready_coro_throw, METH_VARARGS, "Raises the exception given."},
    {"close", ready_coro_close, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot ready_slots[] = {{Py_tp_methods, ready_methods},
                             {Py_tp_dealloc, reinterpret_cast<void*>(ready_dealloc)},
                             {Py_tp_doc, const_cast<char*>("`await` gives the delivery future at once.")},
                             {Py_am_await, reinterpret_cast<void*>(self_iter)},
                             {Py_am_send, reinterpret_cast<void*>(ready_send)},
                             {Py_tp_iter, reinterpret_cast<void*>(self_iter)},
                             {Py_tp_iternext, reinterpret_cast<void*>(ready_next)},
                             {0, nullptr}};

}  // namespace

// ---- AioFuture ---------------------------------------------------------

nb::object AioFuture::result() const {
  switch (state_) {
    case State::pending:
      raise_invalid_state("Result is not ready.");
    case State::cancelled:
      raise_cancelled(cancel_message_);
    case State::finished:
      break;
  }
  if (exception_.is_valid()) {
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception_.ptr())), exception_.ptr());
    throw nb::python_error();
  }
  return result_;
}

nb::object AioFuture::exception() const {
  switch (state_) {
    case State::pending:
      raise_invalid_state("Exception is not set.");
    case State::cancelled:
      raise_cancelled(cancel_message_);
    case State::finished:
      break;
  }
  return exception_.is_valid() ? exception_ : nb::none();
}

void AioFuture::add_done_callback(nb::handle self, nb::object fn, nb::object context) {
  if (context.is_none()) {
#ifdef Py_LIMITED_API
    static PyObject* copy_context =  // kept for the process (no release at exit)
        nb::object(nb::module_::import_("contextvars").attr("copy_context")).release().ptr();
    context = nb::handle(copy_context)();
#else
    context = nb::steal(PyContext_CopyCurrent());
    if (!context.is_valid()) throw nb::python_error();
#endif
  }
  // The usual single callback (a gather's, an awaiting Task's) stays
  // inline: no allocation per future.
  if (!first_.fn.is_valid() && more_.empty()) {
    first_ = {std::move(fn), std::move(context)};
  } else {
    more_.push_back({std::move(fn), std::move(context)});
  }
  track(self);  // a gather's callback refers back to this future
  if (done()) schedule_callbacks(self);  // asyncio: never called from here
}

std::size_t AioFuture::remove_done_callback(nb::handle fn) {
  auto same = [&](const Callback& callback) {
    return callback.fn.is_valid() && (callback.fn.ptr() == fn.ptr() || callback.fn.equal(fn));
  };
  std::size_t removed = 0;
  if (same(first_)) {
    first_ = {};
    ++removed;
  }
  removed += std::erase_if(more_, same);
  return removed;
}

bool AioFuture::cancel(nb::handle self, nb::object message) {
  if (done()) return false;
  state_ = State::cancelled;
  cancel_message_ = std::move(message);
  track(self);
  schedule_callbacks(self);
  return true;
}

void AioFuture::resolve(nb::handle self, nb::object outcome, bool failed) {
  if (done()) return;  // cancelled while in flight
  state_ = State::finished;
  (failed ? exception_ : result_) = std::move(outcome);
  if (failed) track(self);  // an exception's traceback may lead back here; a RecordMetadata never does
  schedule_callbacks(self);
}

void AioFuture::track(nb::handle self) noexcept {
  if (!PyObject_GC_IsTracked(self.ptr())) PyObject_GC_Track(self.ptr());
}

void AioFuture::schedule_callbacks(nb::handle self) {
  if (!first_.fn.is_valid() && more_.empty()) return;
  AsyncSink& sink = *nb::inst_ptr<AsyncSink>(sink_);
  if (first_.fn.is_valid()) sink.call_soon(sink_, std::move(first_.fn), self, std::move(first_.context));
  first_ = {};
  for (Callback& callback : more_) sink.call_soon(sink_, std::move(callback.fn), self, std::move(callback.context));
  more_.clear();
  if (state_ == State::finished && !exception_.is_valid()) PyObject_GC_UnTrack(self.ptr());
}

int AioFuture::traverse(visitproc visit, void* arg) {
  Py_VISIT(result_.ptr());
  Py_VISIT(exception_.ptr());
  Py_VISIT(cancel_message_.ptr());
  Py_VISIT(loop_.ptr());
  Py_VISIT(sink_.ptr());
  Py_VISIT(first_.fn.ptr());
  Py_VISIT(first_.context.ptr());
  for (const Callback& callback : more_) {
    Py_VISIT(callback.fn.ptr());
    Py_VISIT(callback.context.ptr());
  }
  return 0;
}

void AioFuture::clear() {
  Callback first = std::move(first_);
  std::vector<Callback> more = std::move(more_);
  nb::object result = std::move(result_), exception = std::move(exception_),
             message = std::move(cancel_message_), loop = std::move(loop_), sink = std::move(sink_);
}

// ---- ReadyCallbacks ------------------------------------------------------

void ReadyCallbacks::push(nb::object fn, nb::handle future, nb::object context, const nb::object& loop,
                          nb::handle sink) {
  queue_.push_back({std::move(fn), nb::borrow(future), std::move(context)});
  if (scheduled_) return;
  loop.attr("call_soon")(sink.attr("_run_ready"));
  scheduled_ = true;
}

void ReadyCallbacks::run(const nb::object& loop) {
  scheduled_ = false;
  nb::object fatal;
  // Callbacks may queue more (a gather's last child resolves its outer
  // future: that one is an asyncio.Future, not queued here; a Task's
  // wakeup may cancel another AioFuture: queued here, run in this loop).
  while (!queue_.empty()) {
    std::vector<Entry> batch = std::exchange(spare_, {});  // an empty buffer for queue_
    batch.swap(queue_);
    for (Entry& entry : batch) run_in_context(loop, entry.fn.ptr(), entry.future.ptr(), entry.context.ptr(), fatal);
    batch.clear();
    if (batch.capacity() > spare_.capacity()) spare_ = std::move(batch);
  }
  if (fatal.is_valid()) {
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(fatal.ptr())), fatal.ptr());
    throw nb::python_error();
  }
}

void ReadyCallbacks::clear() noexcept {
  std::vector<Entry>().swap(queue_);
  std::vector<Entry>().swap(spare_);
}

// ---- module --------------------------------------------------------------

bool is_aio_future(nb::handle object) noexcept {
  return aio_future_type && Py_TYPE(object.ptr()) == aio_future_type;
}

nb::object make_ready_awaitable(nb::object value) {
  auto* self = PyObject_New(ReadyAwaitable, ready_awaitable_type);
  if (!self) throw nb::python_error();
  self->value = value.release().ptr();
  return nb::steal(reinterpret_cast<PyObject*>(self));
}

nb::object make_aio_future(nb::object loop, nb::object sink) {
  auto* self = PyObject_GC_New(AioFutureObject, aio_future_type);
  if (!self) throw nb::python_error();
  new (&self->future) AioFuture(std::move(loop), std::move(sink));
  // Not tracked by the cyclic GC until it holds something that can lead back
  // to it (AioFuture::track), and untracked again once done with a
  // RecordMetadata: the loop and the sink never lead back. A gather's 10k
  // futures then sit in fewer collections and fewer reach the oldest
  // generation (GC time in 1M `await send()` + gather: 0.32 s -> 0.27 s).
  return nb::steal(reinterpret_cast<PyObject*>(self));
}

AioFuture& aio_future_of(nb::handle object) noexcept { return future_of(object.ptr()); }

void bind_aio_future(nb::module_& m) {
  static PyType_Spec future_spec = {"kwire._core.AioDeliveryFuture", sizeof(AioFutureObject), 0,
                                    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, future_slots};
  aio_future_type = add_type(m, "AioDeliveryFuture", future_spec);

  static PyType_Spec ready_spec = {"kwire._core._ReadyAwaitable", sizeof(ReadyAwaitable), 0, Py_TPFLAGS_DEFAULT,
                                   ready_slots};
  ready_awaitable_type = add_type(m, "_ReadyAwaitable", ready_spec);
}

}  // namespace kwire::python
