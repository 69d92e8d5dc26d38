#include "kwire/protocol/api.hpp"

#include <algorithm>
#include <array>

namespace kwire::protocol {
namespace {

// Ranges follow Kafka's JSON schemas. Produce starts at 3: v3 is the first
// with record batch v2, and 4.x brokers reject v0-2 (KAFKA-18659). Produce
// v13 (Kafka 4.1) addresses topics by id; Metadata v13 (4.0) adds a
// top-level error code (KIP-1102).
// The admin codecs start where Kafka 3.9 does: 4.0 removed CreateTopics
// v0-1, DeleteTopics v0 and DescribeConfigs v0 (KIP-896), and choose_version
// picks the highest common version anyway.
// Only APIs with a codec are listed: a row here is a promise that kwire can
// encode and decode that range.
constexpr ApiSupport kSupported[] = {
    {ApiKey::produce, 3, 13, 9},
    {ApiKey::fetch, 4, 18, 12},
    {ApiKey::list_offsets, 1, 11, 6},
    {ApiKey::metadata, 0, 13, 9},
    {ApiKey::offset_commit, 0, 10, 8},
    {ApiKey::offset_fetch, 0, 10, 6},
    {ApiKey::find_coordinator, 0, 6, 3},
    {ApiKey::join_group, 0, 9, 6},
    {ApiKey::heartbeat, 0, 4, 4},
    {ApiKey::leave_group, 0, 5, 4},
    {ApiKey::sync_group, 0, 5, 4},
    {ApiKey::describe_groups, 0, 6, 5},
    {ApiKey::list_groups, 0, 5, 3},
    {ApiKey::sasl_handshake, 0, 1, -1},
    {ApiKey::api_versions, 0, 4, 3},
    {ApiKey::create_topics, 0, 7, 5},
    {ApiKey::delete_topics, 0, 6, 4},
    {ApiKey::delete_records, 0, 2, 2},
    {ApiKey::init_producer_id, 0, 6, 2},
    {ApiKey::offset_for_leader_epoch, 0, 4, 4},
    {ApiKey::add_partitions_to_txn, 0, 5, 3},
    {ApiKey::add_offsets_to_txn, 0, 4, 3},
    {ApiKey::end_txn, 0, 5, 3},
    {ApiKey::write_txn_markers, 0, 2, 1},
    {ApiKey::txn_offset_commit, 0, 6, 3},
    {ApiKey::describe_configs, 0, 4, 4},
    {ApiKey::sasl_authenticate, 0, 2, 2},
    {ApiKey::create_partitions, 0, 3, 2},
    {ApiKey::delete_groups, 0, 3, 2},
    {ApiKey::incremental_alter_configs, 0, 1, 1},
    {ApiKey::offset_delete, 0, 0, -1},
    {ApiKey::describe_user_scram_credentials, 0, 0, 0},
    {ApiKey::alter_user_scram_credentials, 0, 0, 0},
    {ApiKey::describe_cluster, 0, 2, 0},
    {ApiKey::describe_producers, 0, 0, 0},
    {ApiKey::describe_transactions, 0, 0, 0},
    {ApiKey::list_transactions, 0, 2, 0},
    {ApiKey::consumer_group_heartbeat, 0, 1, 0},
    {ApiKey::consumer_group_describe, 0, 1, 0},
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
