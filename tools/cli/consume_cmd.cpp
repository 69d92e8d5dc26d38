// kwire consume: a plain reader of one partition, as `kcat -C` is — no
// consumer group, no committed offsets. It finds the partition's leader with
// Metadata, resolves the start offset with ListOffsets, then loops on Fetch,
// decoding (and decompressing) record batches with kwire's own codecs.
//
//   kwire consume -b host:port -t topic [-p partition] [-o offset] [-c count] [-e]
//                 [-f format | --json [--base64]] [-X isolation.level=read_committed]
//   kwire consume -b host:port -G group topic... [-o beginning|end] [-c count] [-e]
//                 [-f format | --json [--base64]] [-X consumer.property=value]
//
// -G: join `group` with kwire::Consumer and read its assignment of the
//     topics (group_consume.cpp); commits, and leaves the group on
//     SIGINT/SIGTERM, -c or -e. A topic starting with '^' is a regular
//     expression (as in kcat), matched against whole topic names.
//
// -o: beginning | end | N (absolute) | -N (N records before the end) |
//     s@TIMESTAMP_MS (the first record at or after the time). Default: beginning.
// -f: kcat's format tokens: %s value, %k key, %S / %K their sizes (-1 when
//     null), %t topic, %p partition, %o offset, %T timestamp (ms), %h headers
//     as "k=v,k2=v2", %% a percent sign; escapes \n \r \t \\. Default "%s\n".
// --json: one object per line: {"topic","partition","offset","timestamp",
//     "timestamp_type" ("create" | "log_append"), "key", "value",
//     "headers": [{"key","value"}]}; null keys/values are JSON null. Text is
//     written as JSON strings: valid UTF-8 as is, any byte that is not part of
//     valid UTF-8 as \u00XX (so binary data survives only approximately);
//     with --base64, key, value and header values are base64 (RFC 4648)
//     strings instead, exact for any bytes.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <kwire/protocol/client_error.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/list_offsets.hpp>
#include <kwire/protocol/record_batch.hpp>

#include "broker_session.hpp"
#include "group_consume.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "options.hpp"
#include "partition_reader.hpp"
#include "record_text.hpp"

namespace kwire::cli {
namespace {

/// Where to start: an absolute offset, or relative to an end, or by time.
struct StartSpec {
  enum class Kind { beginning, end, absolute, from_end, timestamp } kind = Kind::beginning;
  std::int64_t value = 0;
};

std::int64_t parse_int64(const std::string& text, const char* what) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0) throw UsageError(std::string(what) + ": not a number: '" + text + "'");
  return v;
}

StartSpec parse_start(const std::string& text) {
  if (text == "beginning" || text == "earliest") return {StartSpec::Kind::beginning, 0};
  if (text == "end" || text == "latest") return {StartSpec::Kind::end, 0};
  if (text.rfind("s@", 0) == 0) return {StartSpec::Kind::timestamp, parse_int64(text.substr(2), "-o s@")};
  const std::int64_t v = parse_int64(text, "-o");
  if (v < 0) return {StartSpec::Kind::from_end, -v};
  return {StartSpec::Kind::absolute, v};
}

/// Pulls the value-less flags this command takes out of argv (the shared
/// parser knows only options with values).
std::vector<char*> take_flags(int argc, char** argv, bool& exit_at_end, bool& base64) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-e")
      exit_at_end = true;
    else if (arg == "--base64")
      base64 = true;
    else
      rest.push_back(argv[i]);
  }
  return rest;
}

}  // namespace

void write_record_json(std::string& out, const std::string& topic, std::int32_t partition,
                       const protocol::RecordBatch& batch, const protocol::Record& r, bool base64) {
  auto bytes_value = [&](const std::optional<std::vector<std::uint8_t>>& v) {
    if (!v) return std::string("null");
    return base64 ? "\"" + base64_encode(*v) + "\"" : json_text(*v);
  };
  out += "{\"topic\":" + json_escape(topic) + ",\"partition\":" + std::to_string(partition) +
         ",\"offset\":" + std::to_string(r.offset) + ",\"timestamp\":" + std::to_string(r.timestamp) +
         ",\"timestamp_type\":\"" + (batch.uses_log_append_time() ? "log_append" : "create") + "\"" +
         ",\"key\":" + bytes_value(r.key) + ",\"value\":" + bytes_value(r.value) + ",\"headers\":[";
  for (std::size_t i = 0; i < r.headers.size(); ++i) {
    if (i) out += ',';
    out += "{\"key\":" + json_escape(r.headers[i].key) + ",\"value\":" + bytes_value(r.headers[i].value) + "}";
  }
  out += "]}\n";
}

int run_consume(int argc, char** argv) {
  bool exit_at_end = false;
  bool base64 = false;
  std::vector<char*> rest = take_flags(argc, argv, exit_at_end, base64);
  std::map<char, std::vector<std::string>> values;
  CommonOptions options = parse_options(static_cast<int>(rest.size()), rest.data(), "tpocfG", values);

  auto single = [&](char letter) { return single_value(values, letter); };
  if (const std::string* group = single('G')) {
    // kcat -G style: kwire consume -G group topic... (or -t topic, repeatable).
    GroupConsumeOptions g;
    g.group = *group;
    g.topics = values['t'];
    g.topics.insert(g.topics.end(), options.positional.begin(), options.positional.end());
    if (g.group.empty()) throw UsageError("-G needs a group name");
    if (g.topics.empty()) throw UsageError("consume -G needs at least one topic");
    if (values.contains('p')) throw UsageError("-p and -G exclude each other: the group assigns partitions");
    if (const std::string* o = single('o')) {
      if (*o == "beginning" || *o == "earliest") g.start = "earliest";
      else if (*o == "end" || *o == "latest") g.start = "latest";
      else throw UsageError("with -G, -o takes beginning or end (where to start without a committed offset)");
    }
    if (const std::string* c = single('c')) {
      g.count = parse_int64(*c, "-c");
      if (*g.count < 0) throw UsageError("-c expects a count >= 0");
    }
    if (const std::string* f = single('f')) g.format = *f;
    if (g.format && options.json) throw UsageError("-f and --json exclude each other");
    if (base64 && !options.json) throw UsageError("--base64 needs --json");
    g.exit_at_end = exit_at_end;
    g.base64 = base64;
    g.common = std::move(options);
    return run_group_consume(g);
  }
  if (!options.positional.empty()) throw UsageError("unexpected argument '" + options.positional.front() + "'");
  const std::string* topic_arg = single('t');
  if (!topic_arg || topic_arg->empty()) throw UsageError("consume needs a topic: -t topic");
  const std::string topic = *topic_arg;
  std::int32_t partition = 0;
  if (const std::string* p = single('p')) {
    const std::int64_t v = parse_int64(*p, "-p");
    if (v < 0 || v > INT32_MAX) throw UsageError("-p expects a partition number >= 0");
    partition = static_cast<std::int32_t>(v);
  }
  StartSpec start;
  if (const std::string* o = single('o')) start = parse_start(*o);
  std::optional<std::int64_t> count;
  if (const std::string* c = single('c')) {
    count = parse_int64(*c, "-c");
    if (*count < 0) throw UsageError("-c expects a count >= 0");
  }
  std::optional<std::string> format;
  if (const std::string* f = single('f')) format = *f;
  if (format && options.json) throw UsageError("-f and --json exclude each other");
  if (base64 && !options.json) throw UsageError("--base64 needs --json");

  // Consumer-only properties are ours; the rest configure the connection.
  auto isolation = protocol::IsolationLevel::read_uncommitted;
  if (auto it = options.properties.find("isolation.level"); it != options.properties.end()) {
    if (it->second == "read_committed")
      isolation = protocol::IsolationLevel::read_committed;
    else if (it->second != "read_uncommitted")
      throw UsageError("isolation.level must be read_uncommitted or read_committed");
    options.properties.erase(it);
  }
  std::int32_t max_bytes = 4 << 20;
  if (auto it = options.properties.find("fetch.max.bytes"); it != options.properties.end()) {
    const std::int64_t v = parse_int64(it->second, "fetch.max.bytes");
    if (v < 1 || v > INT32_MAX) throw UsageError("fetch.max.bytes must be 1..2147483647");
    max_bytes = static_cast<std::int32_t>(v);
    options.properties.erase(it);
  }

  PartitionReader reader(client_config(options), topic, partition);
  reader.set_isolation_level(isolation);
  reader.set_max_bytes(max_bytes);
  std::string why;
  if (auto ec = reader.open(&why)) {
    std::fprintf(stderr, "kwire consume: %s\n", why.c_str());
    return 1;
  }

  // Resolve the start offset.
  std::int64_t offset = 0;
  std::error_code ec;
  switch (start.kind) {
    case StartSpec::Kind::beginning:
      ec = reader.list_offset(protocol::list_offsets_timestamp::earliest, offset, &why);
      break;
    case StartSpec::Kind::end:
      ec = reader.list_offset(protocol::list_offsets_timestamp::latest, offset, &why);
      break;
    case StartSpec::Kind::absolute:
      offset = start.value;
      break;
    case StartSpec::Kind::from_end: {
      std::int64_t begin = 0;
      ec = reader.list_offset(protocol::list_offsets_timestamp::latest, offset, &why);
      if (!ec) ec = reader.list_offset(protocol::list_offsets_timestamp::earliest, begin, &why);
      offset = std::max(begin, offset - start.value);
      break;
    }
    case StartSpec::Kind::timestamp:
      ec = reader.list_offset(start.value, offset, &why);
      if (!ec && offset < 0)  // no record at or after that time: start at the end
        ec = reader.list_offset(protocol::list_offsets_timestamp::latest, offset, &why);
      break;
  }
  if (ec) {
    std::fprintf(stderr, "kwire consume: %s\n", why.c_str());
    return 1;
  }

  std::int64_t printed = 0;
  std::string out;
  FetchRound round;
  while (!count || printed < *count) {
    if (auto fetch_ec = reader.fetch(offset, round, &why, protocol::FetchRequest::max_version,
                                     std::chrono::milliseconds(exit_at_end ? 100 : 500))) {
      std::fprintf(stderr, "kwire consume: %s\n", why.c_str());
      return 1;
    }
    out.clear();
    for (const auto& batch : round.batches) {
      if (batch.is_control()) continue;  // transaction markers
      for (const auto& r : batch.records) {
        if (r.offset < offset || (count && printed >= *count)) continue;
        if (options.json)
          write_record_json(out, topic, partition, batch, r, base64);
        else
          format_record(out, format ? *format : "%s\n", topic, partition, r);
        ++printed;
      }
    }
    if (!out.empty()) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
    }
    offset = std::max(offset, round.next_offset);
    // read_committed readers end at the last stable offset (KIP-98).
    const std::int64_t end =
        isolation == protocol::IsolationLevel::read_committed ? round.last_stable_offset : round.high_watermark;
    if (exit_at_end && offset >= end) {
      std::fprintf(stderr, "%% Reached end of %s [%d] at offset %lld: exiting\n", topic.c_str(), partition,
                   static_cast<long long>(offset));
      break;
    }
  }
  return 0;
}

}  // namespace kwire::cli
