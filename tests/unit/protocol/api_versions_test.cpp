// ApiVersions codec tests. The golden byte vectors below were worked through
// by hand from Kafka's ApiVersionsRequest.json / ApiVersionsResponse.json
// (and RequestHeader.json); vectors captured from a real broker are to be
// added alongside them.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/message.hpp"
#include "codec_checks.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

/// Builds byte vectors from mixed numeric bytes and text.
struct Bytes {
  std::vector<std::uint8_t> v;
  Bytes& operator()(std::initializer_list<int> b) {
    for (int x : b) v.push_back(static_cast<std::uint8_t>(x));
    return *this;
  }
  Bytes& operator()(std::string_view s) {
    v.insert(v.end(), s.begin(), s.end());
    return *this;
  }
};

ApiVersionsResponse sample_response(std::int16_t version) {
  ApiVersionsResponse r;
  r.error_code = errc::none;
  r.api_keys = {{0, 3, 12, {}}, {3, 0, 13, {}}, {18, 0, 4, {}}};
  if (version >= 1) r.throttle_time_ms = 250;
  if (version >= 3) {
    r.api_keys[1].unknown_tags = {RawTaggedField{9, {0x01, 0x02}}};
    r.supported_features = {{"metadata.version", 1, 25, {}}, {"kraft.version", 0, 1, {RawTaggedField{4, {0x07}}}}};
    r.finalized_features_epoch = 1234567890123;
    r.finalized_features = {{"metadata.version", 25, 20, {}}};
    r.zk_migration_ready = true;
    r.unknown_tags = {RawTaggedField{7, {0xab}}, RawTaggedField{200, {}}};
  }
  return r;
}

}  // namespace

TEST_CASE("ApiVersions codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::api_versions);
  REQUIRE(s);
  CHECK(ApiVersionsRequest::api_key == ApiKey::api_versions);
  CHECK(ApiVersionsRequest::min_version == s->min_version);
  CHECK(ApiVersionsRequest::max_version == s->max_version);
  CHECK(ApiVersionsRequest::first_flexible_version == s->first_flexible_version);
  CHECK(ApiVersionsResponse::max_version == s->max_version);
  CHECK(ApiVersionsResponse::first_flexible_version == s->first_flexible_version);
}

TEST_CASE("golden: ApiVersions request v3 with its header v2") {
  RequestHeader header;
  header.api_key = ApiKey::api_versions;
  header.api_version = 3;
  header.correlation_id = 1;
  header.client_id = "kwire";
  ApiVersionsRequest req;
  req.client_software_name = "kwire";
  req.client_software_version = "0.1.0";

  std::vector<std::uint8_t> buf;
  Writer w(buf);
  header.encode(w);
  REQUIRE_FALSE(encode_message(req, 3, buf));
  auto expected = Bytes{}({0x00, 0x12})        // api_key 18
                      ({0x00, 0x03})           // api_version 3
                      ({0x00, 0x00, 0x00, 0x01})  // correlation_id
                      ({0x00, 0x05})("kwire")  // client_id: classic int16 string even in header v2
                      ({0x00})                 // header tag buffer
                      ({0x06})("kwire")        // ClientSoftwareName: compact, length+1
                      ({0x06})("0.1.0")        // ClientSoftwareVersion
                      ({0x00})                 // body tag buffer
                      .v;
  CHECK(buf == expected);

  Reader r(buf);
  RequestHeader h2;
  REQUIRE_FALSE(h2.decode(r, 2));
  CHECK(h2 == header);
  ApiVersionsRequest back;
  REQUIRE_FALSE(back.decode(r, 3));
  CHECK(r.at_end());
  CHECK(back == req);
}

TEST_CASE("golden: ApiVersions response v0") {
  auto body = Bytes{}({0x00, 0x00})                          // error_code NONE
                  ({0x00, 0x00, 0x00, 0x02})                 // api_keys: int32 count 2
                  ({0x00, 0x00, 0x00, 0x03, 0x00, 0x0c})     // Produce 3-12
                  ({0x00, 0x12, 0x00, 0x00, 0x00, 0x04})     // ApiVersions 0-4
                  .v;
  ApiVersionsResponse r;
  REQUIRE_FALSE(decode_message(body, 0, r));
  CHECK(r.error_code == errc::none);
  REQUIRE(r.api_keys.size() == 2);
  CHECK(r.api_keys[0] == ApiVersionsResponse::ApiVersion{0, 3, 12, {}});
  CHECK(r.api_keys[1] == ApiVersionsResponse::ApiVersion{18, 0, 4, {}});
  REQUIRE(r.find(ApiKey::produce));
  CHECK(r.find(ApiKey::produce)->max_version == 12);
  CHECK(r.find(ApiKey::metadata) == nullptr);
  CHECK(encode(r, 0) == body);
}

TEST_CASE("golden: ApiVersions response v3 with known and unknown tagged fields") {
  auto body = Bytes{}({0x00, 0x00})                                 // error_code NONE
                  ({0x03})                                          // api_keys: compact count 2 (+1)
                  ({0x00, 0x00, 0x00, 0x03, 0x00, 0x0c, 0x00})      // Produce 3-12, empty tags
                  ({0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00})      // ApiVersions 0-4, empty tags
                  ({0x00, 0x00, 0x00, 0x0a})                        // throttle_time_ms 10
                  ({0x05})                                          // 5 tagged fields
                  ({0x00, 0x17})                                    // tag 0 SupportedFeatures, 23 bytes:
                  ({0x02})({0x11})("metadata.version")({0x00, 0x01, 0x00, 0x19, 0x00})  // [name, 1, 25, tags]
                  ({0x01, 0x08})                                    // tag 1 FinalizedFeaturesEpoch, 8 bytes
                  ({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05})
                  ({0x02, 0x17})                                    // tag 2 FinalizedFeatures, 23 bytes:
                  ({0x02})({0x11})("metadata.version")({0x00, 0x19, 0x00, 0x01, 0x00})  // [name, max 25, min 1]
                  ({0x03, 0x01, 0x01})                              // tag 3 ZkMigrationReady = true
                  ({0x07, 0x01, 0xab})                              // tag 7: unknown, kept
                  .v;
  ApiVersionsResponse r;
  REQUIRE_FALSE(decode_message(body, 3, r));
  CHECK(r.error_code == errc::none);
  CHECK(r.api_keys.size() == 2);
  CHECK(r.throttle_time_ms == 10);
  REQUIRE(r.supported_features.size() == 1);
  CHECK(r.supported_features[0] == ApiVersionsResponse::SupportedFeature{"metadata.version", 1, 25, {}});
  CHECK(r.finalized_features_epoch == 5);
  REQUIRE(r.finalized_features.size() == 1);
  CHECK(r.finalized_features[0] == ApiVersionsResponse::FinalizedFeature{"metadata.version", 25, 1, {}});
  CHECK(r.zk_migration_ready);
  REQUIRE(r.unknown_tags.size() == 1);
  CHECK(r.unknown_tags[0] == RawTaggedField{7, {0xab}});
  CHECK(encode(r, 3) == body);  // known tags re-encoded, unknown merged in tag order
  // v4 has the same layout.
  ApiVersionsResponse r4;
  REQUIRE_FALSE(decode_message(body, 4, r4));
  CHECK(r4 == r);
}

TEST_CASE("ApiVersions round trips at every version") {
  for (std::int16_t v = ApiVersionsRequest::min_version; v <= ApiVersionsRequest::max_version; ++v) {
    ApiVersionsRequest req;
    if (v >= 3) {
      req.client_software_name = "kwire";
      req.client_software_version = "1.2.3-dev";
      req.unknown_tags = {RawTaggedField{3, {0x10, 0x20}}};
    }
    check_round_trip(req, v);
    check_round_trip(ApiVersionsRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(ApiVersionsResponse{}, v);
  }
  // v0-2 requests are empty bodies.
  CHECK(encode(ApiVersionsRequest{}, 0).empty());
  CHECK(encode(ApiVersionsRequest{}, 2).empty());
}

TEST_CASE("ApiVersions refuses versions and fields it cannot encode") {
  std::vector<std::uint8_t> out{0x99};
  ApiVersionsRequest req;
  CHECK(encode_message(req, -1, out) == client_errc::unsupported_version);
  CHECK(encode_message(req, 5, out) == client_errc::unsupported_version);
  req.client_software_name = "kwire";
  CHECK(encode_message(req, 2, out) == client_errc::field_not_in_version);
  CHECK(out == std::vector<std::uint8_t>{0x99});  // nothing appended on failure

  ApiVersionsRequest decoded;
  Reader r(out);
  CHECK(decoded.decode(r, 5) == client_errc::unsupported_version);

  auto full = sample_response(3);
  CHECK(encode_message(full, 2, out) == client_errc::field_not_in_version);  // tagged fields
  auto with_throttle = sample_response(1);
  CHECK(encode_message(with_throttle, 0, out) == client_errc::field_not_in_version);
  ApiVersionsResponse epoch_only;
  epoch_only.finalized_features_epoch = 3;
  CHECK(encode_message(epoch_only, 2, out) == client_errc::field_not_in_version);
  ApiVersionsResponse nested_tags;
  nested_tags.api_keys = {{18, 0, 4, {RawTaggedField{1, {}}}}};
  CHECK(encode_message(nested_tags, 2, out) == client_errc::field_not_in_version);
  CHECK_FALSE(encode_message(nested_tags, 3, out));
  CHECK(out.size() > 1);
}

TEST_CASE("KIP-511: an UNSUPPORTED_VERSION answer in v0 format decodes and says what to retry") {
  // Our v4 request reached a broker that only knows ApiVersions 0-3: it
  // answers in the v0 format with its real ranges.
  auto body = Bytes{}({0x00, 0x23})                       // error_code 35 UNSUPPORTED_VERSION
                  ({0x00, 0x00, 0x00, 0x02})              // api_keys: int32 count 2 (v0 format)
                  ({0x00, 0x03, 0x00, 0x00, 0x00, 0x0c})  // Metadata 0-12
                  ({0x00, 0x12, 0x00, 0x00, 0x00, 0x03})  // ApiVersions 0-3
                  .v;
  // Parsing it as v4 fails (the int32 count reads as a compact null array).
  ApiVersionsResponse naive;
  CHECK(decode_message(body, 4, naive));

  ApiVersionsResponse r;
  std::int16_t decoded_at = -1;
  REQUIRE_FALSE(decode_api_versions_response(body, 4, r, &decoded_at));
  CHECK(decoded_at == 0);
  CHECK(r.error_code == errc::unsupported_version);
  REQUIRE(r.find(ApiKey::api_versions));
  CHECK(r.find(ApiKey::api_versions)->max_version == 3);
  CHECK(r.fallback_version(4) == std::optional<std::int16_t>(3));

  // A pre-2.4 broker sends no ranges at all: fall back to v0.
  auto old_broker = Bytes{}({0x00, 0x23, 0x00, 0x00, 0x00, 0x00}).v;
  REQUIRE_FALSE(decode_api_versions_response(old_broker, 3, r, &decoded_at));
  CHECK(decoded_at == 0);
  CHECK(r.api_keys.empty());
  CHECK(r.fallback_version(3) == std::optional<std::int16_t>(0));
  CHECK(r.fallback_version(0) == std::nullopt);  // nothing lower to try

  // A broker listing a version >= the one we sent still makes us go lower.
  ApiVersionsResponse odd;
  odd.error_code = errc::unsupported_version;
  odd.api_keys = {{18, 0, 9, {}}};
  CHECK(odd.fallback_version(3) == std::optional<std::int16_t>(2));

  // Success responses decode at the version sent, and have no fallback.
  auto ok = encode(sample_response(3), 3);
  REQUIRE_FALSE(decode_api_versions_response(ok, 3, r, &decoded_at));
  CHECK(decoded_at == 3);
  CHECK(r == sample_response(3));
  CHECK(r.fallback_version(3) == std::nullopt);

  // Garbage still fails.
  auto bad = Bytes{}({0x00, 0x23, 0x00}).v;
  CHECK(decode_api_versions_response(bad, 3, r));
}

TEST_CASE("ApiVersions decoders fail cleanly on every truncation") {
  for (std::int16_t v = 0; v <= ApiVersionsResponse::max_version; ++v) {
    CAPTURE(v);
    check_every_truncation_fails<ApiVersionsResponse>(encode(sample_response(v), v), v);
    ApiVersionsRequest req;
    if (v >= 3) {
      req.client_software_name = "kwire";
      req.client_software_version = "1";
    }
    check_every_truncation_fails<ApiVersionsRequest>(encode(req, v), v);
  }
}

TEST_CASE("ApiVersions rejects absurd counts before allocating, and trailing bytes") {
  // v0: int32 count 0x7fffffff with 6 bytes behind it.
  auto huge = Bytes{}({0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04}).v;
  ApiVersionsResponse r;
  CHECK(decode_message(huge, 0, r) == client_errc::length_exceeds_input);
  CHECK(r.api_keys.capacity() == 0);

  // v3: compact count uvarint 0x80000000 (= 0x7fffffff elements + 1).
  auto huge_compact = Bytes{}({0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00}).v;
  CHECK(decode_message(huge_compact, 3, r) == client_errc::length_exceeds_input);
  CHECK(r.api_keys.capacity() == 0);

  // A huge array inside a tagged field is caught by the field's sub-reader.
  auto huge_tag = Bytes{}({0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00})  // no api keys, throttle 0
                      ({0x01, 0x00, 0x05})                             // 1 tag: tag 0, 5 bytes
                      ({0xff, 0xff, 0xff, 0xff, 0x07})                 // compact count 2^31 - 1
                      .v;
  CHECK(decode_message(huge_tag, 3, r));
  CHECK(r.supported_features.capacity() == 0);

  // A null (non-nullable) api_keys array is malformed.
  auto null_array = Bytes{}({0x00, 0x00, 0xff, 0xff, 0xff, 0xff}).v;
  CHECK(decode_message(null_array, 0, r) == client_errc::malformed);

  auto body = encode(sample_response(3), 3);
  body.push_back(0x00);
  CHECK(decode_message(body, 3, r) == client_errc::trailing_bytes);
  auto empty_req = Bytes{}({0x00}).v;  // v0 request bodies are empty
  ApiVersionsRequest req;
  CHECK(decode_message(empty_req, 0, req) == client_errc::trailing_bytes);
}
