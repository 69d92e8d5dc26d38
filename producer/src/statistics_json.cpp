// ProducerStatistics as JSON. Field names are the struct's and documented in
// docs/observability.md; keep them stable (tools parse them), add new ones
// rather than rename.
#include <string>
#include <string_view>

#include "kwire/cluster/detail/json_writer.hpp"
#include "kwire/producer/statistics.hpp"

namespace kwire::producer {
namespace {

using cluster::detail::JsonWriter;
using cluster::detail::write_broker;

void write_partition(JsonWriter& w, const PartitionStatistics& p) {
  w.begin_object();
  w.member("topic", std::string_view(p.topic));
  w.member("partition", p.partition);
  w.member("leader", p.leader);
  w.member("records_queued", p.records_queued);
  w.member("bytes_queued", p.bytes_queued);
  w.member("batches_queued", p.batches_queued);
  w.member("records_in_flight", p.records_in_flight);
  w.member("bytes_in_flight", p.bytes_in_flight);
  w.member("batches_in_flight", p.batches_in_flight);
  w.member("records_sent", p.records_sent);
  w.member("records_delivered", p.records_delivered);
  w.member("records_failed", p.records_failed);
  w.member("batches_sent", p.batches_sent);
  w.member("bytes_sent", p.bytes_sent);
  w.member("batch_size_avg", p.batch_size_avg);
  w.member("batch_fill_ratio_avg", p.batch_fill_ratio_avg);
  w.member("retries", p.retries);
  w.member("splits", p.splits);
  w.key("errors");
  w.begin_object();
  for (const auto& [name, count] : p.errors) w.member(name, count);
  w.end_object();
  w.end_object();
}

}  // namespace

std::string to_json(const ProducerStatistics& s) {
  std::string out;
  out.reserve(512 + 256 * s.brokers.size() + 384 * s.partitions.size());
  JsonWriter w(out);
  w.begin_object();
  w.member("client_id", std::string_view(s.client_id));
  w.member("timestamp_ms", s.timestamp_ms);
  w.member("age_ms", s.age_ms);
  w.member("records_sent", s.records_sent);
  w.member("records_delivered", s.records_delivered);
  w.member("records_failed", s.records_failed);
  w.member("records_queued", s.records_queued);
  w.member("records_in_flight", s.records_in_flight);
  w.member("requests_sent", s.requests_sent);
  w.member("responses_received", s.responses_received);
  w.member("retries", s.retries);
  w.member("buffer_memory_used", s.buffer_memory_used);
  w.member("buffer_memory_total", s.buffer_memory_total);
  w.member("producer_id", s.producer_id);
  w.member("producer_epoch", s.producer_epoch);
  w.member("epoch_bumps", s.epoch_bumps);
  w.member("fatal_error", std::string_view(s.fatal_error));
  w.key("brokers");
  w.begin_array();
  for (const BrokerStatistics& b : s.brokers) write_broker(w, b);
  w.end_array();
  w.key("partitions");
  w.begin_array();
  for (const PartitionStatistics& p : s.partitions) write_partition(w, p);
  w.end_array();
  w.end_object();
  return out;
}

}  // namespace kwire::producer
