// The mock's consumer APIs spoken raw (no kwire client in between): the
// answers a consumer depends on, at old and new versions, including what a
// real broker does on its own (MEMBER_ID_REQUIRED, no fetch session).
#include <doctest/doctest.h>

#include <string>

#include "../../unit/consumer/wire_batches.hpp"
#include "kwire/mock/cluster.hpp"
#include "kwire/protocol/consumer_group_heartbeat.hpp"
#include "kwire/protocol/delete_groups.hpp"
#include "kwire/protocol/fetch.hpp"
#include "kwire/protocol/heartbeat.hpp"
#include "kwire/protocol/join_group.hpp"
#include "kwire/protocol/leave_group.hpp"
#include "kwire/protocol/list_offsets.hpp"
#include "kwire/protocol/offset_commit.hpp"
#include "kwire/protocol/offset_fetch.hpp"
#include "kwire/protocol/sync_group.hpp"
#include "raw_client.hpp"

using namespace kwire::mock;
using namespace kwire::mock::test;
using namespace kwire::protocol;
using kwire::errc;

namespace {

ClusterConfig one_topic() {
  ClusterConfig config;
  config.topics = {{"t", 1}};
  return config;
}

ListOffsetsRequest list_offsets(std::int64_t timestamp) {
  ListOffsetsRequest request;
  request.topics.push_back({"t", {{0, -1, timestamp, {}}}, {}});
  return request;
}

JoinGroupRequest join(std::string member_id) {
  JoinGroupRequest request;
  request.group_id = "g";
  request.session_timeout_ms = 10000;
  request.rebalance_timeout_ms = 10000;
  request.member_id = std::move(member_id);
  request.protocol_type = "consumer";
  request.protocols.push_back({"range", {1, 2, 3}, {}});
  return request;
}

}  // namespace

TEST_CASE("ListOffsets answers earliest and latest from the log start and end, at v1 to v11") {
  MockCluster mock(one_topic());
  mock.append_raw_batch("t", 0, make_batch(4));
  mock.set_log_start_offset("t", 0, 2);
  RawClient client(mock.port(mock.leader("t", 0)));
  for (std::int16_t v = 1; v <= 11; ++v) {
    CAPTURE(v);
    auto earliest = client.call<ListOffsetsResponse>(list_offsets(list_offsets_timestamp::earliest), v);
    REQUIRE(earliest);
    CHECK(earliest->topics.at(0).partitions.at(0).error_code == errc::none);
    CHECK(earliest->topics.at(0).partitions.at(0).offset == 2);
    auto latest = client.call<ListOffsetsResponse>(list_offsets(list_offsets_timestamp::latest), v);
    REQUIRE(latest);
    CHECK(latest->topics.at(0).partitions.at(0).offset == 4);
  }
  mock.fail_next(ApiKey::list_offsets, errc::not_leader_or_follower, 1, "t", 0);
  auto failed = client.call<ListOffsetsResponse>(list_offsets(list_offsets_timestamp::latest), 7);
  REQUIRE(failed);
  CHECK(failed->topics.at(0).partitions.at(0).error_code == errc::not_leader_or_follower);
}

TEST_CASE("Fetch: no session is ever created; an incremental request gets FETCH_SESSION_ID_NOT_FOUND") {
  MockCluster mock(one_topic());
  RawClient client(mock.port(mock.leader("t", 0)));
  FetchRequest request;
  request.max_wait_ms = 0;
  request.session_id = 0;
  request.session_epoch = 0;  // "create a session"
  request.topics.push_back({"t", {}, {{0, -1, 0, -1, -1, 1 << 20, {}, {}}}, {}});
  auto full = client.call<FetchResponse>(request, 11);
  REQUIRE(full);
  CHECK(full->error_code == errc::none);
  CHECK(full->session_id == 0);  // as a broker whose session cache is full
  REQUIRE(full->responses.size() == 1);
  CHECK(full->responses[0].partitions.at(0).error_code == errc::none);
  CHECK(full->responses[0].partitions.at(0).high_watermark == 0);
  request.session_id = 42;
  request.session_epoch = 1;
  auto incremental = client.call<FetchResponse>(request, 11);
  REQUIRE(incremental);
  CHECK(incremental->error_code == errc::fetch_session_id_not_found);
  CHECK(incremental->responses.empty());
}

TEST_CASE("JoinGroup: MEMBER_ID_REQUIRED first (KIP-394), then generation 1 with the member as leader") {
  MockCluster mock(one_topic());
  RawClient client(mock.port(mock.coordinator(0, "g")));
  auto first = client.call<JoinGroupResponse>(join(""), 5);
  REQUIRE(first);
  CHECK(first->error_code == errc::member_id_required);
  REQUIRE_FALSE(first->member_id.empty());
  auto second = client.call<JoinGroupResponse>(join(first->member_id), 5);
  REQUIRE(second);
  CHECK(second->error_code == errc::none);
  CHECK(second->generation_id == 1);
  CHECK(second->leader == first->member_id);
  CHECK(second->protocol_name == "range");
  REQUIRE(second->members.size() == 1);
  CHECK(second->members[0].metadata == std::vector<std::uint8_t>{1, 2, 3});
  // Below v4 there is no MEMBER_ID_REQUIRED round.
  auto old = client.call<JoinGroupResponse>(join(""), 3);
  REQUIRE(old);
  CHECK(old->error_code == errc::none);
  CHECK(old->generation_id == 2);

  SyncGroupRequest sync;
  sync.group_id = "g";
  sync.generation_id = 2;
  sync.member_id = old->member_id;
  sync.assignments = {{old->member_id, {9}, {}}, {first->member_id, {8}, {}}};
  auto synced = client.call<SyncGroupResponse>(sync, 3);
  REQUIRE(synced);
  CHECK(synced->error_code == errc::none);
  CHECK(synced->assignment == std::vector<std::uint8_t>{9});

  // The first member learns of generation 2 from its heartbeat and joins it
  // without starting a third; its assignment is the leader's choice.
  HeartbeatRequest beat;
  beat.group_id = "g";
  beat.generation_id = 1;
  beat.member_id = first->member_id;
  auto heartbeat = client.call<HeartbeatResponse>(beat, 3);
  REQUIRE(heartbeat);
  CHECK(heartbeat->error_code == errc::rebalance_in_progress);
  auto rejoined = client.call<JoinGroupResponse>(join(first->member_id), 5);
  REQUIRE(rejoined);
  CHECK(rejoined->generation_id == 2);
  CHECK(rejoined->members.empty());  // a follower
  sync.member_id = first->member_id;
  sync.assignments.clear();
  auto follower = client.call<SyncGroupResponse>(sync, 3);
  REQUIRE(follower);
  CHECK(follower->assignment == std::vector<std::uint8_t>{8});
  beat.generation_id = 2;
  CHECK(client.call<HeartbeatResponse>(beat, 3)->error_code == errc::none);
  beat.generation_id = 7;
  CHECK(client.call<HeartbeatResponse>(beat, 3)->error_code == errc::illegal_generation);
}

TEST_CASE("Group APIs off the coordinator answer NOT_COORDINATOR; OffsetFetch of null topics lists every commit") {
  ClusterConfig config = one_topic();
  config.brokers = 2;
  MockCluster mock(config);
  const std::int32_t coordinator = mock.coordinator(0, "g");
  RawClient other(mock.port(coordinator == 1 ? 2 : 1));
  auto refused = other.call<JoinGroupResponse>(join(""), 5);
  REQUIRE(refused);
  CHECK(refused->error_code == errc::not_coordinator);

  RawClient client(mock.port(coordinator));
  OffsetCommitRequest commit;  // a simple commit: no generation, no member
  commit.group_id = "g";
  commit.topics.push_back({"t", {}, {{0, 5, 3, -1, "meta", {}}}, {}});
  auto committed = client.call<OffsetCommitResponse>(commit, 8);
  REQUIRE(committed);
  CHECK(committed->topics.at(0).partitions.at(0).error_code == errc::none);
  commit.generation_id_or_member_epoch = 4;
  commit.member_id = "nobody";
  auto fenced = client.call<OffsetCommitResponse>(commit, 8);
  REQUIRE(fenced);
  CHECK(fenced->topics.at(0).partitions.at(0).error_code == errc::unknown_member_id);

  OffsetFetchRequest fetch;
  fetch.groups.push_back({"g", std::nullopt, -1, std::nullopt, {}});
  auto offsets = client.call<OffsetFetchResponse>(fetch, 8);
  REQUIRE(offsets);
  REQUIRE(offsets->groups.size() == 1);
  REQUIRE(offsets->groups[0].topics.size() == 1);
  CHECK(offsets->groups[0].topics[0].partitions.at(0).committed_offset == 5);
  CHECK(offsets->groups[0].topics[0].partitions.at(0).committed_leader_epoch == 3);
  OffsetFetchRequest old;
  old.group_id = "g";
  old.topics = std::vector<OffsetFetchRequest::Topic>{{"t", {}, {0, 1}, {}}};
  auto single = client.call<OffsetFetchResponse>(old, 3);
  REQUIRE(single);
  REQUIRE(single->topics.size() == 1);
  CHECK(single->topics[0].partitions.at(0).committed_offset == 5);
  CHECK(single->topics[0].partitions.at(1).committed_offset == -1);
}

TEST_CASE("DeleteGroups: NON_EMPTY_GROUP while a member is in; after LeaveGroup the group and its offsets go") {
  MockCluster mock(one_topic());
  RawClient client(mock.port(mock.coordinator(0, "g")));
  auto joined = client.call<JoinGroupResponse>(join(""), 3);
  REQUIRE(joined);
  REQUIRE(joined->error_code == errc::none);
  OffsetCommitRequest commit;
  commit.group_id = "g";
  commit.topics.push_back({"t", {}, {{0, 1, -1, -1, "", {}}}, {}});
  REQUIRE(client.call<OffsetCommitResponse>(commit, 8));
  REQUIRE(mock.committed_offsets("g").size() == 1);

  DeleteGroupsRequest del;
  del.groups_names = {"g"};
  auto refused = client.call<DeleteGroupsResponse>(del, 2);
  REQUIRE(refused);
  CHECK(refused->results.at(0).error_code == errc::non_empty_group);
  LeaveGroupRequest leave;
  leave.group_id = "g";
  leave.members.push_back({joined->member_id, std::nullopt, std::nullopt, {}});
  auto left = client.call<LeaveGroupResponse>(leave, 4);
  REQUIRE(left);
  CHECK(left->members.at(0).error_code == errc::none);
  auto deleted = client.call<DeleteGroupsResponse>(del, 2);
  REQUIRE(deleted);
  CHECK(deleted->results.at(0).error_code == errc::none);
  CHECK(mock.committed_offsets("g").empty());
  CHECK(mock.group_generation("g") == 0);
}

TEST_CASE("Fetch under read_committed: the last stable offset and the aborted transactions of the range") {
  MockCluster mock(one_topic());
  mock.append_raw_batch("t", 0, kwire::test::wire_batch({{std::nullopt, "x", {}}, {std::nullopt, "y", {}}},
                                                        {.producer_id = 7, .transactional = true}));
  mock.append_raw_batch("t", 0, kwire::test::wire_marker(0, 7, 0));  // ABORT at 2
  mock.append_raw_batch("t", 0, kwire::test::wire_batch({{std::nullopt, "open", {}}},
                                                        {.producer_id = 8, .transactional = true}));  // at 3
  RawClient client(mock.port(mock.leader("t", 0)));
  FetchRequest request;
  request.isolation_level = IsolationLevel::read_committed;
  request.topics.push_back({"t", {}, {{0, -1, 0, -1, -1, 1 << 20, {}, {}}}, {}});
  auto response = client.call<FetchResponse>(request, 11);  // records not looked at: they point into a freed frame
  REQUIRE(response);
  const auto& p = response->responses.at(0).partitions.at(0);
  CHECK(p.error_code == errc::none);
  CHECK(p.high_watermark == 4);
  CHECK(p.last_stable_offset == 3);  // producer 8's transaction is open
  REQUIRE(p.aborted_transactions);
  REQUIRE(p.aborted_transactions->size() == 1);
  CHECK(p.aborted_transactions->at(0).producer_id == 7);
  CHECK(p.aborted_transactions->at(0).first_offset == 0);
  // read_uncommitted: no list, and an offset past the end is out of range.
  request.isolation_level = IsolationLevel::read_uncommitted;
  request.topics[0].partitions[0].fetch_offset = 5;
  auto beyond = client.call<FetchResponse>(request, 11);
  REQUIRE(beyond);
  CHECK(beyond->responses.at(0).partitions.at(0).error_code == errc::offset_out_of_range);
  request.topics[0].partitions[0].fetch_offset = 4;
  auto at_end = client.call<FetchResponse>(request, 11);
  REQUIRE(at_end);
  CHECK(at_end->responses.at(0).partitions.at(0).error_code == errc::none);
  CHECK_FALSE(at_end->responses.at(0).partitions.at(0).aborted_transactions);
}

TEST_CASE("ConsumerGroupHeartbeat: join at epoch 0, all partitions to the first member, fencing, leave") {
  MockCluster mock(one_topic());
  RawClient client(mock.port(mock.coordinator(0, "g")));
  ConsumerGroupHeartbeatRequest join_request;
  join_request.group_id = "g";
  join_request.member_epoch = 0;
  join_request.rebalance_timeout_ms = 10000;
  join_request.subscribed_topic_names = std::vector<std::string>{"t"};
  join_request.topic_partitions = std::vector<ConsumerGroupTopicPartitions>{};
  auto joined = client.call<ConsumerGroupHeartbeatResponse>(join_request, 0);
  REQUIRE(joined);
  CHECK(joined->error_code == errc::none);
  REQUIRE(joined->member_id);  // v0: the broker names the member
  CHECK(joined->member_epoch == 1);
  REQUIRE(joined->assignment);
  REQUIRE(joined->assignment->topic_partitions.size() == 1);
  CHECK(joined->assignment->topic_partitions[0].partitions == std::vector<std::int32_t>{0});

  ConsumerGroupHeartbeatRequest beat;
  beat.group_id = "g";
  beat.member_id = *joined->member_id;
  beat.member_epoch = 1;
  auto steady = client.call<ConsumerGroupHeartbeatResponse>(beat, 0);
  REQUIRE(steady);
  CHECK(steady->error_code == errc::none);
  CHECK_FALSE(steady->assignment);  // unchanged
  beat.member_epoch = 5;
  auto fenced = client.call<ConsumerGroupHeartbeatResponse>(beat, 0);
  REQUIRE(fenced);
  CHECK(fenced->error_code == errc::fenced_member_epoch);
  // A second member (v1: its own id) gets nothing while the first holds all.
  join_request.member_id = "second";
  auto second = client.call<ConsumerGroupHeartbeatResponse>(join_request, 1);
  REQUIRE(second);
  CHECK(second->member_id == "second");
  CHECK(second->assignment->topic_partitions.empty());
  beat.member_epoch = -1;  // leave
  auto left = client.call<ConsumerGroupHeartbeatResponse>(beat, 0);
  REQUIRE(left);
  CHECK(left->error_code == errc::none);
  CHECK(left->member_epoch == -1);
}
