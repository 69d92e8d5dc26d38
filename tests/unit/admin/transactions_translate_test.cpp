// admin::translate for transactions: listings, descriptions and the KIP-664
// abort (the producer found by its transaction's start offset or its id,
// the ABORT marker, the leader's answer).
#include <doctest/doctest.h>

#include "kwire/admin/translate.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace kwire::admin;
using kwire::errc;
namespace protocol = kwire::protocol;

TEST_CASE("transaction listings and descriptions") {
  protocol::ListTransactionsResponse listed;
  listed.transaction_states.push_back({"z", 9, "Ongoing", {}});
  listed.transaction_states.push_back({"a", 4, "CompleteCommit", {}});
  const auto listings = translate::transaction_listings(listed);
  REQUIRE(listings.size() == 2);
  CHECK(listings[0].transactional_id == "a");
  CHECK(listings[1].producer_id == 9);

  protocol::DescribeTransactionsResponse described;
  auto& t = described.transaction_states.emplace_back();
  t.transactional_id = "a";
  t.transaction_state = "Ongoing";
  t.producer_id = 4;
  t.producer_epoch = 2;
  t.transaction_timeout_ms = 60000;
  t.transaction_start_time_ms = 123;
  t.topics.push_back({"t", {1, 0}, {}});
  auto& missing = described.transaction_states.emplace_back();
  missing.transactional_id = "b";
  missing.error_code = errc::transactional_id_not_found;
  const auto d = translate::transaction_descriptions(described);
  REQUIRE(d.size() == 2);
  CHECK(d[0].partitions == std::vector<TopicPartition>{{"t", 0}, {"t", 1}});
  CHECK(d[0].producer_epoch == 2);
  CHECK(d[0].start_time_ms == 123);
  CHECK(d[1].error.error == errc::transactional_id_not_found);
}

TEST_CASE("abort: DescribeProducers → the producer whose transaction starts at the offset → ABORT marker") {
  const TopicPartition tp{"t", 3};
  const auto request = translate::describe_producers_request(tp);
  REQUIRE(request.topics.size() == 1);
  CHECK(request.topics[0].partitions == std::vector<std::int32_t>{3});

  protocol::DescribeProducersResponse response;
  protocol::DescribeProducersResponse::Partition partition;
  partition.partition_index = 3;
  partition.active_producers.push_back({1000, 0, 4, 1, 0, -1, {}});   // idempotent, no transaction
  partition.active_producers.push_back({2000, 5, 9, 2, -1, 77, {}});  // hanging since offset 77
  response.topics.push_back({"t", {partition}, {}});
  ItemError error;
  const auto producers = translate::producer_states(response, tp, error);
  CHECK(error.ok());
  REQUIRE(producers.size() == 2);
  CHECK(producers[1].transaction_start_offset == 77);

  auto spec = translate::abort_spec(producers, tp, 77, error);
  REQUIRE(spec);
  CHECK(error.ok());
  CHECK(spec->producer_id == 2000);
  CHECK(spec->producer_epoch == 5);
  CHECK(spec->coordinator_epoch == 0);  // the leader's -1 becomes 0, as Kafka's tool sends
  CHECK(!translate::abort_spec(producers, tp, 78, error));
  CHECK(error.error == errc::invalid_request);
  CHECK(error.detail.find("78") != std::string::npos);

  CHECK(translate::abort_spec_for_producer(producers, tp, 2000, error));
  CHECK(!translate::abort_spec_for_producer(producers, tp, 1000, error));  // no open transaction
  CHECK(!error.ok());

  const auto markers = translate::abort_markers_request(*spec);
  REQUIRE(markers.markers.size() == 1);
  CHECK(!markers.markers[0].transaction_result);  // ABORT
  CHECK(markers.markers[0].producer_id == 2000);
  CHECK(markers.markers[0].producer_epoch == 5);
  CHECK(markers.markers[0].coordinator_epoch == 0);
  REQUIRE(markers.markers[0].topics.size() == 1);
  CHECK(markers.markers[0].topics[0].partitions == std::vector<std::int32_t>{3});

  protocol::WriteTxnMarkersResponse answer;
  answer.markers.push_back({2000, {{"t", {{3, errc::none, {}}}, {}}}, {}});
  CHECK(translate::abort_result(answer, *spec).ok());
  answer.markers[0].topics[0].partitions[0].error_code = errc::invalid_producer_epoch;
  CHECK(translate::abort_result(answer, *spec).error == errc::invalid_producer_epoch);
  CHECK(translate::abort_result({}, *spec).error == kwire::client_errc::malformed);
}

TEST_CASE("producer_states: a partition error or a missing partition is reported") {
  const TopicPartition tp{"t", 0};
  protocol::DescribeProducersResponse response;
  ItemError error;
  CHECK(translate::producer_states(response, tp, error).empty());
  CHECK(error.error == kwire::client_errc::malformed);
  protocol::DescribeProducersResponse::Partition partition;
  partition.partition_index = 0;
  partition.error_code = errc::not_leader_or_follower;
  partition.error_message = "not the leader";
  response.topics.push_back({"t", {partition}, {}});
  translate::producer_states(response, tp, error);
  CHECK(error.error == errc::not_leader_or_follower);
  CHECK(error.detail == "not the leader");
}
