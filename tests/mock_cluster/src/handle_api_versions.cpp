// ApiVersions, as Kafka's broker answers it (KafkaApis.handleApiVersionsRequest).
#include <algorithm>

#include "cluster_state.hpp"
#include "kwire/protocol/api_versions.hpp"

namespace kwire::mock::detail {
namespace {

/// Kafka's rule for ClientSoftwareName/Version (v3+):
/// [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?
bool valid_software_field(const std::string& s) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

}  // namespace

// `frame` is the whole request: for versions newer than ours the header
// cannot be trusted beyond the correlation id, so it is parsed here.
Outcome ClusterState::handle_api_versions(const protocol::RequestHeader& start, std::span<const std::uint8_t> frame) {
  using protocol::ApiVersionsRequest;
  using protocol::ApiVersionsResponse;
  Outcome outcome;
  outcome.action = Outcome::Action::respond;

  ApiVersionsResponse response;
  for (const ApiRange& r : config_.api_versions)
    response.api_keys.push_back({static_cast<std::int16_t>(r.key), r.min_version, r.max_version, {}});

  const ApiRange* range = advertised(ApiKey::api_versions);
  const std::int16_t our_max =
      range == nullptr ? std::int16_t{0} : std::min(range->max_version, ApiVersionsResponse::max_version);
  const std::int16_t our_min = range == nullptr ? std::int16_t{0} : range->min_version;
  const std::int16_t version = start.api_version;
  auto injected = take_fail_rule(ApiKey::api_versions, {});

  if (version > our_max || version < our_min || (injected && injected->error == kwire::errc::unsupported_version)) {
    // KIP-511: answer in the v0 format, with our ranges, so the client can
    // retry with a version we have.
    response.error_code = kwire::errc::unsupported_version;
    outcome.frame = response_frame(start, 0, response);
    if (outcome.frame.empty()) outcome.action = Outcome::Action::close;
    return outcome;
  }

  protocol::RequestHeader header;
  protocol::Reader in(frame);
  if (header.decode(in, protocol::request_header_version(ApiKey::api_versions, version)) || !in.ok()) {
    outcome.action = Outcome::Action::close;
    return outcome;
  }
  ApiVersionsRequest request;
  if (protocol::decode_message(frame.subspan(in.position()), version, request)) {
    outcome.action = Outcome::Action::close;
    return outcome;
  }
  if (version >= 3 &&
      (!valid_software_field(request.client_software_name) || !valid_software_field(request.client_software_version)))
    response.error_code = kwire::errc::invalid_request;
  if (injected) response.error_code = injected->error;
  outcome.frame = response_frame(header, version, response);
  if (outcome.frame.empty()) outcome.action = Outcome::Action::close;
  return outcome;
}

}  // namespace kwire::mock::detail
