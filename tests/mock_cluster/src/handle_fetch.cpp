// Fetch (v4-17, the versions the mock advertises), as Kafka's
// ReplicaManager.readFromLog answers a consumer: the partition's leader
// serves its log from fetch_offset (whole batches, at least one even past
// partition_max_bytes / max_bytes, KIP-74), below the last stable offset
// under read_committed, with the aborted transactions of the range listed;
// an offset outside [log start, log end] is OFFSET_OUT_OF_RANGE, a stale or
// future current_leader_epoch FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH
// (KIP-320), another broker NOT_LEADER_OR_FOLLOWER with a KIP-951 hint.
//
// Fetch sessions (KIP-227): the mock never creates one. Every response
// carries session id 0 — as a broker whose session cache is full answers —
// so clients keep sending full fetch requests; an incremental request
// (a non-zero session id) is answered FETCH_SESSION_ID_NOT_FOUND.
//
// Long polling: a response with no records at all is held for the request's
// max_wait_ms (records appended meanwhile wait for the next fetch).
//
// Faults: fail_next(ApiKey::fetch, error, count, topic, partition) fails the
// named partition (or, with neither named, every partition of the request).
#include <algorithm>
#include <deque>

#include "cluster_state.hpp"
#include "kwire/protocol/fetch.hpp"

namespace kwire::mock::detail {
namespace {

using protocol::FetchRequest;
using protocol::FetchResponse;

}  // namespace

Outcome ClusterState::handle_fetch(std::int32_t broker_id, const protocol::RequestHeader& header,
                                   std::span<const std::uint8_t> body) {
  using kwire::errc;
  const std::int16_t version = header.api_version;
  const bool by_id = version >= FetchRequest::first_topic_id_version;
  FetchRequest request;
  if (protocol::decode_message(body, version, request)) return {};  // close
  const bool read_committed = request.isolation_level == protocol::IsolationLevel::read_committed;

  FetchResponse response;
  if (request.session_id != 0) {
    response.error_code = errc::fetch_session_id_not_found;
    return respond(header, response);
  }

  std::vector<std::pair<std::string, std::int32_t>> targets;
  for (const FetchRequest::Topic& t : request.topics) {
    const TopicState* ts = by_id ? find_topic(t.topic_id) : find_topic(t.topic);
    for (const auto& p : t.partitions) targets.emplace_back(ts != nullptr ? ts->name : t.topic, p.partition);
  }
  const auto injected = take_fail_rule(ApiKey::fetch, targets);

  std::deque<std::vector<std::uint8_t>> buffers;  // the records the response points into
  std::int64_t bytes_left = request.max_bytes;
  bool any_records = false;
  bool any_error = false;
  for (const FetchRequest::Topic& t : request.topics) {
    TopicState* topic = by_id ? find_topic(t.topic_id) : find_topic(t.topic);
    FetchResponse::Topic& tr = response.responses.emplace_back();
    tr.topic = t.topic;
    tr.topic_id = t.topic_id;
    const std::string name = topic != nullptr ? topic->name : t.topic;
    for (const FetchRequest::Partition& p : t.partitions) {
      FetchResponse::Partition& pr = tr.partitions.emplace_back();
      pr.partition_index = p.partition;
      PartitionState* partition = topic != nullptr ? find_partition(topic->name, p.partition) : nullptr;
      if (injected && injected->matches(name, p.partition)) {
        pr.error_code = injected->error;
      } else {
        pr.error_code = leader_error(topic, partition, by_id, broker_id, p.current_leader_epoch);
        if (pr.error_code == errc::not_leader_or_follower && version >= 12)
          pr.current_leader = {partition->leader, partition->leader_epoch, {}};
        if (pr.error_code == errc::none &&
            (p.fetch_offset < partition->log_start_offset || p.fetch_offset > partition->next_offset))
          pr.error_code = errc::offset_out_of_range;
      }
      if (pr.error_code != errc::none) {  // FetchResponse.partitionResponse(error): no offsets
        pr.high_watermark = -1;
        any_error = true;
        continue;
      }
      pr.high_watermark = partition->next_offset;
      pr.last_stable_offset = partition->last_stable_offset();
      pr.log_start_offset = partition->log_start_offset;
      // Whole batches from the one holding fetch_offset, up to the LSO under
      // read_committed; the first one even if it is larger than the limits.
      const std::int64_t visible_end = read_committed ? pr.last_stable_offset : partition->next_offset;
      std::vector<std::uint8_t>& out = buffers.emplace_back();
      std::int64_t partition_left = p.partition_max_bytes;
      std::int64_t last_returned = -1;
      for (const LogBatch& batch : partition->wire_log) {
        if (batch.last_offset < p.fetch_offset) continue;
        if (batch.base_offset >= visible_end) break;
        const auto size = static_cast<std::int64_t>(batch.bytes.size());
        const bool first = !any_records && out.empty();
        if (!first && (size > partition_left || size > bytes_left)) break;
        out.insert(out.end(), batch.bytes.begin(), batch.bytes.end());
        partition_left -= size;
        bytes_left -= size;
        last_returned = batch.last_offset;
      }
      if (read_committed) {
        pr.aborted_transactions.emplace();
        for (const AbortedTxn& txn : partition->aborted_txns)
          if (txn.last_offset >= p.fetch_offset && txn.first_offset <= last_returned)
            pr.aborted_transactions->push_back({txn.producer_id, txn.first_offset, {}});
      }
      any_records = any_records || !out.empty();
      pr.records = std::span<const std::uint8_t>(out);
    }
  }
  Outcome outcome = respond(header, response);
  if (!any_records && !any_error) outcome.delay = std::chrono::milliseconds(std::max(0, request.max_wait_ms));
  return outcome;
}

}  // namespace kwire::mock::detail
