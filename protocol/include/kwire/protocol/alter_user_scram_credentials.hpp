#pragma once
// AlterUserScramCredentials (API key 51): creates, replaces or deletes
// users' SCRAM credentials (KIP-554). The client sends the salted password
// (RFC 5802's SaltedPassword = Hi(password, salt, iterations)), never the
// password. Sent to any broker, which forwards to the controller.
//
// kwire speaks v0, the only version (Kafka 3.9 and 4.x); flexible (KIP-482).
//
// Request (AlterUserScramCredentialsRequest.json):
//   Version 0: Deletions [Name, Mechanism], Upsertions [Name, Mechanism,
//   Iterations, Salt, SaltedPassword].
// Response (AlterUserScramCredentialsResponse.json):
//   Version 0: ThrottleTimeMs, Results [User, ErrorCode, ErrorMessage].
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/describe_user_scram_credentials.hpp"  // ScramMechanism
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct AlterUserScramCredentialsRequest {
  static constexpr ApiKey api_key = ApiKey::alter_user_scram_credentials;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = 0;

  struct Deletion {
    std::string name;
    ScramMechanism mechanism = ScramMechanism::unknown;
    TaggedFields unknown_tags;
    friend bool operator==(const Deletion&, const Deletion&) = default;
  };

  struct Upsertion {
    std::string name;
    ScramMechanism mechanism = ScramMechanism::unknown;
    std::int32_t iterations = 0;  ///< at least 4096 (the mechanism's minimum)
    std::vector<std::uint8_t> salt;
    std::vector<std::uint8_t> salted_password;
    TaggedFields unknown_tags;
    friend bool operator==(const Upsertion&, const Upsertion&) = default;
  };

  std::vector<Deletion> deletions;
  std::vector<Upsertion> upsertions;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const AlterUserScramCredentialsRequest&, const AlterUserScramCredentialsRequest&) = default;
};

struct AlterUserScramCredentialsResponse {
  static constexpr ApiKey api_key = ApiKey::alter_user_scram_credentials;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 0;
  static constexpr std::int16_t first_flexible_version = 0;

  struct Result {
    std::string user;
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;
    TaggedFields unknown_tags;
    friend bool operator==(const Result&, const Result&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<Result> results;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const AlterUserScramCredentialsResponse&, const AlterUserScramCredentialsResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
