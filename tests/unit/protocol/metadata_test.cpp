// Metadata codec tests. The golden byte vectors below were worked through by
// hand from Kafka's MetadataRequest.json / MetadataResponse.json (v13 from
// Kafka 4.0's schema, KIP-1102); vectors captured from a real broker are to
// be added alongside them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"
#include "codec_checks.hpp"

using namespace kwire::protocol;
using namespace kwire::protocol::testing;
using kwire::client_errc;
using kwire::errc;
using RequestTopics = std::vector<MetadataRequest::Topic>;

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
  Bytes& operator()(const Uuid& id) {
    v.insert(v.end(), id.bytes.begin(), id.bytes.end());
    return *this;
  }
};

Uuid uuid_from(std::uint8_t first) {
  Uuid id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(first + i);
  return id;
}

/// A request using every field the version has.
MetadataRequest sample_request(std::int16_t version) {
  MetadataRequest r;
  r.topics.emplace();
  r.topics->push_back({{}, "orders", {}});
  r.topics->push_back({{}, "payments", {}});
  if (version >= 10) r.topics->at(1).topic_id = uuid_from(0x40);
  if (version >= 12) r.topics->push_back({uuid_from(0x80), std::nullopt, {}});
  if (version >= 4) r.allow_auto_topic_creation = false;
  if (version >= 8 && version <= 10) r.include_cluster_authorized_operations = true;
  if (version >= 8) r.include_topic_authorized_operations = true;
  if (version >= 9) {
    r.topics->at(0).unknown_tags = {RawTaggedField{2, {0x01}}};
    r.unknown_tags = {RawTaggedField{0, {}}, RawTaggedField{300, {0xde, 0xad}}};
  }
  return r;
}

/// A response using every field the version has.
MetadataResponse sample_response(std::int16_t version) {
  MetadataResponse r;
  if (version >= 3) r.throttle_time_ms = 17;
  r.brokers = {{1, "kafka1.example", 9092, std::nullopt, {}}, {2, "kafka2.example", 9093, std::nullopt, {}}};
  if (version >= 1) r.brokers[1].rack = "eu-west-1b";
  if (version >= 2) r.cluster_id = "MkU3OEVBNTcwNTJENDM2Qg";
  if (version >= 1) r.controller_id = 2;

  MetadataResponse::Topic orders;
  orders.name = "orders";
  MetadataResponse::Partition p0;
  p0.partition_index = 0;
  p0.leader_id = 1;
  p0.replica_nodes = {1, 2, 3};
  p0.isr_nodes = {1, 2};
  MetadataResponse::Partition p1;
  p1.error_code = errc::leader_not_available;
  p1.partition_index = 1;
  p1.leader_id = -1;
  p1.replica_nodes = {2, 3};
  if (version >= 5) p1.offline_replicas = {3};
  if (version >= 7) {
    p0.leader_epoch = 12;
    p1.leader_epoch = 0;
  }
  orders.partitions = {p0, p1};
  if (version >= 8) orders.topic_authorized_operations = 0x0f8;
  if (version >= 10) orders.topic_id = uuid_from(0x10);

  MetadataResponse::Topic offsets;
  offsets.name = "__consumer_offsets";
  if (version >= 1) offsets.is_internal = true;

  MetadataResponse::Topic missing;
  missing.error_code = errc::unknown_topic_or_partition;
  missing.name = "nope";
  r.topics = {orders, offsets, missing};
  if (version >= 12) {
    MetadataResponse::Topic by_id;
    by_id.error_code = errc::unknown_topic_id;
    by_id.topic_id = uuid_from(0x70);  // name stays null
    r.topics.push_back(by_id);
  }
  if (version >= 8 && version <= 10) r.cluster_authorized_operations = 0x1ff;
  if (version >= 13) r.error_code = errc::rebootstrap_required;
  if (version >= 9) {
    r.brokers[0].unknown_tags = {RawTaggedField{1, {0x05}}};
    r.topics[0].partitions[0].unknown_tags = {RawTaggedField{0, {0x01, 0x02, 0x03}}};
    r.topics[0].unknown_tags = {RawTaggedField{9, {}}};
    r.unknown_tags = {RawTaggedField{127, {0x7f}}, RawTaggedField{128, {0x80}}};
  }
  return r;
}

}  // namespace

TEST_CASE("Metadata codec traits match the API table") {
  const ApiSupport* s = find_support(ApiKey::metadata);
  REQUIRE(s);
  CHECK(MetadataRequest::api_key == ApiKey::metadata);
  CHECK(MetadataResponse::api_key == ApiKey::metadata);
  CHECK(MetadataRequest::min_version == s->min_version);
  CHECK(MetadataRequest::max_version == s->max_version);
  CHECK(MetadataResponse::max_version == s->max_version);
  CHECK(MetadataRequest::first_flexible_version == s->first_flexible_version);
}

TEST_CASE("golden: Metadata request v0 and v1 topic arrays") {
  MetadataRequest all;  // topics = nullopt: every topic
  CHECK(encode(all, 0) == Bytes{}({0x00, 0x00, 0x00, 0x00}).v);  // v0: empty array = all
  CHECK(encode(all, 1) == Bytes{}({0xff, 0xff, 0xff, 0xff}).v);  // v1+: null array = all

  MetadataRequest one;
  one.topics = RequestTopics{{{}, "orders", {}}};
  auto v1 = Bytes{}({0x00, 0x00, 0x00, 0x01})({0x00, 0x06})("orders").v;
  CHECK(encode(one, 1) == v1);
  MetadataRequest back;
  REQUIRE_FALSE(decode_message(v1, 1, back));
  CHECK(back == one);

  MetadataRequest none;
  none.topics.emplace();  // v1+: empty array = no topics
  CHECK(encode(none, 1) == Bytes{}({0x00, 0x00, 0x00, 0x00}).v);
  REQUIRE_FALSE(decode_message(Bytes{}({0x00, 0x00, 0x00, 0x00}).v, 1, back));
  CHECK(back == none);
  REQUIRE_FALSE(decode_message(Bytes{}({0x00, 0x00, 0x00, 0x00}).v, 0, back));
  CHECK(back == all);  // ... but at v0 the same bytes mean "all"
}

TEST_CASE("golden: Metadata request v9") {
  MetadataRequest req;
  req.topics = RequestTopics{{{}, "orders", {}}};
  req.include_topic_authorized_operations = true;
  auto expected = Bytes{}({0x02})            // topics: compact count 1 (+1)
                      ({0x07})("orders")     // name: compact string
                      ({0x00})               // topic tag buffer
                      ({0x01})               // allow_auto_topic_creation = true
                      ({0x00})               // include_cluster_authorized_operations (v8-10)
                      ({0x01})               // include_topic_authorized_operations
                      ({0x00})               // tag buffer
                      .v;
  CHECK(encode(req, 9) == expected);
  MetadataRequest back;
  REQUIRE_FALSE(decode_message(expected, 9, back));
  CHECK(back == req);
}

TEST_CASE("golden: Metadata request v12 by topic id") {
  MetadataRequest req;
  req.topics = RequestTopics{{uuid_from(0x01), std::nullopt, {}}};
  req.allow_auto_topic_creation = false;
  auto expected = Bytes{}({0x02})           // topics: compact count 1
                      (uuid_from(0x01))     // topic_id 01 02 ... 10
                      ({0x00})              // name: null compact string
                      ({0x00})              // topic tag buffer
                      ({0x00})              // allow_auto_topic_creation = false
                      ({0x00})              // include_topic_authorized_operations (no cluster flag at v11+)
                      ({0x00})              // tag buffer
                      .v;
  CHECK(encode(req, 12) == expected);
  CHECK(encode(req, 13) == expected);  // v13 request = v12
  MetadataRequest back;
  REQUIRE_FALSE(decode_message(expected, 12, back));
  CHECK(back == req);
}

TEST_CASE("golden: Metadata response v0") {
  auto body = Bytes{}({0x00, 0x00, 0x00, 0x01})                     // brokers: 1
                  ({0x00, 0x00, 0x00, 0x01})                        //   node_id 1
                  ({0x00, 0x06})("kafka1")                          //   host
                  ({0x00, 0x00, 0x23, 0x84})                        //   port 9092
                  ({0x00, 0x00, 0x00, 0x01})                        // topics: 1
                  ({0x00, 0x00})                                    //   error_code NONE
                  ({0x00, 0x06})("orders")                          //   name
                  ({0x00, 0x00, 0x00, 0x01})                        //   partitions: 1
                  ({0x00, 0x00})                                    //     error_code
                  ({0x00, 0x00, 0x00, 0x00})                        //     partition_index 0
                  ({0x00, 0x00, 0x00, 0x01})                        //     leader_id 1
                  ({0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01})  //   replica_nodes [1]
                  ({0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01})  //   isr_nodes [1]
                  .v;
  MetadataResponse r;
  REQUIRE_FALSE(decode_message(body, 0, r));
  REQUIRE(r.brokers.size() == 1);
  CHECK(r.brokers[0] == MetadataResponse::Broker{1, "kafka1", 9092, std::nullopt, {}});
  CHECK(r.controller_id == -1);
  CHECK_FALSE(r.cluster_id);
  REQUIRE(r.topics.size() == 1);
  CHECK(r.topics[0].name == "orders");
  REQUIRE(r.topics[0].partitions.size() == 1);
  const auto& p = r.topics[0].partitions[0];
  CHECK(p.leader_id == 1);
  CHECK(p.leader_epoch == -1);
  CHECK(p.replica_nodes == std::vector<std::int32_t>{1});
  CHECK(p.isr_nodes == std::vector<std::int32_t>{1});
  CHECK(encode(r, 0) == body);
}

TEST_CASE("golden: Metadata response v12") {
  auto body = Bytes{}({0x00, 0x00, 0x00, 0x00})                 // throttle_time_ms 0
                  ({0x02})                                      // brokers: compact count 1
                  ({0x00, 0x00, 0x00, 0x01})                    //   node_id 1
                  ({0x07})("kafka1")                            //   host
                  ({0x00, 0x00, 0x23, 0x84})                    //   port 9092
                  ({0x00})                                      //   rack: null
                  ({0x00})                                      //   tag buffer
                  ({0x04})("abc")                               // cluster_id "abc"
                  ({0x00, 0x00, 0x00, 0x01})                    // controller_id 1
                  ({0x03})                                      // topics: compact count 2
                  ({0x00, 0x00})                                //   error_code NONE
                  ({0x07})("orders")                            //   name
                  (uuid_from(0x11))                             //   topic_id
                  ({0x00})                                      //   is_internal false
                  ({0x02})                                      //   partitions: 1
                  ({0x00, 0x00})                                //     error_code
                  ({0x00, 0x00, 0x00, 0x00})                    //     partition_index 0
                  ({0x00, 0x00, 0x00, 0x01})                    //     leader_id 1
                  ({0x00, 0x00, 0x00, 0x05})                    //     leader_epoch 5
                  ({0x02, 0x00, 0x00, 0x00, 0x01})              //     replica_nodes [1]
                  ({0x02, 0x00, 0x00, 0x00, 0x01})              //     isr_nodes [1]
                  ({0x01})                                      //     offline_replicas []
                  ({0x00})                                      //     tag buffer
                  ({0x80, 0x00, 0x00, 0x00})                    //   topic_authorized_operations: omitted
                  ({0x00})                                      //   tag buffer
                  ({0x00, 0x64})                                //   error_code 100 UNKNOWN_TOPIC_ID
                  ({0x00})                                      //   name: null (v12+)
                  (uuid_from(0xa0))                             //   topic_id
                  ({0x00})                                      //   is_internal false
                  ({0x01})                                      //   partitions: none
                  ({0x80, 0x00, 0x00, 0x00})                    //   topic_authorized_operations
                  ({0x00})                                      //   tag buffer
                  ({0x00})                                      // tag buffer (no cluster ops at v11+)
                  .v;
  MetadataResponse r;
  REQUIRE_FALSE(decode_message(body, 12, r));
  CHECK(r.cluster_id == "abc");
  CHECK(r.controller_id == 1);
  REQUIRE(r.topics.size() == 2);
  CHECK(r.topics[0].topic_id == uuid_from(0x11));
  CHECK(r.topics[0].partitions[0].leader_epoch == 5);
  CHECK(r.topics[0].topic_authorized_operations == kAuthorizedOperationsOmitted);
  CHECK(r.topics[1].error_code == errc::unknown_topic_id);
  CHECK_FALSE(r.topics[1].name);
  CHECK(r.error_code == errc::none);
  CHECK(encode(r, 12) == body);

  // v13 appends the top-level error code (KIP-1102) before the tag buffer.
  r.error_code = errc::rebootstrap_required;
  auto v13 = encode(r, 13);
  REQUIRE(v13.size() == body.size() + 2);
  CHECK(std::equal(body.begin(), body.end() - 1, v13.begin()));
  CHECK(v13[v13.size() - 3] == 0x00);
  CHECK(v13[v13.size() - 2] == 0x81);  // 129
  CHECK(v13.back() == 0x00);
  MetadataResponse back;
  REQUIRE_FALSE(decode_message(v13, 13, back));
  CHECK(back.error_code == errc::rebootstrap_required);
  CHECK(kwire::error_traits(back.error_code).refresh_metadata);
}

TEST_CASE("Metadata round trips at every version") {
  for (std::int16_t v = MetadataRequest::min_version; v <= MetadataRequest::max_version; ++v) {
    check_round_trip(sample_request(v), v);
    check_round_trip(MetadataRequest{}, v);  // all topics
    check_round_trip(sample_response(v), v);
    check_round_trip(MetadataResponse{}, v);
    if (v >= 1) {
      MetadataRequest none;
      none.topics.emplace();
      check_round_trip(none, v);
    }
  }
}

TEST_CASE("Metadata request refuses fields the version cannot carry") {
  std::vector<std::uint8_t> out;
  auto refuses = [&out](const MetadataRequest& r, std::int16_t v) {
    CAPTURE(v);
    CHECK(encode_message(r, v, out) == client_errc::field_not_in_version);
    CHECK(out.empty());
  };
  MetadataRequest r;
  CHECK(encode_message(r, 14, out) == client_errc::unsupported_version);
  CHECK(encode_message(r, -1, out) == client_errc::unsupported_version);

  r.topics.emplace();  // "no topics" cannot be said at v0
  refuses(r, 0);

  r = {};
  r.allow_auto_topic_creation = false;
  refuses(r, 3);
  r = {};
  r.include_cluster_authorized_operations = true;
  refuses(r, 7);
  refuses(r, 11);
  CHECK_FALSE(encode_message(r, 10, out));
  out.clear();
  r = {};
  r.include_topic_authorized_operations = true;
  refuses(r, 7);
  r = {};
  r.topics = RequestTopics{{uuid_from(1), "t", {}}};
  refuses(r, 9);  // topic ids start at v10
  r.topics = RequestTopics{{{}, std::nullopt, {}}};
  refuses(r, 9);  // null names start at v10
  r.topics = RequestTopics{{{}, "t", {RawTaggedField{1, {}}}}};
  refuses(r, 8);  // tags start at v9
  r = {};
  r.unknown_tags = {RawTaggedField{1, {}}};
  refuses(r, 8);
}

TEST_CASE("Metadata response refuses fields the version cannot carry") {
  std::vector<std::uint8_t> out;
  auto refuses = [&out](const MetadataResponse& r, std::int16_t v) {
    CAPTURE(v);
    CHECK(encode_message(r, v, out) == client_errc::field_not_in_version);
    CHECK(out.empty());
  };
  MetadataResponse r;
  r.throttle_time_ms = 1;
  refuses(r, 2);
  r = {};
  r.brokers = {{1, "h", 1, "rack", {}}};
  refuses(r, 0);
  r = {};
  r.cluster_id = "c";
  refuses(r, 1);
  r = {};
  r.controller_id = 3;
  refuses(r, 0);
  r = {};
  r.cluster_authorized_operations = 0;
  refuses(r, 7);
  refuses(r, 11);
  r = {};
  r.error_code = errc::rebootstrap_required;
  refuses(r, 12);

  MetadataResponse::Topic t;
  t.name = "t";
  t.is_internal = true;
  r = {};
  r.topics = {t};
  refuses(r, 0);
  t.is_internal = false;
  t.topic_id = uuid_from(1);
  r.topics = {t};
  refuses(r, 9);
  t.topic_id = {};
  t.name.reset();
  r.topics = {t};
  refuses(r, 11);
  t.name = "t";
  t.topic_authorized_operations = 0;
  r.topics = {t};
  refuses(r, 7);
  t.topic_authorized_operations = kAuthorizedOperationsOmitted;

  MetadataResponse::Partition p;
  p.leader_epoch = 4;
  t.partitions = {p};
  r.topics = {t};
  refuses(r, 6);
  p.leader_epoch = -1;
  p.offline_replicas = {1};
  t.partitions = {p};
  r.topics = {t};
  refuses(r, 4);
  p.offline_replicas.clear();
  p.unknown_tags = {RawTaggedField{0, {}}};
  t.partitions = {p};
  r.topics = {t};
  refuses(r, 8);
  CHECK_FALSE(encode_message(r, 9, out));
}

TEST_CASE("Metadata decoders fail cleanly on every truncation") {
  for (std::int16_t v = MetadataRequest::min_version; v <= MetadataRequest::max_version; ++v) {
    CAPTURE(v);
    check_every_truncation_fails<MetadataRequest>(encode(sample_request(v), v), v);
    check_every_truncation_fails<MetadataResponse>(encode(sample_response(v), v), v);
  }
}

TEST_CASE("Metadata rejects absurd counts before allocating") {
  MetadataResponse r;
  // v0: 0x7fffffff brokers, then one broker's worth of bytes.
  auto brokers = Bytes{}({0x7f, 0xff, 0xff, 0xff})({0x00, 0x00, 0x00, 0x01, 0x00, 0x01})("h")({0, 0, 0, 1}).v;
  CHECK(decode_message(brokers, 0, r) == client_errc::length_exceeds_input);
  CHECK(r.brokers.capacity() == 0);

  // v9: throttle, then a compact broker count of 0x7fffffff (uvarint 0x80000000).
  auto compact = Bytes{}({0, 0, 0, 0})({0x80, 0x80, 0x80, 0x80, 0x08})({0, 0, 0, 1, 0x02})("h")({0, 0, 0, 1, 0, 0}).v;
  CHECK(decode_message(compact, 9, r) == client_errc::length_exceeds_input);
  CHECK(r.brokers.capacity() == 0);

  // v0: no brokers, one topic with 0x10000000 partitions.
  auto partitions = Bytes{}({0, 0, 0, 0})({0, 0, 0, 1})({0, 0})({0, 1})("t")({0x10, 0, 0, 0})({0, 0, 0, 0, 0, 0}).v;
  CHECK(decode_message(partitions, 0, r) == client_errc::length_exceeds_input);

  // v0: a partition claiming 0x40000000 replicas.
  auto replicas = Bytes{}({0, 0, 0, 0})({0, 0, 0, 1})({0, 0})({0, 1})("t")({0, 0, 0, 1})  // 1 partition
                      ({0, 0, 0, 0, 0, 0, 0, 0, 0, 0})                                   // error, index, leader
                      ({0x40, 0, 0, 0})({0, 0, 0, 1, 0, 0, 0, 0})                         // replicas, then isr []
                      .v;
  CHECK(decode_message(replicas, 0, r) == client_errc::length_exceeds_input);

  MetadataRequest req;
  auto topics = Bytes{}({0x7f, 0xff, 0xff, 0xff})({0x00, 0x01})("t").v;
  CHECK(decode_message(topics, 1, req) == client_errc::length_exceeds_input);
  CHECK_FALSE((req.topics && req.topics->capacity() != 0));
  // A null topic array is malformed at v0 (nullable from v1).
  CHECK(decode_message(Bytes{}({0xff, 0xff, 0xff, 0xff}).v, 0, req) == client_errc::malformed);
  // A null topic name is malformed before v10.
  CHECK(decode_message(Bytes{}({0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}).v, 9, req) == client_errc::malformed);
}

TEST_CASE("Metadata rejects trailing bytes and null non-nullable arrays") {
  for (std::int16_t v : std::initializer_list<std::int16_t>{0, 9, 13}) {
    CAPTURE(v);
    auto body = encode(sample_response(v), v);
    body.push_back(0);
    MetadataResponse r;
    CHECK(decode_message(body, v, r) == client_errc::trailing_bytes);
  }
  // brokers = null (compact 0) at v9.
  MetadataResponse r;
  CHECK(decode_message(Bytes{}({0, 0, 0, 0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00}).v, 9, r) ==
        client_errc::malformed);
}
