#pragma once
// CreatePartitions (API key 37): raises a topic's partition count (KIP-195),
// optionally placing the new partitions' replicas by hand. Sent to any
// broker, which forwards to the controller (KIP-590).
//
// kwire speaks v0-3 (Kafka 3.9 and 4.x serve 0-3).
//
// Request (CreatePartitionsRequest.json):
//   Version 0: Topics [Name, Count, Assignments (nullable) [BrokerIds]],
//   TimeoutMs, ValidateOnly.
//   Version 1 is the same as 0.
//   Version 2 is the first flexible version (KIP-482).
//   Version 3 is the same as 2; the broker may answer
//   THROTTLING_QUOTA_EXCEEDED (KIP-599).
//
// Response (CreatePartitionsResponse.json):
//   Version 0: ThrottleTimeMs, Results [Name, ErrorCode, ErrorMessage].
//   Version 1: on quota violation, the broker answers first, then throttles
//   (KIP-219). Version 2 is the first flexible version. Version 3 as above.
//
// Every version carries every field, so only unknown tags below v2 are
// refused (client_errc::field_not_in_version).
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

struct CreatePartitionsRequest {
  static constexpr ApiKey api_key = ApiKey::create_partitions;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static constexpr std::int16_t first_flexible_version = 2;

  /// The replicas of one new partition, in order of preference.
  struct Assignment {
    std::vector<std::int32_t> broker_ids;
    TaggedFields unknown_tags;  ///< v2+
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };

  struct Topic {
    std::string name;
    std::int32_t count = 0;  ///< the new total number of partitions
    /// One entry per new partition, or null to let the controller place them.
    std::optional<std::vector<Assignment>> assignments;
    TaggedFields unknown_tags;  ///< v2+
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  std::vector<Topic> topics;
  std::int32_t timeout_ms = 0;
  bool validate_only = false;
  TaggedFields unknown_tags;  ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const CreatePartitionsRequest&, const CreatePartitionsRequest&) = default;
};

struct CreatePartitionsResponse {
  static constexpr ApiKey api_key = ApiKey::create_partitions;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static constexpr std::int16_t first_flexible_version = 2;

  struct Result {
    std::string name;
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;
    TaggedFields unknown_tags;  ///< v2+
    friend bool operator==(const Result&, const Result&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<Result> results;
  TaggedFields unknown_tags;  ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const CreatePartitionsResponse&, const CreatePartitionsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
