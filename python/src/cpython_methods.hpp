#pragma once
// Helpers for the types written directly with the CPython API (the objects
// made once per record: DeliveryFuture, AioDeliveryFuture, RecordMetadata,
// where a nanobind instance costs more than the object's own work).
#include <exception>

#include <nanobind/nanobind.h>

namespace kwire::python {

/// Runs `body` (returning a new reference); a C++ exception becomes the
/// matching Python one and the result nullptr, as a CPython method returns.
template <typename F>
PyObject* guarded(F&& body) noexcept {
  try {
    return body();
  } catch (nanobind::python_error& e) {
    e.restore();
  } catch (nanobind::builtin_exception& e) {
    PyErr_SetString(PyExc_TypeError, e.what());
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
