// Fetch codec tests. The golden vectors were worked out by hand from
// FetchRequest.json / FetchResponse.json.
#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kwire/protocol/fetch.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/record_batch.hpp"
#include "codec_checks.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;

namespace {

Uuid make_uuid(std::uint8_t seed) {
  Uuid id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}

const std::vector<std::uint8_t>& some_records() {
  static const std::vector<std::uint8_t> records = [] {
    RecordBatchBuilder b(1000);
    std::vector<std::uint8_t> v{'h', 'i'};
    b.append(1000, std::nullopt, std::span<const std::uint8_t>(v));
    auto sealed = b.seal();
    return std::vector<std::uint8_t>(sealed.begin(), sealed.end());
  }();
  return records;
}

FetchRequest sample_request(std::int16_t version) {
  FetchRequest r;
  if (version >= 12) r.cluster_id = "cluster-a";
  if (version >= 15)
    r.replica_state = {3, 77, {}};
  else
    r.replica_id = 3;
  r.max_wait_ms = 500;
  r.min_bytes = 1;
  r.max_bytes = 52428800;
  r.isolation_level = IsolationLevel::read_committed;
  if (version >= 7) {
    r.session_id = 1234;
    r.session_epoch = 5;
  }
  FetchRequest::Topic t;
  if (version >= 13)
    t.topic_id = make_uuid(1);
  else
    t.topic = "orders";
  FetchRequest::Partition p;
  p.partition = 2;
  if (version >= 9) p.current_leader_epoch = 4;
  p.fetch_offset = 0x0102030405060708;
  if (version >= 12) p.last_fetched_epoch = 3;
  if (version >= 5) p.log_start_offset = 10;
  p.partition_max_bytes = 1048576;
  if (version >= 17) p.replica_directory_id = make_uuid(50);
  if (version >= 12) p.unknown_tags = {RawTaggedField{9, {0x01, 0x02}}};
  t.partitions = {p, FetchRequest::Partition{}};
  if (version >= 12) t.unknown_tags = {RawTaggedField{0, {}}};
  r.topics = {t};
  if (version >= 7) {
    FetchRequest::ForgottenTopic f;
    if (version >= 13)
      f.topic_id = make_uuid(99);
    else
      f.topic = "gone";
    f.partitions = {0, 1, 5};
    r.forgotten_topics_data = {f};
  }
  if (version >= 11) r.rack_id = "rack-1";
  if (version >= 12) r.unknown_tags = {RawTaggedField{7, {0xab}}};
  return r;
}

FetchResponse sample_response(std::int16_t version) {
  FetchResponse r;
  r.throttle_time_ms = 9;
  if (version >= 7) {
    r.error_code = errc::none;
    r.session_id = 42;
  }
  FetchResponse::Topic t;
  if (version >= 13)
    t.topic_id = make_uuid(7);
  else
    t.topic = "orders";
  FetchResponse::Partition ok;
  ok.partition_index = 0;
  ok.high_watermark = 100;
  ok.last_stable_offset = 90;
  if (version >= 5) ok.log_start_offset = 3;
  ok.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>{{1000, 50, {}}, {1001, 60, {}}};
  if (version >= 11) ok.preferred_read_replica = 2;
  ok.records = std::span<const std::uint8_t>(some_records());
  FetchResponse::Partition moved;
  moved.partition_index = 1;
  moved.error_code = errc::not_leader_or_follower;
  moved.high_watermark = -1;
  moved.records = std::span<const std::uint8_t>();  // empty, not null
  if (version >= 12) {
    moved.diverging_epoch = {5, 77, {}};
    moved.current_leader = {2, 9, {}};
    moved.snapshot_id = {1234, 3, {}};
    moved.unknown_tags = {RawTaggedField{10, {0x00}}};
  }
  FetchResponse::Partition null_records;
  null_records.partition_index = 2;
  null_records.error_code = errc::offset_out_of_range;
  t.partitions = {ok, moved, null_records};
  if (version >= 12) t.unknown_tags = {RawTaggedField{3, {0x01}}};
  r.responses = {t};
  if (version >= 16) r.node_endpoints = {{2, "broker-2", 9092, "rack-b", {}}, {3, "broker-3", 9093, std::nullopt, {}}};
  if (version >= 12) r.unknown_tags = {RawTaggedField{5, {0xff}}};
  return r;
}

}  // namespace

TEST_CASE("Fetch codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::fetch);
  REQUIRE(s != nullptr);
  CHECK(s->min_version == FetchRequest::min_version);
  CHECK(s->max_version == FetchRequest::max_version);
  CHECK(s->first_flexible_version == FetchRequest::first_flexible_version);
  CHECK(FetchResponse::min_version == FetchRequest::min_version);
  CHECK(FetchResponse::max_version == FetchRequest::max_version);
  CHECK(FetchResponse::first_flexible_version == FetchRequest::first_flexible_version);
}

TEST_CASE("Fetch round trips at every version") {
  for (std::int16_t v = FetchRequest::min_version; v <= FetchRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(FetchRequest{}, v);
    check_round_trip(sample_response(v), v);
    check_round_trip(FetchResponse{}, v);
  }
}

TEST_CASE("Fetch every truncation fails cleanly") {
  check_truncations<FetchRequest, FetchResponse>(sample_request, sample_response);
}

TEST_CASE("Fetch golden vectors") {
  SUBCASE("request v4: one partition, from offset 5") {
    FetchRequest r;
    r.max_wait_ms = 100;
    r.min_bytes = 1;
    r.max_bytes = 1024;
    r.topics = {{"t", {}, {{0, -1, 5, -1, -1, 4096, {}, {}}}, {}}};
    CHECK(encode(r, 4) == bytes({0xff, 0xff, 0xff, 0xff,                           // replica_id -1
                                 0x00, 0x00, 0x00, 0x64,                           // max_wait_ms 100
                                 0x00, 0x00, 0x00, 0x01,                           // min_bytes 1
                                 0x00, 0x00, 0x04, 0x00,                           // max_bytes 1024
                                 0x00,                                             // read_uncommitted
                                 0x00, 0x00, 0x00, 0x01,                           // 1 topic
                                 0x00, 0x01, 't',                                  // name
                                 0x00, 0x00, 0x00, 0x01,                           // 1 partition
                                 0x00, 0x00, 0x00, 0x00,                           // partition 0
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,   // fetch_offset 5
                                 0x00, 0x00, 0x10, 0x00}));                        // partition_max_bytes
  }
  SUBCASE("request v13: topic id, session-less full fetch, tags") {
    FetchRequest r;
    r.max_wait_ms = 0;
    r.min_bytes = 0;
    r.max_bytes = 0x7fffffff;
    FetchRequest::Topic t;
    t.topic = "ignored at v13";
    t.topic_id = make_uuid(0);
    t.partitions = {{1, 2, 3, -1, -1, 256, {}, {}}};
    r.topics = {t};
    r.cluster_id = "c";
    std::vector<std::uint8_t> expected = bytes({0xff, 0xff, 0xff, 0xff,   // replica_id
                                                0, 0, 0, 0,               // max_wait_ms
                                                0, 0, 0, 0,               // min_bytes
                                                0x7f, 0xff, 0xff, 0xff,   // max_bytes
                                                0x00,                     // isolation
                                                0, 0, 0, 0,               // session_id 0
                                                0xff, 0xff, 0xff, 0xff,   // session_epoch -1
                                                0x02});                   // 1 topic
    for (int i = 0; i < 16; ++i) expected.push_back(static_cast<std::uint8_t>(i));  // topic id
    auto rest = bytes({0x02,                                             // 1 partition
                       0, 0, 0, 1,                                       // partition 1
                       0, 0, 0, 2,                                       // current_leader_epoch 2
                       0, 0, 0, 0, 0, 0, 0, 3,                           // fetch_offset 3
                       0xff, 0xff, 0xff, 0xff,                           // last_fetched_epoch -1
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   // log_start_offset -1
                       0, 0, 1, 0,                                       // partition_max_bytes 256
                       0x00,                                             // partition tags
                       0x00,                                             // topic tags
                       0x01,                                             // 0 forgotten topics
                       0x01,                                             // rack_id ""
                       0x01, 0x00, 0x02, 0x02, 'c'});                    // tag 0 (cluster id "c")
    expected.insert(expected.end(), rest.begin(), rest.end());
    CHECK(encode(r, 13) == expected);
    FetchRequest back;
    REQUIRE_FALSE(decode_message(expected, 13, back));
    CHECK(back.cluster_id == "c");
    CHECK(back.topics.at(0).topic_id == make_uuid(0));
    CHECK(back.topics.at(0).topic.empty());  // names are not on the wire at v13
  }
  SUBCASE("response v4 with records and null aborted transactions") {
    auto wire = bytes({0, 0, 0, 0,                          // throttle
                       0, 0, 0, 1,                          // 1 topic
                       0, 1, 't',                           // name
                       0, 0, 0, 1,                          // 1 partition
                       0, 0, 0, 0,                          // partition 0
                       0, 0,                                // no error
                       0, 0, 0, 0, 0, 0, 0, 7,              // high watermark 7
                       0, 0, 0, 0, 0, 0, 0, 7,              // last stable offset 7
                       0xff, 0xff, 0xff, 0xff,              // aborted transactions: null
                       0, 0, 0, 3, 0xaa, 0xbb, 0xcc});      // records: 3 bytes
    FetchResponse r;
    REQUIRE_FALSE(decode_message(wire, 4, r));
    const auto& p = r.responses.at(0).partitions.at(0);
    CHECK(p.high_watermark == 7);
    CHECK(p.last_stable_offset == 7);
    CHECK_FALSE(p.aborted_transactions.has_value());
    REQUIRE(p.records.has_value());
    CHECK(p.records->size() == 3);
    // The view points into the input: no copy.
    CHECK(p.records->data() == wire.data() + wire.size() - 3);
    CHECK(encode(r, 4) == wire);
  }
  SUBCASE("response v12 with a current-leader hint") {
    auto wire = bytes({0, 0, 0, 0,                          // throttle
                       0, 0,                                // error
                       0, 0, 0, 0,                          // session id
                       0x02,                                // 1 topic
                       0x02, 't',                           // name
                       0x02,                                // 1 partition
                       0, 0, 0, 0,                          // partition 0
                       0, 6,                                // NOT_LEADER_OR_FOLLOWER
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   // high watermark -1
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   // last stable -1
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   // log start -1
                       0x00,                                // aborted: null
                       0xff, 0xff, 0xff, 0xff,              // preferred read replica -1
                       0x00,                                // records: null
                       0x01, 0x01, 0x09,                    // 1 tag: 1 (current leader), 9 bytes
                       0, 0, 0, 2, 0, 0, 0, 5, 0x00,        //   leader 2, epoch 5, tags
                       0x00,                                // topic tags
                       0x00});                              // tags
    FetchResponse r;
    REQUIRE_FALSE(decode_message(wire, 12, r));
    const auto& p = r.responses.at(0).partitions.at(0);
    CHECK(p.error_code == errc::not_leader_or_follower);
    CHECK(p.current_leader.leader_id == 2);
    CHECK(p.current_leader.leader_epoch == 5);
    CHECK_FALSE(p.records.has_value());
    CHECK(p.unknown_tags.empty());
    CHECK(encode(r, 12) == wire);
  }
}

TEST_CASE("Fetch response records decode as record batches") {
  FetchResponse r = sample_response(11);
  auto wire = encode(r, 11);
  FetchResponse back;
  REQUIRE_FALSE(decode_message(wire, 11, back));
  const auto& records = back.responses.at(0).partitions.at(0).records;
  REQUIRE(records.has_value());
  std::vector<RecordBatch> batches;
  REQUIRE_FALSE(decode_record_batches(*records, batches));
  REQUIRE(batches.size() == 1);
  REQUIRE(batches[0].records.size() == 1);
  CHECK(batches[0].records[0].value == std::vector<std::uint8_t>{'h', 'i'});
  CHECK_FALSE(batches[0].records[0].key.has_value());
}

TEST_CASE("Fetch version rules") {
  std::vector<std::uint8_t> out;
  SUBCASE("ignorable fields are dropped below their version") {
    FetchRequest r;
    r.session_id = 5;
    r.session_epoch = 2;
    r.rack_id = "r";
    r.cluster_id = "c";
    r.topics = {{"t", {}, {{0, 7, 1, -1, 99, 10, make_uuid(1), {}}}, {}}};
    REQUIRE_FALSE(encode_message(r, 4, out));
    FetchRequest back;
    REQUIRE_FALSE(decode_message(out, 4, back));
    CHECK(back.session_id == 0);
    CHECK(back.session_epoch == -1);
    CHECK(back.rack_id.empty());
    CHECK_FALSE(back.cluster_id.has_value());
    CHECK(back.topics.at(0).partitions.at(0).current_leader_epoch == -1);
    CHECK(back.topics.at(0).partitions.at(0).log_start_offset == -1);
    CHECK(back.topics.at(0).partitions.at(0).replica_directory_id.is_zero());
    CHECK(back.topics.at(0).partitions.at(0).fetch_offset == 1);
  }
  SUBCASE("non-ignorable fields refuse versions that lack them, writing nothing") {
    FetchRequest r;
    r.forgotten_topics_data = {{"t", {}, {0}, {}}};
    CHECK(encode_message(r, 6, out) == client_errc::field_not_in_version);
    CHECK(out.empty());
    FetchRequest epoch;
    epoch.topics = {{"t", {}, {{0, -1, 0, 3, -1, 0, {}, {}}}, {}}};
    CHECK(encode_message(epoch, 11, out) == client_errc::field_not_in_version);
    CHECK_FALSE(encode_message(epoch, 12, out));
    out.clear();
    FetchRequest follower;
    follower.replica_id = 1;
    CHECK(encode_message(follower, 15, out) == client_errc::field_not_in_version);  // use replica_state
    FetchRequest state;
    state.replica_state.replica_id = 1;
    CHECK(encode_message(state, 14, out) == client_errc::field_not_in_version);
    CHECK(out.empty());
    FetchResponse resp;
    resp.responses = {{"t", {}, {FetchResponse::Partition{}}, {}}};
    resp.responses[0].partitions[0].preferred_read_replica = 1;
    CHECK(encode_message(resp, 10, out) == client_errc::field_not_in_version);
    resp.responses[0].partitions[0].preferred_read_replica = -1;
    resp.responses[0].partitions[0].current_leader.leader_id = 1;
    CHECK(encode_message(resp, 11, out) == client_errc::field_not_in_version);
    FetchResponse endpoints;
    endpoints.node_endpoints = {{1, "h", 1, std::nullopt, {}}};
    CHECK(encode_message(endpoints, 15, out) == client_errc::field_not_in_version);
    CHECK(out.empty());
  }
  SUBCASE("the topic key a version needs must be present") {
    FetchRequest by_name;
    by_name.topics = {{"t", {}, {}, {}}};
    CHECK(encode_message(by_name, 13, out) == client_errc::field_not_in_version);
    CHECK_FALSE(encode_message(by_name, 12, out));
    out.clear();
    FetchRequest by_id;
    by_id.topics = {{"", make_uuid(3), {}, {}}};
    CHECK(encode_message(by_id, 12, out) == client_errc::field_not_in_version);
    CHECK_FALSE(encode_message(by_id, 13, out));
  }
  SUBCASE("tags of a newer version are kept as unknown") {
    // NodeEndpoints (top-level tag 0) arrives at v16; at v15 it is unknown.
    FetchResponse r = sample_response(16);
    auto v16 = encode(r, 16);
    FetchResponse back;
    REQUIRE_FALSE(decode_message(v16, 15, back));
    CHECK(back.node_endpoints.empty());
    REQUIRE_FALSE(back.unknown_tags.empty());
    CHECK(back.unknown_tags.front().tag == 0);
    CHECK(encode(back, 15) == v16);
  }
  SUBCASE("versions outside 4-18 are refused") {
    CHECK(encode_message(FetchRequest{}, 3, out) == client_errc::unsupported_version);
    CHECK(encode_message(FetchRequest{}, 19, out) == client_errc::unsupported_version);
  }
  SUBCASE("absurd counts fail before reserving") {
    FetchResponse r;
    auto wire = bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff});
    CHECK(decode_message(wire, 7, r) == client_errc::length_exceeds_input);
    auto aborted = bytes({0, 0, 0, 0,  0, 0, 0, 1,  0, 1, 't',  0, 0, 0, 1,  0, 0, 0, 0,  0, 0,
                          0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,
                          0x10, 0, 0, 0});  // 268M aborted transactions
    CHECK(decode_message(aborted, 4, r) == client_errc::length_exceeds_input);
  }
}

TEST_CASE("Fetch v18 golden vectors from Kafka 4.4's encoder (KIP-1166)") {
  const Uuid topic_id{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
  FetchRequest request;
  request.max_wait_ms = 500;
  request.min_bytes = 1;
  request.max_bytes = 52428800;
  request.isolation_level = IsolationLevel::read_committed;
  FetchRequest::Partition partition;
  partition.fetch_offset = 5;
  partition.partition_max_bytes = 1048576;
  request.topics = {{"", topic_id, {partition}, {}}};
  SUBCASE("a consumer's request: the same bytes as v17") {
    // kafka-golden encode FetchRequest 18 '{"clusterId":null,"replicaState":{"replicaId":-1,"replicaEpoch":-1},
    //   "maxWaitMs":500,"minBytes":1,"maxBytes":52428800,"isolationLevel":1,"sessionId":0,"sessionEpoch":-1,
    //   "topics":[{"topicId":"AQIDBAUGBwgJCgsMDQ4PEA","partitions":[{"partition":0,"currentLeaderEpoch":-1,
    //   "fetchOffset":5,"lastFetchedEpoch":-1,"logStartOffset":-1,"partitionMaxBytes":1048576,
    //   "replicaDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA"}]}],"forgottenTopicsData":[],"rackId":""}'
    const auto golden = from_hex(
        "000001f400000001032000000100000000ffffffff020102030405060708090a0b0c0d0e0f100200000000ffffffff0000000000"
        "000005ffffffffffffffffffffffff001000000000010100");
    check_golden(request, 18, golden);
    CHECK(encode(request, 17) == golden);
  }
  SUBCASE("a follower's HighWatermark (tag 1) is kept as an unknown tag") {
    // The same with "highWatermark":100 in the partition.
    const auto golden = from_hex(
        "000001f400000001032000000100000000ffffffff020102030405060708090a0b0c0d0e0f100200000000ffffffff0000000000"
        "000005ffffffffffffffffffffffff00100000010108000000000000006400010100");
    request.topics[0].partitions[0].unknown_tags = {RawTaggedField{1, {0, 0, 0, 0, 0, 0, 0, 100}}};
    check_golden(request, 18, golden);
  }
  SUBCASE("response") {
    // kafka-golden encode FetchResponse 18 '{"throttleTimeMs":0,"errorCode":0,"sessionId":0,"responses":[
    //   {"topicId":"AQIDBAUGBwgJCgsMDQ4PEA","partitions":[{"partitionIndex":0,"errorCode":0,"highWatermark":10,
    //   "lastStableOffset":10,"logStartOffset":0,"abortedTransactions":null,"preferredReadReplica":-1,
    //   "records":null}]}]}'
    FetchResponse response;
    FetchResponse::Partition p;
    p.high_watermark = 10;
    p.last_stable_offset = 10;
    p.log_start_offset = 0;
    response.responses = {{"", topic_id, {p}, {}}};
    check_golden(response, 18,
                 from_hex("00000000000000000000020102030405060708090a0b0c0d0e0f1002000000000000000000000000000a0000"
                          "00000000000a000000000000000000ffffffff00000000"));
  }
}
