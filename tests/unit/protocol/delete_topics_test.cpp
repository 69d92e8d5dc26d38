// DeleteTopics codec tests. Golden vectors come from Kafka's own encoders
// (tests/golden/kafka-golden; 3.9's kafka-clients for v0, which 4.x dropped).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/delete_topics.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

DeleteTopicsRequest sample_request(std::int16_t version) {
  DeleteTopicsRequest r;
  r.topics.push_back({std::string("orders"), {}, {}});
  if (version >= 6) {
    r.topics.push_back({std::nullopt, counting_uuid(), {{1, {2}}}});
  } else {
    r.topics.push_back({std::string("audit"), {}, {}});
  }
  r.timeout_ms = 15000;
  if (version >= 4) r.unknown_tags = {{0, {}}};
  return r;
}

DeleteTopicsResponse sample_response(std::int16_t version) {
  DeleteTopicsResponse r;
  if (version >= 1) r.throttle_time_ms = 3;
  r.responses.push_back({std::string("orders"), {}, errc::none, std::nullopt, {}});
  auto& missing = r.responses.emplace_back();
  missing.error_code = errc::unknown_topic_or_partition;
  if (version >= 6) {
    missing.name.reset();
    missing.topic_id = counting_uuid();
  } else {
    missing.name = "audit";
  }
  if (version >= 5) missing.error_message = "no such topic";
  if (version >= 4) missing.unknown_tags = {{5, {5}}};
  return r;
}

}  // namespace

TEST_CASE("DeleteTopics codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::delete_topics);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == DeleteTopicsRequest::min_version);
  CHECK(s->max_version == DeleteTopicsRequest::max_version);
  CHECK(s->first_flexible_version == DeleteTopicsRequest::first_flexible_version);
  CHECK(DeleteTopicsResponse::max_version == DeleteTopicsRequest::max_version);
  CHECK(DeleteTopicsResponse::first_flexible_version == DeleteTopicsRequest::first_flexible_version);
}

TEST_CASE("DeleteTopics round trips at every version") {
  for (std::int16_t v = DeleteTopicsRequest::min_version; v <= DeleteTopicsRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(DeleteTopicsRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(DeleteTopicsResponse{}, v);
  }
}

TEST_CASE("DeleteTopics golden vectors") {
  DeleteTopicsRequest by_name;
  by_name.topics = {{std::string("orders"), {}, {}}, {std::string("audit"), {}, {}}};
  by_name.timeout_ms = 30000;
  // KWIRE_GOLDEN_KAFKA=3.9.x tests/golden/kafka-golden encode DeleteTopicsRequest 0 '{"topicNames":["orders","audit"],"timeoutMs":30000}'
  check_golden(by_name, 0, "0000000200066f72646572730005617564697400007530");
  // tests/golden/kafka-golden encode DeleteTopicsRequest 4 '{"topicNames":["orders","audit"],"timeoutMs":30000}'
  check_golden(by_name, 4, "03076f72646572730661756469740000753000");

  DeleteTopicsRequest by_id;
  by_id.topics = {{std::string("orders"), {}, {}}, {std::nullopt, counting_uuid(), {}}};
  by_id.timeout_ms = 30000;
  // tests/golden/kafka-golden encode DeleteTopicsRequest 6 '{"topics":[{"name":"orders","topicId":"AAAAAAAAAAAAAAAAAAAAAA"},{"name":null,"topicId":"AAECAwQFBgcICQoLDA0ODw"}],"timeoutMs":30000}'
  check_golden(by_id, 6, "03076f7264657273000000000000000000000000000000000000000102030405060708090a0b0c0d0e0f000000753000");

  DeleteTopicsResponse r;
  r.responses = {{std::string("orders"), {}, errc::none, std::nullopt, {}},
                 {std::string("audit"), {}, errc::unknown_topic_or_partition, std::nullopt, {}}};
  // KWIRE_GOLDEN_KAFKA=3.9.x tests/golden/kafka-golden encode DeleteTopicsResponse 0 '{"responses":[{"name":"orders","errorCode":0},{"name":"audit","errorCode":3}]}'
  check_golden(r, 0, "0000000200066f72646572730000000561756469740003");
  r.throttle_time_ms = 7;
  // tests/golden/kafka-golden encode DeleteTopicsResponse 4 '{"throttleTimeMs":7,"responses":[{"name":"orders","errorCode":0},{"name":"audit","errorCode":3}]}'
  check_golden(r, 4, "0000000703076f726465727300000006617564697400030000");

  Uuid one;
  one.bytes[15] = 1;
  r.responses = {{std::string("orders"), counting_uuid(), errc::none, std::nullopt, {}},
                 {std::nullopt, one, errc::unknown_topic_id, std::string("This server does not host this topic ID."), {}}};
  // tests/golden/kafka-golden encode DeleteTopicsResponse 6 '{"throttleTimeMs":7,"responses":[{"name":"orders","topicId":"AAECAwQFBgcICQoLDA0ODw","errorCode":0,"errorMessage":null},{"name":null,"topicId":"AAAAAAAAAAAAAAAAAAAAAQ","errorCode":100,"errorMessage":"This server does not host this topic ID."}]}'
  check_golden(r, 6,
               "0000000703076f7264657273000102030405060708090a0b0c0d0e0f000000000000000000000000000000000000000001"
               "006429546869732073657276657220646f6573206e6f7420686f7374207468697320746f7069632049442e0000");
}

TEST_CASE("DeleteTopics decoding fails at every truncation") {
  for (std::int16_t v = DeleteTopicsRequest::min_version; v <= DeleteTopicsRequest::max_version; ++v) {
    check_every_truncation_fails<DeleteTopicsRequest>(encode(sample_request(v), v), v);
    check_every_truncation_fails<DeleteTopicsResponse>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("DeleteTopics refuses fields the version lacks") {
  std::vector<std::uint8_t> out{0x99};
  const auto refused = [&out](const auto& m, std::int16_t v) {
    CAPTURE(v);
    CHECK(encode_message(m, v, out) == client_errc::field_not_in_version);
    CHECK(out.size() == 1);
  };
  DeleteTopicsRequest by_id;
  by_id.topics.push_back({std::string("t"), counting_uuid(), {}});
  for (std::int16_t v = 0; v < 6; ++v) refused(by_id, v);  // an id is never silently dropped
  DeleteTopicsRequest no_name;
  no_name.topics.push_back({});
  refused(no_name, 5);
  DeleteTopicsRequest tagged;
  tagged.unknown_tags = {{1, {}}};
  refused(tagged, 3);

  DeleteTopicsResponse throttled;
  throttled.throttle_time_ms = 1;
  refused(throttled, 0);
  DeleteTopicsResponse message;
  message.responses.push_back({std::string("t"), {}, errc::none, std::string("why"), {}});
  refused(message, 4);
  DeleteTopicsResponse null_name;
  null_name.responses.push_back({std::nullopt, {}, errc::none, std::nullopt, {}});
  refused(null_name, 5);
}

TEST_CASE("DeleteTopics: a null topic name below v6 is malformed") {
  // v5 response: throttle 0, one result whose name is null (compact 0).
  auto wire = bytes({0, 0, 0, 0, 0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00});
  DeleteTopicsResponse r;
  CHECK(decode_message(wire, 5, r) == client_errc::malformed);
}
