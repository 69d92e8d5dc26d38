// The statistics every client shares: broker connection figures from the
// BrokerPool, round-trip windows, and their JSON (broker_statistics.hpp,
// detail/json_writer.hpp).
#include "kwire/cluster/broker_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kwire/cluster/broker_pool.hpp"
#include "kwire/cluster/detail/json_writer.hpp"
#include "kwire/cluster/metadata_cache.hpp"

namespace kwire::cluster {
namespace {

std::string_view state_name(BrokerPool::State state) {
  switch (state) {
    case BrokerPool::State::disconnected: return "disconnected";
    case BrokerPool::State::connecting: return "connecting";
    case BrokerPool::State::ready: return "ready";
  }
  return "disconnected";
}

}  // namespace

void record_round_trip(std::vector<std::uint32_t>& window, std::uint64_t& samples, std::int64_t us) noexcept {
  const auto sample = static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX));
  if (window.size() < kRoundTripWindow) {
    try {
      window.push_back(sample);
    } catch (...) {
      // Out of memory for a statistics sample: count it, keep nothing.
    }
  } else {
    window[samples % kRoundTripWindow] = sample;
  }
  ++samples;
}

RttStatistics summarize_round_trips(const std::vector<std::uint32_t>& window, std::uint64_t samples) {
  RttStatistics r;
  r.samples = samples;
  if (window.empty()) return r;
  std::vector<std::uint32_t> sorted = window;  // at most kRoundTripWindow entries, at snapshot time only
  std::sort(sorted.begin(), sorted.end());
  auto at = [&](double q) {
    const auto index = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
    return static_cast<std::int64_t>(sorted[std::min(index, sorted.size() - 1)]);
  };
  std::uint64_t sum = 0;
  for (std::uint32_t v : sorted) sum += v;
  r.min_us = sorted.front();
  r.max_us = sorted.back();
  r.avg_us = static_cast<std::int64_t>(sum / sorted.size());
  r.p50_us = at(0.50);
  r.p95_us = at(0.95);
  r.p99_us = at(0.99);
  return r;
}

std::vector<BrokerStatistics> broker_statistics(const BrokerPool& pool, const MetadataCache& metadata) {
  std::vector<BrokerStatistics> out;
  out.reserve(pool.nodes().size());
  for (const auto& [node_key, n] : pool.nodes()) {
    BrokerStatistics b;
    b.node_id = node_key.id.value();
    if (const BrokerEndpoint* endpoint = metadata.endpoint(node_key.id)) b.address = endpoint->address();
    b.state = std::string(state_name(n.state));
    b.rtt = summarize_round_trips(n.rtt_window_us, n.rtt_samples);
    b.requests_in_flight = n.in_flight;
    b.requests_sent = n.requests_sent;
    b.responses_received = n.responses_received;
    b.request_bytes_sent = n.request_bytes_sent;
    b.response_bytes_received = n.response_bytes_received;
    b.request_errors = n.request_errors;
    b.throttle_time_ms_total = n.throttle_time_ms_total;
    b.throttle_time_ms_last = n.throttle_time_ms_last;
    b.connects = n.connects;
    b.connection_failures = n.connection_failures;
    b.disconnects = n.disconnects;
    b.reconnects = n.connects > 0 ? n.connects - 1 : 0;
    out.push_back(std::move(b));
  }
  return out;
}

namespace detail {

void JsonWriter::key(std::string_view k) {
  comma();
  append_json_string(out_, k);
  out_ += ':';
  after_key_ = true;
}

void JsonWriter::value(std::string_view v) {
  comma();
  append_json_string(out_, v);
}

void JsonWriter::value(std::uint64_t v) {
  comma();
  out_ += std::to_string(v);
}

void JsonWriter::value(std::int64_t v) {
  comma();
  out_ += std::to_string(v);
}

void JsonWriter::value(bool v) {
  comma();
  out_ += v ? "true" : "false";
}

void JsonWriter::value(double v) {
  comma();
  if (!std::isfinite(v)) v = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  out_ += buf;
}

void JsonWriter::comma() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_) out_ += ',';
  first_ = false;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;  // UTF-8 passes through
        }
    }
  }
  out += '"';
}

void write_round_trips(JsonWriter& w, std::string_view key, const RttStatistics& r) {
  w.key(key);
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
  w.member("address", b.address);
  w.member("state", b.state);
  write_round_trips(w, "rtt", b.rtt);
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

}  // namespace detail
}  // namespace kwire::cluster
