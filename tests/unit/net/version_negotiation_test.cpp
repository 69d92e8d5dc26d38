#include <doctest/doctest.h>

#include <vector>

#include "kwire/net/version_negotiation.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/produce.hpp"

using kwire::client_errc;
using kwire::net::evaluate_api_versions_response;
using kwire::net::NegotiatedVersions;
using kwire::net::NegotiationStep;
using kwire::protocol::ApiKey;
using kwire::protocol::ApiVersionsRequest;
using kwire::protocol::ApiVersionsResponse;

namespace {

ApiVersionsResponse::ApiVersion range(ApiKey key, std::int16_t min, std::int16_t max) {
  return {static_cast<std::int16_t>(key), min, max, {}};
}

std::vector<std::uint8_t> encode(const ApiVersionsResponse& response, std::int16_t version) {
  std::vector<std::uint8_t> body;
  REQUIRE_FALSE(kwire::protocol::encode_message(response, version, body));
  return body;
}

}  // namespace

TEST_CASE("the first ApiVersions request is v4 and names the client (KIP-511)") {
  CHECK(kwire::net::initial_api_versions_version() == 4);
  std::vector<std::uint8_t> body;
  REQUIRE_FALSE(kwire::net::encode_api_versions_request(4, "kwire", "0.1.0", body));
  ApiVersionsRequest decoded;
  REQUIRE_FALSE(kwire::protocol::decode_message(body, 4, decoded));
  CHECK(decoded.client_software_name == "kwire");
  CHECK(decoded.client_software_version == "0.1.0");

  // Below v3 the names cannot be sent, and the body is empty.
  std::vector<std::uint8_t> v2;
  REQUIRE_FALSE(kwire::net::encode_api_versions_request(2, "kwire", "0.1.0", v2));
  CHECK(v2.empty());
}

TEST_CASE("a successful ApiVersions answer makes the connection ready") {
  ApiVersionsResponse broker;
  broker.api_keys = {range(ApiKey::produce, 0, 11), range(ApiKey::api_versions, 0, 4)};
  broker.throttle_time_ms = 0;
  auto body = encode(broker, 4);
  ApiVersionsResponse out;
  NegotiationStep step = evaluate_api_versions_response(body, 4, false, out);
  CHECK(step.action == NegotiationStep::Action::ready);
  CHECK(out.api_keys.size() == 2);
}

TEST_CASE("UNSUPPORTED_VERSION in the v0 format leads to one retry at the broker's maximum") {
  ApiVersionsResponse refusal;
  refusal.error_code = kwire::errc::unsupported_version;
  refusal.api_keys = {range(ApiKey::produce, 0, 8), range(ApiKey::api_versions, 0, 2)};
  auto body = encode(refusal, 0);  // KIP-511: the refusal always has the v0 body

  ApiVersionsResponse out;
  NegotiationStep step = evaluate_api_versions_response(body, 4, false, out);
  CHECK(step.action == NegotiationStep::Action::retry);
  CHECK(step.retry_version == 2);

  SUBCASE("a second refusal fails instead of looping") {
    step = evaluate_api_versions_response(body, 2, true, out);
    CHECK(step.action == NegotiationStep::Action::fail);
    CHECK(step.error == client_errc::unsupported_version);
  }
  SUBCASE("a pre-2.4 broker lists nothing: retry at v0") {
    refusal.api_keys.clear();
    auto empty = encode(refusal, 0);
    step = evaluate_api_versions_response(empty, 4, false, out);
    CHECK(step.action == NegotiationStep::Action::retry);
    CHECK(step.retry_version == 0);
  }
}

TEST_CASE("other ApiVersions errors and undecodable bodies fail negotiation") {
  ApiVersionsResponse invalid;
  invalid.error_code = kwire::errc::invalid_request;
  ApiVersionsResponse out;
  NegotiationStep step = evaluate_api_versions_response(encode(invalid, 4), 4, false, out);
  CHECK(step.action == NegotiationStep::Action::fail);
  CHECK(step.error == kwire::errc::invalid_request);

  const std::vector<std::uint8_t> garbage = {0, 0, 0xff};
  step = evaluate_api_versions_response(garbage, 4, false, out);
  CHECK(step.action == NegotiationStep::Action::fail);
  CHECK(step.error);
}

TEST_CASE("negotiated versions are the highest common ones, never Produce below 3") {
  ApiVersionsResponse broker;
  broker.api_keys = {range(ApiKey::produce, 0, 11), range(ApiKey::metadata, 0, 99),
                     range(ApiKey::init_producer_id, 0, 2), {1000, 0, 5, {}}};
  NegotiatedVersions versions(broker);
  CHECK(versions.version(ApiKey::produce) == 11);
  CHECK(versions.version(ApiKey::metadata) == kwire::protocol::find_support(ApiKey::metadata)->max_version);
  CHECK(versions.version(ApiKey::init_producer_id) == 2);
  CHECK_FALSE(versions.version(ApiKey::fetch).has_value());  // not listed

  broker.api_keys = {range(ApiKey::produce, 0, 2)};  // a 0.10 broker
  CHECK_FALSE(NegotiatedVersions(broker).version(ApiKey::produce).has_value());
  CHECK_FALSE(NegotiatedVersions{}.version(ApiKey::produce).has_value());
}

TEST_CASE("request_version: the negotiated version, capped by the caller and both codecs, refused below minimum") {
  using kwire::net::request_version;
  using kwire::protocol::MetadataRequest;
  using kwire::protocol::MetadataResponse;
  using kwire::protocol::ProduceRequest;
  using kwire::protocol::ProduceResponse;
  // The broker's version when it is the lowest.
  CHECK(request_version<MetadataRequest, MetadataResponse>(9) == 9);
  // The caller's cap (Produce 12 while topic ids are unknown).
  CHECK(request_version<ProduceRequest, ProduceResponse>(13, 12) == 12);
  // The codecs' maximum when the broker is newer than kwire.
  CHECK(request_version<MetadataRequest, MetadataResponse>(std::int16_t{99}) == MetadataRequest::max_version);
  // Nothing negotiated, or below the codecs' minimum (Produce v3, KIP-98).
  CHECK_FALSE(request_version<MetadataRequest, MetadataResponse>(std::nullopt).has_value());
  CHECK_FALSE(request_version<ProduceRequest, ProduceResponse>(2).has_value());
  CHECK_FALSE(request_version<ProduceRequest, ProduceResponse>(13, 2).has_value());
  CHECK(request_version<ProduceRequest, ProduceResponse>(3) == 3);
  // The untyped form: the lower of the codecs' maxima, the higher minimum.
  CHECK(request_version(10, 10, 8, 0) == 8);
  CHECK_FALSE(request_version(10, 10, 8, 9).has_value());
}
