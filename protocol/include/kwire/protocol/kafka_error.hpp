#pragma once
// Kafka's protocol error codes as std::error_code (category "kafka"), and the
// one table that says how a client should react to each of them.
//
// `kwire::errc` lists every code Kafka defines (Errors.java, up to Kafka 4.1:
// SHARE_SESSION_LIMIT_REACHED = 133). Codes a newer broker invents still
// convert: `make_error_code(static_cast<errc>(999))` is a valid error_code
// whose message() is "unknown Kafka error 999", and whose traits are all false
// (the Java client likewise treats unknown codes as UNKNOWN_SERVER_ERROR,
// which is neither retriable nor a metadata problem).
//
// Classification (error_traits):
//  - retriable: the Java client's exception for the code extends
//    RetriableException, so a request failing with it may be sent again.
//  - refresh_metadata: the exception extends InvalidMetadataException; the
//    Java producer's Sender.completeBatch requests a metadata update for
//    exactly these (leader moved, partition gone, broker storage failure...).
//    UNKNOWN_LEADER_EPOCH and NOT_ENOUGH_REPLICAS are retriable but do NOT
//    refresh: the first means the broker lags behind our (newer) metadata,
//    the second is an ISR shortfall that metadata cannot fix. kwire adds
//    REBOOTSTRAP_REQUIRED (KIP-1102): not retriable as-is, the client must
//    re-fetch metadata from bootstrap.servers.
//  - fatal: the producer instance cannot continue and must be recreated.
//    This is the union of the Java TransactionManager's transitionToFatalError
//    cases and librdkafka's rd_kafka_idemp_check_error: PRODUCER_FENCED,
//    INVALID_PRODUCER_EPOCH, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
//    CLUSTER_AUTHORIZATION_FAILED (idempotent writes need IDEMPOTENT_WRITE on
//    the cluster) and INVALID_TRANSACTION_TIMEOUT. UNSUPPORTED_VERSION is not
//    marked fatal: during ApiVersions it is a negotiation step (KIP-511).
//  Codes with no flag fail the one request/batch they came with (e.g.
//  MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED, INVALID_RECORD).
//  Context-specific decisions (DUPLICATE_SEQUENCE_NUMBER = success,
//  OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID = epoch bump) belong to
//  the producer's sender, which starts from these traits.
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire {

/// Every Kafka error code, named as Kafka names it, in snake_case.
enum class errc : std::int16_t {
  unknown_server_error = -1,
  none = 0,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  invalid_fetch_size = 4,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  broker_not_available = 8,
  replica_not_available = 9,
  message_too_large = 10,
  stale_controller_epoch = 11,
  offset_metadata_too_large = 12,
  network_exception = 13,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  invalid_topic_exception = 17,
  record_list_too_large = 18,
  not_enough_replicas = 19,
  not_enough_replicas_after_append = 20,
  invalid_required_acks = 21,
  illegal_generation = 22,
  inconsistent_group_protocol = 23,
  invalid_group_id = 24,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  invalid_commit_offset_size = 28,
  topic_authorization_failed = 29,
  group_authorization_failed = 30,
  cluster_authorization_failed = 31,
  invalid_timestamp = 32,
  unsupported_sasl_mechanism = 33,
  illegal_sasl_state = 34,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_replica_assignment = 39,
  invalid_config = 40,
  not_controller = 41,
  invalid_request = 42,
  unsupported_for_message_format = 43,
  policy_violation = 44,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  invalid_txn_state = 48,
  invalid_producer_id_mapping = 49,
  invalid_transaction_timeout = 50,
  concurrent_transactions = 51,
  transaction_coordinator_fenced = 52,
  transactional_id_authorization_failed = 53,
  security_disabled = 54,
  operation_not_attempted = 55,
  kafka_storage_error = 56,
  log_dir_not_found = 57,
  sasl_authentication_failed = 58,
  unknown_producer_id = 59,
  reassignment_in_progress = 60,
  delegation_token_auth_disabled = 61,
  delegation_token_not_found = 62,
  delegation_token_owner_mismatch = 63,
  delegation_token_request_not_allowed = 64,
  delegation_token_authorization_failed = 65,
  delegation_token_expired = 66,
  invalid_principal_type = 67,
  non_empty_group = 68,
  group_id_not_found = 69,
  fetch_session_id_not_found = 70,
  invalid_fetch_session_epoch = 71,
  listener_not_found = 72,
  topic_deletion_disabled = 73,
  fenced_leader_epoch = 74,
  unknown_leader_epoch = 75,
  unsupported_compression_type = 76,
  stale_broker_epoch = 77,
  offset_not_available = 78,
  member_id_required = 79,
  preferred_leader_not_available = 80,
  group_max_size_reached = 81,
  fenced_instance_id = 82,
  eligible_leaders_not_available = 83,
  election_not_needed = 84,
  no_reassignment_in_progress = 85,
  group_subscribed_to_topic = 86,
  invalid_record = 87,
  unstable_offset_commit = 88,
  throttling_quota_exceeded = 89,
  producer_fenced = 90,
  resource_not_found = 91,
  duplicate_resource = 92,
  unacceptable_credential = 93,
  inconsistent_voter_set = 94,
  invalid_update_version = 95,
  feature_update_failed = 96,
  principal_deserialization_failure = 97,
  snapshot_not_found = 98,
  position_out_of_range = 99,
  unknown_topic_id = 100,
  duplicate_broker_registration = 101,
  broker_id_not_registered = 102,
  inconsistent_topic_id = 103,
  inconsistent_cluster_id = 104,
  transactional_id_not_found = 105,
  fetch_session_topic_id_error = 106,
  ineligible_replica = 107,
  new_leader_elected = 108,
  offset_moved_to_tiered_storage = 109,
  fenced_member_epoch = 110,
  unreleased_instance_id = 111,
  unsupported_assignor = 112,
  stale_member_epoch = 113,
  mismatched_endpoint_type = 114,
  unsupported_endpoint_type = 115,
  unknown_controller_id = 116,
  unknown_subscription_id = 117,
  telemetry_too_large = 118,
  invalid_registration = 119,
  transaction_abortable = 120,
  invalid_record_state = 121,
  share_session_not_found = 122,
  invalid_share_session_epoch = 123,
  fenced_state_epoch = 124,
  invalid_voter_key = 125,
  duplicate_voter = 126,
  voter_not_found = 127,
  invalid_regular_expression = 128,
  rebootstrap_required = 129,
  streams_invalid_topology = 130,
  streams_invalid_topology_epoch = 131,
  streams_topology_fenced = 132,
  share_session_limit_reached = 133,
};

/// Highest code this build knows (for iteration in tests and tools).
inline constexpr std::int16_t max_known_kafka_error = 133;

const std::error_category& kafka_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), kafka_category()};
}

/// The error_code for a wire error code; a default (falsy) error_code for 0.
inline std::error_code kafka_error(std::int16_t code) noexcept {
  return make_error_code(static_cast<errc>(code));
}

/// True when `e` is one of the codes listed above.
bool is_known_kafka_error(errc e) noexcept;

/// Kafka's name for the code ("NOT_LEADER_OR_FOLLOWER"); empty for codes this
/// build does not know (message() still prints their number).
std::string_view kafka_error_name(errc e) noexcept;

/// The name a log line or an error text gives `ec`: Kafka's name for a
/// Kafka error ("NOT_LEADER_OR_FOLLOWER"), else ec.message().
std::string error_name(std::error_code ec);

/// Kafka's description of the code; empty for NONE and unknown codes.
std::string_view kafka_error_description(errc e) noexcept;

/// How a client should react to a code (see the comment at the top).
struct ErrorTraits {
  bool retriable = false;
  bool refresh_metadata = false;
  bool fatal = false;
  friend bool operator==(const ErrorTraits&, const ErrorTraits&) = default;
};

/// The classification of `e`; all false for NONE and unknown codes.
ErrorTraits error_traits(errc e) noexcept;

/// Conditions grouping errors by the reaction they call for, so callers can
/// write `if (ec == kwire::error_kind::retriable)` for any error_code.
/// Kafka codes match by error_traits(); kwire's own client_errc match too:
/// timed_out and disconnected are retriable (Java's TimeoutException and
/// NetworkException are), disconnected also asks for a metadata refresh
/// (NetworkException is an InvalidMetadataException), and
/// fatal_producer_state is fatal.
enum class error_kind {
  retriable = 1,
  refresh_metadata,
  fatal,
};

const std::error_category& error_kind_category() noexcept;

inline std::error_condition make_error_condition(error_kind k) noexcept {
  return {static_cast<int>(k), error_kind_category()};
}

}  // namespace kwire

template <>
struct std::is_error_code_enum<kwire::errc> : std::true_type {};

template <>
struct std::is_error_condition_enum<kwire::error_kind> : std::true_type {};

KWIRE_PUBLIC_END
