#pragma once
// The Kafka APIs kwire speaks, the version range it implements for each, and
// the header rules that follow from a version. Header rules live here, in one
// place, so no codec or connection decides them on its own (KIP-482, KIP-511).
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

enum class ApiKey : std::int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  describe_groups = 15,
  list_groups = 16,
  sasl_handshake = 17,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
  delete_records = 21,
  init_producer_id = 22,
  offset_for_leader_epoch = 23,
  add_partitions_to_txn = 24,
  add_offsets_to_txn = 25,
  end_txn = 26,
  write_txn_markers = 27,
  txn_offset_commit = 28,
  describe_configs = 32,
  alter_configs = 33,
  sasl_authenticate = 36,
  create_partitions = 37,
  delete_groups = 42,
  incremental_alter_configs = 44,
  offset_delete = 47,
  describe_user_scram_credentials = 50,
  alter_user_scram_credentials = 51,
  describe_cluster = 60,
  describe_producers = 61,
  describe_transactions = 65,
  list_transactions = 66,
  consumer_group_heartbeat = 68,
  consumer_group_describe = 69,
};

/// The versions of one API that kwire implements.
struct ApiSupport {
  ApiKey key;
  std::int16_t min_version;
  std::int16_t max_version;
  /// First version using flexible encoding (KIP-482); -1 if none.
  std::int16_t first_flexible_version;
};

/// Every API kwire implements, in ascending key order.
std::span<const ApiSupport> supported_apis() noexcept;
/// kwire's range for `key`, or nullptr when kwire does not implement it.
const ApiSupport* find_support(ApiKey key) noexcept;
/// Kafka's name for the API ("Produce", "Metadata", ...), or "Unknown".
std::string_view api_name(ApiKey key) noexcept;
std::string_view api_name(std::int16_t key) noexcept;

/// True when this API version uses compact encodings and tag buffers.
bool is_flexible(ApiKey key, std::int16_t version) noexcept;

/// Request header version: 2 for flexible requests, else 1.
std::int16_t request_header_version(ApiKey key, std::int16_t version) noexcept;
/// Response header version: 1 for flexible responses, else 0 — except that
/// ApiVersions responses always use header v0, so a client can parse them
/// before it knows what the broker supports (KIP-511).
std::int16_t response_header_version(ApiKey key, std::int16_t version) noexcept;

/// The version to use given the broker's advertised range: the highest
/// version both sides support, never below `floor` (e.g. 3 for Produce,
/// since Kafka 4.x advertises 0 but rejects v0-2, KAFKA-18659). nullopt when
/// there is none.
std::optional<std::int16_t> choose_version(ApiKey key, std::int16_t broker_min, std::int16_t broker_max) noexcept;

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
