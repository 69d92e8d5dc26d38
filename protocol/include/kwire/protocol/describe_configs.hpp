#pragma once
// DescribeConfigs (API key 32): the configuration of topics, brokers, broker
// loggers, client-metrics subscriptions and groups, with where each value
// comes from (KIP-133, KIP-226 synonyms, KIP-569 types and documentation).
// Broker resources go to that broker; the rest to any broker.
//
// kwire speaks v0-4: Kafka 3.9 serves 0-4, 4.x 1-4 (KIP-896 removed v0).
//
// Request (DescribeConfigsRequest.json):
//   Version 0: Resources [ResourceType, ResourceName, ConfigurationKeys
//   (nullable: all keys)].
//   Version 1 adds IncludeSynonyms.
//   Version 2 is the same as 1.
//   Version 3 adds IncludeDocumentation (KIP-569).
//   Version 4 is the first flexible version (KIP-482).
//
// Response (DescribeConfigsResponse.json):
//   Version 0: ThrottleTimeMs, Results [ErrorCode, ErrorMessage,
//   ResourceType, ResourceName, Configs [Name, Value, ReadOnly, IsDefault,
//   IsSensitive]].
//   Version 1 replaces IsDefault with ConfigSource and adds Synonyms
//   [Name, Value, Source] (KIP-226).
//   Version 2: on quota violation, the broker answers first, then throttles
//   (KIP-219).
//   Version 3 adds ConfigType and Documentation (KIP-569).
//   Version 4 is the first flexible version.
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
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// What a config resource is (Kafka's ConfigResource.Type ids).
enum class ConfigResourceType : std::int8_t {
  unknown = 0,
  topic = 2,
  broker = 4,           ///< name: the broker id, or "" for the cluster-wide default
  broker_logger = 8,    ///< KIP-412
  client_metrics = 16,  ///< KIP-714
  group = 32,           ///< KIP-848
};

/// Where a config value comes from (DescribeConfigs v1+, KIP-226).
enum class ConfigSource : std::int8_t {
  unspecified = -1,  ///< the schema's default: not sent (v0)
  unknown = 0,
  dynamic_topic_config = 1,
  dynamic_broker_config = 2,
  dynamic_default_broker_config = 3,
  static_broker_config = 4,
  default_config = 5,
  dynamic_broker_logger_config = 6,
  client_metrics_config = 7,
  group_config = 8,
};

struct DescribeConfigsRequest {
  static constexpr ApiKey api_key = ApiKey::describe_configs;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 4;

  struct Resource {
    ConfigResourceType resource_type = ConfigResourceType::unknown;
    std::string resource_name;
    /// The keys to describe; null for all of them.
    std::optional<std::vector<std::string>> configuration_keys;
    TaggedFields unknown_tags;  ///< v4+
    friend bool operator==(const Resource&, const Resource&) = default;
  };

  std::vector<Resource> resources;
  bool include_synonyms = false;       ///< v1+
  bool include_documentation = false;  ///< v3+
  TaggedFields unknown_tags;           ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeConfigsRequest&, const DescribeConfigsRequest&) = default;
};

struct DescribeConfigsResponse {
  static constexpr ApiKey api_key = ApiKey::describe_configs;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 4;

  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    ConfigSource source = ConfigSource::unknown;
    TaggedFields unknown_tags;  ///< v4+
    friend bool operator==(const Synonym&, const Synonym&) = default;
  };

  struct Config {
    std::string name;
    std::optional<std::string> value;  ///< null for sensitive values
    bool read_only = false;
    bool is_default = false;  ///< v0 only (v1+ says it with config_source)
    ConfigSource config_source = ConfigSource::unspecified;  ///< v1+
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;  ///< v1+, when include_synonyms was asked
    /// v3+: Kafka's ConfigDef type id (1 boolean, 2 string, 3 int, 4 short,
    /// 5 long, 6 double, 7 list, 8 class, 9 password); 0 unknown.
    std::int8_t config_type = 0;
    std::optional<std::string> documentation;  ///< v3+, when include_documentation was asked
    TaggedFields unknown_tags;                 ///< v4+
    friend bool operator==(const Config&, const Config&) = default;
  };

  struct Result {
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;
    ConfigResourceType resource_type = ConfigResourceType::unknown;
    std::string resource_name;
    std::vector<Config> configs;
    TaggedFields unknown_tags;  ///< v4+
    friend bool operator==(const Result&, const Result&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<Result> results;
  TaggedFields unknown_tags;  ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeConfigsResponse&, const DescribeConfigsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
