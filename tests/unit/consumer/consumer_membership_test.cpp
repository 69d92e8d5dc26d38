// The KIP-848 ("consumer" protocol) membership state machine, driven
// sans-I/O: an injected clock and scripted ConsumerGroupHeartbeat answers.
#include <doctest/doctest.h>

#include <chrono>
#include <variant>

#include "group/consumer_membership.hpp"
#include "kwire/consumer/consumer_error.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::consumer;
using namespace kwire::consumer::group;
using namespace std::chrono_literals;
using kwire::consumer_errc;
using kwire::errc;
namespace protocol = kwire::protocol;
using Kind = RebalanceEvent::Kind;
using State = ConsumerMembership::State;
using Heartbeat = protocol::ConsumerGroupHeartbeatRequest;
using Answer = protocol::ConsumerGroupHeartbeatResponse;
using Owned = std::vector<protocol::ConsumerGroupTopicPartitions>;

namespace {

protocol::Uuid topic_id(std::uint8_t tag) {
  protocol::Uuid id;
  id.bytes[0] = tag;
  id.bytes[15] = 1;
  return id;
}
const protocol::Uuid kA = topic_id(0xa);
const protocol::Uuid kB = topic_id(0xb);

ConsumerMembershipConfig config(std::optional<std::string> instance = {}) {
  ConsumerMembershipConfig c;
  c.group_id = "g";
  c.member_id = "client-made-id";
  c.group_instance_id = std::move(instance);
  c.server_assignor = "uniform";
  c.client_rack = "rack-1";
  c.max_poll_interval = 60s;
  c.retry_backoff = 100ms;
  return c;
}

template <class M>
bool encodes(const M& request, std::int16_t version) {
  std::vector<std::uint8_t> out;
  return !protocol::encode_message(request, version, out);
}

Answer answer(std::int32_t epoch, std::optional<Owned> assignment = std::nullopt, std::int32_t interval_ms = 2000) {
  Answer a;
  a.member_id = "client-made-id";
  a.member_epoch = epoch;
  a.heartbeat_interval_ms = interval_ms;
  if (assignment) a.assignment = Answer::Assignment{*assignment, {}};
  return a;
}

Answer error_answer(errc e, std::string message = {}) {
  Answer a;
  a.error_code = e;
  if (!message.empty()) a.error_message = std::move(message);
  return a;
}

/// A member and its coordinator's side of the conversation.
struct Member {
  TimePoint now = TimePoint{} + 1000h;
  ConsumerMembership m;

  explicit Member(ConsumerMembershipConfig c = config(), std::set<std::string> topics = {"a", "b"})
      : m(std::move(c), now) {
    m.on_topic_names({{kA, "a"}, {kB, "b"}}, now);
    m.on_coordinator_found(now);
    m.subscribe(std::move(topics));
  }

  void advance(Milliseconds d) {
    now += d;
    m.on_poll(now);
  }

  Heartbeat expect() {
    auto request = m.poll_request(now);
    REQUIRE_MESSAGE(request.has_value(), "no request");
    REQUIRE(std::holds_alternative<Heartbeat>(*request));
    return std::get<Heartbeat>(*request);
  }
  void expect_nothing() {
    auto request = m.poll_request(now);
    CHECK_MESSAGE(!request.has_value(), "unexpected heartbeat");
  }
  void reply(const Heartbeat& sent, const Answer& a) { m.on_response(sent, a, now); }

  std::vector<RebalanceEvent> events() {
    std::vector<RebalanceEvent> out;
    while (auto e = m.next_event()) out.push_back(std::move(*e));
    if (!out.empty()) m.events_handled();
    return out;
  }

  /// Joins and gets (and acknowledges) `assigned` at epoch `epoch`.
  void join(std::int32_t epoch, const Owned& assigned) {
    const Heartbeat j = expect();
    reply(j, answer(epoch, assigned));
    (void)events();
    const Heartbeat ack = expect();
    reply(ack, answer(epoch));
  }
};

std::vector<TopicPartition> tps(std::initializer_list<TopicPartition> list) { return list; }

}  // namespace

TEST_CASE("KIP-848 join: epoch 0, every field, the client's member id; then only what changed") {
  Member g;
  const Heartbeat join = g.expect();
  CHECK(join.group_id == "g");
  CHECK(join.member_id == "client-made-id");
  CHECK(join.member_epoch == 0);
  CHECK(join.rebalance_timeout_ms == 60000);
  CHECK(join.rack_id == std::optional<std::string>("rack-1"));
  CHECK(join.server_assignor == std::optional<std::string>("uniform"));
  CHECK(join.subscribed_topic_names == std::optional<std::vector<std::string>>({"a", "b"}));
  REQUIRE(join.topic_partitions.has_value());  // joining: empty, not null
  CHECK(join.topic_partitions->empty());
  CHECK(encodes(join, 1));
  CHECK(encodes(join, 0));
  g.expect_nothing();  // one heartbeat in flight at a time

  g.reply(join, answer(1, Owned{{kA, {0, 1}, {}}}, 2000));
  CHECK(g.m.member_epoch() == 1);
  CHECK(g.m.heartbeat_interval() == 2000ms);
  CHECK(g.m.state() == State::reconciling);
  const auto events = g.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0] == RebalanceEvent{Kind::assigned, tps({{"a", 0}, {"a", 1}}), {}});

  // Acknowledged at once, not after the interval: only the owned set changed.
  const Heartbeat ack = g.expect();
  CHECK(ack.member_epoch == 1);
  CHECK_FALSE(ack.subscribed_topic_names.has_value());
  CHECK_FALSE(ack.server_assignor.has_value());
  CHECK(ack.rebalance_timeout_ms == -1);
  REQUIRE(ack.topic_partitions.has_value());
  CHECK(*ack.topic_partitions == Owned{{kA, {0, 1}, {}}});
  g.reply(ack, answer(1));
  CHECK(g.m.state() == State::stable);

  // Then on the broker's interval, with nothing that changed.
  g.advance(1999ms);
  g.expect_nothing();
  g.advance(1ms);
  const Heartbeat beat = g.expect();
  CHECK(beat.member_epoch == 1);
  CHECK_FALSE(beat.topic_partitions.has_value());
  CHECK_FALSE(beat.subscribed_topic_names.has_value());
  CHECK(beat.instance_id == std::nullopt);
}

TEST_CASE("KIP-848 v0 broker: the member id it answers with is the one used from then on") {
  Member g;
  const Heartbeat join = g.expect();
  Answer a = answer(3, Owned{});
  a.member_id = "broker-made-id";
  g.reply(join, a);
  g.advance(2s);
  CHECK(g.expect().member_id == "broker-made-id");
  CHECK(g.m.member_id() == "broker-made-id");
}

TEST_CASE("KIP-848 reconcile: revoked partitions are committed and revoked before new ones are assigned") {
  Member g;
  g.join(1, Owned{{kA, {0, 1}, {}}});
  CHECK(g.m.may_commit({"a", 0}));

  g.advance(2s);
  const Heartbeat beat = g.expect();
  // The coordinator moves a-0 away and gives b-0 (the member keeps epoch 1
  // until it acknowledges the revocation).
  g.reply(beat, answer(1, Owned{{kA, {1}, {}}, {kB, {0}, {}}}));
  CHECK(g.m.state() == State::reconciling);
  CHECK(g.m.commit_before_revoke() == tps({{"a", 0}}));
  CHECK(g.m.may_commit({"a", 0}));  // still ours until revoked: its offsets go first
  CHECK_FALSE(g.m.next_event().has_value());

  // A heartbeat due meanwhile still reports a-0: nothing is acknowledged yet.
  g.advance(2s);
  const Heartbeat during = g.expect();
  CHECK_FALSE(during.topic_partitions.has_value());
  g.reply(during, answer(1));

  g.m.revoke_commit_done();
  CHECK(g.m.commit_before_revoke().empty());
  auto first = g.m.next_event();
  auto second = g.m.next_event();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*first == RebalanceEvent{Kind::revoked, tps({{"a", 0}}), {}});
  CHECK(*second == RebalanceEvent{Kind::assigned, tps({{"b", 0}}), {}});
  // Callbacks not run yet: the revocation is not acknowledged.
  g.expect_nothing();
  g.m.events_handled();
  const Heartbeat ack = g.expect();
  REQUIRE(ack.topic_partitions.has_value());
  CHECK(*ack.topic_partitions == Owned{{kA, {1}, {}}, {kB, {0}, {}}});
  g.reply(ack, answer(2));
  CHECK(g.m.member_epoch() == 2);
  CHECK(g.m.owned() == std::set<TopicPartition>{{"a", 1}, {"b", 0}});
  CHECK_FALSE(g.m.may_commit({"a", 0}));
  CHECK(g.m.may_commit({"b", 0}));
}

TEST_CASE("KIP-848 reconcile: topic ids unknown to metadata wait, the rest is assigned") {
  ConsumerMembership m(config(), TimePoint{});
  m.on_coordinator_found(TimePoint{});
  m.subscribe({"a", "c"});
  const protocol::Uuid kC = topic_id(0xc);
  auto request = m.poll_request(TimePoint{});
  REQUIRE(request);
  m.on_topic_names({{kA, "a"}}, TimePoint{});
  m.on_response(std::get<Heartbeat>(*request), answer(1, Owned{{kA, {0}, {}}, {kC, {0, 1}, {}}}), TimePoint{});
  CHECK(m.unresolved_topic_ids() == std::vector<protocol::Uuid>{kC});
  auto e = m.next_event();
  REQUIRE(e);
  CHECK(*e == RebalanceEvent{Kind::assigned, tps({{"a", 0}}), {}});
  m.events_handled();
  auto ack = m.poll_request(TimePoint{});
  REQUIRE(ack);
  m.on_response(std::get<Heartbeat>(*ack), answer(1), TimePoint{});

  m.on_topic_names({{kC, "c"}}, TimePoint{});
  CHECK(m.unresolved_topic_ids().empty());
  e = m.next_event();
  REQUIRE(e);
  CHECK(*e == RebalanceEvent{Kind::assigned, tps({{"c", 0}, {"c", 1}}), {}});
}

TEST_CASE("KIP-848 fencing: FENCED_MEMBER_EPOCH and UNKNOWN_MEMBER_ID lose the partitions and rejoin at epoch 0") {
  for (const errc error : {errc::fenced_member_epoch, errc::unknown_member_id}) {
    CAPTURE(error);
    Member g;
    g.join(4, Owned{{kA, {0}, {}}});
    g.advance(2s);
    g.reply(g.expect(), error_answer(error));
    CHECK(g.m.state() == State::fenced);
    CHECK_FALSE(g.m.may_commit({"a", 0}));
    g.expect_nothing();  // the lost callback runs before the member rejoins
    const auto events = g.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind == Kind::lost);
    CHECK(events[0].partitions == tps({{"a", 0}}));
    CHECK(events[0].reason == make_error_code(error));
    const Heartbeat rejoin = g.expect();
    CHECK(rejoin.member_epoch == 0);
    CHECK(rejoin.member_id == "client-made-id");  // Java keeps its id
    CHECK(rejoin.subscribed_topic_names.has_value());
    REQUIRE(rejoin.topic_partitions.has_value());
    CHECK(rejoin.topic_partitions->empty());
  }
}

TEST_CASE("KIP-848 leave: epoch -1 after revoking; a static member leaves with -2") {
  Member dynamic;
  dynamic.join(2, Owned{{kA, {0}, {}}});
  dynamic.m.leave(dynamic.now, "closing");
  const auto events = dynamic.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0] == RebalanceEvent{Kind::revoked, tps({{"a", 0}}), {}});
  CHECK_FALSE(dynamic.m.finished());
  const Heartbeat leave = dynamic.expect();
  CHECK(leave.member_epoch == Heartbeat::leave_epoch);
  CHECK(leave.member_id == "client-made-id");
  CHECK(encodes(leave, 1));
  dynamic.expect_nothing();
  dynamic.reply(leave, error_answer(errc::unknown_member_id));  // gone already: fine
  CHECK(dynamic.m.finished());
  CHECK_FALSE(dynamic.m.fatal_error());

  Member fixed(config("instance-1"));
  fixed.join(2, Owned{{kA, {0}, {}}});
  fixed.m.leave(fixed.now, "closing");
  const Heartbeat static_leave = fixed.expect();
  CHECK(static_leave.member_epoch == Heartbeat::static_leave_epoch);
  CHECK(static_leave.instance_id == std::optional<std::string>("instance-1"));
  fixed.reply(static_leave, answer(-2));
  CHECK(fixed.m.finished());

  // A member that never joined has nobody to tell.
  ConsumerMembership never(config(), TimePoint{});
  never.on_coordinator_found(TimePoint{});
  never.leave(TimePoint{}, "closing");
  CHECK_FALSE(never.poll_request(TimePoint{}).has_value());
  CHECK(never.finished());
}

TEST_CASE("KIP-848 fatal errors: the member gives up with the coordinator's error") {
  for (const errc error : {errc::unreleased_instance_id, errc::group_max_size_reached, errc::unsupported_assignor,
                           errc::group_authorization_failed, errc::topic_authorization_failed,
                           errc::fenced_instance_id, errc::invalid_request}) {
    CAPTURE(error);
    Member g;
    g.reply(g.expect(), error_answer(error, "broker says why"));
    CHECK(g.m.state() == State::fatal);
    CHECK(g.m.fatal_error() == make_error_code(error));
    CHECK(g.m.fatal_message() == "broker says why");
    g.advance(10s);
    g.expect_nothing();
    CHECK(g.m.finished());
  }
}

TEST_CASE("KIP-848 on a broker without it: a clear group_protocol_unsupported error") {
  SUBCASE("UNSUPPORTED_VERSION answer (Kafka 4.x with the protocol disabled)") {
    Member g;
    g.reply(g.expect(), error_answer(errc::unsupported_version));
    CHECK(g.m.fatal_error() == make_error_code(consumer_errc::group_protocol_unsupported));
  }
  SUBCASE("ConsumerGroupHeartbeat not in ApiVersions (Kafka 3.9 default)") {
    Member g;
    const Heartbeat join = g.expect();
    g.m.on_request_failed(join, make_error_code(kwire::client_errc::unsupported_version), g.now);
    CHECK(g.m.fatal_error() == make_error_code(consumer_errc::group_protocol_unsupported));
    CHECK(g.m.fatal_message().find("ApiVersions") != std::string::npos);
  }
  CHECK(std::string(make_error_code(consumer_errc::group_protocol_unsupported).message()).find("KIP-848") !=
        std::string::npos);
}

TEST_CASE("KIP-848 coordinator errors and lost answers: resend at once with every field") {
  Member g;
  g.join(1, Owned{{kA, {0}, {}}});
  g.advance(2s);
  g.reply(g.expect(), error_answer(errc::not_coordinator));
  CHECK(g.m.needs_coordinator());
  g.expect_nothing();
  g.m.on_coordinator_found(g.now);
  const Heartbeat again = g.expect();
  CHECK(again.member_epoch == 1);
  CHECK(again.subscribed_topic_names.has_value());
  REQUIRE(again.topic_partitions.has_value());
  CHECK(*again.topic_partitions == Owned{{kA, {0}, {}}});
  g.reply(again, answer(1));

  // A heartbeat that got no answer (disconnected): after the backoff, full.
  g.advance(2s);
  const Heartbeat lost = g.expect();
  g.m.on_request_failed(lost, make_error_code(kwire::client_errc::timed_out), g.now);
  g.expect_nothing();
  g.advance(100ms);
  const Heartbeat full = g.expect();
  CHECK(full.topic_partitions.has_value());
  CHECK(full.rebalance_timeout_ms == 60000);
  CHECK(g.m.state() == State::stable);

  // COORDINATOR_LOAD_IN_PROGRESS: after the backoff.
  g.reply(full, error_answer(errc::coordinator_load_in_progress));
  g.expect_nothing();
  g.advance(100ms);
  CHECK(g.expect().member_epoch == 1);
}

TEST_CASE("KIP-848 subscription change: heartbeat at once with the new names only") {
  Member g;
  g.join(1, Owned{{kA, {0}, {}}});
  g.m.subscribe({"a"});
  const Heartbeat beat = g.expect();
  CHECK(beat.subscribed_topic_names == std::optional<std::vector<std::string>>({"a"}));
  CHECK_FALSE(beat.topic_partitions.has_value());
  g.reply(beat, answer(1));

  // An empty subscription leaves the group.
  g.m.subscribe({});
  const auto events = g.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == Kind::revoked);
  CHECK(g.expect().member_epoch == Heartbeat::leave_epoch);
}

TEST_CASE("KIP-848 max.poll.interval.ms: the member leaves, loses its partitions, and rejoins at the next poll") {
  Member g;
  g.join(1, Owned{{kA, {0}, {}}});
  for (int i = 0; i < 40; ++i) {  // heartbeats go on without polls
    g.now += 2s;
    if (auto r = g.m.poll_request(g.now)) {
      const Heartbeat& beat = std::get<Heartbeat>(*r);
      if (beat.member_epoch < 0) {
        CHECK(g.now - (TimePoint{} + 1000h) > 60s);
        CHECK(g.m.state() == State::stale);
        g.reply(beat, answer(-1));
        break;
      }
      g.reply(beat, answer(1));
    }
  }
  REQUIRE(g.m.state() == State::stale);
  g.m.on_poll(g.now);
  const auto events = g.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == Kind::lost);
  CHECK(events[0].reason == make_error_code(consumer_errc::max_poll_interval_exceeded));
  CHECK(g.expect().member_epoch == 0);
}

TEST_CASE("KIP-848 commits: member id and epoch (OffsetCommit v9), owned partitions only, epoch errors") {
  Member g;
  g.join(5, Owned{{kA, {0}, {}}});
  std::vector<TopicPartition> refused;
  auto commit = g.m.commit_request({{{"a", 0}, 42, 3, ""}, {{"b", 0}, 7, -1, ""}}, &refused);
  REQUIRE(commit);
  CHECK(commit->member_id == "client-made-id");
  CHECK(commit->generation_id_or_member_epoch == 5);
  REQUIRE(commit->topics.size() == 1);
  CHECK(commit->topics[0].partitions[0].committed_offset == 42);
  CHECK(refused == tps({{"b", 0}}));
  CHECK(encodes(*commit, protocol::OffsetCommitRequest::first_member_epoch_version));

  protocol::OffsetCommitResponse stale;
  stale.topics.push_back({"a", {}, {{0, errc::stale_member_epoch, {}}}, {}});
  const auto answered = g.m.heartbeats_answered();
  CHECK(g.m.on_commit_response(*commit, stale, g.now) == make_error_code(errc::stale_member_epoch));
  const Heartbeat beat = g.expect();  // at once, for the current epoch
  g.reply(beat, answer(6));
  CHECK(g.m.heartbeats_answered() == answered + 1);
  CHECK(g.m.commit_request({{{"a", 0}, 42, 3, ""}})->generation_id_or_member_epoch == 6);

  // UNKNOWN_MEMBER_ID about an older epoch changes nothing; about the current one it fences.
  protocol::OffsetCommitResponse unknown;
  unknown.topics.push_back({"a", {}, {{0, errc::unknown_member_id, {}}}, {}});
  CHECK(g.m.on_commit_response(*commit, unknown, g.now) == make_error_code(errc::unknown_member_id));
  CHECK(g.m.state() == State::stable);
  const auto current = g.m.commit_request({{{"a", 0}, 43, 3, ""}});
  REQUIRE(current);
  (void)g.m.on_commit_response(*current, unknown, g.now);
  CHECK(g.m.state() == State::fenced);
  CHECK_FALSE(g.m.commit_request({{{"a", 0}, 43, 3, ""}}).has_value());
}

TEST_CASE("KIP-848 reconcile: a newer target waits for the callbacks of the current reconciliation") {
  Member g;
  g.join(1, Owned{{kA, {0, 1}, {}}});
  g.advance(2s);
  g.reply(g.expect(), answer(1, Owned{{kA, {0, 1}, {}}, {kB, {0}, {}}}));
  auto first = g.m.next_event();
  REQUIRE(first);
  CHECK(*first == RebalanceEvent{Kind::assigned, tps({{"b", 0}}), {}});
  // Before the application ran that callback, the coordinator moves a-1 away.
  g.advance(2s);
  const Heartbeat beat = g.expect();
  CHECK_FALSE(beat.topic_partitions.has_value());  // b-0 is not acknowledged yet
  g.reply(beat, answer(2, Owned{{kA, {0}, {}}, {kB, {0}, {}}}));
  CHECK_FALSE(g.m.next_event().has_value());
  CHECK(g.m.commit_before_revoke().empty());
  g.m.events_handled();
  // The first reconciliation is acknowledged, the second starts: a-1 is
  // committed and revoked next.
  CHECK(g.m.commit_before_revoke() == tps({{"a", 1}}));
  const Heartbeat ack = g.expect();
  REQUIRE(ack.topic_partitions.has_value());
  CHECK(*ack.topic_partitions == Owned{{kA, {0, 1}, {}}, {kB, {0}, {}}});
  g.m.revoke_commit_done();
  const auto events = g.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0] == RebalanceEvent{Kind::revoked, tps({{"a", 1}}), {}});
}

TEST_CASE("KIP-848: an answer meant for the member before it was fenced is ignored") {
  Member g;
  g.join(3, Owned{{kA, {0}, {}}});
  g.advance(2s);
  const Heartbeat before = g.expect();
  // A commit answer fences the member while that heartbeat is out.
  const auto commit = g.m.commit_request({{{"a", 0}, 1, -1, ""}});
  REQUIRE(commit);
  protocol::OffsetCommitResponse fenced;
  fenced.topics.push_back({"a", {}, {{0, errc::fenced_member_epoch, {}}}, {}});
  (void)g.m.on_commit_response(*commit, fenced, g.now);
  REQUIRE(g.m.state() == State::fenced);
  (void)g.events();
  // The late answer to the old heartbeat brings back neither epoch nor partitions.
  g.reply(before, answer(3, Owned{{kA, {0}, {}}}));
  CHECK(g.m.member_epoch() == 0);
  CHECK(g.m.owned().empty());
  CHECK_FALSE(g.m.next_event().has_value());
}
