// The transactional producer's state machine (producer/src/transaction_manager.hpp),
// driven by an injected clock and scripted coordinator answers: no sockets.
// This file: the transaction flows on both transaction versions.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <variant>

#include "transaction_harness.hpp"

using namespace kwire::producer;
using namespace kwire::producer::testing;
using kwire::client_errc;

TEST_CASE("transaction manager: the transition table is Java's") {
  CHECK(is_valid_transition(State::uninitialized, State::initializing));
  CHECK(is_valid_transition(State::initializing, State::ready));
  CHECK(is_valid_transition(State::ready, State::in_transaction));
  CHECK(is_valid_transition(State::in_transaction, State::committing_transaction));
  CHECK(is_valid_transition(State::abortable_error, State::aborting_transaction));
  CHECK(is_valid_transition(State::committing_transaction, State::initializing));  // epoch bump after the end
  CHECK(is_valid_transition(State::abortable_error, State::uninitialized));
  CHECK(is_valid_transition(State::ready, State::fatal_error));
  CHECK_FALSE(is_valid_transition(State::ready, State::committing_transaction));
  CHECK_FALSE(is_valid_transition(State::abortable_error, State::committing_transaction));
  CHECK_FALSE(is_valid_transition(State::aborting_transaction, State::abortable_error));
  CHECK_FALSE(is_valid_transition(State::fatal_error, State::ready));
  CHECK_FALSE(is_valid_transition(State::fatal_error, State::fatal_error));

  Harness h;
  CHECK_FALSE(h.tm.transition_to(State::committing_transaction, "test"));
  CHECK(h.tm.state() == State::uninitialized);
  CHECK(h.log_lines.back().find("illegal transition uninitialized -> committing_transaction") != std::string::npos);
}

TEST_CASE("transaction manager: TV1 commit with AddPartitionsToTxn gating and send_offsets") {
  Harness h(1);
  h.init();
  CHECK(h.lookups.size() == 1);
  CHECK(h.lookups[0].type == CoordinatorType::transaction);
  CHECK(h.lookups[0].key == "orders-tx");
  REQUIRE_FALSE(h.tm.begin_transaction());

  h.tm.maybe_add_partition(kOrders0);
  h.tm.maybe_add_partition(kOrders1);
  CHECK_FALSE(h.tm.is_send_to_partition_allowed(kOrders0));
  auto [add_request, add] = h.expect<protocol::AddPartitionsToTxnRequest>();
  CHECK(add_request.max_version == 3);  // v4+ is broker-to-broker
  CHECK(add.v3_and_below_transactional_id == "orders-tx");
  CHECK(add.v3_and_below_producer_id == 4242);
  REQUIRE(add.v3_and_below_topics.size() == 1);
  CHECK(add.v3_and_below_topics[0].partitions == std::vector<std::int32_t>{0, 1});
  // One request at a time.
  h.tm.maybe_add_partition({"audit", 0});
  CHECK_FALSE(h.tm.next_request(h.now, false).has_value());
  h.answer(add_request, add_partitions_answer(add));
  CHECK(h.tm.is_send_to_partition_allowed(kOrders0));
  CHECK(h.tm.is_send_to_partition_allowed(kOrders1));
  // The partition that came later goes in the next request.
  auto [later_request, later] = h.expect<protocol::AddPartitionsToTxnRequest>();
  CHECK(later.v3_and_below_topics[0].name == "audit");
  h.answer(later_request, add_partitions_answer(later));
  h.tm.on_produce_attempt(kOrders0);
  h.tm.on_batch_completed(kOrders0, {});

  auto offsets = h.tm.send_offsets_to_transaction({{{"input", 3}, 120, 5, "m"}}, kGroup, h.now);
  auto [add_offsets_request, add_offsets] = h.expect<protocol::AddOffsetsToTxnRequest>();
  CHECK(add_offsets_request.destination == CoordinatorType::transaction);
  CHECK(add_offsets.group_id == "copier");
  h.answer(add_offsets_request, protocol::AddOffsetsToTxnResponse{});
  CHECK_FALSE(offsets->done());
  auto [commit_request, commit] = h.expect<protocol::TxnOffsetCommitRequest>();
  CHECK(h.lookups.back().type == CoordinatorType::group);
  CHECK(h.lookups.back().key == "copier");
  CHECK(commit_request.destination == CoordinatorType::group);
  CHECK(commit_request.max_version == 4);  // v5 would mean TV2 to the broker
  CHECK(commit.generation_id_or_member_epoch == 7);  // KIP-447
  CHECK(commit.member_id == "member-1");
  REQUIRE(commit.topics.size() == 1);
  CHECK(commit.topics[0].partitions[0].committed_offset == 120);
  CHECK(commit.topics[0].partitions[0].committed_leader_epoch == 5);
  h.answer(commit_request, offset_commit_answer(commit));
  REQUIRE(offsets->done());
  CHECK_FALSE(offsets->error());
  offsets->acknowledge();

  auto result = h.tm.commit_transaction(h.now);
  CHECK(h.tm.state() == State::committing_transaction);
  CHECK_FALSE(h.tm.next_request(h.now, /*incomplete_batches=*/true).has_value());  // EndTxn waits for the batches
  // ... woken by the batches' responses, not by a timer: a due time in the
  // past here made the sender's loop spin until the batches were done.
  CHECK(h.tm.next_wakeup_ms(h.now) == -1);
  auto [end_request, end] = h.expect<protocol::EndTxnRequest>();
  CHECK(end_request.max_version == 4);
  CHECK(end.committed);
  CHECK(end.producer_id == 4242);
  CHECK_FALSE(result->done());
  h.answer(end_request, end_txn_answer());
  REQUIRE(result->done());
  CHECK_FALSE(result->error());
  CHECK(h.tm.state() == State::ready);
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{kwire::ProducerId{4242}, kwire::ProducerEpoch{0}});  // TV1: the epoch stays
}

TEST_CASE("transaction manager: an empty transaction ends without EndTxn") {
  for (std::int16_t version : {std::int16_t{1}, std::int16_t{2}}) {
    CAPTURE(version);
    Harness h(version);
    h.init();
    REQUIRE_FALSE(h.tm.begin_transaction());
    auto result = h.tm.commit_transaction(h.now);
    CHECK_FALSE(h.next().has_value());  // completed locally (TV1 would answer INVALID_TXN_STATE)
    REQUIRE(result->done());
    CHECK_FALSE(result->error());
    result->acknowledge();
    CHECK(h.tm.state() == State::ready);
  }
}

TEST_CASE("transaction manager: TV2 commit adopts EndTxn v5's epoch and resets sequences") {
  Harness h(2);
  h.init(4242, 3);
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.tm.maybe_add_partition(kOrders0);
  CHECK(h.tm.is_send_to_partition_allowed(kOrders0));  // Produce v12+ adds it
  CHECK_FALSE(h.next().has_value());                      // no AddPartitionsToTxn
  CHECK(h.tm.next_sequence(kOrders0, 5) == 0);
  CHECK(h.tm.next_sequence(kOrders0, 5) == 5);
  h.tm.on_produce_attempt(kOrders0);
  h.tm.on_batch_completed(kOrders0, {});

  auto offsets = h.tm.send_offsets_to_transaction({{{"input", 0}, 9}}, kGroup, h.now);
  auto [commit_request, commit] = h.expect<protocol::TxnOffsetCommitRequest>();  // no AddOffsetsToTxn
  CHECK(commit_request.max_version == protocol::TxnOffsetCommitRequest::first_topic_id_version - 1);  // v5: topics by name
  h.answer(commit_request, offset_commit_answer(commit));
  REQUIRE(offsets->done());
  offsets->acknowledge();

  auto result = h.tm.commit_transaction(h.now);
  auto [end_request, end] = h.expect<protocol::EndTxnRequest>();
  CHECK(end_request.max_version == 5);
  CHECK(end.producer_epoch == 3);
  h.answer(end_request, end_txn_answer(errc::none, 4242, 4));
  REQUIRE(result->done());
  CHECK_FALSE(result->error());
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{kwire::ProducerId{4242}, kwire::ProducerEpoch{4}});
  CHECK(h.tm.next_sequence(kOrders0, 1) == 0);  // every sequence restarts
}

TEST_CASE("transaction manager: TV2 epoch exhaustion switches to the new producer id at epoch 0") {
  Harness h(2);
  h.init(4242, 32766);
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  h.tm.next_sequence(kOrders0, 3);
  auto result = h.commit(end_txn_answer(errc::none, 9001, 0));  // KAFKA-18660
  REQUIRE(result->done());
  CHECK_FALSE(result->error());
  result->acknowledge();
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{kwire::ProducerId{9001}, kwire::ProducerEpoch{0}});
  CHECK(h.tm.next_sequence(kOrders0, 1) == 0);
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  auto next = h.tm.commit_transaction(h.now);
  auto [r, end] = h.expect<protocol::EndTxnRequest>();
  CHECK(end.producer_id == 9001);
  CHECK(end.producer_epoch == 0);
  h.answer(r, end_txn_answer(errc::none, 9001, 1));
  REQUIRE(next->done());
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{kwire::ProducerId{9001}, kwire::ProducerEpoch{1}});
}

TEST_CASE("transaction manager: an abortable error, then abort, then the next transaction commits") {
  Harness h(1);
  h.init();
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  h.tm.on_produce_attempt(kOrders0);
  h.tm.on_batch_completed(kOrders0, make_error_code(errc::message_too_large));
  CHECK(h.tm.state() == State::abortable_error);
  CHECK(h.tm.should_abort_undrained_batches());

  // Every call but abort fails with the stored error.
  auto refused = h.tm.commit_transaction(h.now);
  REQUIRE(refused->done());
  CHECK(refused->error() == errc::message_too_large);
  CHECK(h.tm.begin_transaction() == errc::message_too_large);
  auto offsets = h.tm.send_offsets_to_transaction({{{"input", 0}, 1}}, kGroup, h.now);
  CHECK(offsets->error() == errc::message_too_large);

  auto abort = h.tm.abort_transaction(h.now);
  CHECK(h.tm.state() == State::aborting_transaction);
  CHECK_FALSE(h.tm.next_request(h.now, /*incomplete_batches=*/true).has_value());  // in-flight batches awaited
  auto [r, end] = h.expect<protocol::EndTxnRequest>();
  CHECK_FALSE(end.committed);
  // A batch failing during the abort is expected, not a new error.
  h.tm.on_batch_completed(kOrders1, make_error_code(errc::message_too_large));
  CHECK(h.tm.state() == State::aborting_transaction);
  h.answer(r, end_txn_answer());
  // TV1: a failed batch may have left a sequence gap, so the epoch is bumped
  // after the abort (Java's epochBumpRequired), with the current id and epoch.
  CHECK_FALSE(abort->done());
  const ProducerIdAndEpoch before = h.tm.producer_id_and_epoch();
  auto [bump, bump_body] = h.expect<protocol::InitProducerIdRequest>();
  CHECK(bump_body.producer_id == before.producer_id.value());
  CHECK(bump_body.producer_epoch == before.epoch.value());
  h.answer(bump, protocol::InitProducerIdResponse{0, errc::none, before.producer_id.value(),
                                                  static_cast<std::int16_t>(before.epoch.value() + 1), -1, -1, {}});
  REQUIRE(abort->done());
  CHECK_FALSE(abort->error());
  abort->acknowledge();
  CHECK(h.tm.state() == State::ready);
  CHECK(h.tm.producer_id_and_epoch().epoch.value() == before.epoch.value() + 1);
  CHECK_FALSE(h.tm.should_abort_undrained_batches());

  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  auto commit = h.commit();
  REQUIRE(commit->done());
  CHECK_FALSE(commit->error());
}

TEST_CASE("transaction manager: TV2 forces an abort when produces were attempted but none succeeded") {
  SUBCASE("the failed batch makes the transaction abortable; the abort is sent, not skipped") {
    Harness h(2);
    h.init();
    REQUIRE_FALSE(h.tm.begin_transaction());
    h.tm.maybe_add_partition(kOrders0);
    h.tm.on_produce_attempt(kOrders0);
    h.tm.on_batch_completed(kOrders0, kwire::make_error_code(client_errc::timed_out));  // delivery timeout
    CHECK(h.tm.state() == State::abortable_error);
    auto abort = h.tm.abort_transaction(h.now);
    auto [r, end] = h.expect<protocol::EndTxnRequest>();  // the broker may have added the partition
    CHECK_FALSE(end.committed);
    h.answer(r, end_txn_answer(errc::none, 4242, 1));
    REQUIRE(abort->done());
    CHECK_FALSE(abort->error());
  }
  SUBCASE("a commit with nothing written goes out as an abort") {
    Harness h(2);
    h.init();
    REQUIRE_FALSE(h.tm.begin_transaction());
    h.tm.maybe_add_partition(kOrders0);
    h.tm.on_produce_attempt(kOrders0);  // no outcome reported
    auto commit = h.tm.commit_transaction(h.now);
    auto [r, end] = h.expect<protocol::EndTxnRequest>();
    CHECK_FALSE(end.committed);
    REQUIRE(commit->done());
    CHECK(commit->error() == transaction_errc::aborted);
    h.answer(r, end_txn_answer(errc::none, 4242, 1));
    CHECK(h.tm.state() == State::ready);
  }
}

TEST_CASE("transaction manager: an upgrade to TV2 is noticed at the transaction's end and bumps the epoch") {
  Harness h(1);
  h.init(4242, 5);
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  h.tm.on_finalized_transaction_version(2);
  auto commit = h.tm.commit_transaction(h.now);
  auto [r, end] = h.expect<protocol::EndTxnRequest>();
  CHECK(r.max_version == 4);  // this transaction still ends the TV1 way
  h.answer(r, end_txn_answer());
  CHECK_FALSE(commit->done());
  CHECK(h.tm.state() == State::initializing);
  auto [bump_request, bump] = h.expect<protocol::InitProducerIdRequest>();
  CHECK(bump_request.priority == TransactionPriority::epoch_bump);
  CHECK(bump.producer_id == 4242);  // KIP-360: the current id and epoch
  CHECK(bump.producer_epoch == 5);
  h.answer(bump_request, protocol::InitProducerIdResponse{0, errc::none, 4242, 6, -1, -1, {}});
  REQUIRE(commit->done());
  CHECK_FALSE(commit->error());
  commit->acknowledge();
  CHECK(h.tm.transaction_v2());
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{kwire::ProducerId{4242}, kwire::ProducerEpoch{6}});
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.tm.maybe_add_partition(kOrders0);
  CHECK(h.tm.is_send_to_partition_allowed(kOrders0));  // no AddPartitionsToTxn any more
}

TEST_CASE("transaction manager: TV1 sequence errors bump the epoch after the abort (KIP-360)") {
  Harness h(1);
  h.init(4242, 2);
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  h.tm.on_batch_completed(kOrders0, make_error_code(errc::out_of_order_sequence_number));
  CHECK(h.tm.state() == State::abortable_error);
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{kwire::ProducerId{4242}, kwire::ProducerEpoch{2}});  // never before the abort (librdkafka #3575)
  auto abort = h.tm.abort_transaction(h.now);
  auto [r, end] = h.expect<protocol::EndTxnRequest>();
  h.answer(r, end_txn_answer());
  auto [bump_request, bump] = h.expect<protocol::InitProducerIdRequest>();
  CHECK(bump.producer_epoch == 2);
  h.answer(bump_request, protocol::InitProducerIdResponse{0, errc::none, 4242, 3, -1, -1, {}});
  REQUIRE(abort->done());
  CHECK_FALSE(abort->error());
  CHECK(h.tm.state() == State::ready);
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{kwire::ProducerId{4242}, kwire::ProducerEpoch{3}});
}
