// kwire._core.Producer's transactional calls (KIP-98, KIP-447): each runs
// kwire's call with the GIL released (Ctrl+C works; an interrupted call goes
// on in the background and, as after a timeout, the same method called again
// picks up its result) and raises the kwire.errors class that the
// TransactionStatus kind names. kwire/_producer.py adds transaction(), the
// context manager.
#include <chrono>
#include <memory>

#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "interruptible.hpp"
#include "producer_binding.hpp"
#include "python_types.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace kwire::python {
namespace {

using std::chrono::milliseconds;

void raise_unless_ok(const producer::TransactionStatus& status) {
  if (!status.ok()) raise(make_transaction_error(status));
}

// The blocking calls take max.block.ms when no timeout is given (Java's
// maxBlockTimeMs for initTransactions/commitTransaction/abortTransaction).
milliseconds transaction_timeout(std::optional<double> timeout, const kwire::Producer& producer) {
  return timeout ? to_millis(timeout) : milliseconds(producer.config().max_block_ms);
}

}  // namespace

void Producer::init_transactions(std::optional<double> timeout) {
  const milliseconds limit = transaction_timeout(timeout, *core_->producer);
  std::shared_ptr<ProducerCore> core = core_;
  raise_unless_ok(run_interruptibly([core, limit] { return core->producer->init_transactions(limit); }));
}

void Producer::begin_transaction() {
  // Local: nothing goes on the wire, nothing to wait for.
  raise_unless_ok(core_->producer->begin_transaction());
}

void Producer::send_offsets_to_transaction(const std::vector<OffsetTuple>& offsets, const GroupTuple& group,
                                           std::optional<double> timeout) {
  const milliseconds limit = transaction_timeout(timeout, *core_->producer);
  std::vector<producer::OffsetToCommit> to_commit;
  to_commit.reserve(offsets.size());
  for (const auto& [topic, partition, offset, metadata] : offsets)
    to_commit.push_back({.partition = {topic, partition}, .offset = offset, .leader_epoch = -1, .metadata = metadata});
  producer::ConsumerGroupMetadata metadata{.group_id = std::get<0>(group),
                                           .generation_id = std::get<1>(group),
                                           .member_id = std::get<2>(group),
                                           .group_instance_id = std::get<3>(group)};
  std::shared_ptr<ProducerCore> core = core_;
  raise_unless_ok(run_interruptibly([core, limit, to_commit = std::move(to_commit), metadata = std::move(metadata)] {
    return core->producer->send_offsets_to_transaction(to_commit, metadata, limit);
  }));
}

void Producer::commit_transaction(std::optional<double> timeout) {
  const milliseconds limit = transaction_timeout(timeout, *core_->producer);
  std::shared_ptr<ProducerCore> core = core_;
  raise_unless_ok(run_interruptibly([core, limit] { return core->producer->commit_transaction(limit); }));
}

void Producer::abort_transaction(std::optional<double> timeout) {
  const milliseconds limit = transaction_timeout(timeout, *core_->producer);
  std::shared_ptr<ProducerCore> core = core_;
  raise_unless_ok(run_interruptibly([core, limit] { return core->producer->abort_transaction(limit); }));
}

void bind_producer_transactions(nb::class_<Producer>& cls) {
  cls.def_prop_ro(
         "transactional", [](const Producer& p) { return p.config().transactional(); },
         "Whether transactional.id is set (records may be sent only inside a transaction).")
      .def("init_transactions", &Producer::init_transactions, "timeout"_a = nb::none(),
          "Registers transactional.id with its coordinator (fencing older producers with the same id and "
          "aborting what they left open). Once per producer, before the first transaction.")
      .def("begin_transaction", &Producer::begin_transaction,
           "Starts a transaction (local: nothing is sent). Records may be sent only inside one.")
      .def("_send_offsets_to_transaction", &Producer::send_offsets_to_transaction, "offsets"_a, "group"_a,
           "timeout"_a = nb::none())
      .def("commit_transaction", &Producer::commit_transaction, "timeout"_a = nb::none(),
           "Flushes the transaction's records, then commits it. AbortableTransactionError: call "
           "abort_transaction(); TransactionTimeoutError: call commit_transaction() again.")
      .def("abort_transaction", &Producer::abort_transaction, "timeout"_a = nb::none(),
           "Fails the records not sent yet, waits for those in flight and aborts the transaction.");
}

}  // namespace kwire::python
