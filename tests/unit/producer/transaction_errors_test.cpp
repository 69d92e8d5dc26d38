// The KIP-1050 classification table (producer/src/transaction_errors.hpp).
#include <doctest/doctest.h>

#include <system_error>

#include "../../../producer/src/transaction_errors.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace kwire::producer;
using kwire::client_errc;
using kwire::errc;
using Category = TransactionErrorCategory;
using Api = TransactionApi;

namespace {

constexpr Api kCoordinatorApis[] = {Api::find_coordinator, Api::init_producer_id, Api::add_partitions_to_txn,
                                    Api::add_offsets_to_txn, Api::txn_offset_commit, Api::end_txn};

Category classify(errc e, Api api, TransactionErrorContext context = {}) {
  return classify_transaction_error(make_error_code(e), api, context);
}

}  // namespace

TEST_CASE("KIP-1050: retriable errors are retriable on every coordinator API") {
  for (Api api : kCoordinatorApis) {
    CAPTURE(to_string(api));
    CHECK(classify(errc::concurrent_transactions, api) == Category::retriable);
    CHECK(classify(errc::coordinator_load_in_progress, api) == Category::retriable);
    CHECK(classify(errc::not_enough_replicas, api) == Category::retriable);
    CHECK(classify(errc::not_coordinator, api) == Category::refresh_retriable);
    CHECK(classify(errc::coordinator_not_available, api) == Category::refresh_retriable);
    CHECK(classify_transaction_error(make_error_code(client_errc::disconnected), api) == Category::refresh_retriable);
    CHECK(classify_transaction_error({}, api) == Category::none);
  }
  // Java's TxnOffsetCommitHandler looks the group coordinator up on a timeout.
  CHECK(classify(errc::request_timed_out, Api::txn_offset_commit) == Category::refresh_retriable);
  CHECK(classify(errc::request_timed_out, Api::end_txn) == Category::retriable);
}

TEST_CASE("KIP-1050: INVALID_PRODUCER_EPOCH is abortable on the produce path, fenced from a coordinator (KIP-588)") {
  CHECK(classify(errc::invalid_producer_epoch, Api::produce) == Category::abortable);
  for (Api api : kCoordinatorApis) {
    CAPTURE(to_string(api));
    CHECK(classify(errc::invalid_producer_epoch, api) == Category::fenced);
    CHECK(classify(errc::producer_fenced, api) == Category::fenced);
  }
  CHECK(classify(errc::producer_fenced, Api::produce) == Category::fenced);
}

TEST_CASE("KIP-1050: abortable errors") {
  for (Api api : kCoordinatorApis) {
    CAPTURE(to_string(api));
    CHECK(classify(errc::transaction_abortable, api) == Category::abortable);
    CHECK(classify(errc::group_authorization_failed, api) == Category::abortable);
  }
  CHECK(classify(errc::topic_authorization_failed, Api::add_partitions_to_txn) == Category::abortable);
  CHECK(classify(errc::operation_not_attempted, Api::add_partitions_to_txn) == Category::abortable);
  // KIP-447: a consumer rebalanced away may not commit its offsets.
  CHECK(classify(errc::unknown_member_id, Api::txn_offset_commit) == Category::abortable);
  CHECK(classify(errc::illegal_generation, Api::txn_offset_commit) == Category::abortable);
  CHECK(classify(errc::fenced_instance_id, Api::txn_offset_commit) == Category::abortable);
  // Any failed batch: the record is not in the log, the transaction must not commit.
  CHECK(classify(errc::message_too_large, Api::produce) == Category::abortable);
  CHECK(classify(errc::invalid_txn_state, Api::produce) == Category::abortable);
  CHECK(classify_transaction_error(make_error_code(client_errc::timed_out), Api::produce) == Category::abortable);
  // Init may be repeated once the ACLs allow it; elsewhere the refusal is fatal.
  CHECK(classify(errc::transactional_id_authorization_failed, Api::init_producer_id) == Category::abortable);
  CHECK(classify(errc::cluster_authorization_failed, Api::init_producer_id) == Category::abortable);
  CHECK(classify(errc::transactional_id_authorization_failed, Api::add_partitions_to_txn) == Category::fatal);
}

TEST_CASE("KIP-1050: sequence errors are abortable only when the epoch can be bumped (KIP-360)") {
  for (errc e : {errc::unknown_producer_id, errc::out_of_order_sequence_number}) {
    CHECK(classify(e, Api::produce, {.aborting = false, .epoch_bump_possible = true}) == Category::abortable);
    CHECK(classify(e, Api::produce, {.aborting = false, .epoch_bump_possible = false}) == Category::fatal);
  }
  CHECK(classify(errc::unknown_producer_id, Api::add_partitions_to_txn) == Category::abortable);
}

TEST_CASE("KIP-1050: fatal errors") {
  for (Api api : kCoordinatorApis) {
    CAPTURE(to_string(api));
    CHECK(classify(errc::invalid_producer_id_mapping, api) == Category::fatal);
    CHECK(classify(errc::invalid_transaction_timeout, api) == Category::fatal);
    CHECK(classify(errc::unsupported_version, api) == Category::fatal);
    CHECK(classify(errc::unknown_server_error, api) == Category::fatal);  // unexpected: Java's default branch
  }
  CHECK(classify(errc::invalid_txn_state, Api::end_txn) == Category::fatal);
  CHECK(classify(errc::invalid_txn_state, Api::add_partitions_to_txn) == Category::fatal);
}

TEST_CASE("KIP-1050: an abortable error while aborting is fatal (KAFKA-19250); exhausted retries are abortable (KAFKA-19176)") {
  const TransactionErrorContext aborting{.aborting = true, .epoch_bump_possible = true};
  CHECK(classify(errc::transaction_abortable, Api::end_txn, aborting) == Category::fatal);
  CHECK(classify(errc::concurrent_transactions, Api::end_txn, aborting) == Category::retriable);
  // Batches failing during an abort are expected, not fatal.
  CHECK(classify(errc::message_too_large, Api::produce, aborting) == Category::abortable);
  CHECK(retries_exhausted({}) == Category::abortable);
  CHECK(retries_exhausted(aborting) == Category::fatal);
}

TEST_CASE("transaction_errc messages") {
  const std::error_code ec = make_error_code(transaction_errc::operation_pending);
  CHECK(std::string(ec.category().name()) == "kwire.transaction");
  CHECK(ec.message().find("pending") != std::string::npos);
  CHECK_FALSE(make_error_code(transaction_errc::ok));
}
