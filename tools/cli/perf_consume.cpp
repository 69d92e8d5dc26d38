// kwire perf --consume: a consumer load generator, the reading half of
// `kwire perf`: records/s, MiB/s, the client's CPU time per record and peak
// RSS while kwire::consumer::Consumer reads a topic.
//
//   kwire perf --consume -b host:port -t topic [-n records] [-G group | --assign]
//              [-X key=value ...] [--json] [--idle-timeout S]
//
// One consumer reads every partition of the topic from the earliest offset:
// as a member of a group (-G, default a fresh group per run, so nothing is
// committed yet) or with assign() (--assign; with -G the group's committed
// offsets are read, nothing joins it). -n defaults to the
// sum of the partitions' latest offsets (every record of a topic whose log
// starts at offset 0). -X takes any consumer property.
//
// Measurement rules (tools/bench/rdkafka_perf.c -C and tools/bench/franz
// follow the same ones): the clock starts when poll() hands out the first
// record and stops at the n-th, so connecting, joining the group and the
// first fetch's wait are outside it, close() too; CPU is getrusage
// (RUSAGE_SELF) user + sys over that interval, every thread of the process;
// bytes are keys + values. Each record's key and value are touched (their
// sizes summed), nothing is copied.
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <kwire/consumer/consumer.hpp>

#include "json.hpp"
#include "options.hpp"
#include "perf_support.hpp"
#include "stats_print.hpp"

namespace kwire::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct ConsumeOptions {
  std::string topic;
  std::optional<std::uint64_t> records;
  std::string group;
  bool assign = false;
  double idle_timeout_s = 30;
};

std::string fresh_group() {
  return "kwire-perf-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

}  // namespace

int run_perf_consume(int argc, char** argv) {
  ConsumeOptions o;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--consume" || arg == "--no-progress") continue;  // no progress bar in this mode
    if (arg == "--assign") {
      o.assign = true;
    } else if (arg == "--idle-timeout") {
      if (i + 1 >= argc) throw UsageError("--idle-timeout needs a value");
      o.idle_timeout_s = static_cast<double>(parse_count(argv[++i], "--idle-timeout", 1, 3600));
    } else {
      rest.push_back(argv[i]);
    }
  }
  std::map<char, std::vector<std::string>> values;
  CommonOptions options = parse_options(static_cast<int>(rest.size()), rest.data(), "tnG", values);
  auto single = [&](char letter) { return single_value(values, letter); };
  if (const std::string* t = single('t')) o.topic = *t;
  if (o.topic.empty()) throw UsageError("perf --consume needs a topic: -t topic");
  if (const std::string* n = single('n')) o.records = parse_count(*n, "-n", 1, INT64_MAX);
  if (const std::string* g = single('G')) o.group = *g;
  if (!options.positional.empty()) throw UsageError("unexpected argument '" + options.positional.front() + "'");

  auto properties = options.properties;
  properties["bootstrap.servers"] = options.bootstrap;
  if (!properties.contains("auto.offset.reset")) properties["auto.offset.reset"] = "earliest";
  // --assign: no group unless -G names one (its committed offsets, none for
  // a fresh group, then place the partitions; nothing joins it).
  if (!o.assign && o.group.empty()) o.group = fresh_group();
  if (!o.group.empty()) properties["group.id"] = o.group;
  consumer::ConsumerConfig config = consumer::ConsumerConfig::from_properties(properties);

  std::string why;
  const auto latest = latest_offsets(config, o.topic, why);
  if (!latest) {
    std::fprintf(stderr, "kwire perf: cannot read the latest offsets of %s: %s\n", o.topic.c_str(), why.c_str());
    return 1;
  }
  if (latest->empty()) {
    std::fprintf(stderr, "kwire perf: topic %s does not exist\n", o.topic.c_str());
    return 1;
  }
  if (!o.records) {
    std::uint64_t sum = 0;
    for (const auto& [partition, offset] : *latest) sum += static_cast<std::uint64_t>(offset);
    if (sum == 0) {
      std::fprintf(stderr, "kwire perf: topic %s is empty\n", o.topic.c_str());
      return 1;
    }
    o.records = sum;
  }

  consumer::Consumer consumer(std::move(attach_periodic_statistics(config)));
  if (o.assign) {
    std::vector<consumer::TopicPartition> partitions;
    for (const auto& [partition, offset] : *latest) partitions.push_back({o.topic, partition});
    consumer.assign(partitions);  // no group, nothing committed: auto.offset.reset (earliest) places them
  } else {
    consumer.subscribe({o.topic});
  }

  const std::uint64_t wanted = *o.records;
  std::uint64_t consumed = 0;
  std::uint64_t bytes = 0;
  std::uint64_t errors = 0;
  CpuTimes cpu_start;
  Clock::time_point t0;
  auto last_record = Clock::now();
  const auto idle_limit = std::chrono::duration<double>(o.idle_timeout_s);
  while (consumed < wanted && Clock::now() - last_record < idle_limit) {
    const auto records = consumer.poll(std::chrono::milliseconds(100));
    for (const auto& e : consumer.errors()) {
      std::fprintf(stderr, "kwire perf: %s\n", e.message.c_str());
      ++errors;
    }
    if (records.empty()) continue;
    if (consumed == 0) {
      cpu_start = cpu_now();
      t0 = Clock::now();
    }
    for (const auto& r : records) {
      bytes += (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
      if (++consumed == wanted) break;
    }
    last_record = Clock::now();
  }
  const auto t_end = Clock::now();
  const CpuTimes cpu_end = cpu_now();
  consumer.close();

  const double seconds = consumed ? std::chrono::duration<double>(t_end - t0).count() : 0;
  const RunFigures figures =
      run_figures(seconds, consumed, static_cast<double>(bytes), consumed, consumed ? cpu_start : cpu_end, cpu_end);
  const std::string mode = o.assign ? "assign" : "group";

  if (options.json) {
    JsonWriter out;
    out.begin_object()
        .key("client").value("kwire")
        .key("mode").value("consume")
        .key("topic").value(o.topic)
        .key("group");
    o.group.empty() ? out.null() : out.value(o.group);
    out.key("records").value(static_cast<std::int64_t>(wanted))
        .key("consumed").value(static_cast<std::int64_t>(consumed))
        .key("errors").value(static_cast<std::int64_t>(errors))
        .key("bytes").value(static_cast<std::int64_t>(bytes));
    write_figures(out, figures);
    out.end_object();
    std::printf("%s\n", out.str().c_str());
  } else {
    std::printf("kwire perf --consume (%s): %" PRIu64 " of %" PRIu64 " records from %s in %.3f s\n", mode.c_str(),
                consumed, wanted, o.topic.c_str(), seconds);
    print_figures(figures);
  }
  if (consumed < wanted) {
    std::fprintf(stderr, "kwire perf: only %" PRIu64 " of %" PRIu64 " records arrived (nothing for %.0f s)\n",
                 consumed, wanted, o.idle_timeout_s);
    return 1;
  }
  return errors > 0 ? 1 : 0;
}

}  // namespace kwire::cli
