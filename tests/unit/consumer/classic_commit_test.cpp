// Offset commits through the classic membership: fenced by ownership and
// generation, and their errors acting on the membership.
#include <doctest/doctest.h>

#include <chrono>

#include "group/classic_membership.hpp"
#include "kwire/protocol/consumer_protocol.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::consumer;
using namespace kwire::consumer::group;
using namespace std::chrono_literals;
using kwire::errc;
namespace protocol = kwire::protocol;
using State = ClassicMembership::State;

namespace {

/// A follower that owns a-0 and a-1 in generation 6.
struct StableMember {
  TimePoint now = TimePoint{} + 1000h;
  ClassicMembership m;

  explicit StableMember(std::optional<std::string> instance = {}) : m(make_config(std::move(instance)), now) {
    m.subscribe({"a"});
    m.on_coordinator_found(now);
    m.on_poll(now);
    REQUIRE(std::holds_alternative<protocol::JoinGroupRequest>(*m.poll_request(now)));
    protocol::JoinGroupResponse joined;
    joined.generation_id = 6;
    joined.member_id = "me";
    joined.leader = "other";
    joined.protocol_name = "range";
    m.on_response(joined, now);
    REQUIRE(std::holds_alternative<protocol::SyncGroupRequest>(*m.poll_request(now)));
    protocol::ConsumerProtocolAssignment assignment;
    assignment.assigned_partitions = {{"a", {0, 1}}};
    protocol::SyncGroupResponse synced;
    REQUIRE_FALSE(protocol::encode_consumer_protocol(assignment, 3, synced.assignment));
    m.on_response(synced, now);
    REQUIRE(m.state() == State::stable);
    while (m.next_event()) {
    }
    m.events_handled();
  }

  static ClassicMembershipConfig make_config(std::optional<std::string> instance) {
    ClassicMembershipConfig c;
    c.group_id = "g";
    c.group_instance_id = std::move(instance);
    c.assignors.push_back(make_assignor("range"));
    return c;
  }
};

protocol::OffsetCommitResponse answer(errc e) {
  protocol::OffsetCommitResponse r;
  r.topics.push_back({"a", {}, {{0, errc::none, {}}, {1, e, {}}}, {}});
  return r;
}

}  // namespace

TEST_CASE("a commit carries generation, member id and instance id, and only owned partitions") {
  StableMember s("instance-1");
  std::vector<TopicPartition> refused;
  auto request = s.m.commit_request({{{"a", 0}, 10, 3, "meta"}, {{"a", 1}, 20, 3, ""}, {{"b", 0}, 5, -1, ""}},
                                    &refused);
  REQUIRE(request.has_value());
  CHECK(request->group_id == "g");
  CHECK(request->generation_id_or_member_epoch == 6);
  CHECK(request->member_id == "me");
  CHECK(request->group_instance_id == "instance-1");
  REQUIRE(request->topics.size() == 1);
  REQUIRE(request->topics[0].partitions.size() == 2);
  CHECK(request->topics[0].partitions[0].committed_offset == 10);
  CHECK(request->topics[0].partitions[0].committed_leader_epoch == 3);
  CHECK(request->topics[0].partitions[0].committed_metadata == "meta");
  CHECK(refused == std::vector<TopicPartition>{{"b", 0}});
  std::vector<std::uint8_t> bytes;
  CHECK_FALSE(protocol::encode_message(*request, 9, bytes));
}

TEST_CASE("no commit for partitions revoked or lost, nor while rejoining") {
  StableMember s;
  s.m.leave(s.now);
  CHECK_FALSE(s.m.commit_request({{{"a", 0}, 10, -1, ""}}).has_value());

  StableMember lost;
  lost.now += 3s;
  REQUIRE(std::holds_alternative<protocol::HeartbeatRequest>(*lost.m.poll_request(lost.now)));
  lost.m.on_response(protocol::HeartbeatResponse{.throttle_time_ms = 0, .error_code = errc::unknown_member_id,
                                                 .unknown_tags = {}},
                     lost.now);
  CHECK_FALSE(lost.m.commit_request({{{"a", 0}, 10, -1, ""}}).has_value());
}

TEST_CASE("commit errors act on the membership as Java's handler does") {
  SUBCASE("REBALANCE_IN_PROGRESS: the commit fails and the member rejoins at its next poll") {
    StableMember s;
    auto sent = *s.m.commit_request({{{"a", 0}, 1, -1, ""}, {{"a", 1}, 1, -1, ""}});
    CHECK(s.m.on_commit_response(sent, answer(errc::rebalance_in_progress), s.now) == errc::rebalance_in_progress);
    s.m.on_poll(s.now);
    CHECK(s.m.state() == State::joining);
  }
  SUBCASE("ILLEGAL_GENERATION for the current generation: the partitions are lost") {
    StableMember s;
    auto sent = *s.m.commit_request({{{"a", 1}, 1, -1, ""}});
    CHECK(s.m.on_commit_response(sent, answer(errc::illegal_generation), s.now) == errc::illegal_generation);
    CHECK(s.m.generation() == -1);
    CHECK_FALSE(s.m.may_commit({"a", 0}));
  }
  SUBCASE("UNKNOWN_MEMBER_ID about an older generation changes nothing") {
    StableMember s;
    auto sent = *s.m.commit_request({{{"a", 1}, 1, -1, ""}});
    sent.generation_id_or_member_epoch = 5;
    CHECK(s.m.on_commit_response(sent, answer(errc::unknown_member_id), s.now) == errc::unknown_member_id);
    CHECK(s.m.generation() == 6);
    CHECK(s.m.member_id() == "me");
  }
  SUBCASE("NOT_COORDINATOR: find the coordinator again") {
    StableMember s;
    auto sent = *s.m.commit_request({{{"a", 1}, 1, -1, ""}});
    CHECK(s.m.on_commit_response(sent, answer(errc::not_coordinator), s.now) == errc::not_coordinator);
    CHECK(s.m.needs_coordinator());
    CHECK(s.m.owned().size() == 2);
  }
  SUBCASE("FENCED_INSTANCE_ID is fatal") {
    StableMember s("instance-1");
    auto sent = *s.m.commit_request({{{"a", 1}, 1, -1, ""}});
    CHECK(s.m.on_commit_response(sent, answer(errc::fenced_instance_id), s.now) == errc::fenced_instance_id);
    CHECK(s.m.state() == State::fatal);
  }
  SUBCASE("OFFSET_METADATA_TOO_LARGE fails only the commit") {
    StableMember s;
    auto sent = *s.m.commit_request({{{"a", 1}, 1, -1, std::string(5000, 'x')}});
    CHECK(s.m.on_commit_response(sent, answer(errc::offset_metadata_too_large), s.now) ==
          errc::offset_metadata_too_large);
    CHECK(s.m.state() == State::stable);
  }
  SUBCASE("success") {
    StableMember s;
    auto sent = *s.m.commit_request({{{"a", 1}, 1, -1, ""}});
    CHECK_FALSE(s.m.on_commit_response(sent, answer(errc::none), s.now));
  }
}
