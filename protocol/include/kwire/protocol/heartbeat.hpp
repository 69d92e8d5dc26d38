#pragma once
// Heartbeat (API key 12): a classic group member's liveness signal, sent
// every heartbeat.interval.ms; the answer says when to rejoin
// (REBALANCE_IN_PROGRESS) or that the member is gone (ILLEGAL_GENERATION,
// UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID).
//
// Request (HeartbeatRequest.json):
//   Version 0: GroupId, GenerationId, MemberId.
//   Versions 1 and 2 are the same as version 0.
//   Version 3 adds GroupInstanceId (KIP-345).
//   Version 4 is the first flexible version (KIP-482).
//
// Response (HeartbeatResponse.json):
//   Version 0: ErrorCode.
//   Version 1 adds ThrottleTimeMs.
//   Version 2: on quota violation the broker answers first, then throttles.
//   Version 3 is the same as version 2.
//   Version 4 is the first flexible version.
//
// GroupInstanceId must be null below v3 (else
// client_errc::field_not_in_version); ThrottleTimeMs is ignorable and left
// out below v1, as Kafka's generated code does.
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct HeartbeatRequest {
  static constexpr ApiKey api_key = ApiKey::heartbeat;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 4;
  /// First version with GroupInstanceId (KIP-345).
  static constexpr std::int16_t first_instance_id_version = 3;

  std::string group_id;
  std::int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;  ///< v3+
  TaggedFields unknown_tags;                     ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const HeartbeatRequest&, const HeartbeatRequest&) = default;
};

struct HeartbeatResponse {
  static constexpr ApiKey api_key = ApiKey::heartbeat;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 4;
  static constexpr std::int16_t first_flexible_version = 4;

  std::int32_t throttle_time_ms = 0;  ///< v1+ (ignorable)
  kwire::errc error_code = kwire::errc::none;
  TaggedFields unknown_tags;  ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const HeartbeatResponse&, const HeartbeatResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
