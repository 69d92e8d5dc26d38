// ApiVersionsResponse v0-v4, through the function the client really uses:
// decode_api_versions_response() with the KIP-511 fallback (a response to a
// vN request may be in the v0 format when it carries UNSUPPORTED_VERSION).
// Input: version byte (the version the request was sent at), then the body.
#include "fuzz_check.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "message_round_trip.hpp"

using kwire::protocol::ApiVersionsResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = kwire::fuzz::split_version(data, size, ApiVersionsResponse::min_version, ApiVersionsResponse::max_version);
  if (!in) return 0;
  ApiVersionsResponse response;
  std::int16_t decoded_version = -1;
  if (kwire::protocol::decode_api_versions_response(in->body, in->version, response, &decoded_version)) return 0;
  KWIRE_FUZZ_CHECK(decoded_version == in->version ||
                       (decoded_version == 0 && response.error_code == kwire::errc::unsupported_version),
                   "only an UNSUPPORTED_VERSION answer may be read in the v0 format");

  // The round trip is at the version the body was actually decoded at. (Not
  // through decode_api_versions_response again: a v1+ body starting with
  // error 35 may also parse as v0 — the ambiguity KIP-511 accepts.)
  kwire::fuzz::check_round_trip(in->body, decoded_version, response);

  // The fallback decision never proposes the version already refused.
  if (auto next = response.fallback_version(in->version)) {
    KWIRE_FUZZ_CHECK(*next < in->version && *next >= ApiVersionsResponse::min_version,
                     "fallback_version must go down and stay in range");
  }
  return 0;
}
