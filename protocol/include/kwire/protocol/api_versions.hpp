#pragma once
// ApiVersions (API key 18): the first request on every connection; the broker
// answers with the version range it supports for each API.
//
// Request (ApiVersionsRequest.json):
//   Versions 0 through 2 are the same: an empty body.
//   Version 3 is the first flexible version and adds ClientSoftwareName and
//   ClientSoftwareVersion (KIP-511).
//   Version 4 is the same as 3; it fixes KAFKA-17011 (the response may now
//   list SupportedFeatures with MinVersion 0).
//
// Response (ApiVersionsResponse.json):
//   Version 0: ErrorCode, ApiKeys [ApiKey, MinVersion, MaxVersion].
//   Version 1 adds ThrottleTimeMs.
//   Version 2: on quota violation, brokers send the response before throttling.
//   Version 3 is the first flexible version (in the body only: the response
//   header is always v0, see api.hpp) and adds the tagged fields
//   SupportedFeatures (tag 0), FinalizedFeaturesEpoch (tag 1),
//   FinalizedFeatures (tag 2) (all KIP-584) and ZkMigrationReady (tag 3).
//   Version 4 is the same as 3 (KAFKA-17011: features with MinVersion 0 are
//   no longer omitted).
//
// KIP-511 fallback. A broker that cannot parse the ApiVersions request version
// it was sent (because it is newer than the broker) still answers, but in the
// *v0* body format, with ErrorCode UNSUPPORTED_VERSION (35); since Kafka 2.4
// the ApiKeys array then lists the broker's real ranges, including its own for
// ApiVersions (older brokers leave it empty). So the body of a response to a
// vN request is not necessarily vN. decode_api_versions_response() below
// handles that; the caller detects the case by
//   response.error_code == kwire::errc::unsupported_version
// and reconnects/resends with response.fallback_version(sent_version).
#include <cstdint>
#include <optional>
#include <span>
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

struct ApiVersionsRequest {
  static constexpr ApiKey api_key = ApiKey::api_versions;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 3;

  /// v3+. Brokers validate both against [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?
  /// and answer INVALID_REQUEST otherwise. Must be empty below v3: clear them
  /// when falling back to an older version.
  std::string client_software_name;
  std::string client_software_version;
  TaggedFields unknown_tags;  ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ApiVersionsRequest&, const ApiVersionsRequest&) = default;
};

struct ApiVersionsResponse {
  static constexpr ApiKey api_key = ApiKey::api_versions;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 3;

  struct ApiVersion {
    std::int16_t api_key = 0;  ///< raw: brokers list keys kwire does not know
    std::int16_t min_version = 0;
    std::int16_t max_version = 0;
    TaggedFields unknown_tags;  ///< v3+
    friend bool operator==(const ApiVersion&, const ApiVersion&) = default;
  };

  /// A feature the broker supports (KIP-584).
  struct SupportedFeature {
    std::string name;
    std::int16_t min_version = 0;
    std::int16_t max_version = 0;
    TaggedFields unknown_tags;
    friend bool operator==(const SupportedFeature&, const SupportedFeature&) = default;
  };

  /// A cluster-wide finalized feature level (KIP-584). Note the wire order:
  /// max before min.
  struct FinalizedFeature {
    std::string name;
    std::int16_t max_version_level = 0;
    std::int16_t min_version_level = 0;
    TaggedFields unknown_tags;
    friend bool operator==(const FinalizedFeature&, const FinalizedFeature&) = default;
  };

  kwire::errc error_code = kwire::errc::none;
  std::vector<ApiVersion> api_keys;
  std::int32_t throttle_time_ms = 0;  ///< v1+
  // Tagged fields, v3+. Written only when they differ from their default.
  std::vector<SupportedFeature> supported_features;  ///< tag 0
  std::int64_t finalized_features_epoch = -1;        ///< tag 1; -1 = unknown
  std::vector<FinalizedFeature> finalized_features;  ///< tag 2; valid if epoch >= 0
  bool zk_migration_ready = false;                   ///< tag 3
  TaggedFields unknown_tags;                         ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ApiVersionsResponse&, const ApiVersionsResponse&) = default;

  /// The broker's range for `key`, or nullptr when it does not list it.
  const ApiVersion* find(ApiKey key) const noexcept;

  /// After an UNSUPPORTED_VERSION answer to a request sent at `sent_version`:
  /// the ApiVersions version to retry with — the broker's own maximum for
  /// ApiVersions when it lists one (KIP-511), else 0 (pre-2.4 brokers), and
  /// always below `sent_version`. nullopt when error_code is not
  /// UNSUPPORTED_VERSION or there is nothing lower to try.
  std::optional<std::int16_t> fallback_version(std::int16_t sent_version) const noexcept;
};

/// Decodes the body of a response to an ApiVersions request sent at
/// `request_version`, including the KIP-511 case where the broker answered
/// with UNSUPPORTED_VERSION in the v0 format: if the body starts with error
/// code 35 and `request_version` > 0 it is decoded as v0 first (falling back
/// to `request_version` if that fails). `decoded_version`, when given,
/// receives the version the body was actually decoded at. Trailing bytes are
/// an error, as in decode_message().
std::error_code decode_api_versions_response(std::span<const std::uint8_t> body, std::int16_t request_version,
                                             ApiVersionsResponse& out, std::int16_t* decoded_version = nullptr);

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
