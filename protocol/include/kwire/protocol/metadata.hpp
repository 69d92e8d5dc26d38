#pragma once
// Metadata (API key 3): brokers, and the leader and replicas of each
// partition of the requested topics.
//
// Request (MetadataRequest.json, Kafka 4.0):
//   Version 0: Topics [Name]; an empty array means "all topics".
//   Version 1: a null Topics array means "all topics", an empty one "none".
//   Versions 2 and 3 are the same as version 1.
//   Version 4 adds AllowAutoTopicCreation.
//   Versions 5-7 are the same as version 4.
//   Version 8 adds IncludeClusterAuthorizedOperations and
//   IncludeTopicAuthorizedOperations (KIP-430).
//   Version 9 is the first flexible version.
//   Version 10 adds TopicId and makes Name nullable (KIP-516); brokers only
//   honour lookups by id from version 12, so versions 10-11 should still
//   name topics.
//   Version 11 removes IncludeClusterAuthorizedOperations (KIP-700: use
//   DescribeCluster).
//   Version 12 supports topic ids.
//   Version 13 is the same as version 12 (bumped with the response).
//
// Response (MetadataResponse.json, Kafka 4.0):
//   Version 1 adds the broker Rack, ControllerId and the topic's IsInternal.
//   Version 2 adds ClusterId.
//   Version 3 adds ThrottleTimeMs.
//   Version 4 is the same as version 3.
//   Version 5 adds the partition's OfflineReplicas.
//   Version 6: on quota violation, brokers respond before throttling.
//   Version 7 adds the partition's LeaderEpoch (KIP-320).
//   Version 8 adds TopicAuthorizedOperations and ClusterAuthorizedOperations
//   (KIP-430).
//   Version 9 is the first flexible version.
//   Version 10 adds the topic's TopicId (KIP-516).
//   Version 11 removes ClusterAuthorizedOperations (KIP-700).
//   Version 12: topic Name is nullable (null for unknown topics asked by id).
//   Version 13 adds a top-level ErrorCode (KIP-1102): REBOOTSTRAP_REQUIRED
//   tells the client its metadata is stale beyond repair and it must
//   rebootstrap from bootstrap.servers.
//
// Every field a version lacks must hold its default when encoding at that
// version (else client_errc::field_not_in_version); decoding a version leaves
// the fields it lacks at their defaults.
#include <cstdint>
#include <limits>
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

/// "Authorized operations were not requested" (KIP-430): INT32_MIN.
inline constexpr std::int32_t kAuthorizedOperationsOmitted = std::numeric_limits<std::int32_t>::min();

struct MetadataRequest {
  static constexpr ApiKey api_key = ApiKey::metadata;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 13;
  static constexpr std::int16_t first_flexible_version = 9;

  struct Topic {
    Uuid topic_id;                    ///< v10+ (honoured from v12); zero = by name
    std::optional<std::string> name;  ///< null only from v10, when asking by id
    TaggedFields unknown_tags;        ///< v9+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  /// nullopt = all topics; an empty vector = no topics (brokers only).
  /// At v0 "all" is sent as an empty array, and "no topics" cannot be
  /// expressed (field_not_in_version); decoding v0 maps an empty array to
  /// nullopt, so this field means the same thing at every version.
  std::optional<std::vector<Topic>> topics;
  bool allow_auto_topic_creation = true;              ///< v4+
  bool include_cluster_authorized_operations = false;  ///< v8-10
  bool include_topic_authorized_operations = false;    ///< v8+
  TaggedFields unknown_tags;                           ///< v9+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const MetadataRequest&, const MetadataRequest&) = default;
};

struct MetadataResponse {
  static constexpr ApiKey api_key = ApiKey::metadata;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 13;
  static constexpr std::int16_t first_flexible_version = 9;

  struct Broker {
    std::int32_t node_id = 0;
    std::string host;
    std::int32_t port = 0;
    std::optional<std::string> rack;  ///< v1+
    TaggedFields unknown_tags;        ///< v9+
    friend bool operator==(const Broker&, const Broker&) = default;
  };

  struct Partition {
    kwire::errc error_code = kwire::errc::none;
    std::int32_t partition_index = 0;
    std::int32_t leader_id = -1;
    std::int32_t leader_epoch = -1;  ///< v7+
    std::vector<std::int32_t> replica_nodes;
    std::vector<std::int32_t> isr_nodes;
    std::vector<std::int32_t> offline_replicas;  ///< v5+
    TaggedFields unknown_tags;                   ///< v9+
    friend bool operator==(const Partition&, const Partition&) = default;
  };

  struct Topic {
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> name;  ///< null only from v12 (unknown topic asked by id)
    Uuid topic_id;                    ///< v10+
    bool is_internal = false;         ///< v1+
    std::vector<Partition> partitions;
    std::int32_t topic_authorized_operations = kAuthorizedOperationsOmitted;  ///< v8+
    TaggedFields unknown_tags;                                                ///< v9+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v3+
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;  ///< v2+
  std::int32_t controller_id = -1;        ///< v1+
  std::vector<Topic> topics;
  std::int32_t cluster_authorized_operations = kAuthorizedOperationsOmitted;  ///< v8-10
  kwire::errc error_code = kwire::errc::none;                                 ///< v13+ (KIP-1102)
  TaggedFields unknown_tags;                                                  ///< v9+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const MetadataResponse&, const MetadataResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
