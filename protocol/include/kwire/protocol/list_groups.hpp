#pragma once
// ListGroups (API key 16): the groups one broker coordinates (an admin
// client asks every broker and merges the answers), filtered by state
// (KIP-518) and by type (KIP-848: "classic", "consumer", "share", ...).
//
// kwire speaks v0-5 (Kafka 3.9 and 4.x serve 0-5).
//
// Request (ListGroupsRequest.json):
//   Version 0 has no fields. Versions 1-2 are the same as 0.
//   Version 3 is the first flexible version (KIP-482).
//   Version 4 adds StatesFilter (KIP-518).
//   Version 5 adds TypesFilter (KIP-848).
//
// Response (ListGroupsResponse.json):
//   Version 0: ErrorCode, Groups [GroupId, ProtocolType].
//   Version 1 adds ThrottleTimeMs; from version 2 the broker answers first,
//   then throttles (KIP-219).
//   Version 3 is the first flexible version.
//   Version 4 adds GroupState (KIP-518).
//   Version 5 adds GroupType (KIP-848).
//
// Every field a version lacks must hold its default when encoding at that
// version (else client_errc::field_not_in_version): a filter is never dropped
// silently, which would list every group. Decoding leaves the fields a
// version lacks at their defaults.
#include <cstdint>
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

struct ListGroupsRequest {
  static constexpr ApiKey api_key = ApiKey::list_groups;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 3;
  static constexpr std::int16_t first_states_filter_version = 4;
  static constexpr std::int16_t first_types_filter_version = 5;

  /// v4+: only groups in these states ("Stable", "Empty", ...); empty: all.
  std::vector<std::string> states_filter;
  /// v5+: only groups of these types ("classic", "consumer", ...); empty: all.
  std::vector<std::string> types_filter;
  TaggedFields unknown_tags;  ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ListGroupsRequest&, const ListGroupsRequest&) = default;
};

struct ListGroupsResponse {
  static constexpr ApiKey api_key = ApiKey::list_groups;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 5;
  static constexpr std::int16_t first_flexible_version = 3;

  struct Group {
    std::string group_id;
    std::string protocol_type;  ///< "consumer", "connect", ... ("" for KIP-848 groups)
    std::string group_state;    ///< v4+
    std::string group_type;     ///< v5+
    TaggedFields unknown_tags;  ///< v3+
    friend bool operator==(const Group&, const Group&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v1+
  kwire::errc error_code = kwire::errc::none;
  std::vector<Group> groups;
  TaggedFields unknown_tags;  ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ListGroupsResponse&, const ListGroupsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
