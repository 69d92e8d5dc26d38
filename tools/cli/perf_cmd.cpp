// kwire perf: a producer load generator that reports what a benchmark needs —
// throughput, the client's own CPU time and peak memory, delivery latency
// percentiles, and how many records the broker actually has afterwards.
//
//   kwire perf -b host:port -t topic [-n records] [-s bytes] [--payload-file F]
//              [-z codec] [-X key=value ...] [--rate R] [--json] [--no-confirm]
//   kwire perf -b host:port -t topic --offsets [--json]   (only the offset sum)
//   kwire perf ... -X transactional.id=ID --transaction-size N   (transactions of N records)
//   kwire perf --consume ...   the consumer benchmark (perf_consume.cpp)
//
// Measurement rules (the peers in tools/bench follow the same ones, so their
// numbers compare):
//  * The clock starts just before the first send() and stops when every
//    record has its delivery report (flush); producer construction and the
//    cluster connection are outside it, close() too.
//  * CPU is getrusage(RUSAGE_SELF) user + sys over the same interval: every
//    thread of the process, i.e. the application thread and the network
//    thread.
//  * Latency is from just before send() to the record's delivery callback, on
//    the monotonic clock, for every k-th record: k = ceil(records / 250000),
//    so a 1M-record run samples every 4th record and runs of up to 250k
//    records every record. (A clock read costs ~26 ns on this VM, two per
//    sampled record; Java's ProducerPerformance samples too.) One
//    preallocated uint32 slot per sampled record holds the send time (µs
//    since the start) and is overwritten with the latency, so measuring
//    allocates nothing per record.
//  * "confirmed" is the sum over partitions of the latest offset (ListOffsets,
//    timestamp -1) after the run minus before it: the records the broker has,
//    not the ones the client believes were delivered. It assumes nothing else
//    writes to the topic meanwhile. Brokers without ListOffsets (the
//    blackhole mock) give null.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <kwire/net/blocking_client.hpp>
#include <kwire/producer/producer.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/list_offsets.hpp>
#include <kwire/protocol/metadata.hpp>
#include <kwire/cluster/security_options.hpp>

#include "broker_session.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "options.hpp"
#include "perf_support.hpp"
#include "stats_print.hpp"
#include "transaction_options.hpp"

namespace kwire::cli {
namespace {

using Clock = std::chrono::steady_clock;

/// At most this many records get their latency measured (see the header).
constexpr std::uint64_t kLatencySamples = 250'000;

struct PerfOptions {
  std::string topic;
  std::uint64_t records = 1'000'000;
  std::size_t record_size = 100;
  std::string payload_file;
  double rate = 0;  ///< records/s; 0: as fast as possible
  bool confirm = true;
  bool offsets_only = false;
  bool progress = true;
};

// --- Payloads ------------------------------------------------------------------------

/// The values to send, cycled through: the lines of a payload file (as
/// ProducerPerformance's --payload-file, which picks lines at random), or
/// distinct random upper-case letters of the record size (as
/// ProducerPerformance's --record-size, whose payload is random 'A'..'Z').
struct Payloads {
  std::vector<std::uint8_t> storage;
  std::vector<std::span<const std::uint8_t>> values;
  std::size_t total_bytes(std::uint64_t records) const {
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < records && i < values.size(); ++i) sum += values[i].size();
    // Cycled: whole cycles plus the prefix above.
    if (records > values.size()) {
      std::uint64_t cycle = 0;
      for (const auto& v : values) cycle += v.size();
      sum = cycle * (records / values.size());
      for (std::uint64_t i = 0; i < records % values.size(); ++i) sum += values[i].size();
    }
    return static_cast<std::size_t>(sum);
  }
};

Payloads make_payloads(const PerfOptions& o) {
  Payloads p;
  if (!o.payload_file.empty()) {
    std::ifstream in(o.payload_file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open payload file " + o.payload_file + ": " + std::strerror(errno));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    p.storage.assign(text.begin(), text.end());
    std::vector<std::pair<std::size_t, std::size_t>> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= p.storage.size(); ++i) {
      if (i < p.storage.size() && p.storage[i] != '\n') continue;
      if (i > start) lines.emplace_back(start, i - start);  // empty lines are skipped, as Java does
      start = i + 1;
    }
    if (lines.empty()) throw std::runtime_error("payload file " + o.payload_file + " has no non-empty line");
    for (auto [offset, size] : lines) p.values.emplace_back(p.storage.data() + offset, size);
    return p;
  }
  // Enough distinct payloads that a batch is not one value repeated (which
  // would flatter compression), at most ~4 MiB of them.
  const std::size_t count =
      static_cast<std::size_t>(std::clamp<std::uint64_t>(std::min<std::uint64_t>(o.records, (4u << 20) / std::max<std::size_t>(o.record_size, 1)), 1, 4096));
  p.storage.resize(count * o.record_size);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> letter('A', 'Z');
  for (auto& b : p.storage) b = static_cast<std::uint8_t>(letter(rng));
  for (std::size_t i = 0; i < count; ++i) p.values.emplace_back(p.storage.data() + i * o.record_size, o.record_size);
  return p;
}

// --- The run ------------------------------------------------------------------------------

/// Shared with the network thread through the delivery callbacks.
struct RunState {
  Clock::time_point t0;
  /// Per sampled record: the send time in µs since t0, then its latency in
  /// µs; kFailed for a record that failed.
  std::unique_ptr<std::uint32_t[]> slots;
  std::uint64_t sample_every = 1;
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::mutex errors_mutex;
  std::map<std::string, std::uint64_t> errors;

  static constexpr std::uint32_t kFailed = UINT32_MAX;

  std::uint32_t micros_since_start() const {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
  }

  /// `slot`: the record's latency slot, or nullptr when it is not sampled.
  void on_report(std::uint32_t* slot, const producer::DeliveryReport& report) {
    if (report.ok()) {
      if (slot) *slot = micros_since_start() - *slot;
      delivered.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (slot) *slot = kFailed;
    failed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(errors_mutex);
    ++errors[error_name(report.error)];
  }
};

struct Percentiles {
  double p50 = 0, p95 = 0, p99 = 0, max = 0;  // ms
  bool any = false;
};

/// Percentiles of the delivered records' latencies (nearest rank). Reorders
/// the slots.
Percentiles percentiles(std::uint32_t* slots, std::uint64_t n) {
  std::uint32_t* end = std::remove(slots, slots + n, RunState::kFailed);
  const auto count = static_cast<std::uint64_t>(end - slots);
  Percentiles out;
  if (count == 0) return out;
  out.any = true;
  auto at = [&](double q) {
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count)));
    rank = std::clamp<std::uint64_t>(rank, 1, count) - 1;
    std::nth_element(slots, slots + rank, end);
    return static_cast<double>(slots[rank]) / 1000.0;
  };
  out.p50 = at(0.50);
  out.p95 = at(0.95);
  out.p99 = at(0.99);
  out.max = static_cast<double>(*std::max_element(slots, end)) / 1000.0;
  return out;
}

class ProgressBar {
 public:
  ProgressBar(bool enabled, std::uint64_t total) : enabled_(enabled), total_(total) {}
  void update(std::uint64_t sent, const RunState& state, Clock::time_point now, bool force = false) {
    if (!enabled_ || (!force && now - last_ < std::chrono::milliseconds(200))) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - state.t0).count();
    const std::uint64_t acked = state.delivered.load(std::memory_order_relaxed);
    const int width = 30;
    const int filled = total_ ? static_cast<int>(static_cast<double>(width) * static_cast<double>(acked) / static_cast<double>(total_)) : width;
    char bar[width + 1];
    for (int i = 0; i < width; ++i) bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    std::fprintf(stderr, "\r[%s] %3.0f%%  sent %" PRIu64 "  acked %" PRIu64 "  %.0f records/s  ", bar,
                 total_ ? 100.0 * static_cast<double>(acked) / static_cast<double>(total_) : 100.0, sent, acked,
                 seconds > 0 ? static_cast<double>(acked) / seconds : 0.0);
    drawn_ = true;
  }
  void finish() {
    if (drawn_) std::fputs("\r\033[K", stderr);
  }

 private:
  bool enabled_;
  std::uint64_t total_;
  Clock::time_point last_{};
  bool drawn_ = false;
};

void print_offsets_only(const std::optional<std::int64_t>& sum, const std::string& topic, const std::string& why,
                        bool json) {
  if (json) {
    JsonWriter out;
    out.begin_object().key("topic").value(topic).key("latest_offset_sum");
    sum ? out.value(*sum) : out.null();
    if (!sum) out.key("why").value(why);
    out.end_object();
    std::printf("%s\n", out.str().c_str());
  } else if (sum) {
    std::printf("%s: latest offsets sum to %" PRId64 "\n", topic.c_str(), *sum);
  } else {
    std::printf("%s: unknown (%s)\n", topic.c_str(), why.c_str());
  }
}

}  // namespace

int run_perf(int argc, char** argv) {
  for (int i = 0; i < argc; ++i)
    if (std::string_view(argv[i]) == "--consume") return run_perf_consume(argc, argv);
  // Long options of this command; the rest goes through the common parser.
  PerfOptions o;
  std::vector<char*> args(argv, argv + argc);
  const TransactionOptions txn_options = take_transaction_options(args);
  argc = static_cast<int>(args.size());
  argv = args.data();
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--payload-file") {
      o.payload_file = next();
    } else if (arg == "--rate") {
      const std::string text = next();
      char* end = nullptr;
      o.rate = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(o.rate >= 0) || !std::isfinite(o.rate))
        throw UsageError("--rate expects records per second >= 0, got '" + text + "'");
    } else if (arg == "--no-confirm") {
      o.confirm = false;
    } else if (arg == "--offsets") {
      o.offsets_only = true;
    } else if (arg == "--no-progress") {
      o.progress = false;
    } else {
      rest.push_back(argv[i]);
    }
  }
  std::map<char, std::vector<std::string>> values;
  CommonOptions options = parse_options(static_cast<int>(rest.size()), rest.data(), "tnsz", values);
  auto single = [&](char letter) { return single_value(values, letter); };
  if (const std::string* t = single('t')) o.topic = *t;
  if (o.topic.empty()) throw UsageError("perf needs a topic: -t topic");
  if (const std::string* n = single('n')) o.records = parse_count(*n, "-n", 1, UINT32_MAX);
  if (const std::string* s = single('s')) o.record_size = parse_count(*s, "-s", 0, 100u << 20);
  if (const std::string* z = single('z')) options.properties["compression.type"] = *z;
  if (!options.positional.empty()) throw UsageError("unexpected argument '" + options.positional.front() + "'");
  if (txn_options.transactional_id) options.properties["transactional.id"] = *txn_options.transactional_id;

  const producer::ProducerConfig config = attach_periodic_statistics(producer_config(options));

  std::string why_before;
  std::optional<std::int64_t> before;
  if (o.confirm || o.offsets_only) before = latest_offset_sum(config, o.topic, why_before);
  if (o.offsets_only) {
    print_offsets_only(before, o.topic, why_before, options.json);
    return before ? 0 : 1;
  }

  const Payloads payloads = make_payloads(o);
  RunState state;
  state.sample_every = (o.records + kLatencySamples - 1) / kLatencySamples;
  const std::uint64_t samples = (o.records + state.sample_every - 1) / state.sample_every;
  state.slots.reset(new std::uint32_t[samples]);
  std::fill(state.slots.get(), state.slots.get() + samples, 0u);  // touch the pages now, not while measuring

  Producer producer(config);
  std::string detail;
  if (std::error_code ec =
          producer.wait_for_cluster(std::chrono::milliseconds(std::max<std::int64_t>(config.max_block_ms, 1)), &detail)) {
    std::fprintf(stderr, "kwire perf: cannot reach the cluster at %s: %s%s%s\n", options.bootstrap.c_str(),
                 ec.message().c_str(), detail.empty() ? "" : ": ", detail.c_str());
    return 1;
  }

  // Transactional (issue 16): init_transactions is set-up, outside the clock;
  // beginning and committing every --transaction-size records is inside it.
  std::optional<TransactionLoop> transactions;
  if (std::string failure; !start_transactions(producer, config, txn_options, transactions, failure)) {
    std::fprintf(stderr, "kwire perf: init_transactions failed: %s\n", failure.c_str());
    return 1;
  }

  ProgressBar progress(o.progress && isatty(STDERR_FILENO) != 0, o.records);
  producer::RecordView record;
  record.topic = o.topic;
  record.key = std::nullopt;  // null keys: sticky partitioning, as ProducerPerformance
  const std::size_t payload_count = payloads.values.size();

  const CpuTimes cpu_start = cpu_now();
  state.t0 = Clock::now();
  for (std::uint64_t i = 0; i < o.records; ++i) {
    if (o.rate > 0) {
      const auto due = state.t0 + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(static_cast<double>(i) / o.rate));
      if (Clock::now() < due) std::this_thread::sleep_until(due);
    }
    record.value = payloads.values[i % payload_count];
    std::uint32_t* slot = nullptr;
    if (i % state.sample_every == 0) {
      slot = &state.slots[i / state.sample_every];
      *slot = state.micros_since_start();
    }
    if (transactions && !transactions->before_record()) break;
    // Captures two pointers: fits std::function's small buffer, so no
    // allocation per record.
    producer.send(record, [s = &state, slot](const producer::DeliveryReport& r) { s->on_report(slot, r); });
    if (transactions && !transactions->after_record()) break;
    if ((i & 0x3fff) == 0) progress.update(i, state, Clock::now());
  }
  bool txn_failed = transactions && !transactions->error().empty();
  if (transactions && !txn_failed && !transactions->finish()) txn_failed = true;
  while (!producer.flush(std::chrono::milliseconds(200))) progress.update(o.records, state, Clock::now());
  const auto t_end = Clock::now();
  const CpuTimes cpu_end = cpu_now();
  progress.finish();
  producer.close(std::chrono::seconds(30));

  std::string why_after;
  std::optional<std::int64_t> confirmed;
  if (o.confirm && before) {
    if (auto after = latest_offset_sum(config, o.topic, why_after)) confirmed = *after - *before;
  }

  const double seconds = std::chrono::duration<double>(t_end - state.t0).count();
  const std::uint64_t delivered = state.delivered.load();
  const std::uint64_t failed = state.failed.load();
  const double bytes = static_cast<double>(payloads.total_bytes(o.records));
  // MiB/s of what was delivered; CPU per record over every record attempted.
  const RunFigures figures =
      run_figures(seconds, delivered, bytes * (static_cast<double>(delivered) / static_cast<double>(o.records)),
                  o.records, cpu_start, cpu_end);
  const Percentiles lat = percentiles(state.slots.get(), samples);
  const std::string codec(compression::codec_name(config.compression_type));
  const double avg_size = bytes / static_cast<double>(o.records);

  if (options.json) {
    JsonWriter out;
    out.begin_object()
        .key("client").value("kwire")
        .key("topic").value(o.topic)
        .key("records").value(static_cast<std::int64_t>(o.records))
        .key("record_size").value(avg_size)
        .key("compression").value(codec)
        .key("delivered").value(static_cast<std::int64_t>(delivered))
        .key("failed").value(static_cast<std::int64_t>(failed))
        .key("errors").begin_object();
    for (const auto& [name, count] : state.errors) out.key(name).value(static_cast<std::int64_t>(count));
    out.end_object();
    write_figures(out, figures);
    out.key("latency_sampled_every").value(static_cast<std::int64_t>(state.sample_every))
        .key("latency_ms").begin_object();
    if (lat.any)
      out.key("p50").value(lat.p50).key("p95").value(lat.p95).key("p99").value(lat.p99).key("max").value(lat.max);
    out.end_object();
    if (transactions)
      out.key("transactions").value(transactions->committed()).key("transaction_size").value(txn_options.size);
    out.key("confirmed");
    confirmed ? out.value(*confirmed) : out.null();
    out.end_object();
    std::printf("%s\n", out.str().c_str());
  } else {
    std::printf("kwire perf: %" PRIu64 " records of %.0f bytes (%s) to %s in %.3f s\n", o.records, avg_size,
                codec.c_str(), o.topic.c_str(), seconds);
    std::printf("  delivered    %" PRIu64 ", failed %" PRIu64 "\n", delivered, failed);
    for (const auto& [name, count] : state.errors) std::printf("               %" PRIu64 " x %s\n", count, name.c_str());
    print_figures(figures);
    if (lat.any)
      std::printf("  latency      p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms\n", lat.p50, lat.p95, lat.p99,
                  lat.max);
    if (transactions)
      std::printf("  transactions %lld committed (%lld records), %lld aborted\n",
                  static_cast<long long>(transactions->committed()),
                  static_cast<long long>(transactions->committed_records()),
                  static_cast<long long>(transactions->aborted()));
    if (confirmed)
      std::printf("  confirmed    %" PRId64 " %s by the broker (ListOffsets)\n", *confirmed,
                  transactions ? "offsets (records + commit markers)" : "records");
    else if (o.confirm)
      std::printf("  confirmed    unknown (%s)\n", (before ? why_after : why_before).c_str());
  }
  if (options.stats) print_statistics(producer.statistics(), options.json);
  // Each committed transaction also writes a marker (an offset) per partition it touched.
  if (confirmed && (transactions ? *confirmed < static_cast<std::int64_t>(delivered)
                                 : *confirmed != static_cast<std::int64_t>(delivered)))
    std::fprintf(stderr, "kwire perf: the broker has %" PRId64 " new records, %" PRIu64 " were reported delivered\n",
                 *confirmed, delivered);
  if (txn_failed) std::fprintf(stderr, "kwire perf: %s\n", transactions->error().c_str());
  return failed > 0 || txn_failed ? 1 : 0;
}

}  // namespace kwire::cli
