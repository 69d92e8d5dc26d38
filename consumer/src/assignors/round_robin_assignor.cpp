// "roundrobin" (Java RoundRobinAssignor): all partitions of all topics any
// member subscribes to, sorted by topic then partition, dealt in turn to the
// members in member order. A member not subscribed to a partition's topic
// is skipped for it (and keeps its place for the next partition).
#include "assignors.hpp"

#include <set>

namespace kwire::consumer::assignors {

GroupAssignment RoundRobinAssignor::assign(const std::vector<GroupMember>& members,
                                           const std::map<std::string, std::int32_t>& partitions_per_topic) const {
  const auto ordered = in_member_order(members);
  std::set<std::string> topics;
  for (const auto& member : members) topics.insert(member.subscription.topics.begin(), member.subscription.topics.end());

  PartitionLists lists;
  std::size_t next = 0;  // the member the next partition is offered to first
  for (const auto& topic : topics) {
    auto count = partitions_per_topic.find(topic);
    if (count == partitions_per_topic.end()) continue;
    for (std::int32_t p = 0; p < count->second; ++p) {
      // Some member subscribes to `topic` (it is in `topics`), so this ends.
      while (!subscribes_to(*ordered[next], topic)) next = (next + 1) % ordered.size();
      lists[ordered[next]->member_id].push_back({topic, p});
      next = (next + 1) % ordered.size();
    }
  }
  return to_group_assignment(members, lists);
}

}  // namespace kwire::consumer::assignors
