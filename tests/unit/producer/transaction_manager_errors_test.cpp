// The transactional producer's state machine (producer/src/transaction_manager.hpp),
// driven by an injected clock and scripted coordinator answers: no sockets.
// This file: errors, retries, fencing and repeated calls.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <variant>

#include "transaction_harness.hpp"

using namespace kwire::producer;
using namespace kwire::producer::testing;
using kwire::client_errc;

TEST_CASE("transaction manager: fenced is fatal forever") {
  SUBCASE("PRODUCER_FENCED on EndTxn") {
    Harness h(1);
    h.init();
    REQUIRE_FALSE(h.tm.begin_transaction());
    h.produce_one();
    auto commit = h.commit(end_txn_answer(errc::producer_fenced));
    REQUIRE(commit->done());
    CHECK(commit->error() == errc::producer_fenced);
    CHECK(h.tm.state() == State::fatal_error);
    h.now += 3'600'000;  // an hour later, still
    CHECK(h.tm.begin_transaction() == errc::producer_fenced);
    CHECK(h.tm.abort_transaction(h.now)->error() == errc::producer_fenced);
    CHECK(h.tm.commit_transaction(h.now)->error() == errc::producer_fenced);
    CHECK(h.tm.init_transactions(h.now)->error() == errc::producer_fenced);
    CHECK_FALSE(h.tm.next_request(h.now, false).has_value());
    CHECK_FALSE(h.tm.is_send_to_partition_allowed(kOrders0));
    CHECK(h.tm.should_abort_undrained_batches());
    h.tm.on_batch_completed(kOrders0, make_error_code(errc::message_too_large));
    CHECK(h.tm.state() == State::fatal_error);
    CHECK(h.tm.last_error() == errc::producer_fenced);
  }
  SUBCASE("INVALID_PRODUCER_EPOCH from a coordinator is fenced, from a partition leader abortable (KIP-588)") {
    Harness h(1);
    h.init();
    REQUIRE_FALSE(h.tm.begin_transaction());
    h.produce_one();
    h.tm.on_batch_completed(kOrders0, make_error_code(errc::invalid_producer_epoch));
    CHECK(h.tm.state() == State::abortable_error);
    auto abort = h.tm.abort_transaction(h.now);
    auto [r, end] = h.expect<protocol::EndTxnRequest>();
    h.answer(r, end_txn_answer(errc::invalid_producer_epoch));
    CHECK(abort->error() == errc::invalid_producer_epoch);
    CHECK(h.tm.state() == State::fatal_error);
  }
  SUBCASE("a second instance fences InitProducerId") {
    Harness h(1);
    auto init = h.tm.init_transactions(h.now);
    auto [r, request] = h.expect<protocol::InitProducerIdRequest>();
    h.answer(r, protocol::InitProducerIdResponse{0, errc::producer_fenced, -1, -1, -1, -1, {}});
    CHECK(init->error() == errc::producer_fenced);
    CHECK(h.tm.state() == State::fatal_error);
  }
}

TEST_CASE("transaction manager: CONCURRENT_TRANSACTIONS is retried and never surfaced") {
  Harness h(1);
  auto init = h.tm.init_transactions(h.now);
  for (int i = 0; i < 5; ++i) {
    auto [r, request] = h.expect<protocol::InitProducerIdRequest>();
    h.answer(r, protocol::InitProducerIdResponse{0, errc::concurrent_transactions, -1, -1, -1, -1, {}});
    CHECK_FALSE(init->done());
    CHECK(h.tm.state() == State::initializing);
    CHECK_FALSE(h.tm.next_request(h.now, false).has_value());  // backing off
    CHECK(h.tm.next_wakeup_ms(h.now) == h.now + 100);
    h.now += 100;
  }
  auto [r, request] = h.expect<protocol::InitProducerIdRequest>();
  h.answer(r, protocol::InitProducerIdResponse{0, errc::none, 4242, 0, -1, -1, {}});
  REQUIRE(init->done());
  CHECK_FALSE(init->error());
  init->acknowledge();

  // The first AddPartitionsToTxn after a commit: 20 ms (Java's ADD_PARTITIONS_RETRY_BACKOFF_MS).
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.tm.maybe_add_partition(kOrders0);
  auto [add_request, add] = h.expect<protocol::AddPartitionsToTxnRequest>();
  h.answer(add_request, add_partitions_answer(add, errc::concurrent_transactions));
  CHECK(h.tm.state() == State::in_transaction);
  CHECK(h.tm.next_wakeup_ms(h.now) == h.now + 20);
  h.now += 20;
  auto [again_request, again] = h.expect<protocol::AddPartitionsToTxnRequest>();
  CHECK(again.v3_and_below_topics == add.v3_and_below_topics);
  h.answer(again_request, add_partitions_answer(again));
  CHECK(h.tm.is_send_to_partition_allowed(kOrders0));

  // EndTxn too.
  auto commit = h.tm.commit_transaction(h.now);
  auto [end_request, end] = h.expect<protocol::EndTxnRequest>();
  h.answer(end_request, end_txn_answer(errc::concurrent_transactions));
  CHECK_FALSE(commit->done());
  h.now += 100;
  auto [end_again, end2] = h.expect<protocol::EndTxnRequest>();
  CHECK(end2.committed);
  h.answer(end_again, end_txn_answer());
  REQUIRE(commit->done());
  CHECK_FALSE(commit->error());
  for (const auto& line : h.log_lines) CHECK(line.find("CONCURRENT_TRANSACTIONS") == std::string::npos);
}

TEST_CASE("transaction manager: retries that run out make the transaction abortable, and the abort fatal") {
  Harness h(1);
  h.init();
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.tm.maybe_add_partition(kOrders0);
  const std::int64_t start = h.now;
  while (h.tm.state() == State::in_transaction) {
    auto [r, add] = h.expect<protocol::AddPartitionsToTxnRequest>();
    h.answer(r, add_partitions_answer(add, errc::coordinator_load_in_progress));
    h.now += 100;
    REQUIRE(h.now - start < 20'000);
  }
  CHECK(h.tm.state() == State::abortable_error);
  CHECK(h.tm.last_error() == transaction_errc::retries_exhausted);  // KAFKA-19176
  CHECK(h.now - start >= 10'000);

  auto abort = h.tm.abort_transaction(h.now);
  CHECK_FALSE(h.next().has_value());  // nothing was added: no EndTxn
  REQUIRE(abort->done());
  abort->acknowledge();

  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  auto abort2 = h.tm.abort_transaction(h.now);
  const std::int64_t abort_start = h.now;
  while (!abort2->done()) {
    auto [r, end] = h.expect<protocol::EndTxnRequest>();
    h.answer(r, end_txn_answer(errc::concurrent_transactions));
    h.now += 100;
    REQUIRE(h.now - abort_start < 20'000);
  }
  CHECK(abort2->error() == transaction_errc::retries_exhausted);
  CHECK(h.tm.state() == State::fatal_error);  // an abort that cannot end must not loop
}

TEST_CASE("transaction manager: TRANSACTION_ABORTABLE while aborting is fatal (KAFKA-19250)") {
  Harness h(2);
  h.init();
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  auto offsets = h.tm.send_offsets_to_transaction({{{"input", 0}, 1}}, kGroup, h.now);
  auto [commit_request, commit] = h.expect<protocol::TxnOffsetCommitRequest>();
  h.answer(commit_request, offset_commit_answer(commit, errc::transaction_abortable));
  CHECK(offsets->error() == errc::transaction_abortable);
  offsets->acknowledge();
  CHECK(h.tm.state() == State::abortable_error);
  auto abort = h.tm.abort_transaction(h.now);
  auto [r, end] = h.expect<protocol::EndTxnRequest>();
  h.answer(r, end_txn_answer(errc::transaction_abortable));
  CHECK(abort->error() == errc::transaction_abortable);
  CHECK(h.tm.state() == State::fatal_error);
}

TEST_CASE("transaction manager: a call repeated after a timeout picks up the pending result") {
  Harness h(1);
  h.init();
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  auto commit = h.tm.commit_transaction(h.now);
  auto [r, end] = h.expect<protocol::EndTxnRequest>();
  // The application's wait timed out (it never acknowledged); it calls again.
  h.now += 60'000;
  CHECK(h.tm.commit_transaction(h.now) == commit);
  CHECK_FALSE(h.tm.next_request(h.now, false).has_value());  // no second EndTxn
  // A different call is a clear error, and changes nothing.
  auto abort = h.tm.abort_transaction(h.now);
  REQUIRE(abort->done());
  CHECK(abort->error() == transaction_errc::operation_pending);
  CHECK(abort->detail().find("commit_transaction() is still pending") != std::string::npos);
  CHECK(h.tm.begin_transaction() == transaction_errc::operation_pending);
  CHECK(h.tm.state() == State::committing_transaction);

  h.answer(r, end_txn_answer());
  REQUIRE(commit->done());
  // Until the application has seen the outcome, the same call returns it.
  CHECK(h.tm.commit_transaction(h.now) == commit);
  CHECK(h.tm.begin_transaction() == transaction_errc::operation_pending);
  commit->acknowledge();
  REQUIRE_FALSE(h.tm.begin_transaction());
  CHECK(h.tm.state() == State::in_transaction);
}

TEST_CASE("transaction manager: a coordinator that moved is looked up again") {
  Harness h(1);
  h.init();
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  auto commit = h.tm.commit_transaction(h.now);
  auto [r, end] = h.expect<protocol::EndTxnRequest>();
  h.answer(r, end_txn_answer(errc::not_coordinator));
  const std::size_t lookups = h.lookups.size();
  auto [again, end2] = h.expect<protocol::EndTxnRequest>();  // right after a new lookup
  CHECK(h.lookups.size() == lookups + 1);
  // A lost answer (disconnect) is retried too: under TV2 the coordinator
  // answers a resent EndTxn as a retry.
  h.answer(again, std::monostate{}, kwire::make_error_code(client_errc::disconnected));
  auto [third, end3] = h.expect<protocol::EndTxnRequest>();
  CHECK(h.lookups.size() == lookups + 2);
  h.answer(third, end_txn_answer());
  REQUIRE(commit->done());
  CHECK_FALSE(commit->error());
  commit->acknowledge();

  // A disconnect reported by the driver also forces a lookup.
  h.tm.on_coordinator_disconnected(CoordinatorType::transaction);
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.tm.maybe_add_partition(kOrders1);
  auto next = h.tm.next_request(h.now, false);
  REQUIRE(next.has_value());
  CHECK(std::holds_alternative<CoordinatorLookup>(next->body));
}

TEST_CASE("transaction manager: an authorization refusal of init leaves it callable again") {
  Harness h(1);
  auto init = h.tm.init_transactions(h.now);
  auto [r, request] = h.expect<protocol::InitProducerIdRequest>();
  h.answer(r, protocol::InitProducerIdResponse{0, errc::transactional_id_authorization_failed, -1, -1, -1, -1, {}});
  CHECK(init->error() == errc::transactional_id_authorization_failed);
  CHECK(h.tm.state() == State::uninitialized);
  init->acknowledge();
  h.init();
}

TEST_CASE("transaction manager: a rebalanced consumer's offsets make the transaction abortable (KIP-447)") {
  Harness h(1);
  h.init();
  REQUIRE_FALSE(h.tm.begin_transaction());
  auto offsets = h.tm.send_offsets_to_transaction({{{"input", 0}, 1}, {{"input", 1}, 2}}, kGroup, h.now);
  auto [add_request, add] = h.expect<protocol::AddOffsetsToTxnRequest>();
  h.answer(add_request, protocol::AddOffsetsToTxnResponse{});
  auto [commit_request, commit] = h.expect<protocol::TxnOffsetCommitRequest>();
  // Partition 0 commits; partition 1's coordinator is loading: only it is retried.
  protocol::TxnOffsetCommitResponse partial;
  partial.topics = {{"input", {}, {{0, errc::none, {}}, {1, errc::coordinator_load_in_progress, {}}}, {}}};
  h.answer(commit_request, partial);
  CHECK_FALSE(offsets->done());
  h.now += 100;
  auto [retry_request, retry] = h.expect<protocol::TxnOffsetCommitRequest>();
  REQUIRE(retry.topics.size() == 1);
  REQUIRE(retry.topics[0].partitions.size() == 1);
  CHECK(retry.topics[0].partitions[0].partition_index == 1);
  h.answer(retry_request, offset_commit_answer(retry, errc::illegal_generation));
  REQUIRE(offsets->done());
  CHECK(offsets->error() == errc::illegal_generation);
  CHECK(h.tm.state() == State::abortable_error);
}

TEST_CASE("transaction manager: a response for a request not in flight is fatal") {
  Harness h(1);
  auto init = h.tm.init_transactions(h.now);
  auto [r, request] = h.expect<protocol::InitProducerIdRequest>();
  h.tm.on_response(r.id + 100, {}, protocol::InitProducerIdResponse{}, h.now);
  CHECK(h.tm.state() == State::fatal_error);
  CHECK(init->error() == client_errc::correlation_mismatch);
}

TEST_CASE("transaction manager: calls out of order are refused") {
  Harness h(1);
  CHECK(h.tm.begin_transaction() == transaction_errc::invalid_state);
  CHECK(h.tm.commit_transaction(h.now)->error() == transaction_errc::invalid_state);
  h.init();
  CHECK(h.tm.init_transactions(h.now)->error() == transaction_errc::invalid_state);
  CHECK(h.tm.abort_transaction(h.now)->error() == transaction_errc::invalid_state);
  REQUIRE_FALSE(h.tm.begin_transaction());
  CHECK(h.tm.begin_transaction() == transaction_errc::invalid_state);
}

TEST_CASE("transaction manager: requests of a transaction being aborted are not retried") {
  Harness h(1);
  h.init();
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  h.tm.maybe_add_partition(kOrders1);
  auto [add_request, add] = h.expect<protocol::AddPartitionsToTxnRequest>();
  // The application aborts while the AddPartitionsToTxn is in flight ...
  auto abort = h.tm.abort_transaction(h.now);
  CHECK_FALSE(h.tm.next_request(h.now, false).has_value());  // one request at a time
  // ... and its answer asks for a retry: dropped, the abort goes on.
  h.answer(add_request, add_partitions_answer(add, errc::concurrent_transactions));
  auto [end_request, end] = h.expect<protocol::EndTxnRequest>();
  CHECK_FALSE(end.committed);
  h.answer(end_request, end_txn_answer());
  REQUIRE(abort->done());
  CHECK_FALSE(abort->error());
  CHECK(h.tm.state() == State::ready);
}

TEST_CASE("transaction manager: coordinator lookups back off, and a moved group coordinator is looked up again") {
  Harness h(2);
  auto init = h.tm.init_transactions(h.now);
  auto lookup = h.tm.next_request(h.now, false);
  REQUIRE(lookup.has_value());
  REQUIRE(std::holds_alternative<CoordinatorLookup>(lookup->body));
  CHECK(lookup->priority == TransactionPriority::find_coordinator);
  // __transaction_state is still being created.
  h.answer(*lookup, std::monostate{}, make_error_code(errc::coordinator_not_available));
  CHECK_FALSE(h.tm.next_request(h.now, false).has_value());
  CHECK(h.tm.next_wakeup_ms(h.now) == h.now + 100);
  h.now += 100;
  auto [r, request] = h.expect<protocol::InitProducerIdRequest>();
  h.answer(r, protocol::InitProducerIdResponse{0, errc::none, 4242, 0, -1, -1, {}});
  REQUIRE(init->done());
  init->acknowledge();

  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  auto offsets = h.tm.send_offsets_to_transaction({{{"input", 0}, 1}}, kGroup, h.now);
  auto [commit_request, commit] = h.expect<protocol::TxnOffsetCommitRequest>();
  const std::size_t lookups = h.lookups.size();
  h.answer(commit_request, offset_commit_answer(commit, errc::not_coordinator));
  auto [again_request, again] = h.expect<protocol::TxnOffsetCommitRequest>();
  REQUIRE(h.lookups.size() == lookups + 1);
  CHECK(h.lookups.back().type == CoordinatorType::group);
  CHECK(h.lookups.back().key == "copier");
  h.answer(again_request, offset_commit_answer(again));
  REQUIRE(offsets->done());
  CHECK_FALSE(offsets->error());
}
