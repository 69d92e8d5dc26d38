#pragma once
// The seam between the sender and the producer's identity: producer id,
// epoch and per-partition sequence numbers. The sender asks it what to seal
// a batch with and tells it how every batch ended; the idempotent
// implementation (IdempotentProducerState, idempotence.hpp: InitProducerId,
// sequences, KIP-360 epoch bumps, as Java's TransactionManager) plugs in
// here without touching the sender's send/receive logic.
//
// NonIdempotentState seals every batch with producer id -1, epoch -1, base
// sequence -1 (what Kafka requires of a non-idempotent producer) and ignores
// outcomes. The members with a default body are those only idempotence needs.
//
// Order of calls in one sender round: on_round_start; wants_producer_id (and
// begin_producer_id_request when a connection can carry it); ready_to_send;
// may_drain per partition while draining; seal_params then on_batch_sealed
// per drained batch; later classify then on_batch_outcome per answer, or
// on_batch_expired.
//
// Thread: every member is called on the network (sender) thread, except
// fatal_error().
#include <cstdint>
#include <system_error>

#include "produce_outcome.hpp"
#include "producer_batch.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::producer {

/// How one sent batch ended, as the sender decided it.
struct BatchOutcome {
  /// complete, retry (re-enqueued), split (replaced by smaller batches),
  /// fail or fatal. A retry the sender refused (retries or
  /// delivery.timeout.ms exhausted) is reported as fail.
  ProduceAction action = ProduceAction::complete;
  std::error_code error;
  Persisted persisted = Persisted::yes;
  std::int64_t base_offset = -1;  ///< complete only; -1 with acks=0
};

class ProducerStateManager {
 public:
  virtual ~ProducerStateManager() = default;

  /// Start of every sender round, before anything is drained: resolve
  /// sequences, perform a requested epoch bump (Java's maybeResolveSequences
  /// + bumpIdempotentEpochAndResetIdIfNeeded).
  virtual void on_round_start(std::int64_t /*now_ms*/) {}

  /// True when an InitProducerId request should go out now (on any ready
  /// connection); while backing off, lowers `next_ms` to when it will.
  virtual bool wants_producer_id(std::int64_t /*now_ms*/, std::int64_t& /*next_ms*/) { return false; }
  /// The request to send (after wants_producer_id returned true); the
  /// sender then owes exactly one on_producer_id_response, with an error if
  /// it could not send the request or got no answer.
  virtual protocol::InitProducerIdRequest begin_producer_id_request(std::int64_t /*now_ms*/) { return {}; }
  virtual void on_producer_id_response(std::error_code /*error*/, const protocol::InitProducerIdResponse& /*response*/,
                                       std::int64_t /*now_ms*/) {}

  /// False while produce requests must wait (e.g. an idempotent producer
  /// fetching its producer id). The sender then only refreshes metadata.
  virtual bool ready_to_send(std::int64_t now_ms) = 0;

  /// Drain veto for a partition's first batch (Java's
  /// shouldStopDrainBatchesForPartition: a retry must wait for an earlier
  /// sequence to resolve). Called under the accumulator's partition lock:
  /// must not call back into the accumulator.
  virtual bool may_drain(const ProducerBatch& batch) = 0;

  /// The producer state to seal `batch` with, each time it is about to be
  /// sent. The first time (`!batch.sealed()`) an idempotent implementation
  /// assigns the partition's next sequence; on a retry it returns the
  /// batch's own state (PITFALLS: resend with the *same* sequence) unless an
  /// epoch bump rewrote it. The sender sets the codec.
  virtual protocol::BatchSealParams seal_params(const ProducerBatch& batch) = 0;

  /// `batch` was sealed with seal_params' answer and is about to be sent.
  /// An idempotent implementation may keep the pointer, to rewrite the
  /// batch's producer state in place on an epoch bump (KIP-360), until the
  /// batch's outcome or expiry is reported.
  virtual void on_batch_sealed(ProducerBatch& /*batch*/) {}

  /// The classification of `error` for `batch`, given classify_produce_error's
  /// answer `base`: the idempotent producer retries OUT_OF_ORDER_SEQUENCE_NUMBER
  /// and UNKNOWN_PRODUCER_ID, and once fatal fails every error as fatal.
  virtual ProduceErrorClass classify(const ProducerBatch& /*batch*/, std::error_code /*error*/,
                                     const ProduceErrorClass& base) const {
    return base;
  }

  /// A sent batch was resolved (see BatchOutcome). Called before the batch
  /// is handed back to the accumulator; also, with `complete`, for a batch
  /// delivery.timeout.ms already failed whose success arrived late (the
  /// sequence was acknowledged after all).
  virtual void on_batch_outcome(const ProducerBatch& batch, const BatchOutcome& outcome) = 0;

  /// delivery.timeout.ms failed `batch` (queued or in flight): an in-flight
  /// one's sequence is now unresolved.
  virtual void on_batch_expired(const ProducerBatch& batch) = 0;

  /// Non-empty once the producer hit a fatal error and must refuse work.
  /// Unlike the rest, called from application threads too (send() checks
  /// it): implementations must make it thread-safe.
  virtual std::error_code fatal_error() const = 0;
};

/// acks/retries semantics only: producer id -1, no sequences.
class NonIdempotentState final : public ProducerStateManager {
 public:
  bool ready_to_send(std::int64_t) override { return true; }
  bool may_drain(const ProducerBatch&) override { return true; }
  protocol::BatchSealParams seal_params(const ProducerBatch&) override { return {}; }
  void on_batch_outcome(const ProducerBatch&, const BatchOutcome&) override {}
  void on_batch_expired(const ProducerBatch&) override {}
  std::error_code fatal_error() const override { return {}; }
};

}  // namespace kwire::producer
