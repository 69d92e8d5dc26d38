// TransactionManager: the coordinator's answers (Java's TxnRequestHandler
// subclasses). Every error goes through classify_transaction_error
// (transaction_errors.hpp); the handlers add only what is particular to
// their request.
#include <algorithm>
#include <string>
#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "transaction_manager.hpp"

namespace kwire::producer {
namespace {

using State = TransactionState;
using Category = TransactionErrorCategory;
using Api = TransactionApi;

Api api_of(const TransactionRequestBody& body) noexcept {
  switch (body.index()) {
    case 0: return Api::find_coordinator;
    case 1: return Api::init_producer_id;
    case 2: return Api::add_partitions_to_txn;
    case 3: return Api::add_offsets_to_txn;
    case 4: return Api::txn_offset_commit;
    default: return Api::end_txn;
  }
}

std::string describe(std::error_code error, Api api) {
  return std::string(to_string(api)) + ": " + error_name(error);
}

}  // namespace

void TransactionManager::on_response(std::uint64_t id, std::error_code error, const TransactionResponseBody& body,
                                     std::int64_t now_ms) {
  if (!in_flight_ || in_flight_->request.id != id) {
    // Java: a response that is not for the request in flight is fatal.
    enter_fatal(make_error_code(client_errc::correlation_mismatch),
                "a transactional response for request " + std::to_string(id) + " that is not in flight");
    return;
  }
  Pending pending = std::move(*in_flight_);
  in_flight_.reset();
  if (state_ == State::fatal_error) {
    if (pending.result) pending.result->complete(last_error_, last_error_detail_);
    return;
  }
  dispatch(std::move(pending), error, body, now_ms);
}

void TransactionManager::dispatch(Pending pending, std::error_code error, const TransactionResponseBody& body,
                                  std::int64_t now_ms) {
  const Api api = api_of(pending.request.body);
  if (config_.debug)
    log(LogLevel::debug, std::string(to_string(api)) + " answered" + (error ? ": " + error.message() : ""));
  if (api == Api::find_coordinator) {
    on_lookup(std::move(pending), error, now_ms);
    return;
  }
  if (error) {
    handle_error(std::move(pending), error, api, now_ms);
    return;
  }
  // The body answers the request's own API (variant indexes match).
  if (body.index() != pending.request.body.index()) {
    enter_fatal(make_error_code(client_errc::malformed),
                std::string(to_string(api)) + ": the answer is not a " + std::string(to_string(api)) + " response");
    return;
  }
  switch (api) {
    case Api::init_producer_id:
      on_init_producer_id(std::move(pending), std::get<protocol::InitProducerIdResponse>(body), now_ms);
      break;
    case Api::add_partitions_to_txn:
      on_add_partitions(std::move(pending), std::get<protocol::AddPartitionsToTxnResponse>(body), now_ms);
      break;
    case Api::add_offsets_to_txn:
      on_add_offsets(std::move(pending), std::get<protocol::AddOffsetsToTxnResponse>(body), now_ms);
      break;
    case Api::txn_offset_commit:
      on_txn_offset_commit(std::move(pending), std::get<protocol::TxnOffsetCommitResponse>(body), now_ms);
      break;
    default: on_end_txn(std::move(pending), std::get<protocol::EndTxnResponse>(body), now_ms); break;
  }
}

void TransactionManager::handle_error(Pending pending, std::error_code error, TransactionApi api,
                                      std::int64_t now_ms) {
  const TransactionErrorContext context{.aborting = state_ == State::aborting_transaction,
                                        .epoch_bump_possible = true};
  Category category = classify_transaction_error(error, api, context);
  std::string detail = describe(error, api);
  const bool retry = category == Category::retriable || category == Category::refresh_retriable;
  const bool ending = state_ == State::abortable_error || state_ == State::aborting_transaction;
  if (retry && ending && (api == Api::add_partitions_to_txn || api == Api::add_offsets_to_txn ||
                          api == Api::txn_offset_commit)) {
    // The transaction is being given up: only the abort's own requests go
    // on (Java's maybeTerminateRequestWithError).
    if (pending.result)
      pending.result->complete(state_ == State::abortable_error ? last_error_ : make_error_code(transaction_errc::aborted),
                               detail + "; not retried, the transaction is being aborted");
    pending_partitions_.clear();
    return;
  }
  if (retry && now_ms - pending.first_queued_ms >= config_.retry_timeout_ms) {
    // KAFKA-19176 / KAFKA-20077: no retry loop without end.
    category = retries_exhausted(context);
    detail += " for " + std::to_string(now_ms - pending.first_queued_ms) + " ms; retries exhausted";
    error = make_error_code(transaction_errc::retries_exhausted);
  } else if (retry) {
    // A request whose coordinator moved goes again right after the new
    // lookup (which next_request queues ahead of it); a lookup itself backs off.
    const bool relookup = category == Category::refresh_retriable && api != Api::find_coordinator;
    if (relookup) forget_coordinator(pending.request.destination, pending.request.coordinator_key);
    // Java cuts the backoff of the first AddPartitionsToTxn of a
    // transaction: CONCURRENT_TRANSACTIONS right after a commit is short.
    const bool first_add = api == Api::add_partitions_to_txn && partitions_in_transaction_.empty() &&
                           error == kwire::errc::concurrent_transactions;
    const std::int64_t backoff = relookup    ? 0
                                 : first_add ? config_.add_partitions_retry_backoff_ms
                                             : config_.retry_backoff_ms;
    log(LogLevel::debug, detail + ": retrying in " + std::to_string(backoff) + " ms");
    requeue(std::move(pending), now_ms, backoff);
    return;
  }
  if (category == Category::abortable) {
    enter_abortable(error, detail);
    if (pending.result) pending.result->complete(error, detail);
    if (api == Api::init_producer_id) {
      // Java: an authorization refusal of InitProducerId leaves the producer
      // uninitialized, so init_transactions() may be called again; kwire
      // does the same for every abortable InitProducerId error (retries
      // exhausted included): there is no transaction to abort.
      transition_to(State::uninitialized, "init_transactions() may be called again");
    }
    return;
  }
  enter_fatal(error, detail);
  if (pending.result) pending.result->complete(error, detail);
}

void TransactionManager::on_lookup(Pending pending, std::error_code error, std::int64_t now_ms) {
  const auto& lookup = std::get<CoordinatorLookup>(pending.request.body);
  if (!error) {
    if (lookup.type == CoordinatorType::transaction)
      transaction_coordinator_known_ = true;
    else
      known_group_coordinators_.insert(lookup.key);
    return;
  }
  handle_error(std::move(pending), error, Api::find_coordinator, now_ms);
}

void TransactionManager::on_init_producer_id(Pending pending, const protocol::InitProducerIdResponse& response,
                                             std::int64_t now_ms) {
  if (response.error_code != kwire::errc::none) {
    handle_error(std::move(pending), make_error_code(response.error_code), Api::init_producer_id, now_ms);
    return;
  }
  set_producer({ProducerId{response.producer_id}, ProducerEpoch{response.producer_epoch}});
  transition_to(State::ready, "producer id assigned");
  if (pending.result) pending.result->complete();
}

void TransactionManager::on_add_partitions(Pending pending, const protocol::AddPartitionsToTxnResponse& response,
                                           std::int64_t now_ms) {
  // The first real error decides; OPERATION_NOT_ATTEMPTED only says another
  // partition of the request failed.
  kwire::errc first = kwire::errc::none;
  for (const auto& topic : response.results_by_topic_v3_and_below)
    for (const auto& p : topic.partitions)
      if (p.error_code != kwire::errc::none &&
          (first == kwire::errc::none || first == kwire::errc::operation_not_attempted))
        first = p.error_code;
  if (first == kwire::errc::none) {
    for (const TopicPartition& tp : pending_partitions_) partitions_in_transaction_.insert(tp);
    pending_partitions_.clear();
    transaction_started_ = true;
    return;
  }
  const std::error_code error = make_error_code(first);
  const Category category = classify_transaction_error(error, Api::add_partitions_to_txn);
  if (category != Category::retriable && category != Category::refresh_retriable) {
    pending_partitions_.clear();  // dropped whatever the outcome (Java)
    if (first == kwire::errc::unknown_producer_id) epoch_bump_required_ = true;  // KIP-360, after the abort
  }
  handle_error(std::move(pending), error, Api::add_partitions_to_txn, now_ms);
}

void TransactionManager::on_add_offsets(Pending pending, const protocol::AddOffsetsToTxnResponse& response,
                                        std::int64_t now_ms) {
  if (response.error_code != kwire::errc::none) {
    handle_error(std::move(pending), make_error_code(response.error_code), Api::add_offsets_to_txn, now_ms);
    return;
  }
  // The offsets partition is in the transaction; the TxnOffsetCommit queued
  // behind this request completes the call.
  transaction_started_ = true;
  offsets_in_transaction_ = true;
}

void TransactionManager::on_txn_offset_commit(Pending pending, const protocol::TxnOffsetCommitResponse& response,
                                              std::int64_t now_ms) {
  // Per partition: the committed ones are done, only the rest is retried.
  auto& request = std::get<protocol::TxnOffsetCommitRequest>(pending.request.body);
  kwire::errc first = kwire::errc::none;
  for (const auto& topic : response.topics) {
    auto sent = std::find_if(request.topics.begin(), request.topics.end(),
                             [&](const auto& t) { return t.name == topic.name; });
    for (const auto& p : topic.partitions) {
      if (p.error_code != kwire::errc::none) {
        if (first == kwire::errc::none) first = p.error_code;
        continue;
      }
      if (sent != request.topics.end())
        std::erase_if(sent->partitions, [&](const auto& s) { return s.partition_index == p.partition_index; });
    }
  }
  std::erase_if(request.topics, [](const auto& t) { return t.partitions.empty(); });
  if (first == kwire::errc::none) {
    if (pending.result) pending.result->complete();
    return;
  }
  handle_error(std::move(pending), make_error_code(first), Api::txn_offset_commit, now_ms);
}

void TransactionManager::on_end_txn(Pending pending, const protocol::EndTxnResponse& response, std::int64_t now_ms) {
  if (response.error_code != kwire::errc::none) {
    handle_error(std::move(pending), make_error_code(response.error_code), Api::end_txn, now_ms);
    return;
  }
  // EndTxn v5 (TV2): the id and epoch of the next transaction; a new
  // producer id at epoch 0 once the epoch is exhausted (KAFKA-18660).
  if (response.producer_id >= 0 && response.producer_epoch >= 0)
    set_producer({ProducerId{response.producer_id}, ProducerEpoch{response.producer_epoch}});
  complete_transaction(pending.result, now_ms);
}

}  // namespace kwire::producer
