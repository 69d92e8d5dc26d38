// Observability (issue 10): log categories and their filter, the statistics
// the sender and accumulator count (driven through the scripted transport),
// and the statistics JSON — valid, with stable field names, and values that
// add up.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "support/fake_transport.hpp"
#include "json_check.hpp"
#include "kwire/producer/config.hpp"
#include "kwire/producer/log.hpp"
#include "sender.hpp"
#include "kwire/producer/statistics.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace kwire::producer;
using kwire::errc;
using kwire::protocol::ApiKey;
using kwire::protocol::ProduceRequest;
using kwire::test::FakeTransport;
using kwire::test::Json;
using kwire::test::JsonParser;
using kwire::test::keys_of;
using kwire::test::parse_json;
using kwire::test::metadata_response;
using kwire::test::PartitionSpec;
using kwire::test::produce_response;

namespace {

// --- The sender harness (as sender_test.cpp's, with a log) ---------------------------

using Props = std::map<std::string, std::string>;

struct LogLine {
  LogLevel level;
  LogCategory category;
  std::string message;
};

ProducerConfig make_config(const Props& extra) {
  Props props{
      {"bootstrap.servers", "seed1:9092"},
      {"linger.ms", "0"},
      {"retry.backoff.ms", "100"},
      {"retry.backoff.max.ms", "100"},
      {"reconnect.backoff.ms", "50"},
      {"reconnect.backoff.max.ms", "50"},
      {"enable.idempotence", "false"},
  };
  for (const auto& [k, v] : extra) props[k] = v;
  return ProducerConfig::from_properties(props);
}

struct Harness {
  explicit Harness(const Props& extra = {})
      : config(make_config(extra)),
        accumulator([&] {
          AccumulatorConfig c = AccumulatorConfig::from(config);
          c.jitter_seed = 1;
          return c;
        }()),
        metadata(
            [&] {
              auto o = MetadataCache::Options::from(config);
              o.jitter_seed = 1;
              return o;
            }(),
            config.bootstrap_addresses()),
        sender(config, accumulator, metadata, net, state, hooks()) {}

  SenderHooks hooks() {
    SenderHooks h;
    h.clock = [this] { return now; };
    h.log = [this](LogLevel level, LogCategory category, std::string_view message) {
      lines.push_back({level, category, std::string(message)});
    };
    return h;
  }

  std::int64_t run() { return sender.run_once(now); }

  void append(const TopicPartition& tp, std::string_view value) {
    DeliveryCallback cb = [this](const DeliveryReport& r) { (r.ok() ? delivered : failed)++; };
    REQUIRE(accumulator
                .append(tp, 1700000000000, std::nullopt, bytes_of(value), std::span<const HeaderView>(), cb, now)
                .ok());
  }

  /// Bootstrap connection and metadata: topic "t" with `partitions` led by broker 1.
  void setup(int partitions) {
    sender.add_topic("t", now);
    run();
    net.accept(-1);
    run();
    std::vector<PartitionSpec> specs(static_cast<std::size_t>(partitions), PartitionSpec{1, 0});
    net.reply(net.only_pending(ApiKey::metadata, -1), metadata_response(1, "t", specs));
  }

  /// Answers every pending Produce request to `node` with `error`.
  void answer_produce(std::int32_t node, errc error = errc::none) {
    for (FakeTransport::Request* r : net.pending(ApiKey::produce, node))
      net.reply(*r, produce_response(r->decode<ProduceRequest>(), r->version, error, 10));
  }

  ProducerStatistics statistics() const {
    ProducerStatistics s;
    sender.collect_statistics(s);
    return s;
  }

  bool logged(LogLevel level, LogCategory category, std::string_view text) const {
    for (const LogLine& l : lines)
      if (l.level == level && l.category == category && l.message.find(text) != std::string::npos) return true;
    return false;
  }
  std::size_t count(LogLevel level) const {
    std::size_t n = 0;
    for (const LogLine& l : lines) n += l.level == level ? 1 : 0;
    return n;
  }

  int delivered = 0;
  int failed = 0;
  std::vector<LogLine> lines;
  std::int64_t now = 1000;
  ProducerConfig config;
  RecordAccumulator accumulator;
  MetadataCache metadata;
  FakeTransport net;
  NonIdempotentState state;
  Sender sender;
};

const PartitionStatistics& partition(const ProducerStatistics& s, std::int32_t p) {
  for (const PartitionStatistics& x : s.partitions)
    if (x.topic == "t" && x.partition == p) return x;
  FAIL("no statistics for t/" << p);
  return s.partitions.front();
}

const BrokerStatistics& broker(const ProducerStatistics& s, std::int32_t id) {
  for (const BrokerStatistics& b : s.brokers)
    if (b.node_id == id) return b;
  FAIL("no statistics for broker " << id);
  return s.brokers.front();
}

}  // namespace

// --- Logging ---------------------------------------------------------------------------

TEST_CASE("debug categories: names, all, librdkafka aliases, unknown names refused") {
  CHECK(parse_log_categories("") == kNoLogCategories);
  CHECK(parse_log_categories("broker") == static_cast<LogCategories>(LogCategory::broker));
  CHECK(parse_log_categories(" broker , metadata ") == (LogCategory::broker | LogCategory::metadata));
  CHECK(parse_log_categories("all") == kAllLogCategories);
  CHECK(parse_log_categories("eos,sasl") ==
        (LogCategory::idempotence | LogCategory::transaction | LogCategory::security));
  // A librdkafka list pastes in: its consumer contexts select the cluster
  // layer's consumer-side categories, the ones kwire has no use for nothing.
  CHECK(parse_log_categories("broker,topic,msg,cgrp,fetch") ==
        (LogCategory::broker | LogCategory::metadata | LogCategory::producer | LogCategory::group |
         LogCategory::fetch));
  CHECK(parse_log_categories("consumer") == static_cast<LogCategories>(LogCategory::consumer));
  CHECK(parse_log_categories("interceptor,plugin,mock,conf,telemetry") == kNoLogCategories);
  std::string bad;
  CHECK_FALSE(parse_log_categories("broker,nonsense", &bad).has_value());
  CHECK(bad == "nonsense");
  for (LogCategory c : {LogCategory::broker, LogCategory::protocol, LogCategory::producer, LogCategory::metadata,
                        LogCategory::security, LogCategory::idempotence, LogCategory::consumer, LogCategory::group,
                        LogCategory::fetch, LogCategory::transaction, LogCategory::admin}) {
    CHECK(contains(kAllLogCategories, c));
    CHECK(parse_log_categories(to_string(c)) == static_cast<LogCategories>(c));  // names round-trip
  }

  ProducerConfig config = make_config({{"debug", "protocol,idempotence"}});
  CHECK(config.debug_categories() == (LogCategory::protocol | LogCategory::idempotence));
  try {
    make_config({{"debug", "brokers"}});
    FAIL("an unknown debug category must be a ConfigError");
  } catch (const kwire::ConfigError& e) {
    CHECK(std::string(e.what()).find("debug") != std::string::npos);
    CHECK(std::string(e.what()).find("brokers") != std::string::npos);
  }
}

TEST_CASE("Logger: debug lines only for chosen categories; other levels always pass") {
  std::vector<LogLine> lines;
  LogHandler handler = [&](LogLevel l, LogCategory c, std::string_view m) { lines.push_back({l, c, std::string(m)}); };
  Logger logger(handler, static_cast<LogCategories>(LogCategory::broker));
  CHECK(logger.debug(LogCategory::broker));
  CHECK_FALSE(logger.debug(LogCategory::protocol));
  logger(LogLevel::debug, LogCategory::broker, "wanted");
  logger(LogLevel::debug, LogCategory::protocol, "dropped");
  logger(LogLevel::info, LogCategory::protocol, "info passes");
  logger(LogLevel::error, LogCategory::security, "error passes");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].message == "wanted");
  CHECK(lines[1].category == LogCategory::protocol);
  CHECK(lines[2].level == LogLevel::error);

  // No handler: nothing is wanted, so callers skip formatting altogether.
  Logger off(LogHandler{}, kAllLogCategories);
  CHECK_FALSE(off.debug(LogCategory::broker));

  // Handlers written before categories existed still work.
  std::vector<std::string> old_style;
  LogHandler two_args = [&](LogLevel, std::string_view m) { old_style.emplace_back(m); };
  two_args(LogLevel::warning, LogCategory::broker, "still delivered");
  two_args(LogLevel::warning, "no category");
  CHECK(old_style == std::vector<std::string>{"still delivered", "no category"});
  LogHandler silent = silent_log_handler();
  CHECK(static_cast<bool>(silent));
  silent(LogLevel::error, LogCategory::producer, "nothing happens");
}

TEST_CASE("sender logs: a failed connection says the OS's reason from the connection's detail") {
  Harness h;
  h.sender.add_topic("t", h.now);
  h.run();
  h.net.details[-1] = "seed1:9092: connection refused";
  h.net.refuse(-1);
  CHECK(h.logged(LogLevel::warning, LogCategory::broker,
                 "connection to node -1 at seed1:9092 failed: could not connect to broker "
                 "(seed1:9092: connection refused)"));
}

TEST_CASE("sender logs: connect and metadata once at info; debug lines only for the chosen category") {
  SUBCASE("debug off") {
    Harness h;
    h.setup(1);
    CHECK(h.logged(LogLevel::info, LogCategory::broker, "connected to bootstrap server seed1:9092"));
    CHECK(h.logged(LogLevel::info, LogCategory::metadata, "brokers changed: [1=b1:9001]"));
    CHECK(h.count(LogLevel::debug) == 0);
    // The connection line names the negotiated versions.
    CHECK(h.logged(LogLevel::info, LogCategory::broker, "Produce v13, Metadata v12"));
  }
  SUBCASE("debug=metadata") {
    Harness h(Props{{"debug", "metadata"}});
    h.setup(1);
    CHECK(h.logged(LogLevel::debug, LogCategory::metadata, "Metadata v12 to bootstrap server seed1:9092"));
    for (const LogLine& l : h.lines)
      if (l.level == LogLevel::debug) CHECK(l.category == LogCategory::metadata);
  }
  SUBCASE("debug=all") {
    Harness h(Props{{"debug", "all"}});
    h.setup(1);
    CHECK(h.logged(LogLevel::debug, LogCategory::broker, "connecting to bootstrap server seed1:9092"));
    h.append({"t", 0}, "v");
    h.run();
    h.net.accept(1);
    h.run();
    CHECK(h.logged(LogLevel::debug, LogCategory::protocol, "Produce v13 to node 1 (b1:9001)"));
  }
}

// --- Statistics ------------------------------------------------------------------------

TEST_CASE("statistics after a known produce: per partition, per broker and totals add up") {
  Harness h;
  h.setup(2);
  for (int i = 0; i < 3; ++i) h.append({"t", 0}, "value-0");
  for (int i = 0; i < 2; ++i) h.append({"t", 1}, "value-1");

  {
    const ProducerStatistics s = h.statistics();
    CHECK(s.records_queued == 5);
    CHECK(s.records_sent == 0);
    CHECK(partition(s, 0).records_queued == 3);
    CHECK(partition(s, 0).batches_queued == 1);
    CHECK(partition(s, 0).bytes_queued > 61);  // a batch header and three records
    CHECK(partition(s, 0).leader == 1);
  }

  h.run();
  h.net.accept(1);
  h.run();
  {
    const ProducerStatistics s = h.statistics();
    CHECK(s.records_queued == 0);
    CHECK(s.records_in_flight == 5);
    CHECK(s.records_sent == 5);
    CHECK(partition(s, 1).records_in_flight == 2);
    CHECK(broker(s, 1).requests_in_flight == 1);
    CHECK(broker(s, 1).state == "ready");
  }

  h.answer_produce(1);
  REQUIRE(h.delivered == 5);
  const ProducerStatistics s = h.statistics();
  CHECK(s.records_sent == 5);
  CHECK(s.records_delivered == 5);
  CHECK(s.records_failed == 0);
  CHECK(s.records_in_flight == 0);
  CHECK(s.records_delivered + s.records_failed == s.records_sent);
  CHECK(partition(s, 0).records_delivered == 3);
  CHECK(partition(s, 0).batches_sent == 1);
  CHECK(partition(s, 0).bytes_sent > 0);
  CHECK(partition(s, 0).batch_size_avg > 61);
  CHECK(partition(s, 0).batch_fill_ratio_avg > 0);
  CHECK(partition(s, 0).batch_fill_ratio_avg < 1);
  const BrokerStatistics& b = broker(s, 1);
  CHECK(b.address == "b1:9001");
  CHECK(b.requests_sent == 1);  // one Produce
  CHECK(b.responses_received == 1);
  CHECK(b.request_bytes_sent > 0);
  CHECK(b.response_bytes_received > 0);
  CHECK(b.rtt.samples == 1);
  CHECK(b.connects == 1);
  CHECK(b.reconnects == 0);
  const BrokerStatistics& seed = broker(s, -1);
  CHECK(seed.address == "seed1:9092");
  CHECK(seed.requests_sent == 1);  // the Metadata request
  CHECK(s.requests_sent == seed.requests_sent + b.requests_sent);
}

TEST_CASE("statistics: a retry, an error by name, a reconnect, and failures still add up") {
  Harness h(Props{{"retries", "1"}});
  h.setup(1);
  h.append({"t", 0}, "a");
  h.run();
  h.net.accept(1);
  h.run();
  h.answer_produce(1, errc::not_leader_or_follower);  // retriable: retry 1 of 1
  CHECK(h.logged(LogLevel::info, LogCategory::producer, "NOT_LEADER_OR_FOLLOWER, retrying 1 record(s)"));

  // The broker drops the connection; the retry goes out after reconnecting.
  h.net.drop(1);
  CHECK(h.logged(LogLevel::info, LogCategory::broker, "connection to node 1 (b1:9001) closed"));
  h.now += 200;
  h.run();
  for (auto* m : h.net.pending(ApiKey::metadata)) h.net.reply(*m, metadata_response(1, "t", {{1, 0}}));
  h.run();
  h.net.accept(1);
  CHECK(h.logged(LogLevel::info, LogCategory::broker, "reconnected to node 1 (b1:9001)"));
  h.run();
  for (auto* m : h.net.pending(ApiKey::metadata)) h.net.reply(*m, metadata_response(1, "t", {{1, 0}}));
  h.run();
  h.answer_produce(1, errc::not_leader_or_follower);  // no retries left: fails
  REQUIRE(h.failed == 1);
  CHECK(h.logged(LogLevel::warning, LogCategory::producer, "no retries left"));

  // And one that succeeds.
  h.append({"t", 0}, "b");
  h.run();
  h.answer_produce(1);
  REQUIRE(h.delivered == 1);

  const ProducerStatistics s = h.statistics();
  const PartitionStatistics& p = partition(s, 0);
  CHECK(p.retries == 1);
  CHECK(p.errors.at("NOT_LEADER_OR_FOLLOWER") == 2);
  CHECK(p.batches_sent == 3);
  CHECK(p.records_sent == 2);  // the retried record counts once
  CHECK(p.records_failed == 1);
  CHECK(p.records_delivered == 1);
  CHECK(s.retries == 1);
  CHECK(s.records_delivered + s.records_failed == s.records_sent);
  const BrokerStatistics& b = broker(s, 1);
  CHECK(b.connects == 2);
  CHECK(b.reconnects == 1);
  CHECK(b.disconnects == 1);
}

TEST_CASE("statistics JSON: valid, stable field names, the struct's values") {
  Harness h;
  h.setup(1);
  h.append({"t", 0}, "x");
  h.append({"t", 0}, "y");
  h.run();
  h.net.accept(1);
  h.run();
  h.answer_produce(1);
  ProducerStatistics s = h.statistics();
  s.client_id = "quote\" backslash\\ newline\n tab\t bell\x07 ünïcode";
  s.producer_id = 4242;
  s.producer_epoch = 3;

  const std::string text = to_json(s);
  const Json j = parse_json(text);
  REQUIRE(j.type == Json::Type::object);
  CHECK(j.at("client_id").string == s.client_id);  // escaped and read back exactly
  CHECK(keys_of(j) == std::vector<std::string>{
                          "client_id", "timestamp_ms", "age_ms", "records_sent", "records_delivered",
                          "records_failed", "records_queued", "records_in_flight", "requests_sent",
                          "responses_received", "retries", "buffer_memory_used", "buffer_memory_total",
                          "producer_id", "producer_epoch", "epoch_bumps", "fatal_error", "brokers", "partitions"});
  CHECK(j.u64("records_sent") == 2);
  CHECK(j.u64("records_delivered") == 2);
  CHECK(j.u64("records_delivered") + j.u64("records_failed") == j.u64("records_sent"));
  CHECK(j.u64("producer_id") == 4242);

  const Json& brokers = j.at("brokers");
  REQUIRE(brokers.type == Json::Type::array);
  REQUIRE(brokers.array.size() == s.brokers.size());
  CHECK(keys_of(brokers.array[0]) ==
        std::vector<std::string>{"node_id", "address", "state", "rtt", "requests_in_flight", "requests_sent",
                                 "responses_received", "request_bytes_sent", "response_bytes_received",
                                 "request_errors", "throttle_time_ms_total", "throttle_time_ms_last", "connects",
                                 "connection_failures", "disconnects", "reconnects"});
  CHECK(keys_of(brokers.array[0].at("rtt")) ==
        std::vector<std::string>{"min_us", "avg_us", "p50_us", "p95_us", "p99_us", "max_us", "samples"});

  const Json& partitions = j.at("partitions");
  REQUIRE(partitions.array.size() == 1);
  const Json& p = partitions.array[0];
  CHECK(keys_of(p) == std::vector<std::string>{
                          "topic", "partition", "leader", "records_queued", "bytes_queued", "batches_queued",
                          "records_in_flight", "bytes_in_flight", "batches_in_flight", "records_sent",
                          "records_delivered", "records_failed", "batches_sent", "bytes_sent", "batch_size_avg",
                          "batch_fill_ratio_avg", "retries", "splits", "errors"});
  CHECK(p.at("topic").string == "t");
  CHECK(p.u64("records_delivered") == 2);
  CHECK(p.at("errors").type == Json::Type::object);

  // Sums over partitions equal the totals.
  std::uint64_t sent = 0;
  for (const Json& x : partitions.array) sent += x.u64("records_sent");
  CHECK(sent == j.u64("records_sent"));

  // An error map entry and an empty snapshot are valid too.
  s.partitions[0].errors["MESSAGE_TOO_LARGE"] = 2;
  CHECK(parse_json(to_json(s)).at("partitions").array[0].at("errors").u64("MESSAGE_TOO_LARGE") == 2);
  const Json empty = parse_json(to_json(ProducerStatistics{}));
  CHECK(empty.at("brokers").array.empty());
  CHECK(empty.u64("records_sent") == 0);
}

TEST_CASE("the JSON checker itself rejects what is not JSON") {
  Json j;
  CHECK_FALSE(JsonParser("{\"a\":1,}").parse(j));
  CHECK_FALSE(JsonParser("{\"a\":1 \"b\":2}").parse(j));
  CHECK_FALSE(JsonParser("{\"a\":1,\"a\":2}").parse(j));
  CHECK_FALSE(JsonParser("[1,2").parse(j));
  CHECK_FALSE(JsonParser("\"raw\ncontrol\"").parse(j));
  CHECK_FALSE(JsonParser("01").parse(j));
  CHECK_FALSE(JsonParser("{} {}").parse(j));
  CHECK(JsonParser("{\"a\":[1,-2.5e3,true,null,\"x\"]}").parse(j));
}

TEST_CASE("statistics: broker throttling (KIP-219) is summed and logged once per response") {
  Harness h;
  h.setup(1);
  for (int round = 0; round < 2; ++round) {
    h.append({"t", 0}, "v");
    h.now += 1000;  // past any throttle
    h.run();
    if (round == 0) h.net.accept(1);
    h.run();
    auto& r = h.net.only_pending(ApiKey::produce, 1);
    auto response = produce_response(r.decode<ProduceRequest>(), r.version, errc::none, 0);
    response.throttle_time_ms = round == 0 ? 250 : 40;
    h.net.reply(r, response);
  }
  REQUIRE(h.delivered == 2);
  const ProducerStatistics s = h.statistics();
  const BrokerStatistics& b = broker(s, 1);
  CHECK(b.throttle_time_ms_total == 290);
  CHECK(b.throttle_time_ms_last == 40);
  CHECK(h.logged(LogLevel::info, LogCategory::protocol, "node 1 (b1:9001) throttles us for 250 ms"));
}
