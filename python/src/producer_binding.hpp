#pragma once
// kwire._core.Producer and kwire._core.DeliveryFuture: the C++ half of
// kwire.Producer (kwire/_producer.py adds config spellings, the context
// manager and statistics()). See completion.hpp for the thread rules.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>

#include <tuple>

#include "completion.hpp"
#include "delivery_future.hpp"
#include "kwire/producer/producer.hpp"
#include "python_types.hpp"

namespace kwire::python {

class AsyncSink;

/// What kwire's callbacks may touch after the Python object is gone: the
/// producer (destroyed first, so every callback has run) and the count of
/// records without a report yet.
struct ProducerCore {
  // Two counts, each written by one side and on its own cache line: one
  // shared `pending` count, incremented by send() and decremented by the
  // network thread, put a contended cache line in every record's path.
  alignas(64) std::atomic<std::int64_t> sent{0};      // by send() (records kwire took)
  alignas(64) std::atomic<std::int64_t> reported{0};  // by kwire's delivery callbacks
  alignas(64) std::unique_ptr<kwire::Producer> producer;
  ~ProducerCore() { producer.reset(); }

  /// Records sent and not yet reported. `reported` is read first, so a
  /// record whose report a caller has seen is not counted.
  std::int64_t pending() const noexcept {
    const std::int64_t done = reported.load(std::memory_order_acquire);
    return std::max<std::int64_t>(sent.load(std::memory_order_acquire) - done, 0);
  }
};

class Producer {
 public:
  Producer(const std::map<std::string, std::string>& properties, nanobind::object key_serializer,
           nanobind::object value_serializer);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  /// A DeliveryFuture (delivery_future.hpp).
  /// `topic` must be a str (send_fastcall checks).
  nanobind::object send(nanobind::handle topic, nanobind::handle value, nanobind::handle key,
                        nanobind::handle headers, const std::optional<std::int32_t>& partition,
                        const std::optional<std::int64_t>& timestamp_ms);
  /// For AIOProducer: never blocks (see the binding's docstring). `sink` is
  /// `sink_object`'s C++ object.
  nanobind::object try_send_to(nanobind::object future, AsyncSink& sink, nanobind::object sink_object,
                               nanobind::handle topic, nanobind::handle value, nanobind::handle key,
                               nanobind::handle headers, const std::optional<std::int32_t>& partition,
                               const std::optional<std::int64_t>& timestamp_ms);
  /// AIOProducer.send: try_send_to with a new AioFuture of `sink`'s loop.
  nanobind::object aio_send(AsyncSink& sink, nanobind::handle sink_object, nanobind::handle topic,
                            nanobind::handle value, nanobind::handle key, nanobind::handle headers,
                            const std::optional<std::int32_t>& partition,
                            const std::optional<std::int64_t>& timestamp_ms);
  nanobind::object send_without_waiting(const nanobind::str& topic, nanobind::handle value, nanobind::handle key,
                                      nanobind::handle headers, std::optional<std::int32_t> partition,
                                      std::optional<std::int64_t> timestamp_ms);
  void flush(std::optional<double> timeout);
  void close(std::optional<double> timeout);
  void wait_for_cluster(double timeout);
  std::string statistics_json();
  std::int64_t pending() const noexcept { return core_->pending(); }
  bool closed() const noexcept { return closed_.load(); }
  const producer::ProducerConfig& config() const noexcept { return core_->producer->config(); }
  /// delivery.timeout.ms in seconds: close()'s default.
  double delivery_timeout() const noexcept;

  // Transactions (transaction_binding.cpp): each raises the
  // kwire.errors.TransactionError subclass its TransactionStatus kind names.
  // A timeout of None is max.block.ms (as Java's).
  /// (group.id, generation, member id, group.instance.id): the consumer's
  /// group metadata for send_offsets_to_transaction (KIP-447).
  using GroupTuple = std::tuple<std::string, std::int32_t, std::string, std::optional<std::string>>;
  void init_transactions(std::optional<double> timeout);
  void begin_transaction();
  void send_offsets_to_transaction(const std::vector<OffsetTuple>& offsets, const GroupTuple& group,
                                   std::optional<double> timeout);
  void commit_transaction(std::optional<double> timeout);
  void abort_transaction(std::optional<double> timeout);

 private:
  class Outgoing;
  /// What `serializer` (not None) makes of `data` (not None).
  nanobind::object serialize(const nanobind::object& serializer, bool takes_topic, nanobind::handle topic,
                             nanobind::handle data, nanobind::handle headers);

  std::shared_ptr<ProducerCore> core_;
  std::atomic<bool> closed_{false};
  nanobind::object key_serializer_;
  nanobind::object value_serializer_;
  bool key_serializer_takes_topic_ = false;
  bool value_serializer_takes_topic_ = false;
};

void bind_producer(nanobind::module_& module);
/// kwire._core._AioSender: AIOProducer's base class (aio_sender.cpp).
void bind_aio_sender(nanobind::module_& module);
/// Adds the transactional calls to kwire._core.Producer.
void bind_producer_transactions(nanobind::class_<Producer>& producer_class);

/// Resolves the asyncio `future` through `sink` after every record whose
/// delivery callback already ran (AIOProducer.flush).
void dispatch_barrier(nanobind::object future, nanobind::object sink);

}  // namespace kwire::python
