// Compression across clients, checked on the broker's own log segments.
//
// 1. Batches written by other clients — Kafka's Java console producer and
//    kcat (librdkafka) — with each codec are read straight from the managed
//    broker's segment files (topic compression.type=producer, so the broker
//    stores them as the client wrote them) and decoded by kwire's segment
//    walker and by `kwire dump-log`: every batch must name the codec the
//    client used and every record must decode to exactly what was sent.
//    (Java writes snappy with xerial framing and lz4 frames with independent
//    blocks; librdkafka writes raw snappy: kwire must read all of them.)
// 2. kwire's Producer writes every codec at several levels; kcat reads every
//    record back byte for byte, and the segment shows each batch really was
//    compressed with that codec.
//
// tools/check runs these against Kafka 4.4.x, 4.0.x and 3.9.x. Segment files
// exist only for a broker this harness manages; against an external broker
// the segment checks are skipped (with a message).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <kwire/compression/decompressor.hpp>
#include <kwire/producer/producer.hpp>
#include <kwire/protocol/log_segment.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::Producer;
using kwire::compression::Codec;
using kwire::producer::DeliveryReport;
using kwire::producer::HeaderView;
using kwire::producer::RecordView;
using kwire::test::broker_env;
using kwire::test::consume_with_kcat;
using kwire::test::run_command;
using kwire::test::shell_quote;
using kwire::test::unique_topic;
namespace fs = std::filesystem;
namespace protocol = kwire::protocol;

namespace {

/// A record as the test sends it (and expects to decode).
struct Sent {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

/// Compressible text: a short phrase repeated, with `seed` in it.
std::string text(std::size_t n, int seed) {
  const std::string phrase = "the quick brown fox " + std::to_string(seed) + " jumps over the lazy dog; ";
  std::string s;
  s.reserve(n + phrase.size());
  while (s.size() < n) s += phrase;
  s.resize(n);
  return s;
}

/// Text-like data: words drawn at random from a small vocabulary. Compressible
/// (about 3:1), but not so trivially that every level finds the same matches:
/// higher levels give visibly smaller output.
std::string words(std::size_t n, std::uint32_t seed) {
  static const char* const vocabulary[] = {
      "kafka",  "broker", "record", "batch",   "offset", "topic",   "leader",  "replica", "fetch", "produce",
      "commit", "epoch",  "header", "value",   "key",    "segment", "index",   "cleaner", "quota", "metadata",
      "sasl",   "tls",    "zstd",   "snappy",  "lz4",    "gzip",    "level",   "window",  "frame", "checksum",
      "alpha",  "beta",   "gamma",  "delta",   "sigma",  "omega",   "north",   "south",   "east",  "west",
      "red",    "green",  "blue",   "yellow",  "black",  "white",   "one",     "two",     "three", "four",
      "five",   "six",    "seven",  "eight",   "nine",   "ten",     "0",       "1",       "2",     "3",
      "{",      "}",      "\"id\":", "\"ts\":"};
  std::mt19937 rng(seed);
  std::string s;
  s.reserve(n + 16);
  while (s.size() < n) {
    s += vocabulary[rng() % std::size(vocabulary)];
    s += (rng() % 8 == 0) ? ",\n" : " ";
  }
  s.resize(n);
  return s;
}

std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::optional<std::string> as_string(const std::optional<std::vector<std::uint8_t>>& v) {
  if (!v) return std::nullopt;
  return std::string(v->begin(), v->end());
}

std::string shown(const std::optional<std::string>& s) {
  if (!s) return "null";
  return s->size() > 60 ? "\"" + s->substr(0, 60) + "...\" (" + std::to_string(s->size()) + " bytes)" : "\"" + *s + "\"";
}

/// Where the managed broker keeps its partitions; empty for an external one.
std::vector<fs::path> data_dirs() {
  const auto& env = broker_env();
  if (!env.has("KWIRE_BROKER_MANAGED") || env.get("KWIRE_BROKER_MANAGED") != "1") return {};
  std::vector<fs::path> out;
  if (env.has("KWIRE_BROKER_DATA_DIRS")) {
    const std::string all = env.get("KWIRE_BROKER_DATA_DIRS");
    std::size_t start = 0;
    while (start <= all.size()) {
      const std::size_t comma = all.find(',', start);
      const std::string dir = all.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!dir.empty()) out.emplace_back(dir);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else if (env.has("KWIRE_BROKER_DIR")) {
    out.emplace_back(fs::path(env.get("KWIRE_BROKER_DIR")) / "node1" / "data");
  }
  return out;
}

/// The segment files of `topic`-`partition`, oldest first.
std::vector<fs::path> segment_files(const std::string& topic, int partition) {
  for (const fs::path& dir : data_dirs()) {
    const fs::path partition_dir = dir / (topic + "-" + std::to_string(partition));
    if (!fs::is_directory(partition_dir)) continue;
    std::vector<fs::path> logs;
    for (const auto& entry : fs::directory_iterator(partition_dir))
      if (entry.path().extension() == ".log") logs.push_back(entry.path());
    std::sort(logs.begin(), logs.end());  // names are zero-padded base offsets
    return logs;
  }
  return {};
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Every batch of a partition, decoded by kwire's segment walker; fails the
/// test (with the walker's reason) on any bad batch or unclean end.
std::vector<protocol::RecordBatch> decode_partition(const std::string& topic, int partition,
                                                    std::vector<fs::path>* files = nullptr) {
  const std::vector<fs::path> logs = segment_files(topic, partition);
  INFO("topic " << topic << " partition " << partition);
  REQUIRE_FALSE(logs.empty());
  if (files) files->insert(files->end(), logs.begin(), logs.end());
  kwire::compression::Decompressor decompressor;
  const protocol::RecordsDecompressor decompress = [&](Codec codec, std::span<const std::uint8_t> in,
                                                       std::vector<std::uint8_t>& out) {
    return decompressor.decompress(codec, in, out, std::size_t{64} << 20);
  };
  std::vector<protocol::RecordBatch> batches;
  for (const fs::path& log : logs) {
    const std::vector<std::uint8_t> bytes = read_file(log);
    const protocol::SegmentSummary summary = protocol::walk_log_segment(
        bytes,
        [&](const protocol::SegmentBatch& b) {
          INFO(log.string() << " at byte " << b.position << ": " << b.why);
          CHECK_FALSE(b.error);
          CHECK(b.crc_ok);
          batches.push_back(b.batch);
        },
        decompress);
    INFO(log.string() << ": " << summary.why);
    CHECK(summary.ok());
    CHECK(summary.bytes_walked == bytes.size());
  }
  return batches;
}

/// The records of `batches` in log order, skipping control batches.
std::vector<protocol::Record> records_of(const std::vector<protocol::RecordBatch>& batches) {
  std::vector<protocol::Record> out;
  for (const auto& b : batches)
    if (!b.is_control()) out.insert(out.end(), b.records.begin(), b.records.end());
  return out;
}

void check_records_equal(const std::vector<protocol::Record>& got, const std::vector<Sent>& sent) {
  REQUIRE(got.size() == sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    CAPTURE(i);
    INFO("sent key " << shown(sent[i].key) << " value " << shown(sent[i].value));
    CHECK(as_string(got[i].key) == sent[i].key);
    CHECK(as_string(got[i].value) == sent[i].value);
    REQUIRE(got[i].headers.size() == sent[i].headers.size());
    for (std::size_t h = 0; h < sent[i].headers.size(); ++h) {
      CHECK(got[i].headers[h].key == sent[i].headers[h].first);
      CHECK(as_string(got[i].headers[h].value) == sent[i].headers[h].second);
    }
  }
}

/// Creates the topics concurrently (one JVM each: in parallel they take the
/// time of one), with compression.type=producer spelled out.
void create_topics(const std::vector<std::pair<std::string, int>>& topics) {
  std::string command = "rc=0; ";
  for (std::size_t i = 0; i < topics.size(); ++i)
    command += shell_quote(KWIRE_BROKER_SCRIPT) + " create-topic " + shell_quote(topics[i].first) + " " +
               std::to_string(topics[i].second) + " compression.type=producer >&2 & p" + std::to_string(i) + "=$!; ";
  for (std::size_t i = 0; i < topics.size(); ++i) command += "wait $p" + std::to_string(i) + " || rc=1; ";
  REQUIRE(run_command(command + "exit $rc").exit_code == 0);
}

const char* const kCodecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};

Codec codec_of(const std::string& name) { return *kwire::compression::parse_codec(name); }

// ---------------------------------------------------------------------------
// Java's console producer: one line per record,
//   headers <TAB> key <TAB> value, headers as k:v,k2:v2, "NULL" = null
// (parse.key, parse.headers, null.marker: KIP-798, KIP-810; Kafka 3.2+).
// Every line needs at least one header (an empty header list is refused).

std::vector<Sent> java_records() {
  std::vector<Sent> out;
  for (int i = 0; i < 30; ++i)
    out.push_back({"key-" + std::to_string(i), "value " + std::to_string(i) + " " + text(150, i),
                   {{"trace", "t" + std::to_string(i)}, {"empty", ""}}});
  out.push_back({std::nullopt, "a null key " + text(100, 1), {{"h", std::nullopt}}});
  out.push_back({"tombstone", std::nullopt, {{"h", "x"}}});
  out.push_back({"empty-value", "", {{"h", "y"}}});
  out.push_back({"", "an empty key", {{"h", "z"}}});
  out.push_back({"big", text(100 * 1024, 7), {{"size", "102400"}}});
  return out;
}

std::string java_line(const Sent& s) {
  auto field = [](const std::optional<std::string>& v) { return v ? *v : std::string("NULL"); };
  std::string line;
  for (std::size_t h = 0; h < s.headers.size(); ++h) {
    if (h) line += ',';
    line += s.headers[h].first + ":" + field(s.headers[h].second);
  }
  return line + "\t" + field(s.key) + "\t" + field(s.value) + "\n";
}

/// The console producer's class: Scala's kafka.tools up to 3.x, Java's
/// org.apache.kafka.tools from 4.0 (KAFKA-14578).
std::string console_producer_class() {
  const auto& env = broker_env();
  std::string version = env.has("KWIRE_KAFKA_TOOLS_VERSION") ? env.get("KWIRE_KAFKA_TOOLS_VERSION") : "";
  if (version.empty() && env.has("KWIRE_KAFKA_VERSION")) version = env.get("KWIRE_KAFKA_VERSION");
  const bool scala = version.size() >= 2 && version[0] >= '0' && version[0] <= '3' && version[1] == '.';
  return scala ? "kafka.tools.ConsoleProducer" : "org.apache.kafka.tools.ConsoleProducer";
}

// ---------------------------------------------------------------------------
// kcat: three runs per codec into one partition, in order:
//   A: -K TAB, two headers on every record (one with a null value);
//   B: -K TAB -Z: an empty key or value is null;
//   C: a binary file as one record (key "binary").
// Every run carries compressible data, because librdkafka keeps a batch
// uncompressed when compression does not make it smaller.

struct KcatRun {
  std::string options;
  std::string input;  ///< stdin, or a file's contents when `file` is true
  bool file = false;
  std::vector<Sent> records;
};

std::vector<KcatRun> kcat_runs() {
  std::vector<KcatRun> runs(3);
  const std::vector<std::pair<std::string, std::optional<std::string>>> headers = {{"trace", "abc"},
                                                                                   {"nullhdr", std::nullopt}};
  runs[0].options = "-K '\t' -H trace=abc -H nullhdr";
  for (int i = 0; i < 20; ++i)
    runs[0].records.push_back({"key-" + std::to_string(i), "value " + std::to_string(i) + " " + text(150, i), headers});
  runs[0].records.push_back({std::nullopt, "no delimiter: a null key " + text(100, 2), headers});
  runs[0].records.push_back({"empty-value", "", headers});
  runs[0].records.push_back({"", "an empty key", headers});
  runs[0].records.push_back({"big", text(100 * 1024, 9), headers});
  for (const Sent& s : runs[0].records) runs[0].input += (s.key ? *s.key + "\t" : "") + *s.value + "\n";

  runs[1].options = "-K '\t' -Z";
  for (int i = 0; i < 10; ++i)
    runs[1].records.push_back({"z-" + std::to_string(i), "with -Z " + std::to_string(i) + " " + text(120, i), {}});
  runs[1].records.push_back({"tombstone", std::nullopt, {}});
  runs[1].records.push_back({std::nullopt, "a null key via -Z " + text(80, 3), {}});
  for (const Sent& s : runs[1].records) runs[1].input += (s.key ? *s.key : "") + "\t" + s.value.value_or("") + "\n";

  // Every byte value, newlines and NULs included, repeated: binary but compressible.
  std::string binary;
  for (int round = 0; round < 64; ++round)
    for (int b = 0; b < 256; ++b) binary += static_cast<char>((b * 7 + round) & 0xff);
  runs[2].options = "-k binary";
  runs[2].input = binary;
  runs[2].file = true;
  runs[2].records.push_back({"binary", binary, {}});
  return runs;
}

}  // namespace

TEST_CASE("compression: batches from Java and librdkafka decode with kwire, from the broker's log segments") {
  if (data_dirs().empty()) {
    MESSAGE("skipped: the broker is external (not managed by tests/broker/kafka-broker), its log segments are "
            "out of reach");
    return;
  }
  const std::string bootstrap = broker_env().bootstrap();
  const std::string tmp = (fs::temp_directory_path() / unique_topic("kwire-xc")).string();
  fs::create_directories(tmp);

  // One topic per codec for Java (its partitioner picks partitions by key),
  // created by the producer itself: the managed broker auto-creates topics
  // with one partition and the broker's default compression.type=producer,
  // which saves five JVM starts (create-topic runs one each). One topic with
  // a partition per codec for kcat (-p), created explicitly.
  std::map<std::string, std::string> java_topic;
  for (const std::string codec : kCodecs) java_topic[codec] = unique_topic("kwire-xc-java-" + codec);
  const std::string kcat_topic = unique_topic("kwire-xc-kcat");
  create_topics({{kcat_topic, static_cast<int>(std::size(kCodecs))}});

  // (a) Java: all five console producers at once (each is a JVM start).
  const std::vector<Sent> java_sent = java_records();
  {
    std::ofstream(tmp + "/java.txt", std::ios::binary) << [&] {
      std::string all;
      for (const Sent& s : java_sent) all += java_line(s);
      return all;
    }();
    std::string command = "rc=0; export KWIRE_TOOL_JAVA_OPTS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC'; ";
    for (std::size_t i = 0; i < std::size(kCodecs); ++i) {
      const std::string codec = kCodecs[i];
      command += shell_quote(KWIRE_BROKER_SCRIPT) + " run-class " + console_producer_class() +
                 " --bootstrap-server " + shell_quote(bootstrap) + " --topic " + shell_quote(java_topic[codec]) +
                 // --compression-codec, not compression.type: the console
                 // producer overwrites compression.type with this option's
                 // value (default none).
                 " --compression-codec " + codec +
                 " --producer-property linger.ms=100 --property parse.key=true --property parse.headers=true"
                 " --property null.marker=NULL < " + shell_quote(tmp + "/java.txt") + " > " +
                 shell_quote(tmp + "/java-" + codec + ".out") + " 2>&1 & p" + std::to_string(i) + "=$!; ";
    }
    for (std::size_t i = 0; i < std::size(kCodecs); ++i) command += "wait $p" + std::to_string(i) + " || rc=1; ";
    // Its output, without the warnings about the (4.x-deprecated, 3.x-only)
    // --property / --producer-property spellings.
    command += "cat " + shell_quote(tmp) + "/java-*.out | grep -v 'is deprecated' >&2; ";
    REQUIRE(run_command(command + "exit $rc").exit_code == 0);
  }

  // (b) kcat.
  const std::vector<KcatRun> runs = kcat_runs();
  for (std::size_t p = 0; p < std::size(kCodecs); ++p) {
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const std::string input = tmp + "/kcat-" + std::to_string(r);
      if (p == 0) std::ofstream(input, std::ios::binary) << runs[r].input;
      std::string command = "kcat -P -b " + shell_quote(bootstrap) + " -t " + shell_quote(kcat_topic) + " -p " +
                            std::to_string(p) + " -z " + kCodecs[p] + " " + runs[r].options;
      command += runs[r].file ? " " + shell_quote(input) : " < " + shell_quote(input);
      INFO(command);
      REQUIRE(run_command(command).exit_code == 0);
    }
  }

  // Decode every segment with kwire's walker: codec and records.
  std::vector<fs::path> files;
  for (std::size_t p = 0; p < std::size(kCodecs); ++p) {
    const std::string codec = kCodecs[p];
    CAPTURE(codec);
    {
      INFO("Java console producer, topic " << java_topic[codec]);
      const auto batches = decode_partition(java_topic[codec], 0, &files);
      REQUIRE_FALSE(batches.empty());
      for (const auto& b : batches) {
        CHECK(b.codec() == codec_of(codec));
        CHECK(b.producer_id >= 0);  // the Java producer is idempotent by default (3.0+)
      }
      check_records_equal(records_of(batches), java_sent);
    }
    {
      INFO("kcat, topic " << kcat_topic << " partition " << p);
      const auto batches = decode_partition(kcat_topic, static_cast<int>(p), &files);
      REQUIRE(batches.size() >= runs.size());
      // librdkafka keeps a batch uncompressed when the codec does not make
      // it smaller: how kcat's records fall into batches is timing (a few
      // small records left beside the 100 KiB one), so such a batch may turn
      // up; every other batch carries the codec, and at least one does.
      std::size_t compressed = 0;
      for (const auto& b : batches) {
        CHECK((b.codec() == codec_of(codec) || b.codec() == Codec::none));
        compressed += b.codec() == codec_of(codec);
      }
      CHECK(compressed > 0);
      std::vector<Sent> sent;
      for (const KcatRun& run : runs) sent.insert(sent.end(), run.records.begin(), run.records.end());
      check_records_equal(records_of(batches), sent);
    }
  }

  // And through `kwire dump-log`: every file decodes (exit 0), each batch line
  // names its codec, and the records are printed.
  std::string command = shell_quote(kwire::test::kwire_cli()) + " dump-log --records";
  for (const fs::path& f : files) command += " " + shell_quote(f.string());
  const auto dumped = run_command(command);
  CHECK(dumped.exit_code == 0);
  for (const std::string codec : kCodecs) CHECK(dumped.output.find("compresscodec: " + codec + " ") != std::string::npos);
  CHECK(dumped.output.find("isvalid: false") == std::string::npos);
  CHECK(dumped.output.find("key: \"key-29\" payload: \"value 29 the quick brown fox 29") != std::string::npos);
  CHECK(dumped.output.find("key: null payload: \"a null key via -Z") != std::string::npos);
  CHECK(dumped.output.find("key: \"tombstone\" payload: null") != std::string::npos);
  std::size_t summaries = 0;
  for (std::size_t at = 0; (at = dumped.output.find("Summary: ", at)) != std::string::npos; ++at) ++summaries;
  CHECK(summaries == files.size());
  fs::remove_all(tmp);
}

// ---------------------------------------------------------------------------

namespace {

/// A compression setting kwire's Producer is given; `partition` of the topic
/// it writes to.
struct Setting {
  std::string codec;
  std::string level_key;  ///< empty: the codec's default
  std::string level;
};

const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = {
      {"none", "", ""},
      {"gzip", "compression.gzip.level", "1"},
      {"gzip", "compression.gzip.level", "6"},
      {"gzip", "compression.gzip.level", "9"},
      {"snappy", "", ""},
      {"lz4", "compression.lz4.level", "1"},
      {"lz4", "compression.lz4.level", "9"},
      {"lz4", "compression.lz4.level", "17"},
      {"zstd", "compression.zstd.level", "1"},
      {"zstd", "compression.zstd.level", "3"},
      {"zstd", "compression.zstd.level", "19"},
      {"zstd", "compression.level", "-5"},  // librdkafka's generic key; negative: zstd's fast levels
  };
  return all;
}

/// Compressible and incompressible values. The record keyed "big-random" is
/// larger than batch.size, so it is a batch of its own, and incompressible:
/// kwire keeps it uncompressed (compression would not make it smaller).
std::vector<Sent> producer_records() {
  std::vector<Sent> out;
  for (int i = 0; i < 40; ++i) {
    Sent s{"c-" + std::to_string(i), "compressible " + std::to_string(i) + " " + text(300, i), {}};
    if (i % 4 == 0) s.headers = {{"trace", "t" + std::to_string(i)}, {"empty", ""}, {"nullhdr", std::nullopt}};
    out.push_back(std::move(s));
  }
  out.push_back({std::nullopt, "a null key " + text(200, 5), {}});
  out.push_back({"tombstone", std::nullopt, {}});
  out.push_back({"empty-value", "", {}});
  for (int i = 0; i < 10; ++i)
    out.push_back({"r-" + std::to_string(i), random_bytes(200, static_cast<std::uint32_t>(i)), {}});
  out.push_back({random_bytes(16, 99), "a binary key", {}});
  out.push_back({"big-compressible", words(200 * 1024, 11), {}});
  out.push_back({"big-random", random_bytes(64 * 1024, 12), {}});
  return out;
}

}  // namespace

TEST_CASE("compression: kwire's Producer at every codec and level, read back by kcat and from the segments") {
  const std::vector<Setting>& all = settings();
  const std::string topic = unique_topic("kwire-levels");
  create_topics({{topic, static_cast<int>(all.size())}});
  const std::vector<Sent> sent = producer_records();

  // Every setting at once, one producer each (compression is per producer).
  std::vector<std::unique_ptr<Producer>> producers;
  std::vector<std::vector<std::optional<DeliveryReport>>> reports(all.size(),
                                                                   std::vector<std::optional<DeliveryReport>>(sent.size()));
  std::mutex m;
  for (std::size_t p = 0; p < all.size(); ++p) {
    std::map<std::string, std::string> config = {{"bootstrap.servers", broker_env().bootstrap()},
                                                 {"client.id", "kwire-levels"},
                                                 {"compression.type", all[p].codec},
                                                 {"linger.ms", "20"},
                                                 // One request at a time: on Kafka 3.9 twelve producers
                                                 // starting at once on a just-created topic twice left
                                                 // 54 of 56 records timing out (the two one-record big
                                                 // batches delivered), which looks like later pipelined
                                                 // batches overtaking a retried first one; not this test's
                                                 // subject (codecs and levels), recorded as an open finding.
                                                 {"max.in.flight.requests.per.connection", "1"}};
    if (!all[p].level_key.empty()) config[all[p].level_key] = all[p].level;
    producers.push_back(std::make_unique<Producer>(config));
    std::vector<HeaderView> headers;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      const Sent& s = sent[i];
      headers.clear();
      for (const auto& [k, v] : s.headers)
        headers.emplace_back(k, v ? std::optional<std::string_view>(*v) : std::nullopt);
      RecordView view(topic, s.key ? std::optional<std::string_view>(*s.key) : std::nullopt,
                      s.value ? std::optional<std::string_view>(*s.value) : std::nullopt);
      view.partition = static_cast<std::int32_t>(p);
      view.headers = headers;
      producers.back()->send(view, [&reports, &m, p, i](const DeliveryReport& r) {
        std::lock_guard lock(m);
        reports[p][i] = r;
      });
    }
  }
  for (auto& producer : producers) REQUIRE(producer->flush(120s));
  producers.clear();
  for (std::size_t p = 0; p < all.size(); ++p) {
    CAPTURE(p);
    std::size_t failed = 0;
    std::string first_failure;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      REQUIRE(reports[p][i].has_value());
      if (!reports[p][i]->ok() && failed++ == 0)
        first_failure = "record " + std::to_string(i) + ": " + reports[p][i]->error.message() + " " +
                        reports[p][i]->detail;
    }
    INFO("compression.type=" << all[p].codec << " " << all[p].level_key << " " << all[p].level << ": "
                             << first_failure);
    CHECK(failed == 0);
  }

  std::vector<std::size_t> big_batch_size(all.size(), 0);  // bytes of the "big-compressible" batch
  const bool segments = !data_dirs().empty();
  if (!segments) MESSAGE("the broker is external: checking with kcat only, not the segment files");
  std::vector<fs::path> files;
  for (std::size_t p = 0; p < all.size(); ++p) {
    const Setting& s = all[p];
    INFO("compression.type=" << s.codec << (s.level_key.empty() ? "" : " " + s.level_key + "=" + s.level)
                             << ", partition " << p);
    // The independent consumer, byte for byte.
    const auto consumed = consume_with_kcat(topic, static_cast<int>(p), sent.size());
    REQUIRE(consumed.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
      CAPTURE(i);
      CHECK(consumed[i].key == sent[i].key);
      CHECK(consumed[i].value == sent[i].value);
      REQUIRE(consumed[i].headers.size() == sent[i].headers.size());
      for (std::size_t h = 0; h < sent[i].headers.size(); ++h) {
        CHECK(consumed[i].headers[h].first == sent[i].headers[h].first);
        // kcat's %h prints a null header value as NULL.
        CHECK(consumed[i].headers[h].second == sent[i].headers[h].second.value_or("NULL"));
      }
    }
    if (!segments) continue;

    // The segment: the same records, and the batches really compressed.
    const auto batches = decode_partition(topic, static_cast<int>(p), &files);
    check_records_equal(records_of(batches), sent);
    const Codec codec = codec_of(s.codec);
    for (const auto& b : batches) {
      const bool random_alone = b.records.size() == 1 && b.records[0].key &&
                                as_string(b.records[0].key) == std::optional<std::string>("big-random");
      INFO("batch at offset " << b.base_offset << " with " << b.records.size() << " records");
      if (b.records.size() == 1 && as_string(b.records[0].key) == std::optional<std::string>("big-compressible"))
        big_batch_size[p] = protocol::kLogOverhead + static_cast<std::size_t>(b.batch_length);
      // Only the batch of incompressible bytes alone may stay uncompressed.
      if (random_alone)
        CHECK(b.codec() == Codec::none);
      else
        CHECK(b.codec() == codec);
    }
  }
  if (segments) {
    // The levels reached the compressor: on the same 200 KiB of text, the
    // highest level of each codec gives a smaller batch than the lowest, and
    // zstd's negative (fast) level a larger one than level 1.
    std::string sizes;
    for (std::size_t p = 0; p < all.size(); ++p) {
      sizes += " " + all[p].codec + (all[p].level.empty() ? "" : ":" + all[p].level) + "=" +
               std::to_string(big_batch_size[p]);
      CHECK(big_batch_size[p] > 0);
    }
    MESSAGE("the 200 KiB text record's batch, bytes per codec:level:" << sizes);
    auto size_at = [&](const std::string& codec, const std::string& level) {
      for (std::size_t p = 0; p < all.size(); ++p)
        if (all[p].codec == codec && all[p].level == level) return big_batch_size[p];
      return std::size_t{0};
    };
    CHECK(size_at("gzip", "9") < size_at("gzip", "1"));
    CHECK(size_at("lz4", "17") < size_at("lz4", "1"));
    CHECK(size_at("zstd", "19") < size_at("zstd", "1"));
    CHECK(size_at("zstd", "1") < size_at("zstd", "-5"));
    CHECK(size_at("gzip", "1") < size_at("none", ""));

    std::string command = shell_quote(kwire::test::kwire_cli()) + " dump-log";
    for (const fs::path& f : files) command += " " + shell_quote(f.string());
    const auto dumped = run_command(command);
    CHECK(dumped.exit_code == 0);
    for (const std::string codec : kCodecs)
      CHECK(dumped.output.find("compresscodec: " + codec + " ") != std::string::npos);
  }
}
