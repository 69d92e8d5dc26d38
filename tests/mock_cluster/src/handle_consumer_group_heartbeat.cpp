// ConsumerGroupHeartbeat (KIP-848, v0-1): a minimal server-side assignor.
// Only the group's coordinator answers (NOT_COORDINATOR elsewhere).
//  - member epoch 0 joins (or rejoins after being fenced, keeping its id):
//    the member gets an id (v0: the broker's; v1: its own), the group epoch
//    is bumped and the member's epoch follows it;
//  - the first member of the group is assigned every partition of the
//    topics it subscribes to (those that exist), later members nothing;
//    a changed subscription bumps the epoch and recomputes the assignment;
//  - member epoch -1 / -2 leaves; an unknown member id is
//    UNKNOWN_MEMBER_ID, an epoch other than the member's FENCED_MEMBER_EPOCH;
//  - the assignment is sent when the member's epoch changed (null: unchanged);
//    heartbeat_interval_ms is 500 (Kafka's default is 5000) to keep tests short.
// Faults: fail_next(ApiKey::consumer_group_heartbeat, error, count, group_id)
// (without a group: any group); UNKNOWN_MEMBER_ID also forgets the member.
#include "cluster_state.hpp"
#include "kwire/protocol/consumer_group_heartbeat.hpp"

namespace kwire::mock::detail {
namespace {

constexpr std::int32_t kHeartbeatIntervalMs = 500;

}  // namespace

Outcome ClusterState::handle_consumer_group_heartbeat(std::int32_t broker_id, const protocol::RequestHeader& header,
                                                      std::span<const std::uint8_t> body) {
  using kwire::errc;
  protocol::ConsumerGroupHeartbeatRequest request;
  if (protocol::decode_message(body, header.api_version, request)) return {};  // close
  protocol::ConsumerGroupHeartbeatResponse response;
  response.heartbeat_interval_ms = kHeartbeatIntervalMs;
  GroupState& group =
      group_for(ApiKey::consumer_group_heartbeat, broker_id, request.group_id, request.member_id, response.error_code);
  auto fail = [&](errc error) {
    response.error_code = error;
    response.error_message = std::string(kwire::kafka_error_description(error));
    return respond(header, response);
  };
  if (response.error_code != errc::none) return fail(response.error_code);

  if (request.member_epoch < 0) {  // leaving
    group.forget(request.member_id);
    ++group.group_epoch;
    response.member_id = request.member_id;
    response.member_epoch = request.member_epoch;
    return respond(header, response);
  }
  ConsumerGroupMember* member = group.consumer_member(request.member_id);
  bool changed = false;
  if (request.member_epoch == 0) {
    if (!request.subscribed_topic_names) return fail(errc::invalid_request);  // a join names its topics
    if (member == nullptr) {
      member = &group.consumer_members.emplace_back();
      member->member_id = !request.member_id.empty()
                              ? request.member_id
                              : header.client_id.value_or("consumer") + "-" + std::to_string(group.next_member++);
    }
    changed = true;
  } else if (member == nullptr) {
    return fail(errc::unknown_member_id);
  } else if (request.member_epoch != member->member_epoch) {
    return fail(errc::fenced_member_epoch);
  }
  if (request.subscribed_topic_names && *request.subscribed_topic_names != member->subscribed_topics) {
    member->subscribed_topics = *request.subscribed_topic_names;
    changed = true;
  }
  if (changed) member->member_epoch = ++group.group_epoch;

  response.member_id = member->member_id;
  response.member_epoch = member->member_epoch;
  if (changed) {
    auto& assignment = response.assignment.emplace();
    if (&group.consumer_members.front() == member) {
      for (const std::string& name : member->subscribed_topics) {
        const TopicState* topic = find_topic(name);
        if (topic == nullptr) continue;
        auto& tp = assignment.topic_partitions.emplace_back();
        tp.topic_id = topic->id;
        for (std::size_t p = 0; p < topic->partitions.size(); ++p) tp.partitions.push_back(static_cast<std::int32_t>(p));
      }
    }
  }
  return respond(header, response);
}

}  // namespace kwire::mock::detail
