// ProducerStatistics as JSON. Field names are the struct's and documented in
// docs/observability.md; keep them stable (tools parse them), add new ones
// rather than rename.
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "kwire/producer/statistics.hpp"

namespace kwire::producer {
namespace {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  /// Starts a member: `"key":`; the value follows.
  void key(std::string_view k) {
    comma();
    string(k);
    out_ += ':';
    after_key_ = true;
  }
  void value(std::string_view v) {
    comma();
    string(v);
  }
  void value(std::uint64_t v) {
    comma();
    out_ += std::to_string(v);
  }
  void value(std::int64_t v) {
    comma();
    out_ += std::to_string(v);
  }
  void value(std::int32_t v) { value(static_cast<std::int64_t>(v)); }
  void value(double v) {
    comma();
    if (!std::isfinite(v)) v = 0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    out_ += buf;
  }

  template <class T>
  void member(std::string_view k, const T& v) {
    key(k);
    value(v);
  }

 private:
  void open(char c) {
    comma();
    out_ += c;
    first_ = true;
  }
  void close(char c) {
    out_ += c;
    first_ = false;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }
  void string(std::string_view s) {
    out_ += '"';
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += ch;  // UTF-8 passes through
          }
      }
    }
    out_ += '"';
  }

  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

void write_rtt(JsonWriter& w, const RttStatistics& r) {
  w.key("rtt");
  w.begin_object();
  w.member("min_us", r.min_us);
  w.member("avg_us", r.avg_us);
  w.member("p50_us", r.p50_us);
  w.member("p95_us", r.p95_us);
  w.member("p99_us", r.p99_us);
  w.member("max_us", r.max_us);
  w.member("samples", r.samples);
  w.end_object();
}

void write_broker(JsonWriter& w, const BrokerStatistics& b) {
  w.begin_object();
  w.member("node_id", b.node_id);
  w.member("address", std::string_view(b.address));
  w.member("state", std::string_view(b.state));
  write_rtt(w, b.rtt);
  w.member("requests_in_flight", b.requests_in_flight);
  w.member("requests_sent", b.requests_sent);
  w.member("responses_received", b.responses_received);
  w.member("request_bytes_sent", b.request_bytes_sent);
  w.member("response_bytes_received", b.response_bytes_received);
  w.member("request_errors", b.request_errors);
  w.member("throttle_time_ms_total", b.throttle_time_ms_total);
  w.member("throttle_time_ms_last", b.throttle_time_ms_last);
  w.member("connects", b.connects);
  w.member("connection_failures", b.connection_failures);
  w.member("disconnects", b.disconnects);
  w.member("reconnects", b.reconnects);
  w.end_object();
}

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
