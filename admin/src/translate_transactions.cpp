// Transactions: listings, descriptions and the KIP-664 abort of a hanging
// transaction (DescribeProducers on the partition, then an ABORT marker
// written by WriteTxnMarkers to the partition leader).
#include <algorithm>

#include "kwire/admin/translate.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::admin::translate {

std::vector<TransactionListing> transaction_listings(const protocol::ListTransactionsResponse& response) {
  std::vector<TransactionListing> out;
  for (const auto& t : response.transaction_states)
    out.push_back({t.transactional_id, t.producer_id, t.transaction_state});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.transactional_id < b.transactional_id; });
  return out;
}

std::vector<TransactionDescription> transaction_descriptions(const protocol::DescribeTransactionsResponse& response) {
  std::vector<TransactionDescription> out;
  for (const auto& t : response.transaction_states) {
    TransactionDescription& d = out.emplace_back();
    d.transactional_id = t.transactional_id;
    d.state = t.transaction_state;
    d.timeout_ms = t.transaction_timeout_ms;
    d.start_time_ms = t.transaction_start_time_ms;
    d.producer_id = t.producer_id;
    d.producer_epoch = t.producer_epoch;
    d.error = item_error(t.error_code, std::nullopt);
    for (const auto& topic : t.topics)
      for (auto p : topic.partitions) d.partitions.push_back({topic.name, p});
    std::sort(d.partitions.begin(), d.partitions.end(), TopicPartitionLess{});
  }
  return out;
}

protocol::DescribeProducersRequest describe_producers_request(const TopicPartition& partition) {
  protocol::DescribeProducersRequest request;
  request.topics.push_back({partition.topic, {partition.partition}, {}});
  return request;
}

std::vector<ProducerState> producer_states(const protocol::DescribeProducersResponse& response,
                                           const TopicPartition& partition, ItemError& error) {
  std::vector<ProducerState> out;
  error = {make_error_code(client_errc::malformed), "the broker's answer does not mention the partition"};
  for (const auto& t : response.topics)
    for (const auto& p : t.partitions) {
      if (t.name != partition.topic || p.partition_index != partition.partition) continue;
      error = item_error(p.error_code, p.error_message);
      for (const auto& s : p.active_producers)
        out.push_back({s.producer_id, s.producer_epoch, s.last_sequence, s.last_timestamp, s.coordinator_epoch,
                       s.current_txn_start_offset});
    }
  return out;
}

namespace {

std::optional<AbortSpec> spec_of(const ProducerState& state, const TopicPartition& partition) {
  // A leader that never saw a marker from this producer's coordinator
  // reports coordinator epoch -1; the marker must carry a non-negative one
  // (the leader fences markers below the epoch it knows), so 0.
  return AbortSpec{partition, state.producer_id, static_cast<std::int16_t>(state.producer_epoch),
                   std::max(0, state.coordinator_epoch)};
}

}  // namespace

std::optional<AbortSpec> abort_spec(const std::vector<ProducerState>& producers, const TopicPartition& partition,
                                    std::int64_t start_offset, ItemError& error) {
  for (const auto& state : producers)
    if (state.transaction_start_offset == start_offset) {
      error = {};
      return spec_of(state, partition);
    }
  error = {make_error_code(kwire::errc::invalid_request),
           "no open transaction on " + partition.topic + "-" + std::to_string(partition.partition) +
               " starts at offset " + std::to_string(start_offset)};
  return std::nullopt;
}

std::optional<AbortSpec> abort_spec_for_producer(const std::vector<ProducerState>& producers,
                                                 const TopicPartition& partition, std::int64_t producer_id,
                                                 ItemError& error) {
  for (const auto& state : producers)
    if (state.producer_id == producer_id && state.transaction_start_offset >= 0) {
      error = {};
      return spec_of(state, partition);
    }
  error = {make_error_code(kwire::errc::invalid_request),
           "producer " + std::to_string(producer_id) + " has no open transaction on " + partition.topic + "-" +
               std::to_string(partition.partition)};
  return std::nullopt;
}

protocol::WriteTxnMarkersRequest abort_markers_request(const AbortSpec& spec) {
  protocol::WriteTxnMarkersRequest request;
  auto& marker = request.markers.emplace_back();
  marker.producer_id = spec.producer_id;
  marker.producer_epoch = spec.producer_epoch;
  marker.transaction_result = false;  // ABORT
  marker.coordinator_epoch = spec.coordinator_epoch;
  marker.topics.push_back({spec.partition.topic, {spec.partition.partition}, {}});
  return request;
}

ItemError abort_result(const protocol::WriteTxnMarkersResponse& response, const AbortSpec& spec) {
  for (const auto& m : response.markers) {
    if (m.producer_id != spec.producer_id) continue;
    for (const auto& t : m.topics)
      for (const auto& p : t.partitions)
        if (t.name == spec.partition.topic && p.partition_index == spec.partition.partition)
          return item_error(p.error_code, std::nullopt);
  }
  return {make_error_code(client_errc::malformed), "the broker's answer does not mention the marker"};
}

}  // namespace kwire::admin::translate
