// DeleteGroups: the mock keeps no group state, so every group is taken as
// existing and empty and its deletion succeeds — on the group's coordinator
// (handle_find_coordinator.cpp) only; another broker answers
// NOT_COORDINATOR, as Kafka's GroupCoordinator does for a group it does not
// own. Faults: fail_next(ApiKey::delete_groups, error, count, group) answers
// that group id (passed as the rule's topic) with `error`.
#include "cluster_state.hpp"
#include "kwire/protocol/delete_groups.hpp"
#include "kwire/protocol/find_coordinator.hpp"

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
    if (auto rule = take_fail_rule(ApiKey::delete_groups, {{group, 0}})) {
      answer.error_code = rule->error;
    } else if (coordinator_for(static_cast<std::int8_t>(protocol::CoordinatorType::group), group) != broker_id) {
      answer.error_code = kwire::errc::not_coordinator;
    }
    if (answer.error_code != kwire::errc::none && version >= 3)
      answer.error_message = std::string(kwire::kafka_error_description(answer.error_code));
    response.results.push_back(std::move(answer));
  }
  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

}  // namespace kwire::mock::detail
