// kwire.AIOProducer.send in C++: AIOProducer (kwire/_aio.py) derives from
// _core._AioSender so that `await producer.send(...)`, once per record, calls
// straight into Producer::aio_send without a Python frame in between.
// Only when the record would wait (first metadata, full buffer) does it go
// back to Python, to AIOProducer._send_when_ready.
#include "async_sink.hpp"
#include "cpython_methods.hpp"
#include "producer_binding.hpp"
#include "send_arguments.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace kwire::python {
namespace {

class AioSender {
 public:
  void bind(nb::object producer, nb::object sink) {
    producer_ptr_ = &nb::cast<Producer&>(producer);  // raises TypeError for anything else
    sink_ptr_ = &nb::cast<AsyncSink&>(sink);
    producer_ = std::move(producer);
    sink_ = std::move(sink);
  }

  /// aiokafka's order: (topic, value, key, partition, timestamp_ms, headers).
  nb::object send(nb::handle self, const SendArguments& a) {
    if (!producer_ptr_) return self.attr("_started")();  // raises ProducerClosedError
    const auto partition = optional_integer<std::int32_t>(a.given[3], "send", "partition");
    const auto timestamp_ms = optional_integer<std::int64_t>(a.given[4], "send", "timestamp_ms");
    const nb::handle topic = a.given[0], value = a.given[1], key = a.given[2], headers = a.given[5];
    nb::object sent = producer_ptr_->aio_send(*sink_ptr_, sink_, topic, value, key, headers, partition, timestamp_ms);
    if (!PyTuple_Check(sent.ptr())) return sent;
    // Would wait: (future, signal) for the coroutine that waits on the loop.
    return self.attr("_send_when_ready")(sent[0], sent[1], topic, value, key, headers, nb::handle(a.given[3]),
                                         nb::handle(a.given[4]));
  }

 private:
  nb::object producer_;
  nb::object sink_;
  Producer* producer_ptr_ = nullptr;  // producer_'s C++ object
  AsyncSink* sink_ptr_ = nullptr;     // sink_'s
};

// A plain CPython METH_FASTCALL method, as Producer.send (send_arguments.hpp).
constexpr const char* kAioSendParameters[] = {"topic", "value", "key", "partition", "timestamp_ms", "headers"};

PyObject* aio_send_fastcall(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) noexcept {
  return guarded([&]() -> PyObject* {
    const SendArguments arguments("send", kAioSendParameters, args, nargs, kwnames);
    return initialized<AioSender>(self, "send").send(self, arguments).release().ptr();
  });
}

PyMethodDef aio_send_method = {
    "send", as_method(aio_send_fastcall), METH_FASTCALL | METH_KEYWORDS,
    "send(self, topic, value=None, key=None, partition=None, timestamp_ms=None, headers=None)\n--\n\n"
    "Queues one record; ``await`` it for the future of its RecordMetadata (as aiokafka: "
    "``fut = await send(...)``, then ``await fut``).\n\n"
    "When the buffer has room the record is queued during this call and the awaitable completes "
    "without suspending (no coroutine per record). Otherwise it is a coroutine that waits, without "
    "blocking the loop, while the record would wait for its topic's first metadata or for "
    "buffer.memory, up to max.block.ms; then the future carries send()'s error "
    "(UnknownTopicOrPartitionError, QueueFullError, ...). The future is asyncio-compatible (await, "
    "asyncio.gather, wait_for, shield, add_done_callback, cancel); it is not an asyncio.Future "
    "instance (asyncio.isfuture is true)."};

}  // namespace

void bind_aio_sender(nb::module_& m) {
  auto sender = nb::class_<AioSender>(m, "_AioSender", "AIOProducer's C++ base: send().")
                    .def(nb::init<>())
                    .def("_bind", &AioSender::bind, "producer"_a, "sink"_a,
                         "start(): the kwire.Producer and its _AsyncSink.");
  add_method(sender, aio_send_method);
}

}  // namespace kwire::python
