#pragma once
// The driver's side of a TransactionManager in unit tests: an injected
// clock, coordinator lookups answered on the way, scripted answers.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "../../../producer/src/transaction_manager.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::producer::testing {

namespace protocol = kwire::protocol;
using kwire::errc;
using State = TransactionState;

inline const TopicPartition kOrders0{"orders", 0};
inline const TopicPartition kOrders1{"orders", 1};
inline const ConsumerGroupMetadata kGroup{"copier", 7, "member-1", std::nullopt};

inline protocol::EndTxnResponse end_txn_answer(errc error = errc::none, std::int64_t producer_id = -1,
                                               std::int16_t epoch = -1) {
  protocol::EndTxnResponse r;
  r.error_code = error;
  r.producer_id = producer_id;
  r.producer_epoch = epoch;
  return r;
}

inline protocol::AddPartitionsToTxnResponse add_partitions_answer(
    const protocol::AddPartitionsToTxnRequest& request, errc error = errc::none) {
  protocol::AddPartitionsToTxnResponse r;
  for (const auto& t : request.v3_and_below_topics) {
    auto& topic = r.results_by_topic_v3_and_below.emplace_back();
    topic.name = t.name;
    for (auto p : t.partitions) topic.partitions.push_back({p, error, {}});
  }
  return r;
}

inline protocol::TxnOffsetCommitResponse offset_commit_answer(const protocol::TxnOffsetCommitRequest& request,
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

}  // namespace kwire::producer::testing
