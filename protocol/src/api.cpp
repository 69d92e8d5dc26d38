#include "kwire/protocol/api.hpp"

#include <algorithm>
#include <array>

namespace kwire::protocol {
namespace {

// Ranges follow Kafka's JSON schemas. Produce starts at 3: v3 is the first
// with record batch v2, and 4.x brokers reject v0-2 (KAFKA-18659). Produce
// v13 (Kafka 4.1) addresses topics by id; Metadata v13 (4.0) adds a
// top-level error code (KIP-1102).
// Only APIs with a codec are listed: a row here is a promise that kwire can
// encode and decode that range.
constexpr ApiSupport kSupported[] = {
    {ApiKey::produce, 3, 13, 9},
    {ApiKey::fetch, 4, 17, 12},
    {ApiKey::list_offsets, 1, 10, 6},
    {ApiKey::metadata, 0, 13, 9},
    {ApiKey::find_coordinator, 0, 6, 3},
    {ApiKey::sasl_handshake, 0, 1, -1},
    {ApiKey::api_versions, 0, 4, 3},
    {ApiKey::init_producer_id, 0, 5, 2},
    {ApiKey::sasl_authenticate, 0, 2, 2},
};

}  // namespace

std::span<const ApiSupport> supported_apis() noexcept { return kSupported; }

const ApiSupport* find_support(ApiKey key) noexcept {
  auto it = std::find_if(std::begin(kSupported), std::end(kSupported), [key](const ApiSupport& s) { return s.key == key; });
  return it == std::end(kSupported) ? nullptr : &*it;
}

std::string_view api_name(ApiKey key) noexcept { return api_name(static_cast<std::int16_t>(key)); }

std::string_view api_name(std::int16_t key) noexcept {
  // Kafka's names for every key a broker may advertise, so tables of a
  // broker's ranges read well even for APIs kwire does not implement.
  static constexpr std::array<std::string_view, 75> names{
      "Produce", "Fetch", "ListOffsets", "Metadata", "LeaderAndIsr", "StopReplica", "UpdateMetadata",
      "ControlledShutdown", "OffsetCommit", "OffsetFetch", "FindCoordinator", "JoinGroup", "Heartbeat",
      "LeaveGroup", "SyncGroup", "DescribeGroups", "ListGroups", "SaslHandshake", "ApiVersions",
      "CreateTopics", "DeleteTopics", "DeleteRecords", "InitProducerId", "OffsetForLeaderEpoch",
      "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn", "WriteTxnMarkers", "TxnOffsetCommit",
      "DescribeAcls", "CreateAcls", "DeleteAcls", "DescribeConfigs", "AlterConfigs",
      "AlterReplicaLogDirs", "DescribeLogDirs", "SaslAuthenticate", "CreatePartitions",
      "CreateDelegationToken", "RenewDelegationToken", "ExpireDelegationToken",
      "DescribeDelegationToken", "DeleteGroups", "ElectLeaders", "IncrementalAlterConfigs",
      "AlterPartitionReassignments", "ListPartitionReassignments", "OffsetDelete",
      "DescribeClientQuotas", "AlterClientQuotas", "DescribeUserScramCredentials",
      "AlterUserScramCredentials", "Vote", "BeginQuorumEpoch", "EndQuorumEpoch", "DescribeQuorum",
      "AlterPartition", "UpdateFeatures", "Envelope", "FetchSnapshot", "DescribeCluster",
      "DescribeProducers", "BrokerRegistration", "BrokerHeartbeat", "UnregisterBroker",
      "DescribeTransactions", "ListTransactions", "AllocateProducerIds", "ConsumerGroupHeartbeat",
      "ConsumerGroupDescribe", "ControllerRegistration", "GetTelemetrySubscriptions",
      "PushTelemetry", "AssignReplicasToDirs", "ListClientMetricsResources"};
  if (key >= 0 && static_cast<std::size_t>(key) < names.size()) return names[static_cast<std::size_t>(key)];
  switch (key) {
    case 75: return "DescribeTopicPartitions";
    case 76: return "ShareGroupHeartbeat";
    case 77: return "ShareGroupDescribe";
    case 78: return "ShareFetch";
    case 79: return "ShareAcknowledge";
    case 80: return "AddRaftVoter";
    case 81: return "RemoveRaftVoter";
    case 82: return "UpdateRaftVoter";
    case 83: return "InitializeShareGroupState";
    case 84: return "ReadShareGroupState";
    case 85: return "WriteShareGroupState";
    case 86: return "DeleteShareGroupState";
    case 87: return "ReadShareGroupStateSummary";
    default: return "Unknown";
  }
}

bool is_flexible(ApiKey key, std::int16_t version) noexcept {
  const ApiSupport* s = find_support(key);
  return s && s->first_flexible_version >= 0 && version >= s->first_flexible_version;
}

std::int16_t request_header_version(ApiKey key, std::int16_t version) noexcept {
  return is_flexible(key, version) ? 2 : 1;
}

std::int16_t response_header_version(ApiKey key, std::int16_t version) noexcept {
  if (key == ApiKey::api_versions) return 0;  // KIP-511
  return is_flexible(key, version) ? 1 : 0;
}

std::optional<std::int16_t> choose_version(ApiKey key, std::int16_t broker_min, std::int16_t broker_max) noexcept {
  const ApiSupport* s = find_support(key);
  if (!s) return std::nullopt;
  std::int16_t high = std::min(s->max_version, broker_max);
  std::int16_t low = std::max(s->min_version, broker_min);
  if (high < low) return std::nullopt;
  return high;
}

}  // namespace kwire::protocol
