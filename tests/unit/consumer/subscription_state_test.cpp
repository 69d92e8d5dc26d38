// Subscription state: positions, committed offsets, resets under each
// auto.offset.reset policy, and pause state across rebalances.
#include <doctest/doctest.h>

#include <vector>

#include "kwire/consumer/consumer_error.hpp"
#include "kwire/consumer/subscription_state.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace kwire::consumer;
using kwire::consumer_errc;

namespace {
const TopicPartition a0{"a", 0}, a1{"a", 1}, b0{"b", 0};
}

TEST_CASE("auto.offset.reset names, with librdkafka's aliases") {
  CHECK(parse_offset_reset_policy("earliest") == OffsetResetPolicy::earliest);
  CHECK(parse_offset_reset_policy("smallest") == OffsetResetPolicy::earliest);
  CHECK(parse_offset_reset_policy("beginning") == OffsetResetPolicy::earliest);
  CHECK(parse_offset_reset_policy("latest") == OffsetResetPolicy::latest);
  CHECK(parse_offset_reset_policy("largest") == OffsetResetPolicy::latest);
  CHECK(parse_offset_reset_policy("none") == OffsetResetPolicy::none);
  CHECK(parse_offset_reset_policy("error") == OffsetResetPolicy::none);
  CHECK_FALSE(parse_offset_reset_policy("Earliest").has_value());
  CHECK(list_offsets_timestamp(OffsetResetPolicy::earliest) == -2);
  CHECK(list_offsets_timestamp(OffsetResetPolicy::latest) == -1);
}

TEST_CASE("a new partition waits for its committed offset, then is fetchable") {
  SubscriptionState state(OffsetResetPolicy::earliest);
  state.assign({a0, a1});
  CHECK(state.awaiting_committed_offset() == std::vector<TopicPartition>{a0, a1});
  CHECK(state.fetchable().empty());
  CHECK_FALSE(state.apply_committed(a0, FetchPosition{42, 3}));
  CHECK(state.position(a0) == FetchPosition{42, 3});
  // It carries a leader epoch: checked (KIP-320) before it is fetched from.
  CHECK(state.awaiting_validation() == std::vector<TopicPartition>{a0});
  CHECK_FALSE(state.is_fetchable(a0));
  bool truncated = true;
  CHECK_FALSE(state.complete_validation(a0, FetchPosition{42, 3}, 5, 50, 3, truncated));
  CHECK_FALSE(truncated);
  CHECK(state.is_fetchable(a0));
  // No committed offset: a reset to the earliest offset is pending.
  CHECK_FALSE(state.apply_committed(a1, std::nullopt));
  CHECK(state.pending_resets() == std::map<TopicPartition, std::int64_t>{{a1, -2}});
  CHECK_FALSE(state.is_fetchable(a1));
  CHECK(state.complete_reset(a1, FetchPosition{0, 1}));
  CHECK(state.is_fetchable(a1));
  CHECK_FALSE(state.complete_reset(a1, FetchPosition{7, 1}));  // no longer pending: a late answer is ignored
  CHECK(state.position(a1) == FetchPosition{0, 1});
  CHECK(state.awaiting_committed_offset().empty());
}

TEST_CASE("a seek wins over a committed offset or reset answer arriving later") {
  SubscriptionState state(OffsetResetPolicy::latest);
  state.assign({a0});
  CHECK_FALSE(state.seek(a0, {100, -1}));
  CHECK_FALSE(state.apply_committed(a0, FetchPosition{5, 0}));
  CHECK(state.position(a0)->offset == 100);
  CHECK_FALSE(state.request_reset(a0));
  CHECK(state.pending_resets().at(a0) == -1);
  CHECK_FALSE(state.seek(a0, {7, -1}));
  CHECK(state.pending_resets().empty());
  CHECK_FALSE(state.complete_reset(a0, {999, 0}));
  CHECK(state.position(a0)->offset == 7);
  CHECK(state.seek(b0, {0, -1}) == consumer_errc::partition_not_assigned);
}

TEST_CASE("auto.offset.reset=none: no committed offset or out of range is an error until the application seeks") {
  SubscriptionState state(OffsetResetPolicy::none);
  state.assign({a0, a1});
  CHECK(state.apply_committed(a0, std::nullopt) == consumer_errc::no_offset_for_partition);
  CHECK_FALSE(state.is_fetchable(a0));
  CHECK(state.pending_resets().empty());
  CHECK_FALSE(state.apply_committed(a1, FetchPosition{10, 0}));
  CHECK(state.on_offset_out_of_range(a1, 10) == kwire::errc::offset_out_of_range);
  CHECK_FALSE(state.is_fetchable(a1));
  CHECK_FALSE(state.seek(a1, {0, -1}));
  CHECK(state.is_fetchable(a1));
  // An explicit policy (seek_to_beginning) still works without auto reset.
  CHECK_FALSE(state.request_reset(a0, OffsetResetPolicy::earliest));
  CHECK(state.pending_resets().at(a0) == -2);
}

TEST_CASE("OFFSET_OUT_OF_RANGE resets only when it answers the current position") {
  SubscriptionState state(OffsetResetPolicy::earliest);
  state.assign({a0});
  CHECK_FALSE(state.seek(a0, {50, 2}));
  CHECK_FALSE(state.on_offset_out_of_range(a0, 40));  // stale: the position moved since
  CHECK(state.position(a0)->offset == 50);
  CHECK(state.pending_resets().empty());
  CHECK_FALSE(state.on_offset_out_of_range(a0, 50));
  CHECK(state.pending_resets().at(a0) == -2);
  CHECK_FALSE(state.position(a0).has_value());
}

TEST_CASE("pause state survives a rebalance only for partitions that stay assigned") {
  SubscriptionState state;
  state.assign({a0, a1, b0});
  for (const auto& tp : {a0, a1, b0}) REQUIRE_FALSE(state.seek(tp, {1, -1}));
  state.pause({a0, a1});
  CHECK(state.paused() == std::vector<TopicPartition>{a0, a1});
  CHECK(state.fetchable() == std::vector<TopicPartition>{b0});

  SUBCASE("cooperative: a1 revoked, a0 kept (still paused, same position)") {
    state.remove_partitions({a1});
    state.add_partitions({TopicPartition{"c", 0}});
    CHECK(state.is_paused(a0));
    CHECK(state.position(a0)->offset == 1);
    CHECK(state.paused() == std::vector<TopicPartition>{a0});
    // a1 assigned again later starts unpaused, without a position.
    state.add_partitions({a1});
    CHECK_FALSE(state.is_paused(a1));
    CHECK_FALSE(state.position(a1).has_value());
  }
  SUBCASE("eager: everything revoked, then a0 assigned again: unpaused, no position") {
    state.assign({});
    CHECK(state.paused().empty());
    state.assign({a0});
    CHECK_FALSE(state.is_paused(a0));
    CHECK_FALSE(state.position(a0).has_value());
  }
  SUBCASE("assign() keeps the state of partitions in both assignments") {
    state.assign({a0, b0});
    CHECK(state.is_paused(a0));
    CHECK(state.assignment() == std::vector<TopicPartition>{a0, b0});
    state.resume({a0});
    CHECK(state.fetchable() == std::vector<TopicPartition>{a0, b0});
  }
}

TEST_CASE("consumer errors have a category and messages") {
  std::error_code ec = consumer_errc::no_offset_for_partition;
  CHECK(std::string(ec.category().name()) == "kwire.consumer");
  CHECK(ec.message().find("auto.offset.reset") != std::string::npos);
}
