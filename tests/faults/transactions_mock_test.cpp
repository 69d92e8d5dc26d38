// The transactional producer (kwire::Producer with transactional.id) against
// the fault-injecting mock cluster, in process: each fault on the
// coordinator path has its expected outcome — retriable ones
// (CONCURRENT_TRANSACTIONS bursts, COORDINATOR_LOAD_IN_PROGRESS, a coordinator
// that moved: NOT_COORDINATOR, a lost EndTxn response) never reach the
// caller and the commit succeeds; TRANSACTION_ABORTABLE makes the commit
// abortable and the next transaction commits after the abort;
// PRODUCER_FENCED is fatal for good. The KIP-1050 categories of the other
// errors are in transaction_errors_mock_test.cpp, send_offsets_to_transaction's
// faults in transaction_offsets_mock_test.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>

#include "kwire/mock/cluster.hpp"
#include "kwire/producer/producer.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "transactions_mock_support.hpp"

using namespace std::chrono_literals;
using kwire::errc;
using kwire::mock::ApiKey;
using kwire::mock::MockCluster;
using kwire::producer::TransactionStatus;

using kwire::test::txn_mock::cluster_config;
using kwire::test::txn_mock::kId;
using kwire::test::txn_mock::kTopic;
using kwire::test::txn_mock::one_transaction;
using kwire::test::txn_mock::properties;
using kwire::test::txn_mock::stored;

TEST_CASE("transactional producer on the mock: a clean init and commit (TV1: AddPartitionsToTxn, EndTxn)") {
  MockCluster cluster(cluster_config());
  kwire::Producer producer(properties(cluster), kwire::producer::silent_log_handler());
  const TransactionStatus init = producer.init_transactions(20s);
  REQUIRE_MESSAGE(init.ok(), init.message());
  const TransactionStatus commit = one_transaction(producer, 9);
  REQUIRE_MESSAGE(commit.ok(), commit.message());
  CHECK(stored(cluster) == 9);
  CHECK(cluster.request_count(ApiKey::add_partitions_to_txn) >= 1);
  CHECK(cluster.request_count(ApiKey::end_txn) == 1);
  CHECK(producer.statistics().producer_id >= 0);
  // send() outside a transaction is refused; calls after close() are usage errors.
  std::error_code refused;
  const std::string value = "outside";
  producer.send(kwire::producer::RecordView(kTopic, std::nullopt, kwire::producer::bytes_of(value)),
                [&](const kwire::producer::DeliveryReport& r) { refused = r.error; });
  CHECK(refused == kwire::producer::transaction_errc::invalid_state);
  producer.close(5s);
  const TransactionStatus after = producer.begin_transaction();
  CHECK(after.kind == kwire::producer::TransactionErrorKind::usage);
  CHECK(after.error == kwire::client_errc::shutting_down);
}

TEST_CASE("transactional producer on the mock: retriable coordinator errors never reach the caller") {
  MockCluster cluster(cluster_config());
  kwire::Producer producer(properties(cluster), kwire::producer::silent_log_handler());
  SUBCASE("COORDINATOR_LOAD_IN_PROGRESS and CONCURRENT_TRANSACTIONS on InitProducerId") {
    cluster.fail_next(ApiKey::init_producer_id, errc::coordinator_load_in_progress, 2);
    cluster.fail_next(ApiKey::init_producer_id, errc::concurrent_transactions, 2);
    const TransactionStatus init = producer.init_transactions(20s);
    REQUIRE_MESSAGE(init.ok(), init.message());
    CHECK(cluster.request_count(ApiKey::init_producer_id) == 5);
    CHECK(one_transaction(producer, 3).ok());
  }
  SUBCASE("a burst of CONCURRENT_TRANSACTIONS on AddPartitionsToTxn and EndTxn") {
    REQUIRE(producer.init_transactions(20s).ok());
    cluster.fail_next(ApiKey::add_partitions_to_txn, errc::concurrent_transactions, 3);
    cluster.fail_next(ApiKey::end_txn, errc::concurrent_transactions, 3);
    const TransactionStatus commit = one_transaction(producer, 6);
    REQUIRE_MESSAGE(commit.ok(), commit.message());
    CHECK(cluster.request_count(ApiKey::end_txn) == 4);
    CHECK(stored(cluster) == 6);
  }
  SUBCASE("the coordinator moves: NOT_COORDINATOR, a new lookup, the request on the new coordinator") {
    REQUIRE(producer.init_transactions(20s).ok());
    REQUIRE(one_transaction(producer, 3).ok());
    const std::int32_t old_coordinator = cluster.coordinator(1, kId);
    const std::int32_t moved = old_coordinator % 3 + 1;
    cluster.move_coordinator(1, kId, moved);
    const auto finds = cluster.request_count(ApiKey::find_coordinator);
    const TransactionStatus commit = one_transaction(producer, 3);
    REQUIRE_MESSAGE(commit.ok(), commit.message());
    CHECK(cluster.request_count(ApiKey::find_coordinator) > finds);
    CHECK(cluster.request_count(ApiKey::end_txn, moved) == 1);
  }
  SUBCASE("a lost EndTxn response: the retry is answered and the commit succeeds once") {
    REQUIRE(producer.init_transactions(20s).ok());
    cluster.drop_connection_after(ApiKey::end_txn, 1);
    const TransactionStatus commit = one_transaction(producer, 3);
    REQUIRE_MESSAGE(commit.ok(), commit.message());
    CHECK(cluster.request_count(ApiKey::end_txn) == 2);
    CHECK(one_transaction(producer, 3).ok());  // and the producer goes on
  }
}

TEST_CASE("transactional producer on the mock: TRANSACTION_ABORTABLE is abortable, PRODUCER_FENCED fatal") {
  MockCluster cluster(cluster_config());
  kwire::Producer producer(properties(cluster), kwire::producer::silent_log_handler());
  REQUIRE(producer.init_transactions(20s).ok());
  SUBCASE("TRANSACTION_ABORTABLE on AddPartitionsToTxn: abort, then the next transaction commits") {
    cluster.fail_next(ApiKey::add_partitions_to_txn, errc::transaction_abortable, 1);
    const TransactionStatus commit = one_transaction(producer, 3);
    CHECK_FALSE(commit.ok());
    CHECK_MESSAGE(commit.abortable(), commit.message());
    CHECK(commit.error == errc::transaction_abortable);
    CHECK(commit.detail.find(kId) != std::string::npos);
    const TransactionStatus abort = producer.abort_transaction(20s);
    REQUIRE_MESSAGE(abort.ok(), abort.message());
    const TransactionStatus next = one_transaction(producer, 3);
    CHECK_MESSAGE(next.ok(), next.message());
  }
  SUBCASE("PRODUCER_FENCED on EndTxn: fatal, and so is every later call") {
    cluster.fail_next(ApiKey::end_txn, errc::producer_fenced, 1);
    const TransactionStatus commit = one_transaction(producer, 3);
    CHECK(commit.fatal());
    CHECK(commit.error == errc::producer_fenced);
    CHECK(producer.begin_transaction().fatal());
    CHECK(producer.abort_transaction(1s).fatal());
  }
  SUBCASE("the RAII guard aborts a transaction left without commit") {
    const auto ends = cluster.request_count(ApiKey::end_txn);
    {
      auto txn = producer.transaction();
      REQUIRE(txn.status().ok());
      const std::string value = "dropped";
      kwire::producer::RecordView record(kTopic, std::nullopt, kwire::producer::bytes_of(value));
      record.partition = 0;
      producer.send(record, [](const kwire::producer::DeliveryReport&) {});
      REQUIRE(producer.flush(10s));
    }
    CHECK(cluster.request_count(ApiKey::end_txn) == ends + 1);  // EndTxn(abort)
    CHECK(one_transaction(producer, 3).ok());
  }
}

TEST_CASE("transactional producer on the mock: a timed-out commit goes on and the same call picks up its result") {
  MockCluster cluster(cluster_config());
  kwire::Producer producer(properties(cluster), kwire::producer::silent_log_handler());
  REQUIRE(producer.init_transactions(20s).ok());
  REQUIRE(producer.begin_transaction().ok());
  const std::string value = "slow";
  kwire::producer::RecordView record(kTopic, std::nullopt, kwire::producer::bytes_of(value));
  record.partition = 1;
  producer.send(record, [](const kwire::producer::DeliveryReport&) {});
  cluster.delay(ApiKey::end_txn, 1500ms);
  const TransactionStatus first = producer.commit_transaction(300ms);
  CHECK(first.timed_out());
  CHECK(first.error == kwire::client_errc::timed_out);
  // Another call meanwhile: refused, the commit stays pending.
  const TransactionStatus other = producer.abort_transaction(1s);
  CHECK(other.kind == kwire::producer::TransactionErrorKind::usage);
  CHECK(other.error == kwire::producer::transaction_errc::operation_pending);
  // The same call again: the first commit's result, with one EndTxn only.
  const TransactionStatus again = producer.commit_transaction(10s);
  REQUIRE_MESSAGE(again.ok(), again.message());
  CHECK(cluster.request_count(ApiKey::end_txn) == 1);
  CHECK(one_transaction(producer, 3).ok());
}
