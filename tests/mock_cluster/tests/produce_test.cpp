// Produce: records stored as sent, offsets, acks, validation, leadership,
// and the broker's idempotence rules.
#include <doctest/doctest.h>

#include <limits>

#include "kwire/mock/cluster.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/record_batch.hpp"
#include "raw_client.hpp"

using namespace kwire::mock;
using namespace kwire::mock::test;
using namespace kwire::protocol;
using kwire::errc;

namespace {

ClusterConfig one_topic(int brokers = 1, std::int32_t partitions = 1) {
  ClusterConfig config;
  config.brokers = brokers;
  config.topics = {{"t", partitions}};
  return config;
}

/// Produces `batch` to t-0 and returns the partition response.
std::optional<ProduceResponse::PartitionResponse> produce(RawClient& client, std::span<const std::uint8_t> batch,
                                                         std::int16_t version = 9) {
  auto response = client.call<ProduceResponse>(produce_request("t", 0, batch), version);
  if (!response || only_partition(*response) == nullptr) return std::nullopt;
  return *only_partition(*response);
}

}  // namespace

TEST_SUITE("mock_cluster") {

TEST_CASE("Produce stores records with keys, values, headers and timestamps at every version") {
  MockCluster cluster(one_topic());
  RawClient client(cluster.port(1));
  std::int64_t expected_offset = 0;
  for (std::int16_t v = 3; v <= 12; ++v) {
    CAPTURE(v);
    auto batch = make_batch({{"k1", "hello", {{"h", "x"}, {"null", std::nullopt}}, 1700000000123},
                             {std::nullopt, std::nullopt, {}, 1700000000456}});
    auto p = produce(client, batch, v);
    REQUIRE(p);
    CHECK(p->error_code == errc::none);
    CHECK(p->base_offset == expected_offset);
    if (v >= 5) CHECK(p->log_start_offset == 0);
    expected_offset += 2;
  }
  auto records = cluster.records("t", 0);
  REQUIRE(records.size() == 20);
  CHECK(records[0].offset == 0);
  CHECK(records[0].key == std::optional<std::string>("k1"));
  CHECK(records[0].value == std::optional<std::string>("hello"));
  CHECK(records[0].timestamp == 1700000000123);
  CHECK(records[0].headers == std::vector<StoredHeader>{{"h", "x"}, {"null", std::nullopt}});
  CHECK(records[0].producer_id == -1);
  CHECK(records[0].sequence == -1);
  CHECK(records[1].offset == 1);
  CHECK_FALSE(records[1].key);
  CHECK_FALSE(records[1].value);
  CHECK(records[1].timestamp == 1700000000456);
  CHECK(records[19].offset == 19);
  CHECK(records[19].batch_base_offset == 18);
  CHECK(cluster.batch_count("t", 0) == 10);
  CHECK(cluster.record_count("t", 0) == 20);
  CHECK(cluster.record_count() == 20);
  CHECK(cluster.log_end_offset("t", 0) == 20);
}

TEST_CASE("Produce v13 addresses topics by id") {
  MockCluster cluster(one_topic());
  cluster.set_api_versions({{ApiKey::api_versions, 0, 4}, {ApiKey::metadata, 0, 12}, {ApiKey::produce, 3, 13}});
  RawClient client(cluster.port(1));
  MetadataRequest m;
  m.topics = std::vector<MetadataRequest::Topic>{{{}, "t", {}}};
  auto metadata = client.call<MetadataResponse>(m, 12);
  REQUIRE(metadata);
  const Uuid id = metadata->topics[0].topic_id;
  auto batch = make_batch(1);
  ProduceRequest request = produce_request("", 0, batch);
  request.topic_data[0].topic_id = id;
  auto response = client.call<ProduceResponse>(request, 13);
  REQUIRE(response);
  CHECK(response->responses[0].topic_id == id);
  CHECK(response->responses[0].partition_responses[0].error_code == errc::none);
  CHECK(cluster.record_count("t", 0) == 1);

  Uuid unknown;
  unknown.bytes[3] = 9;
  request.topic_data[0].topic_id = unknown;
  auto missing = client.call<ProduceResponse>(request, 13);
  REQUIRE(missing);
  CHECK(missing->responses[0].partition_responses[0].error_code == errc::unknown_topic_id);
}

TEST_CASE("Produce with acks=0 gets no response; an error closes the connection") {
  MockCluster cluster(one_topic());
  RawClient client(cluster.port(1));
  auto batch = make_batch(3);
  REQUIRE(client.send(produce_request("t", 0, batch, 0), 9) > 0);
  // The next response on the connection answers the next request.
  MetadataRequest m;
  m.topics = std::vector<MetadataRequest::Topic>{};
  const std::int32_t correlation = client.send(m, 12);
  auto metadata = client.receive_response<MetadataResponse>(ApiKey::metadata, 12, correlation);
  CHECK(metadata);
  CHECK(cluster.record_count("t", 0) == 3);

  REQUIRE(client.send(produce_request("t", 7, batch, 0), 9) > 0);  // no partition 7
  CHECK(client.wait_closed());
}

TEST_CASE("Produce validation: unknown topic or partition, acks, CRC, batch count") {
  MockCluster cluster(one_topic());
  RawClient client(cluster.port(1));
  auto batch = make_batch(2);

  auto unknown = client.call<ProduceResponse>(produce_request("nope", 0, batch), 9);
  REQUIRE(unknown);
  CHECK(only_partition(*unknown)->error_code == errc::unknown_topic_or_partition);
  CHECK(only_partition(*unknown)->base_offset == -1);

  auto bad_partition = client.call<ProduceResponse>(produce_request("t", 1, batch), 9);
  REQUIRE(bad_partition);
  CHECK(only_partition(*bad_partition)->error_code == errc::unknown_topic_or_partition);

  auto bad_acks = client.call<ProduceResponse>(produce_request("t", 0, batch, 2), 9);
  REQUIRE(bad_acks);
  CHECK(only_partition(*bad_acks)->error_code == errc::invalid_required_acks);

  SUBCASE("a flipped bit in the records fails the CRC") {
    auto corrupt = batch;
    corrupt.back() ^= 0x01;
    auto p = produce(client, corrupt);
    REQUIRE(p);
    CHECK(p->error_code == errc::corrupt_message);
  }
  SUBCASE("a wrong CRC field") {
    auto corrupt = batch;
    corrupt[batch_offsets::crc] ^= 0x80;
    auto p = produce(client, corrupt);
    REQUIRE(p);
    CHECK(p->error_code == errc::corrupt_message);
  }
  SUBCASE("a cut-off batch") {
    auto cut = std::span(batch).first(batch.size() - 3);
    auto p = produce(client, cut);
    REQUIRE(p);
    CHECK(p->error_code == errc::corrupt_message);
  }
  SUBCASE("two batches in one partition (ProduceRequest.validateRecords)") {
    auto two = batch;
    two.insert(two.end(), batch.begin(), batch.end());
    auto p = produce(client, two);
    REQUIRE(p);
    CHECK(p->error_code == errc::invalid_record);
  }
  SUBCASE("empty records") {
    auto p = produce(client, std::span<const std::uint8_t>());
    REQUIRE(p);
    CHECK(p->error_code == errc::invalid_record);
  }
  CHECK(cluster.record_count("t", 0) == 0);
  // The connection survives per-partition errors.
  auto ok = produce(client, batch);
  REQUIRE(ok);
  CHECK(ok->error_code == errc::none);
}

TEST_CASE("Produce to a follower gets NOT_LEADER_OR_FOLLOWER, with a KIP-951 hint from v10") {
  MockCluster cluster(one_topic(3));
  const std::int32_t leader = cluster.leader("t", 0);
  const std::int32_t other = leader == 1 ? 2 : 1;
  auto batch = make_batch(1);

  RawClient follower(cluster.port(other));
  auto old = follower.call<ProduceResponse>(produce_request("t", 0, batch), 9);
  REQUIRE(old);
  CHECK(only_partition(*old)->error_code == errc::not_leader_or_follower);
  CHECK(only_partition(*old)->current_leader.is_default());

  auto hinted = follower.call<ProduceResponse>(produce_request("t", 0, batch), 10);
  REQUIRE(hinted);
  CHECK(only_partition(*hinted)->error_code == errc::not_leader_or_follower);
  CHECK(only_partition(*hinted)->current_leader.leader_id == leader);
  REQUIRE(hinted->node_endpoints.size() == 1);
  CHECK(hinted->node_endpoints[0].node_id == leader);
  CHECK(hinted->node_endpoints[0].port == cluster.port(leader));
  CHECK(cluster.record_count("t", 0) == 0);

  // move_leader: the old leader refuses, the new one accepts, Metadata follows.
  RawClient old_leader(cluster.port(leader));
  CHECK(produce(old_leader, batch)->error_code == errc::none);
  cluster.move_leader("t", 0, other);
  CHECK(cluster.leader("t", 0) == other);
  CHECK(produce(old_leader, batch)->error_code == errc::not_leader_or_follower);
  CHECK(produce(follower, batch)->error_code == errc::none);
  MetadataRequest m;
  m.topics = std::vector<MetadataRequest::Topic>{{{}, "t", {}}};
  auto metadata = old_leader.call<MetadataResponse>(m, 12);
  REQUIRE(metadata);
  CHECK(metadata->topics[0].partitions[0].leader_id == other);
  CHECK(metadata->topics[0].partitions[0].leader_epoch == 1);
  CHECK(cluster.record_count("t", 0) == 2);
  CHECK_THROWS_AS(cluster.move_leader("t", 0, 99), std::invalid_argument);
}

TEST_CASE("Blackhole mode acks with increasing offsets and stores nothing") {
  ClusterConfig config = one_topic();
  config.blackhole = true;
  MockCluster cluster(config);
  RawClient client(cluster.port(1));
  auto batch = make_batch(5);
  auto corrupt = batch;
  corrupt.back() ^= 1;  // not even checked
  CHECK(produce(client, batch)->base_offset == 0);
  CHECK(produce(client, corrupt)->base_offset == 5);
  CHECK(produce(client, batch)->base_offset == 10);
  CHECK(cluster.record_count("t", 0) == 0);
  CHECK(cluster.log_end_offset("t", 0) == 15);
  cluster.set_blackhole(false);
  CHECK(produce(client, corrupt)->error_code == errc::corrupt_message);
  CHECK(produce(client, batch)->base_offset == 15);
  CHECK(cluster.record_count("t", 0) == 5);
}

TEST_CASE("Idempotence: sequences, duplicates and epochs follow Kafka's ProducerStateManager") {
  ClusterConfig config = one_topic();
  MockCluster cluster(config);
  RawClient client(cluster.port(1));
  const std::int64_t pid = 4000;

  auto b0 = make_batch(3, {pid, 0, 0});  // sequences 0-2
  auto b1 = make_batch(2, {pid, 0, 3});  // 3-4
  auto p0 = produce(client, b0);
  REQUIRE(p0);
  CHECK(p0->error_code == errc::none);
  CHECK(p0->base_offset == 0);
  CHECK(produce(client, b1)->base_offset == 3);

  SUBCASE("a retried batch is a duplicate: NONE with the original offset, not stored twice") {
    auto dup = produce(client, b0);
    REQUIRE(dup);
    CHECK(dup->error_code == errc::none);
    CHECK(dup->base_offset == 0);
    CHECK(cluster.record_count("t", 0) == 5);
  }
  SUBCASE("a gap is OUT_OF_ORDER_SEQUENCE_NUMBER") {
    auto gap = make_batch(1, {pid, 0, 6});
    CHECK(produce(client, gap)->error_code == errc::out_of_order_sequence_number);
    CHECK(cluster.record_count("t", 0) == 5);
  }
  SUBCASE("an overlapping but different range is out of order, not a duplicate") {
    auto overlap = make_batch(2, {pid, 0, 2});
    CHECK(produce(client, overlap)->error_code == errc::out_of_order_sequence_number);
  }
  SUBCASE("a new epoch must start at 0; then the old epoch is fenced") {
    CHECK(produce(client, make_batch(1, {pid, 1, 5}))->error_code == errc::out_of_order_sequence_number);
    CHECK(produce(client, make_batch(1, {pid, 1, 0}))->error_code == errc::none);
    CHECK(produce(client, make_batch(1, {pid, 0, 5}))->error_code == errc::invalid_producer_epoch);
    // A duplicate of an old-epoch batch is not recognised any more either.
    CHECK(produce(client, b1)->error_code == errc::invalid_producer_epoch);
    auto records = cluster.records("t", 0);
    REQUIRE(records.size() == 6);
    CHECK(records[5].producer_epoch == 1);
    CHECK(records[5].sequence == 0);
  }
  SUBCASE("only the last 5 batches are remembered") {
    for (std::int32_t seq = 5; seq < 9; ++seq)
      CHECK(produce(client, make_batch(1, {pid, 0, seq}))->error_code == errc::none);
    // b1 is among the last 5 (b1, 5, 6, 7, 8); b0 is not.
    CHECK(produce(client, b1)->base_offset == 3);
    CHECK(produce(client, b0)->error_code == errc::out_of_order_sequence_number);
  }
  SUBCASE("a producer the partition forgot is accepted at any sequence (KIP-360)") {
    cluster.forget_producer(pid);
    CHECK(produce(client, make_batch(1, {pid, 0, 42}))->error_code == errc::none);
    CHECK(produce(client, make_batch(1, {pid, 0, 44}))->error_code == errc::out_of_order_sequence_number);
    CHECK(produce(client, make_batch(1, {pid, 0, 43}))->error_code == errc::none);
  }
  auto records = cluster.records("t", 0);
  REQUIRE(records.size() >= 5);
  CHECK(records[0].producer_id == pid);
  CHECK(records[0].producer_epoch == 0);
  CHECK(records[2].sequence == 2);
  CHECK(records[3].sequence == 3);
}

TEST_CASE("Idempotence: an injected sequence error passes over a duplicate, as the broker's check comes after") {
  MockCluster cluster(one_topic());
  RawClient client(cluster.port(1));
  auto b0 = make_batch(2, {5000, 0, 0});
  auto b1 = make_batch(2, {5000, 0, 2});
  CHECK(produce(client, b0)->error_code == errc::none);

  SUBCASE("OUT_OF_ORDER_SEQUENCE_NUMBER") {
    cluster.fail_next(ApiKey::produce, errc::out_of_order_sequence_number, 1, "t", 0);
  }
  SUBCASE("UNKNOWN_PRODUCER_ID, naming no partition") {
    cluster.fail_next(ApiKey::produce, errc::unknown_producer_id);
  }
  auto resent = produce(client, b0);  // duplicate detection answers: the original offset
  REQUIRE(resent);
  CHECK(resent->error_code == errc::none);
  CHECK(resent->base_offset == 0);
  auto next = produce(client, b1);  // the rule is still due: the next new batch gets it
  REQUIRE(next);
  CHECK(next->error_code != errc::none);
  CHECK(produce(client, b1)->error_code == errc::none);
  CHECK(cluster.record_count("t", 0) == 4);
}

TEST_CASE("Idempotence: other injected errors hit a duplicate too (checked before the producer state)") {
  MockCluster cluster(one_topic());
  RawClient client(cluster.port(1));
  auto b0 = make_batch(2, {5001, 0, 0});
  CHECK(produce(client, b0)->error_code == errc::none);
  cluster.fail_next(ApiKey::produce, errc::not_leader_or_follower, 1, "t", 0);
  CHECK(produce(client, b0)->error_code == errc::not_leader_or_follower);
  CHECK(produce(client, b0)->base_offset == 0);
  CHECK(cluster.record_count("t", 0) == 2);
}

TEST_CASE("Idempotence: legacy brokers answer UNKNOWN_PRODUCER_ID and DUPLICATE_SEQUENCE_NUMBER") {
  ClusterConfig config = one_topic();
  config.legacy_unknown_producer_id = true;
  config.duplicate_sequence_error = true;
  MockCluster cluster(config);
  RawClient client(cluster.port(1));
  CHECK(produce(client, make_batch(1, {7, 0, 3}))->error_code == errc::unknown_producer_id);
  auto first = make_batch(2, {7, 0, 0});
  CHECK(produce(client, first)->error_code == errc::none);
  auto dup = produce(client, first);
  CHECK(dup->error_code == errc::duplicate_sequence_number);
  CHECK(dup->base_offset == -1);
  CHECK(cluster.record_count("t", 0) == 2);
}

TEST_CASE("Idempotence: sequences wrap from INT32_MAX to 0") {
  MockCluster cluster(one_topic());
  RawClient client(cluster.port(1));
  constexpr std::int32_t max = std::numeric_limits<std::int32_t>::max();
  // A fresh producer may start anywhere (no state), here 2 below the top.
  auto top = make_batch(3, {9, 0, max - 2});  // max-2, max-1, max
  CHECK(produce(client, top)->error_code == errc::none);
  CHECK(produce(client, make_batch(2, {9, 0, 0}))->error_code == errc::none);  // 0, 1
  CHECK(produce(client, top)->base_offset == 0);                               // still a duplicate

  auto straddle = make_batch(4, {9, 0, 2});  // 2..5
  CHECK(produce(client, straddle)->error_code == errc::none);
  auto across = make_batch(3, {10, 0, max - 1});  // max-1, max, 0
  CHECK(produce(client, across)->error_code == errc::none);
  CHECK(produce(client, make_batch(1, {10, 0, 1}))->error_code == errc::none);
  auto records = cluster.records("t", 0);
  REQUIRE(records.size() == 13);
  CHECK(records[2].sequence == max);
  CHECK(records[3].sequence == 0);
  CHECK(records[11].sequence == 0);
}

}  // TEST_SUITE
