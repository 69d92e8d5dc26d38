#include "transactional_state.hpp"

#include "kwire/producer/config.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::producer {
namespace {

TransactionConfig transaction_config(const ProducerConfig& config) {
  TransactionConfig c;
  c.transactional_id = config.transactional_id.value_or("");
  c.transaction_timeout_ms = config.transaction_timeout_ms;
  c.retry_backoff_ms = config.retry_backoff_ms;
  c.debug = contains(config.debug_categories(), LogCategory::idempotence);
  return c;
}

}  // namespace

TransactionalProducerState::TransactionalProducerState(const ProducerConfig& config, LogHandler log)
    : sequence_options_(IdempotentProducerState::Options::from(config)),
      log_(log),
      manager_(transaction_config(config), std::move(log)) {}

void TransactionalProducerState::prime_sequences() {
  const ProducerIdAndEpoch id = manager_.producer_id_and_epoch();
  if (id == primed_) return;
  primed_ = id;
  if (!id.valid()) {
    sequences_.reset();
    return;
  }
  // A fresh sequence state under the coordinator's id and epoch: it asks
  // for a producer id once, and gets this one without a round trip.
  sequences_ = std::make_unique<IdempotentProducerState>(sequence_options_, log_);
  std::int64_t unused = 0;
  if (sequences_->wants_producer_id(0, unused)) {
    (void)sequences_->begin_producer_id_request(0);
    protocol::InitProducerIdResponse granted;
    granted.producer_id = id.producer_id.value();
    granted.producer_epoch = id.epoch.value();
    sequences_->on_producer_id_response({}, granted, 0);
  }
}

void TransactionalProducerState::sync() {
  // The epoch changes only between transactions, with nothing in flight.
  const TransactionState state = manager_.state();
  if (state == TransactionState::ready || state == TransactionState::in_transaction ||
      state == TransactionState::uninitialized)
    prime_sequences();
  if (state == TransactionState::abortable_error || state == TransactionState::fatal_error) {
    std::lock_guard lock(error_mutex_);
    error_ = manager_.last_error();
    error_detail_ = manager_.last_error_detail();
  }
  if (state == TransactionState::fatal_error) fatal_.store(true, std::memory_order_release);
  published_.store(state, std::memory_order_release);
}

std::error_code TransactionalProducerState::published_error(std::string* detail) const {
  std::lock_guard lock(error_mutex_);
  if (detail) *detail = error_detail_;
  return error_;
}

void TransactionalProducerState::on_round_start(std::int64_t now_ms) {
  sync();
  if (sequences_) sequences_->on_round_start(now_ms);
}

bool TransactionalProducerState::ready_to_send(std::int64_t now_ms) {
  // A local bump of the sequence state (after a failed batch) leaves it on
  // an epoch the coordinator never gave: nothing goes out until the
  // coordinator's next epoch re-primes it.
  return sequences_ && sequences_->producer_id_and_epoch() == primed_ && sequences_->ready_to_send(now_ms);
}

bool TransactionalProducerState::may_drain(const ProducerBatch& batch) {
  if (manager_.should_abort_undrained_batches()) return false;
  const TopicPartition& tp = batch.topic_partition();
  if (!manager_.is_send_to_partition_allowed(tp)) {
    // TV1: AddPartitionsToTxn first (the next coordinator request); TV2:
    // the partition joins by this produce.
    manager_.maybe_add_partition(tp);
    if (!manager_.is_send_to_partition_allowed(tp)) return false;
  }
  return sequences_ && sequences_->may_drain(batch);
}

protocol::BatchSealParams TransactionalProducerState::seal_params(const ProducerBatch& batch) {
  protocol::BatchSealParams params = sequences_->seal_params(batch);
  params.is_transactional = true;
  return params;
}

void TransactionalProducerState::on_batch_sealed(ProducerBatch& batch) {
  manager_.on_produce_attempt(batch.topic_partition());
  sequences_->on_batch_sealed(batch);
}

ProduceErrorClass TransactionalProducerState::classify(const ProducerBatch& batch, std::error_code error,
                                                       const ProduceErrorClass& base) const {
  // Java's TransactionManager.canRetry: OUT_OF_ORDER_SEQUENCE_NUMBER for a
  // batch that is not the next one expected is no gap: an earlier batch of
  // the partition is still unacknowledged and this one goes again after it.
  // Under TV2 (KIP-890) a new epoch's first batches to a partition race the
  // broker's implicit add of the partition to the transaction, so a later
  // batch can reach the log check before sequence 0 has been written.
  if (error == errc::out_of_order_sequence_number && sequences_ && sequences_->out_of_order_waits_for_earlier(batch))
    return ProduceErrorClass{ProduceAction::retry, false, Persisted::no};
  // KIP-1050 on the produce path: these end the transaction (abortable),
  // not the producer, and are never retried under a locally bumped epoch.
  if (error == errc::out_of_order_sequence_number || error == errc::unknown_producer_id ||
      error == errc::invalid_producer_epoch || error == errc::transaction_abortable ||
      error == errc::invalid_txn_state)
    return ProduceErrorClass{ProduceAction::fail, false, Persisted::no};
  if (!sequences_) return base;
  return sequences_->classify(batch, error, base);
}

void TransactionalProducerState::on_batch_outcome(const ProducerBatch& batch, const BatchOutcome& outcome) {
  if (sequences_) sequences_->on_batch_outcome(batch, outcome);
  switch (outcome.action) {
    case ProduceAction::complete: manager_.on_batch_completed(batch.topic_partition(), {}); break;
    case ProduceAction::fail:
    case ProduceAction::fatal:
      manager_.on_batch_completed(batch.topic_partition(),
                                  outcome.error ? outcome.error : make_error_code(client_errc::timed_out));
      break;
    case ProduceAction::retry:
    case ProduceAction::split: break;
  }
  sync();
}

void TransactionalProducerState::on_batch_expired(const ProducerBatch& batch) {
  if (sequences_) sequences_->on_batch_expired(batch);
  manager_.on_batch_completed(batch.topic_partition(), make_error_code(client_errc::timed_out));
  sync();
}

void TransactionalProducerState::on_batch_discarded(const ProducerBatch& batch) {
  if (sequences_) sequences_->on_batch_expired(batch);
}

std::error_code TransactionalProducerState::fatal_error() const {
  if (!fatal_.load(std::memory_order_acquire)) return {};
  std::lock_guard lock(error_mutex_);
  return error_;
}

}  // namespace kwire::producer
