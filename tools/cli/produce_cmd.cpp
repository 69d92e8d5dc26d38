// kwire produce: every line of the input files (stdin by default) becomes one
// record, as `kcat -P` does. Streams: lines are read through one buffer that
// grows only for a line longer than it, and each record is handed to the
// producer as a view into that buffer (the producer copies it, in wire form,
// into its batch), so nothing is allocated per line.
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <kwire/producer/producer.hpp>
#include <kwire/protocol/kafka_error.hpp>

#include "broker_session.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "options.hpp"
#include "stats_print.hpp"
#include "transaction_options.hpp"

namespace kwire::cli {
namespace {

/// Delivery outcomes, updated from the producer's network thread.
struct Stats {
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::mutex mutex;
  std::map<std::string, std::uint64_t> errors;  ///< guarded by mutex

  void record(const producer::DeliveryReport& report) {
    if (report.ok()) {
      delivered.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    failed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex);
    // With its detail when there is one (which broker refused which
    // credentials, and the setting to check): the line a user acts on.
    ++errors[report.detail.empty() ? error_name(report.error) : error_name(report.error) + ": " + report.detail];
  }
};

/// Reads `in` line by line, calling `on_line` with each line (without its
/// '\n'); a last line without a newline counts too. Returns false on a read
/// error.
template <class OnLine>
bool for_each_line(std::FILE* in, std::vector<char>& buffer, OnLine on_line) {
  std::size_t filled = 0;
  while (true) {
    if (filled == buffer.size()) buffer.resize(buffer.size() * 2);  // a line longer than the buffer
    const std::size_t n = std::fread(buffer.data() + filled, 1, buffer.size() - filled, in);
    if (n == 0) {
      if (std::ferror(in)) return false;
      if (filled > 0) on_line(std::string_view(buffer.data(), filled));
      return true;
    }
    const std::size_t end = filled + n;
    std::size_t start = 0;
    // Only the new bytes can hold a newline we have not seen.
    for (std::size_t i = filled; i < end; ++i) {
      if (buffer[i] != '\n') continue;
      on_line(std::string_view(buffer.data() + start, i - start));
      start = i + 1;
    }
    filled = end - start;
    if (start > 0 && filled > 0) std::memmove(buffer.data(), buffer.data() + start, filled);
  }
}

void print_summary(const Stats& stats, const std::string& topic, double seconds, bool json) {
  const std::uint64_t delivered = stats.delivered.load();
  const std::uint64_t failed = stats.failed.load();
  const double rate = seconds > 0 ? static_cast<double>(delivered + failed) / seconds : 0.0;
  std::fprintf(stderr, "kwire produce: delivered %llu, failed %llu to %s in %.3f s (%.0f records/s)\n",
               static_cast<unsigned long long>(delivered), static_cast<unsigned long long>(failed), topic.c_str(),
               seconds, rate);
  for (const auto& [name, count] : stats.errors)
    std::fprintf(stderr, "  %llu x %s\n", static_cast<unsigned long long>(count), name.c_str());
  if (!json) return;
  JsonWriter out;
  out.begin_object()
      .key("topic")
      .value(topic)
      .key("delivered")
      .value(static_cast<std::int64_t>(delivered))
      .key("failed")
      .value(static_cast<std::int64_t>(failed))
      .key("errors")
      .begin_object();
  for (const auto& [name, count] : stats.errors) out.key(name).value(static_cast<std::int64_t>(count));
  out.end_object().key("seconds").value(seconds).key("records_per_second").value(rate).end_object();
  std::printf("%s\n", out.str().c_str());
}

}  // namespace

int run_produce(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  const TransactionOptions txn_options = take_transaction_options(args);
  std::map<char, std::vector<std::string>> values;
  CommonOptions options = parse_options(static_cast<int>(args.size()), args.data(), "tpkHz", values);
  if (txn_options.transactional_id) options.properties["transactional.id"] = *txn_options.transactional_id;

  auto single = [&](char letter) { return single_value(values, letter); };
  const std::string* topic_arg = single('t');
  if (!topic_arg || topic_arg->empty()) throw UsageError("produce needs a topic: -t topic");
  const std::string topic = *topic_arg;

  std::int32_t partition = producer::RecordView::unassigned_partition;
  if (const std::string* p = single('p')) {
    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(p->c_str(), &end, 10);
    if (p->empty() || *end != '\0' || errno != 0 || value < 0 || value > INT32_MAX)
      throw UsageError("-p expects a partition number >= 0, got '" + *p + "'");
    partition = static_cast<std::int32_t>(value);
  }
  std::optional<std::string> key_separator;
  if (const std::string* k = single('k')) {
    if (k->empty()) throw UsageError("-k expects a non-empty key separator");
    key_separator = *k;
  }
  // Headers: parsed once, shared by every record.
  std::vector<std::pair<std::string, std::string>> header_storage;
  for (const std::string& h : values['H']) {
    const auto eq = h.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("-H expects name=value, got '" + h + "'");
    header_storage.emplace_back(h.substr(0, eq), h.substr(eq + 1));
  }
  std::vector<producer::HeaderView> headers;
  for (const auto& [name, value] : header_storage) headers.emplace_back(name, std::optional<std::string_view>(value));
  if (const std::string* z = single('z')) options.properties["compression.type"] = *z;

  std::vector<std::string> files = options.positional;
  if (files.empty()) files.push_back("-");

  producer::ProducerConfig config = producer_config(options);
  attach_periodic_statistics(config);
  Producer producer(config);

  // Fail fast when no broker answers, instead of waiting max.block.ms on
  // the first record.
  std::string detail;
  if (std::error_code ec =
          producer.wait_for_cluster(std::chrono::milliseconds(std::max<std::int64_t>(config.max_block_ms, 1)), &detail)) {
    std::fprintf(stderr, "kwire produce: cannot reach the cluster at %s: %s%s%s\n", options.bootstrap.c_str(),
                 ec.message().c_str(), detail.empty() ? "" : ": ", detail.c_str());
    return 1;
  }
  // Transactional: records go in transactions of --transaction-size.
  std::optional<TransactionLoop> transactions;
  if (std::string failure; !start_transactions(producer, config, txn_options, transactions, failure)) {
    std::fprintf(stderr, "kwire produce: init_transactions failed: %s\n", failure.c_str());
    return 1;
  }
  bool txn_failed = false;

  Stats stats;
  // Captures one pointer: fits std::function's small buffer (no allocation per record).
  auto callback = [s = &stats](const producer::DeliveryReport& report) { s->record(report); };
  std::vector<char> buffer(1 << 20);
  bool read_error = false;
  const auto started = std::chrono::steady_clock::now();

  for (const std::string& file : files) {
    std::FILE* in = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
    if (!in) {
      std::fprintf(stderr, "kwire produce: cannot open %s: %s\n", file.c_str(), std::strerror(errno));
      read_error = true;
      continue;
    }
    const bool ok = for_each_line(in, buffer, [&](std::string_view line) {
      producer::RecordView record;
      record.topic = topic;
      record.partition = partition;
      record.headers = headers;
      if (key_separator) {
        const auto at = line.find(*key_separator);
        if (at != std::string_view::npos) {
          record.key = producer::bytes_of(line.substr(0, at));
          line.remove_prefix(at + key_separator->size());
        }
      }
      record.value = producer::bytes_of(line);
      if (transactions && !txn_failed && !transactions->before_record()) txn_failed = true;
      if (txn_failed) return;  // the rest is not sent: the transaction failed
      producer.send(record, callback);
      if (transactions && !transactions->after_record()) txn_failed = true;
    });
    if (!ok) {
      std::fprintf(stderr, "kwire produce: error reading %s: %s\n", file.c_str(), std::strerror(errno));
      read_error = true;
    }
    if (in != stdin) std::fclose(in);
  }

  if (transactions && !txn_failed && !transactions->finish()) txn_failed = true;
  if (transactions) {
    std::fprintf(stderr, "kwire produce: transactions committed %lld (%lld records), aborted %lld (%lld records)\n",
                 static_cast<long long>(transactions->committed()),
                 static_cast<long long>(transactions->committed_records()),
                 static_cast<long long>(transactions->aborted()),
                 static_cast<long long>(transactions->aborted_records()));
    if (txn_failed) std::fprintf(stderr, "kwire produce: %s\n", transactions->error().c_str());
  }
  // close() flushes; whatever it cannot deliver is reported as failed.
  producer.close(std::chrono::milliseconds(config.effective_delivery_timeout_ms()) + std::chrono::seconds(5));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  print_summary(stats, topic, seconds, options.json);
  if (options.stats) print_statistics(producer.statistics(), options.json);
  return (stats.failed.load() > 0 || read_error || txn_failed) ? 1 : 0;
}

}  // namespace kwire::cli
