// A classic group coordinator (JoinGroup, SyncGroup, Heartbeat, LeaveGroup),
// good enough for one or two consumers; only the group's coordinator answers
// (NOT_COORDINATOR elsewhere, see move_coordinator). Kafka's
// GroupCoordinator, simplified so that no request has to wait for another:
//  - the first JoinGroup of a member without an id gets MEMBER_ID_REQUIRED
//    and its id (KIP-394, v4+ without group.instance.id); its next join is
//    accepted;
//  - a join that finds every member in the current generation (a new
//    member, or a member of a stable group rejoining) starts the next
//    generation at once, with the joiner as its leader (Kafka's leader is
//    the first member to join the generation too). The leader's member list
//    holds every member, also those still to rejoin (with the metadata of
//    their last join);
//  - members of an older generation learn of it from Heartbeat
//    (REBALANCE_IN_PROGRESS while they have not rejoined) and join the
//    current generation without starting another; a member of the current
//    generation rejoining before the leader's SyncGroup gets the same
//    generation again;
//  - a follower's SyncGroup before the leader's is answered
//    REBALANCE_IN_PROGRESS (Kafka holds it instead);
//  - no session expiry: a member stays until LeaveGroup, or until a fault
//    answers one of its requests UNKNOWN_MEMBER_ID (the broker would have
//    expired it, so the mock forgets it).
// Faults: fail_next(api, error, count, group_id) answers the group's next
// requests of `api` with `error` (without a group: any group).
#include <algorithm>

#include "cluster_state.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/heartbeat.hpp"
#include "kwire/protocol/join_group.hpp"
#include "kwire/protocol/leave_group.hpp"
#include "kwire/protocol/sync_group.hpp"

namespace kwire::mock::detail {

ClassicMember* GroupState::classic_member(const std::string& id) {
  auto it = std::find_if(members.begin(), members.end(), [&](const ClassicMember& m) { return m.member_id == id; });
  return it == members.end() ? nullptr : &*it;
}

kwire::errc GroupState::generation_error(const std::string& member_id, std::int32_t generation_id) {
  const ClassicMember* member = classic_member(member_id);
  if (member == nullptr) return kwire::errc::unknown_member_id;
  if (generation_id == generation) return kwire::errc::none;
  return generation_id == member->joined_generation ? kwire::errc::rebalance_in_progress
                                                    : kwire::errc::illegal_generation;
}

void GroupState::forget(const std::string& member_id) {
  std::erase_if(members, [&](const ClassicMember& m) { return m.member_id == member_id; });
  std::erase_if(consumer_members, [&](const ConsumerGroupMember& m) { return m.member_id == member_id; });
}

ConsumerGroupMember* GroupState::consumer_member(const std::string& id) {
  auto it = std::find_if(consumer_members.begin(), consumer_members.end(),
                         [&](const ConsumerGroupMember& m) { return m.member_id == id; });
  return it == consumer_members.end() ? nullptr : &*it;
}

namespace {

const std::vector<std::uint8_t>* metadata_for(const ClassicMember& member, const std::string& protocol) {
  for (const auto& [name, metadata] : member.protocols)
    if (name == protocol) return &metadata;
  return nullptr;
}

}  // namespace

GroupState& ClusterState::group_for(ApiKey api, std::int32_t broker_id, const std::string& group_id,
                                    const std::string& member_id, kwire::errc& error,
                                    std::optional<std::int32_t> generation) {
  GroupState& group = groups_[group_id];
  if (auto rule = take_fail_rule(api, {{group_id, 0}})) {
    error = rule->error;
  } else {
    const auto type = static_cast<std::int8_t>(protocol::CoordinatorType::group);
    error = coordinator_for(type, group_id) == broker_id ? kwire::errc::none : kwire::errc::not_coordinator;
  }
  if (error == kwire::errc::unknown_member_id) group.forget(member_id);
  if (error == kwire::errc::none && generation) error = group.generation_error(member_id, *generation);
  return group;
}

Outcome ClusterState::handle_join_group(std::int32_t broker_id, const protocol::RequestHeader& header,
                                        std::span<const std::uint8_t> body) {
  using kwire::errc;
  const std::int16_t version = header.api_version;
  protocol::JoinGroupRequest request;
  if (protocol::decode_message(body, version, request)) return {};  // close
  protocol::JoinGroupResponse response;
  response.member_id = request.member_id;
  if (version >= 7) response.protocol_type = request.protocol_type;
  GroupState& group = group_for(ApiKey::join_group, broker_id, request.group_id, request.member_id, response.error_code);
  if (response.error_code == errc::none && request.protocols.empty()) response.error_code = errc::inconsistent_group_protocol;
  if (response.error_code != errc::none) return respond(header, response);

  ClassicMember* member = group.classic_member(request.member_id);
  if (request.member_id.empty()) {
    const std::string id = header.client_id.value_or("consumer") + "-" + std::to_string(group.next_member++);
    if (version >= 4 && !request.group_instance_id) {
      response.error_code = errc::member_id_required;  // KIP-394: rejoin with this id
      response.member_id = id;
      group.members.emplace_back().member_id = id;  // pending: joined_generation -1
      return respond(header, response);
    }
    member = &group.members.emplace_back();
    member->member_id = id;
  } else if (member == nullptr) {
    response.error_code = errc::unknown_member_id;
    return respond(header, response);
  }
  member->group_instance_id = request.group_instance_id;
  member->protocols.clear();
  for (const auto& p : request.protocols) member->protocols.emplace_back(p.name, p.metadata);

  const bool in_current = member->joined_generation == group.generation;
  const bool others_pending = std::any_of(group.members.begin(), group.members.end(), [&](const ClassicMember& m) {
    return &m != member && m.joined_generation >= 0 && m.joined_generation != group.generation;
  });
  // A member of the group before this generation started joins it; a
  // member already in it gets the same answer while the rebalance is open.
  const bool joins_open_generation = in_current ? group.awaiting_sync || others_pending
                                                : member->joined_generation >= 0 && !group.leader.empty();
  if (!joins_open_generation) {
    // The next generation, led by this member, with its preferred protocol.
    ++group.generation;
    group.leader = member->member_id;
    group.awaiting_sync = true;
    group.protocol_name = request.protocols.front().name;
    for (ClassicMember& m : group.members) m.assignment.clear();
  }
  member->joined_generation = group.generation;
  for (ClassicMember& m : group.members)
    if (const auto* metadata = metadata_for(m, group.protocol_name)) m.metadata = *metadata;

  response.generation_id = group.generation;
  response.protocol_name = group.protocol_name;
  response.leader = group.leader;
  response.member_id = member->member_id;
  if (member->member_id == group.leader) {
    for (const ClassicMember& m : group.members)
      if (m.joined_generation >= 0) response.members.push_back({m.member_id, m.group_instance_id, m.metadata, {}});
  }
  return respond(header, response);
}

Outcome ClusterState::handle_sync_group(std::int32_t broker_id, const protocol::RequestHeader& header,
                                        std::span<const std::uint8_t> body) {
  using kwire::errc;
  protocol::SyncGroupRequest request;
  if (protocol::decode_message(body, header.api_version, request)) return {};  // close
  protocol::SyncGroupResponse response;
  GroupState& group = group_for(ApiKey::sync_group, broker_id, request.group_id, request.member_id,
                                response.error_code, request.generation_id);
  ClassicMember* member = group.classic_member(request.member_id);
  if (response.error_code == errc::none && group.awaiting_sync) {
    if (member->member_id != group.leader) {
      response.error_code = errc::rebalance_in_progress;  // Kafka would wait for the leader
    } else {
      for (const auto& a : request.assignments)
        if (ClassicMember* m = group.classic_member(a.member_id)) m->assignment = a.assignment;
      group.awaiting_sync = false;
    }
  }
  if (response.error_code == errc::none) {
    response.assignment = member->assignment;
    if (header.api_version >= 5) {
      response.protocol_type = request.protocol_type;
      response.protocol_name = group.protocol_name;
    }
  }
  return respond(header, response);
}

Outcome ClusterState::handle_heartbeat(std::int32_t broker_id, const protocol::RequestHeader& header,
                                       std::span<const std::uint8_t> body) {
  protocol::HeartbeatRequest request;
  if (protocol::decode_message(body, header.api_version, request)) return {};  // close
  protocol::HeartbeatResponse response;
  (void)group_for(ApiKey::heartbeat, broker_id, request.group_id, request.member_id, response.error_code,
                  request.generation_id);
  return respond(header, response);
}

Outcome ClusterState::handle_leave_group(std::int32_t broker_id, const protocol::RequestHeader& header,
                                         std::span<const std::uint8_t> body) {
  protocol::LeaveGroupRequest request;
  if (protocol::decode_message(body, header.api_version, request)) return {};  // close
  protocol::LeaveGroupResponse response;
  GroupState& group = group_for(ApiKey::leave_group, broker_id, request.group_id, {}, response.error_code);
  if (response.error_code != kwire::errc::none) return respond(header, response);
  std::vector<std::string> leaving;
  if (header.api_version < 3) leaving.push_back(request.member_id);
  for (const auto& m : request.members) leaving.push_back(m.member_id);
  for (const std::string& id : leaving) {
    const bool known = group.classic_member(id) != nullptr;
    group.forget(id);
    if (header.api_version < 3 && !known) response.error_code = kwire::errc::unknown_member_id;
    if (header.api_version >= 3)
      response.members.push_back({id, std::nullopt, known ? kwire::errc::none : kwire::errc::unknown_member_id, {}});
    // The others rebalance: they find the generation moved on.
    if (known && !group.members.empty()) {
      ++group.generation;
      group.leader.clear();
      group.awaiting_sync = false;
    }
  }
  return respond(header, response);
}

}  // namespace kwire::mock::detail
