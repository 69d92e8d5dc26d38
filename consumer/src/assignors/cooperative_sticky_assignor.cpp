// "cooperative-sticky" (KIP-429; Java CooperativeStickyAssignor over
// AbstractStickyAssignor, rules re-derived, not ported):
//
//  1. Ownership claims are validated as Java does (KAFKA-12984): a claim for
//     a topic nobody may be assigned is dropped; when two members claim one
//     partition, the higher generation keeps it and, in the same generation,
//     neither does.
//  2. Members keep their valid claims; unowned partitions go, fewest
//     eligible members first, to the least loaded member that may take them.
//  3. Balance: while a member has at least two partitions more than another
//     member that could take one of them, one moves (the one it did not own
//     before, else the last in (partition, topic) order, the order in which
//     Java keeps owned partitions). Each move lowers the sum of squared
//     loads, so this ends; with equal subscriptions it ends with loads
//     differing by at most one, as Java's constrained assignment does.
//  4. Cooperative: a partition given to a member that did not claim it while
//     another member still claims it is left out of this assignment. Its
//     owner sees it missing, revokes it and rejoins; in that next rebalance
//     nobody claims it and it is assigned. So no partition is ever owned by
//     two members at once.
#include "assignors.hpp"

#include <algorithm>
#include <set>

namespace kwire::consumer::assignors {
namespace {

struct Member {
  const GroupMember* group_member = nullptr;
  std::int32_t generation = -1;
  std::set<TopicPartition> claimed;  ///< as the subscription says (step 4)
  std::set<TopicPartition> valid_owned;
  std::vector<TopicPartition> assigned;
};

/// Position in the order Java keeps owned partitions: by partition, then topic.
bool keep_order(const TopicPartition& a, const TopicPartition& b) {
  return a.partition != b.partition ? a.partition < b.partition : a.topic < b.topic;
}

class Builder {
 public:
  Builder(const std::vector<GroupMember>& members, const std::map<std::string, std::int32_t>& partitions_per_topic) {
    for (const GroupMember* member : in_member_order(members)) {
      Member m;
      m.group_member = member;
      m.generation = subscription_generation(member->subscription);
      for (const auto& owned : member->subscription.owned_partitions)
        for (std::int32_t p : owned.partitions) m.claimed.insert({owned.topic, p});
      members_.push_back(std::move(m));
    }
    for (const auto& [topic, count] : partitions_per_topic) {
      std::vector<std::size_t> subscribers;
      for (std::size_t i = 0; i < members_.size(); ++i)
        if (subscribes_to(*members_[i].group_member, topic)) subscribers.push_back(i);
      if (subscribers.empty() || count <= 0) continue;
      partition_counts_[topic] = count;
      subscribers_[topic] = std::move(subscribers);
    }
  }

  PartitionLists build() {
    validate_claims();
    keep_valid_claims();
    assign_unowned();
    balance();
    leave_out_partitions_changing_owner();
    PartitionLists lists;
    for (auto& m : members_) {
      std::sort(m.assigned.begin(), m.assigned.end());
      lists[m.group_member->member_id] = std::move(m.assigned);
    }
    return lists;
  }

 private:
  bool assignable(const TopicPartition& tp) const {
    auto count = partition_counts_.find(tp.topic);
    return count != partition_counts_.end() && tp.partition >= 0 && tp.partition < count->second;
  }

  void validate_claims() {
    std::map<TopicPartition, std::size_t> owner;  // the claimant of the highest generation so far
    for (std::size_t i = 0; i < members_.size(); ++i) {
      Member& m = members_[i];
      for (const auto& tp : m.claimed) {
        if (!assignable(tp) || !subscribes_to(*m.group_member, tp.topic)) continue;
        auto [it, fresh] = owner.emplace(tp, i);
        if (fresh) {
          m.valid_owned.insert(tp);
          continue;
        }
        Member& other = members_[it->second];
        if (m.generation > other.generation) {
          other.valid_owned.erase(tp);
          m.valid_owned.insert(tp);
          it->second = i;
        } else if (m.generation == other.generation) {
          other.valid_owned.erase(tp);  // claimed twice in one generation: neither keeps it
        }
      }
    }
  }

  void keep_valid_claims() {
    for (auto& m : members_) {
      m.assigned.assign(m.valid_owned.begin(), m.valid_owned.end());
      std::sort(m.assigned.begin(), m.assigned.end(), keep_order);
      for (const auto& tp : m.assigned) taken_.insert(tp);
    }
  }

  /// The eligible member with the fewest partitions (first in member order).
  std::size_t least_loaded(const std::string& topic) const {
    const auto& candidates = subscribers_.at(topic);
    std::size_t best = candidates.front();
    for (std::size_t i : candidates)
      if (members_[i].assigned.size() < members_[best].assigned.size()) best = i;
    return best;
  }

  void assign_unowned() {
    std::vector<TopicPartition> unowned;
    for (const auto& [topic, count] : partition_counts_)
      for (std::int32_t p = 0; p < count; ++p)
        if (!taken_.contains({topic, p})) unowned.push_back({topic, p});
    // Partitions few members may take are placed first, while those members
    // still have room (Java's general assignment does the same).
    std::stable_sort(unowned.begin(), unowned.end(), [this](const TopicPartition& a, const TopicPartition& b) {
      return subscribers_.at(a.topic).size() < subscribers_.at(b.topic).size();
    });
    for (const auto& tp : unowned) members_[least_loaded(tp.topic)].assigned.push_back(tp);
  }

  /// One move that lowers the imbalance, or false when none exists.
  bool move_one() {
    std::vector<std::size_t> by_load(members_.size());
    for (std::size_t i = 0; i < by_load.size(); ++i) by_load[i] = i;
    std::stable_sort(by_load.begin(), by_load.end(), [this](std::size_t a, std::size_t b) {
      return members_[a].assigned.size() > members_[b].assigned.size();
    });
    for (std::size_t source : by_load) {
      auto& from = members_[source].assigned;
      if (from.size() < 2) return false;
      // Partitions it did not own are cheapest to move; then the last kept.
      std::vector<std::size_t> order(from.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = from.size() - 1 - i;
      std::stable_partition(order.begin(), order.end(),
                            [&](std::size_t i) { return !members_[source].valid_owned.contains(from[i]); });
      for (std::size_t i : order) {
        const std::size_t target = least_loaded(from[i].topic);
        if (members_[target].assigned.size() + 1 < from.size()) {
          members_[target].assigned.push_back(from[i]);
          from.erase(from.begin() + static_cast<std::ptrdiff_t>(i));
          return true;
        }
      }
    }
    return false;
  }

  void balance() {
    while (move_one()) {
    }
  }

  void leave_out_partitions_changing_owner() {
    std::set<TopicPartition> claimed_elsewhere;  // claimed by a member not given it
    for (const auto& m : members_) {
      std::set<TopicPartition> assigned(m.assigned.begin(), m.assigned.end());
      for (const auto& tp : m.claimed)
        if (!assigned.contains(tp)) claimed_elsewhere.insert(tp);
    }
    for (auto& m : members_) {
      std::erase_if(m.assigned, [&](const TopicPartition& tp) {
        return !m.claimed.contains(tp) && claimed_elsewhere.contains(tp);
      });
    }
  }

  std::vector<Member> members_;  // in member order
  std::map<std::string, std::int32_t> partition_counts_;
  std::map<std::string, std::vector<std::size_t>> subscribers_;
  std::set<TopicPartition> taken_;
};

}  // namespace

std::optional<std::vector<std::uint8_t>> CooperativeStickyAssignor::subscription_user_data(
    std::int32_t generation) const {
  const auto g = static_cast<std::uint32_t>(generation);
  return std::vector<std::uint8_t>{static_cast<std::uint8_t>(g >> 24), static_cast<std::uint8_t>(g >> 16),
                                   static_cast<std::uint8_t>(g >> 8), static_cast<std::uint8_t>(g)};
}

GroupAssignment CooperativeStickyAssignor::assign(const std::vector<GroupMember>& members,
                                                  const std::map<std::string, std::int32_t>& partitions_per_topic) const {
  return to_group_assignment(members, Builder(members, partitions_per_topic).build());
}

}  // namespace kwire::consumer::assignors
