// KIP-320 position validation, sans-I/O: SubscriptionState's validation
// states and the PositionValidator's OffsetForLeaderEpoch round trips, with
// scripted answers and an injected clock.
#include <doctest/doctest.h>

#include <chrono>

#include "kwire/consumer/consumer_error.hpp"
#include "kwire/consumer/position_validator.hpp"

using namespace kwire::consumer;
using namespace std::chrono_literals;
namespace protocol = kwire::protocol;
using kwire::errc;

namespace {

using TimePoint = PositionValidator::TimePoint;
const TopicPartition tp{"t", 0};

/// One partition led by node 7 under `epoch` (changed by the test).
struct Leader {
  std::int32_t epoch = 5;
  LeaderLookup lookup() {
    return [this](const TopicPartition&) -> std::optional<PartitionLeader> {
      return PartitionLeader{.node_id = 7, .leader_epoch = epoch, .topic_id = {}};
    };
  }
};

protocol::OffsetForLeaderEpochResponse answer(errc error, std::int32_t epoch, std::int64_t end_offset) {
  protocol::OffsetForLeaderEpochResponse r;
  r.topics.push_back({.topic = "t",
                      .partitions = {{.error_code = error, .partition = 0, .leader_epoch = epoch,
                                      .end_offset = end_offset, .unknown_tags = {}}},
                      .unknown_tags = {}});
  return r;
}

/// A partition positioned at offset 100 (records of epoch 3 read), known
/// good under leader epoch 5.
struct Setup {
  explicit Setup(OffsetResetPolicy policy = OffsetResetPolicy::earliest) : subscriptions(policy) {
    subscriptions.assign({tp});
    REQUIRE_FALSE(subscriptions.seek(tp, {.offset = 100, .leader_epoch = 3}));
    REQUIRE(validator.prepare(leader.lookup(), now).empty());  // epoch 5 adopted: nothing to check
    REQUIRE(subscriptions.is_fetchable(tp));
  }
  /// The leader epoch grows: one request to the leader, the partition not fetchable meanwhile.
  protocol::OffsetForLeaderEpochRequest leader_changes(std::int32_t epoch) {
    leader.epoch = epoch;
    auto out = validator.prepare(leader.lookup(), now);
    REQUIRE(out.size() == 1);
    CHECK(out[0].node_id == 7);
    CHECK_FALSE(subscriptions.is_fetchable(tp));
    CHECK(subscriptions.position_unchecked(tp));
    return out[0].request;
  }
  SubscriptionState subscriptions;
  PositionValidator validator{subscriptions, 100ms};
  Leader leader;
  TimePoint now = TimePoint{} + 1h;
  std::vector<FetchError> errors;
};

}  // namespace

TEST_CASE("KIP-320: a grown leader epoch is checked with OffsetForLeaderEpoch; a log that reaches the position is good") {
  Setup s;
  const auto request = s.leader_changes(6);
  CHECK(request.replica_id == -1);
  REQUIRE(request.topics.size() == 1);
  CHECK(request.topics[0].partitions[0].leader_epoch == 3);          // the position's epoch
  CHECK(request.topics[0].partitions[0].current_leader_epoch == 6);  // fencing (v2+)
  CHECK(s.validator.prepare(s.leader.lookup(), s.now).empty());      // one in flight at a time

  s.validator.on_response(answer(errc::none, 3, 140), s.now, s.errors);
  CHECK(s.errors.empty());
  CHECK(s.subscriptions.is_fetchable(tp));
  CHECK(s.subscriptions.position(tp) == FetchPosition{100, 3});
  CHECK(s.validator.truncations() == 0);
  // Known good under epoch 6 now: the same epoch asks nothing.
  CHECK(s.validator.prepare(s.leader.lookup(), s.now).empty());
}

TEST_CASE("KIP-320: a truncation below the position moves it back to where the logs diverge") {
  Setup s;
  s.leader_changes(6);
  s.validator.on_response(answer(errc::none, 3, 90), s.now, s.errors);
  CHECK(s.errors.empty());  // handled under auto.offset.reset
  CHECK(s.validator.truncations() == 1);
  CHECK(s.subscriptions.position(tp) == FetchPosition{90, 3});
  CHECK(s.subscriptions.is_fetchable(tp));
}

TEST_CASE("KIP-320: with auto.offset.reset=none a truncation is reported and the partition waits for a seek") {
  Setup s(OffsetResetPolicy::none);
  s.leader_changes(6);
  s.validator.on_response(answer(errc::none, 3, 90), s.now, s.errors);
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors[0].error == kwire::consumer_errc::log_truncation);
  CHECK(s.errors[0].message.find("t/0") != std::string::npos);
  CHECK(s.errors[0].message.find("ends at 90") != std::string::npos);
  CHECK_FALSE(s.subscriptions.is_fetchable(tp));
  CHECK(s.validator.prepare(s.leader.lookup(), s.now + 1s).empty());  // not asked again
  REQUIRE_FALSE(s.subscriptions.seek(tp, {.offset = 90, .leader_epoch = -1}));
  CHECK(s.subscriptions.is_fetchable(tp));
}

TEST_CASE("KIP-320: an epoch the leader does not know resets the position by policy") {
  Setup s;
  s.leader_changes(6);
  s.validator.on_response(answer(errc::none, -1, -1), s.now, s.errors);
  CHECK(s.errors.empty());
  CHECK_FALSE(s.subscriptions.position(tp).has_value());
  CHECK(s.subscriptions.pending_resets().contains(tp));
}

TEST_CASE("KIP-320: FENCED_LEADER_EPOCH refreshes metadata, UNKNOWN_LEADER_EPOCH only waits; both retry after the backoff") {
  for (const errc error : {errc::fenced_leader_epoch, errc::unknown_leader_epoch, errc::not_leader_or_follower}) {
    CAPTURE(error);
    Setup s;
    s.leader_changes(6);
    s.validator.on_response(answer(error, -1, -1), s.now, s.errors);
    CHECK(s.errors.empty());
    CHECK(s.validator.take_metadata_refresh() == (error != errc::unknown_leader_epoch));
    CHECK_FALSE(s.subscriptions.is_fetchable(tp));
    REQUIRE(s.validator.next_wakeup().has_value());
    CHECK(*s.validator.next_wakeup() == s.now + 100ms);
    CHECK(s.validator.prepare(s.leader.lookup(), s.now + 50ms).empty());  // backing off
    auto again = s.validator.prepare(s.leader.lookup(), s.now + 100ms);
    REQUIRE(again.size() == 1);
    s.validator.on_response(answer(errc::none, 3, 100), s.now + 150ms, s.errors);
    CHECK(s.subscriptions.is_fetchable(tp));
    CHECK_FALSE(s.validator.next_wakeup().has_value());
  }
}

TEST_CASE("KIP-320: a failed request is asked again; a seek meanwhile makes the answer stale") {
  Setup s;
  const auto request = s.leader_changes(6);
  s.validator.on_failure(request, s.now);
  CHECK(s.validator.take_metadata_refresh());
  CHECK_FALSE(s.validator.in_flight());
  REQUIRE(s.validator.prepare(s.leader.lookup(), s.now + 100ms).size() == 1);
  // The application seeks while the check is in flight: its position wins.
  REQUIRE_FALSE(s.subscriptions.seek(tp, {.offset = 120, .leader_epoch = -1}));
  s.validator.on_response(answer(errc::none, 3, 50), s.now + 150ms, s.errors);
  CHECK(s.subscriptions.position(tp) == FetchPosition{120, -1});
  CHECK(s.subscriptions.is_fetchable(tp));
  CHECK(s.validator.truncations() == 0);
}

TEST_CASE("KIP-320: a committed offset with a leader epoch is checked before the first fetch; one without is not") {
  SubscriptionState subscriptions(OffsetResetPolicy::earliest);
  PositionValidator validator(subscriptions, 100ms);
  Leader leader;
  const TopicPartition other{"t", 1};
  subscriptions.assign({tp, other});
  REQUIRE_FALSE(subscriptions.apply_committed(tp, FetchPosition{42, 4}));
  REQUIRE_FALSE(subscriptions.apply_committed(other, FetchPosition{7, -1}));
  CHECK_FALSE(subscriptions.is_fetchable(tp));
  CHECK(subscriptions.is_fetchable(other));
  auto out = validator.prepare(leader.lookup(), TimePoint{});
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].request.topics[0].partitions.size() == 1);
  CHECK(out[0].request.topics[0].partitions[0].partition == 0);
  CHECK(out[0].request.topics[0].partitions[0].leader_epoch == 4);
  std::vector<FetchError> errors;
  validator.on_response(answer(errc::none, 4, 42), TimePoint{}, errors);
  CHECK(validator.prepare(leader.lookup(), TimePoint{}).empty());
  CHECK(subscriptions.is_fetchable(tp));
  // The leader epoch grows: only the position that carries an epoch has
  // something to check.
  leader.epoch = 9;
  out = validator.prepare(leader.lookup(), TimePoint{});
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].request.topics[0].partitions.size() == 1);
  CHECK(out[0].request.topics[0].partitions[0].partition == 0);
  CHECK(subscriptions.is_fetchable(other));
}
