// The offset lookups a consumer makes of a partition's leader: ListOffsets
// (earliest = log start, latest = log end or, read_committed, the last
// stable offset; max timestamp and a timestamp search over the records
// Produce stored) and OffsetForLeaderEpoch (KIP-320: where an epoch ends,
// from the leader epochs the stored batches carry). Both check leadership
// and the request's current leader epoch as Fetch does; fail_next(api,
// error, count, topic, partition) fails the named partition (or all).
#include <algorithm>

#include "cluster_state.hpp"
#include "kwire/protocol/list_offsets.hpp"
#include "kwire/protocol/offset_for_leader_epoch.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::mock::detail {
namespace {

namespace special = protocol::list_offsets_timestamp;

std::int32_t batch_leader_epoch(const LogBatch& batch) {
  const std::size_t at = protocol::batch_offsets::partition_leader_epoch;
  return static_cast<std::int32_t>((std::uint32_t{batch.bytes[at]} << 24) | (std::uint32_t{batch.bytes[at + 1]} << 16) |
                                   (std::uint32_t{batch.bytes[at + 2]} << 8) | std::uint32_t{batch.bytes[at + 3]});
}

}  // namespace

Outcome ClusterState::handle_list_offsets(std::int32_t broker_id, const protocol::RequestHeader& header,
                                          std::span<const std::uint8_t> body) {
  protocol::ListOffsetsRequest request;
  if (protocol::decode_message(body, header.api_version, request)) return {};  // close
  const bool read_committed = request.isolation_level == protocol::IsolationLevel::read_committed;
  protocol::ListOffsetsResponse response;
  for (const auto& t : request.topics) {
    auto& tr = response.topics.emplace_back();
    tr.name = t.name;
    for (const auto& p : t.partitions) {
      auto& pr = tr.partitions.emplace_back();
      pr.partition_index = p.partition_index;
      pr.error_code =
          partition_request_error(ApiKey::list_offsets, t.name, p.partition_index, broker_id, p.current_leader_epoch);
      if (pr.error_code != kwire::errc::none) continue;
      const PartitionState* partition = find_partition(t.name, p.partition_index);
      if (header.api_version >= 4) pr.leader_epoch = partition->leader_epoch;
      if (p.timestamp == special::latest) {
        pr.offset = read_committed ? partition->last_stable_offset() : partition->next_offset;
      } else if (p.timestamp == special::earliest || p.timestamp == special::earliest_local) {
        pr.offset = partition->log_start_offset;
      } else if (p.timestamp == special::max_timestamp) {
        auto best = std::max_element(partition->log.begin(), partition->log.end(),
                                     [](const StoredRecord& a, const StoredRecord& b) { return a.timestamp < b.timestamp; });
        if (best != partition->log.end()) {
          pr.offset = best->offset;
          pr.timestamp = best->timestamp;
        }
      } else if (p.timestamp >= 0) {
        // The first record at or after the timestamp (Kafka searches its
        // time index the same way); none: -1.
        for (const StoredRecord& r : partition->log) {
          if (r.offset < partition->log_start_offset || r.timestamp < p.timestamp) continue;
          pr.offset = r.offset;
          pr.timestamp = r.timestamp;
          break;
        }
      } else {
        pr.error_code = kwire::errc::invalid_request;  // tiered storage lookups: no tiered storage here
      }
    }
  }
  return respond(header, response);
}

Outcome ClusterState::handle_offset_for_leader_epoch(std::int32_t broker_id, const protocol::RequestHeader& header,
                                                     std::span<const std::uint8_t> body) {
  protocol::OffsetForLeaderEpochRequest request;
  if (protocol::decode_message(body, header.api_version, request)) return {};  // close
  protocol::OffsetForLeaderEpochResponse response;
  for (const auto& t : request.topics) {
    auto& tr = response.topics.emplace_back();
    tr.topic = t.topic;
    for (const auto& p : t.partitions) {
      auto& pr = tr.partitions.emplace_back();
      pr.partition = p.partition;
      pr.error_code = partition_request_error(ApiKey::offset_for_leader_epoch, t.topic, p.partition, broker_id,
                                              p.current_leader_epoch);
      if (pr.error_code != kwire::errc::none) continue;
      const PartitionState* partition = find_partition(t.topic, p.partition);
      if (p.leader_epoch > partition->leader_epoch) continue;  // undefined
      // The largest epoch <= the asked one, ending where a later epoch's
      // first batch starts (the log end for the current epoch).
      pr.leader_epoch = p.leader_epoch;
      pr.end_offset = partition->next_offset;
      for (const LogBatch& batch : partition->wire_log) {
        if (batch_leader_epoch(batch) > p.leader_epoch) {
          pr.end_offset = batch.base_offset;
          break;
        }
      }
    }
  }
  return respond(header, response);
}

}  // namespace kwire::mock::detail
