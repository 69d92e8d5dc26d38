#include "kwire/protocol/kafka_error.hpp"

#include <array>
#include <cstddef>
#include <string>

#include "kwire/protocol/client_error.hpp"

namespace kwire {
namespace {

constexpr std::uint8_t retriable = 1;
constexpr std::uint8_t refresh = 2;
constexpr std::uint8_t fatal = 4;

struct Entry {
  errc code;
  std::string_view name;
  std::uint8_t flags;
  std::string_view description;
};

// THE table: one row per Kafka error code, in code order starting at -1, so a
// code's row is at index code + 1. Names and descriptions are Kafka's
// (Errors.java); flags follow the rules in kafka_error.hpp.
constexpr std::array<Entry, max_known_kafka_error + 2> kTable{{
    {errc::unknown_server_error, "UNKNOWN_SERVER_ERROR", 0,
     "The server experienced an unexpected error when processing the request."},
    {errc::none, "NONE", 0,
     "Success."},
    {errc::offset_out_of_range, "OFFSET_OUT_OF_RANGE", 0,
     "The requested offset is not within the range of offsets maintained by the server."},
    {errc::corrupt_message, "CORRUPT_MESSAGE", retriable,
     "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt."},
    {errc::unknown_topic_or_partition, "UNKNOWN_TOPIC_OR_PARTITION", retriable | refresh,
     "This server does not host this topic-partition."},
    {errc::invalid_fetch_size, "INVALID_FETCH_SIZE", 0,
     "The requested fetch size is invalid."},
    {errc::leader_not_available, "LEADER_NOT_AVAILABLE", retriable | refresh,
     "There is no leader for this topic-partition as we are in the middle of a leadership election."},
    {errc::not_leader_or_follower, "NOT_LEADER_OR_FOLLOWER", retriable | refresh,
     "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition."},
    {errc::request_timed_out, "REQUEST_TIMED_OUT", retriable,
     "The request timed out."},
    {errc::broker_not_available, "BROKER_NOT_AVAILABLE", 0,
     "The broker is not available."},
    {errc::replica_not_available, "REPLICA_NOT_AVAILABLE", retriable | refresh,
     "The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition."},
    {errc::message_too_large, "MESSAGE_TOO_LARGE", 0,
     "The request included a message larger than the max message size the server will accept."},
    {errc::stale_controller_epoch, "STALE_CONTROLLER_EPOCH", 0,
     "The controller moved to another broker."},
    {errc::offset_metadata_too_large, "OFFSET_METADATA_TOO_LARGE", 0,
     "The metadata field of the offset request was too large."},
    {errc::network_exception, "NETWORK_EXCEPTION", retriable | refresh,
     "The server disconnected before a response was received."},
    {errc::coordinator_load_in_progress, "COORDINATOR_LOAD_IN_PROGRESS", retriable,
     "The coordinator is loading and hence can't process requests."},
    {errc::coordinator_not_available, "COORDINATOR_NOT_AVAILABLE", retriable,
     "The coordinator is not available."},
    {errc::not_coordinator, "NOT_COORDINATOR", retriable,
     "This is not the correct coordinator."},
    {errc::invalid_topic_exception, "INVALID_TOPIC_EXCEPTION", 0,
     "The request attempted to perform an operation on an invalid topic."},
    {errc::record_list_too_large, "RECORD_LIST_TOO_LARGE", 0,
     "The request included message batch larger than the configured segment size on the server."},
    {errc::not_enough_replicas, "NOT_ENOUGH_REPLICAS", retriable,
     "Messages are rejected since there are fewer in-sync replicas than required."},
    {errc::not_enough_replicas_after_append, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", retriable,
     "Messages are written to the log, but to fewer in-sync replicas than required."},
    {errc::invalid_required_acks, "INVALID_REQUIRED_ACKS", 0,
     "Produce request specified an invalid value for required acks."},
    {errc::illegal_generation, "ILLEGAL_GENERATION", 0,
     "Specified group generation id is not valid."},
    {errc::inconsistent_group_protocol, "INCONSISTENT_GROUP_PROTOCOL", 0,
     "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list."},
    {errc::invalid_group_id, "INVALID_GROUP_ID", 0,
     "The configured groupId is invalid."},
    {errc::unknown_member_id, "UNKNOWN_MEMBER_ID", 0,
     "The coordinator is not aware of this member."},
    {errc::invalid_session_timeout, "INVALID_SESSION_TIMEOUT", 0,
     "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms)."},
    {errc::rebalance_in_progress, "REBALANCE_IN_PROGRESS", 0,
     "The group is rebalancing, so a rejoin is needed."},
    {errc::invalid_commit_offset_size, "INVALID_COMMIT_OFFSET_SIZE", 0,
     "The committing offset data size is not valid."},
    {errc::topic_authorization_failed, "TOPIC_AUTHORIZATION_FAILED", 0,
     "Topic authorization failed."},
    {errc::group_authorization_failed, "GROUP_AUTHORIZATION_FAILED", 0,
     "Group authorization failed."},
    {errc::cluster_authorization_failed, "CLUSTER_AUTHORIZATION_FAILED", fatal,
     "Cluster authorization failed."},
    {errc::invalid_timestamp, "INVALID_TIMESTAMP", 0,
     "The timestamp of the message is out of acceptable range."},
    {errc::unsupported_sasl_mechanism, "UNSUPPORTED_SASL_MECHANISM", 0,
     "The broker does not support the requested SASL mechanism."},
    {errc::illegal_sasl_state, "ILLEGAL_SASL_STATE", 0,
     "Request is not valid given the current SASL state."},
    {errc::unsupported_version, "UNSUPPORTED_VERSION", 0,
     "The version of API is not supported."},
    {errc::topic_already_exists, "TOPIC_ALREADY_EXISTS", 0,
     "Topic with this name already exists."},
    {errc::invalid_partitions, "INVALID_PARTITIONS", 0,
     "Number of partitions is below 1."},
    {errc::invalid_replication_factor, "INVALID_REPLICATION_FACTOR", 0,
     "Replication factor is below 1 or larger than the number of available brokers."},
    {errc::invalid_replica_assignment, "INVALID_REPLICA_ASSIGNMENT", 0,
     "Replica assignment is invalid."},
    {errc::invalid_config, "INVALID_CONFIG", 0,
     "Configuration is invalid."},
    {errc::not_controller, "NOT_CONTROLLER", retriable,
     "This is not the correct controller for this cluster."},
    {errc::invalid_request, "INVALID_REQUEST", 0,
     "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."},
    {errc::unsupported_for_message_format, "UNSUPPORTED_FOR_MESSAGE_FORMAT", 0,
     "The message format version on the broker does not support the request."},
    {errc::policy_violation, "POLICY_VIOLATION", 0,
     "Request parameters do not satisfy the configured policy."},
    {errc::out_of_order_sequence_number, "OUT_OF_ORDER_SEQUENCE_NUMBER", 0,
     "The broker received an out of order sequence number."},
    {errc::duplicate_sequence_number, "DUPLICATE_SEQUENCE_NUMBER", 0,
     "The broker received a duplicate sequence number."},
    {errc::invalid_producer_epoch, "INVALID_PRODUCER_EPOCH", fatal,
     "Producer attempted to produce with an old epoch."},
    {errc::invalid_txn_state, "INVALID_TXN_STATE", 0,
     "The producer attempted a transactional operation in an invalid state."},
    {errc::invalid_producer_id_mapping, "INVALID_PRODUCER_ID_MAPPING", 0,
     "The producer attempted to use a producer id which is not currently assigned to its transactional id."},
    {errc::invalid_transaction_timeout, "INVALID_TRANSACTION_TIMEOUT", fatal,
     "The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms)."},
    {errc::concurrent_transactions, "CONCURRENT_TRANSACTIONS", retriable,
     "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing."},
    {errc::transaction_coordinator_fenced, "TRANSACTION_COORDINATOR_FENCED", 0,
     "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer."},
    {errc::transactional_id_authorization_failed, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", fatal,
     "Transactional Id authorization failed."},
    {errc::security_disabled, "SECURITY_DISABLED", 0,
     "Security features are disabled."},
    {errc::operation_not_attempted, "OPERATION_NOT_ATTEMPTED", 0,
     "The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest."},
    {errc::kafka_storage_error, "KAFKA_STORAGE_ERROR", retriable | refresh,
     "Disk error when trying to access log file on the disk."},
    {errc::log_dir_not_found, "LOG_DIR_NOT_FOUND", 0,
     "The user-specified log directory is not found in the broker config."},
    {errc::sasl_authentication_failed, "SASL_AUTHENTICATION_FAILED", 0,
     "SASL Authentication failed."},
    {errc::unknown_producer_id, "UNKNOWN_PRODUCER_ID", 0,
     "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception."},
    {errc::reassignment_in_progress, "REASSIGNMENT_IN_PROGRESS", 0,
     "A partition reassignment is in progress."},
    {errc::delegation_token_auth_disabled, "DELEGATION_TOKEN_AUTH_DISABLED", 0,
     "Delegation Token feature is not enabled."},
    {errc::delegation_token_not_found, "DELEGATION_TOKEN_NOT_FOUND", 0,
     "Delegation Token is not found on server."},
    {errc::delegation_token_owner_mismatch, "DELEGATION_TOKEN_OWNER_MISMATCH", 0,
     "Specified Principal is not valid Owner/Renewer."},
    {errc::delegation_token_request_not_allowed, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", 0,
     "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels."},
    {errc::delegation_token_authorization_failed, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", 0,
     "Delegation Token authorization failed."},
    {errc::delegation_token_expired, "DELEGATION_TOKEN_EXPIRED", 0,
     "Delegation Token is expired."},
    {errc::invalid_principal_type, "INVALID_PRINCIPAL_TYPE", 0,
     "Supplied principalType is not supported."},
    {errc::non_empty_group, "NON_EMPTY_GROUP", 0,
     "The group is not empty."},
    {errc::group_id_not_found, "GROUP_ID_NOT_FOUND", 0,
     "The group id does not exist."},
    {errc::fetch_session_id_not_found, "FETCH_SESSION_ID_NOT_FOUND", retriable,
     "The fetch session ID was not found."},
    {errc::invalid_fetch_session_epoch, "INVALID_FETCH_SESSION_EPOCH", retriable,
     "The fetch session epoch is invalid."},
    {errc::listener_not_found, "LISTENER_NOT_FOUND", retriable | refresh,
     "There is no listener on the leader broker that matches the listener on which metadata request was processed."},
    {errc::topic_deletion_disabled, "TOPIC_DELETION_DISABLED", 0,
     "Topic deletion is disabled."},
    {errc::fenced_leader_epoch, "FENCED_LEADER_EPOCH", retriable | refresh,
     "The leader epoch in the request is older than the epoch on the broker."},
    {errc::unknown_leader_epoch, "UNKNOWN_LEADER_EPOCH", retriable,
     "The leader epoch in the request is newer than the epoch on the broker."},
    {errc::unsupported_compression_type, "UNSUPPORTED_COMPRESSION_TYPE", 0,
     "The requesting client does not support the compression type of given partition."},
    {errc::stale_broker_epoch, "STALE_BROKER_EPOCH", 0,
     "Broker epoch has changed."},
    {errc::offset_not_available, "OFFSET_NOT_AVAILABLE", retriable,
     "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing."},
    {errc::member_id_required, "MEMBER_ID_REQUIRED", 0,
     "The group member needs to have a valid member id before actually entering a consumer group."},
    {errc::preferred_leader_not_available, "PREFERRED_LEADER_NOT_AVAILABLE", retriable | refresh,
     "The preferred leader was not available."},
    {errc::group_max_size_reached, "GROUP_MAX_SIZE_REACHED", 0,
     "The consumer group has reached its max size."},
    {errc::fenced_instance_id, "FENCED_INSTANCE_ID", 0,
     "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id."},
    {errc::eligible_leaders_not_available, "ELIGIBLE_LEADERS_NOT_AVAILABLE", retriable | refresh,
     "Eligible topic partition leaders are not available."},
    {errc::election_not_needed, "ELECTION_NOT_NEEDED", retriable | refresh,
     "Leader election not needed for topic partition."},
    {errc::no_reassignment_in_progress, "NO_REASSIGNMENT_IN_PROGRESS", 0,
     "No partition reassignment is in progress."},
    {errc::group_subscribed_to_topic, "GROUP_SUBSCRIBED_TO_TOPIC", 0,
     "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it."},
    {errc::invalid_record, "INVALID_RECORD", 0,
     "This record has failed the validation on broker and hence will be rejected."},
    {errc::unstable_offset_commit, "UNSTABLE_OFFSET_COMMIT", retriable,
     "There are unstable offsets that need to be cleared."},
    {errc::throttling_quota_exceeded, "THROTTLING_QUOTA_EXCEEDED", retriable,
     "The throttling quota has been exceeded."},
    {errc::producer_fenced, "PRODUCER_FENCED", fatal,
     "There is a newer producer with the same transactionalId which fences the current one."},
    {errc::resource_not_found, "RESOURCE_NOT_FOUND", 0,
     "A request illegally referred to a resource that does not exist."},
    {errc::duplicate_resource, "DUPLICATE_RESOURCE", 0,
     "A request illegally referred to the same resource twice."},
    {errc::unacceptable_credential, "UNACCEPTABLE_CREDENTIAL", 0,
     "Requested credential would not meet criteria for acceptability."},
    {errc::inconsistent_voter_set, "INCONSISTENT_VOTER_SET", 0,
     "Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters."},
    {errc::invalid_update_version, "INVALID_UPDATE_VERSION", 0,
     "The given update version was invalid."},
    {errc::feature_update_failed, "FEATURE_UPDATE_FAILED", 0,
     "Unable to update finalized features due to an unexpected server error."},
    {errc::principal_deserialization_failure, "PRINCIPAL_DESERIALIZATION_FAILURE", 0,
     "Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup."},
    {errc::snapshot_not_found, "SNAPSHOT_NOT_FOUND", 0,
     "Requested snapshot was not found."},
    {errc::position_out_of_range, "POSITION_OUT_OF_RANGE", 0,
     "Requested position is not greater than or equal to zero, and less than the size of the snapshot."},
    {errc::unknown_topic_id, "UNKNOWN_TOPIC_ID", retriable | refresh,
     "This server does not host this topic ID."},
    {errc::duplicate_broker_registration, "DUPLICATE_BROKER_REGISTRATION", 0,
     "This broker ID is already in use."},
    {errc::broker_id_not_registered, "BROKER_ID_NOT_REGISTERED", 0,
     "The given broker ID was not registered."},
    {errc::inconsistent_topic_id, "INCONSISTENT_TOPIC_ID", retriable | refresh,
     "The log's topic ID did not match the topic ID in the request."},
    {errc::inconsistent_cluster_id, "INCONSISTENT_CLUSTER_ID", 0,
     "The clusterId in the request does not match that found on the server."},
    {errc::transactional_id_not_found, "TRANSACTIONAL_ID_NOT_FOUND", 0,
     "The transactionalId could not be found."},
    {errc::fetch_session_topic_id_error, "FETCH_SESSION_TOPIC_ID_ERROR", retriable,
     "The fetch session encountered inconsistent topic ID usage."},
    {errc::ineligible_replica, "INELIGIBLE_REPLICA", 0,
     "The new ISR contains at least one ineligible replica."},
    {errc::new_leader_elected, "NEW_LEADER_ELECTED", 0,
     "The AlterPartition request successfully updated the partition state but the leader has changed."},
    {errc::offset_moved_to_tiered_storage, "OFFSET_MOVED_TO_TIERED_STORAGE", 0,
     "The requested offset is moved to tiered storage."},
    {errc::fenced_member_epoch, "FENCED_MEMBER_EPOCH", 0,
     "The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin."},
    {errc::unreleased_instance_id, "UNRELEASED_INSTANCE_ID", 0,
     "The instance ID is still used by another member in the consumer group. That member must leave first."},
    {errc::unsupported_assignor, "UNSUPPORTED_ASSIGNOR", 0,
     "The assignor or its version range is not supported by the consumer group."},
    {errc::stale_member_epoch, "STALE_MEMBER_EPOCH", 0,
     "The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API."},
    {errc::mismatched_endpoint_type, "MISMATCHED_ENDPOINT_TYPE", 0,
     "The request was sent to an endpoint of the wrong type."},
    {errc::unsupported_endpoint_type, "UNSUPPORTED_ENDPOINT_TYPE", 0,
     "This endpoint type is not supported yet."},
    {errc::unknown_controller_id, "UNKNOWN_CONTROLLER_ID", 0,
     "This controller ID is not known."},
    {errc::unknown_subscription_id, "UNKNOWN_SUBSCRIPTION_ID", 0,
     "Client sent a push telemetry request with an invalid or outdated subscription ID."},
    {errc::telemetry_too_large, "TELEMETRY_TOO_LARGE", 0,
     "Client sent a push telemetry request larger than the maximum size the broker will accept."},
    {errc::invalid_registration, "INVALID_REGISTRATION", 0,
     "The controller has considered the broker registration to be invalid."},
    {errc::transaction_abortable, "TRANSACTION_ABORTABLE", 0,
     "The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID."},
    {errc::invalid_record_state, "INVALID_RECORD_STATE", 0,
     "The record state is invalid. The acknowledgement of delivery could not be completed."},
    {errc::share_session_not_found, "SHARE_SESSION_NOT_FOUND", retriable,
     "The share session was not found."},
    {errc::invalid_share_session_epoch, "INVALID_SHARE_SESSION_EPOCH", retriable,
     "The share session epoch is invalid."},
    {errc::fenced_state_epoch, "FENCED_STATE_EPOCH", 0,
     "The share coordinator rejected the request because the share-group state epoch did not match."},
    {errc::invalid_voter_key, "INVALID_VOTER_KEY", 0,
     "The voter key doesn't match the receiving replica's key."},
    {errc::duplicate_voter, "DUPLICATE_VOTER", 0,
     "The voter is already part of the set of voters."},
    {errc::voter_not_found, "VOTER_NOT_FOUND", 0,
     "The voter is not part of the set of voters."},
    {errc::invalid_regular_expression, "INVALID_REGULAR_EXPRESSION", 0,
     "The regular expression is not valid."},
    {errc::rebootstrap_required, "REBOOTSTRAP_REQUIRED", refresh,
     "Client metadata is stale. The client should rebootstrap to obtain new metadata."},
    {errc::streams_invalid_topology, "STREAMS_INVALID_TOPOLOGY", 0,
     "The supplied topology is invalid."},
    {errc::streams_invalid_topology_epoch, "STREAMS_INVALID_TOPOLOGY_EPOCH", 0,
     "The supplied topology epoch is invalid."},
    {errc::streams_topology_fenced, "STREAMS_TOPOLOGY_FENCED", 0,
     "The supplied topology epoch is outdated."},
    {errc::share_session_limit_reached, "SHARE_SESSION_LIMIT_REACHED", retriable,
     "The limit of share sessions has been reached."},
}};

// The table must be dense and ordered, or lookups by index go wrong.
constexpr bool table_is_ordered() {
  for (std::size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<int>(kTable[i].code) != static_cast<int>(i) - 1) return false;
  return true;
}
static_assert(table_is_ordered(), "kTable rows must be in code order from -1");

const Entry* find(errc e) noexcept {
  int index = static_cast<int>(e) + 1;
  if (index < 0 || static_cast<std::size_t>(index) >= kTable.size()) return nullptr;
  return &kTable[static_cast<std::size_t>(index)];
}

class kafka_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kafka"; }

  std::string message(int value) const override {
    if (value == 0) return "success";
    const Entry* entry = find(static_cast<errc>(value));
    if (!entry) return "unknown Kafka error " + std::to_string(value);
    std::string out(entry->name);
    out += ": ";
    out += entry->description;
    return out;
  }
};

class error_kind_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kwire.error_kind"; }

  std::string message(int value) const override {
    switch (static_cast<error_kind>(value)) {
      case error_kind::retriable: return "retriable error";
      case error_kind::refresh_metadata: return "error calling for a metadata refresh";
      case error_kind::fatal: return "fatal error";
    }
    return "unknown error kind " + std::to_string(value);
  }

  bool equivalent(const std::error_code& code, int condition) const noexcept override {
    bool retry = false, refresh_md = false, fatal_error = false;
    if (code.category() == kafka_category()) {
      ErrorTraits t = error_traits(static_cast<errc>(code.value()));
      retry = t.retriable;
      refresh_md = t.refresh_metadata;
      fatal_error = t.fatal;
    } else if (code.category() == client_category()) {
      auto c = static_cast<client_errc>(code.value());
      retry = c == client_errc::timed_out || c == client_errc::disconnected;
      refresh_md = c == client_errc::disconnected;
      fatal_error = c == client_errc::fatal_producer_state;
    }
    switch (static_cast<error_kind>(condition)) {
      case error_kind::retriable: return retry;
      case error_kind::refresh_metadata: return refresh_md;
      case error_kind::fatal: return fatal_error;
    }
    return false;
  }
};

}  // namespace

const std::error_category& kafka_category() noexcept {
  static const kafka_error_category category;
  return category;
}

const std::error_category& error_kind_category() noexcept {
  static const error_kind_category_impl category;
  return category;
}

bool is_known_kafka_error(errc e) noexcept { return find(e) != nullptr; }

std::string error_name(std::error_code ec) {
  if (ec.category() == kafka_category()) {
    const std::string_view name = kafka_error_name(static_cast<errc>(ec.value()));
    if (!name.empty()) return std::string(name);
  }
  return ec.message();
}

std::string_view kafka_error_name(errc e) noexcept {
  const Entry* entry = find(e);
  return entry ? entry->name : std::string_view{};
}

std::string_view kafka_error_description(errc e) noexcept {
  const Entry* entry = find(e);
  return entry && e != errc::none ? entry->description : std::string_view{};
}

ErrorTraits error_traits(errc e) noexcept {
  const Entry* entry = find(e);
  if (!entry) return {};
  return {(entry->flags & retriable) != 0, (entry->flags & refresh) != 0, (entry->flags & fatal) != 0};
}

}  // namespace kwire
