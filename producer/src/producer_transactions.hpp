#pragma once
// The application-thread half of the transactional producer: Producer's
// init_transactions / begin / send_offsets / commit / abort calls. Each
// starts the TransactionManager's call on the network thread, waits (up to
// its timeout) for the result the sender's transaction channel completes,
// and turns it into a TransactionStatus whose kind tells the caller what to
// do (KIP-1050). A call that times out stays pending in the manager: the
// same call again picks up its result (Java's semantics); another call
// fails with transaction_errc::operation_pending meanwhile.
//
// Thread: any application thread, never the network thread (the calls wait
// for it: usage error there).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "kwire/net/network_loop.hpp"
#include "record_accumulator.hpp"
#include "sender.hpp"
#include "kwire/producer/transaction.hpp"
#include "transactional_state.hpp"

namespace kwire::producer {

class TransactionCalls {
 public:
  /// `wait_for_cluster(timeout, detail)`: connects and fetches metadata
  /// first, so the cluster's transaction.version is known at init.
  using ClusterWait = std::function<std::error_code(std::chrono::milliseconds, std::string*)>;

  TransactionCalls(net::NetworkLoop& loop, RecordAccumulator& accumulator, Sender& sender,
                   TransactionalProducerState& state, ClusterWait wait_for_cluster);

  TransactionStatus init_transactions(std::chrono::milliseconds timeout);
  TransactionStatus begin_transaction();
  TransactionStatus send_offsets_to_transaction(const std::vector<OffsetToCommit>& offsets,
                                                const ConsumerGroupMetadata& group, std::chrono::milliseconds timeout);
  TransactionStatus commit_transaction(std::chrono::milliseconds timeout);
  TransactionStatus abort_transaction(std::chrono::milliseconds timeout);

  /// send() may append now: {} inside a transaction, else why not (the
  /// abortable error, or invalid_state) with `detail`. Any thread.
  std::error_code send_allowed(std::string& detail) const;

  /// The network thread finished a round: wakes callers waiting for a result.
  void on_round();

 private:
  using Start = std::function<TransactionResultPtr(TransactionManager&, std::int64_t now_ms)>;
  /// Starts (or picks up) a call on the network thread and waits for it.
  TransactionStatus run(std::string_view name, const Start& start, std::chrono::milliseconds timeout,
                        bool flush_first);
  /// The kind and the detail of a finished call (network thread).
  TransactionStatus status_of(std::string_view name, const TransactionResult& result) const;
  TransactionStatus precondition(std::string_view name) const;

  net::NetworkLoop& loop_;
  RecordAccumulator& accumulator_;
  Sender& sender_;
  TransactionalProducerState& state_;
  ClusterWait wait_for_cluster_;

  std::mutex round_mutex_;
  std::condition_variable round_cv_;
  std::uint64_t rounds_ = 0;  ///< guarded by round_mutex_
};

}  // namespace kwire::producer
