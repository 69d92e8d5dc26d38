// FindCoordinator: every group id / transactional id / share group id has a
// coordinator, chosen by a stable hash of the key over the brokers (Kafka
// takes the leader of the key's __consumer_offsets / __transaction_state
// partition; a hash gives the same spread without those topics).
// MockCluster::move_coordinator overrides the choice; requests for that key's
// coordinator APIs on the old broker then get NOT_COORDINATOR.
// Faults: fail_next(ApiKey::find_coordinator, error, count, key) answers
// that key (or, without a key, any key) with `error`.
#include "cluster_state.hpp"
#include "kwire/protocol/find_coordinator.hpp"

namespace kwire::mock::detail {
namespace {

using protocol::CoordinatorType;

/// FNV-1a: stable across runs and platforms (std::hash is neither).
std::uint32_t stable_hash(const std::string& key) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : key) h = (h ^ c) * 16777619u;
  return h;
}

bool known_key_type(std::int8_t type, std::int16_t version) {
  if (type == static_cast<std::int8_t>(CoordinatorType::group)) return true;
  if (type == static_cast<std::int8_t>(CoordinatorType::transaction)) return true;
  return type == static_cast<std::int8_t>(CoordinatorType::share) &&
         version >= protocol::FindCoordinatorRequest::first_share_version;
}

}  // namespace

std::int32_t ClusterState::coordinator_for(std::int8_t key_type, const std::string& key) const {
  auto it = coordinator_overrides_.find({key_type, key});
  if (it != coordinator_overrides_.end()) return it->second;
  if (brokers_.empty()) return -1;
  return brokers_[stable_hash(key) % brokers_.size()].id;
}

Outcome ClusterState::handle_find_coordinator(const protocol::RequestHeader& header,
                                              std::span<const std::uint8_t> body) {
  using protocol::FindCoordinatorRequest;
  using protocol::FindCoordinatorResponse;
  const std::int16_t version = header.api_version;
  Outcome outcome;
  FindCoordinatorRequest request;
  if (protocol::decode_message(body, version, request)) return outcome;  // close

  // One answer per key, as KafkaApis.handleFindCoordinatorRequest builds it.
  auto answer = [&](const std::string& key) {
    FindCoordinatorResponse::Coordinator c;
    c.key = key;
    c.node_id = -1;
    c.port = -1;
    if (auto rule = take_fail_rule(ApiKey::find_coordinator, {{key, 0}})) {
      c.error_code = rule->error;
    } else if (!known_key_type(request.key_type, version)) {
      c.error_code = kwire::errc::invalid_request;
    } else if (key.empty()) {
      // Kafka: an empty transactional id or group id has no coordinator.
      c.error_code = kwire::errc::invalid_request;
    } else if (const BrokerInfo* b = broker(coordinator_for(request.key_type, key))) {
      c.node_id = b->id;
      c.host = "127.0.0.1";
      c.port = b->port;
    } else {
      c.error_code = kwire::errc::coordinator_not_available;
    }
    if (c.error_code != kwire::errc::none)
      c.error_message = std::string(kwire::kafka_error_description(c.error_code));
    return c;
  };

  FindCoordinatorResponse response;
  if (version >= FindCoordinatorRequest::first_batched_version) {
    for (const auto& key : request.coordinator_keys) response.coordinators.push_back(answer(key));
  } else {
    auto c = answer(request.key);
    response.error_code = c.error_code;
    if (version >= 1) response.error_message = c.error_code == kwire::errc::none ? std::optional<std::string>("NONE")
                                                                                 : c.error_message;
    response.node_id = c.node_id;
    response.host = c.host;
    response.port = c.port;
  }
  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

}  // namespace kwire::mock::detail
