// The transactional producer's state machine (producer/src/transaction_manager.hpp),
// driven by an injected clock and scripted coordinator answers: no sockets.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "../../../producer/src/transaction_manager.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace kwire::producer;
namespace protocol = kwire::protocol;
using kwire::client_errc;
using kwire::errc;
using State = TransactionState;

namespace {

const TopicPartition kOrders0{"orders", 0};
const TopicPartition kOrders1{"orders", 1};
const ConsumerGroupMetadata kGroup{"copier", 7, "member-1", std::nullopt};

protocol::EndTxnResponse end_txn_answer(errc error = errc::none, std::int64_t producer_id = -1,
                                        std::int16_t epoch = -1) {
  protocol::EndTxnResponse r;
  r.error_code = error;
  r.producer_id = producer_id;
  r.producer_epoch = epoch;
  return r;
}

protocol::AddPartitionsToTxnResponse add_partitions_answer(const protocol::AddPartitionsToTxnRequest& request,
                                                           errc error = errc::none) {
  protocol::AddPartitionsToTxnResponse r;
  for (const auto& t : request.v3_and_below_topics) {
    auto& topic = r.results_by_topic_v3_and_below.emplace_back();
    topic.name = t.name;
    for (auto p : t.partitions) topic.partitions.push_back({p, error, {}});
  }
  return r;
}

protocol::TxnOffsetCommitResponse offset_commit_answer(const protocol::TxnOffsetCommitRequest& request,
                                                       errc error = errc::none) {
  protocol::TxnOffsetCommitResponse r;
  for (const auto& t : request.topics) {
    auto& topic = r.topics.emplace_back();
    topic.name = t.name;
    for (const auto& p : t.partitions) topic.partitions.push_back({p.partition_index, error, {}});
  }
  return r;
}

/// A TransactionManager, a clock, and the driver's side of the channel.
struct Harness {
  std::int64_t now = 1'000'000;
  std::vector<std::string> log_lines;
  TransactionManager tm;

  explicit Harness(std::int16_t transaction_version = 1, TransactionConfig config = default_config())
      : tm(std::move(config), [this](LogLevel, LogCategory, std::string_view line) { log_lines.emplace_back(line); }) {
    tm.on_finalized_transaction_version(transaction_version);
  }

  static TransactionConfig default_config() {
    TransactionConfig c;
    c.transactional_id = "orders-tx";
    c.transaction_timeout_ms = 60000;
    c.retry_backoff_ms = 100;
    c.retry_timeout_ms = 10'000;
    return c;
  }

  /// The next request, answering coordinator lookups on the way (checking
  /// they are for `lookups_for` when given).
  std::optional<TransactionRequest> next(bool incomplete_batches = false) {
    for (int i = 0; i < 4; ++i) {
      auto r = tm.next_request(now, incomplete_batches);
      if (!r || !std::holds_alternative<CoordinatorLookup>(r->body)) return r;
      lookups.push_back(std::get<CoordinatorLookup>(r->body));
      tm.on_response(r->id, {}, std::monostate{}, now);
    }
    FAIL("lookups without end");
    return std::nullopt;
  }

  template <class Request>
  std::pair<TransactionRequest, Request> expect(bool incomplete_batches = false) {
    auto r = next(incomplete_batches);
    REQUIRE(r.has_value());
    REQUIRE(std::holds_alternative<Request>(r->body));
    return {*r, std::get<Request>(r->body)};
  }

  void answer(const TransactionRequest& r, const TransactionResponseBody& body, std::error_code error = {}) {
    tm.on_response(r.id, error, body, now);
  }

  /// init_transactions through to ready.
  void init(std::int64_t producer_id = 4242, std::int16_t epoch = 0) {
    auto result = tm.init_transactions(now);
    auto [r, init] = expect<protocol::InitProducerIdRequest>();
    CHECK(init.transactional_id == "orders-tx");
    CHECK(init.transaction_timeout_ms == 60000);
    CHECK(init.producer_id == -1);
    CHECK(r.max_version == 5);
    answer(r, protocol::InitProducerIdResponse{0, errc::none, producer_id, epoch, -1, -1, {}});
    REQUIRE(result->done());
    REQUIRE_FALSE(result->error());
    result->acknowledge();
    REQUIRE(tm.state() == State::ready);
  }

  /// begin, one partition added (TV1) or attempted (TV2), one batch acknowledged.
  void produce_one(const TopicPartition& tp = kOrders0) {
    tm.maybe_add_partition(tp);
    if (!tm.transaction_v2()) {
      CHECK_FALSE(tm.is_send_to_partition_allowed(tp));
      auto [r, add] = expect<protocol::AddPartitionsToTxnRequest>();
      answer(r, add_partitions_answer(add));
    }
    REQUIRE(tm.is_send_to_partition_allowed(tp));
    tm.on_produce_attempt(tp);
    tm.on_batch_completed(tp, {});
  }

  /// commit through EndTxn(commit), answered with `answer_body`.
  TransactionResultPtr commit(const protocol::EndTxnResponse& answer_body = end_txn_answer()) {
    auto result = tm.commit_transaction(now);
    auto [r, end] = expect<protocol::EndTxnRequest>();
    CHECK(end.committed);
    answer(r, answer_body);
    return result;
  }

  std::vector<CoordinatorLookup> lookups;
};

}  // namespace

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
  auto [end_request, end] = h.expect<protocol::EndTxnRequest>();
  CHECK(end_request.max_version == 4);
  CHECK(end.committed);
  CHECK(end.producer_id == 4242);
  CHECK_FALSE(result->done());
  h.answer(end_request, end_txn_answer());
  REQUIRE(result->done());
  CHECK_FALSE(result->error());
  CHECK(h.tm.state() == State::ready);
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{4242, 0});  // TV1: the epoch stays
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
  CHECK(commit_request.max_version == protocol::TxnOffsetCommitRequest::max_version);
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
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{4242, 4});
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
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{9001, 0});
  CHECK(h.tm.next_sequence(kOrders0, 1) == 0);
  REQUIRE_FALSE(h.tm.begin_transaction());
  h.produce_one();
  auto next = h.tm.commit_transaction(h.now);
  auto [r, end] = h.expect<protocol::EndTxnRequest>();
  CHECK(end.producer_id == 9001);
  CHECK(end.producer_epoch == 0);
  h.answer(r, end_txn_answer(errc::none, 9001, 1));
  REQUIRE(next->done());
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{9001, 1});
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
  REQUIRE(abort->done());
  CHECK_FALSE(abort->error());
  abort->acknowledge();
  CHECK(h.tm.state() == State::ready);
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
    CHECK(h.tm.next_wakeup_ms() == h.now + 100);
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
  CHECK(h.tm.next_wakeup_ms() == h.now + 20);
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
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{4242, 6});
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
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{4242, 2});  // never before the abort (librdkafka #3575)
  auto abort = h.tm.abort_transaction(h.now);
  auto [r, end] = h.expect<protocol::EndTxnRequest>();
  h.answer(r, end_txn_answer());
  auto [bump_request, bump] = h.expect<protocol::InitProducerIdRequest>();
  CHECK(bump.producer_epoch == 2);
  h.answer(bump_request, protocol::InitProducerIdResponse{0, errc::none, 4242, 3, -1, -1, {}});
  REQUIRE(abort->done());
  CHECK_FALSE(abort->error());
  CHECK(h.tm.state() == State::ready);
  CHECK(h.tm.producer_id_and_epoch() == ProducerIdAndEpoch{4242, 3});
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
