// kwire.AIOProducer.send in C++: AIOProducer (kwire/_aio.py) derives from
// _core._AioSender so that `await producer.send(...)`, once per record, calls
// straight into Producer::aio_send without a Python frame in between.
// Only when the record would wait (first metadata, full buffer) does it go
// back to Python, to AIOProducer._send_when_ready.
#include <nanobind/stl/optional.h>

#include "producer_binding.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace kwire::python {
namespace {

class AioSender {
 public:
  void bind(nb::object producer, nb::object sink) {
    producer_ptr_ = &nb::cast<Producer&>(producer);  // raises TypeError for anything else
    producer_ = std::move(producer);
    sink_ = std::move(sink);
  }

  nb::object send(nb::handle self, const nb::str& topic, nb::handle value, nb::handle key,
                  std::optional<std::int32_t> partition, std::optional<std::int64_t> timestamp_ms,
                  nb::handle headers) {
    if (!producer_ptr_) return self.attr("_started")();  // raises ProducerClosedError
    nb::object sent = producer_ptr_->aio_send(sink_, topic, value, key, headers, partition, timestamp_ms);
    if (!PyTuple_Check(sent.ptr())) return sent;
    // Would wait: (future, signal) for the coroutine that waits on the loop.
    return self.attr("_send_when_ready")(sent[0], sent[1], topic, value, key, headers, partition, timestamp_ms);
  }

 private:
  nb::object producer_;
  nb::object sink_;
  Producer* producer_ptr_ = nullptr;  // producer_'s C++ object
};

}  // namespace

void bind_aio_sender(nb::module_& m) {
  nb::class_<AioSender>(m, "_AioSender", "AIOProducer's C++ base: send().")
      .def(nb::init<>())
      .def("_bind", &AioSender::bind, "producer"_a, "sink"_a, "start(): the kwire.Producer and its _AsyncSink.")
      .def(
          "send",
          [](nb::pointer_and_handle<AioSender> self, const nb::str& topic, nb::handle value, nb::handle key,
             std::optional<std::int32_t> partition, std::optional<std::int64_t> timestamp_ms, nb::handle headers) {
            return self.p->send(self.h, topic, value, key, partition, timestamp_ms, headers);
          },
          "topic"_a, "value"_a = nb::none(), "key"_a = nb::none(), "partition"_a = nb::none(),
          "timestamp_ms"_a = nb::none(), "headers"_a = nb::none(),
          nb::sig("def send(self, topic: str, value: object = None, key: object = None, "
                  "partition: int | None = None, timestamp_ms: int | None = None, headers: object = None) "
                  "-> collections.abc.Awaitable[AioDeliveryFuture]"),
          "Queues one record; ``await`` it for the future of its RecordMetadata (as aiokafka: "
          "``fut = await send(...)``, then ``await fut``).\n\n"
          "When the buffer has room the record is queued during this call and the awaitable completes "
          "without suspending (no coroutine per record). Otherwise it is a coroutine that waits, without "
          "blocking the loop, while the record would wait for its topic's first metadata or for "
          "buffer.memory, up to max.block.ms; then the future carries send()'s error "
          "(UnknownTopicOrPartitionError, QueueFullError, ...). The future is asyncio-compatible (await, "
          "asyncio.gather, wait_for, shield, add_done_callback, cancel); it is not an asyncio.Future "
          "instance (asyncio.isfuture is true).");
}

}  // namespace kwire::python
