#include "python_types.hpp"

#include <nanobind/stl/string.h>

#include "cpython_methods.hpp"
#include "kwire/consumer/consumer_error.hpp"
#include "kwire/producer/transaction.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

#if PY_VERSION_HEX < 0x030C0000  // the Py_T_* member types are 3.12's names
#include <structmember.h>
#define Py_T_INT T_INT
#define Py_T_LONGLONG T_LONGLONG
#define Py_T_OBJECT_EX T_OBJECT_EX
#define Py_READONLY READONLY
#endif

namespace nb = nanobind;
using namespace nb::literals;

namespace kwire::python {
namespace {

// Set once by kwire/__init__.py (_core._set_hooks) before any producer
// exists; read with the GIL. Never released: they live as long as the
// module, and releasing them at exit would need the GIL.
struct Hooks {
  PyObject* error_factory = nullptr;    // (category, code, name, message, detail, retriable) -> exc
  PyObject* topic_partition = nullptr;  // kwire.TopicPartition
};

Hooks& hooks() {
  static Hooks instance;
  return instance;
}

nb::handle error_factory() {
  if (!hooks().error_factory) throw std::runtime_error("kwire._core used before kwire was imported");
  return hooks().error_factory;
}

// The Python-side name of a code: Kafka's ("MESSAGE_TOO_LARGE") for broker
// errors, the enumerator's spelling for kwire's own ("queue_full").
std::string name_of(const std::error_code& error) {
  if (error.category() == kafka_category())
    return std::string(kafka_error_name(static_cast<errc>(error.value())));
  if (error.category() == client_category()) {
    switch (static_cast<client_errc>(error.value())) {
#define KWIRE_CLIENT_ERRC_NAME(e) \
  case client_errc::e:            \
    return #e;
      KWIRE_CLIENT_ERRC_NAME(ok)
      KWIRE_CLIENT_ERRC_NAME(truncated)
      KWIRE_CLIENT_ERRC_NAME(malformed)
      KWIRE_CLIENT_ERRC_NAME(length_exceeds_input)
      KWIRE_CLIENT_ERRC_NAME(trailing_bytes)
      KWIRE_CLIENT_ERRC_NAME(unsupported_version)
      KWIRE_CLIENT_ERRC_NAME(field_not_in_version)
      KWIRE_CLIENT_ERRC_NAME(correlation_mismatch)
      KWIRE_CLIENT_ERRC_NAME(frame_too_large)
      KWIRE_CLIENT_ERRC_NAME(disconnected)
      KWIRE_CLIENT_ERRC_NAME(timed_out)
      KWIRE_CLIENT_ERRC_NAME(resolve_failed)
      KWIRE_CLIENT_ERRC_NAME(connect_failed)
      KWIRE_CLIENT_ERRC_NAME(no_broker_reachable)
      KWIRE_CLIENT_ERRC_NAME(invalid_config)
      KWIRE_CLIENT_ERRC_NAME(crc_mismatch)
      KWIRE_CLIENT_ERRC_NAME(shutting_down)
      KWIRE_CLIENT_ERRC_NAME(queue_full)
      KWIRE_CLIENT_ERRC_NAME(record_too_large)
      KWIRE_CLIENT_ERRC_NAME(authentication_failed)
      KWIRE_CLIENT_ERRC_NAME(unknown_topic)
      KWIRE_CLIENT_ERRC_NAME(fatal_producer_state)
      KWIRE_CLIENT_ERRC_NAME(record_exceeds_buffer_memory)
#undef KWIRE_CLIENT_ERRC_NAME
    }
  }
  if (error.category() == consumer_category()) {
    switch (static_cast<consumer_errc>(error.value())) {
#define KWIRE_CONSUMER_ERRC_NAME(e) \
  case consumer_errc::e:            \
    return #e;
      KWIRE_CONSUMER_ERRC_NAME(ok)
      KWIRE_CONSUMER_ERRC_NAME(no_offset_for_partition)
      KWIRE_CONSUMER_ERRC_NAME(partition_not_assigned)
      KWIRE_CONSUMER_ERRC_NAME(max_poll_interval_exceeded)
      KWIRE_CONSUMER_ERRC_NAME(member_lost_partitions)
      KWIRE_CONSUMER_ERRC_NAME(fatal_group_error)
      KWIRE_CONSUMER_ERRC_NAME(no_group_id)
      KWIRE_CONSUMER_ERRC_NAME(closed)
#undef KWIRE_CONSUMER_ERRC_NAME
    }
  }
  if (error.category() == producer::transaction_category()) {
    using producer::transaction_errc;
    switch (static_cast<transaction_errc>(error.value())) {
#define KWIRE_TRANSACTION_ERRC_NAME(e) \
  case transaction_errc::e:            \
    return #e;
      KWIRE_TRANSACTION_ERRC_NAME(ok)
      KWIRE_TRANSACTION_ERRC_NAME(invalid_state)
      KWIRE_TRANSACTION_ERRC_NAME(operation_pending)
      KWIRE_TRANSACTION_ERRC_NAME(aborted)
      KWIRE_TRANSACTION_ERRC_NAME(retries_exhausted)
#undef KWIRE_TRANSACTION_ERRC_NAME
    }
  }
  return {};
}

const char* category_of(const std::error_code& error) {
  if (error.category() == kafka_category()) return "kafka";
  if (error.category() == client_category() || error.category() == consumer_category() ||
      error.category() == producer::transaction_category())
    return "kwire";
  return error.category().name();
}

}  // namespace

nb::object make_error(const std::error_code& error, std::string_view detail) {
  const bool retriable = error == error_kind::retriable;
  return error_factory()(category_of(error), error.value(), name_of(error), error.message(),
                         std::string(detail), retriable);
}

nb::object make_transaction_error(const producer::TransactionStatus& status) {
  const std::string_view kind = producer::to_string(status.kind);
  return error_factory()(category_of(status.error), status.error.value(), name_of(status.error),
                         status.error.message(), status.detail, nb::none(), "kind"_a = std::string(kind));
}

nb::object make_usage_error(const std::string& message) {
  return error_factory()("kwire", -1, "illegal_state", message, "", false);
}

nb::object make_topic_partition(std::string_view topic, std::int32_t partition) {
  nb::str name(topic.data(), topic.size());
  if (!hooks().topic_partition) return nb::make_tuple(name, partition);
  return nb::handle(hooks().topic_partition)(name, partition);
}

nb::object make_timeout_error(const std::string& message) {
  return error_factory()("kwire", static_cast<int>(client_errc::timed_out), "timed_out", message, "",
                         true);
}

nb::object make_config_error(std::string_view key, std::string_view message) {
  return error_factory()("config", static_cast<int>(client_errc::invalid_config), std::string(key),
                         std::string(message), "", false);
}

void raise(const nb::object& exception) {
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
  throw nb::python_error();
}

namespace {

// RecordMetadata as a plain CPython object: one is made per delivered
// record (the callback and asyncio paths), and a nanobind instance (its
// registry entry, a std::string copy of the topic) cost more than the rest.
struct RecordMetadataObject {
  PyObject_HEAD
  PyObject* topic;  // str
  long long offset;
  long long timestamp;
  int partition;
  int serialized_key_size;
  int serialized_value_size;
  int serialized_header_size;
};

PyTypeObject* record_metadata_type = nullptr;

RecordMetadataObject* as_metadata(PyObject* self) { return reinterpret_cast<RecordMetadataObject*>(self); }

void metadata_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  Py_XDECREF(as_metadata(self)->topic);
  PyObject_Free(self);
  Py_DECREF(type);
}

PyObject* metadata_topic_partition(PyObject* self, void*) {
  const RecordMetadataObject& md = *as_metadata(self);
  try {
    nb::handle factory = hooks().topic_partition;
    if (!factory) return nb::make_tuple(nb::handle(md.topic), md.partition).release().ptr();
    return factory(nb::handle(md.topic), md.partition).release().ptr();
  } catch (nb::python_error& e) {
    e.restore();
    return nullptr;
  }
}

PyObject* metadata_repr(PyObject* self) {
  const RecordMetadataObject& md = *as_metadata(self);
  return PyUnicode_FromFormat("RecordMetadata(topic=%R, partition=%d, offset=%lld, timestamp=%lld)", md.topic,
                              md.partition, md.offset, md.timestamp);
}

PyMemberDef metadata_members[] = {
    {"topic", Py_T_OBJECT_EX, offsetof(RecordMetadataObject, topic), Py_READONLY, nullptr},
    {"partition", Py_T_INT, offsetof(RecordMetadataObject, partition), Py_READONLY, nullptr},
    {"offset", Py_T_LONGLONG, offsetof(RecordMetadataObject, offset), Py_READONLY,
     "-1 with acks=0 (the broker does not answer)"},
    {"timestamp", Py_T_LONGLONG, offsetof(RecordMetadataObject, timestamp), Py_READONLY,
     "CreateTime in ms as sent, or the broker's LogAppendTime"},
    {"serialized_key_size", Py_T_INT, offsetof(RecordMetadataObject, serialized_key_size), Py_READONLY,
     "-1 for a null key"},
    {"serialized_value_size", Py_T_INT, offsetof(RecordMetadataObject, serialized_value_size), Py_READONLY,
     "-1 for a null value"},
    {"serialized_header_size", Py_T_INT, offsetof(RecordMetadataObject, serialized_header_size), Py_READONLY,
     "bytes of header keys and values, -1 without headers"},
    {nullptr, 0, 0, 0, nullptr}};

PyGetSetDef metadata_getset[] = {
    {"topic_partition", metadata_topic_partition, nullptr, "kwire.TopicPartition(topic, partition)", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyType_Slot metadata_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(metadata_dealloc)},
    {Py_tp_repr, reinterpret_cast<void*>(metadata_repr)},
    {Py_tp_members, metadata_members},
    {Py_tp_getset, metadata_getset},
    {Py_tp_doc, const_cast<char*>("Where a record was written (kafka-python's RecordMetadata fields).")},
    {0, nullptr}};

}  // namespace

namespace {

nb::object decode_topic(const std::string& topic) {
  nb::object str = nb::steal(PyUnicode_FromStringAndSize(topic.data(), static_cast<Py_ssize_t>(topic.size())));
  if (!str.is_valid()) throw nb::python_error();
  return str;
}

}  // namespace

nb::object TopicNames::str(const std::string& topic) {
  if (!last_str_.is_valid() || topic != last_) {
    last_str_ = decode_topic(topic);
    last_ = topic;
  }
  return last_str_;
}

nb::object outcome_of(const Completion& completion, bool& failed, TopicNames* topics) {
  const producer::DeliveryReport& report = completion.report;
  failed = !report.ok();
  if (failed) return make_error(report.error, report.detail);
  nb::object topic = topics ? topics->str(report.metadata.topic) : decode_topic(report.metadata.topic);
  auto* md = PyObject_New(RecordMetadataObject, record_metadata_type);
  if (!md) throw nb::python_error();
  md->topic = topic.release().ptr();
  md->partition = report.metadata.partition;
  md->offset = report.metadata.offset;
  md->timestamp = report.metadata.timestamp_ms;
  md->serialized_key_size = completion.key_size;
  md->serialized_value_size = completion.value_size;
  md->serialized_header_size = completion.header_size;
  return nb::steal(reinterpret_cast<PyObject*>(md));
}

void bind_python_types(nb::module_& m) {
  static PyType_Spec metadata_spec = {"kwire._core.RecordMetadata", sizeof(RecordMetadataObject), 0,
                                      Py_TPFLAGS_DEFAULT, metadata_slots};
  record_metadata_type = add_type(m, "RecordMetadata", metadata_spec);

  m.def(
      "_set_hooks",
      [](nb::object error_factory, nb::object topic_partition) {
        hooks().error_factory = error_factory.release().ptr();
        hooks().topic_partition = topic_partition.release().ptr();
      },
      "error_factory"_a, "topic_partition"_a, "Called once by kwire/__init__.py.");
}

}  // namespace kwire::python
