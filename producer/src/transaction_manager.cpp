// TransactionManager: states, the application's calls, the produce path and
// the coordinator queue. The responses are in transaction_responses.cpp.
#include "transaction_manager.hpp"

#include <algorithm>
#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::producer {
namespace {

using State = TransactionState;

/// Version caps of the transaction protocols (KIP-890): a broker picks TV2
/// semantics from the request version, so a TV1 producer must stay below.
constexpr std::int16_t kInitProducerIdMax = 5;  // v6 is KIP-939's two-phase commit
constexpr std::int16_t kAddOffsetsMax = protocol::AddOffsetsToTxnRequest::max_version;
std::int16_t end_txn_max(bool v2) noexcept {
  return v2 ? protocol::EndTxnRequest::max_version : protocol::EndTxnRequest::first_transaction_v2_version - 1;
}
std::int16_t txn_offset_commit_max(bool v2) noexcept {
  // v6 names topics by id only; the manager names them (the response too),
  // so TV2 stays at v5, which every TV2 broker speaks.
  return v2 ? protocol::TxnOffsetCommitRequest::first_topic_id_version - 1
            : protocol::TxnOffsetCommitRequest::first_transaction_v2_version - 1;
}

std::string name(const TopicPartition& tp) { return tp.topic + "/" + std::to_string(tp.partition); }

}  // namespace

std::string_view to_string(TransactionState state) noexcept {
  switch (state) {
    case State::uninitialized: return "uninitialized";
    case State::initializing: return "initializing";
    case State::ready: return "ready";
    case State::in_transaction: return "in_transaction";
    case State::committing_transaction: return "committing_transaction";
    case State::aborting_transaction: return "aborting_transaction";
    case State::abortable_error: return "abortable_error";
    case State::fatal_error: return "fatal_error";
  }
  return "?";
}

std::string_view to_string(TransactionOperation operation) noexcept {
  switch (operation) {
    case TransactionOperation::init: return "init_transactions";
    case TransactionOperation::send_offsets: return "send_offsets_to_transaction";
    case TransactionOperation::commit: return "commit_transaction";
    case TransactionOperation::abort: return "abort_transaction";
  }
  return "?";
}

bool is_valid_transition(TransactionState from, TransactionState to) noexcept {
  switch (to) {
    case State::uninitialized: return from == State::ready || from == State::abortable_error;
    case State::initializing:
      return from == State::uninitialized || from == State::committing_transaction ||
             from == State::aborting_transaction;
    case State::ready:
      return from == State::initializing || from == State::committing_transaction ||
             from == State::aborting_transaction;
    case State::in_transaction: return from == State::ready;
    case State::committing_transaction: return from == State::in_transaction;
    case State::aborting_transaction: return from == State::in_transaction || from == State::abortable_error;
    case State::abortable_error:
      return from == State::in_transaction || from == State::committing_transaction ||
             from == State::abortable_error || from == State::initializing;
    case State::fatal_error: return from != State::fatal_error;
  }
  return false;
}

void TransactionResult::complete(std::error_code error, std::string detail) {
  if (done_) return;
  done_ = true;
  error_ = error;
  detail_ = std::move(detail);
}

TransactionManager::TransactionManager(TransactionConfig config, LogHandler log)
    : config_(std::move(config)), log_(std::move(log)) {
  if (config_.retry_timeout_ms < 0) config_.retry_timeout_ms = config_.transaction_timeout_ms;
}

void TransactionManager::log(LogLevel level, const std::string& message) const {
  if (!log_) return;
  if (level == LogLevel::debug && !config_.debug) return;
  log_(level, LogCategory::idempotence, "transactional producer " + config_.transactional_id + ": " + message);
}

bool TransactionManager::transition_to(TransactionState next, std::string_view reason) {
  if (!is_valid_transition(state_, next)) {
    log(LogLevel::error, "illegal transition " + std::string(to_string(state_)) + " -> " +
                             std::string(to_string(next)) + " refused (" + std::string(reason) + ")");
    return false;
  }
  log(next == State::fatal_error ? LogLevel::error : LogLevel::info,
      std::string(to_string(state_)) + " -> " + std::string(to_string(next)) + ": " + std::string(reason));
  state_ = next;
  return true;
}

// --- Application calls -----------------------------------------------------------------

TransactionResultPtr TransactionManager::failed(std::error_code error, std::string detail) const {
  auto result = std::make_shared<TransactionResult>();
  result->complete(error, std::move(detail));
  return result;
}

std::error_code TransactionManager::pending_call_error(std::string_view attempted, std::string& detail) {
  if (pending_result_ && pending_result_->acknowledged()) pending_result_.reset();
  if (!pending_result_) return {};
  detail = std::string(to_string(pending_operation_)) + "() is still pending (an earlier call did not wait for " +
           "its result): call it again before " + std::string(attempted) + "()";
  return make_error_code(transaction_errc::operation_pending);
}

TransactionResultPtr TransactionManager::cached_or(TransactionOperation operation,
                                                   const std::function<TransactionResultPtr()>& start) {
  // Fenced or fatal: every call fails with that error, pending or not.
  if (state_ == State::fatal_error) return failed(last_error_, last_error_detail_);
  if (pending_result_ && !pending_result_->acknowledged() && pending_operation_ == operation) return pending_result_;
  std::string detail;
  if (auto ec = pending_call_error(to_string(operation), detail)) return failed(ec, std::move(detail));
  TransactionResultPtr result = start();
  // A call refused at once is not pending: the caller has its answer.
  if (!result->done()) {
    pending_operation_ = operation;
    pending_result_ = result;
  }
  return result;
}

void TransactionManager::refresh_transaction_version() {
  const bool v2 = cluster_transaction_version_ >= 2;
  if (v2 != transaction_v2_) log(LogLevel::info, std::string("transaction version ") + (v2 ? "2" : "1"));
  transaction_v2_ = v2;
}

TransactionResultPtr TransactionManager::init_transactions(std::int64_t now_ms) {
  return cached_or(TransactionOperation::init, [&] { return start_init(now_ms); });
}

TransactionResultPtr TransactionManager::start_init(std::int64_t now_ms) {
  if (state_ == State::fatal_error) return failed(last_error_, last_error_detail_);
  if (state_ != State::uninitialized)
    return failed(make_error_code(transaction_errc::invalid_state),
                  "init_transactions() in state " + std::string(to_string(state_)) + " (it is called once)");
  refresh_transaction_version();
  set_producer({});
  transition_to(State::initializing, "init_transactions()");
  auto result = std::make_shared<TransactionResult>();
  enqueue(TransactionPriority::init_producer_id, init_request(false), result, now_ms);
  return result;
}

std::error_code TransactionManager::begin_transaction() {
  if (state_ == State::fatal_error) return last_error_;
  std::string detail;
  if (auto ec = pending_call_error("begin_transaction", detail)) {
    log(LogLevel::warning, "begin_transaction() refused: " + detail);
    return ec;
  }
  if (state_ == State::fatal_error || state_ == State::abortable_error) return last_error_;
  if (state_ != State::ready) return make_error_code(transaction_errc::invalid_state);
  reset_transaction();
  transition_to(State::in_transaction, "begin_transaction()");
  return {};
}

TransactionResultPtr TransactionManager::send_offsets_to_transaction(const std::vector<OffsetToCommit>& offsets,
                                                                     const ConsumerGroupMetadata& group,
                                                                     std::int64_t now_ms) {
  return cached_or(TransactionOperation::send_offsets,
                   [&] { return start_send_offsets(offsets, group, now_ms); });
}

TransactionResultPtr TransactionManager::start_send_offsets(const std::vector<OffsetToCommit>& offsets,
                                                            const ConsumerGroupMetadata& group, std::int64_t now_ms) {
  if (state_ == State::fatal_error || state_ == State::abortable_error)
    return failed(last_error_, last_error_detail_);
  if (state_ != State::in_transaction)
    return failed(make_error_code(transaction_errc::invalid_state),
                  "send_offsets_to_transaction() outside a transaction (state " + std::string(to_string(state_)) + ")");
  protocol::TxnOffsetCommitRequest commit;
  commit.transactional_id = config_.transactional_id;
  commit.group_id = group.group_id;
  commit.producer_id = producer_.producer_id.value();
  commit.producer_epoch = producer_.epoch.value();
  // KIP-447: the coordinator fences a consumer that was rebalanced away.
  commit.generation_id_or_member_epoch = group.generation_id;
  commit.member_id = group.member_id;
  commit.group_instance_id = group.group_instance_id;
  for (const OffsetToCommit& o : offsets) {
    auto topic = std::find_if(commit.topics.begin(), commit.topics.end(),
                              [&](const auto& t) { return t.name == o.partition.topic; });
    if (topic == commit.topics.end()) topic = commit.topics.insert(commit.topics.end(), {o.partition.topic, {}, {}, {}});
    topic->partitions.push_back({o.partition.partition, o.offset, o.leader_epoch, o.metadata, {}});
  }
  auto result = std::make_shared<TransactionResult>();
  if (!transaction_v2_) {
    // TV1: the group's offsets partition joins the transaction first; FIFO
    // among equal priorities keeps the commit behind it.
    enqueue(TransactionPriority::add_partitions_or_offsets,
            protocol::AddOffsetsToTxnRequest{config_.transactional_id, producer_.producer_id.value(), producer_.epoch.value(),
                                             group.group_id, {}},
            result, now_ms);
  } else {
    // TV2 (TxnOffsetCommit v5+): the group coordinator adds it itself.
    transaction_started_ = true;
    offsets_in_transaction_ = true;
  }
  enqueue(TransactionPriority::add_partitions_or_offsets, std::move(commit), result, now_ms, CoordinatorType::group,
          group.group_id);
  return result;
}

TransactionResultPtr TransactionManager::commit_transaction(std::int64_t now_ms) {
  return cached_or(TransactionOperation::commit, [&]() -> TransactionResultPtr {
    if (state_ == State::abortable_error)
      return failed(last_error_, "the transaction must be aborted: " + last_error_detail_);
    if (state_ == State::fatal_error) return failed(last_error_, last_error_detail_);
    if (state_ != State::in_transaction)
      return failed(make_error_code(transaction_errc::invalid_state),
                    "commit_transaction() outside a transaction (state " + std::string(to_string(state_)) + ")");
    return start_end(true, now_ms);
  });
}

TransactionResultPtr TransactionManager::abort_transaction(std::int64_t now_ms) {
  return cached_or(TransactionOperation::abort, [&]() -> TransactionResultPtr {
    if (state_ == State::fatal_error) return failed(last_error_, last_error_detail_);
    if (state_ != State::in_transaction && state_ != State::abortable_error)
      return failed(make_error_code(transaction_errc::invalid_state),
                    "abort_transaction() outside a transaction (state " + std::string(to_string(state_)) + ")");
    return start_end(false, now_ms);
  });
}

TransactionResultPtr TransactionManager::start_end(bool commit, std::int64_t now_ms) {
  transition_to(commit ? State::committing_transaction : State::aborting_transaction,
                commit ? "commit_transaction()" : "abort_transaction()");
  // Java's maybeUpdateTransactionV2Enabled: a cluster upgraded to TV2 is
  // noticed here; this transaction ends the TV1 way, then the epoch is
  // bumped so the next one starts fresh under TV2.
  if (!transaction_v2_ && cluster_transaction_version_ >= 2) {
    log(LogLevel::info, "the cluster now runs transaction version 2: bumping the epoch after this transaction");
    upgrade_bump_required_ = true;
  }
  if (!commit) {
    fail_queued(make_error_code(transaction_errc::aborted), "the transaction is being aborted");
    new_partitions_.clear();
  }
  if (commit) enqueue_add_partitions(now_ms);  // partitions still waiting join before EndTxn
  auto result = std::make_shared<TransactionResult>();
  enqueue(TransactionPriority::end_txn,
          protocol::EndTxnRequest{config_.transactional_id, producer_.producer_id.value(), producer_.epoch.value(), commit, {}},
          result, now_ms);
  return result;
}

// --- The produce path -------------------------------------------------------------------

void TransactionManager::maybe_add_partition(const TopicPartition& tp) {
  // Also while committing: the sender meets a partition when it drains its
  // first batch, which may be after commit_transaction() was called (Java
  // registers it in send(); here the network thread does, before EndTxn,
  // which waits for every batch).
  if (state_ != State::in_transaction && state_ != State::committing_transaction) return;
  if (transaction_v2_) {
    // Produce v12+ adds it (KIP-890): nothing to ask the coordinator.
    partitions_in_transaction_.insert(tp);
    transaction_started_ = true;
    return;
  }
  if (partitions_in_transaction_.contains(tp) || pending_partitions_.contains(tp)) return;
  if (new_partitions_.insert(tp).second) log(LogLevel::debug, "partition " + name(tp) + " joins the transaction");
}

bool TransactionManager::is_send_to_partition_allowed(const TopicPartition& tp) const {
  if (state_ == State::fatal_error) return false;
  return partitions_in_transaction_.contains(tp);
}

void TransactionManager::on_produce_attempt(const TopicPartition& tp) {
  produce_attempted_ = true;
  if (transaction_v2_) {
    partitions_in_transaction_.insert(tp);
    transaction_started_ = true;
  }
}

void TransactionManager::on_batch_completed(const TopicPartition& tp, std::error_code error) {
  if (!error) {
    produce_succeeded_ = true;
    return;
  }
  // Batches failing while the transaction is aborted are expected (Java
  // skips the abortable transition then).
  if (state_ == State::aborting_transaction || state_ == State::fatal_error) return;
  const TransactionErrorContext context{.aborting = false, .epoch_bump_possible = true};
  TransactionErrorCategory category = classify_transaction_error(error, TransactionApi::produce, context);
  // The sender reports final failures: a retriable error here ran out of
  // retries or of delivery.timeout.ms (KAFKA-19176).
  if (category == TransactionErrorCategory::retriable || category == TransactionErrorCategory::refresh_retriable)
    category = retries_exhausted(context);
  const std::string detail = "a batch for " + name(tp) + " failed: " + error.message();
  if (category == TransactionErrorCategory::fenced || category == TransactionErrorCategory::fatal) {
    enter_fatal(error, detail);
    return;
  }
  // KIP-360 under TV1: a failed batch may leave a sequence gap (or the
  // broker lost our sequence or producer id), so after the abort
  // InitProducerId bumps the epoch and every sequence restarts at 0 (Java's
  // maybeTransitionToErrorState sets epochBumpRequired for every batch
  // failure; librdkafka #3575: never before the abort). TV2's EndTxn bumps
  // it anyway. Also while committing: the sequence state has left the
  // coordinator's epoch already (TransactionalProducerState::ready_to_send
  // holds every batch until the manager's epoch changes), so an abort
  // without the bump would leave the producer unable to send again.
  if (!transaction_v2_) epoch_bump_required_ = true;
  enter_abortable(error, detail);
}

bool TransactionManager::should_abort_undrained_batches() const noexcept {
  return state_ == State::abortable_error || state_ == State::aborting_transaction || state_ == State::fatal_error;
}

std::int32_t TransactionManager::next_sequence(const TopicPartition& tp, std::int32_t record_count) {
  std::int32_t& next = sequences_[tp];
  const std::int32_t base = next;
  next = add_to_sequence(next, record_count);
  return base;
}

// --- State changes ------------------------------------------------------------------------

void TransactionManager::set_producer(ProducerIdAndEpoch producer) {
  if (producer.valid())
    log(LogLevel::info, "producer id " + to_string(producer.producer_id) + ", epoch " +
                            to_string(producer.epoch) + "; every sequence restarts at 0");
  producer_ = producer;
  sequences_.clear();
}

void TransactionManager::reset_transaction() {
  partitions_in_transaction_.clear();
  new_partitions_.clear();
  pending_partitions_.clear();
  transaction_started_ = false;
  offsets_in_transaction_ = false;
  produce_attempted_ = false;
  produce_succeeded_ = false;
}

void TransactionManager::enter_abortable(std::error_code error, const std::string& detail) {
  if (state_ == State::aborting_transaction || state_ == State::fatal_error) return;
  if (!is_valid_transition(state_, State::abortable_error)) {
    log(LogLevel::warning, "ignoring an abortable error outside a transaction: " + detail);
    return;
  }
  last_error_ = error;
  last_error_detail_ = detail;
  transition_to(State::abortable_error, detail + " (" + error.message() + "); the application must abort");
  fail_queued(error, detail);
  new_partitions_.clear();
}

void TransactionManager::enter_fatal(std::error_code error, const std::string& detail) {
  if (state_ == State::fatal_error) return;
  last_error_ = error;
  last_error_detail_ = detail;
  transition_to(State::fatal_error, detail + " (" + error.message() + "); every later call fails");
  fail_queued(error, detail);
  queue_.clear();  // lookups too: nothing goes out any more
  if (in_flight_ && in_flight_->result) in_flight_->result->complete(error, detail);
}

void TransactionManager::fail_queued(std::error_code error, const std::string& detail) {
  std::vector<Pending> kept;
  for (Pending& p : queue_) {
    if (std::holds_alternative<CoordinatorLookup>(p.request.body)) {
      kept.push_back(std::move(p));
      continue;
    }
    if (p.result) p.result->complete(error, detail);
  }
  queue_ = std::move(kept);
  pending_partitions_.clear();
}

void TransactionManager::complete_transaction(const TransactionResultPtr& result, std::int64_t now_ms) {
  const bool committed = state_ == State::committing_transaction;
  reset_transaction();
  if (upgrade_bump_required_ || epoch_bump_required_) {
    // KIP-360 (TV1) or the TV1 -> TV2 upgrade: InitProducerId with the
    // current id and epoch; the call completes once the epoch is bumped.
    upgrade_bump_required_ = false;
    epoch_bump_required_ = false;
    refresh_transaction_version();
    transition_to(State::initializing, "bumping the epoch after the transaction");
    enqueue(TransactionPriority::epoch_bump, init_request(true), result, now_ms);
    return;
  }
  transition_to(State::ready, committed ? "committed" : "aborted");
  if (result) result->complete();
}

// --- The coordinator queue -----------------------------------------------------------------

protocol::InitProducerIdRequest TransactionManager::init_request(bool bump) const {
  protocol::InitProducerIdRequest request;
  request.transactional_id = config_.transactional_id;
  request.transaction_timeout_ms = config_.transaction_timeout_ms;
  if (bump) {
    request.producer_id = producer_.producer_id.value();
    request.producer_epoch = producer_.epoch.value();
  }
  return request;
}

void TransactionManager::enqueue(TransactionPriority priority, TransactionRequestBody body,
                                 TransactionResultPtr result, std::int64_t now_ms, CoordinatorType destination,
                                 std::string coordinator_key) {
  Pending p;
  p.request.id = next_id_++;
  p.request.priority = priority;
  p.request.destination = destination;
  p.request.coordinator_key =
      destination == CoordinatorType::transaction ? config_.transactional_id : std::move(coordinator_key);
  p.request.max_version = std::visit(
      [&](const auto& b) -> std::int16_t {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, protocol::InitProducerIdRequest>) return kInitProducerIdMax;
        if constexpr (std::is_same_v<T, protocol::AddPartitionsToTxnRequest>)
          return protocol::AddPartitionsToTxnRequest::max_client_version;
        if constexpr (std::is_same_v<T, protocol::AddOffsetsToTxnRequest>) return kAddOffsetsMax;
        if constexpr (std::is_same_v<T, protocol::TxnOffsetCommitRequest>) return txn_offset_commit_max(transaction_v2_);
        if constexpr (std::is_same_v<T, protocol::EndTxnRequest>) return end_txn_max(transaction_v2_);
        return 0;
      },
      body);
  p.request.body = std::move(body);
  p.result = std::move(result);
  p.first_queued_ms = now_ms;
  p.not_before_ms = now_ms;
  p.order = next_order_++;
  queue_.push_back(std::move(p));
}

void TransactionManager::requeue(Pending pending, std::int64_t now_ms, std::int64_t backoff_ms) {
  // Same order: a retried request keeps its place among its priority.
  pending.not_before_ms = now_ms + backoff_ms;
  pending.request.id = next_id_++;
  queue_.push_back(std::move(pending));
}

void TransactionManager::enqueue_add_partitions(std::int64_t now_ms) {
  if (transaction_v2_ || new_partitions_.empty() || !pending_partitions_.empty()) return;
  protocol::AddPartitionsToTxnRequest request;
  request.v3_and_below_transactional_id = config_.transactional_id;
  request.v3_and_below_producer_id = producer_.producer_id.value();
  request.v3_and_below_producer_epoch = producer_.epoch.value();
  for (const TopicPartition& tp : new_partitions_) {
    auto topic = std::find_if(request.v3_and_below_topics.begin(), request.v3_and_below_topics.end(),
                              [&](const auto& t) { return t.name == tp.topic; });
    if (topic == request.v3_and_below_topics.end())
      topic = request.v3_and_below_topics.insert(request.v3_and_below_topics.end(), {tp.topic, {}, {}});
    topic->partitions.push_back(tp.partition);
  }
  for (auto& topic : request.v3_and_below_topics) std::sort(topic.partitions.begin(), topic.partitions.end());
  pending_partitions_ = std::move(new_partitions_);
  new_partitions_.clear();
  enqueue(TransactionPriority::add_partitions_or_offsets, std::move(request), nullptr, now_ms);
}

void TransactionManager::forget_coordinator(CoordinatorType type, const std::string& key) {
  if (type == CoordinatorType::transaction)
    transaction_coordinator_known_ = false;
  else
    known_group_coordinators_.erase(key);
}

void TransactionManager::on_coordinator_disconnected(CoordinatorType type) {
  if (type == CoordinatorType::transaction)
    transaction_coordinator_known_ = false;
  else
    known_group_coordinators_.clear();
}

bool TransactionManager::coordinator_known(const Pending& pending) const {
  if (std::holds_alternative<CoordinatorLookup>(pending.request.body)) return true;
  return pending.request.destination == CoordinatorType::transaction
             ? transaction_coordinator_known_
             : known_group_coordinators_.contains(pending.request.coordinator_key);
}

bool TransactionManager::runs_before(const Pending& a, const Pending& b) noexcept {
  if (a.request.priority != b.request.priority) return a.request.priority < b.request.priority;
  return a.order < b.order;
}

std::vector<TransactionManager::Pending>::iterator TransactionManager::queue_head() {
  return std::min_element(queue_.begin(), queue_.end(), runs_before);
}

bool TransactionManager::prepare_end_txn(Pending& pending) {
  auto& end = std::get<protocol::EndTxnRequest>(pending.request.body);
  if (!transaction_started_) {
    // Nothing reached the broker: no EndTxn (Java's nextRequest). Under TV1
    // an empty EndTxn would even fail with INVALID_TXN_STATE.
    log(LogLevel::debug, "nothing was added to the transaction: it ends without EndTxn");
    return false;
  }
  if (end.committed && transaction_v2_ && produce_attempted_ && !produce_succeeded_ && !offsets_in_transaction_) {
    // KIP-890 TV2: the broker adds a partition before it appends, so a
    // produce that failed may have left the transaction open there, with
    // nothing in it to commit. Abort it instead (franz-go's EndTransaction),
    // or the next transaction would silently join this one.
    log(LogLevel::warning, "no produce of this transaction succeeded: ending it with an abort");
    end.committed = false;
    if (pending.result)
      pending.result->complete(make_error_code(transaction_errc::aborted),
                               "no record of the transaction was written; it was aborted");
  }
  return true;
}

std::optional<TransactionRequest> TransactionManager::next_request(std::int64_t now_ms, bool incomplete_batches) {
  if (in_flight_ || state_ == State::fatal_error) return std::nullopt;
  if (state_ == State::in_transaction || state_ == State::committing_transaction) enqueue_add_partitions(now_ms);
  while (!queue_.empty()) {
    auto head = queue_head();
    // Strictly in priority order: a request waiting out its backoff holds
    // back those behind it (EndTxn must never overtake AddPartitionsToTxn).
    if (head->not_before_ms > now_ms) return std::nullopt;
    if (!coordinator_known(*head)) {
      const CoordinatorType type = head->request.destination;
      const std::string key = head->request.coordinator_key;
      log(LogLevel::debug, std::string("looking up the ") + (type == CoordinatorType::group ? "group" : "transaction") +
                               " coordinator for " + key);
      enqueue(TransactionPriority::find_coordinator, CoordinatorLookup{type, key}, nullptr, now_ms, type, key);
      continue;
    }
    if (std::holds_alternative<protocol::EndTxnRequest>(head->request.body)) {
      if (incomplete_batches) return std::nullopt;
      if (!prepare_end_txn(*head)) {
        Pending local = std::move(*head);
        queue_.erase(head);
        complete_transaction(local.result, now_ms);
        continue;
      }
    }
    in_flight_ = std::move(*head);
    queue_.erase(head);
    log(LogLevel::debug, "sending request " + std::to_string(in_flight_->request.id));
    return in_flight_->request;
  }
  return std::nullopt;
}

std::int64_t TransactionManager::next_wakeup_ms(std::int64_t now_ms) const noexcept {
  if (in_flight_ || queue_.empty()) return -1;
  const std::int64_t not_before = std::min_element(queue_.begin(), queue_.end(), runs_before)->not_before_ms;
  return not_before > now_ms ? not_before : -1;
}

}  // namespace kwire::producer
