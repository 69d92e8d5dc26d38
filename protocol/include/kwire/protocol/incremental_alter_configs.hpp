#pragma once
// IncrementalAlterConfigs (API key 44): sets, deletes, appends to or
// subtracts from single config values of a resource (KIP-339), leaving the
// other values alone (AlterConfigs replaced them all). Broker resources go to
// that broker; the rest to any broker, which forwards to the controller.
//
// kwire speaks v0-1 (Kafka 3.9 and 4.x serve 0-1).
//
// Request (IncrementalAlterConfigsRequest.json):
//   Version 0: Resources [ResourceType, ResourceName, Configs [Name,
//   ConfigOperation, Value]], ValidateOnly.
//   Version 1 is the first flexible version (KIP-482).
//
// Response (IncrementalAlterConfigsResponse.json):
//   Version 0: ThrottleTimeMs, Responses [ErrorCode, ErrorMessage,
//   ResourceType, ResourceName].
//   Version 1 is the first flexible version.
//
// Both versions carry every field, so only unknown tags at v0 are refused
// (client_errc::field_not_in_version).
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/describe_configs.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// What to do with one config value (Kafka's AlterConfigOp.OpType ids).
enum class ConfigOperation : std::int8_t {
  set = 0,
  remove = 1,    ///< DELETE: back to the default
  append = 2,    ///< list-typed configs only
  subtract = 3,  ///< list-typed configs only
};

struct IncrementalAlterConfigsRequest {
  static constexpr ApiKey api_key = ApiKey::incremental_alter_configs;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static constexpr std::int16_t first_flexible_version = 1;

  struct Config {
    std::string name;
    ConfigOperation config_operation = ConfigOperation::set;
    std::optional<std::string> value;  ///< null for remove
    TaggedFields unknown_tags;         ///< v1+
    friend bool operator==(const Config&, const Config&) = default;
  };

  struct Resource {
    ConfigResourceType resource_type = ConfigResourceType::unknown;
    std::string resource_name;
    std::vector<Config> configs;
    TaggedFields unknown_tags;  ///< v1+
    friend bool operator==(const Resource&, const Resource&) = default;
  };

  std::vector<Resource> resources;
  bool validate_only = false;
  TaggedFields unknown_tags;  ///< v1+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const IncrementalAlterConfigsRequest&, const IncrementalAlterConfigsRequest&) = default;
};

struct IncrementalAlterConfigsResponse {
  static constexpr ApiKey api_key = ApiKey::incremental_alter_configs;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static constexpr std::int16_t first_flexible_version = 1;

  struct Result {
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;
    ConfigResourceType resource_type = ConfigResourceType::unknown;
    std::string resource_name;
    TaggedFields unknown_tags;  ///< v1+
    friend bool operator==(const Result&, const Result&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<Result> responses;
  TaggedFields unknown_tags;  ///< v1+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const IncrementalAlterConfigsResponse&, const IncrementalAlterConfigsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
