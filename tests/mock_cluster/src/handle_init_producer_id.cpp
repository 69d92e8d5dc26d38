// InitProducerId, as Kafka's TransactionCoordinator.handleInitProducerId
// answers it (see cluster.hpp for the idempotent_epoch_bump option).
#include <limits>

#include "cluster_state.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/init_producer_id.hpp"

namespace kwire::mock::detail {
namespace {

/// Kafka rotates to a new producer id once the epoch reaches
/// Short.MAX_VALUE - 1 (TransactionMetadata.isEpochExhausted), keeping
/// MAX_VALUE free for fencing.
bool epoch_exhausted(std::int16_t epoch) { return epoch >= std::numeric_limits<std::int16_t>::max() - 1; }

}  // namespace

Outcome ClusterState::handle_init_producer_id(std::int32_t broker_id, const protocol::RequestHeader& header,
                                              std::span<const std::uint8_t> body) {
  using protocol::InitProducerIdRequest;
  using protocol::InitProducerIdResponse;
  const std::int16_t version = header.api_version;
  Outcome outcome;
  InitProducerIdRequest request;
  if (protocol::decode_message(body, version, request)) return outcome;  // close

  InitProducerIdResponse response;
  auto fail = [&](kwire::errc error) {
    response.error_code = error;
    response.producer_id = -1;
    response.producer_epoch = -1;
  };
  auto grant = [&](std::int64_t id, std::int16_t epoch) {
    response.producer_id = id;
    response.producer_epoch = epoch;
  };
  // KafkaApis maps PRODUCER_FENCED to INVALID_PRODUCER_EPOCH for clients
  // older than v4, which do not know the new code (KIP-588).
  const kwire::errc fenced = version >= 4 ? kwire::errc::producer_fenced : kwire::errc::invalid_producer_epoch;
  const bool has_current = request.producer_id >= 0;

  if (auto rule = take_fail_rule(ApiKey::init_producer_id, {})) {
    fail(rule->error);
  } else if (request.transactional_id && !request.transactional_id->empty() &&
             coordinator_for(static_cast<std::int8_t>(protocol::CoordinatorType::transaction),
                             *request.transactional_id) != broker_id) {
    // Only the transactional id's coordinator serves it (find_coordinator).
    fail(kwire::errc::not_coordinator);
  } else if (!request.transactional_id) {
    if (config_.idempotent_epoch_bump && has_current) {
      auto it = idempotent_epochs_.find(request.producer_id);
      if (it == idempotent_epochs_.end()) {
        std::int64_t id = allocate_producer_id();
        idempotent_epochs_[id] = 0;
        grant(id, 0);
      } else if (it->second != request.producer_epoch) {
        fail(fenced);
      } else if (epoch_exhausted(it->second)) {
        idempotent_epochs_.erase(it);
        std::int64_t id = allocate_producer_id();
        idempotent_epochs_[id] = 0;
        grant(id, 0);
      } else {
        grant(it->first, ++it->second);
      }
    } else {
      // Kafka: "if the transactional id is null, then always blindly accept
      // the request and return a new producerId".
      std::int64_t id = allocate_producer_id();
      idempotent_epochs_[id] = 0;
      grant(id, 0);
    }
  } else if (request.transactional_id->empty()) {
    fail(kwire::errc::invalid_request);
  } else {
    auto [it, created] = transactional_.try_emplace(*request.transactional_id);
    TransactionalProducer& tp = it->second;
    if (created) tp.producer_id = allocate_producer_id();
    // Fence a caller that names another id or a stale epoch (KIP-360: the
    // expected id/epoch must be the current ones, unless just created).
    const bool valid_current = !has_current || tp.epoch == -1 ||
                               (request.producer_id == tp.producer_id && request.producer_epoch == tp.epoch);
    if (valid_current && !created) {
      // The previous epoch's open transaction is aborted (Kafka's
      // TransactionCoordinator does so before bumping the epoch).
      write_markers(tp.producer_id, tp.epoch, false);
      pending_txn_offsets_.erase(tp.producer_id);
    }
    if (!valid_current) {
      fail(fenced);
    } else if (epoch_exhausted(tp.epoch)) {
      tp.producer_id = allocate_producer_id();
      tp.epoch = 0;
      grant(tp.producer_id, tp.epoch);
    } else {
      ++tp.epoch;
      grant(tp.producer_id, tp.epoch);
    }
  }

  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

}  // namespace kwire::mock::detail
