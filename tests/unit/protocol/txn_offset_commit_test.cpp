// TxnOffsetCommit codec tests. Golden vectors come from Kafka 4.4's own
// encoder (tests/golden/kafka-golden; the command is above each vector).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/txn_offset_commit.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;
using Request = TxnOffsetCommitRequest;
using Response = TxnOffsetCommitResponse;

namespace {

/// The topic key the version carries (name before v6, id from v6).
template <class Topic>
Topic keyed(std::int16_t version, std::string name) {
  Topic t;
  if (version >= 6)
    t.topic_id = counting_uuid();
  else
    t.name = std::move(name);
  return t;
}

/// A request with one topic whose key is the default one of the other version.
Request keyed_request_topic(std::int16_t version, std::string name) {
  Request r;
  r.topics = {Request::Topic{}};
  if (version < 6) r.topics[0].name = std::move(name);
  return r;
}

Request sample_request(std::int16_t version) {
  Request r;
  r.transactional_id = "copier-tx";
  r.group_id = "copier";
  r.producer_id = 4242;
  r.producer_epoch = 3;
  const bool flex = version >= 3;
  const TaggedFields tags = flex ? TaggedFields{RawTaggedField{1, {0x05}}} : TaggedFields{};
  if (version >= 3) {
    r.generation_id_or_member_epoch = 17;
    r.member_id = "member-1";
    r.group_instance_id = "pod-0";
  }
  auto topic = keyed<Request::Topic>(version, "orders");
  topic.partitions = {{0, 100, version >= 2 ? 7 : -1, "m", tags}, {3, 0, -1, std::nullopt, {}}};
  topic.unknown_tags = tags;
  r.topics = {topic, keyed<Request::Topic>(version, "empty")};
  r.unknown_tags = tags;
  return r;
}

Response sample_response(std::int16_t version) {
  Response r;
  r.throttle_time_ms = 9;
  const TaggedFields tags = version >= 3 ? TaggedFields{RawTaggedField{0, {}}} : TaggedFields{};
  auto topic = keyed<Response::Topic>(version, "orders");
  topic.partitions = {{0, errc::none, tags}, {3, errc::illegal_generation, {}}};
  topic.unknown_tags = tags;
  r.topics = {topic};
  r.unknown_tags = tags;
  return r;
}

}  // namespace

TEST_CASE("TxnOffsetCommit codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::txn_offset_commit);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
}

TEST_CASE("TxnOffsetCommit round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("TxnOffsetCommit golden vectors from Kafka's encoder") {
  Request r0;
  r0.transactional_id = "tx";
  r0.group_id = "grp";
  r0.producer_id = 4242;
  r0.producer_epoch = 3;
  r0.topics = {{"orders", {}, {{1, 100, -1, "m", {}}, {2, 7, -1, std::nullopt, {}}}, {}}};
  // kafka-golden encode TxnOffsetCommitRequest 0 '{"transactionalId":"tx","groupId":"grp","producerId":4242,
  //   "producerEpoch":3,"topics":[{"name":"orders","partitions":[{"partitionIndex":1,"committedOffset":100,
  //   "committedLeaderEpoch":-1,"committedMetadata":"m"},{"partitionIndex":2,"committedOffset":7,
  //   "committedLeaderEpoch":-1,"committedMetadata":null}]}]}'
  check_golden(r0, 0,
               "000274780003677270000000000000109200030000000100066f72646572730000000200000001000000000000006400016d"
               "000000020000000000000007ffff");

  Request r3 = r0;
  r3.generation_id_or_member_epoch = 12;
  r3.member_id = "member-1";
  r3.group_instance_id = "pod-0";
  r3.topics[0].partitions[0].committed_leader_epoch = 5;
  // kafka-golden encode TxnOffsetCommitRequest 3 '{"transactionalId":"tx","groupId":"grp","producerId":4242,
  //   "producerEpoch":3,"generationIdOrMemberEpoch":12,"memberId":"member-1","groupInstanceId":"pod-0",
  //   "topics":[{"name":"orders","partitions":[{"partitionIndex":1,"committedOffset":100,"committedLeaderEpoch":5,
  //   "committedMetadata":"m"},{"partitionIndex":2,"committedOffset":7,"committedLeaderEpoch":-1,
  //   "committedMetadata":null}]}]}'
  check_golden(r3, 3,
               "03747804677270000000000000109200030000000c096d656d6265722d3106706f642d3002076f72646572730300000001"
               "000000000000006400000005026d00000000020000000000000007ffffffff00000000");

  Request r6 = r3;
  r6.topics[0].name.clear();
  r6.topics[0].topic_id = counting_uuid();
  // kafka-golden encode TxnOffsetCommitRequest 6 (the v3 JSON with "topicId":"AAECAwQFBgcICQoLDA0ODw" for "name")
  check_golden(r6, 6,
               "03747804677270000000000000109200030000000c096d656d6265722d3106706f642d3002000102030405060708090a0b"
               "0c0d0e0f0300000001000000000000006400000005026d00000000020000000000000007ffffffff00000000");

  Response p;
  p.throttle_time_ms = 3;
  p.topics = {{"orders", {}, {{1, errc::none, {}}, {2, errc::illegal_generation, {}}}, {}}};
  // kafka-golden encode TxnOffsetCommitResponse 0 '{"throttleTimeMs":3,"topics":[{"name":"orders","partitions":[
  //   {"partitionIndex":1,"errorCode":0},{"partitionIndex":2,"errorCode":22}]}]}'
  check_golden(p, 0, "000000030000000100066f726465727300000002000000010000000000020016");
  // kafka-golden encode TxnOffsetCommitResponse 3 (same JSON)
  check_golden(p, 3, "0000000302076f72646572730300000001000000000000020016000000");
  Response p6 = p;
  p6.topics[0].name.clear();
  p6.topics[0].topic_id = counting_uuid();
  // kafka-golden encode TxnOffsetCommitResponse 6 (same JSON with "topicId":"AAECAwQFBgcICQoLDA0ODw" for "name")
  check_golden(p6, 6, "0000000302000102030405060708090a0b0c0d0e0f0300000001000000000000020016000000");
}

TEST_CASE("TxnOffsetCommit refuses fields the version lacks") {
  // KIP-447 member fields only from v3, each on its own.
  for (std::int16_t v = 0; v < 3; ++v) {
    Request generation;
    generation.generation_id_or_member_epoch = 0;
    check_refused(generation, v);
    Request member;
    member.member_id = "m";
    check_refused(member, v);
    Request instance;
    instance.group_instance_id = "";
    check_refused(instance, v);
    check_refused(sample_request(3), v);  // tags
    check_refused(sample_response(3), v);
  }
  // The leader epoch only from v2 (Kafka would drop it).
  Request epoch = sample_request(1);
  epoch.topics[0].partitions[0].committed_leader_epoch = 0;
  check_refused(epoch, 1);
  // The topic key the version lacks must hold its default (Kafka would drop it).
  check_refused(sample_request(6), 5);  // topic ids below v6
  check_refused(sample_request(5), 6);  // names at v6
  check_refused(sample_response(6), 5);
  check_refused(sample_response(5), 6);
  // An empty name / zero id is the default, so it goes out as it is.
  std::vector<std::uint8_t> out;
  CHECK_FALSE(encode_message(keyed_request_topic(5, ""), 5, out));
  CHECK_FALSE(encode_message(keyed_request_topic(6, ""), 6, out));
  CHECK(encode_message(Request{}, 7, out) == client_errc::unsupported_version);
}
