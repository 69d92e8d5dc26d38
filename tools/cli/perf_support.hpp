#pragma once
// What `kwire perf` (producing, perf_cmd.cpp) and `kwire perf --consume`
// (perf_consume.cpp) measure alike: the process's CPU time and peak RSS, and
// the topic's latest offsets as the broker reports them (ListOffsets).
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <kwire/cluster/client_config.hpp>

namespace kwire::cli {

class JsonWriter;

/// getrusage(RUSAGE_SELF): every thread of the process.
struct CpuTimes {
  double user = 0;
  double sys = 0;
  long max_rss_kib = 0;
};
CpuTimes cpu_now();

/// What both perf modes report for the measured interval.
struct RunFigures {
  double seconds = 0;
  double records_per_second = 0;
  double mib_per_second = 0;
  double cpu_user = 0;
  double cpu_sys = 0;
  double cpu_us_per_record = 0;
  double peak_rss_mib = 0;
  double cpu() const { return cpu_user + cpu_sys; }
};

/// `records` records (`bytes` bytes) in `seconds`, CPU between `start` and
/// `end`; CPU per record over `cpu_records` (the records attempted).
RunFigures run_figures(double seconds, std::uint64_t records, double bytes, std::uint64_t cpu_records,
                       const CpuTimes& start, const CpuTimes& end);

/// The figures as JSON members (seconds ... peak_rss_mib) of an open object.
void write_figures(JsonWriter& out, const RunFigures& f);

/// The throughput, client cpu and peak rss lines of the text report.
void print_figures(const RunFigures& f);

/// `text` as an unsigned number in [min, max]; UsageError naming `what` otherwise.
std::uint64_t parse_count(const std::string& text, const char* what, std::uint64_t min, std::uint64_t max);

/// The latest offset (ListOffsets, timestamp -1) of each of the topic's
/// partitions, asking each partition's leader; retried for up to 10 s while
/// the answer is a retriable error (a partition created a moment ago may not
/// be served by its leader yet). nullopt when the cluster cannot answer (no
/// ListOffsets, as the blackhole mock; or errors), with `why` saying so. A
/// topic that does not exist has no partitions.
std::optional<std::map<std::int32_t, std::int64_t>> latest_offsets(const cluster::ClientConfig& config,
                                                                   const std::string& topic, std::string& why);

/// The sum of latest_offsets().
std::optional<std::int64_t> latest_offset_sum(const cluster::ClientConfig& config, const std::string& topic,
                                              std::string& why);

/// `kwire perf --consume` (perf_consume.cpp).
int run_perf_consume(int argc, char** argv);

}  // namespace kwire::cli
