#include "assignor_support.hpp"

#include <algorithm>

namespace kwire::consumer::assignors {

std::vector<const GroupMember*> in_member_order(const std::vector<GroupMember>& members) {
  std::vector<const GroupMember*> ordered;
  ordered.reserve(members.size());
  for (const auto& member : members) ordered.push_back(&member);
  std::sort(ordered.begin(), ordered.end(), [](const GroupMember* a, const GroupMember* b) {
    const bool a_static = a->group_instance_id.has_value();
    const bool b_static = b->group_instance_id.has_value();
    if (a_static != b_static) return a_static;
    if (a_static && *a->group_instance_id != *b->group_instance_id)
      return *a->group_instance_id < *b->group_instance_id;
    return a->member_id < b->member_id;
  });
  return ordered;
}

bool subscribes_to(const GroupMember& member, const std::string& topic) {
  const auto& topics = member.subscription.topics;
  return std::find(topics.begin(), topics.end(), topic) != topics.end();
}

GroupAssignment to_group_assignment(const std::vector<GroupMember>& members, const PartitionLists& lists) {
  GroupAssignment out;
  for (const auto& member : members) out[member.member_id];
  for (const auto& [member_id, partitions] : lists) {
    auto& assigned = out[member_id].assigned_partitions;
    for (const auto& tp : partitions) {
      auto topic = std::find_if(assigned.begin(), assigned.end(), [&](const auto& t) { return t.topic == tp.topic; });
      if (topic == assigned.end()) topic = assigned.insert(assigned.end(), {tp.topic, {}});
      topic->partitions.push_back(tp.partition);
    }
  }
  return out;
}

}  // namespace kwire::consumer::assignors
