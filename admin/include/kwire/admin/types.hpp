#pragma once
// kwire::admin's options and result types: what an administrator asks for
// (topics to create, configs to change, how to reset a group's offsets) and
// what comes back. Every operation on several items answers per item: one
// failed topic carries its own error and the broker's detail and does not
// fail the others (as Kafka's CreateTopics and DeleteTopics answer).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/cluster/topic_partition.hpp"
#include "kwire/protocol/describe_configs.hpp"
#include "kwire/protocol/incremental_alter_configs.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::admin {

using cluster::TopicPartition;

/// Orders partitions by topic, then number (for sorted output and maps).
struct TopicPartitionLess {
  bool operator()(const TopicPartition& a, const TopicPartition& b) const noexcept {
    return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
  }
};
template <class T>
using PartitionMap = std::map<TopicPartition, T, TopicPartitionLess>;

/// What went wrong with one item: the broker's error code (kwire::errc) or a
/// client error (kwire::client_errc), plus the broker's error message or the
/// client's explanation. Empty `error` = success.
struct ItemError {
  std::error_code error;
  std::string detail;

  bool ok() const noexcept { return !error; }
  /// "TOPIC_ALREADY_EXISTS: Topic 'x' already exists." (or "" when ok).
  std::string message() const;
};

// ------------------------------------------------------------------ topics

/// A topic to create. -1 partitions / replication factor leave the choice to
/// the broker's num.partitions / default.replication.factor (KIP-464, needs
/// CreateTopics v4+).
struct NewTopic {
  std::string name;
  std::int32_t partitions = -1;
  std::int16_t replication_factor = -1;
  std::map<std::string, std::string> configs;  ///< e.g. {"retention.ms", "3600000"}
};

struct CreateTopicsOptions {
  bool validate_only = false;    ///< ask the controller to check only, create nothing
  std::int32_t timeout_ms = 30000;  ///< how long the controller may take
};

/// One topic's answer to create / delete / create-partitions.
struct TopicResult {
  std::string name;
  protocol::Uuid topic_id;             ///< CreateTopics v7+ (zero otherwise)
  std::int32_t partitions = -1;        ///< as created (CreateTopics v5+)
  std::int16_t replication_factor = -1;
  ItemError error;
};

/// Grow a topic to `total_partitions` partitions.
struct NewPartitions {
  std::string topic;
  std::int32_t total_partitions = 0;
};

struct PartitionDescription {
  std::int32_t partition = 0;
  std::int32_t leader = -1;  ///< -1: no leader right now
  std::int32_t leader_epoch = -1;
  std::vector<std::int32_t> replicas;
  std::vector<std::int32_t> isr;
  std::vector<std::int32_t> offline_replicas;
  ItemError error;
};

struct TopicDescription {
  std::string name;
  protocol::Uuid topic_id;
  bool internal = false;
  std::vector<PartitionDescription> partitions;  ///< by partition number
  ItemError error;
};

/// One partition's offset: what ListOffsets found (list_offsets), or the
/// new log start offset (delete_records: the offset before which records go).
struct PartitionOffset {
  TopicPartition partition;
  std::int64_t offset = -1;
  ItemError error;
};

// ------------------------------------------------------------------ cluster

struct BrokerDescription {
  std::int32_t id = 0;
  std::string host;
  std::int32_t port = 0;
  std::optional<std::string> rack;
  bool fenced = false;
};

struct ClusterDescription {
  std::string cluster_id;
  std::int32_t controller_id = -1;
  std::vector<BrokerDescription> brokers;  ///< by id
};

// ------------------------------------------------------------------ configs

using ConfigResourceType = protocol::ConfigResourceType;
using ConfigSource = protocol::ConfigSource;
using ConfigOperation = protocol::ConfigOperation;

struct ConfigResource {
  ConfigResourceType type = ConfigResourceType::topic;
  std::string name;  ///< topic name, or broker id ("" = the cluster-wide broker default)
  friend bool operator==(const ConfigResource&, const ConfigResource&) = default;
};

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;  ///< absent for sensitive values
  ConfigSource source = ConfigSource::unknown;
  bool read_only = false;
  bool sensitive = false;
  bool is_default = false;  ///< the value nobody set (source default_config)
};

struct ConfigDescription {
  ConfigResource resource;
  std::vector<ConfigEntry> entries;  ///< in the broker's order
  ItemError error;
};

/// One change to one config (IncrementalAlterConfigs, KIP-339).
struct ConfigChange {
  std::string name;
  ConfigOperation operation = ConfigOperation::set;
  std::optional<std::string> value;  ///< none for remove
};

struct ResourceChanges {
  ConfigResource resource;
  std::vector<ConfigChange> changes;
};

struct ResourceResult {
  ConfigResource resource;
  ItemError error;
};

// ------------------------------------------------------------------ groups

struct GroupListing {
  std::string group_id;
  std::string protocol_type;  ///< "consumer", "connect", "" (KIP-848 groups before ListGroups v5)
  std::string state;          ///< ListGroups v4+ ("" before)
  std::string type;           ///< "classic" or "consumer" (ListGroups v5+, "" before)
};

struct GroupMember {
  std::string member_id;
  std::optional<std::string> instance_id;  ///< static membership
  std::string client_id;
  std::string client_host;
  std::vector<TopicPartition> assignment;  ///< sorted by topic, partition
};

struct GroupDescription {
  std::string group_id;
  std::string state;          ///< "Stable", "Empty", "Dead", "Reconciling", ...
  std::string protocol_type;  ///< "consumer" for both consumer protocols
  std::string assignor;       ///< classic: the chosen protocol; KIP-848: the server assignor
  bool consumer_protocol = false;  ///< described with ConsumerGroupDescribe (KIP-848)
  std::int32_t group_epoch = -1;   ///< KIP-848 groups only
  std::vector<GroupMember> members;
  ItemError error;
};

/// One partition of a group: what it committed, where the log ends, and the
/// difference. The lag is absent when nothing is committed.
struct PartitionLag {
  TopicPartition partition;
  std::int64_t committed = -1;  ///< -1: no committed offset
  std::int64_t end_offset = -1;  ///< -1: unknown (ListOffsets failed: see error)
  std::optional<std::int64_t> lag;
  std::string member_id;  ///< the member it is assigned to ("" when none)
  std::string client_id;
  std::string host;
  ItemError error;
};

/// Where a reset moves a group's committed offsets (kafka-consumer-groups
/// --reset-offsets --to-earliest / --to-latest / --to-datetime / --shift-by /
/// --to-offset). Targets are clamped to [earliest, latest] as the Java tool does.
struct ResetSpec {
  enum class Kind { to_earliest, to_latest, to_timestamp, shift_by, to_offset };
  Kind kind = Kind::to_earliest;
  std::int64_t value = 0;  ///< the timestamp (ms), the shift (may be negative) or the offset
};

struct ResetPlanEntry {
  TopicPartition partition;
  std::int64_t current = -1;  ///< committed before (-1 none)
  std::int64_t target = -1;   ///< what is (or, in a dry run, would be) committed
  ItemError error;
};

// ------------------------------------------------------------------ transactions

struct TransactionListing {
  std::string transactional_id;
  std::int64_t producer_id = -1;
  std::string state;  ///< "Ongoing", "PrepareCommit", "CompleteAbort", ...
};

struct TransactionDescription {
  std::string transactional_id;
  std::string state;
  std::int32_t timeout_ms = 0;
  std::int64_t start_time_ms = -1;  ///< -1 when no transaction is open
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::vector<TopicPartition> partitions;
  ItemError error;
};

/// A producer that the partition leader knows (DescribeProducers, KIP-664).
struct ProducerState {
  std::int64_t producer_id = -1;
  std::int32_t producer_epoch = -1;
  std::int32_t last_sequence = -1;
  std::int64_t last_timestamp = -1;
  std::int32_t coordinator_epoch = -1;
  std::int64_t transaction_start_offset = -1;  ///< -1: no open transaction
};

/// What aborting a hanging transaction writes: an ABORT marker for this
/// producer on this partition (WriteTxnMarkers to the partition leader).
struct AbortSpec {
  TopicPartition partition;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t coordinator_epoch = -1;
};

// ------------------------------------------------------------------ SCRAM users

struct ScramCredentialInfo {
  std::string mechanism;  ///< "SCRAM-SHA-256", "SCRAM-SHA-512"
  std::int32_t iterations = 0;
};

/// A user's SCRAM credentials (DescribeUserScramCredentials, KIP-554): which
/// mechanisms and iteration counts exist, never the secrets.
struct UserScramCredentials {
  std::string user;
  std::vector<ScramCredentialInfo> credentials;
  ItemError error;  ///< RESOURCE_NOT_FOUND: the user has none
};

/// Set a user's password for one SCRAM mechanism (AlterUserScramCredentials,
/// KIP-554). The client salts and hashes it; only the salted password goes
/// to the broker.
struct ScramUpsertion {
  std::string user;
  std::string password;
  std::string mechanism = "SCRAM-SHA-256";  ///< or "SCRAM-SHA-512"
  std::int32_t iterations = 4096;           ///< Kafka's minimum is 4096
};

/// Remove a user's credential for one SCRAM mechanism.
struct ScramDeletion {
  std::string user;
  std::string mechanism = "SCRAM-SHA-256";
};

struct ScramAlterationResult {
  std::string user;
  ItemError error;
};

}  // namespace kwire::admin

KWIRE_PUBLIC_END
