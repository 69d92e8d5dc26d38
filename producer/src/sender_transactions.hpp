#pragma once
// The sender's transaction channel (sender_transactions.cpp): what the
// Sender keeps to run a TransactionManager's coordinator requests —
// FindCoordinator through the shared cluster::CoordinatorCache, then
// InitProducerId / AddPartitionsToTxn / AddOffsetsToTxn / EndTxn to the
// transaction coordinator and TxnOffsetCommit to the group coordinator, one
// at a time (the manager's order). Private to the sender.
//
// Thread: the network thread.
#include <cstdint>
#include <optional>
#include <string>

#include "kwire/cluster/coordinator_cache.hpp"
#include "transaction_features.hpp"
#include "transaction_manager.hpp"
#include "transactional_state.hpp"

namespace kwire::producer {

struct TransactionChannel {
  TransactionChannel(TransactionalProducerState& s, cluster::CoordinatorCache::Options options,
                     std::int64_t features_refresh_ms)
      : state(s), coordinators(options), features(features_refresh_ms) {}

  TransactionalProducerState& state;
  cluster::CoordinatorCache coordinators;
  /// The request the manager handed out, until it is on the wire (it may
  /// wait for the coordinator's connection).
  std::optional<TransactionRequest> waiting;
  bool waiting_sent = false;  ///< `waiting` is on the wire: wait for its answer
  /// Connection failures of the coordinator's node when `waiting` started
  /// waiting for it: one more, and the request fails (a fresh lookup).
  std::uint64_t connect_failures_seen = 0;
  NodeId waiting_node;
  /// The manager's CoordinatorLookups still unanswered.
  std::int32_t lookups_waiting = 0;
  /// A FindCoordinator is in flight on the wire.
  bool find_in_flight = false;
  /// The transaction.version last told to the manager.
  std::int16_t transaction_version = -1;
  /// ApiVersions now and then while on TV1, to notice an upgrade.
  TransactionFeatureRefresh features;
};

}  // namespace kwire::producer
