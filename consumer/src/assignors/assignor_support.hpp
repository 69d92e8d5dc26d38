#pragma once
// What the assignors share: Kafka's member order, subscription lookups and
// turning per-member partition lists into ConsumerProtocol assignments.
// Private to consumer/src.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kwire/consumer/assignor.hpp"
#include "kwire/consumer/topic_partition.hpp"

namespace kwire::consumer::assignors {

/// member id -> partitions, in the order they were assigned.
using PartitionLists = std::map<std::string, std::vector<TopicPartition>>;

/// Kafka's member order (AbstractPartitionAssignor.MemberInfo): members with
/// a group.instance.id first, by instance id, then the others by member id.
std::vector<const GroupMember*> in_member_order(const std::vector<GroupMember>& members);

/// True when the member's subscription lists `topic`.
bool subscribes_to(const GroupMember& member, const std::string& topic);

/// Every member gets an entry; partitions are grouped by topic in order of
/// first appearance, as Java's ConsumerProtocol.serializeAssignment does.
GroupAssignment to_group_assignment(const std::vector<GroupMember>& members, const PartitionLists& lists);

}  // namespace kwire::consumer::assignors
