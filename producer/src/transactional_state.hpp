#pragma once
// TransactionalProducerState: the transactional producer behind the
// sender's ProducerStateManager seam (producer_state.hpp). It owns the
// TransactionManager (the coordinator's state machine) and, for sequences,
// an IdempotentProducerState primed with the manager's producer id and
// epoch — every retry, ordering and split rule of the idempotent producer
// applies unchanged inside a transaction.
//
// What changes for a transactional producer (Java's TransactionManager):
//  * The producer id comes from the transaction coordinator (InitProducerId
//    with the transactional id, sent by the sender's transaction channel,
//    sender_transactions.cpp), never from the idempotent InitProducerId: the
//    sequence state is re-primed whenever the manager's id or epoch changes
//    (init, a TV1 epoch bump after an abort, TV2's EndTxn v5 bump after every
//    transaction), which restarts every sequence at 0. That happens only at
//    transaction boundaries, when no batch is in flight (EndTxn waits for
//    them).
//  * No local epoch bump: a sequence error (OUT_OF_ORDER_SEQUENCE_NUMBER,
//    UNKNOWN_PRODUCER_ID) or INVALID_PRODUCER_EPOCH (KIP-588: the
//    coordinator aborted a timed-out transaction) fails the batch and makes
//    the transaction abortable (KIP-1050); the epoch is bumped by the
//    coordinator after the abort (librdkafka #3575). Until the manager's
//    producer id and epoch match the sequence state again nothing is sent.
//  * A partition is drained only once it is in the transaction (TV1:
//    AddPartitionsToTxn answered; TV2: any partition inside a transaction).
//  * Every batch is sealed with the transactional bit (attributes 0x10).
//  * Batches end in the manager too: a final failure makes the transaction
//    abortable, and fenced / fatal errors make the producer fatal.
//
// Thread: the network thread calls everything, except fatal_error() and
// published_state(), which application threads read (atomics).
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include "idempotence.hpp"
#include "producer_state.hpp"
#include "transaction_manager.hpp"

namespace kwire::producer {

struct ProducerConfig;

class TransactionalProducerState final : public ProducerStateManager {
 public:
  TransactionalProducerState(const ProducerConfig& config, LogHandler log);

  TransactionManager& manager() noexcept { return manager_; }
  const TransactionManager& manager() const noexcept { return manager_; }

  /// After every change of the manager (a call, a response, a batch): primes
  /// the sequence state with a new producer id / epoch and publishes the
  /// state for application threads. Network thread.
  void sync();

  /// The manager's state as last published by sync(); any thread.
  TransactionState published_state() const noexcept { return published_.load(std::memory_order_acquire); }
  /// The manager's last error and its detail (abortable or fatal), as last
  /// published; any thread.
  std::error_code published_error(std::string* detail = nullptr) const;

  // --- ProducerStateManager (network thread) --------------------------------
  void on_round_start(std::int64_t now_ms) override;
  bool ready_to_send(std::int64_t now_ms) override;
  bool may_drain(const ProducerBatch& batch) override;
  protocol::BatchSealParams seal_params(const ProducerBatch& batch) override;
  void on_batch_sealed(ProducerBatch& batch) override;
  ProduceErrorClass classify(const ProducerBatch& batch, std::error_code error,
                             const ProduceErrorClass& base) const override;
  void on_batch_outcome(const ProducerBatch& batch, const BatchOutcome& outcome) override;
  void on_batch_expired(const ProducerBatch& batch) override;
  /// A queued batch failed because the transaction is being aborted (or is
  /// abortable): only the sequence state hears of it.
  void on_batch_discarded(const ProducerBatch& batch);
  /// Any thread: the manager's fenced / fatal error, once it has one.
  std::error_code fatal_error() const override;

  /// The sequence state of the current epoch (tests).
  const IdempotentProducerState* sequences() const noexcept { return sequences_.get(); }

 private:
  void prime_sequences();

  IdempotentProducerState::Options sequence_options_;
  LogHandler log_;
  TransactionManager manager_;
  std::unique_ptr<IdempotentProducerState> sequences_;
  ProducerIdAndEpoch primed_;  ///< the id/epoch sequences_ was primed with

  std::atomic<TransactionState> published_{TransactionState::uninitialized};
  std::atomic<bool> fatal_{false};
  mutable std::mutex error_mutex_;  ///< guards the two below (application threads read them)
  std::error_code error_;
  std::string error_detail_;
};

}  // namespace kwire::producer
