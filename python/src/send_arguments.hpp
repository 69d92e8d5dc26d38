#pragma once
// The arguments of the per-record send methods (Producer.send,
// AIOProducer.send), parsed by hand: both are plain CPython METH_FASTCALL
// methods, since nanobind's generic dispatch (argument casters, the
// std::optional conversions, the overload loop) was a tenth of the sending
// thread's time in 1M send()s (perf). Errors are those of a Python def.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <nanobind/nanobind.h>

namespace kwire::python {

/// A send's six arguments (borrowed; Py_None when not given) in the order
/// of `Names`, the method's parameter names; the first (topic) is required
/// and must be a str.
struct SendArguments {
  static constexpr int kArity = 6;
  PyObject* given[kArity];

  /// Binds a METH_FASTCALL | METH_KEYWORDS call as `def method(topic, ...)`
  /// with these parameter names would; throws nanobind::python_error or
  /// nanobind::type_error (as TypeError).
  SendArguments(const char* method, const char* const (&names)[kArity], PyObject* const* args, Py_ssize_t nargs,
                PyObject* kwnames)
      // Spelled out: a copy loop becomes a rep movsb, slow to start for six.
      : given{nargs > 0 ? args[0] : nullptr, nargs > 1 ? args[1] : Py_None, nargs > 2 ? args[2] : Py_None,
              nargs > 3 ? args[3] : Py_None, nargs > 4 ? args[4] : Py_None, nargs > 5 ? args[5] : Py_None} {
    if (nargs > kArity) throw nanobind::type_error((std::string(method) + "() takes at most 6 arguments").c_str());
    const Py_ssize_t nkw = kwnames ? PyTuple_Size(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; ++i) {
      PyObject* name = PyTuple_GetItem(kwnames, i);
      int index = 0;
      while (index < kArity && PyUnicode_CompareWithASCIIString(name, names[index]) != 0) ++index;
      if (index == kArity) {
        PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument %R", method, name);
        throw nanobind::python_error();
      }
      if (index < nargs) {
        PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument %R", method, name);
        throw nanobind::python_error();
      }
      given[index] = args[nargs + i];
    }
    if (!given[0]) throw nanobind::type_error((std::string(method) + "() missing its first argument: topic").c_str());
    if (!PyUnicode_Check(given[0])) throw nanobind::type_error((std::string(method) + "(): topic must be a str").c_str());
  }
};

/// None, or an int that fits Int (TypeError / ValueError naming `name`).
template <typename Int>
std::optional<Int> optional_integer(PyObject* object, const char* method, const char* name) {
  if (object == Py_None) return std::nullopt;
  if (!PyLong_Check(object))
    throw nanobind::type_error((std::string(method) + "(): " + name + " must be an int or None").c_str());
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(object, &overflow);
  if (value == -1 && PyErr_Occurred()) throw nanobind::python_error();
  if (overflow != 0 || value < std::numeric_limits<Int>::min() || value > std::numeric_limits<Int>::max())
    throw nanobind::value_error((std::string(method) + "(): " + name + " is out of range").c_str());
  return static_cast<Int>(value);
}

}  // namespace kwire::python
