// The conformance suite: set-up, shared helpers, and the "connect" group.
#include "conformance_suite.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>
#include <unistd.h>

#include <kwire/protocol/client_error.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/list_offsets.hpp>
#include <kwire/protocol/metadata.hpp>

#include "broker_session.hpp"

namespace kwire::cli::conformance {

using protocol::ApiKey;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view status_name(Status s) noexcept {
  switch (s) {
    case Status::pass: return "pass";
    case Status::fail: return "fail";
    case Status::not_offered: return "not offered";
  }
  return "?";
}

std::size_t Report::count(Status s) const {
  return static_cast<std::size_t>(std::count_if(cells.begin(), cells.end(), [s](const Cell& c) { return c.status == s; }));
}

const std::vector<std::string>& group_names() {
  static const std::vector<std::string> names{"connect", "versions", "produce", "idempotence", "errors", "admin",
                                                "consume", "group", "transactions"};
  return names;
}

namespace {

producer::ProducerConfig suite_config(std::map<std::string, std::string> properties) {
  // Answers come quickly from any sane endpoint; a silent one should cost
  // seconds, not the Java default 30 s per cell.
  properties.try_emplace("request.timeout.ms", "15000");
  return producer::ProducerConfig::from_properties(properties);
}

}  // namespace

Suite::Suite(const SuiteOptions& options) : options_(options), config_(suite_config(options.properties)) {
  report_.bootstrap = options.properties.count("bootstrap.servers") ? options.properties.at("bootstrap.servers") : "";
  report_.security_protocol = config_.security_protocol;
  if (config_.uses_sasl()) report_.sasl_mechanism = config_.sasl_mechanism;
}

Report Suite::run() {
  started_ = std::chrono::steady_clock::now();
  run_connect();
  if (ready_) {
    if (wants("versions")) run_versions();
    if (wants("produce")) run_produce();
    if (wants("idempotence")) run_idempotence();
    if (wants("errors")) run_errors();
    if (wants("admin")) run_admin();
    if (wants("consume")) run_consume();
    if (wants("group")) run_group();
    if (wants("transactions")) run_transactions();
    delete_own_topic();
  }
  report_.topic = topic_;
  report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return std::move(report_);
}

bool Suite::wants(const std::string& group) const {
  if (!options_.only.empty() && !options_.only.count(group)) return false;
  return !options_.skip.count(group);
}

Cell Suite::cell(std::string group, std::string name) const {
  Cell c;
  c.group = std::move(group);
  c.name = std::move(name);
  return c;
}

void Suite::add(Cell c) {
  if (options_.progress) {
    std::fprintf(stderr, "  %-12s %-12s %-34s %s\n", c.group.c_str(), std::string(status_name(c.status)).c_str(),
                 c.name.c_str(), c.detail.c_str());
  }
  report_.cells.push_back(std::move(c));
}

std::optional<std::pair<std::int16_t, std::int16_t>> Suite::advertised(ApiKey key) const {
  const auto* range = versions_.find(key);
  if (!range) return std::nullopt;
  return std::make_pair(range->min_version, range->max_version);
}

bool Suite::advertises(ApiKey key, std::int16_t version) const {
  auto range = advertised(key);
  return range && version >= range->first && version <= range->second;
}

std::string Suite::advertised_text(ApiKey key) const {
  auto range = advertised(key);
  if (!range) return "the endpoint does not advertise " + std::string(protocol::api_name(key));
  return "the endpoint advertises " + std::string(protocol::api_name(key)) + " v" + std::to_string(range->first) +
         "-" + std::to_string(range->second);
}

std::error_code Suite::connect_bootstrap(std::optional<net::BlockingClient>& out, std::string& why) {
  out.reset();
  auto client = make_client(config_);
  if (auto ec = client.connect()) {
    why = connect_failure(client, ec);
    return ec;
  }
  out.emplace(std::move(client));
  return {};
}

net::BlockingClient& Suite::leader() {
  (void)reader_->ensure_open();  // on failure the closed connection reports why
  return reader_->leader();
}

net::BlockingClient& Suite::bootstrap() {
  if (!bootstrap_->connection().is_open()) {
    std::optional<net::BlockingClient> fresh;
    std::string why;
    if (!connect_bootstrap(fresh, why)) bootstrap_ = std::move(fresh);
  }
  return *bootstrap_;
}

std::error_code Suite::produce_raw(net::BlockingClient& client, const std::string& topic,
                                   const protocol::Uuid& topic_id, std::int32_t partition,
                                   std::span<const std::uint8_t> batch, std::int16_t acks, std::int16_t max_version,
                                   protocol::ProduceResponse::PartitionResponse& out, std::int16_t& version,
                                   std::string& why) {
  protocol::ProduceRequest request;
  request.acks = acks;
  request.timeout_ms = config_.request_timeout_ms;
  protocol::ProduceRequest::TopicData t;
  t.name = topic;
  t.topic_id = topic_id;
  protocol::ProduceRequest::PartitionData p;
  p.index = partition;
  p.records = batch;
  t.partition_data.push_back(std::move(p));
  request.topic_data.push_back(std::move(t));
  // Produce v13 names topics by id only.
  if (topic_id.is_zero()) max_version = std::min<std::int16_t>(max_version, 12);
  protocol::ProduceResponse response;
  version = -1;
  if (auto ec = client.request(request, response, version, max_version)) {
    why = "Produce v" + std::to_string(version) + ": " + error_name(ec);
    return ec;
  }
  out = {};
  if (acks == 0) return {};  // no response by design
  for (const auto& rt : response.responses)
    for (const auto& rp : rt.partition_responses)
      if (rp.index == partition) {
        out = rp;
        return {};
      }
  why = "Produce v" + std::to_string(version) + " response lacks the partition";
  return make_error_code(client_errc::malformed);
}

std::string Suite::init_producer_id(std::int16_t max_version, protocol::InitProducerIdResponse& out,
                                    std::int16_t& used) {
  const auto deadline = std::chrono::steady_clock::now() + options_.cell_timeout;
  while (true) {
    protocol::InitProducerIdRequest request;
    request.transaction_timeout_ms = 60000;
    if (auto ec = bootstrap().request(request, out, used, max_version)) return error_name(ec);
    if (out.error_code == kwire::errc::none) return {};
    if (!error_traits(out.error_code).retriable || std::chrono::steady_clock::now() > deadline)
      return error_name(make_error_code(out.error_code));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::error_code Suite::log_end_offset(std::int64_t& out, std::string& why) {
  if (advertised(ApiKey::list_offsets))
    return reader_->list_offset(protocol::list_offsets_timestamp::latest, out, &why);
  // Without ListOffsets, Fetch's high watermark says the same.
  FetchRound round;
  if (auto ec = reader_->fetch(0, round, &why, protocol::FetchRequest::max_version, std::chrono::milliseconds(0))) {
    why = "no ListOffsets, and " + why;
    return ec;
  }
  out = round.high_watermark;
  return {};
}

std::error_code Suite::wait_for_end_offset(std::int64_t target, std::int64_t& seen, std::string& why) {
  const auto deadline = std::chrono::steady_clock::now() + options_.cell_timeout;
  while (true) {
    if (auto ec = log_end_offset(seen, why)) return ec;
    if (seen >= target) return {};
    if (std::chrono::steady_clock::now() > deadline) {
      why = "the log end offset stayed at " + std::to_string(seen) + ", expected " + std::to_string(target);
      return make_error_code(client_errc::timed_out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

namespace {

std::string show(const std::optional<std::vector<std::uint8_t>>& v) {
  if (!v) return "null";
  std::string text(v->begin(), v->end());
  if (text.size() > 24) text = text.substr(0, 24) + "...(" + std::to_string(v->size()) + " bytes)";
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
  return "\"" + text + "\"";
}

bool same(const std::optional<std::vector<std::uint8_t>>& got, const std::optional<std::string>& want) {
  if (got.has_value() != want.has_value()) return false;
  return !got || std::equal(got->begin(), got->end(), want->begin(), want->end(),
                            [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); });
}

std::optional<std::vector<std::uint8_t>> as_bytes(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::vector<std::uint8_t>(s->begin(), s->end());
}

}  // namespace

std::string Suite::compare_records(const std::vector<protocol::Record>& got, const std::vector<TestRecord>& expected,
                                   std::int64_t first_offset, const std::vector<std::int64_t>& timestamps) {
  if (got.size() != expected.size())
    return "read " + std::to_string(got.size()) + " records, expected " + std::to_string(expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto& g = got[i];
    const auto& e = expected[i];
    const std::string at = "record " + std::to_string(i) + " (offset " + std::to_string(g.offset) + "): ";
    if (g.offset != first_offset + static_cast<std::int64_t>(i))
      return at + "expected offset " + std::to_string(first_offset + static_cast<std::int64_t>(i));
    if (!same(g.key, e.key)) return at + "key " + show(g.key) + ", expected " + show(as_bytes(e.key));
    if (!same(g.value, e.value)) return at + "value " + show(g.value) + ", expected " + show(as_bytes(e.value));
    if (g.headers.size() != e.headers.size())
      return at + std::to_string(g.headers.size()) + " headers, expected " + std::to_string(e.headers.size());
    for (std::size_t h = 0; h < e.headers.size(); ++h) {
      if (g.headers[h].key != e.headers[h].key)
        return at + "header " + std::to_string(h) + " key \"" + g.headers[h].key + "\", expected \"" +
               e.headers[h].key + "\"";
      if (!same(g.headers[h].value, e.headers[h].value))
        return at + "header " + e.headers[h].key + " value " + show(g.headers[h].value) + ", expected " +
               show(as_bytes(e.headers[h].value));
    }
    if (!timestamps.empty() && g.timestamp != timestamps[i])
      return at + "timestamp " + std::to_string(g.timestamp) + ", expected " + std::to_string(timestamps[i]);
  }
  return {};
}

std::vector<std::uint8_t> Suite::build_batch(const std::vector<TestRecord>& records, std::int64_t base_ts,
                                             const protocol::BatchSealParams& params) {
  auto span_of = [](const std::optional<std::string>& s) -> std::optional<std::span<const std::uint8_t>> {
    if (!s) return std::nullopt;
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s->data()), s->size());
  };
  protocol::RecordBatchBuilder builder(base_ts);
  std::vector<protocol::RecordHeader> headers;
  for (std::size_t i = 0; i < records.size(); ++i) {
    headers.clear();
    for (const auto& h : records[i].headers) headers.push_back({h.key, span_of(h.value)});
    builder.append(base_ts + static_cast<std::int64_t>(i), span_of(records[i].key), span_of(records[i].value),
                   headers);
  }
  auto sealed = builder.seal(params);
  return {sealed.begin(), sealed.end()};
}

Report run_suite(const SuiteOptions& options) { return Suite(options).run(); }

// ------------------------------------------------------------------ connect

void Suite::run_connect() {
  // 1. Connect (TLS, ApiVersions, SASL as configured).
  Cell c = cell("connect", "connect " + report_.security_protocol +
                               (report_.sasl_mechanism.empty() ? "" : " " + report_.sasl_mechanism));
  std::string why;
  if (auto ec = connect_bootstrap(bootstrap_, why)) {
    c.status = Status::fail;
    c.detail = "cannot connect to " + report_.bootstrap + ": " + why;
    add(std::move(c));
    return;
  }
  auto& conn = bootstrap_->connection();
  versions_ = conn.broker_versions();
  c.detail = conn.address() + ", ApiVersions v" + std::to_string(conn.api_versions_version()) + ", " +
             std::to_string(versions_.api_keys.size()) + " APIs advertised";
  if (!conn.sasl_mechanism().empty()) c.detail += ", authenticated with " + conn.sasl_mechanism();
  add(std::move(c));

  // 2. The suite's topic: given, or made with CreateTopics when the
  // endpoint offers it, or else auto-created through Metadata.
  Cell t = cell("connect", "topic");
  topic_ = options_.topic;
  const bool create = topic_.empty();
  std::string made_how = "auto-created ";
  std::string create_failed;
  if (create) {
    topic_ = "kwire-conformance-" + std::to_string(now_ms()) + "-" + std::to_string(::getpid());
    created_topic_ = true;
    if (advertised(ApiKey::create_topics)) {
      std::int16_t used = -1;
      create_failed = create_topic(topic_, 1, protocol::CreateTopicsRequest::max_version, used);
      if (create_failed.empty()) made_how = "created with CreateTopics v" + std::to_string(used) + ": ";
    }
  }
  t.topic = topic_;
  const auto deadline = std::chrono::steady_clock::now() + options_.cell_timeout;
  std::error_code ec;
  while (true) {
    protocol::MetadataRequest request;
    request.topics.emplace();
    request.topics->push_back({.topic_id = {}, .name = topic_, .unknown_tags = {}});
    request.allow_auto_topic_creation = create;
    protocol::MetadataResponse response;
    std::int16_t version = -1;
    ec = bootstrap_->request(request, response, version);
    if (ec) {
      why = "Metadata v" + std::to_string(version) + ": " + error_name(ec);
      break;
    }
    PartitionLocation location;
    ec = locate_partition(*bootstrap_, topic_, partition_, location, &why);
    if (!ec) break;
    const bool transient = ec == kwire::errc::leader_not_available || (create && ec == kwire::errc::unknown_topic_or_partition);
    if (!transient || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (ec) {
    t.status = Status::fail;
    t.detail = why + (create ? " (the endpoint did not auto-create " + topic_ +
                                   (create_failed.empty() ? "" : ", and " + create_failed) +
                                   "; pass -t with an existing topic)"
                             : "");
    add(std::move(t));
    return;
  }
  reader_ = std::make_unique<PartitionReader>(config_, topic_, partition_);
  if (auto open_ec = reader_->open(&why)) {
    t.status = Status::fail;
    t.detail = why;
    add(std::move(t));
    return;
  }
  const auto& loc = reader_->location();
  t.detail = (create ? made_how : "using ") + topic_ + ", partition 0 led by broker " +
             std::to_string(loc.leader_id) + " at " + loc.host + ":" + std::to_string(loc.port) +
             (loc.topic_id.is_zero() ? ", no topic id" : ", topic id " + loc.topic_id.to_base64());
  add(std::move(t));
  ready_ = true;
}

}  // namespace kwire::cli::conformance
