#include "producer_binding.hpp"

#include <cmath>
#include <deque>
#include <condition_variable>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include "aio_future.hpp"
#include "async_sink.hpp"
#include "background_close.hpp"
#include "cpython_methods.hpp"
#include "dispatcher.hpp"
#include "interruptible.hpp"
#include "kwire/producer/config.hpp"
#include "python_types.hpp"
#include "send_arguments.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace kwire::python {
namespace {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

// A Python bytes-like value borrowed for the duration of one send(): bytes
// and str without a copy, anything else through the buffer protocol.
class BorrowedBytes {
 public:
  BorrowedBytes() = default;
  explicit BorrowedBytes(nb::handle object) { assign(object); }
  BorrowedBytes(const BorrowedBytes&) = delete;
  BorrowedBytes& operator=(const BorrowedBytes&) = delete;
  ~BorrowedBytes() {
    if (has_buffer_) PyBuffer_Release(&buffer_);
  }

  void assign(nb::handle object) {
    if (object.is_none()) return;
    if (PyBytes_Check(object.ptr())) {
      set(PyBytes_AsString(object.ptr()), PyBytes_Size(object.ptr()));
    } else if (PyUnicode_Check(object.ptr())) {
      Py_ssize_t size = 0;
      const char* data = PyUnicode_AsUTF8AndSize(object.ptr(), &size);
      if (!data) throw nb::python_error();
      set(data, size);
    } else if (PyObject_GetBuffer(object.ptr(), &buffer_, PyBUF_SIMPLE) == 0) {
      has_buffer_ = true;
      set(buffer_.buf, buffer_.len);
    } else {
      PyErr_Clear();
      throw nb::type_error(("expected bytes, bytearray, memoryview, str or None, got " +
                            std::string(nb::type_name(object.type()).c_str()) +
                            " (set a serializer to send other objects)")
                               .c_str());
    }
  }

  const std::optional<std::span<const std::uint8_t>>& view() const noexcept { return view_; }
  std::int32_t size_or_minus_one() const noexcept {
    return view_ ? static_cast<std::int32_t>(view_->size()) : -1;
  }

 private:
  void set(const void* data, Py_ssize_t size) {
    view_ = std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size));
  }

  std::optional<std::span<const std::uint8_t>> view_;
  Py_buffer buffer_;  // filled by PyObject_GetBuffer only (not zeroed: three per send())
  bool has_buffer_ = false;
};

// Headers as kafka-python takes them: an iterable of (str, bytes | None)
// pairs (a dict's items too).
class BorrowedHeaders {
 public:
  explicit BorrowedHeaders(nb::handle headers) {
    if (headers.is_none()) return;  // the usual case: nothing allocated (a std::deque allocates when built)
    auto& storage = storage_.emplace();
    nb::object items = PyDict_Check(headers.ptr()) ? headers.attr("items")() : nb::borrow(headers);
    for (nb::handle pair : items) {
      nb::object sequence = nb::steal(PySequence_Fast(pair.ptr(), "a header must be a (key, value) pair"));
      if (!sequence.is_valid()) throw nb::python_error();
      if (PySequence_Size(sequence.ptr()) != 2) throw nb::value_error("a header must be a (key, value) pair");
      nb::object key = nb::steal(PySequence_GetItem(sequence.ptr(), 0));
      nb::object value = nb::steal(PySequence_GetItem(sequence.ptr(), 1));
      if (!key.is_valid() || !value.is_valid()) throw nb::python_error();
      if (key.is_none()) throw nb::value_error("a header key must not be None");
      const auto& key_bytes = storage.emplace_back(key);  // deque: earlier elements never move
      const auto& value_bytes = storage.emplace_back(value);
      owners_.push_back(std::move(key));
      owners_.push_back(std::move(value));
      const auto& k = *key_bytes.view();
      views_.emplace_back(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()), value_bytes.view());
      total_size_ += static_cast<std::int32_t>(k.size()) + std::max(value_bytes.size_or_minus_one(), 0);
    }
  }

  std::span<const producer::HeaderView> views() const noexcept { return views_; }
  std::int32_t serialized_size() const noexcept { return views_.empty() ? -1 : total_size_; }

 private:
  std::vector<nb::object> owners_;
  std::optional<std::deque<BorrowedBytes>> storage_;
  std::vector<producer::HeaderView> views_;
  std::int32_t total_size_ = 0;
};

bool is_serialize_object(const nb::object& serializer) {
  return !serializer.is_none() && !PyCallable_Check(serializer.ptr()) && nb::hasattr(serializer, "serialize");
}

}  // namespace

// ---- Producer ----------------------------------------------------------

Producer::Producer(const std::map<std::string, std::string>& properties, nb::object key_serializer,
                   nb::object value_serializer)
    : core_(std::make_shared<ProducerCore>()),
      key_serializer_(std::move(key_serializer)),
      value_serializer_(std::move(value_serializer)),
      key_serializer_takes_topic_(is_serialize_object(key_serializer_)),
      value_serializer_takes_topic_(is_serialize_object(value_serializer_)) {
  try {
    nb::gil_scoped_release release;
    core_->producer = std::make_unique<kwire::Producer>(properties);
  } catch (const ConfigError& e) {
    raise(make_config_error(e.key(), e.what()));
  }
}

Producer::~Producer() {
  if (!core_) return;
  if (closed_) {
    nb::gil_scoped_release release;
    core_.reset();
    return;
  }
  // Not closed: kwire's destructor closes (waiting up to
  // delivery.timeout.ms), so do that away from this thread.
  close_in_background([core = std::move(core_)]() mutable { core.reset(); });
}

void dispatch_barrier(nb::object future, nb::object sink) {
  // kwire's flush returned after every delivery callback ran, and each of
  // them posted its record to the sink first: this already-complete record
  // reaches the loop after all of them (the sink keeps order).
  CompletionRef barrier(Completion::create());
  barrier->complete(producer::DeliveryReport{});  // nothing attached yet: only marks it done
  AsyncSink& target = nb::cast<AsyncSink&>(sink);
  DeliveryFuture(barrier).attach_asyncio(std::move(future), target, std::move(sink));
}

nb::object Producer::serialize(const nb::object& serializer, bool takes_topic, nb::handle topic,
                               nb::handle data, nb::handle headers) {
  if (takes_topic) return serializer.attr("serialize")(topic, data, headers);
  return serializer(data);
}

// One record between the Python arguments and kwire: serialized, borrowed
// as a RecordView, with the Completion its future reads and the callback
// kwire runs. The callback holds one reference and one `sent` count
// until kwire consumes it; a try_send that did not take it gives both back
// (give_back()). It runs once per send(), so it does without what the
// usual record does not need: no reference is taken on the arguments (the
// caller's frame holds them), only on what a serializer returns, and the
// header storage exists only for a record with headers.
class Producer::Outgoing {
 public:
  // (The optionals by reference: copies of them, written in parts and read
  // whole, stalled store forwarding on every send.)
  Outgoing(Producer& self, nb::handle topic, nb::handle value, nb::handle key, nb::handle headers,
           const std::optional<std::int32_t>& partition, const std::optional<std::int64_t>& timestamp_ms)
      : core_(self.core_.get()) {
    // None stays null (a tombstone, or a null key) whatever the serializer.
    if (!self.key_serializer_.is_none() && !key.is_none())
      key = key_owned_ = self.serialize(self.key_serializer_, self.key_serializer_takes_topic_, topic, key, headers);
    if (!self.value_serializer_.is_none() && !value.is_none())
      value = value_owned_ =
          self.serialize(self.value_serializer_, self.value_serializer_takes_topic_, topic, value, headers);
    Py_ssize_t topic_size = 0;
    const char* topic_utf8 = PyUnicode_AsUTF8AndSize(topic.ptr(), &topic_size);
    if (!topic_utf8) throw nb::python_error();
    record.topic = std::string_view(topic_utf8, static_cast<std::size_t>(topic_size));
    key_view_.assign(key);
    value_view_.assign(value);
    record.key = key_view_.view();
    record.value = value_view_.view();
    std::int32_t header_size = -1;
    if (!headers.is_none()) {
      const BorrowedHeaders& borrowed = header_views_.emplace(headers);
      record.headers = borrowed.views();
      header_size = borrowed.serialized_size();
    }
    if (partition) record.partition = *partition;
    if (timestamp_ms) record.timestamp_ms = *timestamp_ms;
    // One reference for the future (future_ref_), one for the callback.
    completion_ = Completion::create(key_view_.size_or_minus_one(), value_view_.size_or_minus_one(), header_size, 2);
    future_ref_ = CompletionRef(completion_);
    count_sent(core_, 1);
  }
  Outgoing(const Outgoing&) = delete;
  Outgoing& operator=(const Outgoing&) = delete;
  ~Outgoing() {
    if (!consumed_) give_back();
  }

  /// The callback for kwire: two plain pointers, so std::function keeps it
  /// in place without allocating.
  producer::DeliveryCallback callback() const {
    return [completion = completion_, core = core_](const producer::DeliveryReport& report) {
      // Not pending any more before anyone can see the record done (a
      // get() that returned must not find it still counted).
      core->reported.fetch_add(1, std::memory_order_release);
      completion->complete(report);
      completion->release();
    };
  }
  void consumed() noexcept { consumed_ = true; }
  /// The Python DeliveryFuture (after consumed(); once): it takes over the
  /// future's reference.
  nb::object future() { return make_delivery_future(std::move(future_ref_)); }
  /// The C++ view, for attaching an asyncio future (after consumed(); once).
  DeliveryFuture delivery() { return DeliveryFuture(std::move(future_ref_)); }

  producer::RecordView record;

 private:
  /// `sent` changes by `n`. Only threads holding the GIL send, so on a GIL
  /// build a plain read and write do, not a locked add per record.
  static void count_sent(ProducerCore* core, std::int64_t n) noexcept {
#ifdef Py_GIL_DISABLED
    core->sent.fetch_add(n, std::memory_order_relaxed);
#else
    core->sent.store(core->sent.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
#endif
  }

  void give_back() noexcept {
    count_sent(core_, -1);
    completion_->release();
  }

  nb::object key_owned_;    // what the key serializer returned
  nb::object value_owned_;  // what the value serializer returned
  BorrowedBytes key_view_;
  BorrowedBytes value_view_;
  std::optional<BorrowedHeaders> header_views_;
  ProducerCore* core_;
  Completion* completion_ = nullptr;
  CompletionRef future_ref_;
  bool consumed_ = false;
};

namespace {

// What on_ready signals: a pure C++ flag and condition variable (sync
// send), or a Completion an asyncio future can be attached to (AIOProducer).
struct ReadyFlag {
  std::mutex mutex;
  std::condition_variable cv;
  bool ready = false;
};

}  // namespace

nb::object Producer::send(nb::handle topic, nb::handle value, nb::handle key, nb::handle headers,
                          const std::optional<std::int32_t>& partition,
                          const std::optional<std::int64_t>& timestamp_ms) {
  Outgoing out(*this, topic, value, key, headers, partition, timestamp_ms);
  kwire::Producer& producer = *core_->producer;
  // The fast path keeps the GIL: try_send never blocks.
  if (producer.try_send(out.record, out.callback()) == producer::TrySendResult::accepted) {
    out.consumed();
    return out.future();
  }
  // It would wait for the topic's metadata or for buffer.memory: wait with
  // the GIL released, in slices that answer Ctrl+C, up to max.block.ms;
  // then send(..., 0 ms) refuses the record with send()'s own error.
  auto flag = std::make_shared<ReadyFlag>();
  auto on_ready = [flag] {
    {
      std::lock_guard lock(flag->mutex);
      flag->ready = true;
    }
    flag->cv.notify_all();
  };
  const auto deadline = steady::now() + milliseconds(producer.config().max_block_ms);
  for (;;) {
    if (producer.try_send(out.record, out.callback(), on_ready) == producer::TrySendResult::accepted) break;
    if (!wait_interruptibly(flag->mutex, flag->cv, [&] { return flag->ready; }, deadline)) {
      nb::gil_scoped_release release;
      producer.send(out.record, out.callback(), milliseconds(0));
      break;
    }
    std::lock_guard lock(flag->mutex);
    flag->ready = false;
  }
  out.consumed();
  return out.future();
}

nb::object Producer::try_send_to(nb::object future, AsyncSink& sink, nb::object sink_object, nb::handle topic,
                                 nb::handle value, nb::handle key, nb::handle headers,
                                 const std::optional<std::int32_t>& partition,
                                 const std::optional<std::int64_t>& timestamp_ms) {
  Outgoing out(*this, topic, value, key, headers, partition, timestamp_ms);
  kwire::Producer& producer = *core_->producer;
  bool accepted = producer.try_send(out.record, out.callback()) == producer::TrySendResult::accepted;
  CompletionRef signal;
  if (!accepted) {
    // Would block: try again with an on_ready that completes `signal` (on
    // the network thread: C++ only; the dispatcher then resolves whatever
    // asyncio future the caller attaches to it).
    signal = CompletionRef(Completion::create());
    auto on_ready = [signal] { signal->complete(producer::DeliveryReport{}); };
    accepted = producer.try_send(out.record, out.callback(), on_ready) == producer::TrySendResult::accepted;
  }
  if (!accepted) return make_delivery_future(std::move(signal));
  out.consumed();
  out.delivery().attach_asyncio(std::move(future), sink, std::move(sink_object));
  return nb::none();
}

nb::object Producer::aio_send(AsyncSink& sink, nb::handle sink_object, nb::handle topic, nb::handle value,
                              nb::handle key, nb::handle headers, const std::optional<std::int32_t>& partition,
                              const std::optional<std::int64_t>& timestamp_ms) {
  nb::object future = sink.create_future(sink_object);
  nb::object signal =
      try_send_to(future, sink, nb::borrow(sink_object), topic, value, key, headers, partition, timestamp_ms);
  if (signal.is_none()) return make_ready_awaitable(std::move(future));
  return nb::make_tuple(std::move(future), std::move(signal));
}

nb::object Producer::send_without_waiting(const nb::str& topic, nb::handle value, nb::handle key,
                                              nb::handle headers, std::optional<std::int32_t> partition,
                                              std::optional<std::int64_t> timestamp_ms) {
  Outgoing out(*this, topic, value, key, headers, partition, timestamp_ms);
  core_->producer->send(out.record, out.callback(), milliseconds(0));
  out.consumed();
  return out.future();
}

void Producer::flush(std::optional<double> timeout) {
  const milliseconds limit = to_millis(timeout);
  std::shared_ptr<ProducerCore> core = core_;
  if (!run_interruptibly([core, limit] { return core->producer->flush(limit); }))
    raise(make_timeout_error("flush timed out after " + seconds_text(limit) + " with " +
                             std::to_string(pending()) + " records pending"));
}

double Producer::delivery_timeout() const noexcept {
  return static_cast<double>(core_->producer->config().effective_delivery_timeout_ms()) / 1000.0;
}

void Producer::close(std::optional<double> timeout) {
  const milliseconds limit = timeout ? to_millis(timeout) : to_millis(delivery_timeout());
  std::shared_ptr<ProducerCore> core = core_;
  closed_ = true;
  const std::int64_t before = pending();
  if (!run_interruptibly([core, limit] { return core->producer->close(limit); }))
    raise(make_timeout_error("close timed out after " + seconds_text(limit) + ": " + std::to_string(before) +
                             " records were pending, those not delivered by then failed"));
}

void Producer::wait_for_cluster(double timeout) {
  const milliseconds limit = to_millis(timeout);
  std::shared_ptr<ProducerCore> core = core_;
  auto [error, detail] = run_interruptibly([core, limit] {
    std::string explanation;
    std::error_code ec = core->producer->wait_for_cluster(limit, &explanation);
    return std::make_pair(ec, explanation);
  });
  if (error) raise(make_error(error, detail));
}

std::string Producer::statistics_json() {
  nb::gil_scoped_release release;
  return core_->producer->statistics_json();
}

namespace {

// Producer.send as a plain CPython METH_FASTCALL method (send_arguments.hpp).
constexpr const char* kSendParameters[] = {"topic", "value", "key", "headers", "partition", "timestamp_ms"};

PyObject* send_fastcall(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) noexcept {
  return guarded([&]() -> PyObject* {
    const SendArguments a("send", kSendParameters, args, nargs, kwnames);
    Producer& producer = initialized<Producer>(self, "send");
    const auto partition = optional_integer<std::int32_t>(a.given[4], "send", "partition");
    const auto timestamp_ms = optional_integer<std::int64_t>(a.given[5], "send", "timestamp_ms");
    return producer.send(a.given[0], a.given[1], a.given[2], a.given[3], partition, timestamp_ms).release().ptr();
  });
}

PyMethodDef send_method = {
    "send", as_method(send_fastcall), METH_FASTCALL | METH_KEYWORDS,
    "send(self, topic, value=None, key=None, headers=None, partition=None, timestamp_ms=None)\n--\n\n"
    "Queues one record; returns its DeliveryFuture. Serializers run here, on the calling thread."};

}  // namespace

void bind_producer(nb::module_& m) {
  bind_delivery_future(m);

  auto producer_class = nb::class_<Producer>(m, "Producer");
  producer_class
      .def(nb::init<const std::map<std::string, std::string>&, nb::object, nb::object>(), "properties"_a,
           "key_serializer"_a = nb::none(), "value_serializer"_a = nb::none())
      .def(
          "_try_send_to",
          [](Producer& self, nb::object future, nb::object sink, const nb::str& topic, nb::handle value,
             nb::handle key, nb::handle headers, std::optional<std::int32_t> partition,
             std::optional<std::int64_t> timestamp_ms) {
            AsyncSink& target = nb::cast<AsyncSink&>(sink);  // TypeError for anything else
            return self.try_send_to(std::move(future), target, std::move(sink), topic, value, key, headers,
                                    partition, timestamp_ms);
          },
          "future"_a, "sink"_a, "topic"_a, "value"_a = nb::none(), "key"_a = nb::none(), "headers"_a = nb::none(),
          "partition"_a = nb::none(), "timestamp_ms"_a = nb::none(),
          "For AIOProducer; never blocks. Queued: None, and the asyncio `future` is resolved through "
          "`sink` on delivery. Would wait for metadata or buffer memory: a signal future that completes "
          "when trying again may succeed.")
      .def("_send_without_waiting", &Producer::send_without_waiting, "topic"_a, "value"_a = nb::none(),
           "key"_a = nb::none(), "headers"_a = nb::none(), "partition"_a = nb::none(),
           "timestamp_ms"_a = nb::none(), "send() with max.block.ms 0: queued, or refused with send()'s error.")
      .def("flush", &Producer::flush, "timeout"_a = nb::none(),
           "Sends everything queued now and waits for every report; raises KafkaTimeoutError naming the "
           "records still pending after `timeout` seconds.")
      .def("close", &Producer::close, "timeout"_a = nb::none(),
           "Refuses new records, delivers what is queued within `timeout` seconds (default "
           "delivery.timeout.ms), fails the rest. Idempotent.")
      .def("wait_for_cluster", &Producer::wait_for_cluster, "timeout"_a = 10.0,
           "Connects and fetches metadata; raises (e.g. NoBrokersAvailable, AuthenticationFailedError) if "
           "the cluster does not answer within `timeout` seconds.")
      .def("statistics_json", &Producer::statistics_json)
      .def_prop_ro("pending", &Producer::pending, "Records sent and not yet reported.")
      .def_prop_ro("closed", &Producer::closed)
      .def_prop_ro("delivery_timeout", &Producer::delivery_timeout, "delivery.timeout.ms in seconds.")
      .def_prop_ro(
          "max_block",
          [](const Producer& p) { return static_cast<double>(p.config().max_block_ms) / 1000.0; },
          "max.block.ms in seconds: how long send() may wait for metadata or buffer memory.");
  add_method(producer_class, send_method);
  bind_producer_transactions(producer_class);

  m.def("_wait_for_background_closes", &wait_for_background_closes,
        "Waits for clients dropped unclosed to finish closing (tests).");
  m.def("_dispatch_barrier", &dispatch_barrier, "future"_a, "sink"_a,
        "Resolves `future` through `sink` (an _AsyncSink) after every record already posted to it "
        "(AIOProducer.flush: after kwire's flush, the asyncio futures too).");
}

}  // namespace kwire::python
