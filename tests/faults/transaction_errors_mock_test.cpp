// The transactional producer's KIP-1050 error categories as the caller sees
// them, against the fault-injecting mock cluster (transaction version 1:
// AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit v0-4, EndTxn v0-4):
//  - INVALID_TXN_STATE from the coordinator (AddPartitionsToTxn, EndTxn) is
//    fatal: the producer is unusable (Java's handlers; KIP-1050 "invalid
//    configuration / fatal");
//  - a retriable error that exhausts its retries inside a transaction makes
//    it abortable (KAFKA-19176), on a coordinator request and on the produce
//    path alike; while aborting it is fatal, and so is an abortable error
//    (KAFKA-19250: an abort must not end in "abort the transaction");
//  - a record whose delivery failed is never silently committed: the commit
//    fails abortable and sends no EndTxn(commit) (librdkafka #3325); on the
//    produce path INVALID_TXN_STATE and TRANSACTION_ABORTABLE are abortable
//    too (KIP-890 part 1), not fatal as from the coordinator.
// send_offsets_to_transaction's own faults are in
// transaction_offsets_mock_test.cpp.
#include <doctest/doctest.h>

#include <atomic>
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
using kwire::producer::TransactionErrorKind;
using kwire::producer::TransactionStatus;
using kwire::producer::transaction_errc;
namespace support = kwire::test::txn_mock;

TEST_CASE("transactional producer on the mock: INVALID_TXN_STATE from the coordinator is fatal") {
  MockCluster cluster(support::cluster_config());
  kwire::Producer producer(support::properties(cluster), kwire::producer::silent_log_handler());
  REQUIRE(producer.init_transactions(20s).ok());
  SUBCASE("on AddPartitionsToTxn") {
    cluster.fail_next(ApiKey::add_partitions_to_txn, errc::invalid_txn_state, 1);
    const TransactionStatus commit = support::one_transaction(producer, 3);
    CHECK_MESSAGE(commit.fatal(), commit.message());
    CHECK(commit.error == errc::invalid_txn_state);
    CHECK(cluster.request_count(ApiKey::end_txn) == 0);  // nothing is committed
  }
  SUBCASE("on EndTxn(commit)") {
    cluster.fail_next(ApiKey::end_txn, errc::invalid_txn_state, 1);
    const TransactionStatus commit = support::one_transaction(producer, 3);
    CHECK_MESSAGE(commit.fatal(), commit.message());
    CHECK(commit.error == errc::invalid_txn_state);
    CHECK(cluster.request_count(ApiKey::end_txn) == 1);  // not retried
  }
  // Fatal for good: every later call fails with the same error, abort included.
  const TransactionStatus begin = producer.begin_transaction();
  CHECK(begin.fatal());
  CHECK(begin.error == errc::invalid_txn_state);
  const TransactionStatus abort = producer.abort_transaction(1s);
  CHECK(abort.fatal());
  CHECK(abort.error == errc::invalid_txn_state);
}

TEST_CASE("transactional producer on the mock: retries that run out inside a transaction make it abortable") {
  MockCluster cluster(support::cluster_config());
  kwire::Producer producer(support::short_timeout_properties(cluster), kwire::producer::silent_log_handler());
  REQUIRE(producer.init_transactions(20s).ok());
  SUBCASE("CONCURRENT_TRANSACTIONS on EndTxn(commit), for longer than the transaction timeout") {
    cluster.fail_next(ApiKey::end_txn, errc::concurrent_transactions, 1000000);
    const TransactionStatus commit = support::one_transaction(producer, 3);
    CHECK_MESSAGE(commit.abortable(), commit.message());
    CHECK(commit.error == transaction_errc::retries_exhausted);
    CHECK(cluster.request_count(ApiKey::end_txn) > 3);  // it was retried meanwhile
  }
  SUBCASE("COORDINATOR_LOAD_IN_PROGRESS on AddOffsetsToTxn, for longer than the transaction timeout") {
    cluster.fail_next(ApiKey::add_offsets_to_txn, errc::coordinator_load_in_progress, 1000000);
    REQUIRE(producer.begin_transaction().ok());
    kwire::producer::OffsetToCommit offset;
    offset.partition = {"orders-in", 0};
    offset.offset = 42;
    const TransactionStatus sent =
        producer.send_offsets_to_transaction({offset}, {"orders-copier", 1, "member-1", std::nullopt}, 20s);
    CHECK_MESSAGE(sent.abortable(), sent.message());
    CHECK(sent.error == transaction_errc::retries_exhausted);
    CHECK(cluster.request_count(ApiKey::add_offsets_to_txn) > 3);
    CHECK(cluster.request_count(ApiKey::txn_offset_commit) == 0);
  }
  SUBCASE("NOT_ENOUGH_REPLICAS on every Produce until delivery.timeout.ms expires the batches") {
    cluster.fail_next(ApiKey::produce, errc::not_enough_replicas, 1000000);
    std::atomic<int> failed_reports{0};
    const TransactionStatus commit = support::one_transaction(producer, 3, &failed_reports);
    CHECK_MESSAGE(commit.abortable(), commit.message());
    producer.flush(5s);  // every delivery report has been called
    CHECK(failed_reports.load() == 3);
    CHECK(cluster.request_count(ApiKey::end_txn) == 0);
  }
  // Abortable, not fatal: the abort succeeds and the producer goes on.
  cluster.clear_faults();
  const TransactionStatus abort = producer.abort_transaction(20s);
  REQUIRE_MESSAGE(abort.ok(), abort.message());
  const std::size_t before = support::stored(cluster);
  const TransactionStatus next = support::one_transaction(producer, 3);
  CHECK_MESSAGE(next.ok(), next.message());
  CHECK(support::stored(cluster) == before + 3);
}

TEST_CASE("transactional producer on the mock: an abort that fails is fatal, never abortable (KAFKA-19250)") {
  MockCluster cluster(support::cluster_config());
  kwire::Producer producer(support::short_timeout_properties(cluster), kwire::producer::silent_log_handler());
  REQUIRE(producer.init_transactions(20s).ok());
  REQUIRE(producer.begin_transaction().ok());
  support::send_records(producer, 3);
  REQUIRE(producer.flush(10s));
  std::error_code expected;
  SUBCASE("TRANSACTION_ABORTABLE on EndTxn(abort)") {
    cluster.fail_next(ApiKey::end_txn, errc::transaction_abortable, 1);
    expected = errc::transaction_abortable;
  }
  SUBCASE("CONCURRENT_TRANSACTIONS on EndTxn(abort) until the retries run out") {
    cluster.fail_next(ApiKey::end_txn, errc::concurrent_transactions, 1000000);
    expected = transaction_errc::retries_exhausted;
  }
  const TransactionStatus abort = producer.abort_transaction(20s);
  CHECK_MESSAGE(abort.fatal(), abort.message());
  CHECK(abort.error == expected);
  cluster.clear_faults();
  // The producer stays unusable: no abort loop, every call fails alike.
  const TransactionStatus again = producer.abort_transaction(1s);
  CHECK(again.fatal());
  CHECK(again.error == expected);
  CHECK(producer.begin_transaction().fatal());
}

TEST_CASE("transactional producer on the mock: a record whose delivery failed is never silently committed") {
  MockCluster cluster(support::cluster_config());
  kwire::Producer producer(support::properties(cluster), kwire::producer::silent_log_handler());
  REQUIRE(producer.init_transactions(20s).ok());
  // Not retriable, each: the batch for partition 1 fails; the other
  // partitions' batches are stored or, if still queued, fail at once as the
  // transaction is abortable.
  errc error = errc::none;
  SUBCASE("INVALID_RECORD (the broker's validation refused the batch)") { error = errc::invalid_record; }
  SUBCASE("INVALID_TXN_STATE (Produce v0-10: the partition is not in the transaction, KIP-890 part 1)") {
    error = errc::invalid_txn_state;
  }
  SUBCASE("TRANSACTION_ABORTABLE (Produce v11+: the same, KIP-890 part 1)") { error = errc::transaction_abortable; }
  INFO("error " << static_cast<int>(error));
  cluster.fail_next(ApiKey::produce, error, 1, support::kTopic, 1);
  std::atomic<int> failed_reports{0};
  const TransactionStatus commit = support::one_transaction(producer, 6, &failed_reports);
  CHECK_MESSAGE(commit.abortable(), commit.message());
  CHECK(commit.error == error);
  producer.flush(5s);  // every delivery report has been called
  CHECK(failed_reports.load() >= 2);  // the two records of partition 1, at least
  CHECK(static_cast<std::size_t>(failed_reports.load()) + support::stored(cluster) == 6);
  CHECK(cluster.record_count(support::kTopic, 1) == 0);
  CHECK(cluster.request_count(ApiKey::end_txn) == 0);  // no EndTxn(commit) with a hole in it
  // A second commit of the same transaction is refused the same way.
  const TransactionStatus again = producer.commit_transaction(5s);
  CHECK(again.abortable());
  CHECK(again.error == error);
  CHECK(cluster.request_count(ApiKey::end_txn) == 0);
  // abort, then the producer goes on: the next transaction is whole. The
  // failed batch left a sequence gap, so after the abort InitProducerId
  // bumps the epoch (KIP-360, TV1) and partition 1 starts again at 0.
  const auto inits = cluster.request_count(ApiKey::init_producer_id);
  const TransactionStatus abort = producer.abort_transaction(20s);
  REQUIRE_MESSAGE(abort.ok(), abort.message());
  CHECK(cluster.request_count(ApiKey::end_txn) == 1);  // EndTxn(abort)
  CHECK(cluster.request_count(ApiKey::init_producer_id) == inits + 1);
  std::atomic<int> next_failed{0};
  const TransactionStatus next = support::one_transaction(producer, 6, &next_failed);
  CHECK_MESSAGE(next.ok(), next.message());
  CHECK(next_failed.load() == 0);
  const auto partition1 = cluster.records(support::kTopic, 1);
  REQUIRE(partition1.size() == 2);
  CHECK(partition1[0].sequence == 0);
  CHECK(partition1[0].producer_epoch == 1);
}
