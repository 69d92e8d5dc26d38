#pragma once
// ApiVersions negotiation as sans-I/O decisions (no socket): what to send
// first, what to do with the broker's answer, and which version of each API
// to use afterwards. The Connection drives these; tests call them directly.
//
// Flow (KIP-35, KIP-511): send ApiVersions at our highest version. A broker
// older than that request answers UNSUPPORTED_VERSION (35) in the v0 body
// format, listing its own ranges (Kafka >= 2.4, including ApiVersions
// itself); the client then retries once, on the same connection, with the
// highest ApiVersions version both sides support. Versions hold for one TCP
// session only: negotiate again after every reconnect.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::net {

/// The ApiVersions version a connection sends first: kwire's highest.
std::int16_t initial_api_versions_version() noexcept;

/// Encodes our ApiVersions request body at `version`; the client software
/// name/version (KIP-511) are sent from v3 and dropped below it.
std::error_code encode_api_versions_request(std::int16_t version, const std::string& software_name,
                                            const std::string& software_version, std::vector<std::uint8_t>& body);

/// What to do after an ApiVersions response.
struct NegotiationStep {
  enum class Action { ready, retry, fail };
  Action action = Action::fail;
  std::int16_t retry_version = -1;  ///< for Action::retry
  std::error_code error;            ///< for Action::fail
};

/// Decodes the response body to an ApiVersions request sent at
/// `sent_version` into `out` (accepting the KIP-511 v0 fallback format) and
/// decides: ready (error_code NONE), retry at a lower version (first
/// UNSUPPORTED_VERSION answer, `already_retried` false), or fail —
/// client_errc::unsupported_version when no common version exists or the
/// retry was refused too, the Kafka error for any other error code, the
/// decoder's error for undecodable bytes.
NegotiationStep evaluate_api_versions_response(std::span<const std::uint8_t> body, std::int16_t sent_version,
                                               bool already_retried, protocol::ApiVersionsResponse& out);

/// The version to use for each API kwire implements, given one broker's
/// ranges: protocol::choose_version over them (so Produce is never below 3).
class NegotiatedVersions {
 public:
  NegotiatedVersions() = default;
  explicit NegotiatedVersions(const protocol::ApiVersionsResponse& broker);

  /// nullopt when the broker does not list `key`, or no version is common.
  std::optional<std::int16_t> version(protocol::ApiKey key) const noexcept;

 private:
  std::vector<std::pair<protocol::ApiKey, std::int16_t>> versions_;
};

/// The one version rule for typed requests: the version negotiated with the
/// broker (`negotiated`, nullopt when it has none in common with kwire),
/// capped at `max_version` (a caller's limit, e.g. Produce 12 while topic
/// ids are unknown) and at the highest version both codecs implement.
/// nullopt — the request fails with client_errc::unsupported_version — when
/// nothing was negotiated or the result is below either codec's minimum.
/// Connection::request and BlockingClient::request both use it.
std::optional<std::int16_t> request_version(std::optional<std::int16_t> negotiated, std::int16_t max_version,
                                            std::int16_t codec_max_version, std::int16_t codec_min_version) noexcept;

/// request_version() for the codecs of a request and its response.
template <protocol::KafkaMessage Req, protocol::KafkaMessage Resp>
std::optional<std::int16_t> request_version(std::optional<std::int16_t> negotiated,
                                            std::int16_t max_version = Req::max_version) noexcept {
  static_assert(Req::api_key == Resp::api_key, "request and response types belong to different APIs");
  return request_version(negotiated, max_version, std::min(Req::max_version, Resp::max_version),
                         std::max(Req::min_version, Resp::min_version));
}

}  // namespace kwire::net

KWIRE_PUBLIC_END
