#include "transaction_options.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "options.hpp"

namespace kwire::cli {
namespace {

std::int64_t parse_count(const std::string& option, const char* text) {
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno != 0 || value < 0)
    throw UsageError(option + " expects a number >= 0, got '" + text + "'");
  return value;
}

}  // namespace

TransactionOptions take_transaction_options(std::vector<char*>& args) {
  TransactionOptions options;
  std::vector<char*> kept;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string arg = args[i];
    const bool ours = arg == "--transactional-id" || arg == "--transaction-size" || arg == "--abort-every";
    if (!ours) {
      kept.push_back(args[i]);
      continue;
    }
    if (i + 1 >= args.size()) throw UsageError("option " + arg + " needs a value");
    const char* value = args[++i];
    if (arg == "--transactional-id") {
      if (*value == '\0') throw UsageError("--transactional-id expects a non-empty id");
      options.transactional_id = value;
    } else if (arg == "--transaction-size") {
      options.size = parse_count(arg, value);
    } else {
      options.abort_every = parse_count(arg, value);
    }
  }
  args = std::move(kept);
  return options;
}

TransactionLoop::TransactionLoop(Producer& producer, const TransactionOptions& options,
                                 std::chrono::milliseconds timeout)
    : producer_(producer), options_(options), timeout_(timeout) {}

bool TransactionLoop::next_end_aborts() const noexcept {
  return options_.abort_every > 0 && (ended_ + 1) % options_.abort_every == 0;
}

bool TransactionLoop::before_record() {
  if (open_) return true;
  const producer::TransactionStatus status = producer_.begin_transaction();
  if (!status.ok()) {
    error_ = "begin_transaction: " + status.message();
    return false;
  }
  open_ = true;
  in_current_ = 0;
  return true;
}

bool TransactionLoop::after_record() {
  ++in_current_;
  if (options_.size > 0 && in_current_ >= options_.size) return end_transaction();
  return true;
}

bool TransactionLoop::end_transaction() {
  if (!open_) return true;
  const bool abort = next_end_aborts();
  // A deliberate abort writes its records first (readers must skip them in
  // the log); a commit flushes by itself.
  if (abort) (void)producer_.flush(timeout_);
  producer::TransactionStatus status;
  // A timed-out end goes on in the producer: the same call picks it up.
  for (int attempt = 0; attempt < 3; ++attempt) {
    status = abort ? producer_.abort_transaction(timeout_) : producer_.commit_transaction(timeout_);
    if (!status.timed_out()) break;
  }
  open_ = false;
  ++ended_;
  if (status.ok()) {
    (abort ? aborted_ : committed_) += 1;
    (abort ? aborted_records_ : committed_records_) += in_current_;
    return true;
  }
  error_ = std::string(abort ? "abort_transaction: " : "commit_transaction: ") + status.message();
  if (status.abortable()) {
    // The transaction cannot commit: abort it, so the producer can go on.
    const producer::TransactionStatus aborted = producer_.abort_transaction(timeout_);
    if (aborted.ok()) {
      ++aborted_;
      aborted_records_ += in_current_;
    }
  }
  return false;
}

bool TransactionLoop::finish() { return end_transaction(); }

bool start_transactions(Producer& producer, const producer::ProducerConfig& config, const TransactionOptions& options,
                        std::optional<TransactionLoop>& loop, std::string& failure) {
  if (!config.transactional()) {
    if (options.size > 0 || options.abort_every > 0)
      throw UsageError("--transaction-size / --abort-every need --transactional-id (or -X transactional.id=...)");
    return true;
  }
  const auto timeout = std::chrono::milliseconds(std::max<std::int64_t>(config.max_block_ms, 1));
  const producer::TransactionStatus init = producer.init_transactions(timeout);
  if (!init.ok()) {
    failure = init.message();
    return false;
  }
  loop.emplace(producer, options, timeout);
  return true;
}

}  // namespace kwire::cli
