#include "consumer_binding.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "background_close.hpp"
#include "interruptible.hpp"
#include "kwire/cluster/client_config.hpp"
#include "kwire/consumer/consumer_error.hpp"
#include "python_types.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace kwire::python {
namespace {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
using consumer::TopicPartition;

// What a std::system_error's what() adds to its code's message ("seek(t/0)"
// in "seek(t/0): partition not assigned to this consumer"), for `detail`.
std::string context_of(const std::system_error& e) {
  std::string what = e.what();
  const std::string message = e.code().message();
  if (what == message) return {};
  if (what.size() > message.size() + 2 && what.ends_with(": " + message))
    what.resize(what.size() - message.size() - 2);
  return what;
}

// Rethrows the exception being handled as its kwire.errors class. Call with
// the GIL held, inside a catch block.
[[noreturn]] void raise_translated() {
  try {
    throw;
  } catch (const ConfigError& e) {
    raise(make_config_error(e.key(), e.what()));
  } catch (const std::system_error& e) {
    raise(make_error(e.code(), context_of(e)));
  } catch (const std::logic_error& e) {  // subscribe() without group.id, assign() after subscribe(), ...
    raise(make_usage_error(e.what()));
  }
}

std::vector<TopicPartition> to_partitions(const std::vector<PartitionTuple>& partitions) {
  std::vector<TopicPartition> out;
  out.reserve(partitions.size());
  for (const auto& [topic, partition] : partitions) out.push_back({topic, partition});
  return out;
}

std::vector<consumer::CommitOffset> to_commit_offsets(const std::vector<OffsetTuple>& offsets) {
  std::vector<consumer::CommitOffset> out;
  out.reserve(offsets.size());
  for (const auto& [topic, partition, offset, metadata] : offsets)
    out.push_back({.partition = {topic, partition}, .offset = offset, .leader_epoch = -1, .metadata = metadata});
  return out;
}

nb::list partition_list(const std::vector<TopicPartition>& partitions) {
  nb::list out;
  for (const auto& tp : partitions) out.append(make_topic_partition(tp.topic, tp.partition));
  return out;
}

nb::object optional_bytes(const std::optional<consumer::Bytes>& bytes) {
  if (!bytes) return nb::none();
  return nb::bytes(bytes->data(), bytes->size());
}

nb::object headers_tuple(const consumer::HeadersView& headers) {
  if (headers.empty()) return nb::tuple();
  nb::list pairs;
  headers.for_each([&](const consumer::HeaderView& header) {
    // Header keys are strings in Kafka's API; bytes that are not UTF-8
    // survive as surrogates (key.encode("utf-8", "surrogateescape")).
    nb::object key = nb::steal(PyUnicode_DecodeUTF8(header.key.data(), static_cast<Py_ssize_t>(header.key.size()),
                                                    "surrogateescape"));
    if (!key.is_valid()) throw nb::python_error();
    pairs.append(nb::make_tuple(key, optional_bytes(header.value)));
  });
  return nb::tuple(pairs);
}

// The records of one poll as Messages, while their views are valid.
void append_messages(std::span<const consumer::ConsumerRecord> records, nb::list& out) {
  nb::object topic;
  std::string_view topic_name;
  for (const auto& record : records) {
    if (!topic.is_valid() || record.topic != topic_name) {
      topic = nb::str(record.topic.data(), record.topic.size());
      topic_name = record.topic;
    }
    Message message;
    message.topic = topic;
    message.partition = record.partition;
    message.offset = record.offset;
    message.timestamp = record.timestamp;
    message.timestamp_type = static_cast<std::int32_t>(record.timestamp_type);
    message.leader_epoch = record.leader_epoch;
    message.key = optional_bytes(record.key);
    message.value = optional_bytes(record.value);
    message.headers = headers_tuple(record.headers);
    out.append(nb::cast(std::move(message)));
  }
}

nb::dict offsets_dict(const std::vector<consumer::CommitOffset>& offsets) {
  nb::dict out;
  for (const auto& o : offsets) out[make_topic_partition(o.partition.topic, o.partition.partition)] = o.offset;
  return out;
}

// {TopicPartition: offset}, from beginning_offsets() / end_offsets().
nb::dict offsets_dict(const std::map<TopicPartition, std::int64_t>& offsets) {
  nb::dict out;
  for (const auto& [tp, offset] : offsets) out[make_topic_partition(tp.topic, tp.partition)] = offset;
  return out;
}

// Marks the current thread as the one holding `use` while kwire may run
// rebalance callbacks on it (see the header).
class OwnerScope {
 public:
  explicit OwnerScope(ConsumerState& state) : state_(state) { state_.owner = std::this_thread::get_id(); }
  ~OwnerScope() { state_.owner = std::thread::id(); }
  OwnerScope(const OwnerScope&) = delete;
  OwnerScope& operator=(const OwnerScope&) = delete;

 private:
  ConsumerState& state_;
};

// The partition errors of the last poll that still hold: kwire queues a
// no-offset error per OffsetFetch answer, so one queued just before a
// seek() would otherwise be raised after the seek fixed the partition.
std::vector<consumer::FetchError> current_errors(const consumer::Consumer& c) {
  std::vector<consumer::FetchError> out;
  for (const auto& e : c.errors()) {
    if (e.error == consumer_errc::no_offset_for_partition && c.position(e.partition)) continue;
    out.push_back(e);
  }
  return out;
}

bool inside_callback(const ConsumerState& state) { return state.owner.load() == std::this_thread::get_id(); }

// Waits for `use` with the GIL released (see the header's thread rules).
std::unique_lock<std::mutex> lock_released(std::mutex& use) {
  nb::gil_scoped_release release;
  return std::unique_lock(use);
}

}  // namespace

void forward_rebalance(ConsumerState* state, consumer::RebalanceEvent::Kind kind,
                       const std::vector<TopicPartition>& partitions) {
  if (!state->listening.load()) return;
  nb::gil_scoped_acquire gil;
  if (Consumer* target = state->listener) target->on_rebalance(kind, partitions);
}

void Consumer::on_rebalance(consumer::RebalanceEvent::Kind kind, const std::vector<TopicPartition>& partitions) {
  using Kind = consumer::RebalanceEvent::Kind;
  nb::object fn = kind == Kind::assigned ? on_assign_ : kind == Kind::revoked ? on_revoke_ : on_lost_;
  if (kind == Kind::lost && (!fn.is_valid() || fn.is_none())) fn = on_revoke_;  // Java's default
  if (!fn.is_valid() || fn.is_none()) return;
  try {
    fn(nb::find(this), partition_list(partitions));
  } catch (nb::python_error& e) {
    if (!callback_error_) callback_error_.emplace(std::move(e));  // raised by the poll/close that ran it
  }
}

void Consumer::set_listener(nb::object on_assign, nb::object on_revoke, nb::object on_lost) {
  on_assign_ = std::move(on_assign);
  on_revoke_ = std::move(on_revoke);
  on_lost_ = std::move(on_lost);
  state_->listener = this;
  state_->listening = !on_assign_.is_none() || !on_revoke_.is_none() || !on_lost_.is_none();
}

void Consumer::raise_callback_error() {
  if (!callback_error_) return;
  nb::python_error error = std::move(*callback_error_);
  callback_error_.reset();
  throw error;
}

Consumer::Consumer(const std::map<std::string, std::string>& properties) : state_(std::make_shared<ConsumerState>()) {
  try {
    auto config = consumer::ConsumerConfig::from_properties(properties);
    group_id_ = config.group_id;
    group_instance_id_ = config.group_instance_id;
    default_api_timeout_ = milliseconds(config.default_api_timeout_ms);
    using Kind = consumer::RebalanceEvent::Kind;
    ConsumerState* state = state_.get();  // outlives the kwire consumer
    consumer::RebalanceCallbacks callbacks;
    callbacks.on_assigned = [state](consumer::Consumer&, const std::vector<TopicPartition>& partitions) {
      forward_rebalance(state, Kind::assigned, partitions);
    };
    callbacks.on_revoked = [state](consumer::Consumer&, const std::vector<TopicPartition>& partitions) {
      forward_rebalance(state, Kind::revoked, partitions);
    };
    callbacks.on_lost = [state](consumer::Consumer&, const std::vector<TopicPartition>& partitions,
                                std::error_code) { forward_rebalance(state, Kind::lost, partitions); };
    nb::gil_scoped_release release;
    state_->consumer = std::make_unique<consumer::Consumer>(std::move(config), std::move(callbacks));
  } catch (...) {
    raise_translated();
  }
}

Consumer::~Consumer() {
  // Never closed: kwire's destructor closes (commit, LeaveGroup: up to
  // default.api.timeout.ms), away from this thread.
  if (!state_) return;
  state_->closing = true;
  state_->listening = false;  // the background close runs no Python
  state_->listener = nullptr;
  close_in_background([state = std::move(state_)] {
    std::lock_guard lock(state->use);
    state->consumer.reset();
  });
}

// Runs f(consumer) holding `use`, GIL released; kwire's exceptions come out
// as kwire.errors classes.
template <class F>
auto Consumer::locked(F&& f) {
  std::shared_ptr<ConsumerState> state = state_;
  try {
    nb::gil_scoped_release release;
    // Inside a rebalance callback this thread holds `use` already.
    std::unique_lock lock(state->use, std::defer_lock);
    if (state->owner.load() != std::this_thread::get_id()) lock.lock();
    if (!state->consumer) throw std::system_error(make_error_code(consumer_errc::closed));
    return f(*state->consumer);
  } catch (...) {
    raise_translated();
  }
}

void Consumer::subscribe(const std::vector<std::string>& topics) {
  locked([&](consumer::Consumer& c) { c.subscribe({topics.begin(), topics.end()}); });
  subscribed_ = true;
}

void Consumer::subscribe_pattern(const std::string& pattern) {
  locked([&](consumer::Consumer& c) { c.subscribe_pattern(pattern); });
  subscribed_ = true;
}

void Consumer::assign(const std::vector<PartitionTuple>& partitions) {
  locked([&](consumer::Consumer& c) { c.assign(to_partitions(partitions)); });
}

void Consumer::unsubscribe() {
  // kwire has no unsubscribe(): an empty subscription (the member stays in
  // the group with nothing assigned) or an empty assignment.
  locked([&](consumer::Consumer& c) {
    if (subscribed_) c.subscribe({});
    else c.assign({});
  });
}

nb::list Consumer::assignment() {
  return partition_list(locked([](consumer::Consumer& c) { return c.assignment(); }));
}

void Consumer::raise_fetch_errors(std::vector<consumer::FetchError> errors) {
  std::string detail = errors.front().message;
  if (errors.size() > 1) detail += " (and " + std::to_string(errors.size() - 1) + " more partition errors)";
  raise(make_error(errors.front().error, detail));
}

nb::list Consumer::fetch(std::optional<double> timeout) {
  if (inside_callback(*state_)) raise(make_usage_error("poll() inside a rebalance callback"));
  raise_callback_error();
  if (!pending_errors_.empty()) raise_fetch_errors(std::exchange(pending_errors_, {}));
  const auto deadline = timeout ? steady::now() + to_millis(timeout) : steady::time_point::max();
  std::shared_ptr<ConsumerState> state = state_;
  nb::list out;
  {
    std::unique_lock lock = lock_released(state->use);
    for (;;) {
      if (!state->consumer) raise(make_error(consumer_errc::closed, "poll"));
      if (state->closing.load()) break;  // close() under way on another thread
      const auto remaining = deadline - steady::now();
      const auto slice =
          std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                        std::min<steady::duration>(signal_check_interval, remaining)));
      std::span<const consumer::ConsumerRecord> records;
      try {
        nb::gil_scoped_release release;
        OwnerScope owner(*state);  // rebalance callbacks run in here
        records = state->consumer->poll(slice);
      } catch (...) {
        raise_translated();
      }
      append_messages(records, out);  // the views die with the next poll: copy now
      if (out.size() == 0) raise_callback_error();  // else the next poll raises it
      if (auto errors = current_errors(*state->consumer); !errors.empty()) {
        if (out.size() == 0) raise_fetch_errors(std::move(errors));
        pending_errors_ = std::move(errors);  // hand out the records first
      }
      if (out.size() > 0 || steady::now() >= deadline) break;
      // A signal handler may use this consumer (close() on Ctrl+C): not
      // while `use` is held.
      lock.unlock();
      if (PyErr_CheckSignals() != 0) throw nb::python_error();
      lock = lock_released(state->use);
    }
  }
  run_commit_callbacks();
  return out;
}

void Consumer::commit(const std::vector<OffsetTuple>& offsets, std::optional<double> timeout) {
  const milliseconds limit = timeout ? to_millis(timeout) : default_api_timeout_;
  const std::error_code error =
      locked([&](consumer::Consumer& c) { return c.commit_sync(to_commit_offsets(offsets), limit); });
  run_commit_callbacks();
  if (error) raise(make_error(error, "commit"));
}

void Consumer::commit_async(const std::vector<OffsetTuple>& offsets, nb::object callback) {
  const std::uint64_t token = next_commit_token_++;
  if (!callback.is_none()) commit_callbacks_[token] = std::move(callback);
  ConsumerState* state = state_.get();  // kwire runs `done` inside a call on it, or in its close()
  locked([&](consumer::Consumer& c) {
    c.commit_async(to_commit_offsets(offsets), [state, token](const consumer::CommitResult& result) {
      std::lock_guard lock(state->finished_mutex);
      state->finished_commits.emplace_back(token, result);
    });
  });
}

void Consumer::run_commit_callbacks() {
  std::vector<std::pair<std::uint64_t, consumer::CommitResult>> finished;
  {
    std::lock_guard lock(state_->finished_mutex);
    finished.swap(state_->finished_commits);
  }
  for (auto& [token, result] : finished) {
    auto callback = commit_callbacks_.extract(token);
    if (callback.empty()) continue;  // commit(asynchronous=True) without a callback
    nb::object error = result.error ? make_error(result.error, "commit") : nb::none();
    callback.mapped()(error, offsets_dict(result.offsets));
  }
}

nb::dict Consumer::committed(const std::vector<PartitionTuple>& partitions, std::optional<double> timeout) {
  const milliseconds limit = timeout ? to_millis(timeout) : default_api_timeout_;
  auto result = locked([&](consumer::Consumer& c) { return c.committed(to_partitions(partitions), limit); });
  nb::dict out;
  for (const auto& [tp, offset] : result) {
    nb::object value = offset ? nb::cast(offset->offset) : nb::none();
    out[make_topic_partition(tp.topic, tp.partition)] = value;
  }
  return out;
}

nb::dict Consumer::offsets_for_times(
    const std::vector<std::tuple<std::string, std::int32_t, std::int64_t>>& timestamps, std::optional<double> timeout) {
  const milliseconds limit = timeout ? to_millis(timeout) : default_api_timeout_;
  std::map<TopicPartition, std::int64_t> asked;
  for (const auto& [topic, partition, timestamp] : timestamps) asked[{topic, partition}] = timestamp;
  auto found = locked([&](consumer::Consumer& c) { return c.offsets_for_times(asked, limit); });
  nb::dict out;
  for (const auto& [tp, answer] : found) {
    nb::object value = nb::none();
    if (answer) {
      nb::object epoch = answer->leader_epoch ? nb::cast(*answer->leader_epoch) : nb::none();
      value = nb::make_tuple(answer->offset, answer->timestamp, epoch);
    }
    out[make_topic_partition(tp.topic, tp.partition)] = value;
  }
  return out;
}

nb::dict Consumer::beginning_offsets(const std::vector<PartitionTuple>& partitions, std::optional<double> timeout) {
  const milliseconds limit = timeout ? to_millis(timeout) : default_api_timeout_;
  return offsets_dict(
      locked([&](consumer::Consumer& c) { return c.beginning_offsets(to_partitions(partitions), limit); }));
}

nb::dict Consumer::end_offsets(const std::vector<PartitionTuple>& partitions, std::optional<double> timeout) {
  const milliseconds limit = timeout ? to_millis(timeout) : default_api_timeout_;
  return offsets_dict(
      locked([&](consumer::Consumer& c) { return c.end_offsets(to_partitions(partitions), limit); }));
}

std::optional<std::int64_t> Consumer::position(const std::string& topic, std::int32_t partition) {
  return locked([&](consumer::Consumer& c) { return c.position({topic, partition}); });
}

void Consumer::seek(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  locked([&](consumer::Consumer& c) { c.seek({topic, partition}, offset); });
}

void Consumer::seek_to_beginning(const std::vector<PartitionTuple>& partitions) {
  locked([&](consumer::Consumer& c) { c.seek_to_beginning(to_partitions(partitions)); });
}

void Consumer::seek_to_end(const std::vector<PartitionTuple>& partitions) {
  locked([&](consumer::Consumer& c) { c.seek_to_end(to_partitions(partitions)); });
}

void Consumer::pause(const std::vector<PartitionTuple>& partitions) {
  locked([&](consumer::Consumer& c) { c.pause(to_partitions(partitions)); });
}

void Consumer::resume(const std::vector<PartitionTuple>& partitions) {
  locked([&](consumer::Consumer& c) { c.resume(to_partitions(partitions)); });
}

nb::list Consumer::paused() {
  return partition_list(locked([](consumer::Consumer& c) { return c.paused(); }));
}

nb::object Consumer::watermarks(const std::string& topic, std::int32_t partition) {
  auto marks = locked([&](consumer::Consumer& c) { return c.watermarks({topic, partition}); });
  if (!marks) return nb::none();
  return nb::make_tuple(marks->log_start_offset, marks->high_watermark, marks->last_stable_offset);
}

std::string Consumer::member_id() {
  return locked([](consumer::Consumer& c) { return c.member_id(); });
}

std::string Consumer::statistics_json() {
  return locked([](consumer::Consumer& c) { return c.statistics_json(); });
}

std::int32_t Consumer::generation() {
  return locked([](consumer::Consumer& c) { return c.generation(); });
}

nb::tuple Consumer::group_metadata() {
  const auto metadata = locked([](consumer::Consumer& c) { return c.group_metadata(); });
  nb::object instance = metadata.group_instance_id ? nb::cast(*metadata.group_instance_id) : nb::none();
  return nb::make_tuple(metadata.group_id, metadata.generation_id, metadata.member_id, instance);
}

void Consumer::close(std::optional<double> timeout) {
  if (inside_callback(*state_)) raise(make_usage_error("close() inside a rebalance callback"));
  const milliseconds limit = timeout ? to_millis(timeout) : default_api_timeout_;
  state_->closing = true;  // a poll on another thread returns at its next slice
  std::shared_ptr<ConsumerState> state = state_;
  run_interruptibly([state, limit] {
    std::lock_guard lock(state->use);
    if (state->consumer) {
      OwnerScope owner(*state);  // the revocation callbacks run in close()
      state->consumer->close(limit);
      state->consumer.reset();
    }
    return true;
  });
  state_->listening = false;
  on_assign_ = on_revoke_ = on_lost_ = nb::object();  // no cycle through the callbacks
  run_commit_callbacks();
  raise_callback_error();
}

void Consumer::begin_close() noexcept { state_->closing = true; }

bool Consumer::closed() const noexcept { return state_->closing.load(); }

void bind_consumer(nb::module_& m) {
  nb::class_<Message>(m, "Message",
                      "One consumed record. key/value are bytes (None for null); headers a tuple of "
                      "(str, bytes | None) pairs in record order. Each is a copy made when the message was "
                      "polled, so a message stays valid after later polls and after close().")
      .def_ro("topic", &Message::topic, nb::sig("def topic(self) -> str"))
      .def_ro("partition", &Message::partition)
      .def_ro("offset", &Message::offset)
      .def_ro("timestamp", &Message::timestamp, "milliseconds since the epoch")
      .def_ro("timestamp_type", &Message::timestamp_type, "0: CreateTime, 1: LogAppendTime")
      .def_ro("leader_epoch", &Message::leader_epoch)
      .def_ro("key", &Message::key, nb::sig("def key(self) -> bytes | None"))
      .def_ro("value", &Message::value, nb::sig("def value(self) -> bytes | None"))
      .def_ro("headers", &Message::headers, nb::sig("def headers(self) -> tuple[tuple[str, bytes | None], ...]"))
      .def_prop_ro(
          "topic_partition",
          [](const Message& msg) {
            return make_topic_partition(nb::cast<std::string_view>(msg.topic), msg.partition);
          },
          "kwire.TopicPartition(topic, partition)")
      .def(
          "_with",
          [](const Message& msg, nb::object key, nb::object value) {
            Message copy = msg;
            copy.key = std::move(key);
            copy.value = std::move(value);
            return copy;
          },
          "key"_a.none(), "value"_a.none(), "This message with another key and value (deserialized).")
      .def("__repr__", [](const Message& msg) {
        return "Message(topic=" + std::string(nb::repr(msg.topic).c_str()) +
               ", partition=" + std::to_string(msg.partition) + ", offset=" + std::to_string(msg.offset) +
               ", key=" + nb::repr(msg.key).c_str() + ")";
      });

  nb::class_<Consumer>(m, "Consumer")
      .def(nb::init<const std::map<std::string, std::string>&>(), "properties"_a)
      .def("_subscribe", &Consumer::subscribe, "topics"_a)
      .def("_subscribe_pattern", &Consumer::subscribe_pattern, "pattern"_a)
      .def("_set_listener", &Consumer::set_listener, "on_assign"_a.none(), "on_revoke"_a.none(), "on_lost"_a.none())
      .def("_assign", &Consumer::assign, "partitions"_a)
      .def("_unsubscribe", &Consumer::unsubscribe)
      .def("assignment", &Consumer::assignment, nb::sig("def assignment(self) -> list[tuple[str, int]]"),
           "The partitions assigned to this consumer now (kwire.TopicPartition tuples).")
      .def("_fetch", &Consumer::fetch, "timeout"_a = nb::none(),
           nb::sig("def _fetch(self, timeout: float | None = None) -> list[Message]"),
           "One kwire poll: up to max.poll.records messages, waiting at most `timeout` seconds (GIL "
           "released; Ctrl+C works; close() from another thread ends the wait).")
      .def("_commit", &Consumer::commit, "offsets"_a, "timeout"_a = nb::none())
      .def("_commit_async", &Consumer::commit_async, "offsets"_a, "callback"_a = nb::none())
      .def("_committed", &Consumer::committed, "partitions"_a, "timeout"_a = nb::none())
      .def("_offsets_for_times", &Consumer::offsets_for_times, "timestamps"_a, "timeout"_a = nb::none())
      .def("_beginning_offsets", &Consumer::beginning_offsets, "partitions"_a, "timeout"_a = nb::none())
      .def("_end_offsets", &Consumer::end_offsets, "partitions"_a, "timeout"_a = nb::none())
      .def("_group_metadata", &Consumer::group_metadata,
           "(group_id, generation_id, member_id, group_instance_id), read together.")
      .def("_position", &Consumer::position, "topic"_a, "partition"_a)
      .def("_seek", &Consumer::seek, "topic"_a, "partition"_a, "offset"_a)
      .def("_seek_to_beginning", &Consumer::seek_to_beginning, "partitions"_a)
      .def("_seek_to_end", &Consumer::seek_to_end, "partitions"_a)
      .def("_pause", &Consumer::pause, "partitions"_a)
      .def("_resume", &Consumer::resume, "partitions"_a)
      .def("paused", &Consumer::paused, nb::sig("def paused(self) -> list[tuple[str, int]]"))
      .def("_watermarks", &Consumer::watermarks, "topic"_a, "partition"_a)
      .def("statistics_json", &Consumer::statistics_json,
           "A snapshot of the consumer's statistics as JSON (docs/observability.md).")
      .def_prop_ro("member_id", &Consumer::member_id, "The group member id ('' before the first join).")
      .def_prop_ro("generation", &Consumer::generation, "The group generation (-1 before the first join).")
      .def_prop_ro("group_id", &Consumer::group_id)
      .def_prop_ro("group_instance_id", &Consumer::group_instance_id)
      .def("_begin_close", &Consumer::begin_close,
           "Ends a poll in progress (at its next slice) and every later one; close() follows.")
      .def("_close", &Consumer::close, "timeout"_a = nb::none())
      .def_prop_ro("closed", &Consumer::closed, "True once close() has started.");
}

}  // namespace kwire::python
