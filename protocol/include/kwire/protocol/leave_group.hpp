#pragma once
// LeaveGroup (API key 13): a classic group member (or an admin, for several
// members at once) leaves the group, so the coordinator rebalances at once
// instead of waiting for the session to expire. Static members do not send
// it on a normal close (KIP-345).
//
// Request (LeaveGroupRequest.json):
//   Version 0: GroupId, MemberId.
//   Versions 1 and 2 are the same as version 0.
//   Version 3 replaces MemberId with a batch Members[MemberId,
//   GroupInstanceId] (KIP-345).
//   Version 4 is the first flexible version (KIP-482).
//   Version 5 adds Members[].Reason (KIP-800).
//
// Response (LeaveGroupResponse.json):
//   Version 0: ErrorCode.
//   Version 1 adds ThrottleTimeMs.
//   Version 2: on quota violation the broker answers first, then throttles.
//   Version 3 adds Members[MemberId, GroupInstanceId, ErrorCode], one result
//   per member left.
//   Version 4 is the first flexible version. Version 5 is the same as 4.
//
// MemberId exists only in v0-2 and Members only from v3: encoding refuses a
// non-empty one at a version without it (client_errc::field_not_in_version)
// rather than leave nobody. Reason and ThrottleTimeMs are ignorable and left
// out where the version lacks them, as Kafka's generated code does.
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

struct LeaveGroupRequest {
  static constexpr ApiKey api_key = ApiKey::leave_group;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 4;
  /// First version with the Members batch (KIP-345).
  static constexpr std::int16_t first_batch_version = 3;
  /// First version with Members[].Reason (KIP-800).
  static constexpr std::int16_t first_reason_version = 5;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::optional<std::string> reason;  ///< v5+ (ignorable)
    TaggedFields unknown_tags;          ///< v4+
    friend bool operator==(const Member&, const Member&) = default;
  };

  std::string group_id;
  std::string member_id;        ///< v0-2 only
  std::vector<Member> members;  ///< v3+
  TaggedFields unknown_tags;    ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const LeaveGroupRequest&, const LeaveGroupRequest&) = default;
};

struct LeaveGroupResponse {
  static constexpr ApiKey api_key = ApiKey::leave_group;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 4;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    kwire::errc error_code = kwire::errc::none;
    TaggedFields unknown_tags;  ///< v4+
    friend bool operator==(const Member&, const Member&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v1+ (ignorable)
  kwire::errc error_code = kwire::errc::none;
  std::vector<Member> members;  ///< v3+
  TaggedFields unknown_tags;    ///< v4+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const LeaveGroupResponse&, const LeaveGroupResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
