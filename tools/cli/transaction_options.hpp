#pragma once
// The transaction options of `kwire produce` and `kwire copy`
// (--transactional-id ID, --transaction-size N, --abort-every K) and the
// loop that puts records into transactions: begin before a transaction's
// first record, commit after its N-th (abort every K-th instead, for testing
// readers), end the last one when the input ends.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <kwire/producer/producer.hpp>

namespace kwire::cli {

struct TransactionOptions {
  std::optional<std::string> transactional_id;  ///< --transactional-id (or -X transactional.id=)
  std::int64_t size = 0;                        ///< --transaction-size: records per transaction (0: one for all)
  std::int64_t abort_every = 0;                 ///< --abort-every: abort every K-th transaction (0: never)
};

/// Removes the options above (with their values) from `args`; UsageError
/// for a missing or bad value.
TransactionOptions take_transaction_options(std::vector<char*>& args);

/// Drives transactions around a stream of records.
class TransactionLoop {
 public:
  TransactionLoop(Producer& producer, const TransactionOptions& options, std::chrono::milliseconds timeout);

  /// Before sending a record: begins a transaction if none is open. False
  /// (with error() set) when that failed.
  bool before_record();
  /// After sending it: ends the transaction once it holds `size` records.
  bool after_record();
  /// Ends the open transaction (if any). False when an end failed.
  bool finish();
  /// Ends the open transaction now (commit, or abort every K-th); the
  /// copier calls it with its offsets sent. False when it failed.
  bool end_transaction();

  bool in_transaction() const noexcept { return open_; }
  std::int64_t committed() const noexcept { return committed_; }
  std::int64_t aborted() const noexcept { return aborted_; }
  std::int64_t committed_records() const noexcept { return committed_records_; }
  std::int64_t aborted_records() const noexcept { return aborted_records_; }
  /// The last failure, in words ("" when none).
  const std::string& error() const noexcept { return error_; }
  /// The next transaction to end will be aborted (--abort-every).
  bool next_end_aborts() const noexcept;

 private:
  Producer& producer_;
  TransactionOptions options_;
  std::chrono::milliseconds timeout_;
  bool open_ = false;
  std::int64_t in_current_ = 0;
  std::int64_t ended_ = 0;
  std::int64_t committed_ = 0;
  std::int64_t aborted_ = 0;
  std::int64_t committed_records_ = 0;
  std::int64_t aborted_records_ = 0;
  std::string error_;
};

/// For a transactional producer (config.transactional()): init_transactions
/// (within max.block.ms) and a loop over `options`; `loop` stays empty for a
/// producer without a transactional.id (UsageError if `options` asks for
/// transactions then). False, with the reason in `failure`, when
/// init_transactions failed.
bool start_transactions(Producer& producer, const producer::ProducerConfig& config, const TransactionOptions& options,
                        std::optional<TransactionLoop>& loop, std::string& failure);

}  // namespace kwire::cli
