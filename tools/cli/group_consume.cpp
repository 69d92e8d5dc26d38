// kwire consume -G group topic...: a group member, as `kcat -G` is. Joins the
// group through kwire::Consumer (classic, or KIP-848 with
// -X group.protocol=consumer), prints records, commits (enable.auto.commit,
// and at the end), and leaves the group cleanly on SIGINT/SIGTERM, -c or -e.
#include "group_consume.hpp"

#include <csignal>
#include <cstdio>
#include <optional>
#include <set>
#include <string_view>

#include <kwire/consumer/consumer.hpp>

#include "json.hpp"
#include "record_text.hpp"
#include "stats_print.hpp"
#include "stop_signal.hpp"

namespace kwire::cli {
namespace {

std::optional<std::vector<std::uint8_t>> owned(const std::optional<consumer::Bytes>& b) {
  if (!b) return std::nullopt;
  return std::vector<std::uint8_t>(b->begin(), b->end());
}

/// The record as the CLI's shared printers take it (printing copies anyway).
protocol::Record as_record(const consumer::ConsumerRecord& r) {
  protocol::Record out;
  out.offset = r.offset;
  out.timestamp = r.timestamp;
  out.key = owned(r.key);
  out.value = owned(r.value);
  r.headers.for_each([&](const consumer::HeaderView& h) {
    out.headers.push_back({std::string(h.key), owned(h.value)});
  });
  return out;
}

/// kcat's habit (librdkafka's): a topic starting with '^' is a regular
/// expression. With one among `topics`, the member subscribes to a pattern
/// that also matches the plain names (escaped); nullopt when none is one.
std::optional<std::string> topic_pattern(const std::vector<std::string>& topics) {
  bool any = false;
  std::string pattern;
  for (const auto& t : topics) {
    if (!pattern.empty()) pattern += '|';
    pattern += "(?:";
    if (!t.empty() && t.front() == '^') {
      any = true;
      pattern += t;
    } else {
      for (char c : t) {
        if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) pattern += '\\';
        pattern += c;
      }
    }
    pattern += ')';
  }
  if (!any) return std::nullopt;
  return pattern;
}

}  // namespace

int run_group_consume(const GroupConsumeOptions& o) {
  auto properties = o.common.properties;
  properties["bootstrap.servers"] = o.common.bootstrap;
  properties["group.id"] = o.group;
  if (o.start && !properties.contains("auto.offset.reset")) properties["auto.offset.reset"] = *o.start;
  consumer::ConsumerConfig config = consumer::ConsumerConfig::from_properties(properties);
  const bool read_committed = config.isolation_level == protocol::IsolationLevel::read_committed;

  consumer::RebalanceCallbacks callbacks;
  callbacks.on_assigned = [](consumer::Consumer&, const std::vector<consumer::TopicPartition>& parts) {
    for (const auto& tp : parts) std::fprintf(stderr, "%% Assigned %s [%d]\n", tp.topic.c_str(), tp.partition);
  };
  callbacks.on_revoked = [](consumer::Consumer&, const std::vector<consumer::TopicPartition>& parts) {
    for (const auto& tp : parts) std::fprintf(stderr, "%% Revoked %s [%d]\n", tp.topic.c_str(), tp.partition);
  };
  // Fenced or timed out of the group (both protocols): not committed.
  callbacks.on_lost = [](consumer::Consumer&, const std::vector<consumer::TopicPartition>& parts, std::error_code why) {
    for (const auto& tp : parts)
      std::fprintf(stderr, "%% Lost %s [%d]: %s\n", tp.topic.c_str(), tp.partition, why.message().c_str());
  };
  consumer::Consumer consumer(std::move(attach_periodic_statistics(config)), std::move(callbacks));
  if (auto pattern = topic_pattern(o.topics)) consumer.subscribe_pattern(*pattern);
  else consumer.subscribe(std::set<std::string>(o.topics.begin(), o.topics.end()));

  install_stop_signals();

  std::int64_t printed = 0;
  std::int64_t bytes = 0;
  std::string out;
  int status = 0;
  while (!stop_requested() && (!o.count || printed < *o.count)) {
    const auto records = consumer.poll(std::chrono::milliseconds(200));
    out.clear();
    for (const auto& r : records) {
      if (o.count && printed >= *o.count) break;
      const protocol::Record record = as_record(r);
      const std::string topic(r.topic);
      if (o.common.json) {
        protocol::RecordBatch batch;  // only the timestamp type is read
        if (r.timestamp_type == consumer::TimestampType::log_append_time)
          batch.attributes = protocol::batch_attributes::log_append_time;
        write_record_json(out, topic, r.partition, batch, record, o.base64);
      } else {
        format_record(out, o.format ? *o.format : "%s\n", topic, r.partition, record);
      }
      bytes += static_cast<std::int64_t>((r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0));
      ++printed;
    }
    if (!out.empty()) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
    }
    for (const auto& e : consumer.errors()) {
      std::fprintf(stderr, "kwire consume: %s\n", e.message.c_str());
      status = 1;
    }
    if (o.exit_at_end) {
      // Every assigned partition read to its end (the LSO under read_committed).
      const auto assigned = consumer.assignment();
      bool all_at_end = !assigned.empty();
      for (const auto& tp : assigned) {
        const auto position = consumer.position(tp);
        const auto marks = consumer.watermarks(tp);
        const std::int64_t end = marks ? (read_committed ? marks->last_stable_offset : marks->high_watermark) : -1;
        if (!position || !marks || *position < end) all_at_end = false;
      }
      if (all_at_end) {
        std::fprintf(stderr, "%% Reached the end of every assigned partition: exiting\n");
        break;
      }
    }
  }
  if (auto ec = consumer.commit_sync()) {
    std::fprintf(stderr, "kwire consume: commit failed: %s\n", ec.message().c_str());
    status = 1;
  }
  consumer.close();
  std::fprintf(stderr, "%% Consumed %lld records (%lld bytes of keys and values) in group %s\n",
               static_cast<long long>(printed), static_cast<long long>(bytes), o.group.c_str());
  restore_default_stop_signals();
  return status;
}

}  // namespace kwire::cli
