// The classic group membership state machine, driven sans-I/O: an injected
// clock and scripted coordinator responses.
#include <doctest/doctest.h>

#include <chrono>
#include <variant>

#include "group/classic_membership.hpp"
#include "kwire/consumer/consumer_error.hpp"
#include "kwire/protocol/consumer_protocol.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::consumer;
using namespace kwire::consumer::group;
using namespace std::chrono_literals;
using kwire::consumer_errc;
using kwire::errc;
namespace protocol = kwire::protocol;
using Kind = RebalanceEvent::Kind;
using State = ClassicMembership::State;

namespace {

ClassicMembershipConfig config(std::vector<std::string> assignors, std::optional<std::string> instance = {}) {
  ClassicMembershipConfig c;
  c.group_id = "g";
  c.group_instance_id = std::move(instance);
  c.session_timeout = 10s;
  c.heartbeat_interval = 3s;
  c.max_poll_interval = 60s;
  c.retry_backoff = 100ms;
  c.client_rack = "rack-1";
  for (const auto& name : assignors) c.assignors.push_back(make_assignor(name));
  return c;
}

/// The request encodes at `version` (the codecs refuse fields a version lacks).
template <class M>
bool encodes(const M& request, std::int16_t version) {
  std::vector<std::uint8_t> out;
  return !protocol::encode_message(request, version, out);
}

template <class M>
std::vector<std::uint8_t> encoded(const M& message) {
  std::vector<std::uint8_t> out;
  REQUIRE_FALSE(protocol::encode_consumer_protocol(message, 3, out));
  return out;
}

std::vector<std::uint8_t> assignment_bytes(std::vector<protocol::ConsumerProtocolTopicPartitions> partitions) {
  protocol::ConsumerProtocolAssignment a;
  a.assigned_partitions = std::move(partitions);
  return encoded(a);
}

std::vector<std::uint8_t> subscription_bytes(std::vector<std::string> topics) {
  protocol::ConsumerProtocolSubscription s;
  s.topics = std::move(topics);
  return encoded(s);
}

protocol::ConsumerProtocolSubscription decode_subscription(const std::vector<std::uint8_t>& bytes) {
  protocol::ConsumerProtocolSubscription s;
  REQUIRE_FALSE(protocol::decode_consumer_protocol(bytes, s));
  return s;
}

std::set<TopicPartition> decode_assignment(const std::vector<std::uint8_t>& bytes) {
  protocol::ConsumerProtocolAssignment a;
  REQUIRE_FALSE(protocol::decode_consumer_protocol(bytes, a));
  std::set<TopicPartition> out;
  for (const auto& t : a.assigned_partitions)
    for (auto p : t.partitions) out.insert({t.topic, p});
  return out;
}

protocol::JoinGroupResponse joined(std::int32_t generation, std::string member_id, std::string leader,
                                   std::string protocol_name) {
  protocol::JoinGroupResponse r;
  r.generation_id = generation;
  r.member_id = std::move(member_id);
  r.leader = std::move(leader);
  r.protocol_name = std::move(protocol_name);
  return r;
}

template <class R>
R error_response(errc e) {
  R r;
  r.error_code = e;
  return r;
}

/// A member and its coordinator's side of the conversation.
struct Group {
  TimePoint now = TimePoint{} + 1000h;
  ClassicMembership m;

  explicit Group(ClassicMembershipConfig c, std::set<std::string> topics = {"a"}) : m(std::move(c), now) {
    m.subscribe(std::move(topics));
    m.on_coordinator_found(now);
  }

  void advance(Milliseconds d) { now += d; }

  template <class R>
  R expect() {
    auto request = m.poll_request(now);
    REQUIRE_MESSAGE(request.has_value(), "no request");
    REQUIRE_MESSAGE(std::holds_alternative<R>(*request), "another request: index " << request->index());
    return std::get<R>(*request);
  }
  void expect_nothing() {
    auto request = m.poll_request(now);
    CHECK_MESSAGE(!request.has_value(), "unexpected request, index " << (request ? request->index() : 99));
  }

  /// Takes the queued events and says the callbacks ran.
  std::vector<RebalanceEvent> events() {
    std::vector<RebalanceEvent> out;
    while (auto e = m.next_event()) out.push_back(std::move(*e));
    m.events_handled();
    return out;
  }

  /// Joins as a follower of `leader` and gets `assigned`.
  void join_as_follower(std::int32_t generation, std::vector<protocol::ConsumerProtocolTopicPartitions> assigned,
                        const std::string& protocol_name = "range") {
    m.on_poll(now);
    (void)events();
    auto join = expect<protocol::JoinGroupRequest>();
    m.on_response(joined(generation, join.member_id.empty() ? "me" : join.member_id, "leader", protocol_name), now);
    auto sync = expect<protocol::SyncGroupRequest>();
    CHECK(sync.generation_id == generation);
    CHECK(sync.assignments.empty());
    protocol::SyncGroupResponse response;
    response.assignment = assignment_bytes(std::move(assigned));
    m.on_response(response, now);
    REQUIRE(m.state() == State::stable);
  }
};

}  // namespace

TEST_CASE("KIP-394: a dynamic member joins, is given its member id, and joins again with it") {
  Group g(config({"cooperative-sticky", "range"}), {"b", "a"});
  g.expect_nothing();  // nothing before the application polls
  g.m.on_poll(g.now);
  auto first = g.expect<protocol::JoinGroupRequest>();
  CHECK(first.group_id == "g");
  CHECK(first.member_id.empty());
  CHECK(first.protocol_type == "consumer");
  CHECK(first.session_timeout_ms == 10000);
  CHECK(first.rebalance_timeout_ms == 60000);
  REQUIRE(first.protocols.size() == 2);
  CHECK(first.protocols[0].name == "cooperative-sticky");
  CHECK(first.protocols[1].name == "range");
  auto subscription = decode_subscription(first.protocols[0].metadata);
  CHECK(subscription.topics == std::vector<std::string>{"a", "b"});
  CHECK(subscription.rack_id == "rack-1");
  CHECK(subscription.generation_id == -1);
  CHECK(subscription.user_data == std::vector<std::uint8_t>{0xff, 0xff, 0xff, 0xff});  // generation -1
  g.expect_nothing();  // one join at a time

  protocol::JoinGroupResponse required = error_response<protocol::JoinGroupResponse>(errc::member_id_required);
  required.member_id = "consumer-1-abc";
  g.m.on_response(required, g.now);
  auto second = g.expect<protocol::JoinGroupRequest>();
  CHECK(second.member_id == "consumer-1-abc");
  CHECK(encodes(second, 4));
  CHECK(encodes(second, 9));
  CHECK(g.m.state() == State::joining);
}

TEST_CASE("a follower syncs, gets its assignment, and heartbeats on its own timer") {
  Group g(config({"range"}));
  g.join_as_follower(5, {{"a", {0, 1}}});
  auto events = g.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0] == RebalanceEvent{Kind::assigned, {{"a", 0}, {"a", 1}}, {}});
  CHECK(g.m.generation() == 5);
  CHECK(g.m.may_commit({"a", 0}));
  CHECK_FALSE(g.m.may_commit({"a", 2}));

  // Heartbeats every 3 s, whether or not the application polls (up to
  // max.poll.interval.ms).
  g.expect_nothing();
  CHECK(g.m.next_wakeup() == g.now + 3s);
  for (int i = 0; i < 5; ++i) {
    g.advance(3s);
    auto hb = g.expect<protocol::HeartbeatRequest>();
    CHECK(hb.generation_id == 5);
    CHECK(encodes(hb, 0));
    CHECK(encodes(hb, 4));
    CHECK(hb.member_id == "me");
    g.expect_nothing();  // one in flight
    g.m.on_response(protocol::HeartbeatResponse{}, g.now);
  }
  CHECK(g.m.state() == State::stable);
}

TEST_CASE("the leader runs the assignor, first fetching partition counts for topics only others subscribe") {
  Group g(config({"range"}), {"a"});
  g.m.on_metadata({{"a", 4}});
  g.m.on_poll(g.now);
  (void)g.expect<protocol::JoinGroupRequest>();
  auto response = joined(1, "m1", "m1", "range");
  response.members.push_back({"m1", std::nullopt, subscription_bytes({"a"}), {}});
  response.members.push_back({"m2", std::nullopt, subscription_bytes({"a", "b"}), {}});
  g.m.on_response(response, g.now);
  CHECK(g.m.is_leader());
  CHECK(g.m.state() == State::awaiting_metadata);
  CHECK(g.m.wanted_topics() == std::set<std::string>{"b"});
  g.expect_nothing();
  g.m.on_metadata({{"b", 2}});
  auto sync = g.expect<protocol::SyncGroupRequest>();
  CHECK(encodes(sync, 0));
  CHECK(encodes(sync, 5));
  CHECK(sync.protocol_name == "range");
  CHECK(sync.protocol_type == "consumer");
  REQUIRE(sync.assignments.size() == 2);
  std::map<std::string, std::set<TopicPartition>> by_member;
  for (const auto& a : sync.assignments) by_member[a.member_id] = decode_assignment(a.assignment);
  CHECK(by_member["m1"] == std::set<TopicPartition>{{"a", 0}, {"a", 1}});
  CHECK(by_member["m2"] == std::set<TopicPartition>{{"a", 2}, {"a", 3}, {"b", 0}, {"b", 1}});
}

TEST_CASE("KIP-814: a static leader told SkipAssignment does not reassign") {
  Group g(config({"range"}, "instance-1"));
  g.m.on_poll(g.now);
  auto join = g.expect<protocol::JoinGroupRequest>();
  CHECK(join.group_instance_id == "instance-1");
  CHECK(encodes(join, 5));
  CHECK_FALSE(encodes(join, 4));  // never silently dynamic
  auto response = joined(3, "m1", "m1", "range");
  response.skip_assignment = true;
  response.members.push_back({"m1", "instance-1", subscription_bytes({"a"}), {}});
  g.m.on_response(response, g.now);
  auto sync = g.expect<protocol::SyncGroupRequest>();
  CHECK(sync.assignments.empty());
  CHECK(sync.group_instance_id == "instance-1");
  CHECK(encodes(sync, 5));
}

TEST_CASE("eager: REBALANCE_IN_PROGRESS revokes everything at the next poll, and the join waits for the callbacks") {
  Group g(config({"range"}));
  g.join_as_follower(1, {{"a", {0, 1}}});
  (void)g.events();
  g.advance(3s);
  (void)g.expect<protocol::HeartbeatRequest>();
  g.m.on_response(error_response<protocol::HeartbeatResponse>(errc::rebalance_in_progress), g.now);
  g.expect_nothing();  // no join before the application polls
  CHECK(g.m.may_commit({"a", 0}));

  g.m.on_poll(g.now);
  auto revoked = g.m.next_event();
  REQUIRE(revoked.has_value());
  CHECK(*revoked == RebalanceEvent{Kind::revoked, {{"a", 0}, {"a", 1}}, {}});
  g.expect_nothing();  // the callbacks have not run yet (commit before the partitions move)
  g.m.events_handled();
  auto join = g.expect<protocol::JoinGroupRequest>();
  CHECK(join.member_id == "me");
  CHECK(decode_subscription(join.protocols[0].metadata).owned_partitions.empty());
}

TEST_CASE("cooperative: partitions stay through the rebalance; only what moves is revoked, then a rejoin") {
  Group g(config({"cooperative-sticky"}), {"a", "b"});
  g.join_as_follower(4, {{"a", {0, 1}}, {"b", {0}}}, "cooperative-sticky");
  (void)g.events();
  g.advance(3s);
  (void)g.expect<protocol::HeartbeatRequest>();
  g.m.on_response(error_response<protocol::HeartbeatResponse>(errc::rebalance_in_progress), g.now);
  g.m.on_poll(g.now);
  CHECK(g.events().empty());  // nothing revoked before the join
  auto join = g.expect<protocol::JoinGroupRequest>();
  auto subscription = decode_subscription(join.protocols[0].metadata);
  CHECK(subscription.generation_id == 4);
  CHECK(subscription.user_data == std::vector<std::uint8_t>{0, 0, 0, 4});
  REQUIRE(subscription.owned_partitions.size() == 2);
  CHECK(subscription.owned_partitions[0] == protocol::ConsumerProtocolTopicPartitions{"a", {0, 1}});
  CHECK(g.m.may_commit({"a", 1}) == false);  // not stable while joining

  g.m.on_response(joined(5, "me", "leader", "cooperative-sticky"), g.now);
  (void)g.expect<protocol::SyncGroupRequest>();
  protocol::SyncGroupResponse sync;
  sync.assignment = assignment_bytes({{"a", {0}}, {"b", {0}}});
  g.m.on_response(sync, g.now);
  auto events = g.events();
  REQUIRE(events.size() == 2);
  CHECK(events[0] == RebalanceEvent{Kind::revoked, {{"a", 1}}, {}});
  CHECK(events[1] == RebalanceEvent{Kind::assigned, {}, {}});  // nothing new
  CHECK(g.m.owned() == std::set<TopicPartition>{{"a", 0}, {"b", 0}});
  // Something was revoked: join again so it can be assigned elsewhere.
  g.m.on_poll(g.now);
  auto again = g.expect<protocol::JoinGroupRequest>();
  CHECK(decode_subscription(again.protocols[0].metadata).generation_id == 5);
}

TEST_CASE("cooperative: unsubscribing a topic revokes only its partitions before the join") {
  Group g(config({"cooperative-sticky"}), {"a", "b"});
  g.join_as_follower(2, {{"a", {0}}, {"b", {0, 1}}}, "cooperative-sticky");
  (void)g.events();
  g.m.subscribe({"a"});
  g.m.on_poll(g.now);
  auto events = g.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0] == RebalanceEvent{Kind::revoked, {{"b", 0}, {"b", 1}}, {}});
  auto join = g.expect<protocol::JoinGroupRequest>();
  CHECK(decode_subscription(join.protocols[0].metadata).topics == std::vector<std::string>{"a"});
}

TEST_CASE("UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION: partitions are lost, never revoked, and the member rejoins") {
  for (errc e : {errc::unknown_member_id, errc::illegal_generation}) {
    CAPTURE(e);
    Group g(config({"range"}));
    g.join_as_follower(7, {{"a", {0}}});
    (void)g.events();
    g.advance(3s);
    (void)g.expect<protocol::HeartbeatRequest>();
    g.m.on_response(error_response<protocol::HeartbeatResponse>(e), g.now);
    CHECK_FALSE(g.m.may_commit({"a", 0}));
    CHECK(g.m.generation() == -1);
    g.m.on_poll(g.now);
    auto events = g.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0] == RebalanceEvent{Kind::lost, {{"a", 0}}, consumer_errc::member_lost_partitions});
    auto join = g.expect<protocol::JoinGroupRequest>();
    CHECK(join.member_id == (e == errc::unknown_member_id ? "" : "me"));
  }
}

TEST_CASE("FENCED_INSTANCE_ID is fatal") {
  Group g(config({"range"}, "instance-1"));
  g.join_as_follower(1, {{"a", {0}}});
  g.advance(3s);
  (void)g.expect<protocol::HeartbeatRequest>();
  g.m.on_response(error_response<protocol::HeartbeatResponse>(errc::fenced_instance_id), g.now);
  CHECK(g.m.state() == State::fatal);
  CHECK(g.m.fatal_error() == errc::fenced_instance_id);
  g.advance(3s);
  g.expect_nothing();

  Group joining(config({"range"}, "instance-1"));
  joining.m.on_poll(joining.now);
  (void)joining.expect<protocol::JoinGroupRequest>();
  joining.m.on_response(error_response<protocol::JoinGroupResponse>(errc::fenced_instance_id), joining.now);
  CHECK(joining.m.state() == State::fatal);
}

TEST_CASE("NOT_COORDINATOR: requests stop until the coordinator is found again") {
  Group g(config({"range"}));
  g.join_as_follower(1, {{"a", {0}}});
  g.advance(3s);
  (void)g.expect<protocol::HeartbeatRequest>();
  g.m.on_response(error_response<protocol::HeartbeatResponse>(errc::not_coordinator), g.now);
  CHECK(g.m.needs_coordinator());
  g.advance(3s);
  g.expect_nothing();
  g.m.on_coordinator_found(g.now);
  (void)g.expect<protocol::HeartbeatRequest>();
  CHECK(g.m.state() == State::stable);
  CHECK(g.m.owned().size() == 1);  // nothing lost
}

TEST_CASE("a join or sync cut short by a disconnect is redone from JoinGroup with the same member id") {
  Group g(config({"range"}));
  g.m.on_poll(g.now);
  (void)g.expect<protocol::JoinGroupRequest>();
  g.m.on_response(joined(3, "me", "leader", "range"), g.now);
  auto sync = g.expect<protocol::SyncGroupRequest>();
  g.m.on_request_failed(sync, g.now);
  CHECK(g.m.needs_coordinator());
  g.expect_nothing();
  g.m.on_coordinator_found(g.now);
  auto join = g.expect<protocol::JoinGroupRequest>();
  CHECK(join.member_id == "me");
}

TEST_CASE("SyncGroup REBALANCE_IN_PROGRESS joins again at once, keeping member id") {
  Group g(config({"range"}));
  g.m.on_poll(g.now);
  (void)g.expect<protocol::JoinGroupRequest>();
  g.m.on_response(joined(3, "me", "leader", "range"), g.now);
  (void)g.expect<protocol::SyncGroupRequest>();
  g.m.on_response(error_response<protocol::SyncGroupResponse>(errc::rebalance_in_progress), g.now);
  auto join = g.expect<protocol::JoinGroupRequest>();
  CHECK(join.member_id == "me");
  CHECK(g.events().empty());
}

TEST_CASE("JoinGroup REBALANCE_IN_PROGRESS and COORDINATOR_LOAD_IN_PROGRESS retry after the backoff") {
  Group g(config({"range"}));
  g.m.on_poll(g.now);
  (void)g.expect<protocol::JoinGroupRequest>();
  g.m.on_response(error_response<protocol::JoinGroupResponse>(errc::coordinator_load_in_progress), g.now);
  g.expect_nothing();
  CHECK(g.m.next_wakeup() == g.now + 100ms);
  g.advance(100ms);
  (void)g.expect<protocol::JoinGroupRequest>();
}

TEST_CASE("no heartbeat answered within session.timeout.ms: the coordinator is looked up again") {
  Group g(config({"range"}));
  g.join_as_follower(1, {{"a", {0}}});
  g.advance(3s);
  (void)g.expect<protocol::HeartbeatRequest>();  // never answered
  g.advance(7s);
  g.expect_nothing();
  CHECK_FALSE(g.m.needs_coordinator());
  g.advance(1s);  // 11 s since the last answer > 10 s
  g.expect_nothing();
  CHECK(g.m.needs_coordinator());
}

TEST_CASE("max.poll.interval.ms: a member that stops polling leaves, and is told at its next poll") {
  SUBCASE("dynamic member: LeaveGroup") {
    Group g(config({"range"}));
    g.join_as_follower(1, {{"a", {0}}});
    (void)g.events();
    for (int i = 0; i < 20; ++i) {  // 60 s of heartbeats without a poll
      g.advance(3s);
      (void)g.expect<protocol::HeartbeatRequest>();
      g.m.on_response(protocol::HeartbeatResponse{}, g.now);
    }
    g.advance(1s);
    auto leave = g.expect<protocol::LeaveGroupRequest>();
    REQUIRE(leave.members.size() == 1);
    CHECK(leave.members[0].member_id == "me");
    CHECK(leave.members[0].reason.value_or("").find("max.poll.interval.ms") != std::string::npos);
    g.advance(3s);
    g.expect_nothing();  // no heartbeats once out of the group
    auto events = g.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0] == RebalanceEvent{Kind::lost, {{"a", 0}}, consumer_errc::max_poll_interval_exceeded});
    CHECK(g.m.member_id().empty());
    g.m.on_poll(g.now);
    CHECK(g.events().empty());
    CHECK(g.expect<protocol::JoinGroupRequest>().member_id.empty());
  }
  SUBCASE("static member: no LeaveGroup, still told") {
    Group g(config({"range"}, "instance-1"));
    g.join_as_follower(1, {{"a", {0}}});
    (void)g.events();
    g.advance(61s);
    auto request = g.m.poll_request(g.now);
    CHECK_FALSE((request && std::holds_alternative<protocol::LeaveGroupRequest>(*request)));
    auto events = g.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].reason == consumer_errc::max_poll_interval_exceeded);
  }
}

TEST_CASE("close(): partitions revoked; a dynamic member sends LeaveGroup, a static one does not (KIP-345)") {
  Group dynamic(config({"range"}));
  dynamic.join_as_follower(1, {{"a", {0}}});
  (void)dynamic.events();
  dynamic.m.leave(dynamic.now);
  auto events = dynamic.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0] == RebalanceEvent{Kind::revoked, {{"a", 0}}, {}});
  auto leave = dynamic.expect<protocol::LeaveGroupRequest>();
  REQUIRE(leave.members.size() == 1);
  CHECK(leave.members[0].member_id == "me");
  CHECK(leave.members[0].reason == "the consumer is being closed");
  CHECK(encodes(leave, 3));
  CHECK(encodes(leave, 5));
  dynamic.expect_nothing();
  CHECK(dynamic.m.state() == State::left);

  Group fixed(config({"range"}, "instance-1"));
  fixed.join_as_follower(1, {{"a", {0}}});
  (void)fixed.events();
  fixed.m.leave(fixed.now);
  CHECK(fixed.events().size() == 1);
  fixed.expect_nothing();
}

TEST_CASE("a heartbeat answer from an older generation is ignored") {
  Group g(config({"range"}), {"a"});
  g.join_as_follower(1, {{"a", {0}}});
  (void)g.events();
  g.advance(3s);
  (void)g.expect<protocol::HeartbeatRequest>();  // generation 1, answered late
  // The subscription changes and a new generation completes meanwhile.
  g.m.subscribe({"a", "b"});
  g.m.on_poll(g.now);
  (void)g.events();
  (void)g.expect<protocol::JoinGroupRequest>();
  g.m.on_response(joined(2, "me", "leader", "range"), g.now);
  (void)g.expect<protocol::SyncGroupRequest>();
  protocol::SyncGroupResponse sync;
  sync.assignment = assignment_bytes({{"a", {0}}, {"b", {0}}});
  g.m.on_response(sync, g.now);
  g.m.on_response(error_response<protocol::HeartbeatResponse>(errc::illegal_generation), g.now);
  CHECK(g.m.generation() == 2);
  CHECK(g.m.state() == State::stable);
  // The same answer to a heartbeat of generation 2 does count.
  g.advance(3s);
  CHECK(g.expect<protocol::HeartbeatRequest>().generation_id == 2);
  g.m.on_response(error_response<protocol::HeartbeatResponse>(errc::illegal_generation), g.now);
  CHECK(g.m.generation() == -1);
}

TEST_CASE("an assignment with topics the member no longer subscribes to asks for a rejoin") {
  Group g(config({"range"}), {"a"});
  g.join_as_follower(1, {{"a", {0}}, {"zzz", {0}}});
  auto events = g.events();
  REQUIRE(events.size() == 1);
  g.m.on_poll(g.now);
  CHECK(g.events().size() == 1);  // eager: revoke all before rejoining
  (void)g.expect<protocol::JoinGroupRequest>();
}
