// "range" (Java RangeAssignor, without the rack-aware pass: kwire's
// metadata does not give the assignor partition replica racks yet). Each
// topic is assigned on its own: its subscribers in member order get
// contiguous ranges of partitions, the first (partitions % subscribers) one
// partition more. Topics with the same partition count and subscribers are
// thus co-partitioned (partition i of each goes to the same member), which
// is what range is chosen for.
#include "assignors.hpp"

namespace kwire::consumer::assignors {

GroupAssignment RangeAssignor::assign(const std::vector<GroupMember>& members,
                                      const std::map<std::string, std::int32_t>& partitions_per_topic) const {
  const auto ordered = in_member_order(members);
  PartitionLists lists;
  for (const auto& [topic, count] : partitions_per_topic) {
    if (count <= 0) continue;
    std::vector<const GroupMember*> subscribers;
    for (const GroupMember* member : ordered)
      if (subscribes_to(*member, topic)) subscribers.push_back(member);
    if (subscribers.empty()) continue;
    const auto n = static_cast<std::int32_t>(subscribers.size());
    const std::int32_t per_member = count / n;
    const std::int32_t with_extra = count % n;
    std::int32_t next = 0;
    for (std::int32_t i = 0; i < n; ++i) {
      const std::int32_t take = per_member + (i < with_extra ? 1 : 0);
      auto& list = lists[subscribers[static_cast<std::size_t>(i)]->member_id];
      for (std::int32_t p = next; p < next + take; ++p) list.push_back({topic, p});
      next += take;
    }
  }
  return to_group_assignment(members, lists);
}

}  // namespace kwire::consumer::assignors
