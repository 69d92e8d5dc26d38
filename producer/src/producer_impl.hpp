// Producer::Impl, the state behind kwire::Producer: shared by the
// application-thread and network-thread halves (producer_impl.cpp) and the
// public facade (producer.cpp). Internal; never installed.
#pragma once

#include "kwire/producer/producer.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "kwire/net/connection_pool.hpp"
#include "kwire/net/network_loop.hpp"
#include "kwire/cluster/metadata_cache.hpp"
#include "idempotence.hpp"
#include "kwire/producer/partitioner.hpp"
#include "producer_state.hpp"
#include "record_accumulator.hpp"
#include "kwire/cluster/security_options.hpp"
#include "sender.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "producer_transactions.hpp"
#include "send_clock.hpp"
#include "same_string.hpp"
#include "topic_registry.hpp"
#include "transactional_state.hpp"

namespace kwire {

using namespace producer;

struct Producer::Impl {
  Impl(ProducerConfig c, asio::io_context* user_io, LogHandler log_handler);
  ~Impl();

  // --- Application threads ---------------------------------------------------
  /// How long one send may block: until `deadline` (metadata, then memory),
  /// or — try_send — not at all, answering "would block" instead of
  /// refusing the record, and registering `on_ready` (when set) for the
  /// moment a retry may succeed.
  struct SendWait {
    std::chrono::steady_clock::time_point deadline;
    bool try_only = false;
    std::function<void()>* on_ready = nullptr;
  };
  SendWait wait_for(std::chrono::milliseconds max_block) const {
    return {std::chrono::steady_clock::now() + std::max(max_block, std::chrono::milliseconds(0))};
  }
  TrySendResult send(const RecordView& record, DeliveryCallback& callback, SendWait wait);
  bool flush(std::chrono::milliseconds timeout);
  bool close(std::chrono::milliseconds timeout);
  std::vector<PartitionMetadata> partitions_for(std::string_view topic, std::error_code& error,
                                                std::chrono::milliseconds max_block, std::string* detail);
  std::error_code wait_for_cluster(std::chrono::milliseconds timeout, std::string* detail);
  /// Reports a record send() could not accept, on the calling thread.
  void refuse(const RecordView& record, std::int32_t partition, std::error_code error,
                     DeliveryCallback& callback, std::string detail = {});
  /// Runs one sender round soon (coalesced; from any thread).
  void wake() { loop.wake(); }
  bool on_io_thread() const { return loop.on_io_thread(); }
  /// How long close() gives a caller's io_context to run a posted handler
  /// before concluding nobody runs it.
  static constexpr std::chrono::milliseconds kLoopGrace{2000};
  /// "K record(s) in P partition(s) to B broker(s)" still incomplete.
  std::string describe_pending(std::size_t& records) const;
  /// Waits up to `timeout` for every batch to complete; `loop_running`
  /// turns false (and it returns early) when `probe` was not run within
  /// kLoopGrace.
  bool await_network(std::chrono::milliseconds timeout, const std::shared_ptr<std::atomic<bool>>& probe,
                     bool& loop_running);

  // --- Network thread ----------------------------------------------------------
  std::int64_t poll(std::int64_t now);
  ProducerStatistics collect_statistics();
  void deliver_statistics();
  std::size_t shutdown_network();

  const ProducerConfig config;
  const LogHandler log;

  /// The io_context (owned or the caller's), its thread, the coalesced
  /// wake and the round timer. Declared first: its thread is joined (in
  /// close()) before anything below goes, and it is destroyed last.
  net::NetworkLoop loop;

  /// Declared before the accumulator, whose destructor may run callbacks.
  CallbackErrorLog callback_errors;
  RecordAccumulator accumulator;
  Partitioner partitioner;
  SendClock send_clock;
  TopicRegistry registry;

  // Network thread only.
  MetadataCache metadata;
  /// Idempotence or not; fatal_error() is read by send() on any thread.
  std::unique_ptr<ProducerStateManager> state;
  std::unique_ptr<net::ConnectionPool> transport;
  std::unique_ptr<Sender> sender;
  /// transactional.id set: the calls (producer_transactions.hpp).
  std::unique_ptr<TransactionCalls> transactions;
  const std::int64_t created_ms = net::NetworkLoop::now_ms();

  std::atomic<bool> closed{false};
  std::mutex close_mutex;
  bool close_done = false;  ///< guarded by close_mutex
};

}  // namespace kwire
