// ConsumerCore::subscribe_pattern(), sans-I/O: the subscription follows the
// cluster's topic listing (what an all-topics Metadata answer names) as it
// changes, as Java's subscribe(Pattern) does; internal topics stay out
// unless exclude.internal.topics=false.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <variant>

#include "kwire/consumer/consumer_core.hpp"
#include "kwire/protocol/consumer_protocol.hpp"
#include "sole_leader.hpp"

using namespace kwire::consumer;
using namespace std::chrono_literals;
namespace protocol = kwire::protocol;
using kwire::cluster::ClusterTopic;

namespace {

using TimePoint = ConsumerCore::TimePoint;

ConsumerConfig make_config(bool exclude_internal = true) {
  ConsumerConfig c;
  c.bootstrap_servers = {"localhost:9092"};
  c.group_id = "g";
  c.enable_auto_commit = false;
  c.partition_assignment_strategy = {"range"};
  c.exclude_internal_topics = exclude_internal;
  c.validate();
  return c;
}

/// A cluster whose topic listing the test changes; every topic has one
/// partition led by node 1.
struct Listing {
  std::vector<ClusterTopic> topics;
  std::uint64_t generation = 0;
  bool known = false;

  void set(std::vector<ClusterTopic> next) {
    topics = std::move(next);
    ++generation;
    known = true;
  }

  ClusterView view() {
    return ClusterView{
        .leader = [](const TopicPartition&) -> std::optional<PartitionLeader> {
          return PartitionLeader{.node_id = 1, .leader_epoch = 0, .topic_id = {}};
        },
        .fetch_version = [](std::int32_t) -> std::int16_t { return 12; },
        .partition_count = [](const std::string&) -> std::optional<std::int32_t> { return 1; },
        .topic_name = [](const protocol::Uuid&) -> std::optional<std::string> { return std::nullopt; },
        .cluster_topics = [this]() -> ClusterView::TopicListing {
          return {known ? &topics : nullptr, generation};
        }};
  }
};

/// The JoinGroup run_once() sent, if any: its id and subscribed topics.
struct Join {
  std::uint64_t id = 0;
  std::vector<std::string> topics;
};
std::optional<Join> join_in(const std::vector<OutgoingRequest>& out) {
  for (const auto& o : out) {
    if (!std::holds_alternative<protocol::JoinGroupRequest>(o.request)) continue;
    const auto& join = std::get<protocol::JoinGroupRequest>(o.request);
    REQUIRE_FALSE(join.protocols.empty());
    protocol::ConsumerProtocolSubscription subscription;
    REQUIRE_FALSE(protocol::decode_consumer_protocol(join.protocols.front().metadata, subscription));
    return Join{o.id, subscription.topics};
  }
  return std::nullopt;
}

/// One application poll and one network round.
std::vector<OutgoingRequest> round(ConsumerCore& core, Listing& listing, TimePoint now) {
  core.begin_poll(now);
  while (core.next_event()) {
  }
  core.events_handled();
  return core.run_once(now, listing.view());
}

/// The JoinGroup of the next few rounds (a changed subscription is noticed
/// in one round, the join starts at the next poll).
std::optional<Join> next_join(ConsumerCore& core, Listing& listing, TimePoint& now) {
  for (int i = 0; i < 4; ++i)
    if (auto join = join_in(round(core, listing, now += 10ms))) return join;
  return std::nullopt;
}

/// Answers `join` making the member the group's only member and leader,
/// then its SyncGroup with the assignment it computed.
void complete_join(ConsumerCore& core, Listing& listing, const Join& join, TimePoint now) {
  core.on_response(join.id, kwire::test::sole_leader_join(join.topics), now);
  for (const auto& o : core.run_once(now, listing.view())) {
    if (!std::holds_alternative<protocol::SyncGroupRequest>(o.request)) continue;
    protocol::SyncGroupResponse synced;
    synced.protocol_name = "range";
    synced.assignment = std::get<protocol::SyncGroupRequest>(o.request).assignments.at(0).assignment;
    core.on_response(o.id, std::move(synced), now);
    while (core.next_event()) {  // the assigned event applies the assignment
    }
    core.events_handled();
    return;
  }
  FAIL("no SyncGroup after the JoinGroup answer");
}

}  // namespace

TEST_CASE("ConsumerCore: a pattern subscription joins once a topic matches and follows topics created later") {
  const ConsumerConfig config = make_config();
  TimePoint now = TimePoint{} + 1h;
  ConsumerCore core(config, now);
  Listing listing;
  core.subscribe_pattern("orders-.*");
  REQUIRE(core.subscribed_pattern() == "orders-.*");

  // No listing yet, then one without a match: the member stays out of the group.
  CHECK_FALSE(next_join(core, listing, now).has_value());
  listing.set({{"__consumer_offsets", true}, {"payments", false}, {"xorders-1", false}});
  CHECK_FALSE(next_join(core, listing, now).has_value());
  CHECK_FALSE(core.in_group());

  // A matching topic appears: the member joins for exactly it (whole-name match).
  listing.set({{"__consumer_offsets", true}, {"orders-1", false}, {"payments", false}, {"xorders-1", false}});
  auto join = next_join(core, listing, now);
  REQUIRE(join.has_value());
  CHECK(join->topics == std::vector<std::string>{"orders-1"});
  CHECK(core.metadata_topics().contains("orders-1"));
  complete_join(core, listing, *join, now);
  CHECK(core.assignment() == std::vector<TopicPartition>{{"orders-1", 0}});

  // Another one is created: the member rejoins with both.
  listing.set({{"orders-1", false}, {"orders-2", false}, {"payments", false}});
  auto rejoined = next_join(core, listing, now);
  REQUIRE(rejoined.has_value());
  CHECK(rejoined->topics == std::vector<std::string>{"orders-1", "orders-2"});
  complete_join(core, listing, *rejoined, now);
  CHECK(core.assignment() == std::vector<TopicPartition>{{"orders-1", 0}, {"orders-2", 0}});

  // subscribe() with names replaces the pattern: listings no longer matter.
  core.subscribe({"payments"});
  CHECK_FALSE(core.subscribed_pattern().has_value());
  listing.set({{"orders-3", false}, {"payments", false}});
  auto replaced = next_join(core, listing, now);
  REQUIRE(replaced.has_value());
  CHECK(replaced->topics == std::vector<std::string>{"payments"});
}

TEST_CASE("ConsumerCore: internal topics match a pattern only with exclude.internal.topics=false") {
  TimePoint now = TimePoint{} + 1h;
  for (const bool exclude : {true, false}) {
    CAPTURE(exclude);
    const ConsumerConfig config = make_config(exclude);
    ConsumerCore core(config, now);
    Listing listing;
    core.subscribe_pattern("__.*|audit");
    listing.set({{"__consumer_offsets", true}, {"audit", false}});
    auto join = next_join(core, listing, now);
    REQUIRE(join.has_value());
    if (exclude) CHECK(join->topics == std::vector<std::string>{"audit"});
    else CHECK(join->topics == std::vector<std::string>{"__consumer_offsets", "audit"});
  }
}

TEST_CASE("ConsumerCore: a malformed pattern is refused clearly; a pattern excludes assign()") {
  const ConsumerConfig config = make_config();
  ConsumerCore core(config, TimePoint{} + 1h);
  try {
    core.subscribe_pattern("orders-(");
    FAIL("a malformed pattern was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("orders-(") != std::string::npos);
    CHECK(std::string(e.what()).find("not a regular expression") != std::string::npos);
  }
  CHECK_FALSE(core.subscribed_pattern().has_value());
  core.subscribe_pattern("orders-.*");
  CHECK_THROWS_AS(core.assign({{"orders-1", 0}}), std::logic_error);

  ConsumerConfig no_group = make_config();
  no_group.group_id.clear();
  ConsumerCore without_group(no_group, TimePoint{} + 1h);
  CHECK_THROWS_AS(without_group.subscribe_pattern("orders-.*"), std::invalid_argument);
}
