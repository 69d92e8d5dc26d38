#pragma once
// CreateTopics (API key 19): creates topics with a partition count and
// replication factor (or a manual assignment) and per-topic configs. Sent to
// any broker, which forwards to the controller (KIP-590); NOT_CONTROLLER is
// retriable.
//
// kwire speaks v0-7: Kafka 3.9 serves 0-7, 4.x 2-7 (KIP-896 removed v0-1).
//
// Request (CreateTopicsRequest.json):
//   Version 0: Topics [Name, NumPartitions, ReplicationFactor,
//   Assignments [PartitionIndex, BrokerIds], Configs [Name, Value]], timeoutMs.
//   Version 1 adds validateOnly.
//   Versions 2-3 are the same as 1.
//   Version 4 lets NumPartitions/ReplicationFactor be -1 (the broker's
//   defaults) without a manual assignment (KIP-464).
//   Version 5 is the first flexible version (KIP-482).
//   Version 6 may answer THROTTLING_QUOTA_EXCEEDED (KIP-599).
//   Version 7 is the same as 6.
//
// Response (CreateTopicsResponse.json):
//   Version 0: Topics [Name, ErrorCode].
//   Version 1 adds a per-topic ErrorMessage.
//   Version 2 adds ThrottleTimeMs; from version 3 the broker answers first,
//   then throttles (KIP-219).
//   Version 4 is the same as 3 (KIP-464).
//   Version 5 is the first flexible version, and returns the created topic's
//   NumPartitions, ReplicationFactor and Configs, or TopicConfigErrorCode
//   (tagged field 0) when the configs could not be described (KIP-525).
//   Version 6 may return THROTTLING_QUOTA_EXCEEDED (KIP-599).
//   Version 7 adds the TopicId of the created topic (KIP-516).
//
// Defaults are the schema's, except that nullable strings default to null.
// Every field a version lacks must hold its
// default when encoding at that version (else client_errc::
// field_not_in_version); decoding leaves the fields a version lacks at their
// defaults.
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct CreateTopicsRequest {
  static constexpr ApiKey api_key = ApiKey::create_topics;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 7;
  static constexpr std::int16_t first_flexible_version = 5;

  struct Assignment {
    std::int32_t partition_index = 0;
    std::vector<std::int32_t> broker_ids;
    TaggedFields unknown_tags;  ///< v5+
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };

  struct Config {
    std::string name;
    std::optional<std::string> value;
    TaggedFields unknown_tags;  ///< v5+
    friend bool operator==(const Config&, const Config&) = default;
  };

  struct Topic {
    std::string name;
    /// -1 with a manual assignment, or (v4+, KIP-464) for the broker's num.partitions.
    std::int32_t num_partitions = 0;
    /// -1 with a manual assignment, or (v4+) for default.replication.factor.
    std::int16_t replication_factor = 0;
    std::vector<Assignment> assignments;  ///< empty: the broker places replicas
    std::vector<Config> configs;
    TaggedFields unknown_tags;  ///< v5+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  std::int32_t timeout_ms = 60000;
  bool validate_only = false;  ///< v1+: check only, create nothing
  TaggedFields unknown_tags;   ///< v5+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const CreateTopicsRequest&, const CreateTopicsRequest&) = default;
};

struct CreateTopicsResponse {
  static constexpr ApiKey api_key = ApiKey::create_topics;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 7;
  static constexpr std::int16_t first_flexible_version = 5;
  /// Tag of CreatableTopicResult.TopicConfigErrorCode (v5+).
  static constexpr std::uint32_t topic_config_error_code_tag = 0;

  struct Config {
    std::string name;
    std::optional<std::string> value;  ///< null for sensitive configs
    bool read_only = false;
    std::int8_t config_source = -1;  ///< DescribeConfigs' source values
    bool is_sensitive = false;
    TaggedFields unknown_tags;
    friend bool operator==(const Config&, const Config&) = default;
  };

  struct Topic {
    std::string name;
    Uuid topic_id;  ///< v7+
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;  ///< v1+
    /// v5+, tagged: why `configs` is null when the broker could not describe them.
    kwire::errc topic_config_error_code = kwire::errc::none;
    std::int32_t num_partitions = -1;     ///< v5+
    std::int16_t replication_factor = -1;  ///< v5+
    /// v5+; null when the configs could not be returned.
    std::optional<std::vector<Config>> configs = std::vector<Config>{};
    TaggedFields unknown_tags;  ///< v5+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v2+
  std::vector<Topic> topics;
  TaggedFields unknown_tags;  ///< v5+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const CreateTopicsResponse&, const CreateTopicsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
