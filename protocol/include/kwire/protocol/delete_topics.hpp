#pragma once
// DeleteTopics (API key 20): deletes topics by name, or (v6+) by topic id.
// Sent to any broker, which forwards to the controller (KIP-590).
//
// kwire speaks v0-6: Kafka 3.9 serves 0-6, 4.x 1-6 (KIP-896 removed v0).
//
// Request (DeleteTopicsRequest.json):
//   Version 0: TopicNames [string], TimeoutMs.
//   Versions 1-3 are the same as 0.
//   Version 4 is the first flexible version (KIP-482).
//   Version 5 may answer THROTTLING_QUOTA_EXCEEDED (KIP-599).
//   Version 6 replaces TopicNames with Topics [Name (nullable), TopicId], so
//   a topic can be named by its id (KIP-516).
//
// Response (DeleteTopicsResponse.json):
//   Version 0: Responses [Name, ErrorCode].
//   Version 1 adds ThrottleTimeMs; from version 2 the broker answers first,
//   then throttles (KIP-219).
//   Version 3 may return TOPIC_DELETION_DISABLED.
//   Version 4 is the first flexible version.
//   Version 5 adds a per-topic ErrorMessage (KIP-599).
//   Version 6 adds TopicId and lets Name be null (a topic asked for by id
//   that does not exist: UNKNOWN_TOPIC_ID).
//
// kwire models the request as one list of topics at every version: below v6
// each topic must have a name and no id (they are written as TopicNames).
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

struct DeleteTopicsRequest {
  static constexpr ApiKey api_key = ApiKey::delete_topics;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 4;
  /// First version addressing topics as {Name, TopicId} (KIP-516).
  static constexpr std::int16_t first_topic_id_version = 6;

  struct Topic {
    std::optional<std::string> name;  ///< null (v6+) when deleting by id
    Uuid topic_id;                    ///< v6+; zero when deleting by name
    TaggedFields unknown_tags;        ///< v6+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  std::int32_t timeout_ms = 0;
  TaggedFields unknown_tags;  ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DeleteTopicsRequest&, const DeleteTopicsRequest&) = default;
};

struct DeleteTopicsResponse {
  static constexpr ApiKey api_key = ApiKey::delete_topics;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 4;

  struct Result {
    std::optional<std::string> name = std::string();  ///< null only v6+ (unknown topic id)
    Uuid topic_id;                                     ///< v6+
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;  ///< v5+
    TaggedFields unknown_tags;                 ///< v4+
    friend bool operator==(const Result&, const Result&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v1+
  std::vector<Result> responses;
  TaggedFields unknown_tags;  ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DeleteTopicsResponse&, const DeleteTopicsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
