#pragma once
// DescribeUserScramCredentials (API key 50): which SCRAM mechanisms (and
// iteration counts) users have credentials for (KIP-554), never the
// credentials themselves.
//
// kwire speaks v0, the only version (Kafka 3.9 and 4.x); flexible (KIP-482).
//
// Request (DescribeUserScramCredentialsRequest.json):
//   Version 0: Users (nullable: all users) [Name].
// Response (DescribeUserScramCredentialsResponse.json):
//   Version 0: ThrottleTimeMs, ErrorCode, ErrorMessage, Results [User,
//   ErrorCode, ErrorMessage, CredentialInfos [Mechanism, Iterations]].
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

/// Kafka's ScramMechanism ids (KIP-554).
enum class ScramMechanism : std::int8_t { unknown = 0, sha_256 = 1, sha_512 = 2 };

struct DescribeUserScramCredentialsRequest {
  static constexpr ApiKey api_key = ApiKey::describe_user_scram_credentials;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = 0;

  struct User {
    std::string name;
    TaggedFields unknown_tags;
    friend bool operator==(const User&, const User&) = default;
  };

  /// The users to describe; null for every user with credentials.
  std::optional<std::vector<User>> users;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeUserScramCredentialsRequest&,
                         const DescribeUserScramCredentialsRequest&) = default;
};

struct DescribeUserScramCredentialsResponse {
  static constexpr ApiKey api_key = ApiKey::describe_user_scram_credentials;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = 0;

  struct CredentialInfo {
    ScramMechanism mechanism = ScramMechanism::unknown;
    std::int32_t iterations = 0;
    TaggedFields unknown_tags;
    friend bool operator==(const CredentialInfo&, const CredentialInfo&) = default;
  };

  struct Result {
    std::string user;
    kwire::errc error_code = kwire::errc::none;  ///< RESOURCE_NOT_FOUND: no credentials
    std::optional<std::string> error_message;
    std::vector<CredentialInfo> credential_infos;
    TaggedFields unknown_tags;
    friend bool operator==(const Result&, const Result&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  kwire::errc error_code = kwire::errc::none;
  std::optional<std::string> error_message;
  std::vector<Result> results;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const DescribeUserScramCredentialsResponse&,
                         const DescribeUserScramCredentialsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
