// DescribeUserScramCredentials and AlterUserScramCredentials codec tests
// (KIP-554; v0 only, flexible). Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/alter_user_scram_credentials.hpp"
#include "kwire/protocol/describe_user_scram_credentials.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

using DescribeRequest = DescribeUserScramCredentialsRequest;
using DescribeResponse = DescribeUserScramCredentialsResponse;
using AlterRequest = AlterUserScramCredentialsRequest;
using AlterResponse = AlterUserScramCredentialsResponse;

DescribeResponse describe_response() {
  DescribeResponse r;
  r.results.push_back({"alice",
                       errc::none,
                       std::nullopt,
                       {{ScramMechanism::sha_256, 4096, {}}, {ScramMechanism::sha_512, 8192, {}}},
                       {}});
  r.results.push_back({"bob", errc::resource_not_found,
                       std::string("Attempt to describe a user credential that does not exist: bob"), {}, {}});
  return r;
}

std::vector<std::uint8_t> counting_bytes(std::uint8_t n) {
  std::vector<std::uint8_t> out;
  for (std::uint8_t i = 0; i < n; ++i) out.push_back(i);
  return out;
}

AlterRequest alter_request() {
  AlterRequest r;
  r.deletions.push_back({"bob", ScramMechanism::sha_512, {}});
  r.upsertions.push_back({"carol", ScramMechanism::sha_256, 4096, {'s', 'a', 'l', 't'}, counting_bytes(32), {}});
  return r;
}

AlterResponse alter_response() {
  AlterResponse r;
  r.results.push_back(
      {"bob", errc::resource_not_found, std::string("Attempt to delete a user credential that does not exist"), {}});
  r.results.push_back({"carol", errc::none, std::nullopt, {}});
  return r;
}

}  // namespace

TEST_CASE("SCRAM credential codec traits match the API table") {
  for (ApiKey key : {ApiKey::describe_user_scram_credentials, ApiKey::alter_user_scram_credentials}) {
    const ApiSupport* s = find_support(key);
    REQUIRE(s != nullptr);
    CHECK(s->min_version == 0);
    CHECK(s->max_version == 0);
    CHECK(s->first_flexible_version == 0);
  }
}

TEST_CASE("SCRAM credential messages round trip, unknown tags included") {
  DescribeRequest all;  // null: every user
  check_round_trip(all, 0);
  DescribeRequest some;
  some.users = std::vector<DescribeRequest::User>{{"alice", {{0, {1}}}}, {"", {}}};
  some.unknown_tags = {{2, {}}};
  check_round_trip(some, 0);
  DescribeResponse r = describe_response();
  r.throttle_time_ms = 3;
  r.error_code = errc::cluster_authorization_failed;
  r.error_message = "denied";
  r.results[0].credential_infos[1].unknown_tags = {{1, {}}};
  r.results[1].unknown_tags = {{0, {0}}};
  r.unknown_tags = {{5, {5}}};
  check_round_trip(r, 0);
  check_round_trip(DescribeResponse{}, 0);

  AlterRequest a = alter_request();
  a.deletions[0].unknown_tags = {{1, {1}}};
  a.upsertions.push_back({"", ScramMechanism::unknown, 0, {}, {}, {{3, {}}}});
  a.unknown_tags = {{0, {}}};
  check_round_trip(a, 0);
  check_round_trip(AlterRequest{}, 0);
  AlterResponse b = alter_response();
  b.throttle_time_ms = 1;
  b.results[1].unknown_tags = {{4, {4}}};
  check_round_trip(b, 0);
  check_round_trip(AlterResponse{}, 0);
}

TEST_CASE("SCRAM credential golden vectors") {
  DescribeRequest q;
  q.users = std::vector<DescribeRequest::User>{{"alice", {}}, {"bob", {}}};
  // tests/golden/kafka-golden encode DescribeUserScramCredentialsRequest 0 '{"users":[{"name":"alice"},{"name":"bob"}]}'
  check_golden(q, 0, "0306616c6963650004626f620000");
  // tests/golden/kafka-golden encode DescribeUserScramCredentialsRequest 0 '{"users":null}'
  check_golden(DescribeRequest{}, 0, "0000");
  // tests/golden/kafka-golden encode DescribeUserScramCredentialsResponse 0 '{"throttleTimeMs":0,"errorCode":0,"errorMessage":null,"results":[{"user":"alice","errorCode":0,"errorMessage":null,"credentialInfos":[{"mechanism":1,"iterations":4096},{"mechanism":2,"iterations":8192}]},{"user":"bob","errorCode":91,"errorMessage":"Attempt to describe a user credential that does not exist: bob","credentialInfos":[]}]}'
  check_golden(describe_response(), 0,
               "000000000000000306616c696365000000030100001000000200002000000004626f62005b3f417474656d707420746f206465"
               "736372696265206120757365722063726564656e7469616c207468617420646f6573206e6f742065786973743a20626f620100"
               "00");
  // tests/golden/kafka-golden encode AlterUserScramCredentialsRequest 0 '{"deletions":[{"name":"bob","mechanism":2}],"upsertions":[{"name":"carol","mechanism":1,"iterations":4096,"salt":"c2FsdA==","saltedPassword":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}]}'
  check_golden(alter_request(), 0,
               "0204626f62020002066361726f6c01000010000573616c7421000102030405060708090a0b0c0d0e0f10111213141516171819"
               "1a1b1c1d1e1f0000");
  // tests/golden/kafka-golden encode AlterUserScramCredentialsResponse 0 '{"throttleTimeMs":0,"results":[{"user":"bob","errorCode":91,"errorMessage":"Attempt to delete a user credential that does not exist"},{"user":"carol","errorCode":0,"errorMessage":null}]}'
  check_golden(alter_response(), 0,
               "000000000304626f62005b38417474656d707420746f2064656c657465206120757365722063726564656e7469616c2074686174"
               "20646f6573206e6f7420657869737400066361726f6c0000000000");
}

TEST_CASE("SCRAM credential decoding fails at every truncation") {
  check_every_truncation_fails<DescribeRequest>(encode(DescribeRequest{std::vector<DescribeRequest::User>{{"a", {}}}, {}}, 0), 0);
  check_every_truncation_fails<DescribeResponse>(encode(describe_response(), 0), 0);
  check_every_truncation_fails<AlterRequest>(encode(alter_request(), 0), 0);
  check_every_truncation_fails<AlterResponse>(encode(alter_response(), 0), 0);
}

TEST_CASE("SCRAM credential messages have only v0") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(DescribeRequest{}, 1, out) == client_errc::unsupported_version);
  CHECK(encode_message(AlterRequest{}, 1, out) == client_errc::unsupported_version);
  CHECK(encode_message(AlterResponse{}, -1, out) == client_errc::unsupported_version);
  CHECK(out.empty());
}
