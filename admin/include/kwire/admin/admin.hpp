#pragma once
// kwire::admin::Admin: topics, configs, the cluster, consumer groups and
// transactions without the JVM tools (issue 17). Blocking calls, one at a
// time, from any one thread:
//
//   kwire::admin::Admin admin(kwire::cluster::ClientConfig::from_properties(
//       {{"bootstrap.servers", "localhost:9092"}}));
//   auto results = admin.create_topics({{.name = "orders", .partitions = 6, .replication_factor = 3}});
//   if (!results[0].error.ok()) std::cerr << results[0].error.message() << "\n";
//
// Operations on several items answer per item (TopicResult, ResourceResult,
// ...): a topic that already exists does not fail the others, and its error
// carries the broker's message. Whole-request failures (no broker
// reachable, an API the cluster does not offer) of operations on several
// items are copied into every item; operations with one answer throw
// AdminError.
//
// Requests go where Kafka wants them, through the cluster layer
// (cluster::ClusterRuntime: its own network thread, Route, one retry loop):
// topic and config changes to the controller (KRaft brokers also forward
// them, KIP-590), a broker's configs to that broker, group operations to the
// group coordinator, transaction operations to the transaction coordinator,
// ListOffsets / DeleteRecords / DescribeProducers / WriteTxnMarkers to the
// partition leader. Each call waits at most two request.timeout.ms,
// retries included.
#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/admin/types.hpp"
#include "kwire/cluster/client_config.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::admin {

/// A request that failed as a whole (no per-item answer to put it in).
class AdminError : public std::runtime_error {
 public:
  AdminError(std::error_code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  const std::error_code& code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

class Admin {
 public:
  /// Takes the shared client keys (bootstrap.servers, security.protocol,
  /// sasl.*, ssl.*, client.id, request.timeout.ms, ...). Connects lazily.
  explicit Admin(cluster::ClientConfig config);
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // --------------------------------------------------------------- topics
  std::vector<TopicResult> create_topics(const std::vector<NewTopic>& topics, const CreateTopicsOptions& options = {});
  std::vector<TopicResult> delete_topics(const std::vector<std::string>& names, std::int32_t timeout_ms = 30000);
  std::vector<TopicResult> create_partitions(const std::vector<NewPartitions>& topics,
                                             const CreateTopicsOptions& options = {});
  /// Every topic, sorted by name (internal topics only when asked).
  std::vector<TopicDescription> list_topics(bool include_internal = false);
  /// The named topics; an unknown one carries UNKNOWN_TOPIC_OR_PARTITION.
  std::vector<TopicDescription> describe_topics(const std::vector<std::string>& names);

  // --------------------------------------------------------------- records
  /// ListOffsets at `timestamp` (a time in ms, or
  /// protocol::list_offsets_timestamp::earliest / latest / max_timestamp),
  /// each partition asked of its leader.
  std::vector<PartitionOffset> list_offsets(const std::vector<TopicPartition>& partitions, std::int64_t timestamp,
                                            bool read_committed = false);
  /// DeleteRecords: the records of each partition before its `offset` go;
  /// the answers carry the new log start offsets.
  std::vector<PartitionOffset> delete_records(const std::vector<PartitionOffset>& before,
                                              std::int32_t timeout_ms = 30000);

  // --------------------------------------------------------------- SCRAM users
  /// Which SCRAM mechanisms each user has (empty: every user).
  std::vector<UserScramCredentials> describe_user_scram_credentials(const std::vector<std::string>& users = {});
  /// Sets (upsertions) and removes (deletions) SCRAM credentials; one result
  /// per user named, in the broker's order. An unknown mechanism name fails
  /// that user's item without sending it.
  std::vector<ScramAlterationResult> alter_user_scram_credentials(const std::vector<ScramUpsertion>& upsertions,
                                                                  const std::vector<ScramDeletion>& deletions = {});

  // --------------------------------------------------------------- cluster
  /// DescribeCluster (KIP-700) when offered, else Metadata.
  ClusterDescription describe_cluster();

  // --------------------------------------------------------------- configs
  /// `keys` empty: every config.
  std::vector<ConfigDescription> describe_configs(const std::vector<ConfigResource>& resources,
                                                  const std::vector<std::string>& keys = {});
  /// IncrementalAlterConfigs (KIP-339): set / remove / append / subtract.
  /// Name each resource once: the broker fails every copy of a resource
  /// named twice in one request with INVALID_REQUEST.
  std::vector<ResourceResult> alter_configs(const std::vector<ResourceChanges>& changes, bool validate_only = false);

  // --------------------------------------------------------------- groups
  std::vector<GroupListing> list_groups();
  /// Classic groups through DescribeGroups; groups that are KIP-848
  /// consumer groups (or that DescribeGroups reports as such) through
  /// ConsumerGroupDescribe.
  std::vector<GroupDescription> describe_groups(const std::vector<std::string>& groups);
  std::vector<ItemError> delete_groups(const std::vector<std::string>& groups);
  /// Committed offset, log end offset and lag of every partition the group
  /// committed or is assigned (the end offsets read_committed when asked).
  std::vector<PartitionLag> group_lag(const std::string& group, bool read_committed = false);
  /// Plans (and unless `dry_run` commits) new offsets for `partitions` (empty:
  /// every partition the group committed; a topic with partition -1: all
  /// partitions of the topic). The group must be empty (no members) to commit.
  std::vector<ResetPlanEntry> reset_offsets(const std::string& group, const std::vector<TopicPartition>& partitions,
                                            const ResetSpec& spec, bool dry_run);

  // --------------------------------------------------------------- transactions
  /// `states` filters ("Ongoing", ...); empty: every transaction.
  std::vector<TransactionListing> list_transactions(const std::vector<std::string>& states = {});
  std::vector<TransactionDescription> describe_transactions(const std::vector<std::string>& transactional_ids);
  /// The producers the leader of `partition` knows (DescribeProducers).
  std::vector<ProducerState> describe_producers(const TopicPartition& partition);
  /// Aborts the hanging transaction that started at `start_offset` on
  /// `partition` (KIP-664): an ABORT marker written by the partition leader.
  /// Returns the spec that was used (or the error in `error`).
  std::optional<AbortSpec> abort_transaction(const TopicPartition& partition, std::int64_t start_offset,
                                             ItemError& error);
  /// The same for a producer id (e.g. from describe_transactions).
  std::optional<AbortSpec> abort_producer_transaction(const TopicPartition& partition, std::int64_t producer_id,
                                                      ItemError& error);

  /// How requests reach brokers (internal; admin/src/channel.hpp).
  class Channel;

 private:
  /// Both aborts: DescribeProducers, `choose` the producer, the ABORT marker.
  std::optional<AbortSpec> abort_by(const TopicPartition& partition, ItemError& error,
                                    const std::function<std::optional<AbortSpec>(const std::vector<ProducerState>&,
                                                                                 ItemError&)>& choose);

  std::unique_ptr<Channel> channel_;
  cluster::ClientConfig config_;
};

}  // namespace kwire::admin

KWIRE_PUBLIC_END
