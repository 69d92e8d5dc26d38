#pragma once
// The sans-I/O half of kwire::admin: options → request, response → per-item
// results, and the offset arithmetic (lag, reset plans, KIP-664 abort specs).
// No sockets and no clock, so every rule here is unit-tested with made-up
// responses (tests/unit/admin); Admin only sends what these build and hands
// back what they return.
#include <map>
#include <string>
#include <vector>

#include "kwire/admin/types.hpp"
#include "kwire/cluster/cluster.hpp"
#include "kwire/protocol/consumer_group_describe.hpp"
#include "kwire/protocol/create_partitions.hpp"
#include "kwire/protocol/create_topics.hpp"
#include "kwire/protocol/delete_groups.hpp"
#include "kwire/protocol/delete_records.hpp"
#include "kwire/protocol/delete_topics.hpp"
#include "kwire/protocol/describe_cluster.hpp"
#include "kwire/protocol/describe_groups.hpp"
#include "kwire/protocol/describe_producers.hpp"
#include "kwire/protocol/describe_transactions.hpp"
#include "kwire/protocol/describe_user_scram_credentials.hpp"
#include "kwire/protocol/alter_user_scram_credentials.hpp"
#include "kwire/protocol/list_groups.hpp"
#include "kwire/protocol/list_offsets.hpp"
#include "kwire/protocol/list_transactions.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/offset_commit.hpp"
#include "kwire/protocol/offset_fetch.hpp"
#include "kwire/protocol/write_txn_markers.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::admin::translate {

/// An ItemError from a broker's error code and optional message.
ItemError item_error(kwire::errc code, const std::optional<std::string>& message);

// ------------------------------------------------------------------ retries

/// What one item's error asks of the cluster layer's retry loop: leader and
/// controller errors (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
/// FENCED_LEADER_EPOCH, NOT_CONTROLLER) and coordinator errors
/// (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE) refresh and retry; a
/// loading coordinator (COORDINATOR_LOAD_IN_PROGRESS) is asked again after
/// the backoff; anything else is the item's final answer.
cluster::Retry retry_for(kwire::errc code);

/// The verdict over a response's items (the most urgent one), for
/// ResponseCheck. Admin sends these one item (group, transactional id,
/// partition) per request, so retrying never repeats a finished item.
cluster::Retry retry_verdict(const protocol::DescribeGroupsResponse& response);
cluster::Retry retry_verdict(const protocol::ConsumerGroupDescribeResponse& response);
cluster::Retry retry_verdict(const protocol::DeleteGroupsResponse& response);
cluster::Retry retry_verdict(const protocol::OffsetFetchResponse& response);
cluster::Retry retry_verdict(const protocol::OffsetCommitResponse& response);
cluster::Retry retry_verdict(const protocol::DescribeTransactionsResponse& response);
cluster::Retry retry_verdict(const protocol::ListOffsetsResponse& response);
cluster::Retry retry_verdict(const protocol::DeleteRecordsResponse& response);
cluster::Retry retry_verdict(const protocol::DescribeProducersResponse& response);
cluster::Retry retry_verdict(const protocol::WriteTxnMarkersResponse& response);

/// Controller requests carry many topics: keeps in `next` only the topics
/// whose answer asks for a retry (NOT_CONTROLLER after a controller move), so
/// a topic already created is not created twice; returns the verdict.
cluster::Retry retry_remaining(const protocol::CreateTopicsResponse& response, protocol::CreateTopicsRequest& next);
cluster::Retry retry_remaining(const protocol::DeleteTopicsResponse& response, protocol::DeleteTopicsRequest& next);
cluster::Retry retry_remaining(const protocol::CreatePartitionsResponse& response,
                               protocol::CreatePartitionsRequest& next);

// ------------------------------------------------------------------ topics

protocol::CreateTopicsRequest create_topics_request(const std::vector<NewTopic>& topics,
                                                    const CreateTopicsOptions& options);
/// One result per requested name, in request order; a name the broker left
/// out of its answer gets client_errc::malformed with a detail saying so.
std::vector<TopicResult> create_topics_results(const protocol::CreateTopicsResponse& response,
                                               const std::vector<NewTopic>& requested);

protocol::DeleteTopicsRequest delete_topics_request(const std::vector<std::string>& names, std::int32_t timeout_ms);
std::vector<TopicResult> delete_topics_results(const protocol::DeleteTopicsResponse& response,
                                               const std::vector<std::string>& requested);

protocol::CreatePartitionsRequest create_partitions_request(const std::vector<NewPartitions>& topics,
                                                            const CreateTopicsOptions& options);
std::vector<TopicResult> create_partitions_results(const protocol::CreatePartitionsResponse& response,
                                                   const std::vector<NewPartitions>& requested);

/// Metadata for `names` (empty: every topic), never auto-creating.
protocol::MetadataRequest metadata_request(const std::vector<std::string>& names);
/// Topics sorted by name, partitions by number; internal topics
/// (__consumer_offsets, __transaction_state) only with `include_internal`.
std::vector<TopicDescription> topic_descriptions(const protocol::MetadataResponse& response,
                                                 bool include_internal);

// ------------------------------------------------------------------ cluster

ClusterDescription cluster_description(const protocol::DescribeClusterResponse& response);
/// The same from a Metadata answer (brokers before DescribeCluster, KIP-700).
ClusterDescription cluster_description(const protocol::MetadataResponse& response);

// ------------------------------------------------------------------ configs

/// `keys` empty: every config of each resource.
protocol::DescribeConfigsRequest describe_configs_request(const std::vector<ConfigResource>& resources,
                                                          const std::vector<std::string>& keys);
std::vector<ConfigDescription> config_descriptions(const protocol::DescribeConfigsResponse& response);

protocol::IncrementalAlterConfigsRequest alter_configs_request(const std::vector<ResourceChanges>& changes,
                                                               bool validate_only);
std::vector<ResourceResult> alter_configs_results(const protocol::IncrementalAlterConfigsResponse& response);

/// Parses "name=value" (set) or "name" with `operation` remove; "name+=v" /
/// "name-=v" append to / subtract from a list config. Throws
/// std::invalid_argument on an empty name.
ConfigChange parse_config_change(const std::string& text);

// ------------------------------------------------------------------ groups

std::vector<GroupListing> group_listings(const protocol::ListGroupsResponse& response);
/// Classic groups (DescribeGroups): members' assignments decoded from the
/// consumer protocol's bytes when the protocol type is "consumer".
std::vector<GroupDescription> group_descriptions(const protocol::DescribeGroupsResponse& response);
/// KIP-848 groups (ConsumerGroupDescribe).
std::vector<GroupDescription> group_descriptions(const protocol::ConsumerGroupDescribeResponse& response);

std::vector<ItemError> delete_groups_results(const protocol::DeleteGroupsResponse& response,
                                             const std::vector<std::string>& requested);

/// OffsetFetch for all of `group`'s committed offsets at `version` (the
/// groups array from v8, the top-level group id before). Admin caps the
/// version at 9: v10 names topics by id only.
protocol::OffsetFetchRequest offset_fetch_request(const std::string& group, std::int16_t version);
/// Committed offsets by partition; a group-level error comes back in `error`.
PartitionMap<std::int64_t> committed_offsets(const protocol::OffsetFetchResponse& response,
                                                         const std::string& group, ItemError& error);

/// ListOffsets for `partitions` at `timestamp` (a list_offsets_timestamp
/// constant or a time in ms).
protocol::ListOffsetsRequest list_offsets_request(const std::vector<TopicPartition>& partitions,
                                                  std::int64_t timestamp);
struct OffsetAnswer {
  std::int64_t offset = -1;
  ItemError error;
};
PartitionMap<OffsetAnswer> offsets(const protocol::ListOffsetsResponse& response);

/// One row per committed or assigned partition, sorted: committed, end
/// offset and lag (end - committed, never negative), with its member.
std::vector<PartitionLag> group_lag(const PartitionMap<std::int64_t>& committed,
                                    const PartitionMap<OffsetAnswer>& end_offsets,
                                    const GroupDescription& group);

/// The reset plan for `partitions`: `earliest`/`latest` are each partition's
/// log start and end, `by_timestamp` the ListOffsets answer for a
/// to_timestamp spec (empty otherwise). Targets are clamped to
/// [earliest, latest]; a partition whose offsets are unknown gets the error.
std::vector<ResetPlanEntry> reset_plan(const std::vector<TopicPartition>& partitions, const ResetSpec& spec,
                                       const PartitionMap<std::int64_t>& committed,
                                       const PartitionMap<OffsetAnswer>& earliest,
                                       const PartitionMap<OffsetAnswer>& latest,
                                       const PartitionMap<OffsetAnswer>& by_timestamp);

/// The admin commit of a plan (generation -1, no member: only accepted while
/// the group is empty, which is what the broker checks for us).
protocol::OffsetCommitRequest offset_commit_request(const std::string& group,
                                                    const std::vector<ResetPlanEntry>& plan);
/// Copies each partition's commit error into the plan.
void apply_commit_results(const protocol::OffsetCommitResponse& response, std::vector<ResetPlanEntry>& plan);

// ------------------------------------------------------------------ records

/// DeleteRecords: each partition's records before `offset` go
/// (DeleteRecordsRequest::high_watermark: all of them).
protocol::DeleteRecordsRequest delete_records_request(const std::vector<PartitionOffset>& before,
                                                      std::int32_t timeout_ms);
/// Per requested partition: the new log start offset, or the error.
std::vector<PartitionOffset> delete_records_results(const protocol::DeleteRecordsResponse& response,
                                                    const std::vector<PartitionOffset>& requested);

// ------------------------------------------------------------------ SCRAM users

/// `users` empty: every user with credentials.
protocol::DescribeUserScramCredentialsRequest describe_scram_request(const std::vector<std::string>& users);
/// Per user; a request-level error (e.g. CLUSTER_AUTHORIZATION_FAILED) is
/// copied into each requested user.
std::vector<UserScramCredentials> scram_descriptions(const protocol::DescribeUserScramCredentialsResponse& response,
                                                     const std::vector<std::string>& requested);

/// "SCRAM-SHA-256" / "SCRAM-SHA-512" (case-insensitive) to Kafka's id; unknown otherwise.
protocol::ScramMechanism scram_mechanism(std::string_view name);
/// Per user; a user named in several alterations appears once.
std::vector<ScramAlterationResult> scram_alteration_results(const protocol::AlterUserScramCredentialsResponse& response);

// ------------------------------------------------------------------ transactions

std::vector<TransactionListing> transaction_listings(const protocol::ListTransactionsResponse& response);
std::vector<TransactionDescription> transaction_descriptions(
    const protocol::DescribeTransactionsResponse& response);

protocol::DescribeProducersRequest describe_producers_request(const TopicPartition& partition);
/// The producers of `partition` in a DescribeProducers answer.
std::vector<ProducerState> producer_states(const protocol::DescribeProducersResponse& response,
                                           const TopicPartition& partition, ItemError& error);

/// KIP-664: the hanging transaction on `partition` is the producer whose open
/// transaction started at `start_offset`; none → error (nothing to abort,
/// or the transaction already ended).
std::optional<AbortSpec> abort_spec(const std::vector<ProducerState>& producers, const TopicPartition& partition,
                                    std::int64_t start_offset, ItemError& error);
/// The same, by producer id (when the operator knows it from `transactions describe`).
std::optional<AbortSpec> abort_spec_for_producer(const std::vector<ProducerState>& producers,
                                                 const TopicPartition& partition, std::int64_t producer_id,
                                                 ItemError& error);
protocol::WriteTxnMarkersRequest abort_markers_request(const AbortSpec& spec);
ItemError abort_result(const protocol::WriteTxnMarkersResponse& response, const AbortSpec& spec);

}  // namespace kwire::admin::translate

KWIRE_PUBLIC_END
