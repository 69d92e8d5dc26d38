// send_offsets_to_transaction (KIP-98, KIP-447) against the fault-injecting
// mock cluster, transaction version 1: AddOffsetsToTxn goes to the
// transaction coordinator, then TxnOffsetCommit to the group's coordinator.
// Expected outcomes (transaction_errors.hpp):
//  - retriable errors on either (CONCURRENT_TRANSACTIONS,
//    COORDINATOR_LOAD_IN_PROGRESS) and a group coordinator that moved
//    (NOT_COORDINATOR: a new lookup of the *group* coordinator) are retried
//    invisibly: the call succeeds, only the failed partitions go again;
//  - UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID (the consumer
//    was rebalanced away, KIP-447) and GROUP_AUTHORIZATION_FAILED make the
//    transaction abortable: the application aborts, rewinds, goes on.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "kwire/mock/cluster.hpp"
#include "kwire/producer/producer.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "transactions_mock_support.hpp"

using namespace std::chrono_literals;
using kwire::errc;
using kwire::mock::ApiKey;
using kwire::mock::MockCluster;
using kwire::producer::TransactionStatus;
namespace support = kwire::test::txn_mock;

namespace {

const std::string kGroup = "orders-copier";
const std::string kInput = "orders-in";

kwire::producer::ConsumerGroupMetadata group_metadata() {
  return {kGroup, 7, "member-1", std::nullopt};
}

/// Offsets for partitions 0-2 of the input topic: 100 + partition.
std::vector<kwire::producer::OffsetToCommit> input_offsets() {
  std::vector<kwire::producer::OffsetToCommit> offsets;
  for (std::int32_t p = 0; p < 3; ++p) {
    kwire::producer::OffsetToCommit o;
    o.partition = {kInput, p};
    o.offset = 100 + p;
    offsets.push_back(o);
  }
  return offsets;
}

/// begin, 3 records, send_offsets_to_transaction: the last call's status.
TransactionStatus begin_and_send_offsets(kwire::Producer& producer) {
  const TransactionStatus begun = producer.begin_transaction();
  if (!begun.ok()) return begun;
  support::send_records(producer, 3);
  return producer.send_offsets_to_transaction(input_offsets(), group_metadata(), 20s);
}

bool all_offsets_stored(const MockCluster& cluster) {
  const auto stored = cluster.txn_offset_commits(kGroup);
  for (std::int32_t p = 0; p < 3; ++p) {
    auto it = stored.find({kInput, p});
    if (it == stored.end() || it->second != 100 + p) return false;
  }
  return stored.size() == 3;
}

}  // namespace

TEST_CASE("send_offsets_to_transaction on the mock: AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator") {
  MockCluster cluster(support::cluster_config());
  kwire::Producer producer(support::properties(cluster), kwire::producer::silent_log_handler());
  REQUIRE(producer.init_transactions(20s).ok());
  const TransactionStatus sent = begin_and_send_offsets(producer);
  REQUIRE_MESSAGE(sent.ok(), sent.message());
  const TransactionStatus commit = producer.commit_transaction(20s);
  REQUIRE_MESSAGE(commit.ok(), commit.message());
  CHECK(all_offsets_stored(cluster));
  const std::int32_t txn_coordinator = cluster.coordinator(1, support::kId);
  const std::int32_t group_coordinator = cluster.coordinator(0, kGroup);
  CHECK(cluster.request_count(ApiKey::add_offsets_to_txn) == 1);
  CHECK(cluster.request_count(ApiKey::add_offsets_to_txn, txn_coordinator) == 1);
  CHECK(cluster.request_count(ApiKey::txn_offset_commit) == 1);
  CHECK(cluster.request_count(ApiKey::txn_offset_commit, group_coordinator) == 1);
  CHECK(support::stored(cluster) == 3);
}

TEST_CASE("send_offsets_to_transaction on the mock: retriable errors are retried invisibly") {
  MockCluster cluster(support::cluster_config());
  kwire::Producer producer(support::properties(cluster), kwire::producer::silent_log_handler());
  REQUIRE(producer.init_transactions(20s).ok());
  SUBCASE("CONCURRENT_TRANSACTIONS and COORDINATOR_LOAD_IN_PROGRESS on AddOffsetsToTxn") {
    cluster.fail_next(ApiKey::add_offsets_to_txn, errc::concurrent_transactions, 2);
    cluster.fail_next(ApiKey::add_offsets_to_txn, errc::coordinator_load_in_progress, 1);
    const TransactionStatus sent = begin_and_send_offsets(producer);
    REQUIRE_MESSAGE(sent.ok(), sent.message());
    CHECK(cluster.request_count(ApiKey::add_offsets_to_txn) == 4);
    CHECK(cluster.request_count(ApiKey::txn_offset_commit) == 1);
  }
  SUBCASE("COORDINATOR_LOAD_IN_PROGRESS on TxnOffsetCommit, for one partition: only it goes again") {
    cluster.fail_next(ApiKey::txn_offset_commit, errc::coordinator_load_in_progress, 2, kInput, 1);
    const TransactionStatus sent = begin_and_send_offsets(producer);
    REQUIRE_MESSAGE(sent.ok(), sent.message());
    CHECK(cluster.request_count(ApiKey::txn_offset_commit) == 3);
  }
  SUBCASE("the group coordinator moved: NOT_COORDINATOR, a new group lookup, the commit on the new one") {
    const std::int32_t old_coordinator = cluster.coordinator(0, kGroup);
    const std::int32_t moved = old_coordinator % 3 + 1;
    // The producer looks the group up at its first send_offsets: move it
    // after that lookup, so the TxnOffsetCommit meets the old coordinator.
    REQUIRE(begin_and_send_offsets(producer).ok());
    REQUIRE(producer.commit_transaction(20s).ok());
    cluster.move_coordinator(0, kGroup, moved);
    const auto finds = cluster.request_count(ApiKey::find_coordinator);
    const auto commits_on_old = cluster.request_count(ApiKey::txn_offset_commit, old_coordinator);
    const TransactionStatus sent = begin_and_send_offsets(producer);
    REQUIRE_MESSAGE(sent.ok(), sent.message());
    CHECK(cluster.request_count(ApiKey::txn_offset_commit, old_coordinator) == commits_on_old + 1);
    CHECK(cluster.request_count(ApiKey::txn_offset_commit, moved) == 1);
    CHECK(cluster.request_count(ApiKey::find_coordinator) > finds);
    // The transaction coordinator did not move: AddOffsetsToTxn went once.
    CHECK(cluster.request_count(ApiKey::add_offsets_to_txn) == 2);
  }
  const TransactionStatus commit = producer.commit_transaction(20s);
  REQUIRE_MESSAGE(commit.ok(), commit.message());
  CHECK(all_offsets_stored(cluster));
}

TEST_CASE("send_offsets_to_transaction on the mock: a consumer rebalanced away, or no group ACL, is abortable") {
  MockCluster cluster(support::cluster_config());
  kwire::Producer producer(support::properties(cluster), kwire::producer::silent_log_handler());
  REQUIRE(producer.init_transactions(20s).ok());
  ApiKey api = ApiKey::txn_offset_commit;
  errc error = errc::none;
  SUBCASE("UNKNOWN_MEMBER_ID on TxnOffsetCommit") { error = errc::unknown_member_id; }
  SUBCASE("ILLEGAL_GENERATION on TxnOffsetCommit") { error = errc::illegal_generation; }
  SUBCASE("FENCED_INSTANCE_ID on TxnOffsetCommit") { error = errc::fenced_instance_id; }
  SUBCASE("GROUP_AUTHORIZATION_FAILED on TxnOffsetCommit") { error = errc::group_authorization_failed; }
  SUBCASE("GROUP_AUTHORIZATION_FAILED on AddOffsetsToTxn") {
    api = ApiKey::add_offsets_to_txn;
    error = errc::group_authorization_failed;
  }
  INFO("error " << static_cast<int>(error));
  cluster.fail_next(api, error, 1);
  const TransactionStatus sent = begin_and_send_offsets(producer);
  CHECK_MESSAGE(sent.abortable(), sent.message());
  CHECK(sent.error == error);
  // Not retried: the application must abort (and rewind its consumer).
  CHECK(cluster.request_count(api) == 1);
  const TransactionStatus commit = producer.commit_transaction(5s);
  CHECK(commit.abortable());
  CHECK(commit.error == error);
  CHECK(cluster.request_count(ApiKey::end_txn) == 0);
  const TransactionStatus abort = producer.abort_transaction(20s);
  REQUIRE_MESSAGE(abort.ok(), abort.message());
  // The same producer goes on: the offsets commit in the next transaction.
  const TransactionStatus again = begin_and_send_offsets(producer);
  REQUIRE_MESSAGE(again.ok(), again.message());
  const TransactionStatus next = producer.commit_transaction(20s);
  CHECK_MESSAGE(next.ok(), next.message());
  CHECK(all_offsets_stored(cluster));
}
