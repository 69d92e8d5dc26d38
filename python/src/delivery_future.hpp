#pragma once
// kwire._core.DeliveryFuture: one record's delivery as kwire.Producer.send()
// returns it (kafka-python's FutureRecordMetadata shape): get(timeout) waits
// with the GIL released, add_callback/add_errback/add_both queue Python
// callbacks for the dispatcher thread (dispatcher.hpp). See completion.hpp
// for the thread rules.
#include <optional>

#include <nanobind/nanobind.h>

#include "completion.hpp"

namespace kwire::python {

class AsyncSink;

class DeliveryFuture {
 public:
  explicit DeliveryFuture(CompletionRef completion) noexcept : completion_(std::move(completion)) {}

  /// Waits (GIL released, Ctrl+C honoured); the metadata or raises the
  /// record's error; KafkaTimeoutError when `timeout` (seconds) passes.
  nanobind::object get(std::optional<double> timeout);
  bool is_done();
  bool succeeded();
  bool failed();
  nanobind::object value();
  nanobind::object exception();
  /// For kwire.AIOProducer: resolve `future` through `sink` (drained on the
  /// event loop; `sink_object` is its Python _AsyncSink) when the record
  /// completes.
  void attach_asyncio(nanobind::object future, AsyncSink& sink, nanobind::object sink_object);
  /// add_callback/add_errback/add_both's registration.
  void add(PythonCallback callback);

 private:
  CompletionRef completion_;
};

/// A new Python DeliveryFuture for `completion`.
nanobind::object make_delivery_future(CompletionRef completion);
/// Registers kwire._core.DeliveryFuture.
void bind_delivery_future(nanobind::module_& module);

}  // namespace kwire::python
