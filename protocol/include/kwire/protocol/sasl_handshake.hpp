#pragma once
// SaslHandshake (API key 17): the client names the SASL mechanism it wants;
// the broker answers with an error code and the mechanisms it has enabled
// (KIP-43).
//
// Request (SaslHandshakeRequest.json):
//   Version 0: Mechanism (string). After a v0 handshake the SASL tokens
//   travel as raw frames (an int32 size, then the token), outside Kafka's
//   request/response framing.
//   Version 1 is the same as version 0, but announces that the client wraps
//   the tokens in SaslAuthenticate requests instead (KIP-152), which is how
//   authentication errors get a message.
//   Never flexible. The version cannot be bumped because clients <= 2.4
//   negotiated it wrongly (KAFKA-9577).
//
// Response (SaslHandshakeResponse.json):
//   Version 0: ErrorCode, Mechanisms ([]string). UNSUPPORTED_SASL_MECHANISM
//   (33) when the mechanism asked for is not enabled on the listener;
//   ILLEGAL_SASL_STATE (34) when a handshake arrives at the wrong moment.
//   Version 1 is the same as version 0.
//
// Neither side has tagged fields (no flexible version), so these structs keep
// no unknown tags.
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct SaslHandshakeRequest {
  static constexpr ApiKey api_key = ApiKey::sasl_handshake;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static constexpr std::int16_t first_flexible_version = -1;  ///< never flexible
  /// From this version the tokens travel in SaslAuthenticate requests (KIP-152).
  static constexpr std::int16_t first_authenticate_version = 1;

  std::string mechanism;  ///< e.g. "PLAIN", "SCRAM-SHA-256", "GSSAPI", "OAUTHBEARER"

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const SaslHandshakeRequest&, const SaslHandshakeRequest&) = default;
};

struct SaslHandshakeResponse {
  static constexpr ApiKey api_key = ApiKey::sasl_handshake;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static constexpr std::int16_t first_flexible_version = -1;

  kwire::errc error_code = kwire::errc::none;
  /// The mechanisms enabled on the broker's listener.
  std::vector<std::string> mechanisms;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const SaslHandshakeResponse&, const SaslHandshakeResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
