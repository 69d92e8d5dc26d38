#pragma once
// DescribeGroups (API key 15): the state, protocol and members of classic
// groups, sent to each group's coordinator. (KIP-848 "consumer" groups are
// described with ConsumerGroupDescribe; DescribeGroups answers them in
// classic form.)
//
// kwire speaks v0-6 (Kafka 3.9 serves 0-5, 4.x 0-6).
//
// Request (DescribeGroupsRequest.json):
//   Version 0: Groups [string]. Versions 1-2 are the same as 0.
//   Version 3 adds IncludeAuthorizedOperations (KIP-430).
//   Version 4 is the same as 3 (members may carry a group.instance.id).
//   Version 5 is the first flexible version (KIP-482).
//   Version 6 is the same as 5; the broker may answer GROUP_ID_NOT_FOUND
//   for an unknown group (KIP-1043).
//
// Response (DescribeGroupsResponse.json):
//   Version 0: Groups [ErrorCode, GroupId, GroupState, ProtocolType,
//   ProtocolData, Members [MemberId, ClientId, ClientHost, MemberMetadata,
//   MemberAssignment]].
//   Version 1 adds ThrottleTimeMs; from version 2 the broker answers first,
//   then throttles (KIP-219).
//   Version 3 adds AuthorizedOperations (KIP-430).
//   Version 4 adds the members' GroupInstanceId (KIP-345).
//   Version 5 is the first flexible version.
//   Version 6 adds a per-group ErrorMessage (KIP-1043).
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

struct DescribeGroupsRequest {
  static constexpr ApiKey api_key = ApiKey::describe_groups;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 5;

  std::vector<std::string> groups;
  bool include_authorized_operations = false;  ///< v3+
  TaggedFields unknown_tags;                   ///< v5+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeGroupsRequest&, const DescribeGroupsRequest&) = default;
};

struct DescribeGroupsResponse {
  static constexpr ApiKey api_key = ApiKey::describe_groups;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 5;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  ///< v4+ (static membership)
    std::string client_id;
    std::string client_host;
    /// The member's subscription (ConsumerProtocolSubscription for "consumer"
    /// groups); only while the group is Stable.
    std::vector<std::uint8_t> member_metadata;
    /// Its assignment (ConsumerProtocolAssignment); only while Stable.
    std::vector<std::uint8_t> member_assignment;
    TaggedFields unknown_tags;  ///< v5+
    friend bool operator==(const Member&, const Member&) = default;
  };

  struct Group {
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;  ///< v6+
    std::string group_id;
    std::string group_state;    ///< "Stable", "Empty", "Dead", ...
    std::string protocol_type;  ///< "consumer", "connect", ...
    std::string protocol_data;  ///< the chosen assignor, while Stable
    std::vector<Member> members;
    std::int32_t authorized_operations = kAuthorizedOperationsOmitted;  ///< v3+
    TaggedFields unknown_tags;                                         ///< v5+
    friend bool operator==(const Group&, const Group&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v1+
  std::vector<Group> groups;
  TaggedFields unknown_tags;  ///< v5+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeGroupsResponse&, const DescribeGroupsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
