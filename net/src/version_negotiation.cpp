#include "kwire/net/version_negotiation.hpp"

#include <algorithm>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"

namespace kwire::net {

std::int16_t initial_api_versions_version() noexcept {
  const protocol::ApiSupport* ours = protocol::find_support(protocol::ApiKey::api_versions);
  return std::min(ours ? ours->max_version : std::int16_t{0}, protocol::ApiVersionsRequest::max_version);
}

std::error_code encode_api_versions_request(std::int16_t version, const std::string& software_name,
                                            const std::string& software_version, std::vector<std::uint8_t>& body) {
  protocol::ApiVersionsRequest request;
  if (version >= 3) {
    request.client_software_name = software_name;
    request.client_software_version = software_version;
  }
  return protocol::encode_message(request, version, body);
}

NegotiationStep evaluate_api_versions_response(std::span<const std::uint8_t> body, std::int16_t sent_version,
                                               bool already_retried, protocol::ApiVersionsResponse& out) {
  using Action = NegotiationStep::Action;
  if (std::error_code ec = protocol::decode_api_versions_response(body, sent_version, out))
    return {Action::fail, -1, ec};
  if (out.error_code == errc::none) return {Action::ready, -1, {}};
  if (out.error_code == errc::unsupported_version) {
    // Retry once: a second refusal means the broker's list was wrong or
    // absent, and looping would never end.
    if (already_retried) return {Action::fail, -1, make_error_code(client_errc::unsupported_version)};
    std::optional<std::int16_t> next = out.fallback_version(sent_version);
    if (!next) return {Action::fail, -1, make_error_code(client_errc::unsupported_version)};
    // Our own table may refuse versions the codec has (it does not today).
    if (const auto* ours = protocol::find_support(protocol::ApiKey::api_versions); ours && *next < ours->min_version)
      return {Action::fail, -1, make_error_code(client_errc::unsupported_version)};
    return {Action::retry, *next, {}};
  }
  return {Action::fail, -1, make_error_code(out.error_code)};
}

NegotiatedVersions::NegotiatedVersions(const protocol::ApiVersionsResponse& broker) {
  for (const protocol::ApiSupport& api : protocol::supported_apis()) {
    const auto* range = broker.find(api.key);
    if (!range) continue;
    if (auto v = protocol::choose_version(api.key, range->min_version, range->max_version))
      versions_.emplace_back(api.key, *v);
  }
}

std::optional<std::int16_t> NegotiatedVersions::version(protocol::ApiKey key) const noexcept {
  for (const auto& [k, v] : versions_)
    if (k == key) return v;
  return std::nullopt;
}

std::optional<std::int16_t> request_version(std::optional<std::int16_t> negotiated, std::int16_t max_version,
                                            std::int16_t codec_max_version, std::int16_t codec_min_version) noexcept {
  if (!negotiated) return std::nullopt;
  const std::int16_t version = std::min({*negotiated, max_version, codec_max_version});
  if (version < codec_min_version) return std::nullopt;
  return version;
}

}  // namespace kwire::net
