#include "stats_print.hpp"

#include <cinttypes>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace kwire::cli {

void print_statistics(const producer::ProducerStatistics& s, bool json) {
  if (json) {
    std::printf("%s\n", producer::to_json(s).c_str());
    return;
  }
  std::printf("statistics:\n");
  std::printf("  records      sent %" PRIu64 ", delivered %" PRIu64 ", failed %" PRIu64 ", queued %" PRIu64
              ", in flight %" PRIu64 ", retries %" PRIu64 "\n",
              s.records_sent, s.records_delivered, s.records_failed, s.records_queued, s.records_in_flight, s.retries);
  std::printf("  requests     sent %" PRIu64 ", answered %" PRIu64 "; buffer %" PRIu64 " of %" PRIu64 " bytes used\n",
              s.requests_sent, s.responses_received, s.buffer_memory_used, s.buffer_memory_total);
  std::printf("  producer id  %" PRId64 ", epoch %d, epoch bumps %" PRIu64 "%s%s\n", s.producer_id,
              s.producer_epoch, s.epoch_bumps, s.fatal_error.empty() ? "" : ", FATAL: ", s.fatal_error.c_str());
  for (const producer::BrokerStatistics& b : s.brokers)
    std::printf("  broker %-4d  %s %s: rtt p50 %.3f / p95 %.3f / p99 %.3f ms, %" PRIu64 " requests (%" PRIu64
                " bytes), %" PRIu64 " responses (%" PRIu64 " bytes), %" PRIu64 " errors, throttled %" PRId64
                " ms, %" PRIu64 " connects, %" PRIu64 " failures, %" PRIu64 " disconnects\n",
                b.node_id, b.address.c_str(), b.state.c_str(), static_cast<double>(b.rtt.p50_us) / 1000.0,
                static_cast<double>(b.rtt.p95_us) / 1000.0, static_cast<double>(b.rtt.p99_us) / 1000.0, b.requests_sent,
                b.request_bytes_sent, b.responses_received, b.response_bytes_received, b.request_errors,
                b.throttle_time_ms_total, b.connects, b.connection_failures, b.disconnects);
  for (const producer::PartitionStatistics& p : s.partitions) {
    std::string errors;
    for (const auto& [name, count] : p.errors) errors += " " + name + "=" + std::to_string(count);
    std::printf("  %s/%d  leader %d: sent %" PRIu64 ", delivered %" PRIu64 ", failed %" PRIu64 "; %" PRIu64
                " batches, avg %.0f bytes (fill %.2f), %" PRIu64 " retries%s%s\n",
                p.topic.c_str(), p.partition, p.leader, p.records_sent, p.records_delivered, p.records_failed,
                p.batches_sent, p.batch_size_avg, p.batch_fill_ratio_avg, p.retries, errors.empty() ? "" : "; errors:",
                errors.c_str());
  }
}

namespace {

void write_statistics_line(std::string_view json) {
  std::string line(json);
  line += '\n';
  std::fputs(line.c_str(), stderr);  // one call per line: no interleaving with log lines
}

}  // namespace

producer::ProducerConfig& attach_periodic_statistics(producer::ProducerConfig& config) {
  if (config.statistics_interval_ms > 0 && !config.statistics_callback)
    config.statistics_callback = [](const producer::ProducerStatistics&, std::string_view json) {
      write_statistics_line(json);
    };
  return config;
}

consumer::ConsumerConfig& attach_periodic_statistics(consumer::ConsumerConfig& config) {
  if (config.statistics_interval_ms > 0 && !config.statistics_callback)
    config.statistics_callback = [](const consumer::ConsumerStatistics&, std::string_view json) {
      write_statistics_line(json);
    };
  return config;
}

producer::ProducerConfig attach_periodic_statistics(producer::ProducerConfig&& config) {
  attach_periodic_statistics(config);
  return std::move(config);
}

}  // namespace kwire::cli
