// Assignors: range and roundrobin against the examples in Kafka's own
// documentation of RangeAssignor / RoundRobinAssignor; cooperative-sticky
// for balance, stickiness across membership changes, the KIP-429 rule that
// a partition never changes owner within one rebalance, and determinism.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kwire/consumer/assignor.hpp"
#include "kwire/consumer/topic_partition.hpp"

using namespace kwire::consumer;
using kwire::protocol::ConsumerProtocolSubscription;

namespace {

using Owned = std::map<std::string, std::set<TopicPartition>>;

GroupMember member(std::string id, std::vector<std::string> topics, std::optional<std::string> instance = {}) {
  GroupMember m;
  m.member_id = std::move(id);
  m.group_instance_id = std::move(instance);
  m.subscription.topics = std::move(topics);
  return m;
}

/// The assignment as sets, checking each member's ConsumerProtocol form.
Owned as_sets(const GroupAssignment& assignment) {
  Owned out;
  for (const auto& [id, a] : assignment) {
    auto& set = out[id];
    for (const auto& t : a.assigned_partitions) {
      for (auto p : t.partitions) CHECK(set.insert({t.topic, p}).second);
    }
  }
  return out;
}

std::vector<TopicPartition> list(const GroupAssignment& assignment, const std::string& id) {
  std::vector<TopicPartition> out;
  for (const auto& t : assignment.at(id).assigned_partitions)
    for (auto p : t.partitions) out.push_back({t.topic, p});
  return out;
}

std::vector<TopicPartition> tps(std::initializer_list<std::pair<const char*, int>> items) {
  std::vector<TopicPartition> out;
  for (auto [t, p] : items) out.push_back({t, p});
  return out;
}

/// Every partition of `topics` subscribed by someone is assigned exactly once.
void check_complete(const Owned& owned, const std::map<std::string, std::int32_t>& topics) {
  std::set<TopicPartition> seen;
  for (const auto& [id, set] : owned)
    for (const auto& tp : set) CHECK_MESSAGE(seen.insert(tp).second, tp.topic << "-" << tp.partition << " twice");
  std::size_t total = 0;
  for (const auto& [t, n] : topics) total += static_cast<std::size_t>(n);
  CHECK(seen.size() == total);
}

std::pair<std::size_t, std::size_t> load_range(const Owned& owned) {
  std::size_t lo = SIZE_MAX, hi = 0;
  for (const auto& [id, set] : owned) {
    lo = std::min(lo, set.size());
    hi = std::max(hi, set.size());
  }
  return {lo, hi};
}

/// A group running cooperative rebalances: members report what they own and
/// the generation they got it in; after each assignment they keep only what
/// is assigned (revoking the rest), as ConsumerCoordinator does.
struct CooperativeGroup {
  std::map<std::string, std::vector<std::string>> subscriptions;
  Owned owned;
  std::map<std::string, std::int32_t> topics;
  std::int32_t generation = 1;
  std::unique_ptr<Assignor> assignor = make_assignor("cooperative-sticky");

  void join(const std::string& id, std::vector<std::string> topics_) {
    subscriptions[id] = std::move(topics_);
    owned[id];
  }
  void leave(const std::string& id) {
    subscriptions.erase(id);
    owned.erase(id);
  }

  /// One rebalance; returns true when some member revoked something (and so
  /// would rejoin at once).
  bool rebalance() {
    std::vector<GroupMember> members;
    for (const auto& [id, subscribed] : subscriptions) {
      GroupMember m = member(id, subscribed);
      m.subscription.generation_id = generation;
      std::map<std::string, std::vector<std::int32_t>> by_topic;
      for (const auto& tp : owned[id]) by_topic[tp.topic].push_back(tp.partition);
      for (auto& [t, ps] : by_topic) m.subscription.owned_partitions.push_back({t, ps});
      members.push_back(std::move(m));
    }
    const Owned assigned = as_sets(assignor->assign(members, topics));
    ++generation;
    // KIP-429: nothing is given to a member while another still owns it.
    for (const auto& [id, set] : assigned)
      for (const auto& tp : set)
        for (const auto& [other, theirs] : owned)
          if (other != id) CHECK_MESSAGE(!theirs.contains(tp), tp.topic << "-" << tp.partition << " given to " << id
                                                                       << " while " << other << " owns it");
    bool revoked = false;
    for (auto& [id, mine] : owned) {
      const auto& now = assigned.at(id);
      for (const auto& tp : mine) revoked |= !now.contains(tp);
      mine = now;
    }
    return revoked;
  }

  /// Rebalances until nobody revokes; returns the number of rebalances.
  int settle() {
    int rounds = 1;
    while (rebalance()) {
      ++rounds;
      REQUIRE(rounds < 10);
    }
    return rounds;
  }
};

std::size_t moved(const Owned& before, const Owned& after) {
  std::size_t n = 0;
  for (const auto& [id, set] : after)
    for (const auto& tp : set) {
      auto it = before.find(id);
      if (it == before.end() || !it->second.contains(tp)) ++n;
    }
  return n;
}

}  // namespace

TEST_CASE("make_assignor knows the three built-in names") {
  CHECK(make_assignor("range")->rebalance_protocol() == RebalanceProtocol::eager);
  CHECK(make_assignor("roundrobin")->name() == "roundrobin");
  CHECK(make_assignor("cooperative-sticky")->rebalance_protocol() == RebalanceProtocol::cooperative);
  CHECK(make_assignor("sticky") == nullptr);
}

TEST_CASE("range: contiguous ranges per topic, extra partitions to the first members (RangeAssignor javadoc)") {
  auto range = make_assignor("range");
  std::vector<GroupMember> members{member("C1", {"t0", "t1"}), member("C0", {"t0", "t1"})};
  auto a = range->assign(members, {{"t0", 3}, {"t1", 3}});
  CHECK(list(a, "C0") == tps({{"t0", 0}, {"t0", 1}, {"t1", 0}, {"t1", 1}}));
  CHECK(list(a, "C1") == tps({{"t0", 2}, {"t1", 2}}));
}

TEST_CASE("range: static members come first, then members subscribed to each topic only") {
  auto range = make_assignor("range");
  std::vector<GroupMember> members{member("a", {"t0"}), member("z", {"t0", "t1"}, "instance-1"),
                                   member("b", {"t1", "missing"}), member("idle", {})};
  auto a = range->assign(members, {{"t0", 5}, {"t1", 2}, {"unsubscribed", 4}});
  CHECK(list(a, "z") == tps({{"t0", 0}, {"t0", 1}, {"t0", 2}, {"t1", 0}}));  // "instance-1" sorts first
  CHECK(list(a, "a") == tps({{"t0", 3}, {"t0", 4}}));
  CHECK(list(a, "b") == tps({{"t1", 1}}));
  CHECK(list(a, "idle").empty());
  CHECK(a.size() == 4);
}

TEST_CASE("roundrobin: partitions dealt in turn (RoundRobinAssignor javadoc examples)") {
  auto rr = make_assignor("roundrobin");
  SUBCASE("same subscriptions") {
    auto a = rr->assign({member("C0", {"t0", "t1"}), member("C1", {"t1", "t0"})}, {{"t0", 3}, {"t1", 3}});
    CHECK(list(a, "C0") == tps({{"t0", 0}, {"t0", 2}, {"t1", 1}}));
    CHECK(list(a, "C1") == tps({{"t0", 1}, {"t1", 0}, {"t1", 2}}));
  }
  SUBCASE("different subscriptions") {
    auto a = rr->assign({member("C0", {"t0"}), member("C1", {"t0", "t1"}), member("C2", {"t0", "t1", "t2"})},
                        {{"t0", 1}, {"t1", 2}, {"t2", 3}});
    CHECK(list(a, "C0") == tps({{"t0", 0}}));
    CHECK(list(a, "C1") == tps({{"t1", 0}}));
    CHECK(list(a, "C2") == tps({{"t1", 1}, {"t2", 0}, {"t2", 1}, {"t2", 2}}));
  }
}

TEST_CASE("cooperative-sticky: a fresh group is complete and balanced") {
  auto sticky = make_assignor("cooperative-sticky");
  std::map<std::string, std::int32_t> topics{{"a", 4}, {"b", 3}, {"c", 3}};
  auto owned = as_sets(sticky->assign({member("m1", {"a", "b", "c"}), member("m2", {"a", "b", "c"}),
                                       member("m3", {"a", "b", "c"})},
                                      topics));
  check_complete(owned, topics);
  CHECK(load_range(owned) == std::pair<std::size_t, std::size_t>{3, 4});
}

TEST_CASE("cooperative-sticky: a joining member takes partitions in two rebalances, moving only its share") {
  CooperativeGroup group;
  group.topics = {{"orders", 12}};
  for (auto id : {"m1", "m2", "m3"}) group.join(id, {"orders"});
  CHECK(group.settle() == 1);
  const Owned before = group.owned;
  check_complete(before, group.topics);
  CHECK(load_range(before) == std::pair<std::size_t, std::size_t>{4, 4});

  group.join("m4", {"orders"});
  // Round 1 only revokes (m4 gets nothing that another member still holds);
  // round 2 assigns what was revoked; then it is stable.
  CHECK(group.rebalance());
  CHECK(group.owned["m4"].empty());
  CHECK_FALSE(group.rebalance());
  check_complete(group.owned, group.topics);
  CHECK(load_range(group.owned) == std::pair<std::size_t, std::size_t>{3, 3});
  CHECK(moved(before, group.owned) == 3);  // exactly m4's share moved
  for (auto id : {"m1", "m2", "m3"})
    for (const auto& tp : group.owned[id]) CHECK(before.at(id).contains(tp));
}

TEST_CASE("cooperative-sticky: a leaving member's partitions are spread in one rebalance, nothing else moves") {
  CooperativeGroup group;
  group.topics = {{"t", 10}, {"u", 5}};
  for (auto id : {"a", "b", "c", "d"}) group.join(id, {"t", "u"});
  group.settle();
  const Owned before = group.owned;
  group.leave("b");
  CHECK(group.settle() == 1);
  check_complete(group.owned, group.topics);
  CHECK(load_range(group.owned) == std::pair<std::size_t, std::size_t>{5, 5});
  for (auto id : {"a", "c", "d"})
    for (const auto& tp : before.at(id)) CHECK(group.owned[id].contains(tp));
}

TEST_CASE("cooperative-sticky: different subscriptions only assign subscribed topics, as balanced as they allow") {
  CooperativeGroup group;
  group.topics = {{"t0", 6}, {"t1", 6}};
  group.join("only-t0", {"t0"});
  group.join("both-1", {"t0", "t1"});
  group.join("both-2", {"t0", "t1"});
  group.settle();
  check_complete(group.owned, group.topics);
  for (const auto& tp : group.owned["only-t0"]) CHECK(tp.topic == "t0");
  CHECK(load_range(group.owned) == std::pair<std::size_t, std::size_t>{4, 4});

  // A member that stops subscribing to t1 gives it up; the rest stays put.
  const Owned before = group.owned;
  group.subscriptions["both-2"] = {"t0"};
  group.settle();
  check_complete(group.owned, group.topics);
  for (const auto& tp : group.owned["both-2"]) CHECK(tp.topic == "t0");
  CHECK(group.owned["both-1"].size() == 6);  // every t1 partition must be its...
  // ... so t0 is shared by the other two (3 each): only-t0 gives one up
  // and takes nothing new.
  CHECK(group.owned["only-t0"].size() == 3);
  for (const auto& tp : group.owned["only-t0"]) CHECK(before.at("only-t0").contains(tp));
}

TEST_CASE("cooperative-sticky: claims are validated by generation") {
  auto sticky = make_assignor("cooperative-sticky");
  std::map<std::string, std::int32_t> topics{{"t", 2}};
  auto claim = [](GroupMember m, std::int32_t generation, std::vector<std::int32_t> partitions) {
    m.subscription.generation_id = generation;
    m.subscription.owned_partitions = {{"t", std::move(partitions)}};
    return m;
  };
  SUBCASE("the higher generation keeps a partition claimed twice; the stale owner must give it up first") {
    auto a = as_sets(sticky->assign({claim(member("old", {"t"}), 3, {0, 1}), claim(member("new", {"t"}), 4, {0})},
                                    topics));
    CHECK(a["new"] == std::set<TopicPartition>{{"t", 0}});
    CHECK(a["old"] == std::set<TopicPartition>{{"t", 1}});
  }
  SUBCASE("the generation may come from UserData (subscriptions older than v2)") {
    GroupMember old_member = claim(member("x-old", {"t"}), -1, {0});
    old_member.subscription.user_data = std::vector<std::uint8_t>{0, 0, 0, 2};
    CHECK(subscription_generation(old_member.subscription) == 2);
    GroupMember new_member = claim(member("a-new", {"t"}), -1, {0});
    new_member.subscription.user_data = make_assignor("cooperative-sticky")->subscription_user_data(7);
    CHECK(subscription_generation(new_member.subscription) == 7);
    auto a = as_sets(sticky->assign({old_member, new_member}, topics));
    CHECK(a["a-new"].contains(TopicPartition{"t", 0}));
  }
  SUBCASE("a partition claimed twice in one generation is kept by neither until both stopped claiming it") {
    auto a = as_sets(sticky->assign({claim(member("p", {"t"}), 5, {0}), claim(member("q", {"t"}), 5, {0})}, topics));
    // One of them may be given t-0 (it claimed it); the other must revoke it.
    CHECK(a["p"].size() + a["q"].size() >= 1);
    CHECK_FALSE((a["p"].contains(TopicPartition{"t", 0}) && a["q"].contains(TopicPartition{"t", 0})));
  }
  SUBCASE("claims for partitions that no longer exist are ignored") {
    auto a = as_sets(sticky->assign({claim(member("p", {"t"}), 5, {0, 1, 7}), member("q", {"t"})}, topics));
    CHECK(a["p"].size() == 1);  // balanced: one each, t-7 ignored
    CHECK(a["q"].empty());      // q waits for p's revocation
  }
}

TEST_CASE("assignors are deterministic whatever the members' order") {
  std::vector<GroupMember> members;
  for (int i = 0; i < 9; ++i) {
    std::vector<std::string> topics{"t0", "t1"};
    if (i % 3 == 0) topics.push_back("t2");
    members.push_back(member("member-" + std::to_string(i), topics, i % 4 == 0 ? std::optional<std::string>("s" + std::to_string(9 - i)) : std::nullopt));
    if (i % 2 == 0) members.back().subscription.owned_partitions = {{"t0", {i, i + 1}}};
    members.back().subscription.generation_id = 3;
  }
  const std::map<std::string, std::int32_t> topics{{"t0", 17}, {"t1", 5}, {"t2", 8}};
  std::mt19937 rng(42);
  for (auto name : {"range", "roundrobin", "cooperative-sticky"}) {
    CAPTURE(name);
    auto assignor = make_assignor(name);
    const auto reference = assignor->assign(members, topics);
    auto shuffled = members;
    for (int round = 0; round < 5; ++round) {
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      CHECK(assignor->assign(shuffled, topics) == reference);
    }
  }
}

TEST_CASE("cooperative-sticky: many members and partitions stay balanced and sticky through churn") {
  CooperativeGroup group;
  for (int t = 0; t < 20; ++t) group.topics["topic-" + std::to_string(t)] = 50;  // 1000 partitions
  std::vector<std::string> all;
  for (const auto& [t, n] : group.topics) all.push_back(t);
  for (int i = 0; i < 100; ++i) group.join("m" + std::to_string(i), all);
  group.settle();
  check_complete(group.owned, group.topics);
  CHECK(load_range(group.owned) == std::pair<std::size_t, std::size_t>{10, 10});

  const Owned before = group.owned;
  std::size_t leavers_partitions = 0;
  for (int i = 0; i < 10; ++i) {
    leavers_partitions += group.owned["m" + std::to_string(i * 7)].size();
    group.leave("m" + std::to_string(i * 7));
  }
  for (int i = 0; i < 5; ++i) group.join("new" + std::to_string(i), all);
  CHECK(group.settle() == 1);  // nobody has to revoke: the leavers' partitions are free
  check_complete(group.owned, group.topics);
  const auto [lo, hi] = load_range(group.owned);
  CHECK(hi - lo <= 1);
  // Only the leavers' partitions move (1000 partitions over 95 members is
  // 10 or 11 each, so no survivor gives anything up).
  CHECK(moved(before, group.owned) == leavers_partitions);
}

TEST_CASE("cooperative-sticky: members joining a large group take partitions in two rebalances, never sooner") {
  CooperativeGroup group;
  for (int t = 0; t < 10; ++t) group.topics["t" + std::to_string(t)] = 60;  // 600 partitions
  std::vector<std::string> all;
  for (const auto& [t, n] : group.topics) all.push_back(t);
  for (int i = 0; i < 50; ++i) group.join("old" + std::to_string(i), all);
  group.settle();
  const Owned before = group.owned;
  for (int i = 0; i < 25; ++i) group.join("new" + std::to_string(i), all);  // 75 members: 8 each
  CHECK(group.rebalance());  // round 1: the old members give up 4 each, nobody new gets them
  for (int i = 0; i < 25; ++i) CHECK(group.owned["new" + std::to_string(i)].empty());
  CHECK_FALSE(group.rebalance());  // round 2: assigned, nothing more to revoke
  check_complete(group.owned, group.topics);
  CHECK(load_range(group.owned) == std::pair<std::size_t, std::size_t>{8, 8});
  CHECK(moved(before, group.owned) == 25 * 8);  // only the newcomers' share moved
}
