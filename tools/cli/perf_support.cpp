#include "perf_support.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <kwire/net/blocking_client.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/list_offsets.hpp>
#include <kwire/protocol/metadata.hpp>

#include "broker_session.hpp"
#include "json.hpp"
#include "options.hpp"

namespace kwire::cli {

CpuTimes cpu_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; };
  return {seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_maxrss};
}

RunFigures run_figures(double seconds, std::uint64_t records, double bytes, std::uint64_t cpu_records,
                       const CpuTimes& start, const CpuTimes& end) {
  RunFigures f;
  f.seconds = seconds;
  f.records_per_second = seconds > 0 ? static_cast<double>(records) / seconds : 0;
  f.mib_per_second = seconds > 0 ? bytes / seconds / (1024.0 * 1024.0) : 0;
  f.cpu_user = end.user - start.user;
  f.cpu_sys = end.sys - start.sys;
  f.cpu_us_per_record = cpu_records ? f.cpu() * 1e6 / static_cast<double>(cpu_records) : 0;
  f.peak_rss_mib = static_cast<double>(end.max_rss_kib) / 1024.0;
  return f;
}

void write_figures(JsonWriter& out, const RunFigures& f) {
  out.key("seconds").value(f.seconds)
      .key("records_per_second").value(f.records_per_second)
      .key("mib_per_second").value(f.mib_per_second)
      .key("cpu_seconds").value(f.cpu())
      .key("cpu_user_seconds").value(f.cpu_user)
      .key("cpu_sys_seconds").value(f.cpu_sys)
      .key("cpu_us_per_record").value(f.cpu_us_per_record)
      .key("peak_rss_mib").value(f.peak_rss_mib);
}

void print_figures(const RunFigures& f) {
  std::printf("  throughput   %.0f records/s, %.2f MiB/s\n", f.records_per_second, f.mib_per_second);
  std::printf("  client cpu   %.3f s (user %.3f, sys %.3f), %.3f us/record\n", f.cpu(), f.cpu_user, f.cpu_sys,
              f.cpu_us_per_record);
  std::printf("  peak rss     %.1f MiB\n", f.peak_rss_mib);
}

std::uint64_t parse_count(const std::string& text, const char* what, std::uint64_t min, std::uint64_t max) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || text[0] == '-' || v < min || v > max)
    throw UsageError(std::string(what) + " expects a number in [" + std::to_string(min) + ", " + std::to_string(max) +
                     "], got '" + text + "'");
  return v;
}

// --- Broker-side offsets (ListOffsets) ---------------------------------------------

namespace {

/// One attempt of latest_offsets(); `retriable` tells whether another may
/// succeed.
std::optional<std::map<std::int32_t, std::int64_t>> latest_offsets_once(const cluster::ClientConfig& config,
                                                                        const std::string& topic, std::string& why,
                                                                        bool& retriable) {
  retriable = false;
  net::BlockingClient bootstrap = make_client(config);
  if (auto ec = bootstrap.connect()) {
    why = "cannot connect: " + connect_failure(bootstrap, ec);
    return std::nullopt;
  }
  if (!bootstrap.connection().negotiated_version(protocol::ApiKey::list_offsets)) {
    why = "the broker does not offer ListOffsets";
    return std::nullopt;
  }
  protocol::MetadataRequest md_request;
  md_request.topics.emplace();
  md_request.topics->push_back({.topic_id = {}, .name = topic, .unknown_tags = {}});
  md_request.allow_auto_topic_creation = false;
  protocol::MetadataResponse md;
  std::int16_t version = 0;
  if (auto ec = bootstrap.request(md_request, md, version)) {
    why = "Metadata failed: " + ec.message();
    return std::nullopt;
  }
  const protocol::MetadataResponse::Topic* t = nullptr;
  for (const auto& candidate : md.topics)
    if (candidate.name && *candidate.name == topic) t = &candidate;
  std::map<std::int32_t, std::int64_t> latest;
  if (!t || t->error_code == kwire::errc::unknown_topic_or_partition) return latest;
  if (t->error_code != kwire::errc::none) {
    why = "topic error " + std::string(kafka_error_name(t->error_code));
    return std::nullopt;
  }

  // Partitions by leader; each leader is asked once.
  std::map<std::int32_t, std::vector<std::int32_t>> by_leader;
  for (const auto& p : t->partitions) {
    if (p.leader_id < 0) {
      why = "partition " + std::to_string(p.partition_index) + " has no leader";
      return std::nullopt;
    }
    by_leader[p.leader_id].push_back(p.partition_index);
  }
  for (const auto& [leader, partitions] : by_leader) {
    const auto broker = std::find_if(md.brokers.begin(), md.brokers.end(),
                                     [&, id = leader](const auto& b) { return b.node_id == id; });
    if (broker == md.brokers.end()) {
      why = "leader " + std::to_string(leader) + " is not among the brokers";
      return std::nullopt;
    }
    cluster::ClientConfig at_leader = config;
    at_leader.bootstrap_servers = {broker->host + ":" + std::to_string(broker->port)};
    net::BlockingClient client = make_client(at_leader);
    if (auto ec = client.connect()) {
      why = "cannot connect to leader " + std::to_string(leader) + ": " + connect_failure(client, ec);
      return std::nullopt;
    }
    protocol::ListOffsetsRequest request;
    auto& rt = request.topics.emplace_back();
    rt.name = topic;
    for (std::int32_t p : partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p;
      rp.timestamp = protocol::list_offsets_timestamp::latest;
    }
    protocol::ListOffsetsResponse response;
    // v1+: one offset per partition (v0 returned a list of offsets).
    if (auto ec = client.request(request, response, version)) {
      why = "ListOffsets failed: " + ec.message();
      return std::nullopt;
    }
    std::size_t answered = 0;
    for (const auto& topic_response : response.topics)
      for (const auto& p : topic_response.partitions) {
        if (p.error_code != kwire::errc::none) {
          why = "ListOffsets partition " + std::to_string(p.partition_index) + ": " +
                std::string(kafka_error_name(p.error_code));
          retriable = error_traits(p.error_code).retriable;
          return std::nullopt;
        }
        latest[p.partition_index] = p.offset;
        ++answered;
      }
    if (answered != partitions.size()) {
      why = "ListOffsets answered " + std::to_string(answered) + " of " + std::to_string(partitions.size()) +
            " partitions";
      return std::nullopt;
    }
  }
  return latest;
}

}  // namespace

std::optional<std::map<std::int32_t, std::int64_t>> latest_offsets(const cluster::ClientConfig& config,
                                                                   const std::string& topic, std::string& why) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    bool retriable = false;
    if (auto latest = latest_offsets_once(config, topic, why, retriable)) return latest;
    if (!retriable || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::optional<std::int64_t> latest_offset_sum(const cluster::ClientConfig& config, const std::string& topic,
                                              std::string& why) {
  auto latest = latest_offsets(config, topic, why);
  if (!latest) return std::nullopt;
  std::int64_t sum = 0;
  for (const auto& [partition, offset] : *latest) sum += offset;
  return sum;
}

}  // namespace kwire::cli
