#pragma once
// Python objects made from kwire's results: RecordMetadata and the
// exceptions of kwire.errors (made by a factory that kwire/errors.py
// registers, so the hierarchy lives in Python where users read it).
// Every function here needs the GIL.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

#include <nanobind/nanobind.h>

#include "completion.hpp"
#include "kwire/producer/record.hpp"
#include "kwire/producer/transaction.hpp"

namespace kwire::python {

/// (topic, partition, offset, metadata): an offset to commit, as the Python
/// layer passes it (kwire/_consumer.py, kwire/_producer.py).
using OffsetTuple = std::tuple<std::string, std::int32_t, std::int64_t, std::string>;
/// (topic, partition), e.g. a kwire.TopicPartition.
using PartitionTuple = std::pair<std::string, std::int32_t>;

/// Registers RecordMetadata and the hook setters on `module`.
void bind_python_types(nanobind::module_& module);

/// The Python exception (a kwire.errors.KafkaError subclass) for `error`.
nanobind::object make_error(const std::error_code& error, std::string_view detail);
/// The exception for a failed transactional call: its class follows
/// `status.kind` (kwire.errors: RetriableTransactionError,
/// AbortableTransactionError, FatalTransactionError, ...).
nanobind::object make_transaction_error(const producer::TransactionStatus& status);
/// An IllegalStateError: a call the client's state does not allow (poll()
/// after close(), subscribe() without group.id, assign() after subscribe()).
nanobind::object make_usage_error(const std::string& message);
/// kwire.TopicPartition(topic, partition).
nanobind::object make_topic_partition(std::string_view topic, std::int32_t partition);
/// A KafkaTimeoutError with `message` (a wait that ran out in the binding).
nanobind::object make_timeout_error(const std::string& message);
/// A ConfigError for `key`.
nanobind::object make_config_error(std::string_view key, std::string_view message);

/// Raises `exception` (an instance) as the current Python error and throws
/// nanobind::python_error so nanobind propagates it.
[[noreturn]] void raise(const nanobind::object& exception);

/// The topic names of one batch of outcomes (with the GIL): the records of
/// a topic share one str instead of decoding a new one each.
class TopicNames {
 public:
  nanobind::object str(const std::string& topic);

 private:
  std::string last_;
  nanobind::object last_str_;
};

/// The delivery's outcome as Python sees it: RecordMetadata on success, the
/// exception instance on failure. `completion` must be done. `topics`, when
/// given, supplies the topic's str.
nanobind::object outcome_of(const Completion& completion, bool& failed, TopicNames* topics = nullptr);

}  // namespace kwire::python
