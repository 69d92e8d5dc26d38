// DeleteGroups, on the group's coordinator (handle_find_coordinator.cpp)
// only; another broker answers NOT_COORDINATOR, as Kafka's GroupCoordinator
// does for a group it does not own. A group with members (classic or
// KIP-848) is NON_EMPTY_GROUP; any other group — also one the mock never
// saw, taken as existing and empty — is deleted with its committed offsets.
// Faults: fail_next(ApiKey::delete_groups, error, count, group) answers
// that group id (passed as the rule's topic) with `error`.
#include "cluster_state.hpp"
#include "kwire/protocol/delete_groups.hpp"

namespace kwire::mock::detail {

Outcome ClusterState::handle_delete_groups(std::int32_t broker_id, const protocol::RequestHeader& header,
                                           std::span<const std::uint8_t> body) {
  using protocol::DeleteGroupsRequest;
  using protocol::DeleteGroupsResponse;
  const std::int16_t version = header.api_version;
  Outcome outcome;
  DeleteGroupsRequest request;
  if (protocol::decode_message(body, version, request)) return outcome;  // close

  DeleteGroupsResponse response;
  for (const auto& group : request.groups_names) {
    DeleteGroupsResponse::Result answer;
    answer.group_id = group;
    const GroupState& state = group_for(ApiKey::delete_groups, broker_id, group, {}, answer.error_code);
    if (answer.error_code == kwire::errc::none && (!state.members.empty() || !state.consumer_members.empty()))
      answer.error_code = kwire::errc::non_empty_group;
    if (answer.error_code == kwire::errc::none) groups_.erase(group);
    if (answer.error_code != kwire::errc::none && version >= 3)
      answer.error_message = std::string(kwire::kafka_error_description(answer.error_code));
    response.results.push_back(std::move(answer));
  }
  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

}  // namespace kwire::mock::detail
