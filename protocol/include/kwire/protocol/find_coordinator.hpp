#pragma once
// FindCoordinator (API key 10): which broker coordinates a consumer group
// (key type 0), a transactional id (key type 1, KIP-98) or a share group
// (key type 2, KIP-932).
//
// Request (FindCoordinatorRequest.json):
//   Version 0: Key (the group id).
//   Version 1 adds KeyType (0 group, 1 transaction).
//   Version 2 is the same as version 1.
//   Version 3 is the first flexible version (KIP-482).
//   Version 4 replaces Key with CoordinatorKeys, a batch of keys of one type
//   (KIP-699).
//   Version 5 is the same as 4; the broker may answer TRANSACTION_ABORTABLE
//   (KIP-890).
//   Version 6 is the same as 5; KeyType 2 (share group, KIP-932) is valid
//   from here on.
//
// Response (FindCoordinatorResponse.json):
//   Version 0: ErrorCode, NodeId, Host, Port.
//   Version 1 adds ThrottleTimeMs and ErrorMessage.
//   Version 2: on quota violation, the broker answers first, then throttles
//   (KIP-219).
//   Version 3 is the first flexible version.
//   Version 4 replaces the top-level result with Coordinators, one
//   {Key, NodeId, Host, Port, ErrorCode, ErrorMessage} per requested key
//   (KIP-699).
//   Versions 5 and 6: new error codes / key type only, as above.
//
// Encoding refuses (client_errc::field_not_in_version, nothing written) a
// non-default value in a field the version lacks, except ThrottleTimeMs and
// ErrorMessage, which Kafka's schema marks ignorable and which are dropped
// below v1, as Kafka's own encoder does. In particular a request cannot carry
// several keys below v4 (send one request per key). A share-group key type
// below v6 is written as it is (it is a value the field can hold; the broker
// refuses it): CoordinatorCache never sends one. Decoding a version leaves the fields it lacks at their defaults.
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

/// FindCoordinator's KeyType values. Kept as an int8 on the wire structs so
/// that a value from a newer broker round-trips unchanged.
enum class CoordinatorType : std::int8_t {
  group = 0,        ///< consumer group id
  transaction = 1,  ///< transactional.id (KIP-98)
  share = 2,        ///< share group id (KIP-932, v6+)
};

struct FindCoordinatorRequest {
  static constexpr ApiKey api_key = ApiKey::find_coordinator;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 3;
  static constexpr std::int16_t first_key_type_version = 1;
  /// First version with CoordinatorKeys instead of Key (KIP-699).
  static constexpr std::int16_t first_batched_version = 4;
  /// First version that accepts CoordinatorType::share (KIP-932).
  static constexpr std::int16_t first_share_version = 6;

  std::string key;                      ///< v0-3
  std::int8_t key_type = 0;             ///< v1+; a CoordinatorType
  std::vector<std::string> coordinator_keys;  ///< v4+
  TaggedFields unknown_tags;            ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const FindCoordinatorRequest&, const FindCoordinatorRequest&) = default;
};

struct FindCoordinatorResponse {
  static constexpr ApiKey api_key = ApiKey::find_coordinator;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 6;
  static constexpr std::int16_t first_flexible_version = 3;
  static constexpr std::int16_t first_throttle_time_version = 1;
  static constexpr std::int16_t first_batched_version = 4;

  /// One key's answer (v4+).
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

  std::int32_t throttle_time_ms = 0;                ///< v1+ (ignorable)
  kwire::errc error_code = kwire::errc::none;       ///< v0-3
  std::optional<std::string> error_message;         ///< v1-3 (ignorable)
  std::int32_t node_id = 0;                         ///< v0-3
  std::string host;                                 ///< v0-3
  std::int32_t port = 0;                            ///< v0-3
  std::vector<Coordinator> coordinators;            ///< v4+
  TaggedFields unknown_tags;                        ///< v3+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const FindCoordinatorResponse&, const FindCoordinatorResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
