#pragma once
// JoinGroup (API key 11): the first step of the classic group protocol. A
// member announces the protocols (assignors) it supports; the coordinator
// picks one, elects a leader and answers every member with the generation.
//
// Request (JoinGroupRequest.json):
//   Version 0: GroupId, SessionTimeoutMs, MemberId, ProtocolType,
//   Protocols[Name, Metadata].
//   Version 1 adds RebalanceTimeoutMs (default -1: the broker then uses the
//   session timeout).
//   Versions 2 and 3 are the same as version 1.
//   Version 4: a dynamic member joining with an empty MemberId is answered
//   MEMBER_ID_REQUIRED (79) with its assigned MemberId and must join again
//   with it (KIP-394).
//   Version 5 adds GroupInstanceId, static membership (KIP-345).
//   Version 6 is the first flexible version (KIP-482).
//   Version 7 is the same as version 6.
//   Version 8 adds Reason (KIP-800).
//   Version 9 is the same as version 8 (the response gains SkipAssignment).
//
// Response (JoinGroupResponse.json):
//   Version 0: ErrorCode, GenerationId, ProtocolName, Leader, MemberId,
//   Members[MemberId, Metadata] (only the leader gets Members).
//   Version 1 is the same as version 0.
//   Version 2 adds ThrottleTimeMs.
//   Version 3: on quota violation the broker answers first, then throttles.
//   Version 4: MEMBER_ID_REQUIRED, as above (KIP-394).
//   Version 5 adds Members[].GroupInstanceId (KIP-345).
//   Version 6 is the first flexible version.
//   Version 7 adds ProtocolType and makes ProtocolName nullable (KIP-559).
//   Version 8 is the same as version 7.
//   Version 9 adds SkipAssignment (KIP-814: a static leader rejoining must
//   not reassign).
//
// Encoding follows Kafka's generated code: a field the version lacks that
// the schema marks ignorable (RebalanceTimeoutMs, Reason, ThrottleTimeMs,
// ProtocolType, Members[].GroupInstanceId) is left out; any other field the
// version lacks must hold its default, else client_errc::field_not_in_version
// (a static member must not silently join as a dynamic one, a leader must
// not miss SkipAssignment). Decoding a version leaves the fields it lacks at
// their defaults.
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

struct JoinGroupRequest {
  static constexpr ApiKey api_key = ApiKey::join_group;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 9;
  static constexpr std::int16_t first_flexible_version = 6;
  /// First version answering MEMBER_ID_REQUIRED to an empty member id (KIP-394).
  static constexpr std::int16_t first_member_id_required_version = 4;
  /// First version with GroupInstanceId (KIP-345).
  static constexpr std::int16_t first_instance_id_version = 5;
  /// First version with Reason (KIP-800).
  static constexpr std::int16_t first_reason_version = 8;

  /// One assignor the member supports, in order of preference.
  struct Protocol {
    std::string name;                   ///< "range", "cooperative-sticky", ...
    std::vector<std::uint8_t> metadata;  ///< e.g. a ConsumerProtocolSubscription
    TaggedFields unknown_tags;          ///< v6+
    friend bool operator==(const Protocol&, const Protocol&) = default;
  };

  std::string group_id;
  std::int32_t session_timeout_ms = 0;
  std::int32_t rebalance_timeout_ms = -1;  ///< v1+ (ignorable)
  std::string member_id;                   ///< "" on the first join
  std::optional<std::string> group_instance_id;  ///< v5+; set for a static member
  std::string protocol_type;                     ///< "consumer" for consumers
  std::vector<Protocol> protocols;
  std::optional<std::string> reason;  ///< v8+ (ignorable)
  TaggedFields unknown_tags;          ///< v6+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const JoinGroupRequest&, const JoinGroupRequest&) = default;
};

struct JoinGroupResponse {
  static constexpr ApiKey api_key = ApiKey::join_group;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 9;
  static constexpr std::int16_t first_flexible_version = 6;
  /// First version with ProtocolType, and with a nullable ProtocolName (KIP-559).
  static constexpr std::int16_t first_protocol_type_version = 7;
  /// First version with SkipAssignment (KIP-814).
  static constexpr std::int16_t first_skip_assignment_version = 9;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  ///< v5+ (ignorable)
    std::vector<std::uint8_t> metadata;
    TaggedFields unknown_tags;  ///< v6+
    friend bool operator==(const Member&, const Member&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v2+ (ignorable)
  kwire::errc error_code = kwire::errc::none;
  std::int32_t generation_id = -1;
  std::optional<std::string> protocol_type;              ///< v7+ (ignorable)
  std::optional<std::string> protocol_name = std::string();  ///< null only from v7
  std::string leader;
  bool skip_assignment = false;  ///< v9+
  std::string member_id;         ///< ours; also set with MEMBER_ID_REQUIRED
  std::vector<Member> members;   ///< non-empty for the leader only
  TaggedFields unknown_tags;     ///< v6+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const JoinGroupResponse&, const JoinGroupResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
