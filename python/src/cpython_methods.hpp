#pragma once
// Helpers for the types written directly with the CPython API (the objects
// made once per record: DeliveryFuture, AioDeliveryFuture, RecordMetadata,
// where a nanobind instance costs more than the object's own work).
#include <exception>
#include <string>

#include <nanobind/nanobind.h>

namespace kwire::python {

/// The Python exception type nanobind raises for `e` (nb::value_error ->
/// ValueError, ...), as its own dispatch would.
inline PyObject* python_type_of(const nanobind::builtin_exception& e) {
  using kind = nanobind::exception_type;
  switch (e.type()) {
    case kind::value_error: return PyExc_ValueError;
    case kind::index_error: return PyExc_IndexError;
    case kind::key_error: return PyExc_KeyError;
    case kind::buffer_error: return PyExc_BufferError;
    case kind::attribute_error: return PyExc_AttributeError;
    case kind::stop_iteration: return PyExc_StopIteration;
    case kind::import_error: return PyExc_ImportError;
    case kind::runtime_error: return PyExc_RuntimeError;
    default: return PyExc_TypeError;
  }
}

/// Runs `body` (returning a new reference); a C++ exception becomes the
/// matching Python one and the result nullptr, as a CPython method returns.
template <typename F>
PyObject* guarded(F&& body) noexcept {
  try {
    return body();
  } catch (nanobind::python_error& e) {
    e.restore();
  } catch (nanobind::builtin_exception& e) {
    PyErr_SetString(python_type_of(e), e.what());
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

inline PyObject* py_bool(bool value) { return Py_NewRef(value ? Py_True : Py_False); }

/// fn(arg): a new reference, or nullptr with the error set. Vectorcall
/// where the (stable) API has it: no argument tuple.
inline PyObject* call_one(PyObject* fn, PyObject* arg) {
#if defined(Py_LIMITED_API) && Py_LIMITED_API < 0x030C0000
  return PyObject_CallFunctionObjArgs(fn, arg, nullptr);
#else
  PyObject* args[2] = {nullptr, arg};
  return PyObject_Vectorcall(fn, args + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
#endif
}

/// A METH_FASTCALL (| METH_KEYWORDS) function as PyMethodDef stores it.
template <typename F>
PyCFunction as_method(F* function) {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void*>(function));
}

/// Adds `method` (a static PyMethodDef) to the nanobind class `type` as a
/// plain CPython method descriptor, for methods called once per record
/// (Producer.send, AIOProducer.send), where nanobind's dispatch costs more
/// than the call's own work. stubgen skips such methods: their stubs come
/// from src/stub_patterns.txt.
inline void add_method(nanobind::handle type, PyMethodDef& method) {
  nanobind::object descriptor =
      nanobind::steal(PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(type.ptr()), &method));
  if (!descriptor.is_valid()) throw nanobind::python_error();
  type.attr(method.ml_name) = descriptor;
}

/// The C++ object of `self`, an instance of a nanobind class, if its
/// __init__ ran (a Python subclass may not call it): a method added with
/// add_method must check, as nanobind's dispatch would.
template <typename T>
T& initialized(PyObject* self, const char* method) {
  if (!nanobind::inst_ready(self))
    throw nanobind::type_error(
        (std::string(method) + "(): the object was not initialized (__init__ not called)").c_str());
  return *nanobind::inst_ptr<T>(self);
}

/// Creates the type `spec` describes (its name "kwire._core.<attribute>")
/// and adds it to `module` as `attribute`. The type lives as long as the
/// process: the returned pointer stays valid for the objects made later.
inline PyTypeObject* add_type(nanobind::module_& module, const char* attribute, PyType_Spec& spec) {
  nanobind::object type = nanobind::steal(PyType_FromSpec(&spec));
  if (!type.is_valid()) throw nanobind::python_error();
  module.attr(attribute) = type;
  return reinterpret_cast<PyTypeObject*>(type.release().ptr());
}

}  // namespace kwire::python
