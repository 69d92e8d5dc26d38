// The idempotent producer's state machine and sequence bookkeeping, sans
// I/O: real ProducerBatches sealed through the seam exactly as the sender
// does (seal_params → seal → on_batch_sealed), outcomes fed by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "idempotence.hpp"
#include "record_accumulator.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/record_batch.hpp"

using namespace kwire::producer;
using kwire::client_errc;
using kwire::errc;
using kwire::make_error_code;

namespace {

constexpr std::int32_t kMaxSequence = std::numeric_limits<std::int32_t>::max();

const TopicPartition tp0{"t", 0};
const TopicPartition tp1{"t", 1};

BatchPtr make_batch(const TopicPartition& tp, int records) {
  auto batch = std::make_unique<ProducerBatch>();
  batch->reset(tp, 0, std::size_t{1} << 20);
  for (int i = 0; i < records; ++i) {
    DeliveryCallback cb = [](const DeliveryReport&) {};
    const std::string value = "v" + std::to_string(i);
    REQUIRE(batch->try_append(1000 + i, std::nullopt, bytes_of(value), {}, cb, 0));
  }
  return batch;
}

/// The producer state in the batch's bytes, decoded (not the batch's fields).
kwire::protocol::RecordBatch decoded(const ProducerBatch& batch) {
  std::vector<kwire::protocol::RecordBatch> out;
  REQUIRE_FALSE(kwire::protocol::decode_record_batches(batch.bytes(), out));
  REQUIRE(out.size() == 1);
  return out.front();
}

struct Harness {
  explicit Harness(IdempotentProducerState::Options options = pipelined()) : state(with_log(options), log_handler()) {}

  static IdempotentProducerState::Options with_log(IdempotentProducerState::Options o) {
    o.debug = true;
    return o;
  }
  /// The sequence cases pipeline from a partition's first batch on.
  static IdempotentProducerState::Options pipelined() {
    IdempotentProducerState::Options o;
    o.max_unresolved_before_first_ack = o.max_unresolved_per_partition;
    return o;
  }
  LogHandler log_handler() {
    return [this](LogLevel level, std::string_view line) {
      lines.push_back(std::string(to_string(level)) + ": " + std::string(line));
    };
  }
  bool logged(std::string_view text) const {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

  /// InitProducerId round trip with the given answer.
  void assign(std::int64_t id = 7000, std::int16_t epoch = 0) {
    std::int64_t next = kNoDeadline;
    REQUIRE(state.wants_producer_id(now, next));
    const kwire::protocol::InitProducerIdRequest request = state.begin_producer_id_request(now);
    CHECK_FALSE(request.transactional_id.has_value());
    CHECK(request.producer_id == -1);
    CHECK(request.producer_epoch == -1);
    kwire::protocol::InitProducerIdResponse response;
    response.producer_id = id;
    response.producer_epoch = epoch;
    state.on_producer_id_response({}, response, now);
    REQUIRE(state.state() == IdempotenceState::assigned);
  }

  /// What the sender does when it drains and sends a batch.
  void send(ProducerBatch& batch) {
    REQUIRE(state.may_drain(batch));
    batch.seal(state.seal_params(batch));
    state.on_batch_sealed(batch);
  }
  BatchPtr new_batch(const TopicPartition& tp, int records) {
    BatchPtr b = make_batch(tp, records);
    send(*b);
    return b;
  }

  void complete(const ProducerBatch& batch, std::error_code error = {}) {
    state.on_batch_outcome(batch, BatchOutcome{ProduceAction::complete, error, Persisted::yes, 42});
  }
  /// classify + outcome, as Sender::complete_batch does; returns the action.
  ProduceAction answer(const ProducerBatch& batch, std::error_code error) {
    const ProduceErrorClass c = state.classify(batch, error, classify_produce_error(error, batch.record_count()));
    state.on_batch_outcome(batch, BatchOutcome{c.action, error, c.persisted, -1});
    return c.action;
  }

  std::vector<std::string> lines;
  IdempotentProducerState state;
  std::int64_t now = 1000;
};

}  // namespace

TEST_SUITE("idempotence") {

TEST_CASE("add_to_sequence wraps from INT32_MAX to 0") {
  CHECK(add_to_sequence(0, 1) == 1);
  CHECK(add_to_sequence(10, 5) == 15);
  CHECK(add_to_sequence(kMaxSequence - 1, 1) == kMaxSequence);
  CHECK(add_to_sequence(kMaxSequence, 1) == 0);
  CHECK(add_to_sequence(kMaxSequence - 2, 5) == 2);
  CHECK(add_to_sequence(-1, 1) == 0);  // "none acknowledged" + 1 = the first sequence
  static_assert(add_to_sequence(kMaxSequence, 10) == 9);
}

TEST_CASE("the state machine's legal and illegal transitions") {
  using S = IdempotenceState;
  const S all[] = {S::uninitialized, S::initializing, S::assigned, S::bumping_epoch, S::fatal};
  const std::vector<std::pair<S, S>> legal{
      {S::uninitialized, S::initializing}, {S::uninitialized, S::fatal},
      {S::initializing, S::assigned},      {S::initializing, S::uninitialized}, {S::initializing, S::fatal},
      {S::assigned, S::bumping_epoch},     {S::assigned, S::fatal},
      {S::bumping_epoch, S::assigned},     {S::bumping_epoch, S::uninitialized}, {S::bumping_epoch, S::fatal},
  };
  for (S from : all)
    for (S to : all) {
      const bool expected = std::find(legal.begin(), legal.end(), std::pair{from, to}) != legal.end();
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      CHECK(is_legal_transition(from, to) == expected);
    }

  SUBCASE("transition_to refuses an illegal move, logs it, keeps the state") {
    Harness h;
    CHECK(h.state.state() == S::uninitialized);
    CHECK_FALSE(h.state.transition_to(S::assigned, "test"));
    CHECK(h.state.state() == S::uninitialized);
    CHECK(h.logged("illegal transition uninitialized -> assigned"));
    CHECK(h.state.transition_to(S::initializing, "test"));
    CHECK(h.logged("uninitialized -> initializing: test"));
    CHECK_FALSE(h.state.transition_to(S::bumping_epoch, "test"));
    CHECK(h.state.state() == S::initializing);
  }
  SUBCASE("fatal is final") {
    Harness h;
    CHECK(h.state.transition_to(S::fatal, "test"));
    for (S to : all) CHECK_FALSE(h.state.transition_to(to, "again"));
    CHECK(h.state.state() == S::fatal);
  }
}

TEST_CASE("nothing is sent before InitProducerId answers; retriable errors back off, others are fatal") {
  Harness h;
  BatchPtr b = make_batch(tp0, 3);
  std::int64_t next = kNoDeadline;
  CHECK_FALSE(h.state.ready_to_send(h.now));
  CHECK_FALSE(h.state.may_drain(*b));
  CHECK(h.state.wants_producer_id(h.now, next));
  (void)h.state.begin_producer_id_request(h.now);
  CHECK(h.state.state() == IdempotenceState::initializing);
  CHECK_FALSE(h.state.wants_producer_id(h.now, next));  // one request at a time
  CHECK_FALSE(h.state.ready_to_send(h.now));

  SUBCASE("a retriable error: back to uninitialized, next attempt after retry.backoff.ms") {
    kwire::protocol::InitProducerIdResponse response;
    response.error_code = errc::coordinator_load_in_progress;
    h.state.on_producer_id_response({}, response, h.now);
    CHECK(h.state.state() == IdempotenceState::uninitialized);
    next = kNoDeadline;
    CHECK_FALSE(h.state.wants_producer_id(h.now + 10, next));
    CHECK(next == h.now + 100);
    CHECK(h.state.wants_producer_id(h.now + 100, next));
    // A transport error is retried too.
    (void)h.state.begin_producer_id_request(h.now + 100);
    h.state.on_producer_id_response(make_error_code(client_errc::disconnected), {}, h.now + 100);
    CHECK(h.state.state() == IdempotenceState::uninitialized);
    next = kNoDeadline;
    CHECK_FALSE(h.state.wants_producer_id(h.now + 150, next));
    CHECK(next == h.now + 100 + 200);  // doubled
    CHECK_FALSE(h.state.fatal_error());
  }
  SUBCASE("CLUSTER_AUTHORIZATION_FAILED: fatal, with the cause") {
    kwire::protocol::InitProducerIdResponse response;
    response.error_code = errc::cluster_authorization_failed;
    h.state.on_producer_id_response({}, response, h.now);
    CHECK(h.state.state() == IdempotenceState::fatal);
    CHECK(h.state.fatal_error() == errc::cluster_authorization_failed);
    CHECK(h.state.fatal_detail().find("CLUSTER_AUTHORIZATION_FAILED") != std::string::npos);
    CHECK_FALSE(h.state.ready_to_send(h.now));
    CHECK_FALSE(h.state.wants_producer_id(h.now + 100000, next));
  }
  SUBCASE("a broker without InitProducerId (pre-0.11): fatal") {
    h.state.on_producer_id_response(make_error_code(client_errc::unsupported_version), {}, h.now);
    CHECK(h.state.fatal_error() == client_errc::unsupported_version);
  }
  SUBCASE("the answer") {
    kwire::protocol::InitProducerIdResponse response;
    response.producer_id = 4242;
    response.producer_epoch = 3;
    h.state.on_producer_id_response({}, response, h.now);
    CHECK(h.state.state() == IdempotenceState::assigned);
    CHECK(h.state.producer_id_and_epoch() == ProducerIdAndEpoch{kwire::ProducerId{4242}, kwire::ProducerEpoch{3}});
    CHECK(h.state.ready_to_send(h.now));
    CHECK(h.state.may_drain(*b));
  }
}

TEST_CASE("sequences: assigned at the first seal, per partition, kept on resends") {
  Harness h;
  h.assign(7000, 0);
  BatchPtr a = h.new_batch(tp0, 10);
  BatchPtr b = h.new_batch(tp0, 5);
  BatchPtr c = h.new_batch(tp1, 4);
  CHECK(a->base_sequence() == 0);
  CHECK(b->base_sequence() == 10);
  CHECK(c->base_sequence() == 0);  // its own numbering
  CHECK(a->producer_id() == 7000);
  CHECK(a->producer_epoch() == 0);
  CHECK(decoded(*b).base_sequence == 10);
  CHECK(decoded(*b).producer_id == 7000);
  CHECK(h.state.next_sequence(tp0) == 15);
  CHECK(h.state.next_sequence(tp1) == 4);
  CHECK(h.state.unresolved_batches(tp0) == 2);

  // A lost response: retried with the same everything.
  CHECK(h.answer(*a, make_error_code(client_errc::disconnected)) == ProduceAction::retry);
  CHECK(h.state.state() == IdempotenceState::assigned);
  const auto params = h.state.seal_params(*a);
  CHECK(params.base_sequence == 0);
  CHECK(params.producer_id == 7000);
  CHECK(params.producer_epoch == 0);
  CHECK(h.state.next_sequence(tp0) == 15);  // no new sequence for a resend

  h.complete(*a);
  CHECK(h.state.last_acked_sequence(tp0) == 9);
  h.complete(*b);
  CHECK(h.state.last_acked_sequence(tp0) == 14);
  CHECK(h.state.unresolved_batches(tp0) == 0);
  // A duplicate answered DUPLICATE_SEQUENCE_NUMBER by an old broker is a success.
  BatchPtr d = h.new_batch(tp0, 2);
  CHECK(h.answer(*d, make_error_code(errc::duplicate_sequence_number)) == ProduceAction::complete);
  CHECK(h.state.last_acked_sequence(tp0) == 16);
  CHECK(h.state.unresolved_batches(tp0) == 0);
}

TEST_CASE("sequences wrap from INT32_MAX to 0") {
  IdempotentProducerState::Options options = Harness::pipelined();
  options.initial_sequence = kMaxSequence - 4;  // a fresh producer id may start anywhere
  Harness h(options);
  h.assign();
  BatchPtr a = h.new_batch(tp0, 3);  // MAX-4 .. MAX-2
  BatchPtr b = h.new_batch(tp0, 4);  // MAX-1, MAX, 0, 1
  BatchPtr c = h.new_batch(tp0, 2);  // 2, 3
  CHECK(a->base_sequence() == kMaxSequence - 4);
  CHECK(b->base_sequence() == kMaxSequence - 1);
  CHECK(c->base_sequence() == 2);
  CHECK(decoded(*c).base_sequence == 2);
  CHECK(h.state.next_sequence(tp0) == 4);
  h.complete(*a);
  h.complete(*b);
  CHECK(h.state.last_acked_sequence(tp0) == 1);  // MAX-1 + 3, wrapped
  // c is the next one: OUT_OF_ORDER_SEQUENCE_NUMBER for it is a real gap.
  CHECK(h.answer(*c, make_error_code(errc::out_of_order_sequence_number)) == ProduceAction::retry);
  CHECK(h.state.epoch_bump_pending(tp0));
  h.state.on_round_start(h.now);
  CHECK(c->base_sequence() == 0);  // rewritten under the new epoch
  CHECK(c->producer_epoch() == 1);
}

TEST_CASE("classify_idempotent_error: the decision table") {
  const auto oos = make_error_code(errc::out_of_order_sequence_number);
  const auto upid = make_error_code(errc::unknown_producer_id);
  const ProduceErrorClass retry_no{ProduceAction::retry, false, Persisted::no};
  SequenceContext head;
  head.is_next = true;
  SequenceContext behind;  // an earlier batch is unresolved
  SequenceContext reset = behind;
  reset.sequence_reset = true;
  SequenceContext after_expired;
  after_expired.partition_unresolved = true;
  after_expired.follows_unresolved = true;
  SequenceContext elsewhere_expired;
  elsewhere_expired.partition_unresolved = true;

  CHECK(classify_idempotent_error(oos, 5, head) == IdempotentErrorClass{retry_no, SequenceAction::bump_epoch});
  CHECK(classify_idempotent_error(oos, 5, behind) == IdempotentErrorClass{retry_no, SequenceAction::wait});
  CHECK(classify_idempotent_error(oos, 5, reset) == IdempotentErrorClass{retry_no, SequenceAction::wait});
  SequenceContext head_reset = head;
  head_reset.sequence_reset = true;
  CHECK(classify_idempotent_error(oos, 5, head_reset).sequence == SequenceAction::wait);
  CHECK(classify_idempotent_error(oos, 5, after_expired) == IdempotentErrorClass{retry_no, SequenceAction::bump_epoch});
  CHECK(classify_idempotent_error(oos, 5, elsewhere_expired) == IdempotentErrorClass{retry_no, SequenceAction::wait});

  CHECK(classify_idempotent_error(upid, 5, head) == IdempotentErrorClass{retry_no, SequenceAction::bump_epoch});
  CHECK(classify_idempotent_error(upid, 5, behind) == IdempotentErrorClass{retry_no, SequenceAction::bump_epoch});
  CHECK(classify_idempotent_error(upid, 5, reset) == IdempotentErrorClass{retry_no, SequenceAction::keep});

  const ProduceErrorClass fatal{ProduceAction::fatal, false, Persisted::no};
  for (errc e : {errc::producer_fenced, errc::invalid_producer_epoch, errc::cluster_authorization_failed}) {
    CAPTURE(static_cast<int>(e));
    CHECK(classify_idempotent_error(make_error_code(e), 5, head) == IdempotentErrorClass{fatal, SequenceAction::fatal});
  }
  const ProduceErrorClass done{ProduceAction::complete, false, Persisted::yes};
  CHECK(classify_idempotent_error({}, 5, head) == IdempotentErrorClass{done, SequenceAction::keep});
  CHECK(classify_idempotent_error(make_error_code(errc::duplicate_sequence_number), 5, behind) ==
        IdempotentErrorClass{done, SequenceAction::keep});
  // Lost responses and timeouts: same sequence, maybe persisted.
  for (client_errc e : {client_errc::disconnected, client_errc::timed_out}) {
    const auto c = classify_idempotent_error(make_error_code(e), 5, head);
    CHECK(c.produce == ProduceErrorClass{ProduceAction::retry, true, Persisted::maybe});
    CHECK(c.sequence == SequenceAction::keep);
  }
  const auto nl = classify_idempotent_error(make_error_code(errc::not_leader_or_follower), 5, head);
  CHECK(nl.produce == ProduceErrorClass{ProduceAction::retry, true, Persisted::no});
  CHECK(nl.sequence == SequenceAction::keep);
  const auto invalid = classify_idempotent_error(make_error_code(errc::invalid_record), 5, head);
  CHECK(invalid.produce.action == ProduceAction::fail);
  CHECK(invalid.sequence == SequenceAction::keep);
}

TEST_CASE("OUT_OF_ORDER_SEQUENCE_NUMBER behind an unresolved batch waits; the retry goes only once it is first") {
  Harness h;
  h.assign();
  BatchPtr a = h.new_batch(tp0, 10);  // 0..9
  BatchPtr b = h.new_batch(tp0, 10);  // 10..19
  // a hit NOT_LEADER, so the broker rejects b as out of order.
  CHECK(h.answer(*a, make_error_code(errc::not_leader_or_follower)) == ProduceAction::retry);
  CHECK(h.answer(*b, make_error_code(errc::out_of_order_sequence_number)) == ProduceAction::retry);
  CHECK(h.state.state() == IdempotenceState::assigned);  // no bump
  CHECK_FALSE(h.state.epoch_bump_pending(tp0));
  // Both queued for retry: b may not go before a.
  CHECK_FALSE(h.state.may_drain(*b));
  CHECK(h.state.may_drain(*a));
  // A new batch waits behind them in the queue anyway; a resolves; b goes.
  h.send(*a);
  CHECK(a->base_sequence() == 0);
  h.complete(*a);
  CHECK(h.state.may_drain(*b));
  CHECK(h.state.seal_params(*b).base_sequence == 10);
}

TEST_CASE("OUT_OF_ORDER_SEQUENCE_NUMBER at the head of the line bumps the epoch locally and rewrites the batches") {
  Harness h;
  h.assign(7000, 4);
  BatchPtr done = h.new_batch(tp0, 3);  // 0..2
  h.complete(*done);
  BatchPtr a = h.new_batch(tp0, 10);  // 3..12
  BatchPtr b = h.new_batch(tp0, 5);   // 13..17
  BatchPtr other = h.new_batch(tp1, 2);

  CHECK(h.answer(*a, make_error_code(errc::out_of_order_sequence_number)) == ProduceAction::retry);
  CHECK(h.state.state() == IdempotenceState::bumping_epoch);
  CHECK(h.state.epoch_bump_pending(tp0));
  CHECK_FALSE(h.state.epoch_bump_pending(tp1));
  // The next round bumps: same producer id, epoch + 1, tp0 restarts at 0.
  h.state.on_round_start(h.now);
  CHECK(h.state.state() == IdempotenceState::assigned);
  CHECK(h.state.producer_id_and_epoch() == ProducerIdAndEpoch{kwire::ProducerId{7000}, kwire::ProducerEpoch{5}});
  CHECK(h.state.epoch_bumps() == 1);
  CHECK(h.logged("epoch 4 -> 5 (local bump, KIP-360)"));
  CHECK(a->producer_epoch() == 5);
  CHECK(a->base_sequence() == 0);
  CHECK(b->base_sequence() == 10);
  CHECK(decoded(*b).producer_epoch == 5);  // the bytes, CRC included (decode checks it)
  CHECK(decoded(*b).base_sequence == 10);
  CHECK(h.state.next_sequence(tp0) == 15);
  CHECK_FALSE(h.state.last_acked_sequence(tp0).has_value());
  // b's old incarnation (epoch 4) is rejected too: just retried, no new bump.
  CHECK(h.answer(*b, make_error_code(errc::out_of_order_sequence_number)) == ProduceAction::retry);
  CHECK(h.state.state() == IdempotenceState::assigned);
  // The resends go in order with the new state.
  CHECK_FALSE(h.state.may_drain(*b));
  h.send(*a);
  CHECK(decoded(*a).producer_epoch == 5);
  CHECK(decoded(*a).base_sequence == 0);
  h.complete(*a);
  h.send(*b);
  h.complete(*b);
  CHECK(h.state.last_acked_sequence(tp0) == 14);

  // tp1 still has an epoch-4 batch unresolved: a new tp1 batch waits for it
  // (epoch 5 at sequence 0 must not overtake it), then restarts at 0.
  BatchPtr fresh = make_batch(tp1, 1);
  CHECK_FALSE(h.state.may_drain(*fresh));
  h.complete(*other);
  CHECK(h.state.may_drain(*fresh));
  h.send(*fresh);
  CHECK(fresh->producer_epoch() == 5);
  CHECK(fresh->base_sequence() == 0);
}

TEST_CASE("UNKNOWN_PRODUCER_ID bumps once; the rewritten batches' old incarnations just retry") {
  Harness h;
  h.assign();
  BatchPtr a = h.new_batch(tp0, 4);
  BatchPtr b = h.new_batch(tp0, 4);
  CHECK(h.answer(*a, make_error_code(errc::unknown_producer_id)) == ProduceAction::retry);
  CHECK(h.state.state() == IdempotenceState::bumping_epoch);
  h.state.on_round_start(h.now);
  CHECK(h.state.producer_id_and_epoch().epoch == kwire::ProducerEpoch{1});
  CHECK(h.answer(*b, make_error_code(errc::unknown_producer_id)) == ProduceAction::retry);
  CHECK(h.state.state() == IdempotenceState::assigned);
  CHECK(h.state.epoch_bumps() == 1);
  CHECK(b->base_sequence() == 4);
}

TEST_CASE("the epoch exhausted at INT16_MAX: a new producer id, the partition restarts at 0") {
  Harness h;
  h.assign(7000, std::numeric_limits<std::int16_t>::max());
  BatchPtr a = h.new_batch(tp0, 6);
  BatchPtr b = h.new_batch(tp0, 6);
  CHECK(h.answer(*a, make_error_code(errc::out_of_order_sequence_number)) == ProduceAction::retry);
  h.state.on_round_start(h.now);
  CHECK(h.state.state() == IdempotenceState::uninitialized);
  CHECK_FALSE(h.state.ready_to_send(h.now));
  CHECK_FALSE(h.state.may_drain(*a));
  h.assign(8000, 0);
  CHECK(a->producer_id() == 8000);
  CHECK(a->producer_epoch() == 0);
  CHECK(a->base_sequence() == 0);
  CHECK(b->base_sequence() == 6);
  CHECK(decoded(*b).producer_id == 8000);
  CHECK(h.state.may_drain(*a));
  CHECK_FALSE(h.state.may_drain(*b));
}

TEST_CASE("PRODUCER_FENCED / INVALID_PRODUCER_EPOCH: fatal with the cause; everything else then fails too") {
  for (errc cause : {errc::producer_fenced, errc::invalid_producer_epoch}) {
    CAPTURE(static_cast<int>(cause));
    Harness h;
    h.assign();
    BatchPtr a = h.new_batch(tp0, 2);
    BatchPtr b = h.new_batch(tp1, 2);
    CHECK(h.answer(*a, make_error_code(cause)) == ProduceAction::fatal);
    CHECK(h.state.state() == IdempotenceState::fatal);
    CHECK(h.state.fatal_error() == cause);
    CHECK(h.logged(std::string(kwire::kafka_error_name(cause))));
    CHECK(h.logged("every pending and future record fails with fatal_producer_state"));
    CHECK_FALSE(h.state.ready_to_send(h.now));
    CHECK_FALSE(h.state.may_drain(*make_batch(tp0, 1)));
    // Other answers: a success stays a success, any error is fatal.
    const auto nl = make_error_code(errc::not_leader_or_follower);
    CHECK(h.state.classify(*b, nl, classify_produce_error(nl, 2)).action == ProduceAction::fatal);
    CHECK(h.state.classify(*b, {}, classify_produce_error({}, 2)).action == ProduceAction::complete);
  }
}

TEST_CASE("a sent batch that failed leaves a gap: bump; one whose fate is unknown marks the partition unresolved") {
  Harness h;
  h.assign();
  BatchPtr a = h.new_batch(tp0, 3);
  BatchPtr b = h.new_batch(tp0, 3);
  SUBCASE("rejected (persisted no)") {
    h.state.on_batch_outcome(*a, BatchOutcome{ProduceAction::fail, make_error_code(errc::invalid_record),
                                              Persisted::no, -1});
    CHECK(h.state.epoch_bump_pending(tp0));
    h.state.on_round_start(h.now);
    CHECK(b->base_sequence() == 0);
    CHECK(b->producer_epoch() == 1);
  }
  SUBCASE("retries exhausted after a timeout (persisted maybe)") {
    h.state.on_batch_outcome(*a, BatchOutcome{ProduceAction::fail, make_error_code(client_errc::timed_out),
                                              Persisted::maybe, -1});
    CHECK_FALSE(h.state.epoch_bump_pending(tp0));
    CHECK(h.state.has_unresolved_sequence(tp0));
    CHECK_FALSE(h.state.may_drain(*make_batch(tp0, 1)));  // no new batch meanwhile
    CHECK(h.state.may_drain(*b));                          // b still goes
  }
}

TEST_CASE("expired batches: unresolved until the partition drains; resolved by later acks, else a bump") {
  Harness h;
  h.assign();
  BatchPtr a = h.new_batch(tp0, 5);  // 0..4
  BatchPtr b = h.new_batch(tp0, 5);  // 5..9
  a->fail(make_error_code(client_errc::timed_out));  // what accumulator.expire() does
  h.state.on_batch_expired(*a);
  CHECK(h.state.has_unresolved_sequence(tp0));
  BatchPtr fresh = make_batch(tp0, 1);
  CHECK_FALSE(h.state.may_drain(*fresh));

  SUBCASE("a was written after all: b is acknowledged in sequence, no bump") {
    h.complete(*b);
    h.state.on_round_start(h.now);
    CHECK_FALSE(h.state.has_unresolved_sequence(tp0));
    CHECK_FALSE(h.state.epoch_bump_pending(tp0));
    CHECK(h.state.may_drain(*fresh));
    h.send(*fresh);
    CHECK(fresh->base_sequence() == 10);
    CHECK(fresh->producer_epoch() == 0);
  }
  SUBCASE("b right after it gets OUT_OF_ORDER_SEQUENCE_NUMBER: a was not written, bump") {
    CHECK(h.answer(*b, make_error_code(errc::out_of_order_sequence_number)) == ProduceAction::retry);
    CHECK(h.state.epoch_bump_pending(tp0));
    h.state.on_round_start(h.now);
    CHECK(b->base_sequence() == 0);
    CHECK(b->producer_epoch() == 1);
  }
  SUBCASE("b expires too: nothing acknowledged reaches the next sequence, bump when drained") {
    b->fail(make_error_code(client_errc::timed_out));
    h.state.on_batch_expired(*b);
    h.state.on_round_start(h.now);
    CHECK(h.state.producer_id_and_epoch().epoch == kwire::ProducerEpoch{1});
    CHECK(h.state.may_drain(*fresh));
    h.send(*fresh);
    CHECK(fresh->base_sequence() == 0);
    CHECK(fresh->producer_epoch() == 1);
  }
  SUBCASE("a's success arrives late (the sender reports it): resolved without a bump") {
    h.complete(*a);
    h.complete(*b);
    h.state.on_round_start(h.now);
    CHECK_FALSE(h.state.has_unresolved_sequence(tp0));
    CHECK(h.state.producer_id_and_epoch().epoch == kwire::ProducerEpoch{0});
  }
}

TEST_CASE("at most 5 batches per partition unresolved (KAFKA-5494)") {
  Harness h;
  h.assign();
  std::vector<BatchPtr> sent;
  for (int i = 0; i < 5; ++i) sent.push_back(h.new_batch(tp0, 1));
  BatchPtr sixth = make_batch(tp0, 1);
  CHECK_FALSE(h.state.may_drain(*sixth));
  CHECK(h.state.may_drain(*make_batch(tp1, 1)));  // per partition
  h.complete(*sent[0]);
  CHECK(h.state.may_drain(*sixth));
}

TEST_CASE("until a partition acknowledged a batch of the epoch, its batches go one at a time") {
  // A broker without state for the producer id accepts any first sequence:
  // had batch 0..1 met a transient error and 2..3 not, 2..3 would be
  // written and 0..1's retry refused as out of order until it expired.
  Harness h(IdempotentProducerState::Options{});
  h.assign();
  BatchPtr first = h.new_batch(tp0, 2);
  BatchPtr second = make_batch(tp0, 2);
  CHECK_FALSE(h.state.may_drain(*second));
  CHECK(h.state.may_drain(*make_batch(tp1, 1)));  // per partition
  // A retriable error: the first goes again, still alone.
  CHECK(h.answer(*first, make_error_code(errc::not_leader_or_follower)) == ProduceAction::retry);
  CHECK_FALSE(h.state.may_drain(*second));
  CHECK(h.state.may_drain(*first));
  h.send(*first);
  h.complete(*first);
  // Acknowledged: the broker knows the producer now; the pipeline opens.
  h.send(*second);
  std::vector<BatchPtr> more;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(h.state.may_drain(*make_batch(tp0, 1)));
    more.push_back(h.new_batch(tp0, 1));
  }
  CHECK_FALSE(h.state.may_drain(*make_batch(tp0, 1)));  // 5 unresolved (KAFKA-5494)
  CHECK(decoded(*second).base_sequence == 2);
}

TEST_CASE("a batch split after MESSAGE_TOO_LARGE: the pieces keep its sequences and go in order") {
  Harness h;
  h.assign();
  BatchPtr before = h.new_batch(tp0, 2);  // 0..1
  BatchPtr big = h.new_batch(tp0, 8);     // 2..9
  BatchPtr after = h.new_batch(tp0, 2);   // 10..11
  h.complete(*before);
  CHECK(h.answer(*big, make_error_code(errc::message_too_large)) == ProduceAction::split);
  std::error_code error;
  std::vector<BatchPtr> pieces = big->split(200, error);
  REQUIRE_FALSE(error);
  REQUIRE(pieces.size() >= 2);
  CHECK(pieces[0]->base_sequence() == 2);
  // No record may join a piece: it would fall outside the piece's sequences.
  for (const BatchPtr& piece : pieces) CHECK(piece->closed_for_appends());
  // Only the first piece may go; the later batch's retry waits behind it.
  CHECK(h.state.may_drain(*pieces[0]));
  CHECK_FALSE(h.state.may_drain(*pieces[1]));
  CHECK(h.answer(*after, make_error_code(errc::out_of_order_sequence_number)) == ProduceAction::retry);
  CHECK_FALSE(h.state.epoch_bump_pending(tp0));  // behind the pieces: wait
  CHECK_FALSE(h.state.may_drain(*after));
  std::int32_t expected = 2;
  for (BatchPtr& piece : pieces) {
    REQUIRE(h.state.may_drain(*piece));
    h.send(*piece);
    CHECK(piece->base_sequence() == expected);
    CHECK(decoded(*piece).base_sequence == expected);
    expected = add_to_sequence(expected, piece->record_count());
    h.complete(*piece);
  }
  CHECK(expected == 10);
  CHECK(h.state.may_drain(*after));
  h.send(*after);
  CHECK(after->base_sequence() == 10);
  h.complete(*after);
  CHECK(h.state.last_acked_sequence(tp0) == 11);
  CHECK(h.state.unresolved_batches(tp0) == 0);
}

TEST_CASE("an epoch bump waits while split pieces are queued with their sequences") {
  Harness h;
  h.assign();
  BatchPtr big = h.new_batch(tp0, 6);   // 0..5
  BatchPtr after = h.new_batch(tp0, 2);  // 6..7
  CHECK(h.answer(*big, make_error_code(errc::message_too_large)) == ProduceAction::split);
  std::error_code error;
  std::vector<BatchPtr> pieces = big->split(150, error);
  REQUIRE(pieces.size() >= 2);
  CHECK(h.answer(*after, make_error_code(errc::unknown_producer_id)) == ProduceAction::retry);
  CHECK(h.state.state() == IdempotenceState::bumping_epoch);
  h.state.on_round_start(h.now);
  CHECK(h.state.state() == IdempotenceState::bumping_epoch);  // deferred
  for (BatchPtr& piece : pieces) {
    REQUIRE(h.state.may_drain(*piece));
    h.send(*piece);
  }
  h.state.on_round_start(h.now);
  CHECK(h.state.state() == IdempotenceState::assigned);
  CHECK(pieces[0]->base_sequence() == 0);
  CHECK(pieces[0]->producer_epoch() == 1);
  CHECK(after->base_sequence() == 6);
  CHECK(after->producer_epoch() == 1);
}

}  // TEST_SUITE

TEST_CASE("OUT_OF_ORDER_SEQUENCE_NUMBER waits for an earlier unacknowledged batch; at the head of the line it is a gap") {
  // What the transactional producer retries instead of failing the
  // transaction (Java's TransactionManager.canRetry): under TV2 a new
  // epoch's later batch can be checked before sequence 0 was written.
  Harness h;
  h.assign();
  BatchPtr a = h.new_batch(tp0, 3);  // 0..2
  BatchPtr b = h.new_batch(tp0, 2);  // 3..4
  BatchPtr other = h.new_batch(tp1, 1);
  CHECK(h.state.out_of_order_waits_for_earlier(*b));
  CHECK_FALSE(h.state.out_of_order_waits_for_earlier(*a));      // the next one expected
  CHECK_FALSE(h.state.out_of_order_waits_for_earlier(*other));  // alone on its partition
  h.complete(*a);
  CHECK_FALSE(h.state.out_of_order_waits_for_earlier(*b));  // now at the head
}
