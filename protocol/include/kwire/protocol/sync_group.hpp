#pragma once
// SyncGroup (API key 14): the second step of the classic group protocol. The
// leader sends every member's assignment; every member (leader included)
// gets its own back.
//
// Request (SyncGroupRequest.json):
//   Version 0: GroupId, GenerationId, MemberId, Assignments[MemberId,
//   Assignment] (empty unless sent by the leader).
//   Versions 1 and 2 are the same as version 0.
//   Version 3 adds GroupInstanceId (KIP-345).
//   Version 4 is the first flexible version (KIP-482).
//   Version 5 adds ProtocolType and ProtocolName; the broker rejects them
//   with INCONSISTENT_GROUP_PROTOCOL when they differ from the group's
//   (KIP-559).
//
// Response (SyncGroupResponse.json):
//   Version 0: ErrorCode, Assignment.
//   Version 1 adds ThrottleTimeMs.
//   Version 2: on quota violation the broker answers first, then throttles.
//   Version 3 is the same as version 2.
//   Version 4 is the first flexible version.
//   Version 5 adds ProtocolType and ProtocolName (KIP-559).
//
// Encoding follows Kafka's generated code: a field the version lacks that
// the schema marks ignorable (ProtocolType, ProtocolName, ThrottleTimeMs) is
// left out; GroupInstanceId must be null below v3, else
// client_errc::field_not_in_version.
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

struct SyncGroupRequest {
  static constexpr ApiKey api_key = ApiKey::sync_group;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 4;
  /// First version with GroupInstanceId (KIP-345).
  static constexpr std::int16_t first_instance_id_version = 3;
  /// First version with ProtocolType/ProtocolName (KIP-559).
  static constexpr std::int16_t first_protocol_version = 5;

  struct Assignment {
    std::string member_id;
    std::vector<std::uint8_t> assignment;  ///< e.g. a ConsumerProtocolAssignment
    TaggedFields unknown_tags;             ///< v4+
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };

  std::string group_id;
  std::int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;  ///< v3+
  std::optional<std::string> protocol_type;      ///< v5+ (ignorable)
  std::optional<std::string> protocol_name;      ///< v5+ (ignorable)
  std::vector<Assignment> assignments;           ///< the leader's only
  TaggedFields unknown_tags;                     ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const SyncGroupRequest&, const SyncGroupRequest&) = default;
};

struct SyncGroupResponse {
  static constexpr ApiKey api_key = ApiKey::sync_group;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 4;

  std::int32_t throttle_time_ms = 0;  ///< v1+ (ignorable)
  kwire::errc error_code = kwire::errc::none;
  std::optional<std::string> protocol_type;  ///< v5+ (ignorable)
  std::optional<std::string> protocol_name;  ///< v5+ (ignorable)
  std::vector<std::uint8_t> assignment;
  TaggedFields unknown_tags;  ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const SyncGroupResponse&, const SyncGroupResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
