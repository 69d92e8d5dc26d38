#pragma once
// SaslAuthenticate (API key 36): one SASL token from the client, one from the
// broker, as often as the mechanism needs (KIP-152). Used after a SaslHandshake
// v1; a v0 handshake sends raw tokens instead.
//
// Request (SaslAuthenticateRequest.json):
//   Version 0: AuthBytes (bytes) — the mechanism's token.
//   Version 1 is the same as version 0.
//   Version 2 is the first flexible version (KIP-482).
//
// Response (SaslAuthenticateResponse.json):
//   Version 0: ErrorCode, ErrorMessage (nullable string), AuthBytes (bytes).
//   SASL_AUTHENTICATION_FAILED (58) carries the broker's reason in
//   ErrorMessage ("Authentication failed: Invalid username or password", ...).
//   Version 1 adds SessionLifetimeMs (KIP-368): when positive, the client
//   must re-authenticate on the same connection before it passes, or the
//   broker closes the connection. 0: no limit (the broker's
//   connections.max.reauth.ms is unset).
//   Version 2 is the first flexible version.
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
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct SaslAuthenticateRequest {
  static constexpr ApiKey api_key = ApiKey::sasl_authenticate;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 2;

  /// The client's SASL token. It may carry a secret (PLAIN's password, an
  /// OAuth token): never log it.
  std::vector<std::uint8_t> auth_bytes;
  TaggedFields unknown_tags;  ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const SaslAuthenticateRequest&, const SaslAuthenticateRequest&) = default;
};

struct SaslAuthenticateResponse {
  static constexpr ApiKey api_key = ApiKey::sasl_authenticate;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 2;
  static constexpr std::int16_t first_flexible_version = 2;
  /// First version carrying SessionLifetimeMs (KIP-368).
  static constexpr std::int16_t first_session_lifetime_version = 1;

  kwire::errc error_code = kwire::errc::none;
  std::optional<std::string> error_message;
  std::vector<std::uint8_t> auth_bytes;  ///< the broker's SASL token
  std::int64_t session_lifetime_ms = 0;  ///< v1+; 0: no re-authentication needed
  TaggedFields unknown_tags;             ///< v2+

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const SaslAuthenticateResponse&, const SaslAuthenticateResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
