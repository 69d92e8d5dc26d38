#pragma once
// FindCoordinator (API key 10): which broker coordinates a consumer group
// (key type 0, key = group id) or a transactional producer (key type 1, key =
// transactional.id) (KIP-98; share groups, KIP-932, use key type 2).
//
// Request (FindCoordinatorRequest.json):
//   Version 0: Key (the group id; groups only).
//   Version 1 adds KeyType (KIP-98).
//   Version 2 is the same as 1; Version 3 is the first flexible version (KIP-482).
//   Version 4 replaces Key with CoordinatorKeys: a batch of keys of one type
//   in one request (KIP-699).
//   Version 5 is the same as 4; the broker may answer TRANSACTION_ABORTABLE
//   (KIP-890). Version 6 is the same; key type 2 (share groups, KIP-932).
//
// Response (FindCoordinatorResponse.json):
//   Version 0: ErrorCode, NodeId, Host, Port.
//   Version 1 adds ThrottleTimeMs (first) and ErrorMessage (nullable).
//   Version 2 is the same as 1: on quota violation the broker answers first,
//   then throttles (KIP-219). Version 3 is the first flexible version.
//   Version 4 replaces the single answer with Coordinators: Key, NodeId,
//   Host, Port, ErrorCode, ErrorMessage per requested key (KIP-699).
//   Versions 5 and 6 are the same as 4.
//
// Every field a version lacks must hold its default when encoding at that
// version (else client_errc::field_not_in_version); decoding a version leaves
// the fields it lacks at their defaults.
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

namespace kwire::protocol {

/// FindCoordinator's KeyType.
enum class CoordinatorType : std::int8_t {
  group = 0,        ///< a consumer group; key = group.id
  transaction = 1,  ///< a transactional producer; key = transactional.id
  share = 2,        ///< a share group (KIP-932)
};

struct FindCoordinatorRequest {
  static constexpr ApiKey api_key = ApiKey::find_coordinator;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 3;
  /// First version with KeyType.
  static constexpr std::int16_t first_key_type_version = 1;
  /// First version with the batched CoordinatorKeys instead of Key (KIP-699).
  static constexpr std::int16_t first_batched_version = 4;

  std::string key;  ///< v0-3
  CoordinatorType key_type = CoordinatorType::group;  ///< v1+
  std::vector<std::string> coordinator_keys;          ///< v4+
  TaggedFields unknown_tags;                          ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const FindCoordinatorRequest&, const FindCoordinatorRequest&) = default;
};

struct FindCoordinatorResponse {
  static constexpr ApiKey api_key = ApiKey::find_coordinator;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 3;

  struct Coordinator {
    std::string key;
    std::int32_t node_id = 0;
    std::string host;
    std::int32_t port = 0;
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;
    TaggedFields unknown_tags;
    friend bool operator==(const Coordinator&, const Coordinator&) = default;
  };

  std::int32_t throttle_time_ms = 0;  ///< v1+
  // v0-3: the one answer.
  kwire::errc error_code = kwire::errc::none;
  std::optional<std::string> error_message;  ///< v1-3
  std::int32_t node_id = 0;
  std::string host;
  std::int32_t port = 0;
  std::vector<Coordinator> coordinators;  ///< v4+
  TaggedFields unknown_tags;              ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const FindCoordinatorResponse&, const FindCoordinatorResponse&) = default;
};

}  // namespace kwire::protocol
