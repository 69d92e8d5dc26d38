// Tests for the API version table (api.hpp) and the request/response headers
// (header.hpp). Byte vectors were worked through by hand from Kafka's
// RequestHeader.json / ResponseHeader.json.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/header.hpp"

using namespace kwire::protocol;
using kwire::client_errc;

namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<std::uint8_t> out;
  for (int b : v) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

}  // namespace

TEST_CASE("supported APIs are listed in ascending key order with sane ranges") {
  auto apis = supported_apis();
  REQUIRE_FALSE(apis.empty());
  for (std::size_t i = 0; i < apis.size(); ++i) {
    CAPTURE(api_name(apis[i].key));
    CHECK(apis[i].min_version <= apis[i].max_version);
    if (apis[i].first_flexible_version >= 0) CHECK(apis[i].first_flexible_version <= apis[i].max_version);
    if (i > 0) CHECK(static_cast<int>(apis[i - 1].key) < static_cast<int>(apis[i].key));
    CHECK(find_support(apis[i].key) == &apis[i]);
  }
  CHECK(find_support(static_cast<ApiKey>(99)) == nullptr);
}

TEST_CASE("api names") {
  CHECK(api_name(ApiKey::produce) == "Produce");
  CHECK(api_name(ApiKey::metadata) == "Metadata");
  CHECK(api_name(ApiKey::api_versions) == "ApiVersions");
  CHECK(api_name(std::int16_t{75}) == "DescribeTopicPartitions");
  CHECK(api_name(std::int16_t{-1}) == "Unknown");
  CHECK(api_name(std::int16_t{999}) == "Unknown");
}

TEST_CASE("flexible versions select header versions") {
  CHECK_FALSE(is_flexible(ApiKey::metadata, 8));
  CHECK(is_flexible(ApiKey::metadata, 9));
  CHECK(is_flexible(ApiKey::metadata, 13));
  CHECK_FALSE(is_flexible(ApiKey::sasl_handshake, 1));  // never flexible
  CHECK_FALSE(is_flexible(static_cast<ApiKey>(99), 5));

  CHECK(request_header_version(ApiKey::metadata, 8) == 1);
  CHECK(request_header_version(ApiKey::metadata, 9) == 2);
  CHECK(request_header_version(ApiKey::produce, 9) == 2);
  CHECK(request_header_version(ApiKey::sasl_handshake, 1) == 1);
  CHECK(request_header_version(ApiKey::api_versions, 3) == 2);

  CHECK(response_header_version(ApiKey::metadata, 8) == 0);
  CHECK(response_header_version(ApiKey::metadata, 9) == 1);
  CHECK(response_header_version(ApiKey::produce, 9) == 1);
  // KIP-511: the ApiVersions response header is v0 at every version.
  for (std::int16_t v = 0; v <= 4; ++v) CHECK(response_header_version(ApiKey::api_versions, v) == 0);
}

TEST_CASE("choose_version takes the highest common version, above kwire's floor") {
  // Kafka 4.x advertises Produce 0-12 but rejects 0-2 (KAFKA-18659): our floor is 3.
  CHECK(choose_version(ApiKey::produce, 0, 12) == std::optional<std::int16_t>(12));
  CHECK(choose_version(ApiKey::produce, 0, 2) == std::nullopt);
  CHECK(choose_version(ApiKey::produce, 0, 3) == std::optional<std::int16_t>(3));
  CHECK(choose_version(ApiKey::produce, 3, 99) == std::optional<std::int16_t>(13));  // capped at ours
  CHECK(choose_version(ApiKey::metadata, 0, 12) == std::optional<std::int16_t>(12));
  CHECK(choose_version(ApiKey::metadata, 4, 13) == std::optional<std::int16_t>(13));
  CHECK(choose_version(ApiKey::api_versions, 0, 3) == std::optional<std::int16_t>(3));
  CHECK(choose_version(ApiKey::metadata, 14, 20) == std::nullopt);  // broker too new for us
  CHECK(choose_version(static_cast<ApiKey>(99), 0, 5) == std::nullopt);
}

TEST_CASE("request header v1 bytes") {
  RequestHeader h;
  h.api_key = ApiKey::metadata;
  h.api_version = 1;
  h.correlation_id = 7;
  h.client_id = "kw";
  std::vector<std::uint8_t> buf;
  Writer w(buf);
  CHECK_FALSE(h.encode(w));
  // api_key int16, api_version int16, correlation_id int32, client_id int16 string.
  CHECK(buf == bytes({0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x02, 'k', 'w'}));

  Reader r(buf);
  RequestHeader back;
  CHECK_FALSE(back.decode(r, 1));
  CHECK(r.at_end());
  CHECK(back == h);

  h.client_id.reset();  // null client id is int16 -1
  buf.clear();
  h.encode(w);
  CHECK(buf == bytes({0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff}));
}

TEST_CASE("request header v2 keeps a classic client_id and adds a tag buffer") {
  RequestHeader h;
  h.api_key = ApiKey::api_versions;
  h.api_version = 3;
  h.correlation_id = 0x01020304;
  h.client_id = "kw";
  std::vector<std::uint8_t> buf;
  Writer w(buf);
  h.encode(w);
  CHECK(buf == bytes({0x00, 0x12, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04, 0x00, 0x02, 'k', 'w', 0x00}));

  // Metadata v9 is flexible too; an unknown header tag is kept and written back.
  h.api_key = ApiKey::metadata;
  h.api_version = 9;
  h.unknown_tags = {RawTaggedField{5, {0xaa}}};
  buf.clear();
  h.encode(w);
  CHECK(buf == bytes({0x00, 0x03, 0x00, 0x09, 0x01, 0x02, 0x03, 0x04, 0x00, 0x02, 'k', 'w', 0x01, 0x05, 0x01, 0xaa}));
  Reader r(buf);
  RequestHeader back;
  CHECK_FALSE(back.decode(r, 2));
  CHECK(r.at_end());
  CHECK(back == h);

  // Metadata v8 uses header v1, which has no tag buffer: the tag is refused,
  // not dropped, and nothing is written.
  h.api_version = 8;
  buf.clear();
  CHECK(h.encode(w) == make_error_code(kwire::client_errc::field_not_in_version));
  CHECK(buf.empty());
  h.unknown_tags.clear();
  CHECK_FALSE(h.encode(w));
  CHECK(buf.size() == 12);
}

TEST_CASE("response headers v0 and v1") {
  ResponseHeader h;
  h.correlation_id = 42;
  std::vector<std::uint8_t> buf;
  Writer w(buf);
  h.encode(w, 0);
  CHECK(buf == bytes({0x00, 0x00, 0x00, 0x2a}));
  buf.clear();
  h.encode(w, 1);
  CHECK(buf == bytes({0x00, 0x00, 0x00, 0x2a, 0x00}));

  // An ApiVersions v3 response: header v0, so the body's first byte must not
  // be mistaken for a tag buffer (the "34 GB allocation" bug in PITFALLS.md).
  auto frame = bytes({0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x01});  // corr 42, error 0, empty compact array
  Reader r(frame);
  ResponseHeader back;
  CHECK_FALSE(back.decode(r, response_header_version(ApiKey::api_versions, 3)));
  CHECK(back.correlation_id == 42);
  CHECK(r.remaining() == 3);

  auto truncated = bytes({0x00, 0x00, 0x00});
  Reader t(truncated);
  CHECK(back.decode(t, 0) == client_errc::truncated);
}

TEST_CASE("group protocol APIs: header versions and the versions chosen against 3.9 and 4.x brokers") {
  CHECK(request_header_version(ApiKey::join_group, 5) == 1);
  CHECK(request_header_version(ApiKey::join_group, 6) == 2);
  CHECK(response_header_version(ApiKey::sync_group, 4) == 1);
  CHECK(response_header_version(ApiKey::offset_fetch, 5) == 0);
  // KIP-848 APIs are flexible from v0.
  CHECK(request_header_version(ApiKey::consumer_group_heartbeat, 0) == 2);
  CHECK(response_header_version(ApiKey::consumer_group_describe, 0) == 1);
  // Kafka 3.9 speaks OffsetCommit/OffsetFetch 0-9, 4.1+ 2-10 and 1-10
  // (topic ids); 4.x dropped OffsetForLeaderEpoch v0-1 (KIP-896).
  CHECK(choose_version(ApiKey::offset_commit, 0, 9) == std::optional<std::int16_t>(9));
  CHECK(choose_version(ApiKey::offset_commit, 2, 10) == std::optional<std::int16_t>(10));
  CHECK(choose_version(ApiKey::offset_fetch, 1, 10) == std::optional<std::int16_t>(10));
  CHECK(choose_version(ApiKey::offset_for_leader_epoch, 2, 4) == std::optional<std::int16_t>(4));
  CHECK(choose_version(ApiKey::join_group, 0, 9) == std::optional<std::int16_t>(9));
  CHECK(choose_version(ApiKey::consumer_group_heartbeat, 0, 0) == std::optional<std::int16_t>(0));  // 3.9
  CHECK(choose_version(ApiKey::consumer_group_heartbeat, 0, 1) == std::optional<std::int16_t>(1));  // 4.x
}
