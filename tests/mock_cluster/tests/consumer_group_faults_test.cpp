// kwire::consumer::Consumer's group membership and commits against the mock
// cluster's group coordinator and its faults (issue 15): what a real broker
// will not do on demand — NOT_COORDINATOR, REBALANCE_IN_PROGRESS during a
// commit, UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION on Heartbeat, and
// FENCED_MEMBER_EPOCH under KIP-848.
#include <doctest/doctest.h>

#include "consumer_harness.hpp"
#include "kwire/consumer/consumer_error.hpp"

using namespace kwire::mock::test;

namespace {

/// A subscribed consumer that has read the three records of t-0.
struct ConsumingGroup {
  MockCluster& mock;
  CallbackLog log;
  Consumer consumer;

  explicit ConsumingGroup(MockCluster& m, std::map<std::string, std::string> extra = {})
      : mock(m), consumer(consumer_config(m, extra), log.callbacks()) {
    mock.append_raw_batch("t", 0, batch_of({"a", "b", "c"}));
    consumer.subscribe({"t"});
    const auto records = poll_until(consumer, count_reached(3));
    REQUIRE(records == std::vector<Polled>{{0, "a"}, {1, "b"}, {2, "c"}});
    REQUIRE(log.count("assigned") == 1);
  }
};

}  // namespace

TEST_CASE("consumer against the mock: subscribe, read, commit, committed") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock);
  CHECK(group.consumer.assignment() == std::vector<TopicPartition>{t0});
  CHECK(group.consumer.generation() == 1);
  CHECK(mock.group_generation("g") == 1);
  CHECK_FALSE(group.consumer.commit_sync());
  CHECK(mock.committed_offsets("g") == std::map<std::pair<std::string, std::int32_t>, std::int64_t>{{{"t", 0}, 3}});
  auto committed = group.consumer.committed({t0});
  REQUIRE(committed[t0]);
  CHECK(committed[t0]->offset == 3);
  // A second consumer of the group starts where the first committed.
  group.consumer.close();
  CHECK(group.log.count("revoked") == 1);
  mock.append_raw_batch("t", 0, batch_of({"d"}));
  Consumer second(consumer_config(mock, {}));
  second.subscribe({"t"});
  CHECK(poll_until(second, count_reached(1)) == std::vector<Polled>{{3, "d"}});
}

TEST_CASE("NOT_COORDINATOR on OffsetCommit: the coordinator is found again and the commit succeeds") {
  MockCluster mock(one_topic(2));
  ConsumingGroup group(mock);
  const std::size_t lookups = mock.request_count(ApiKey::find_coordinator);
  const std::int32_t old_coordinator = mock.coordinator(0, "g");
  const std::int32_t new_coordinator = old_coordinator == 1 ? 2 : 1;
  // The group moves: the old coordinator answers NOT_COORDINATOR.
  mock.move_coordinator(0, "g", new_coordinator);
  CHECK_FALSE(group.consumer.commit_sync());
  CHECK(mock.request_count(ApiKey::find_coordinator) > lookups);
  CHECK(mock.request_count(ApiKey::offset_commit, old_coordinator) >= 1);
  CHECK(mock.request_count(ApiKey::offset_commit, new_coordinator) >= 1);
  CHECK(mock.committed_offsets("g").at({"t", 0}) == 3);
}

TEST_CASE("NOT_COORDINATOR injected on OffsetCommit is retried after a coordinator lookup") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock);
  const std::size_t lookups = mock.request_count(ApiKey::find_coordinator);
  mock.fail_next(ApiKey::offset_commit, errc::not_coordinator);
  CHECK_FALSE(group.consumer.commit_sync());
  CHECK(mock.request_count(ApiKey::find_coordinator) > lookups);
  CHECK(mock.request_count(ApiKey::offset_commit) == 2);
  CHECK(mock.committed_offsets("g").at({"t", 0}) == 3);
}

TEST_CASE("NOT_COORDINATOR on Heartbeat: the coordinator is found again, the membership is kept") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock);
  const std::size_t lookups = mock.request_count(ApiKey::find_coordinator);
  const std::size_t heartbeats = mock.request_count(ApiKey::heartbeat);
  mock.fail_next(ApiKey::heartbeat, errc::not_coordinator, 1, "g");
  // Heartbeats resume after the lookup.
  REQUIRE(mock.wait_for_requests(ApiKey::heartbeat, heartbeats + 3, 5s));
  poll_until(group.consumer, [&](const auto&, const auto&) { return mock.request_count(ApiKey::find_coordinator) > lookups; });
  CHECK(mock.request_count(ApiKey::find_coordinator) > lookups);
  CHECK(group.consumer.generation() == 1);
  CHECK(mock.group_generation("g") == 1);
  CHECK(group.log.count("lost") == 0);
  CHECK(group.log.count("revoked") == 0);
  CHECK_FALSE(group.consumer.commit_sync());
}

TEST_CASE("REBALANCE_IN_PROGRESS on OffsetCommit: the commit fails, the member rejoins, revoked partitions are not committed") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock);
  mock.fail_next(ApiKey::offset_commit, errc::rebalance_in_progress);
  // Java's commitSync throws RebalanceInProgressException here.
  CHECK(group.consumer.commit_sync() == errc::rebalance_in_progress);
  CHECK(mock.committed_offsets("g").empty());
  // The next polls rejoin: an eager member revokes, then is assigned again.
  poll_until(group.consumer, [&](const auto&, const auto&) { return group.log.count("assigned") == 2; });
  REQUIRE(group.log.count("assigned") == 2);
  CHECK(group.log.calls[1].kind == "revoked");
  CHECK(group.log.calls[1].partitions == std::vector<TopicPartition>{t0});
  CHECK(group.consumer.generation() == 2);
  CHECK(mock.group_generation("g") == 2);
  CHECK(group.log.count("lost") == 0);
  // The new generation commits.
  CHECK_FALSE(group.consumer.commit_sync());
  CHECK(mock.committed_offsets("g").at({"t", 0}) == 3);
}

TEST_CASE("UNKNOWN_MEMBER_ID on Heartbeat: partitions lost, rejoin under a new member id") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock);
  const std::string first_id = group.consumer.member_id();
  mock.fail_next(ApiKey::heartbeat, errc::unknown_member_id, 1, "g");
  // Nothing was committed for the lost partition: the new member reads it
  // from auto.offset.reset (earliest).
  const auto again = poll_until(group.consumer, [&](const auto& records, const auto&) {
    return group.log.count("assigned") == 2 && records.size() >= 3;
  });
  REQUIRE(group.log.count("assigned") == 2);
  REQUIRE(group.log.count("lost") == 1);
  CHECK(group.log.calls[1].kind == "lost");
  CHECK(group.log.calls[1].partitions == std::vector<TopicPartition>{t0});
  CHECK(group.log.calls[1].why == kwire::consumer_errc::member_lost_partitions);
  CHECK(group.log.count("revoked") == 0);
  CHECK(group.consumer.member_id() != first_id);
  CHECK(group.consumer.generation() == 2);
  CHECK(mock.committed_offsets("g").empty());
  CHECK(again == std::vector<Polled>{{0, "a"}, {1, "b"}, {2, "c"}});
}

TEST_CASE("ILLEGAL_GENERATION on Heartbeat: partitions lost, rejoin under the same member id") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock);
  const std::string first_id = group.consumer.member_id();
  mock.fail_next(ApiKey::heartbeat, errc::illegal_generation, 1, "g");
  poll_until(group.consumer, [&](const auto&, const auto&) { return group.log.count("assigned") == 2; });
  REQUIRE(group.log.count("assigned") == 2);
  REQUIRE(group.log.count("lost") == 1);
  CHECK(group.log.calls[1].kind == "lost");
  CHECK(group.log.calls[1].partitions == std::vector<TopicPartition>{t0});
  CHECK(group.log.count("revoked") == 0);
  CHECK(group.consumer.member_id() == first_id);
  CHECK(group.consumer.generation() == 2);
  CHECK(mock.group_generation("g") == 2);
}

TEST_CASE("FENCED_MEMBER_EPOCH on ConsumerGroupHeartbeat (KIP-848): partitions lost, rejoin at epoch 0") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock, {{"group.protocol", "consumer"}});
  CHECK(mock.request_count(ApiKey::join_group) == 0);
  const std::int32_t epoch = group.consumer.generation();
  CHECK(epoch == mock.group_generation("g"));
  const std::string member = group.consumer.member_id();
  mock.fail_next(ApiKey::consumer_group_heartbeat, errc::fenced_member_epoch, 1, "g");
  // Nothing was committed: after the rejoin the records come again from
  // auto.offset.reset (earliest).
  const auto again = poll_until(group.consumer, [&](const auto& records, const auto&) {
    return group.log.count("assigned") == 2 && records.size() >= 3;
  });
  CHECK(again == std::vector<Polled>{{0, "a"}, {1, "b"}, {2, "c"}});
  REQUIRE(group.log.count("lost") == 1);
  CHECK(group.log.calls[1].partitions == std::vector<TopicPartition>{t0});
  REQUIRE(group.log.count("assigned") == 2);
  // The rejoin (epoch 0, same member id) got a new member epoch.
  CHECK(group.consumer.member_id() == member);
  CHECK(group.consumer.generation() > epoch);
  CHECK(group.consumer.generation() == mock.group_generation("g"));
  // The new epoch commits.
  CHECK(mock.committed_offsets("g").empty());
  CHECK_FALSE(group.consumer.commit_sync());
  CHECK(mock.committed_offsets("g").at({"t", 0}) == 3);
}

TEST_CASE("two members: the second join splits the partitions, a leave gives them back") {
  ClusterConfig config;
  config.topics = {{"t", 2}};
  MockCluster mock(config);
  mock.append_raw_batch("t", 0, batch_of({"a0"}));
  mock.append_raw_batch("t", 1, batch_of({"a1"}));
  CallbackLog first_log;
  CallbackLog second_log;
  Consumer first(consumer_config(mock, {}), first_log.callbacks());
  first.subscribe({"t"});
  CHECK(poll_until(first, count_reached(2)).size() == 2);
  CHECK(first.assignment().size() == 2);
  REQUIRE_FALSE(first.commit_sync());

  Consumer second(consumer_config(mock, {}), second_log.callbacks());
  second.subscribe({"t"});
  // Both poll until each owns one partition (the first learns of the
  // rebalance from its heartbeat and rejoins the same generation).
  const auto until = std::chrono::steady_clock::now() + 10s;
  while ((first.assignment().size() != 1 || second.assignment().size() != 1) && std::chrono::steady_clock::now() < until) {
    first.poll(20ms);
    second.poll(20ms);
  }
  REQUIRE(first.assignment().size() == 1);
  REQUIRE(second.assignment().size() == 1);
  CHECK(first.assignment() != second.assignment());
  CHECK(first.generation() == second.generation());
  CHECK(first.generation() == mock.group_generation("g"));
  CHECK(first_log.count("revoked") == 1);  // eager: everything, before the rejoin
  CHECK(first_log.count("lost") == 0);
  // A commit for the partition the first member gave away is refused.
  const TopicPartition moved = second.assignment().front();
  CHECK(first.commit_sync({{moved, 1, -1, ""}}) == kwire::consumer_errc::partition_not_assigned);

  second.close();
  const auto until_back = std::chrono::steady_clock::now() + 10s;
  while (first.assignment().size() != 2 && std::chrono::steady_clock::now() < until_back) first.poll(20ms);
  CHECK(first.assignment().size() == 2);
  CHECK(mock.committed_offsets("g") ==
        std::map<std::pair<std::string, std::int32_t>, std::int64_t>{{{"t", 0}, 1}, {{"t", 1}, 1}});
}

TEST_CASE("REBALANCE_IN_PROGRESS on Heartbeat: revoke, rejoin, reassigned") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock);
  mock.fail_next(ApiKey::heartbeat, errc::rebalance_in_progress, 1, "g");
  poll_until(group.consumer, [&](const auto&, const auto&) { return group.log.count("assigned") == 2; });
  REQUIRE(group.log.count("assigned") == 2);
  CHECK(group.log.calls[1].kind == "revoked");
  CHECK(group.log.count("lost") == 0);
  CHECK(group.consumer.generation() == 2);
}

TEST_CASE("COORDINATOR_LOAD_IN_PROGRESS on OffsetCommit is retried after a backoff") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock);
  mock.fail_next(ApiKey::offset_commit, errc::coordinator_load_in_progress, 2);
  CHECK_FALSE(group.consumer.commit_sync());
  CHECK(mock.request_count(ApiKey::offset_commit) == 3);
  CHECK(mock.committed_offsets("g").at({"t", 0}) == 3);
}

TEST_CASE("UNKNOWN_MEMBER_ID on ConsumerGroupHeartbeat (KIP-848): partitions lost, rejoin at epoch 0") {
  MockCluster mock(one_topic());
  ConsumingGroup group(mock, {{"group.protocol", "consumer"}});
  const std::int32_t epoch = group.consumer.generation();
  mock.fail_next(ApiKey::consumer_group_heartbeat, errc::unknown_member_id, 1, "g");
  poll_until(group.consumer, [&](const auto&, const auto&) { return group.log.count("assigned") == 2; });
  REQUIRE(group.log.count("lost") == 1);
  REQUIRE(group.log.count("assigned") == 2);
  CHECK(group.consumer.generation() > epoch);
  CHECK(group.consumer.generation() == mock.group_generation("g"));
}

TEST_CASE("NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS on OffsetFetch: retried, the member starts at the committed offset") {
  MockCluster mock(one_topic());
  mock.append_raw_batch("t", 0, batch_of({"a", "b", "c"}));
  {
    Consumer committer(consumer_config(mock, {}));
    committer.assign({t0});
    REQUIRE_FALSE(committer.commit_sync({{t0, 2, -1, ""}}));  // a simple commit, outside any generation
  }
  const std::size_t fetches = mock.request_count(ApiKey::offset_fetch);
  mock.fail_next(ApiKey::offset_fetch, errc::not_coordinator, 1, "g");
  mock.fail_next(ApiKey::offset_fetch, errc::coordinator_load_in_progress, 1, "g");
  CallbackLog log;
  Consumer consumer(consumer_config(mock, {}), log.callbacks());
  consumer.subscribe({"t"});
  CHECK(poll_until(consumer, count_reached(1)) == std::vector<Polled>{{2, "c"}});
  CHECK(mock.request_count(ApiKey::offset_fetch) >= fetches + 3);
  CHECK(consumer.errors().empty());
}

TEST_CASE("ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID on OffsetCommit: the commit fails (Java's CommitFailedException), the member rejoins") {
  for (const errc error : {errc::illegal_generation, errc::unknown_member_id}) {
    CAPTURE(error);
    MockCluster mock(one_topic());
    ConsumingGroup group(mock);
    mock.fail_next(ApiKey::offset_commit, error);
    CHECK(group.consumer.commit_sync() == error);
    CHECK(mock.committed_offsets("g").empty());
    poll_until(group.consumer, [&](const auto&, const auto&) { return group.log.count("assigned") == 2; });
    REQUIRE(group.log.count("assigned") == 2);
    CHECK(group.log.calls[1].kind == "lost");  // not revoked: no commit for them
    CHECK(group.consumer.generation() == 2);
  }
}
