#pragma once
// DeleteGroups (API key 42): deletes empty groups and their committed
// offsets, sent to each group's coordinator.
//
// kwire speaks v0-3 (Kafka 3.9 serves 0-2; 4.4 0-3).
//
// Request (DeleteGroupsRequest.json):
//   Version 0: GroupsNames [string]. Version 1 is the same as 0.
//   Version 2 is the first flexible version (KIP-482).
//   Version 3 is the same as 2 (the response gains ErrorMessage).
//
// Response (DeleteGroupsResponse.json):
//   Version 0: ThrottleTimeMs, Results [GroupId, ErrorCode].
//   Version 1: on quota violation, the broker answers first, then throttles
//   (KIP-219). Version 2 is the first flexible version.
//   Version 3 adds a per-group ErrorMessage (e.g. why GROUP_DELETION_FAILED).
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

struct DeleteGroupsRequest {
  static constexpr ApiKey api_key = ApiKey::delete_groups;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static constexpr std::int16_t first_flexible_version = 2;

  std::vector<std::string> groups_names;
  TaggedFields unknown_tags;  ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DeleteGroupsRequest&, const DeleteGroupsRequest&) = default;
};

struct DeleteGroupsResponse {
  static constexpr ApiKey api_key = ApiKey::delete_groups;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 3;
  static constexpr std::int16_t first_flexible_version = 2;

  struct Result {
    std::string group_id;
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;  ///< v3+
    TaggedFields unknown_tags;                 ///< v2+
    friend bool operator==(const Result&, const Result&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<Result> results;
  TaggedFields unknown_tags;  ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DeleteGroupsResponse&, const DeleteGroupsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
