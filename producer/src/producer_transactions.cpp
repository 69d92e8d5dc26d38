#include "producer_transactions.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "kwire/protocol/client_error.hpp"

namespace kwire::producer {
namespace {

/// How long a call waits for the network thread to run a posted step before
/// concluding nobody runs the io_context (as Producer::close()).
constexpr std::chrono::milliseconds kLoopGrace{2000};

TransactionStatus usage(std::error_code error, std::string detail) {
  return {error, TransactionErrorKind::usage, std::move(detail)};
}

}  // namespace

TransactionCalls::TransactionCalls(net::NetworkLoop& loop, RecordAccumulator& accumulator, Sender& sender,
                                   TransactionalProducerState& state, ClusterWait wait_for_cluster)
    : loop_(loop), accumulator_(accumulator), sender_(sender), state_(state),
      wait_for_cluster_(std::move(wait_for_cluster)) {}

void TransactionCalls::on_round() {
  {
    std::lock_guard lock(round_mutex_);
    ++rounds_;
  }
  round_cv_.notify_all();
}

std::error_code TransactionCalls::send_allowed(std::string& detail) const {
  const TransactionState state = state_.published_state();
  if (state == TransactionState::in_transaction) return {};
  if (state == TransactionState::abortable_error) {
    std::string why;
    const std::error_code error = state_.published_error(&why);
    detail = "transactional.id " + state_.manager().transactional_id() +
             ": the transaction must be aborted first (abort_transaction()): " + why;
    return error;
  }
  detail = "transactional.id " + state_.manager().transactional_id() + ": send() outside a transaction (state " +
           std::string(to_string(state)) + "): call " +
           (state == TransactionState::uninitialized ? "init_transactions() and " : "") + "begin_transaction() first";
  return make_error_code(transaction_errc::invalid_state);
}

TransactionStatus TransactionCalls::precondition(std::string_view name) const {
  if (loop_.on_io_thread())
    return usage(std::make_error_code(std::errc::operation_would_block),
                 std::string(name) + "() waits for the network thread: it cannot be called from a delivery callback "
                                     "or another handler on the producer's io_context");
  return {};
}

TransactionStatus TransactionCalls::status_of(std::string_view name, const TransactionResult& result) const {
  TransactionStatus status;
  status.error = result.error();
  if (!status.error) return status;
  const TransactionManager& manager = state_.manager();
  const TransactionState state = manager.state();
  if (state == TransactionState::fatal_error)
    status.kind = TransactionErrorKind::fatal;
  else if (status.error == transaction_errc::operation_pending || status.error == transaction_errc::invalid_state)
    status.kind = TransactionErrorKind::usage;
  else if (state == TransactionState::abortable_error)
    status.kind = TransactionErrorKind::abortable;
  else
    status.kind = TransactionErrorKind::failed;
  status.detail = "transactional.id " + manager.transactional_id() + ", " + std::string(name) + "(): " +
                  (result.detail().empty() ? status.error.message() : result.detail()) + " (transaction coordinator " +
                  sender_.describe_transaction_coordinator() + ")";
  return status;
}

TransactionStatus TransactionCalls::run(std::string_view name, const Start& start, std::chrono::milliseconds timeout,
                                        bool flush_first) {
  if (TransactionStatus s = precondition(name); !s.ok()) return s;
  const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds(0));
  TransactionResultPtr result;
  TransactionStatus immediate;
  bool finished = false;
  std::string coordinator;
  const auto collect = [&] {
    coordinator = sender_.describe_transaction_coordinator();
    if (!result->done()) return;
    finished = true;
    immediate = status_of(name, *result);
    result->acknowledge();
    state_.sync();
  };
  if (!loop_.run_on_io_within(kLoopGrace, [&] {
        if (sender_.is_shut_down()) {  // read on the network thread, which sets it
          finished = true;
          immediate = usage(make_error_code(client_errc::shutting_down), std::string(name) + "() after close()");
          return;
        }
        result = start(state_.manager(), net::NetworkLoop::now_ms());
        state_.sync();
        collect();
      }))
    return usage(make_error_code(client_errc::timed_out),
                 std::string(name) + "(): the producer's io_context ran none of its work: run it on one thread");
  loop_.wake();
  if (finished) return immediate;
  if (flush_first) {
    // Java's commitTransaction: every record sent in the transaction is
    // flushed (linger.ms ignored); EndTxn waits for their outcomes.
    accumulator_.begin_flush();
    loop_.wake();
    (void)accumulator_.await_flush_completion(std::chrono::ceil<std::chrono::milliseconds>(
        std::max<std::chrono::steady_clock::duration>(deadline - std::chrono::steady_clock::now(),
                                                      std::chrono::milliseconds(0))));
  }
  while (true) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(round_mutex_);
      seen = rounds_;
    }
    if (!loop_.run_on_io_within(kLoopGrace, collect)) break;
    if (finished) return immediate;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    std::unique_lock lock(round_mutex_);
    round_cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(50)),
                       [&] { return rounds_ != seen; });
  }
  return {make_error_code(client_errc::timed_out), TransactionErrorKind::timed_out,
          "transactional.id " + state_.manager().transactional_id() + ", " + std::string(name) +
              "() did not complete within " + std::to_string(timeout.count()) +
              " ms; it goes on: call " + std::string(name) + "() again to wait for its result (transaction "
              "coordinator " + coordinator + ")"};
}

TransactionStatus TransactionCalls::init_transactions(std::chrono::milliseconds timeout) {
  if (TransactionStatus s = precondition("init_transactions"); !s.ok()) return s;
  // The cluster's finalized features (transaction.version) come with the
  // first connection: connect before the manager picks the protocol.
  const auto started = std::chrono::steady_clock::now();
  std::string why;
  if (std::error_code ec = wait_for_cluster_(timeout, &why))
    return {ec, ec == client_errc::authentication_failed ? TransactionErrorKind::failed : TransactionErrorKind::timed_out,
            "transactional.id " + state_.manager().transactional_id() + ", init_transactions(): " + why};
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(timeout - (std::chrono::steady_clock::now() - started));
  return run("init_transactions",
             [](TransactionManager& m, std::int64_t now) { return m.init_transactions(now); }, left, false);
}

TransactionStatus TransactionCalls::begin_transaction() {
  if (TransactionStatus s = precondition("begin_transaction"); !s.ok()) return s;
  TransactionStatus status;
  loop_.run_on_io([&] {
    if (sender_.is_shut_down()) {
      status = usage(make_error_code(client_errc::shutting_down), "begin_transaction() after close()");
      return;
    }
    TransactionManager& m = state_.manager();
    status.error = m.begin_transaction();
    if (status.error) {
      const TransactionState state = m.state();
      status.kind = state == TransactionState::fatal_error       ? TransactionErrorKind::fatal
                    : state == TransactionState::abortable_error ? TransactionErrorKind::abortable
                                                                 : TransactionErrorKind::usage;
      status.detail = "transactional.id " + m.transactional_id() + ", begin_transaction() in state " +
                      std::string(to_string(state)) +
                      (m.last_error_detail().empty() ? std::string() : ": " + m.last_error_detail());
    }
    state_.sync();
  });
  return status;
}

TransactionStatus TransactionCalls::send_offsets_to_transaction(const std::vector<OffsetToCommit>& offsets,
                                                                const ConsumerGroupMetadata& group,
                                                                std::chrono::milliseconds timeout) {
  return run(
      "send_offsets_to_transaction",
      [&](TransactionManager& m, std::int64_t now) { return m.send_offsets_to_transaction(offsets, group, now); },
      timeout, false);
}

TransactionStatus TransactionCalls::commit_transaction(std::chrono::milliseconds timeout) {
  return run("commit_transaction", [](TransactionManager& m, std::int64_t now) { return m.commit_transaction(now); },
             timeout, true);
}

TransactionStatus TransactionCalls::abort_transaction(std::chrono::milliseconds timeout) {
  return run("abort_transaction", [](TransactionManager& m, std::int64_t now) { return m.abort_transaction(now); },
             timeout, false);
}

}  // namespace kwire::producer
