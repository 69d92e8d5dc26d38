// ConsumerCore, sans-I/O: a scripted cluster answers its requests; an
// injected clock drives heartbeats and auto-commits. Covers assign() with
// auto.offset.reset, the classic group cycle (join as leader, sync,
// committed offsets, fetch, commit, auto-commit, leave on close), and
// commits never made for partitions the member does not own.
#include <doctest/doctest.h>

#include <chrono>
#include <variant>

#include "kwire/consumer/consumer_core.hpp"
#include "kwire/consumer/consumer_error.hpp"
#include "kwire/protocol/consumer_protocol.hpp"
#include "core_requests.hpp"
#include "sole_leader.hpp"
#include "wire_batches.hpp"

using namespace kwire::consumer;
using namespace std::chrono_literals;
using kwire::errc;
namespace protocol = kwire::protocol;
using kwire::test::of_type;
using kwire::test::only;
using kwire::test::wire_batch;
using kwire::test::WireRecord;

namespace {

using TimePoint = ConsumerCore::TimePoint;

ConsumerConfig make_config(std::string group_id, bool auto_commit = false) {
  ConsumerConfig c;
  c.bootstrap_servers = {"localhost:9092"};
  c.group_id = std::move(group_id);
  c.enable_auto_commit = auto_commit;
  c.auto_commit_interval_ms = 1000;
  c.auto_offset_reset = OffsetResetPolicy::earliest;
  c.partition_assignment_strategy = {"range"};
  c.validate();
  return c;
}

/// Topic "a" with two partitions, both led by node 1, id zero (Fetch v12).
struct Cluster {
  ClusterView view{
      .leader = [](const TopicPartition&) -> std::optional<PartitionLeader> {
        return PartitionLeader{.node_id = 1, .leader_epoch = 0, .topic_id = {}};
      },
      .fetch_version = [](std::int32_t) -> std::int16_t { return 12; },
      .partition_count = [](const std::string& t) -> std::optional<std::int32_t> {
        return t == "a" ? 2 : 0;
      },
      .topic_name = [](const protocol::Uuid& id) -> std::optional<std::string> {
        if (id.bytes[0] == 0xaa) return "a";
        return std::nullopt;
      },
      .cluster_topics = {}};
};

protocol::FetchResponse fetch_answer(const std::vector<std::uint8_t>& records, std::int32_t partition) {
  protocol::FetchResponse r;
  protocol::FetchResponse::Topic t;
  t.topic = "a";
  protocol::FetchResponse::Partition p;
  p.partition_index = partition;
  p.high_watermark = 100;
  p.records = std::span<const std::uint8_t>(records);
  t.partitions.push_back(p);
  r.responses.push_back(t);
  return r;
}

std::vector<WireRecord> values(int from, int count) {
  std::vector<WireRecord> out;
  for (int i = 0; i < count; ++i) out.push_back({.key = std::nullopt, .value = std::to_string(from + i), .headers = {}});
  return out;
}

/// Answers every OffsetForLeaderEpoch in `out` (KIP-320 checks of committed
/// positions): the leader's log of each epoch reaches offset 1000, so every
/// position is good. Returns how many partitions were checked.
std::size_t confirm_positions(ConsumerCore& core, const std::vector<OutgoingRequest>& out, TimePoint now) {
  std::size_t checked = 0;
  for (auto& [id, request] : of_type<protocol::OffsetForLeaderEpochRequest>(out)) {
    protocol::OffsetForLeaderEpochResponse answer;
    for (const auto& t : request.topics) {
      answer.topics.push_back({.topic = t.topic, .partitions = {}, .unknown_tags = {}});
      for (const auto& p : t.partitions) {
        answer.topics.back().partitions.push_back({.error_code = errc::none, .partition = p.partition,
                                                   .leader_epoch = p.leader_epoch, .end_offset = 1000,
                                                   .unknown_tags = {}});
        ++checked;
      }
    }
    core.on_response(id, std::move(answer), now);
  }
  return checked;
}

/// Joins `core` (subscribed to "a") as the group's only member and leader,
/// through SyncGroup; returns with the assigned event taken.
void join_alone(ConsumerCore& core, Cluster& cluster, TimePoint now) {
  core.begin_poll(now);
  auto out = core.run_once(now, cluster.view);
  auto [join_id, join] = only<protocol::JoinGroupRequest>(out);
  CHECK(out.front().route.kind == CoreRoute::Kind::group_coordinator);
  CHECK(join.group_id == "g");
  core.on_response(join_id, kwire::test::sole_leader_join({"a"}), now);
  auto [sync_id, sync] = only<protocol::SyncGroupRequest>(core.run_once(now, cluster.view));
  protocol::SyncGroupResponse synced;
  synced.protocol_name = "range";
  synced.assignment = sync.assignments.at(0).assignment;
  core.on_response(sync_id, std::move(synced), now);
  auto event = core.next_event();
  REQUIRE(event.has_value());
  CHECK(event->kind == RebalanceEvent::Kind::assigned);
  CHECK(event->partitions == std::vector<TopicPartition>{{"a", 0}, {"a", 1}});
  core.events_handled();
}

}  // namespace

TEST_CASE("ConsumerCore: assign() without a group resets by auto.offset.reset, fetches and hands out records") {
  const ConsumerConfig config = make_config("");
  TimePoint now = TimePoint{} + 10h;
  ConsumerCore core(config, now);
  Cluster cluster;
  core.assign({{"a", 0}});
  CHECK(core.metadata_topics() == std::set<std::string>{"a"});
  auto out = core.run_once(now, cluster.view);
  auto [list_id, list] = only<protocol::ListOffsetsRequest>(out);
  CHECK(list.topics[0].partitions[0].timestamp == -2);  // earliest
  CHECK(of_type<protocol::OffsetFetchRequest>(out).empty());  // no group: nothing committed to ask for

  protocol::ListOffsetsResponse answer;
  answer.topics.push_back({.name = "a", .partitions = {{.partition_index = 0, .error_code = errc::none, .timestamp = -1,
                                                        .offset = 10, .leader_epoch = 0, .unknown_tags = {}}},
                           .unknown_tags = {}});
  core.on_response(list_id, std::move(answer), now);
  out = core.run_once(now, cluster.view);
  auto [fetch_id, fetch] = only<protocol::FetchRequest>(out);
  CHECK(out.front().route.kind == CoreRoute::Kind::node);
  CHECK(out.front().route.node_id == 1);
  CHECK(out.front().max_version == 12);
  CHECK(fetch.topics[0].partitions[0].fetch_offset == 10);

  const auto records = wire_batch(values(10, 3), {.base_offset = 10});
  core.on_response(fetch_id, fetch_answer(records, 0), nullptr, now);
  std::vector<ConsumerRecord> got;
  CHECK(core.collect(got) == 3);
  CHECK(got[2].offset == 12);
  CHECK(core.position({"a", 0})->offset == 13);

  // Without group.id commits fail with a clear error.
  const auto id = core.commit();
  auto results = core.take_commit_results();
  REQUIRE(results.size() == 1);
  CHECK(results[0].id == id);
  CHECK(results[0].error == make_error_code(kwire::consumer_errc::no_group_id));
}

TEST_CASE("ConsumerCore: the classic group cycle: join, sync, committed offsets, fetch, commit, leave") {
  const ConsumerConfig config = make_config("g", /*auto_commit=*/true);
  TimePoint now = TimePoint{} + 10h;
  ConsumerCore core(config, now);
  Cluster cluster;
  core.subscribe({"a"});
  join_alone(core, cluster, now);
  CHECK(core.generation() == 1);
  CHECK(core.member_id() == "m1");
  // What a transactional producer sends with its offsets (KIP-447).
  const ConsumerGroupMetadata metadata = core.group_metadata();
  CHECK(metadata.group_id == "g");
  CHECK(metadata.generation_id == 1);
  CHECK(metadata.member_id == "m1");
  CHECK_FALSE(metadata.group_instance_id.has_value());

  // The assignment starts from the committed offsets (RequireStable, KIP-447).
  auto out = core.run_once(now, cluster.view);
  auto [offsets_id, offsets] = only<protocol::OffsetFetchRequest>(out);
  CHECK(offsets.require_stable);
  CHECK(out.back().max_version == 7);
  protocol::OffsetFetchResponse committed;
  committed.topics.push_back({.name = "a", .topic_id = {},
                              .partitions = {{.partition_index = 0, .committed_offset = 5, .committed_leader_epoch = 0,
                                              .metadata = "", .error_code = errc::none, .unknown_tags = {}},
                                             {.partition_index = 1, .committed_offset = -1,
                                              .committed_leader_epoch = -1, .metadata = "", .error_code = errc::none,
                                              .unknown_tags = {}}},
                              .unknown_tags = {}});
  core.on_response(offsets_id, std::move(committed), now);
  CHECK(core.position({"a", 0})->offset == 5);
  CHECK_FALSE(core.position({"a", 1}).has_value());  // nothing committed: reset (earliest)

  // a/0's committed offset carries a leader epoch: checked before the first
  // fetch (KIP-320); a/1 is reset meanwhile.
  out = core.run_once(now, cluster.view);
  CHECK(of_type<protocol::FetchRequest>(out).empty());
  auto [reset_id, reset] = only<protocol::ListOffsetsRequest>(out);
  CHECK(reset.topics[0].partitions[0].partition_index == 1);
  CHECK(confirm_positions(core, out, now) == 1);
  out = core.run_once(now, cluster.view);
  auto [fetch_id, fetch] = only<protocol::FetchRequest>(out);
  CHECK(fetch.topics[0].partitions[0].fetch_offset == 5);

  const auto records = wire_batch(values(5, 2), {.base_offset = 5, .leader_epoch = 3});
  core.on_response(fetch_id, fetch_answer(records, 0), nullptr, now);
  core.on_failure(reset_id, make_error_code(kwire::client_errc::timed_out), now);
  std::vector<ConsumerRecord> got;
  CHECK(core.collect(got) == 2);

  // Explicit commit of the positions (after the last record handed out).
  const auto commit_id = core.commit();
  out = core.run_once(now, cluster.view);
  auto [commit_req_id, commit] = only<protocol::OffsetCommitRequest>(out);
  CHECK(commit.generation_id_or_member_epoch == 1);
  CHECK(commit.member_id == "m1");
  REQUIRE(commit.topics.size() == 1);
  REQUIRE(commit.topics[0].partitions.size() == 1);  // a/1 has no position yet
  CHECK(commit.topics[0].partitions[0].committed_offset == 7);
  CHECK(commit.topics[0].partitions[0].committed_leader_epoch == 3);
  protocol::OffsetCommitResponse ok;
  ok.topics.emplace_back().name = "a";
  ok.topics[0].partitions.push_back({.partition_index = 0, .error_code = errc::none, .unknown_tags = {}});
  core.on_response(commit_req_id, std::move(ok), now);
  auto results = core.take_commit_results();
  REQUIRE(results.size() == 1);
  CHECK(results[0].id == commit_id);
  CHECK_FALSE(results[0].error);

  // Auto-commit: nothing moved since, so nothing is sent at the interval.
  now += 1500ms;
  core.begin_poll(now);
  CHECK(of_type<protocol::OffsetCommitRequest>(core.run_once(now, cluster.view)).empty());

  // close(): LeaveGroup, revoked event; done once the answer arrives.
  core.close(now);
  out = core.run_once(now, cluster.view);
  auto [leave_id, leave] = only<protocol::LeaveGroupRequest>(out);
  CHECK(leave.members.at(0).member_id == "m1");
  CHECK(of_type<protocol::FetchRequest>(out).empty());
  auto revoked = core.next_event();
  REQUIRE(revoked.has_value());
  CHECK(revoked->kind == RebalanceEvent::Kind::revoked);
  core.events_handled();
  CHECK_FALSE(core.closed());
  core.on_response(leave_id, protocol::LeaveGroupResponse{}, now);
  CHECK(core.closed());
}

TEST_CASE("ConsumerCore: group_metadata() before the first join and with static membership (KIP-345)") {
  ConsumerConfig config = make_config("billing");
  config.group_instance_id = "copier-1";
  config.validate();
  TimePoint now = TimePoint{} + 10h;
  ConsumerCore core(config, now);
  core.subscribe({"a"});
  const ConsumerGroupMetadata metadata = core.group_metadata();
  CHECK(metadata.group_id == "billing");
  CHECK(metadata.generation_id == -1);
  CHECK(metadata.member_id.empty());
  CHECK(metadata.group_instance_id == std::optional<std::string>("copier-1"));
}

TEST_CASE("ConsumerCore: auto-commit sends moved positions at auto.commit.interval.ms") {
  const ConsumerConfig config = make_config("g", /*auto_commit=*/true);
  TimePoint now = TimePoint{} + 10h;
  ConsumerCore core(config, now);
  Cluster cluster;
  core.assign({{"a", 0}});
  (void)core.seek({"a", 0}, {.offset = 0, .leader_epoch = -1});
  auto out = core.run_once(now, cluster.view);
  auto [fetch_id, fetch] = only<protocol::FetchRequest>(out);
  const auto records = wire_batch(values(0, 4));
  core.on_response(fetch_id, fetch_answer(records, 0), nullptr, now);
  std::vector<ConsumerRecord> got;
  core.collect(got);
  core.begin_poll(now + 500ms);  // before the interval
  CHECK(of_type<protocol::OffsetCommitRequest>(core.run_once(now + 500ms, cluster.view)).empty());
  core.begin_poll(now + 1000ms);
  auto [id, commit] = only<protocol::OffsetCommitRequest>(core.run_once(now + 1000ms, cluster.view));
  CHECK(commit.group_id == "g");
  CHECK(commit.generation_id_or_member_epoch == -1);  // assign(): outside any generation
  CHECK(commit.topics[0].partitions[0].committed_offset == 4);
}

TEST_CASE("ConsumerCore: keeps its own copy of the configuration (a temporary one does not dangle)") {
  const TimePoint now = TimePoint{} + 10h;
  // The config is a temporary, gone once the constructor returns; the core
  // reads group.id and the assignor list from it later (ASan: use after scope).
  ConsumerCore core(make_config("g"), now);
  Cluster cluster;
  core.subscribe({"a"});
  core.begin_poll(now);
  auto [join_id, join] = only<protocol::JoinGroupRequest>(core.run_once(now, cluster.view));
  CHECK(join.group_id == "g");
  REQUIRE(join.protocols.size() == 1);
  CHECK(join.protocols[0].name == "range");
}

TEST_CASE("ConsumerCore: seek() and assign() drop the errors queued for the partitions they name") {
  ConsumerConfig config = make_config("");
  config.auto_offset_reset = OffsetResetPolicy::none;
  const TimePoint now = TimePoint{} + 10h;
  ConsumerCore core(config, now);
  Cluster cluster;
  const TopicPartition a0{"a", 0};
  const TopicPartition a1{"a", 1};
  core.assign({a0, a1});
  // No group, nothing committed, auto.offset.reset=none: "no offset" for both, not yet taken.
  (void)core.run_once(now, cluster.view);
  std::vector<TopicPartition> still_failing{a1};
  SUBCASE("seek") { REQUIRE_FALSE(core.seek(a0, {.offset = 5, .leader_epoch = -1})); }
  SUBCASE("seek_to_beginning") { REQUIRE_FALSE(core.seek_to_beginning({a0})); }
  SUBCASE("seek_to_end") { REQUIRE_FALSE(core.seek_to_end({a0})); }
  SUBCASE("assign() of both") {
    core.assign({a0, a1});
    still_failing.clear();
  }
  // What was queued for a partition before it was placed anew is gone; the others' is not.
  std::vector<TopicPartition> failing;
  for (const auto& e : core.take_errors()) {
    failing.push_back(e.partition);
    CHECK(e.error == kwire::make_error_code(kwire::consumer_errc::no_offset_for_partition));
  }
  CHECK(failing == still_failing);
}

TEST_CASE("ConsumerCore: subscribe() needs group.id; subscribe() and assign() exclude each other") {
  const ConsumerConfig none = make_config("");
  ConsumerCore core(none, TimePoint{});
  CHECK_THROWS_AS(core.subscribe({"a"}), std::invalid_argument);
  const ConsumerConfig config = make_config("g");
  ConsumerCore grouped(config, TimePoint{});
  grouped.subscribe({"a"});
  CHECK_THROWS_AS(grouped.assign({{"a", 0}}), std::logic_error);
}

TEST_CASE("ConsumerCore: close() sends the auto-commit first and the LeaveGroup only after its answer") {
  const ConsumerConfig config = make_config("g", /*auto_commit=*/true);
  TimePoint now = TimePoint{} + 10h;
  ConsumerCore core(config, now);
  Cluster cluster;
  core.subscribe({"a"});
  join_alone(core, cluster, now);
  (void)core.seek({"a", 0}, {.offset = 9, .leader_epoch = 2});  // as if records up to 8 were handed out
  core.close(now);
  auto out = core.run_once(now, cluster.view);
  auto [commit_id, commit] = only<protocol::OffsetCommitRequest>(out);
  CHECK(commit.topics.at(0).partitions.at(0).committed_offset == 9);
  CHECK(of_type<protocol::LeaveGroupRequest>(out).empty());  // not before the commit is answered
  CHECK_FALSE(core.closed());
  protocol::OffsetCommitResponse ok;
  ok.topics.emplace_back().name = "a";
  ok.topics[0].partitions.push_back({.partition_index = 0, .error_code = errc::none, .unknown_tags = {}});
  core.on_response(commit_id, std::move(ok), now);
  auto [leave_id, leave] = only<protocol::LeaveGroupRequest>(core.run_once(now, cluster.view));
  core.on_response(leave_id, protocol::LeaveGroupResponse{}, now);
  while (core.next_event()) {
  }
  core.events_handled();
  CHECK(core.closed());
}

TEST_CASE("ConsumerCore: a commit during a rebalance fails at once with REBALANCE_IN_PROGRESS") {
  const ConsumerConfig config = make_config("g", /*auto_commit=*/false);
  TimePoint now = TimePoint{} + 10h;
  ConsumerCore core(config, now);
  Cluster cluster;
  core.subscribe({"a"});
  core.begin_poll(now);
  (void)core.run_once(now, cluster.view);  // JoinGroup out: the member is joining
  const auto id = core.commit({{.partition = {"a", 0}, .offset = 3, .leader_epoch = -1, .metadata = {}}});
  CHECK(of_type<protocol::OffsetCommitRequest>(core.run_once(now, cluster.view)).empty());
  auto results = core.take_commit_results();
  REQUIRE(results.size() == 1);
  CHECK(results[0].id == id);
  CHECK(results[0].error == make_error_code(errc::rebalance_in_progress));
}

namespace {

ConsumerConfig kip848_config(bool auto_commit) {
  ConsumerConfig c = make_config("g", auto_commit);
  c.group_protocol = GroupProtocol::consumer;
  c.group_remote_assignor = "range";
  c.validate();
  return c;
}

protocol::Uuid topic_a_id() {
  protocol::Uuid id;
  id.bytes[0] = 0xaa;  // the test Cluster's name for it is "a"
  return id;
}

protocol::ConsumerGroupHeartbeatResponse heartbeat_answer(std::int32_t epoch,
                                                          std::optional<std::vector<std::int32_t>> partitions_of_a) {
  protocol::ConsumerGroupHeartbeatResponse r;
  r.member_epoch = epoch;
  r.heartbeat_interval_ms = 3000;
  if (partitions_of_a)
    r.assignment = protocol::ConsumerGroupHeartbeatResponse::Assignment{{{topic_a_id(), *partitions_of_a, {}}}, {}};
  return r;
}

protocol::OffsetCommitResponse commit_ok(std::int32_t partition) {
  protocol::OffsetCommitResponse ok;
  ok.topics.emplace_back().name = "a";
  ok.topics[0].partitions.push_back({.partition_index = partition, .error_code = errc::none, .unknown_tags = {}});
  return ok;
}

/// A KIP-848 core subscribed to "a", its join heartbeat out.
struct Kip848Core {
  ConsumerConfig config;
  TimePoint now = TimePoint{} + 10h;
  ConsumerCore core;
  Cluster cluster;
  std::uint64_t join_id = 0;

  explicit Kip848Core(bool auto_commit) : config(kip848_config(auto_commit)), core(config, now) {
    core.subscribe({"a"});
    core.begin_poll(now);
    join_id = only<protocol::ConsumerGroupHeartbeatRequest>(core.run_once(now, cluster.view)).first;
  }
};

}  // namespace

TEST_CASE("ConsumerCore KIP-848: join, assignment by topic id, commit before revoke, acknowledgement, leave") {
  const ConsumerConfig config = kip848_config(/*auto_commit=*/true);
  TimePoint now = TimePoint{} + 10h;
  ConsumerCore core(config, now);
  Cluster cluster;
  core.subscribe({"a"});
  core.begin_poll(now);
  auto out = core.run_once(now, cluster.view);
  auto [join_id, join] = only<protocol::ConsumerGroupHeartbeatRequest>(out);
  CHECK(out.front().route.kind == CoreRoute::Kind::group_coordinator);
  CHECK(join.member_epoch == 0);
  CHECK(join.member_id.size() == 22);  // a random UUID in Kafka's text form (KIP-1082)
  CHECK(join.server_assignor == std::optional<std::string>("range"));
  CHECK(of_type<protocol::JoinGroupRequest>(out).empty());
  const std::string member_id = join.member_id;

  core.on_response(join_id, heartbeat_answer(1, std::vector<std::int32_t>{0, 1}), now);
  out = core.run_once(now, cluster.view);  // the id resolves to "a" through the view
  auto event = core.next_event();
  REQUIRE(event.has_value());
  CHECK(event->kind == RebalanceEvent::Kind::assigned);
  CHECK(event->partitions == std::vector<TopicPartition>{{"a", 0}, {"a", 1}});
  core.events_handled();
  out = core.run_once(now, cluster.view);
  auto [ack_id, ack] = only<protocol::ConsumerGroupHeartbeatRequest>(out);
  REQUIRE(ack.topic_partitions.has_value());
  CHECK(ack.topic_partitions->at(0).partitions == std::vector<std::int32_t>{0, 1});
  auto [offsets_id, offsets] = only<protocol::OffsetFetchRequest>(out);
  core.on_response(ack_id, heartbeat_answer(1, std::nullopt), now);
  protocol::OffsetFetchResponse committed;
  committed.topics.push_back({.name = "a", .topic_id = {},
                              .partitions = {{.partition_index = 0, .committed_offset = 5, .committed_leader_epoch = 0,
                                              .metadata = "", .error_code = errc::none, .unknown_tags = {}},
                                             {.partition_index = 1, .committed_offset = 7,
                                              .committed_leader_epoch = 0, .metadata = "", .error_code = errc::none,
                                              .unknown_tags = {}}},
                              .unknown_tags = {}});
  core.on_response(offsets_id, std::move(committed), now);
  CHECK(confirm_positions(core, core.run_once(now, cluster.view), now) == 2);  // KIP-320

  auto [fetch_id, fetch] = only<protocol::FetchRequest>(core.run_once(now, cluster.view));
  const auto records = wire_batch(values(5, 2), {.base_offset = 5, .leader_epoch = 3});
  core.on_response(fetch_id, fetch_answer(records, 0), nullptr, now);
  std::vector<ConsumerRecord> got;
  CHECK(core.collect(got) == 2);

  // The coordinator takes a/0 away: its consumed offset is committed (with
  // the member epoch) before the application hears it is revoked.
  now += 3s;
  out = core.run_once(now, cluster.view);
  auto [beat_id, beat] = only<protocol::ConsumerGroupHeartbeatRequest>(out);
  CHECK_FALSE(beat.topic_partitions.has_value());
  core.on_response(beat_id, heartbeat_answer(1, std::vector<std::int32_t>{1}), now);
  out = core.run_once(now, cluster.view);
  auto [commit_id, commit] = only<protocol::OffsetCommitRequest>(out);
  CHECK(commit.member_id == member_id);
  CHECK(commit.generation_id_or_member_epoch == 1);
  REQUIRE(commit.topics.at(0).partitions.size() == 1);
  CHECK(commit.topics[0].partitions[0].partition_index == 0);
  CHECK(commit.topics[0].partitions[0].committed_offset == 7);
  CHECK_FALSE(core.next_event().has_value());
  got.clear();
  CHECK(core.collect(got) == 0);  // nothing handed out while that commit is out
  core.on_response(commit_id, commit_ok(0), now);
  event = core.next_event();
  REQUIRE(event.has_value());
  CHECK(event->kind == RebalanceEvent::Kind::revoked);
  CHECK(event->partitions == std::vector<TopicPartition>{{"a", 0}});
  CHECK_FALSE(core.next_event().has_value());
  core.events_handled();
  CHECK(core.assignment() == std::vector<TopicPartition>{{"a", 1}});
  out = core.run_once(now, cluster.view);
  auto [ack2_id, ack2] = only<protocol::ConsumerGroupHeartbeatRequest>(out);
  REQUIRE(ack2.topic_partitions.has_value());
  CHECK(ack2.topic_partitions->at(0).partitions == std::vector<std::int32_t>{1});
  core.on_response(ack2_id, heartbeat_answer(2, std::nullopt), now);
  CHECK(core.generation() == 2);
  CHECK(core.group_metadata().generation_id == 2);  // the member epoch (KIP-848)
  CHECK(core.group_metadata().member_id == member_id);

  // close(): revoked, then a heartbeat with epoch -1; done once answered.
  core.close(now);
  out = core.run_once(now, cluster.view);
  auto [leave_id, leave] = only<protocol::ConsumerGroupHeartbeatRequest>(out);
  CHECK(leave.member_epoch == protocol::ConsumerGroupHeartbeatRequest::leave_epoch);
  event = core.next_event();
  REQUIRE(event.has_value());
  CHECK(event->kind == RebalanceEvent::Kind::revoked);
  core.events_handled();
  CHECK_FALSE(core.closed());
  core.on_response(leave_id, heartbeat_answer(-1, std::nullopt), now);
  CHECK(core.closed());
}

TEST_CASE("ConsumerCore KIP-848: a broker without ConsumerGroupHeartbeat is a clear, fatal group error") {
  Kip848Core k(/*auto_commit=*/false);
  auto& [config, now, core, cluster, join_id] = k;
  CHECK_FALSE(core.group_error());
  core.on_failure(join_id, make_error_code(kwire::client_errc::unsupported_version), now);
  CHECK(core.group_error() == make_error_code(kwire::consumer_errc::group_protocol_unsupported));
  CHECK(core.group_error().message().find("KIP-848") != std::string::npos);
  CHECK(core.group_error_message() == "group g (the broker's ApiVersions do not list ConsumerGroupHeartbeat)");
  CHECK(of_type<protocol::ConsumerGroupHeartbeatRequest>(core.run_once(now + 10s, cluster.view)).empty());
  core.close(now);
  (void)core.run_once(now, cluster.view);
  CHECK(core.closed());
}

TEST_CASE("ConsumerCore KIP-848: a commit refused with STALE_MEMBER_EPOCH is sent again after the next heartbeat") {
  Kip848Core k(/*auto_commit=*/false);
  auto& [config, now, core, cluster, join_id] = k;
  core.on_response(join_id, heartbeat_answer(4, std::vector<std::int32_t>{0}), now);
  (void)core.run_once(now, cluster.view);
  while (core.next_event()) {
  }
  core.events_handled();
  auto [ack_id, ack] = only<protocol::ConsumerGroupHeartbeatRequest>(core.run_once(now, cluster.view));
  core.on_response(ack_id, heartbeat_answer(4, std::nullopt), now);

  const auto id = core.commit({{.partition = {"a", 0}, .offset = 11, .leader_epoch = -1, .metadata = {}}});
  auto [commit_id, commit] = only<protocol::OffsetCommitRequest>(core.run_once(now, cluster.view));
  CHECK(commit.generation_id_or_member_epoch == 4);
  protocol::OffsetCommitResponse stale;
  stale.topics.emplace_back().name = "a";
  stale.topics[0].partitions.push_back(
      {.partition_index = 0, .error_code = errc::stale_member_epoch, .unknown_tags = {}});
  core.on_response(commit_id, std::move(stale), now);
  CHECK(core.take_commit_results().empty());  // not failed: retried
  // A commit made meanwhile goes out after the retried one, not before it.
  const auto later = core.commit({{.partition = {"a", 0}, .offset = 12, .leader_epoch = -1, .metadata = {}}});
  // First a heartbeat (at once) to learn the current epoch; no commit yet.
  auto out = core.run_once(now, cluster.view);
  CHECK(of_type<protocol::OffsetCommitRequest>(out).empty());
  auto [beat_id, beat] = only<protocol::ConsumerGroupHeartbeatRequest>(out);
  core.on_response(beat_id, heartbeat_answer(5, std::nullopt), now);
  auto [retry_id, retry] = only<protocol::OffsetCommitRequest>(core.run_once(now, cluster.view));
  CHECK(retry.generation_id_or_member_epoch == 5);
  CHECK(retry.topics.at(0).partitions.at(0).committed_offset == 11);
  core.on_response(retry_id, commit_ok(0), now);
  auto [later_id, later_request] = only<protocol::OffsetCommitRequest>(core.run_once(now, cluster.view));
  CHECK(later_request.topics.at(0).partitions.at(0).committed_offset == 12);
  core.on_response(later_id, commit_ok(0), now);
  auto results = core.take_commit_results();
  REQUIRE(results.size() == 2);
  CHECK(results[0].id == id);
  CHECK_FALSE(results[0].error);
  CHECK(results[1].id == later);
  CHECK_FALSE(results[1].error);
}

TEST_CASE("ConsumerCore: a committed() query answered UNSTABLE_OFFSET_COMMIT is asked again after the backoff "
          "(KIP-447), and answered only then") {
  Cluster cluster;
  TimePoint now = TimePoint{} + 10h;
  const ConsumerConfig config = make_config("g");  // the core keeps a reference
  ConsumerCore core(config, now);
  const std::uint64_t query = core.fetch_committed({{"a", 0}});
  auto answer = [](std::int64_t offset, errc error) {
    protocol::OffsetFetchResponse r;
    r.topics.push_back({.name = "a", .topic_id = {},
                        .partitions = {{.partition_index = 0, .committed_offset = offset, .committed_leader_epoch = 0,
                                        .metadata = "", .error_code = error, .unknown_tags = {}}},
                        .unknown_tags = {}});
    return r;
  };
  auto [first_id, first] = only<protocol::OffsetFetchRequest>(core.run_once(now, cluster.view));
  CHECK(first.require_stable);
  core.on_response(first_id, answer(-1, errc::unstable_offset_commit), now);
  CHECK(core.take_committed().empty());  // not an answer: a transaction is still open
  now += 50ms;
  CHECK(of_type<protocol::OffsetFetchRequest>(core.run_once(now, cluster.view)).empty());  // retry.backoff.ms = 100
  now += 60ms;
  auto [second_id, second] = only<protocol::OffsetFetchRequest>(core.run_once(now, cluster.view));
  CHECK(second.topics == first.topics);
  core.on_response(second_id, answer(7, errc::none), now);
  const auto results = core.take_committed();
  REQUIRE(results.size() == 1);
  CHECK(results[0].id == query);
  CHECK_FALSE(results[0].error);
  REQUIRE(results[0].offsets.at({"a", 0}).has_value());
  CHECK(results[0].offsets.at({"a", 0})->offset == 7);
}

TEST_CASE("ConsumerCore: commits reach the coordinator one at a time, in the order they were made") {
  // The cluster layer retries an OffsetCommit across a coordinator move: had
  // a newer commit gone out meanwhile, the older one could land last and
  // move the group's offset back.
  const ConsumerConfig config = make_config("g", /*auto_commit=*/false);
  TimePoint now = TimePoint{} + 10h;
  ConsumerCore core(config, now);
  Cluster cluster;
  core.assign({{"a", 0}});
  const auto commit_at = [&](std::int64_t offset) {
    return core.commit({{.partition = {"a", 0}, .offset = offset, .leader_epoch = -1, .metadata = {}}});
  };
  const auto first = commit_at(3);
  const auto second = commit_at(5);
  const auto third = commit_at(7);

  auto [first_request_id, first_request] = only<protocol::OffsetCommitRequest>(core.run_once(now, cluster.view));
  CHECK(first_request.topics.at(0).partitions.at(0).committed_offset == 3);
  CHECK(of_type<protocol::OffsetCommitRequest>(core.run_once(now, cluster.view)).empty());  // 5 waits

  core.on_response(first_request_id, commit_ok(0), now);
  auto [second_request_id, second_request] = only<protocol::OffsetCommitRequest>(core.run_once(now, cluster.view));
  CHECK(second_request.topics.at(0).partitions.at(0).committed_offset == 5);

  // A commit that fails (its deadline passed) lets the next one go.
  core.on_failure(second_request_id, make_error_code(kwire::client_errc::timed_out), now);
  auto [third_request_id, third_request] = only<protocol::OffsetCommitRequest>(core.run_once(now, cluster.view));
  CHECK(third_request.topics.at(0).partitions.at(0).committed_offset == 7);
  core.on_response(third_request_id, commit_ok(0), now);

  const auto results = core.take_commit_results();
  REQUIRE(results.size() == 3);
  CHECK(results[0].id == first);
  CHECK_FALSE(results[0].error);
  CHECK(results[1].id == second);
  CHECK(results[1].error == make_error_code(kwire::client_errc::timed_out));
  CHECK(results[2].id == third);
  CHECK_FALSE(results[2].error);
}
