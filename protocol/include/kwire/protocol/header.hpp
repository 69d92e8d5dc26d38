#pragma once
// Request header v1/v2 and response header v0/v1 (Kafka's RequestHeader.json
// and ResponseHeader.json). v0 request headers (no client id) are only for
// ControlledShutdown v0, which kwire never sends.
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct RequestHeader {
  ApiKey api_key = ApiKey::api_versions;
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
  std::optional<std::string> client_id;
  TaggedFields unknown_tags;  ///< v2 only

  /// Writes the header in the version its api_key/api_version require.
  /// Note: v2 still writes client_id as a classic int16 string (KIP-482).
  /// Fails with client_errc::field_not_in_version, writing nothing, when
  /// unknown_tags is not empty and that version is v1 (no tag buffer).
  std::error_code encode(Writer& out) const;
  /// Reads a header of the given version (1 or 2); for brokers and the mock.
  std::error_code decode(Reader& in, std::int16_t header_version);
  friend bool operator==(const RequestHeader&, const RequestHeader&) = default;
};

struct ResponseHeader {
  std::int32_t correlation_id = 0;
  TaggedFields unknown_tags;  ///< v1 only

  void encode(Writer& out, std::int16_t header_version) const;
  std::error_code decode(Reader& in, std::int16_t header_version);
  friend bool operator==(const ResponseHeader&, const ResponseHeader&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
