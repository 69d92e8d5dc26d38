#pragma once
// kwire._core.Consumer and kwire._core.Message: the C++ half of
// kwire.Consumer (kwire/_consumer.py adds the config spellings, the buffer
// that hands out one message at a time, commit()'s defaults and the context
// manager).
//
// Threads: kwire's consumer is used by one thread at a time. The binding
// serialises every call on ConsumerState::use, a mutex only ever waited for
// with the GIL released (a thread that holds the GIL never waits for it), so
// a poll on one Python thread and close() on another cannot deadlock.
// close() sets `closing` first: a poll in progress returns at the end of its
// current slice (200 ms at most). Polls wait in slices of 200 ms with the GIL
// released and run the signal handlers between slices, so Ctrl+C interrupts
// a blocking poll; kwire's own poll() is never left running in the
// background.
//
// Rebalance callbacks (on_assign, on_revoke, on_lost) run inside kwire's
// poll() and close() on the thread that holds `use`: they take the GIL there
// and may call this consumer again (commit, seek, position...): a call from
// the thread that holds `use` (ConsumerState::owner) goes straight to kwire.
// An exception a callback raises is kept and raised by the poll or close that
// ran it (kwire's code in between never sees a Python exception).
//
// Copies: kwire's records are views into the fetched bytes, valid until the
// next poll(). A Python object may outlive that, so each key, value and
// header value is copied once into an immutable `bytes` while the views are
// valid (a memoryview over the fetch buffer would dangle after the next
// poll, and pinning the buffer per message would keep whole fetch responses
// alive for one retained message). Messages of one topic share one `str`.
#include <atomic>
#include <cstdint>
#include <thread>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nanobind/nanobind.h>

#include "kwire/consumer/consumer.hpp"
#include "python_types.hpp"

namespace kwire::python {

/// One consumed record (kafka-python's ConsumerRecord fields).
struct Message {
  nanobind::object topic;  ///< str
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp = 0;
  std::int32_t timestamp_type = 0;  ///< 0 CreateTime, 1 LogAppendTime
  std::int32_t leader_epoch = -1;
  nanobind::object key;      ///< bytes, or None for a null key
  nanobind::object value;    ///< bytes, or None for a null value (a tombstone)
  nanobind::object headers;  ///< tuple of (str, bytes | None)
};

class Consumer;

/// What outlives the Python object while a background close runs.
struct ConsumerState {
  std::mutex use;  ///< one kwire call at a time; waited for with the GIL released only
  std::unique_ptr<consumer::Consumer> consumer;  ///< under `use`; null once closed
  std::atomic<bool> closing{false};
  /// The thread holding `use` while kwire may run rebalance callbacks on it.
  std::atomic<std::thread::id> owner{};
  /// Whether rebalance callbacks go anywhere: lets kwire's callback return
  /// without taking the GIL when none is set or the Python object is gone.
  std::atomic<bool> listening{false};
  Consumer* listener = nullptr;  ///< GIL-guarded; null once the Python object is gone
  /// commit_async() results by token (kwire runs their callbacks inside a
  /// later poll/commit/close, GIL released: C++ only here).
  std::mutex finished_mutex;
  std::vector<std::pair<std::uint64_t, consumer::CommitResult>> finished_commits;
};

class Consumer {
 public:
  friend void forward_rebalance(ConsumerState*, consumer::RebalanceEvent::Kind,
                                const std::vector<consumer::TopicPartition>&);
  explicit Consumer(const std::map<std::string, std::string>& properties);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  void subscribe(const std::vector<std::string>& topics);
  void subscribe_pattern(const std::string& pattern);
  /// Rebalance callbacks fn(consumer, [TopicPartition, ...]) (None: none).
  void set_listener(nanobind::object on_assign, nanobind::object on_revoke, nanobind::object on_lost);
  void assign(const std::vector<PartitionTuple>& partitions);
  void unsubscribe();
  nanobind::list assignment();

  /// One kwire poll (up to max.poll.records), waiting at most `timeout`
  /// seconds (None: until records arrive or close()).
  nanobind::list fetch(std::optional<double> timeout);

  void commit(const std::vector<OffsetTuple>& offsets, std::optional<double> timeout);
  void commit_async(const std::vector<OffsetTuple>& offsets, nanobind::object callback);
  nanobind::dict committed(const std::vector<PartitionTuple>& partitions, std::optional<double> timeout);
  /// (topic, partition, timestamp ms) -> {TopicPartition: (offset,
  /// timestamp, leader_epoch or None) or None}.
  nanobind::dict offsets_for_times(const std::vector<std::tuple<std::string, std::int32_t, std::int64_t>>& timestamps,
                                   std::optional<double> timeout);
  /// {TopicPartition: offset}: each partition's log start.
  nanobind::dict beginning_offsets(const std::vector<PartitionTuple>& partitions, std::optional<double> timeout);
  /// {TopicPartition: offset}: each partition's end (the LSO under read_committed).
  nanobind::dict end_offsets(const std::vector<PartitionTuple>& partitions, std::optional<double> timeout);

  std::optional<std::int64_t> position(const std::string& topic, std::int32_t partition);
  void seek(const std::string& topic, std::int32_t partition, std::int64_t offset);
  void seek_to_beginning(const std::vector<PartitionTuple>& partitions);
  void seek_to_end(const std::vector<PartitionTuple>& partitions);
  void pause(const std::vector<PartitionTuple>& partitions);
  void resume(const std::vector<PartitionTuple>& partitions);
  nanobind::list paused();
  nanobind::object watermarks(const std::string& topic, std::int32_t partition);

  std::string member_id();
  /// Consumer::statistics_json() (docs/observability.md).
  std::string statistics_json();
  std::int32_t generation();
  /// (group_id, generation_id, member_id, group_instance_id), read together.
  nanobind::tuple group_metadata();
  const std::string& group_id() const noexcept { return group_id_; }
  const std::optional<std::string>& group_instance_id() const noexcept { return group_instance_id_; }

  void begin_close() noexcept;
  void close(std::optional<double> timeout);
  bool closed() const noexcept;

 private:
  template <class F>
  auto locked(F&& f);
  void on_rebalance(consumer::RebalanceEvent::Kind kind, const std::vector<consumer::TopicPartition>& partitions);
  void raise_callback_error();
  void run_commit_callbacks();
  [[noreturn]] void raise_fetch_errors(std::vector<consumer::FetchError> errors);

  std::shared_ptr<ConsumerState> state_;
  std::string group_id_;
  std::optional<std::string> group_instance_id_;
  std::chrono::milliseconds default_api_timeout_{60000};
  // GIL-guarded.
  std::map<std::uint64_t, nanobind::object> commit_callbacks_;
  std::uint64_t next_commit_token_ = 1;
  bool subscribed_ = false;
  // Rebalance callbacks (GIL-guarded).
  nanobind::object on_assign_, on_revoke_, on_lost_;
  std::optional<nanobind::python_error> callback_error_;
  std::vector<consumer::FetchError> pending_errors_;  ///< came with records: raised by the next fetch
};

void bind_consumer(nanobind::module_& module);

}  // namespace kwire::python
