// Producer::Transaction: the RAII guard of one transaction (the C++ shape of
// Python's `with producer.transaction():`). It only calls the producer's
// public transaction API; leaving its scope without a commit aborts.
#include <utility>

#include "kwire/producer/producer.hpp"

namespace kwire {

using namespace producer;

namespace {
TransactionStatus no_open_transaction() {
  return {make_error_code(transaction_errc::invalid_state), TransactionErrorKind::usage,
          "the transaction guard has no open transaction (begin failed, or it already ended)"};
}
}  // namespace

Producer::Transaction::Transaction(Producer& producer) : begin_(producer.begin_transaction()) {
  if (begin_.ok()) producer_ = &producer;
}

Producer::Transaction::Transaction(Transaction&& other) noexcept
    : producer_(std::exchange(other.producer_, nullptr)), begin_(std::move(other.begin_)) {}

Producer::Transaction::~Transaction() {
  if (!producer_) return;
  // Scope left without commit (an exception, an early return): abort, so
  // none of its records ever becomes visible to read_committed readers.
  (void)producer_->abort_transaction(std::chrono::milliseconds(producer_->config().transaction_timeout_ms));
}

TransactionStatus Producer::Transaction::commit(std::chrono::milliseconds timeout) {
  if (!producer_) return no_open_transaction();
  TransactionStatus status = producer_->commit_transaction(timeout);
  // A timed-out commit is still this guard's: commit() again picks it up.
  // Any other failure leaves the abort to the destructor (or abort()),
  // except a fatal one, after which nothing can be done.
  if (status.ok() || status.fatal()) producer_ = nullptr;
  return status;
}

TransactionStatus Producer::Transaction::abort(std::chrono::milliseconds timeout) {
  if (!producer_) return no_open_transaction();
  TransactionStatus status = producer_->abort_transaction(timeout);
  if (!status.timed_out()) producer_ = nullptr;
  return status;
}

}  // namespace kwire
