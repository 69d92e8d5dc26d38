// admin::translate for groups: both describe protocols, committed offsets
// in the v0-7 and v8+ shapes, lag, and the offset reset plan (clamping,
// shift, timestamps, unknown offsets) with its commit.
#include <doctest/doctest.h>

#include "kwire/admin/translate.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/consumer_protocol.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::admin;
using kwire::errc;
namespace protocol = kwire::protocol;

namespace {

std::vector<std::uint8_t> assignment_bytes(std::vector<protocol::ConsumerProtocolTopicPartitions> partitions) {
  protocol::ConsumerProtocolAssignment assignment;
  assignment.assigned_partitions = std::move(partitions);
  std::vector<std::uint8_t> bytes;
  REQUIRE(!protocol::encode_consumer_protocol(assignment, 3, bytes));
  return bytes;
}

PartitionMap<translate::OffsetAnswer> answers(std::initializer_list<std::pair<TopicPartition, std::int64_t>> list) {
  PartitionMap<translate::OffsetAnswer> out;
  for (const auto& [tp, offset] : list) out[tp] = {offset, {}};
  return out;
}

}  // namespace

TEST_CASE("group_listings sorted, with state and type") {
  protocol::ListGroupsResponse response;
  response.groups.push_back({"z", "consumer", "Stable", "classic", {}});
  response.groups.push_back({"a", "", "Empty", "consumer", {}});
  const auto groups = translate::group_listings(response);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].group_id == "a");
  CHECK(groups[0].type == "consumer");
  CHECK(groups[1].state == "Stable");
}

TEST_CASE("classic group description decodes consumer assignments, not other protocols'") {
  protocol::DescribeGroupsResponse response;
  auto& g = response.groups.emplace_back();
  g.group_id = "g";
  g.group_state = "Stable";
  g.protocol_type = "consumer";
  g.protocol_data = "range";
  auto& m = g.members.emplace_back();
  m.member_id = "m1";
  m.client_id = "c1";
  m.client_host = "/127.0.0.1";
  m.member_assignment = assignment_bytes({{"t", {2, 0}}, {"a", {1}}});
  auto& garbage = g.members.emplace_back();
  garbage.member_id = "m2";
  garbage.member_assignment = {0xff};  // undecodable: no assignment, no crash
  auto& connect = response.groups.emplace_back();
  connect.group_id = "connect-cluster";
  connect.protocol_type = "connect";
  connect.members.emplace_back().member_assignment = assignment_bytes({{"t", {0}}});
  auto& dead = response.groups.emplace_back();
  dead.group_id = "gone";
  dead.error_code = errc::group_id_not_found;
  dead.error_message = "Group gone not found.";

  const auto groups = translate::group_descriptions(response);
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].assignor == "range");
  CHECK(!groups[0].consumer_protocol);
  REQUIRE(groups[0].members.size() == 2);
  CHECK(groups[0].members[0].assignment ==
        std::vector<TopicPartition>{{"a", 1}, {"t", 0}, {"t", 2}});
  CHECK(groups[0].members[0].client_host == "/127.0.0.1");
  CHECK(groups[0].members[1].assignment.empty());
  CHECK(groups[1].members.at(0).assignment.empty());  // Connect's format is not the consumer's
  CHECK(groups[2].error.error == errc::group_id_not_found);
  CHECK(groups[2].error.detail == "Group gone not found.");
}

TEST_CASE("KIP-848 group description from ConsumerGroupDescribe") {
  protocol::ConsumerGroupDescribeResponse response;
  auto& g = response.groups.emplace_back();
  g.group_id = "g";
  g.group_state = "Reconciling";
  g.group_epoch = 7;
  g.assignor_name = "uniform";
  auto& m = g.members.emplace_back();
  m.member_id = "m";
  m.instance_id = "i";
  m.assignment.topic_partitions.push_back({{}, "t", {1, 0}, {}});
  const auto groups = translate::group_descriptions(response);
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].consumer_protocol);
  CHECK(groups[0].protocol_type == "consumer");
  CHECK(groups[0].group_epoch == 7);
  CHECK(groups[0].assignor == "uniform");
  CHECK(groups[0].members.at(0).instance_id == std::optional<std::string>("i"));
  CHECK(groups[0].members[0].assignment == std::vector<TopicPartition>{{"t", 0}, {"t", 1}});
}

TEST_CASE("delete_groups_results per group; a group left out is an error") {
  protocol::DeleteGroupsResponse response;
  response.results.push_back({"a", errc::non_empty_group, std::nullopt, {}});
  const auto results = translate::delete_groups_results(response, {"a", "b"});
  CHECK(results[0].error == errc::non_empty_group);
  CHECK(results[1].error == kwire::client_errc::malformed);
}

TEST_CASE("offset_fetch_request: the group array from v8, top-level fields before; all partitions") {
  const auto v8 = translate::offset_fetch_request("g", 8);
  REQUIRE(v8.groups.size() == 1);
  CHECK(v8.groups[0].group_id == "g");
  CHECK(!v8.groups[0].topics);
  CHECK(v8.group_id.empty());
  const auto v7 = translate::offset_fetch_request("g", 7);
  CHECK(v7.groups.empty());
  CHECK(v7.group_id == "g");
  CHECK(!v7.topics);
  // Both encode at their versions (the codec refuses fields a version lacks).
  std::vector<std::uint8_t> bytes;
  CHECK(!protocol::encode_message(v8, 8, bytes));
  CHECK(!protocol::encode_message(v7, 7, bytes));
}

TEST_CASE("committed_offsets: v8+ groups and v0-7 shapes, -1 and partition errors skipped") {
  protocol::OffsetFetchResponse v8;
  auto& g = v8.groups.emplace_back();
  g.group_id = "g";
  auto& t = g.topics.emplace_back();
  t.name = "t";
  t.partitions.push_back({0, 42, -1, "", errc::none, {}});
  t.partitions.push_back({1, -1, -1, "", errc::none, {}});
  t.partitions.push_back({2, 5, -1, "", errc::unstable_offset_commit, {}});
  ItemError error;
  const auto committed = translate::committed_offsets(v8, "g", error);
  CHECK(error.ok());
  REQUIRE(committed.size() == 1);
  CHECK(committed.at({"t", 0}) == 42);

  protocol::OffsetFetchResponse v5;
  v5.error_code = errc::not_coordinator;
  translate::committed_offsets(v5, "g", error);
  CHECK(error.error == errc::not_coordinator);
}

TEST_CASE("list_offsets_request groups partitions by topic") {
  const auto request = translate::list_offsets_request({{"a", 0}, {"b", 1}, {"a", 2}}, -2);
  REQUIRE(request.topics.size() == 2);
  CHECK(request.topics[0].partitions.size() == 2);
  CHECK(request.topics[0].partitions[1].partition_index == 2);
  CHECK(request.topics[0].partitions[1].timestamp == -2);
  protocol::ListOffsetsResponse response;
  response.topics.push_back({"a", {{0, errc::none, -1, 17, 0, {}}, {2, errc::not_leader_or_follower, -1, -1, -1, {}}}, {}});
  const auto got = translate::offsets(response);
  CHECK(got.at({"a", 0}).offset == 17);
  CHECK(got.at({"a", 2}).error.error == errc::not_leader_or_follower);
}

TEST_CASE("group_lag: committed and assigned partitions, lag never negative, members attached") {
  PartitionMap<std::int64_t> committed{{{"t", 0}, 10}, {{"t", 1}, 50}};
  GroupDescription group;
  GroupMember& member = group.members.emplace_back();
  member.member_id = "m";
  member.client_id = "c";
  member.client_host = "/h";
  member.assignment = {{"t", 0}, {"t", 2}};
  auto ends = answers({{{"t", 0}, 15}, {{"t", 1}, 40}, {{"t", 2}, 3}});
  const auto rows = translate::group_lag(committed, ends, group);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].lag == std::optional<std::int64_t>(5));
  CHECK(rows[0].member_id == "m");
  CHECK(rows[0].client_id == "c");
  CHECK(rows[1].lag == std::optional<std::int64_t>(0));  // committed past the end (truncated log)
  CHECK(rows[1].member_id.empty());
  CHECK(rows[2].committed == -1);
  CHECK(!rows[2].lag);  // nothing committed: no lag to show
  CHECK(rows[2].end_offset == 3);

  ends.erase({"t", 2});
  const auto missing = translate::group_lag(committed, ends, group);
  CHECK(!missing[2].error.ok());
}

TEST_CASE("reset_plan: each kind, clamped to [earliest, latest]") {
  using Kind = ResetSpec::Kind;
  const std::vector<TopicPartition> parts = {{"t", 1}, {"t", 0}, {"t", 0}};
  const PartitionMap<std::int64_t> committed{{{"t", 0}, 50}};
  const auto low = answers({{{"t", 0}, 10}, {{"t", 1}, 0}});
  const auto high = answers({{{"t", 0}, 100}, {{"t", 1}, 7}});

  auto plan = translate::reset_plan(parts, {Kind::to_earliest, 0}, committed, low, high, {});
  REQUIRE(plan.size() == 2);  // sorted, duplicates gone
  CHECK(plan[0].partition == TopicPartition{"t", 0});
  CHECK(plan[0].current == 50);
  CHECK(plan[0].target == 10);
  CHECK(plan[1].current == -1);
  CHECK(plan[1].target == 0);

  plan = translate::reset_plan(parts, {Kind::to_latest, 0}, committed, low, high, {});
  CHECK(plan[0].target == 100);
  CHECK(plan[1].target == 7);

  plan = translate::reset_plan(parts, {Kind::shift_by, -45}, committed, low, high, {});
  CHECK(plan[0].target == 10);  // 50 - 45 = 5, clamped up to the log start
  CHECK(plan[1].target == 0);   // no commit: from the end, 7 - 45, clamped
  plan = translate::reset_plan(parts, {Kind::shift_by, 20}, committed, low, high, {});
  CHECK(plan[0].target == 70);

  plan = translate::reset_plan(parts, {Kind::to_offset, 1000}, committed, low, high, {});
  CHECK(plan[0].target == 100);  // past the end: the end
  CHECK(plan[1].target == 7);

  // By time: the first offset at or after it; none (-1) → the end.
  const auto at = answers({{{"t", 0}, 60}, {{"t", 1}, -1}});
  plan = translate::reset_plan(parts, {Kind::to_timestamp, 1700000000000}, committed, low, high, at);
  CHECK(plan[0].target == 60);
  CHECK(plan[1].target == 7);
}

TEST_CASE("reset_plan: unknown offsets give that partition an error, others go on") {
  const PartitionMap<std::int64_t> committed;
  auto low = answers({{{"t", 0}, 0}});
  low[{"t", 1}] = {-1, {make_error_code(errc::not_leader_or_follower), ""}};
  const auto high = answers({{{"t", 0}, 5}, {{"t", 1}, 5}});
  const auto plan = translate::reset_plan({{"t", 0}, {"t", 1}, {"t", 2}}, {ResetSpec::Kind::to_latest, 0}, committed,
                                          low, high, {});
  CHECK(plan[0].error.ok());
  CHECK(plan[0].target == 5);
  CHECK(plan[1].error.error == errc::not_leader_or_follower);
  CHECK(plan[2].error.error == kwire::client_errc::malformed);

  // The commit leaves failed entries out and copies the broker's answers in.
  auto commit_plan = plan;
  const auto request = translate::offset_commit_request("g", commit_plan);
  CHECK(request.group_id == "g");
  CHECK(request.generation_id_or_member_epoch == -1);
  REQUIRE(request.topics.size() == 1);
  REQUIRE(request.topics[0].partitions.size() == 1);
  CHECK(request.topics[0].partitions[0].committed_offset == 5);

  protocol::OffsetCommitResponse response;
  response.topics.push_back({"t", {}, {{0, errc::unknown_member_id, {}}}, {}});
  translate::apply_commit_results(response, commit_plan);
  CHECK(commit_plan[0].error.error == errc::unknown_member_id);
  CHECK(commit_plan[1].error.error == errc::not_leader_or_follower);  // untouched
}
