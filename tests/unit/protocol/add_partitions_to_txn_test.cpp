// AddPartitionsToTxn codec tests. Golden vectors come from Kafka 4.4's own
// encoder (tests/golden/kafka-golden; the command is above each vector).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "codec_checks.hpp"
#include "kwire/protocol/add_partitions_to_txn.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;
using Request = AddPartitionsToTxnRequest;
using Response = AddPartitionsToTxnResponse;

namespace {

Request sample_request(std::int16_t version) {
  Request r;
  const bool flex = version >= 3;
  const TaggedFields tags = flex ? TaggedFields{RawTaggedField{7, {0x01}}} : TaggedFields{};
  std::vector<TopicPartitionIndexes> topics{{"orders", {0, 2, 5}, tags}, {"payments", {}, {}}};
  if (version >= 4) {
    r.transactions = {{"tx-a", 4242, 3, true, topics, tags}, {"tx-b", 7, 0, false, {}, {}}};
  } else {
    r.v3_and_below_transactional_id = "tx-a";
    r.v3_and_below_producer_id = 4242;
    r.v3_and_below_producer_epoch = 3;
    r.v3_and_below_topics = topics;
  }
  r.unknown_tags = tags;
  return r;
}

Response sample_response(std::int16_t version) {
  Response r;
  r.throttle_time_ms = 12;
  const bool flex = version >= 3;
  const TaggedFields tags = flex ? TaggedFields{RawTaggedField{0, {0xab, 0xcd}}} : TaggedFields{};
  std::vector<TopicPartitionErrors> topics{
      {"orders", {{0, errc::none, tags}, {2, errc::concurrent_transactions, {}}}, tags}, {"empty", {}, {}}};
  if (version >= 4) {
    r.error_code = errc::coordinator_load_in_progress;
    r.results_by_transaction = {{"tx-a", topics, tags}};
  } else {
    r.results_by_topic_v3_and_below = topics;
  }
  r.unknown_tags = tags;
  return r;
}

}  // namespace

TEST_CASE("AddPartitionsToTxn codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::add_partitions_to_txn);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == Request::min_version);
  CHECK(s->max_version == Request::max_version);
  CHECK(s->first_flexible_version == Request::first_flexible_version);
  CHECK(Response::max_version == Request::max_version);
  CHECK(Response::first_flexible_version == Request::first_flexible_version);
}

TEST_CASE("AddPartitionsToTxn round trips at every version") {
  for (std::int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(Request{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(Response{}, v);
    check_every_truncation_fails<Request>(encode(sample_request(v), v), v);
    check_every_truncation_fails<Response>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("AddPartitionsToTxn golden vectors from Kafka's encoder") {
  Request client;
  client.v3_and_below_transactional_id = "tx";
  client.v3_and_below_producer_id = 4242;
  client.v3_and_below_producer_epoch = 3;
  client.v3_and_below_topics = {{"orders", {0, 2}, {}}};
  // kafka-golden encode AddPartitionsToTxnRequest 0 '{"v3AndBelowTransactionalId":"tx","v3AndBelowProducerId":4242,
  //   "v3AndBelowProducerEpoch":3,"v3AndBelowTopics":[{"name":"orders","partitions":[0,2]}]}'
  check_golden(client, 0, "00027478000000000000109200030000000100066f7264657273000000020000000000000002");
  // kafka-golden encode AddPartitionsToTxnRequest 3 (same JSON)
  check_golden(client, 3, "0374780000000000001092000302076f72646572730300000000000000020000");

  Request broker;
  broker.transactions = {{"tx", 4242, 3, true, {{"orders", {1}, {}}}, {}}};
  // kafka-golden encode AddPartitionsToTxnRequest 5 '{"transactions":[{"transactionalId":"tx","producerId":4242,
  //   "producerEpoch":3,"verifyOnly":true,"topics":[{"name":"orders","partitions":[1]}]}]}'
  check_golden(broker, 5, "02037478000000000000109200030102076f72646572730200000001000000");

  Response old;
  old.throttle_time_ms = 5;
  old.results_by_topic_v3_and_below = {{"orders", {{0, errc::none, {}}, {2, errc::concurrent_transactions, {}}}, {}}};
  // kafka-golden encode AddPartitionsToTxnResponse 0 '{"throttleTimeMs":5,"resultsByTopicV3AndBelow":[{"name":"orders",
  //   "resultsByPartition":[{"partitionIndex":0,"partitionErrorCode":0},{"partitionIndex":2,"partitionErrorCode":51}]}]}'
  check_golden(old, 0, "000000050000000100066f726465727300000002000000000000000000020033");
  Response flexible;
  flexible.throttle_time_ms = 5;
  flexible.results_by_topic_v3_and_below = {{"orders", {{2, errc::concurrent_transactions, {}}}, {}}};
  // kafka-golden encode AddPartitionsToTxnResponse 3 '{"throttleTimeMs":5,"resultsByTopicV3AndBelow":[{"name":"orders",
  //   "resultsByPartition":[{"partitionIndex":2,"partitionErrorCode":51}]}]}'
  check_golden(flexible, 3, "0000000502076f726465727302000000020033000000");
  Response batched;
  batched.results_by_transaction = {{"tx", {{"orders", {{1, errc::transaction_abortable, {}}}, {}}}, {}}};
  // kafka-golden encode AddPartitionsToTxnResponse 5 '{"throttleTimeMs":0,"errorCode":0,"resultsByTransaction":[
  //   {"transactionalId":"tx","topicResults":[{"name":"orders","resultsByPartition":[{"partitionIndex":1,
  //   "partitionErrorCode":120}]}]}]}'
  check_golden(batched, 5, "0000000000000203747802076f72646572730200000001007800000000");
}

TEST_CASE("AddPartitionsToTxn refuses fields the version lacks") {
  // The single-transaction form cannot go out at v4+, nor the batch below v4.
  for (std::int16_t v = 4; v <= 5; ++v) check_refused(sample_request(3), v);
  for (std::int16_t v = 0; v <= 3; ++v) check_refused(sample_request(4), v);
  Request only_epoch;
  only_epoch.v3_and_below_producer_epoch = 1;
  check_refused(only_epoch, 4);
  // Tags only from v3, at every level.
  check_refused(sample_request(3), 2);
  Request nested_tags;
  nested_tags.v3_and_below_topics = {{"t", {0}, {RawTaggedField{1, {}}}}};
  check_refused(nested_tags, 2);

  check_refused(sample_response(4), 3);
  check_refused(sample_response(3), 4);
  Response top_error;
  top_error.error_code = errc::not_coordinator;
  check_refused(top_error, 3);
  Response nested;
  nested.results_by_topic_v3_and_below = {{"t", {{0, errc::none, {RawTaggedField{1, {}}}}}, {}}};
  check_refused(nested, 2);
  std::vector<std::uint8_t> out;
  CHECK_FALSE(encode_message(nested, 3, out));
}

TEST_CASE("AddPartitionsToTxn rejects versions outside 0-5 and hostile counts") {
  std::vector<std::uint8_t> out;
  CHECK(encode_message(Request{}, 6, out) == client_errc::unsupported_version);
  CHECK(encode_message(Response{}, -1, out) == client_errc::unsupported_version);
  // v4: a transaction count of 2^31-1 with 3 bytes left is refused before any allocation.
  const auto huge = bytes({0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0x00, 0x00});
  Request r;
  CHECK(decode_message(huge, 4, r) == client_errc::length_exceeds_input);
}
