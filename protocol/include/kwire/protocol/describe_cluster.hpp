#pragma once
// DescribeCluster (API key 60): the cluster id, the controller and the live
// brokers (KIP-700), without Metadata's per-topic payload.
//
// kwire speaks v0-2 (Kafka 3.9 serves 0-1, 4.x 0-2).
//
// Request (DescribeClusterRequest.json), flexible at every version:
//   Version 0: IncludeClusterAuthorizedOperations.
//   Version 1 adds EndpointType (KIP-919: 1 brokers, 2 controllers).
//   Version 2 adds IncludeFencedBrokers (KIP-1073).
//
// Response (DescribeClusterResponse.json):
//   Version 0: ThrottleTimeMs, ErrorCode, ErrorMessage, ClusterId,
//   ControllerId, Brokers [BrokerId, Host, Port, Rack],
//   ClusterAuthorizedOperations.
//   Version 1 adds EndpointType; MISMATCHED_ENDPOINT_TYPE and
//   UNSUPPORTED_ENDPOINT_TYPE become possible errors (KIP-919).
//   Version 2 adds IsFenced per broker (KIP-1073).
//
// Every field a version lacks must hold its default when encoding at that
// version (else client_errc::field_not_in_version); decoding leaves the fields
// a version lacks at their defaults.
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/metadata.hpp"  // kAuthorizedOperationsOmitted
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// Which endpoints a DescribeCluster describes (KIP-919).
enum class EndpointType : std::int8_t { unknown = 0, brokers = 1, controllers = 2 };

struct DescribeClusterRequest {
  static constexpr ApiKey api_key = ApiKey::describe_cluster;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 0;

  bool include_cluster_authorized_operations = false;
  EndpointType endpoint_type = EndpointType::brokers;  ///< v1+
  bool include_fenced_brokers = false;                 ///< v2+
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeClusterRequest&, const DescribeClusterRequest&) = default;
};

struct DescribeClusterResponse {
  static constexpr ApiKey api_key = ApiKey::describe_cluster;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 0;

  struct Broker {
    std::int32_t broker_id = 0;
    std::string host;
    std::int32_t port = 0;
    std::optional<std::string> rack;
    bool is_fenced = false;  ///< v2+
    TaggedFields unknown_tags;
    friend bool operator==(const Broker&, const Broker&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  kwire::errc error_code = kwire::errc::none;
  std::optional<std::string> error_message;
  EndpointType endpoint_type = EndpointType::brokers;  ///< v1+
  std::string cluster_id;
  std::int32_t controller_id = -1;
  std::vector<Broker> brokers;
  std::int32_t cluster_authorized_operations = kAuthorizedOperationsOmitted;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeClusterResponse&, const DescribeClusterResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
