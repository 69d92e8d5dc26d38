#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kwire/protocol/message.hpp"
#include "kwire/protocol/produce.hpp"
#include "kwire/protocol/record_batch.hpp"

using namespace kwire::protocol;
using kwire::client_errc;
using kwire::errc;

static_assert(KafkaMessage<ProduceRequest>);
static_assert(KafkaMessage<ProduceResponse>);

namespace {

using Bytes = std::vector<std::uint8_t>;

// The one-record batch of record_batch_test.cpp (key "k", value "v", 1000).
const Bytes kBatch = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3a, 0xff, 0xff,
                      0xff, 0xff, 0x02, 0x71, 0x6a, 0x61, 0x89, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
                      0xe8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                      0xff, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x00, 0x02, 0x6b, 0x02, 0x76, 0x00};

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Golden bodies below were produced by Apache Kafka's own generated codecs
// (kafka-clients 4.4.0, ProduceRequestData / ProduceResponseData .write())
// for the messages described in each comment; the layouts are annotated.

// v3: transactional_id null, acks -1, timeout 30000, topic "t",
// partitions [0: kBatch, 1: null records].
const Bytes kRequestV3 = concat({
    {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x75, 0x30},  // txn id null (int16 -1), acks -1, timeout
    {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74},        // 1 topic, name "t"
    {0x00, 0x00, 0x00, 0x02},                          // 2 partitions
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46},  // index 0, records length 70
    kBatch,
    {0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff},  // index 1, null records (int32 -1)
});

// v9 (flexible): transactional_id "tx", otherwise as v3.
const Bytes kRequestV9 = concat({
    {0x03, 0x74, 0x78, 0xff, 0xff, 0x00, 0x00, 0x75, 0x30},  // compact "tx", acks, timeout
    {0x02, 0x02, 0x74, 0x03},                                // 1 topic, compact "t", 2 partitions
    {0x00, 0x00, 0x00, 0x00, 0x47},                          // index 0, compact records length 70 + 1
    kBatch,
    {0x00},                                                  // partition tags
    {0x00, 0x00, 0x00, 0x01, 0x00, 0x00},                    // index 1, null records (0), tags
    {0x00, 0x00},                                            // topic tags, top-level tags
});

// v13: topic id 0x01..0x10 instead of the name, transactional_id null.
const Bytes kRequestV13 = concat({
    {0x00, 0xff, 0xff, 0x00, 0x00, 0x75, 0x30, 0x02},
    {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10},
    {0x03, 0x00, 0x00, 0x00, 0x00, 0x47},
    kBatch,
    {0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00},
});

Uuid test_topic_id() {
  Uuid id;
  for (std::size_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(i + 1);
  return id;
}

ProduceRequest golden_request(std::int16_t version) {
  ProduceRequest r;
  if (version == 9) r.transactional_id = "tx";
  r.acks = -1;
  r.timeout_ms = 30000;
  auto& t = r.topic_data.emplace_back();
  if (version >= 13)
    t.topic_id = test_topic_id();
  else
    t.name = "t";
  t.partition_data.push_back({0, std::span<const std::uint8_t>(kBatch), {}});
  t.partition_data.push_back({1, std::nullopt, {}});
  return r;
}

// Responses: throttle 100; topic "t" (id at v13);
//   partition 0: no error, base offset 42, append time -1, log start 7 (v5+);
//   partition 1: NOT_LEADER_OR_FOLLOWER, base offset -1, append time -1,
//     v8+: record_errors [{2, "bad"}], error_message "not leader",
//     v10+: current_leader {3, 17}; node_endpoints [{3, "b3", 9092, null}].
const Bytes kResponseV3 = {
    0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x02,              // 1 topic "t", 2 partitions
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,                                            // index 0, error 0
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,                                // base offset 42
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,                                // append time -1
    0x00, 0x00, 0x00, 0x01, 0x00, 0x06,                                            // index 1, error 6
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x64};  // throttle_time_ms 100, after the topics
const Bytes kResponseV8 = {
    0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x03, 0x62, 0x61, 0x64, 0x00, 0x0a, 0x6e, 0x6f, 0x74, 0x20,
    0x6c, 0x65, 0x61, 0x64, 0x65, 0x72, 0x00, 0x00, 0x00, 0x64};
const Bytes kResponseV10 = {
    0x02, 0x02, 0x74, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x07, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x02, 0x04, 0x62, 0x61, 0x64, 0x00, 0x0b, 0x6e, 0x6f,
    0x74, 0x20, 0x6c, 0x65, 0x61, 0x64, 0x65, 0x72,
    0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x11, 0x00,  // tag 0 CurrentLeader {3, 17}
    0x00,                                                                    // topic tags
    0x00, 0x00, 0x00, 0x64,                                                  // throttle_time_ms 100
    0x01, 0x00, 0x0e, 0x02, 0x00, 0x00, 0x00, 0x03, 0x03, 0x62, 0x33,        // tag 0 NodeEndpoints [{3, "b3",
    0x00, 0x00, 0x23, 0x84, 0x00, 0x00};                                     //   9092, null rack}]
const Bytes kResponseV13 = {
    0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x02, 0x04, 0x62, 0x61, 0x64, 0x00, 0x0b, 0x6e, 0x6f, 0x74, 0x20,
    0x6c, 0x65, 0x61, 0x64, 0x65, 0x72, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
    0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x01, 0x00, 0x0e, 0x02, 0x00, 0x00, 0x00, 0x03, 0x03,
    0x62, 0x33, 0x00, 0x00, 0x23, 0x84, 0x00, 0x00};

ProduceResponse golden_response(std::int16_t version) {
  ProduceResponse r;
  r.throttle_time_ms = 100;
  auto& t = r.responses.emplace_back();
  if (version >= 13)
    t.topic_id = test_topic_id();
  else
    t.name = "t";
  auto& p0 = t.partition_responses.emplace_back();
  p0.index = 0;
  p0.base_offset = 42;
  if (version >= 5) p0.log_start_offset = 7;
  auto& p1 = t.partition_responses.emplace_back();
  p1.index = 1;
  p1.error_code = errc::not_leader_or_follower;
  p1.base_offset = -1;
  if (version >= 8) {
    p1.record_errors.push_back({2, "bad", {}});
    p1.error_message = "not leader";
  }
  if (version >= 10) {
    p1.current_leader = {3, 17, {}};
    r.node_endpoints.push_back({3, "b3", 9092, std::nullopt, {}});
  }
  return r;
}

template <class M>
Bytes encode(const M& m, std::int16_t version, std::error_code* ec_out = nullptr) {
  Bytes out;
  const auto ec = encode_message(m, version, out);
  if (ec_out != nullptr)
    *ec_out = ec;
  else
    REQUIRE_FALSE(ec);
  return out;
}

}  // namespace

TEST_CASE("produce request: golden bytes from Kafka's encoder (v3, v9, v13)") {
  struct Golden {
    std::int16_t version;
    const Bytes& bytes;
  };
  for (const Golden& g : {Golden{3, kRequestV3}, Golden{9, kRequestV9}, Golden{13, kRequestV13}}) {
    INFO("version " << g.version);
    const ProduceRequest request = golden_request(g.version);
    CHECK(request.encoded_size(g.version) == g.bytes.size());
    CHECK(encode(request, g.version) == g.bytes);

    ProduceRequest decoded;
    REQUIRE_FALSE(decode_message(g.bytes, g.version, decoded));
    CHECK(decoded == request);
    // Zero-copy: the decoded records are a view into the input buffer.
    const auto& records = decoded.topic_data.at(0).partition_data.at(0).records;
    REQUIRE(records.has_value());
    CHECK(records->data() >= g.bytes.data());
    CHECK(records->data() + records->size() <= g.bytes.data() + g.bytes.size());
    // ... and it is the batch, which decodes.
    std::vector<RecordBatch> batches;
    REQUIRE_FALSE(decode_record_batches(*records, batches));
    CHECK(batches.at(0).records.at(0).key == std::optional<Bytes>(Bytes{'k'}));
    CHECK_FALSE(decoded.topic_data.at(0).partition_data.at(1).records.has_value());
  }
}

TEST_CASE("produce request: round trip at every version 3..13, with tags where flexible") {
  const Bytes batch_a(kBatch);
  const Bytes batch_b(300, 0x5a);  // content does not matter to the codec
  Uuid id_alpha = test_topic_id();
  Uuid id_beta;
  id_beta.bytes[15] = 0x42;

  for (std::int16_t v = ProduceRequest::min_version; v <= ProduceRequest::max_version; ++v) {
    INFO("version " << v);
    const bool flex = v >= 9;
    ProduceRequest r;
    r.transactional_id = "txn-1";
    r.acks = 1;
    r.timeout_ms = 1500;
    // Both keys set: each version writes the one it carries.
    r.topic_data.reserve(2);  // keep `alpha` valid across the second emplace
    auto& alpha = r.topic_data.emplace_back();
    alpha.name = "alpha";
    alpha.topic_id = id_alpha;
    alpha.partition_data.push_back({0, std::span<const std::uint8_t>(batch_a), {}});
    alpha.partition_data.push_back({7, std::nullopt, {}});
    alpha.partition_data.push_back({3, std::span<const std::uint8_t>(), {}});  // empty, not null
    auto& beta = r.topic_data.emplace_back();
    beta.name = "beta";
    beta.topic_id = id_beta;
    beta.partition_data.push_back({1, std::span<const std::uint8_t>(batch_b), {}});
    if (flex) {
      r.unknown_tags.push_back({5, {1, 2, 3}});
      alpha.unknown_tags.push_back({9, {}});
      alpha.partition_data[0].unknown_tags.push_back({1, {0xaa}});
    }

    const Bytes bytes = encode(r, v);
    CHECK(r.encoded_size(v) == bytes.size());

    ProduceRequest expected = r;
    for (auto& t : expected.topic_data) {
      if (v >= 13)
        t.name.clear();
      else
        t.topic_id = {};
    }
    ProduceRequest decoded;
    REQUIRE_FALSE(decode_message(bytes, v, decoded));
    CHECK(decoded == expected);
    REQUIRE(decoded.topic_data[0].partition_data[2].records.has_value());
    CHECK(decoded.topic_data[0].partition_data[2].records->empty());
    // The equality operator compares record bytes, not pointers.
    CHECK(decoded.topic_data[1].partition_data[0] == expected.topic_data[1].partition_data[0]);
    auto different = expected;
    const Bytes other(300, 0x5b);
    different.topic_data[1].partition_data[0].records = std::span<const std::uint8_t>(other);
    CHECK_FALSE(decoded == different);
  }
}

TEST_CASE("produce request: version and field checks") {
  ProduceRequest r = golden_request(3);
  std::error_code ec;
  for (std::int16_t v : {std::int16_t{0}, std::int16_t{2}, std::int16_t{14}}) {
    encode(r, v, &ec);
    CHECK(ec == client_errc::unsupported_version);
    CHECK(r.encoded_size(v) == 0);
    Reader in(kRequestV3);
    ProduceRequest decoded;
    CHECK(decoded.decode(in, v) == client_errc::unsupported_version);
  }
  // v13 needs topic ids: a name alone cannot be sent.
  const Bytes partial_output = encode(r, 13, &ec);
  CHECK(ec == client_errc::field_not_in_version);
  CHECK(partial_output.empty());  // nothing half-written
  // Before v13 the name is required.
  ProduceRequest by_id = golden_request(13);
  encode(by_id, 12, &ec);
  CHECK(ec == client_errc::field_not_in_version);
  // Tags cannot be carried before v9.
  ProduceRequest tagged = golden_request(3);
  tagged.topic_data[0].partition_data[0].unknown_tags.push_back({0, {1}});
  encode(tagged, 8, &ec);
  CHECK(ec == client_errc::field_not_in_version);
  encode(tagged, 9, &ec);
  CHECK_FALSE(ec);
}

TEST_CASE("produce request: the encoder copies the batch once, into a buffer reserved up front") {
  const ProduceRequest r = golden_request(9);
  Bytes out = {0xde, 0xad};  // e.g. a header already written
  Writer w(out);
  REQUIRE_FALSE(r.encode(w, 9));
  CHECK(out.size() == 2 + kRequestV9.size());
  CHECK(out.capacity() == out.size());  // exactly one reservation, no growth
  CHECK(Bytes(out.begin() + 2, out.end()) == kRequestV9);
}

TEST_CASE("produce request: encode_gathered leaves the batches out and says where they go") {
  const Bytes batch_b(300, 0x5a);
  for (std::int16_t v : {std::int16_t{3}, std::int16_t{9}, std::int16_t{13}}) {
    INFO("version " << v);
    ProduceRequest r = golden_request(v);  // partition 0: kBatch, partition 1: null records
    r.topic_data[0].partition_data.push_back({4, std::span<const std::uint8_t>(batch_b), {}});
    r.topic_data[0].partition_data.push_back({5, std::span<const std::uint8_t>(), {}});  // empty: no splice
    const Bytes whole = encode(r, v);

    Bytes body = {0xde, 0xad};  // a prefix already there stays
    std::vector<Splice> splices;
    Writer w(body);
    REQUIRE_FALSE(r.encode_gathered(w, v, splices));
    REQUIRE(splices.size() == 2);
    // The batches themselves, not copies, in request order.
    CHECK(splices[0].bytes.data() == kBatch.data());
    CHECK(splices[0].bytes.size() == kBatch.size());
    CHECK(splices[1].bytes.data() == batch_b.data());
    CHECK(splices[0].offset < splices[1].offset);
    CHECK(body.size() + kBatch.size() + batch_b.size() == 2 + whole.size());
    CHECK(body.capacity() == body.size());  // reserved exactly, batches excluded
    CHECK(spliced_size(body, splices) == 2 + whole.size());

    Bytes joined;
    append_spliced(joined, body, splices);
    CHECK(Bytes(joined.begin(), joined.begin() + 2) == Bytes{0xde, 0xad});
    CHECK(Bytes(joined.begin() + 2, joined.end()) == whole);
  }
  // Errors come before anything is written, as in encode().
  ProduceRequest by_name = golden_request(3);
  Bytes body;
  std::vector<Splice> splices;
  Writer w(body);
  CHECK(by_name.encode_gathered(w, 13, splices) == client_errc::field_not_in_version);
  CHECK(body.empty());
  CHECK(splices.empty());
}

TEST_CASE("produce request: truncated input fails at every byte offset, hostile counts are refused") {
  for (const Bytes* golden : {&kRequestV3, &kRequestV9}) {
    const std::int16_t v = golden == &kRequestV3 ? 3 : 9;
    for (std::size_t n = 0; n < golden->size(); ++n) {
      ProduceRequest decoded;
      INFO("version " << v << " prefix " << n);
      CHECK(decode_message(std::span<const std::uint8_t>(golden->data(), n), v, decoded));
    }
  }
  // A topic count of 2^31-1 with a few bytes behind it.
  const Bytes hostile = {0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00};
  ProduceRequest decoded;
  CHECK(decode_message(hostile, 3, decoded) == client_errc::length_exceeds_input);
  // Trailing bytes after a valid body.
  Bytes longer = kRequestV3;
  longer.push_back(0);
  CHECK(decode_message(longer, 3, decoded) == client_errc::trailing_bytes);
}

TEST_CASE("produce response: golden bytes from Kafka's encoder (v3, v8, v10, v13)") {
  struct Golden {
    std::int16_t version;
    const Bytes& bytes;
  };
  for (const Golden& g : {Golden{3, kResponseV3}, Golden{8, kResponseV8}, Golden{10, kResponseV10},
                          Golden{13, kResponseV13}}) {
    INFO("version " << g.version);
    const ProduceResponse response = golden_response(g.version);
    CHECK(encode(response, g.version) == g.bytes);
    ProduceResponse decoded;
    REQUIRE_FALSE(decode_message(g.bytes, g.version, decoded));
    CHECK(decoded == response);
  }
  // KIP-951: the leader hint and its endpoint, decoded from Kafka's bytes.
  ProduceResponse decoded;
  REQUIRE_FALSE(decode_message(kResponseV10, 10, decoded));
  const auto& hint = decoded.responses[0].partition_responses[1];
  CHECK(hint.error_code == errc::not_leader_or_follower);
  CHECK(hint.current_leader.leader_id == 3);
  CHECK(hint.current_leader.leader_epoch == 17);
  REQUIRE(decoded.node_endpoints.size() == 1);
  CHECK(decoded.node_endpoints[0].host == "b3");
  CHECK(decoded.node_endpoints[0].port == 9092);
  CHECK_FALSE(decoded.node_endpoints[0].rack.has_value());
  CHECK(decoded.throttle_time_ms == 100);
}

TEST_CASE("produce response: round trip at every version 3..13") {
  for (std::int16_t v = ProduceResponse::min_version; v <= ProduceResponse::max_version; ++v) {
    INFO("version " << v);
    ProduceResponse r = golden_response(v);
    auto& t2 = r.responses.emplace_back();
    t2.name = "second";
    t2.topic_id.bytes[0] = 9;
    auto& p = t2.partition_responses.emplace_back();
    p.index = 4;
    p.error_code = errc::duplicate_sequence_number;
    p.base_offset = 1'000'000'000'000LL;
    p.log_append_time_ms = 1'700'000'000'000LL;
    if (v >= 8) p.record_errors.push_back({0, std::nullopt, {}});
    if (v >= 9) {
      r.unknown_tags.push_back({3, {7}});
      t2.unknown_tags.push_back({1, {}});
      p.unknown_tags.push_back({2, {1, 2}});
      if (v >= 10) {
        p.current_leader = {8, 2, {}};
        p.current_leader.unknown_tags.push_back({4, {0}});
        r.node_endpoints.push_back({8, "broker-8.example", 19092, "rack-a", {}});
      }
    }
    const Bytes bytes = encode(r, v);
    ProduceResponse expected = r;
    for (auto& t : expected.responses) {
      if (v >= 13)
        t.name.clear();
      else
        t.topic_id = {};
    }
    ProduceResponse decoded;
    REQUIRE_FALSE(decode_message(bytes, v, decoded));
    CHECK(decoded == expected);
  }
}

TEST_CASE("produce response: throttle_time_ms follows the topics array") {
  ProduceResponse r;
  r.throttle_time_ms = 0x01020304;
  r.responses.push_back({"t", {}, {}, {}});
  const Bytes v3 = encode(r, 3);
  CHECK(v3 == Bytes{0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04});
  const Bytes v9 = encode(r, 9);
  CHECK(v9 == Bytes{0x02, 0x02, 0x74, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x00});
  ProduceResponse decoded;
  REQUIRE_FALSE(decode_message(v9, 9, decoded));
  CHECK(decoded.throttle_time_ms == 0x01020304);
}

TEST_CASE("produce response: KIP-951 tags are known from v10 only") {
  // At v9 tag 0 means nothing: kept as an unknown tag, written back as is.
  ProduceResponse v9 = golden_response(9);
  const RawTaggedField leader_tag{0, {0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x11, 0x00}};
  v9.responses[0].partition_responses[1].unknown_tags.push_back(leader_tag);
  const Bytes bytes = encode(v9, 9);
  ProduceResponse at_v9;
  REQUIRE_FALSE(decode_message(bytes, 9, at_v9));
  CHECK(at_v9 == v9);
  CHECK(at_v9.responses[0].partition_responses[1].current_leader.is_default());
  CHECK(encode(at_v9, 9) == bytes);

  // The same bytes read at v10 (same layout otherwise) yield the hint.
  ProduceResponse at_v10;
  REQUIRE_FALSE(decode_message(bytes, 10, at_v10));
  const auto& p = at_v10.responses[0].partition_responses[1];
  CHECK(p.unknown_tags.empty());
  CHECK(p.current_leader.leader_id == 3);
  CHECK(p.current_leader.leader_epoch == 17);

  // A known tag must fill exactly its declared size.
  Bytes bad = kResponseV10;
  // CurrentLeader's size byte 9 -> 8: the struct's tag buffer is cut off.
  const std::size_t size_at = 88 + 2;  // after "01 00" (count, tag)
  REQUIRE(bad[size_at] == 0x09);
  bad[size_at] = 0x08;
  ProduceResponse decoded;
  CHECK(decode_message(bad, 10, decoded));
}

TEST_CASE("produce response: fields a version lacks must hold their defaults") {
  std::error_code ec;
  ProduceResponse r = golden_response(5);
  encode(r, 4, &ec);  // log_start_offset 7 needs v5
  CHECK(ec == client_errc::field_not_in_version);
  r = golden_response(8);
  encode(r, 7, &ec);  // record_errors / error_message need v8
  CHECK(ec == client_errc::field_not_in_version);
  r = golden_response(10);
  encode(r, 9, &ec);  // current_leader / node_endpoints need v10
  CHECK(ec == client_errc::field_not_in_version);
  r.node_endpoints.clear();
  encode(r, 9, &ec);
  CHECK(ec == client_errc::field_not_in_version);
  r.responses[0].partition_responses[1].current_leader = {};
  encode(r, 9, &ec);
  CHECK_FALSE(ec);
  r = golden_response(12);
  encode(r, 13, &ec);  // no topic id
  CHECK(ec == client_errc::field_not_in_version);
  encode(r, 2, &ec);
  CHECK(ec == client_errc::unsupported_version);
}

TEST_CASE("produce response: truncated input fails at every byte offset") {
  for (std::size_t n = 0; n < kResponseV10.size(); ++n) {
    INFO("prefix " << n);
    ProduceResponse decoded;
    CHECK(decode_message(std::span<const std::uint8_t>(kResponseV10.data(), n), 10, decoded));
  }
}
