// ConsumerStatistics as JSON. Field names are the struct's and documented in
// docs/observability.md; keep them stable (tools parse them), add new ones
// rather than rename.
#include <string>

#include "kwire/cluster/detail/json_writer.hpp"
#include "kwire/consumer/statistics.hpp"

namespace kwire::consumer {
namespace {

using cluster::detail::JsonWriter;

void write_partition(JsonWriter& w, const ConsumerPartitionStatistics& p) {
  w.begin_object();
  w.member("topic", p.topic);
  w.member("partition", p.partition);
  w.member("leader", p.leader);
  w.member("position", p.position);
  w.member("committed_offset", p.committed_offset);
  w.member("high_watermark", p.high_watermark);
  w.member("last_stable_offset", p.last_stable_offset);
  w.member("log_start_offset", p.log_start_offset);
  w.member("lag", p.lag);
  w.member("lso_lag", p.lso_lag);
  w.member("buffered_bytes", p.buffered_bytes);
  w.member("buffered_offsets", p.buffered_offsets);
  w.member("paused", p.paused);
  w.end_object();
}

}  // namespace

std::string to_json(const ConsumerStatistics& s) {
  std::string out;
  out.reserve(768 + 256 * s.brokers.size() + 320 * s.partitions.size());
  JsonWriter w(out);
  w.begin_object();
  w.member("client_id", s.client_id);
  w.member("group_id", s.group_id);
  w.member("timestamp_ms", s.timestamp_ms);
  w.member("age_ms", s.age_ms);
  w.member("records_consumed", s.records_consumed);
  w.member("bytes_consumed", s.bytes_consumed);
  w.member("fetch_requests", s.fetch_requests);
  w.member("fetch_responses", s.fetch_responses);
  w.member("fetch_failures", s.fetch_failures);
  w.member("fetch_session_resets", s.fetch_session_resets);
  w.member("bytes_fetched", s.bytes_fetched);
  cluster::detail::write_round_trips(w, "fetch_latency", s.fetch_latency);
  w.member("offset_resets", s.offset_resets);
  w.member("buffer_full_rounds", s.buffer_full_rounds);
  w.member("buffered_bytes", s.buffered_bytes);
  w.member("buffered_bytes_max", s.buffered_bytes_max);
  w.member("group_state", s.group_state);
  w.member("generation", s.generation);
  w.member("member_id", s.member_id);
  w.member("rebalances", s.rebalances);
  w.member("assignment_size", s.assignment_size);
  w.key("brokers");
  w.begin_array();
  for (const BrokerStatistics& b : s.brokers) cluster::detail::write_broker(w, b);
  w.end_array();
  w.key("partitions");
  w.begin_array();
  for (const ConsumerPartitionStatistics& p : s.partitions) write_partition(w, p);
  w.end_array();
  w.end_object();
  return out;
}

}  // namespace kwire::consumer
