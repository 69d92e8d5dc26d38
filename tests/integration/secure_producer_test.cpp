// kwire::Producer and the kwire CLI over every secured listener and SASL
// mechanism the broker harness offers (SSL, mutual TLS, SASL_PLAINTEXT and
// SASL_SSL with PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512, OAUTHBEARER with a
// token from config and from a callback, GSSAPI), every record read back
// byte for byte by an independent consumer (kcat on PLAINTEXT). Then the
// failures a user meets — wrong password, unknown user, unknown CA, host
// name mismatch, no client certificate on mTLS, a mechanism the listener
// does not offer — each making the producer's records fail promptly with
// client_errc::authentication_failed and a detail naming what failed and
// the setting to check, never a secret, in no report and no log line.
// (Connection-level checks of the same listeners: security_test.cpp.)
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <kwire/producer/producer.hpp>
#include <kwire/protocol/client_error.hpp>
#include <kwire/security/sasl_oauthbearer.hpp>

#include "secure_support.hpp"
#include "support.hpp"
#include "support/test_pki.hpp"

using namespace std::chrono_literals;
using kwire::Producer;
using kwire::client_errc;
using kwire::producer::DeliveryReport;
using kwire::producer::HeaderView;
using kwire::producer::LogLevel;
using kwire::producer::ProducerConfig;
using kwire::producer::RecordView;
using kwire::test::broker_env;
using kwire::test::consume_with_kcat;
using kwire::test::ConsumedRecord;
using kwire::test::create_topic;
using kwire::test::Properties;
using kwire::test::run_command;
using kwire::test::SecureListener;
using kwire::test::shell_quote;
using kwire::test::unique_topic;

namespace {

/// Every line the producer logs, for the "no secret in any log line" checks.
class LogCapture {
 public:
  kwire::producer::LogHandler handler() {
    return [this](LogLevel, std::string_view line) {
      std::lock_guard lock(m_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(m_);
    return lines_;
  }
  bool contains(const std::string& part) {
    std::lock_guard lock(m_);
    for (const auto& l : lines_)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }

 private:
  std::mutex m_;
  std::vector<std::string> lines_;
};

/// Delivery reports by record index.
class Reports {
 public:
  explicit Reports(std::size_t n) : reports_(n), counts_(n, 0) {}
  kwire::producer::DeliveryCallback callback(std::size_t i) {
    return [this, i](const DeliveryReport& r) {
      std::lock_guard lock(m_);
      reports_.at(i) = r;
      ++counts_.at(i);
      ++total_;
      cv_.notify_all();
    };
  }
  bool wait_all(std::chrono::seconds timeout) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, timeout, [&] { return total_ >= reports_.size(); });
  }
  std::vector<DeliveryReport> all() {
    std::lock_guard lock(m_);
    return reports_;
  }
  bool each_once() {
    std::lock_guard lock(m_);
    for (int c : counts_)
      if (c != 1) return false;
    return true;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<DeliveryReport> reports_;
  std::vector<int> counts_;
  std::size_t total_ = 0;
};

struct Expected {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// A small mixed record set tagged with `tag`: keys, a null key, an empty
/// and a null value, headers, and a binary value.
std::vector<Expected> records_for(const std::string& tag, std::uint32_t seed) {
  std::vector<Expected> out;
  for (int i = 0; i < 6; ++i)
    out.push_back({tag + "-k" + std::to_string(i), tag + " value " + std::to_string(i),
                   i % 2 == 0 ? std::vector<std::pair<std::string, std::string>>{{"listener", tag}, {"empty", ""}}
                              : std::vector<std::pair<std::string, std::string>>{}});
  out.push_back({std::nullopt, tag + " null key", {{"listener", tag}}});
  out.push_back({tag + "-empty", std::string(), {}});
  out.push_back({tag + "-tombstone", std::nullopt, {}});
  std::mt19937 rng(seed);
  std::string binary(3000, '\0');
  for (char& c : binary) c = static_cast<char>(rng() & 0xff);
  out.push_back({tag + "-binary", binary, {{"listener", tag}}});
  return out;
}

void send_all(Producer& producer, const std::string& topic, std::int32_t partition,
              const std::vector<Expected>& records, Reports& reports) {
  std::vector<HeaderView> headers;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Expected& e = records[i];
    RecordView view(topic, e.key ? std::optional<std::string_view>(*e.key) : std::nullopt,
                    e.value ? std::optional<std::string_view>(*e.value) : std::nullopt);
    view.partition = partition;
    headers.clear();
    for (const auto& [k, v] : e.headers) headers.emplace_back(k, std::optional<std::string_view>(v));
    view.headers = headers;
    producer.send(view, reports.callback(i));
  }
}

Properties producer_properties(const std::string& bootstrap, Properties security) {
  security["bootstrap.servers"] = bootstrap;
  security["client.id"] = "kwire-secure-producer-test";
  security.emplace("linger.ms", "5");
  security.emplace("socket.connection.setup.timeout.ms", "15000");
  return security;
}

/// Produces `records` to `partition` over `config` (idempotent, acks=all:
/// the defaults) and checks every report.
void produce_and_check(const std::string& name, ProducerConfig config, const std::string& topic,
                       std::int32_t partition, const std::vector<Expected>& records, LogCapture& log) {
  CAPTURE(name);
  Reports reports(records.size());
  {
    Producer producer(std::move(config), log.handler());
    std::string detail;
    const std::error_code ec = producer.wait_for_cluster(60s, &detail);
    REQUIRE_MESSAGE(!ec, name << ": " << ec.message() << ": " << detail);
    send_all(producer, topic, partition, records, reports);
    CHECK(producer.flush(60s));
    CHECK(producer.close(30s));
  }
  REQUIRE(reports.wait_all(1s));
  CHECK(reports.each_once());
  for (const auto& r : reports.all()) CHECK_MESSAGE(r.ok(), name << ": " << r.error.message() << " " << r.detail);
}

/// kcat's records of one partition (offset order) against what was sent
/// there, in order, byte for byte: nothing lost, nothing twice.
void check_read_back(const std::string& name, const std::vector<ConsumedRecord>& consumed, std::int32_t partition,
                     const std::vector<Expected>& expected) {
  CAPTURE(name);
  std::vector<const ConsumedRecord*> mine;
  for (const auto& r : consumed)
    if (r.partition == partition) mine.push_back(&r);
  REQUIRE(mine.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(mine[i]->key == expected[i].key);
    CHECK(mine[i]->value.has_value() == expected[i].value.has_value());
    if (mine[i]->value && expected[i].value) CHECK(*mine[i]->value == *expected[i].value);
    CHECK(mine[i]->headers == expected[i].headers);
  }
}

/// One topic for this file's producer and CLI tests (creating a topic
/// takes seconds: a JVM), each listener writing to partitions of its own:
/// the producer test 0..kProducerPartitions-1 (the re-authentication run
/// the last of them), the CLI test the kCliPartitions after them.
constexpr std::int32_t kProducerPartitions = 16;
constexpr std::int32_t kCliPartitions = 16;
struct Topics {
  std::string shared;  ///< kProducerPartitions + kCliPartitions partitions
  std::string perf;    ///< `kwire perf` spreads its records over every partition: a topic of its own
};
const Topics& topics() {
  static const Topics t = [] {
    Topics made{unique_topic("kwire-secure"), unique_topic("kwire-secure-perf")};
    // Side by side: each creation starts a JVM.
    std::thread perf([&] { create_topic(made.perf, 1); });
    create_topic(made.shared, kProducerPartitions + kCliPartitions);
    perf.join();
    return made;
  }();
  return t;
}
const std::string& shared_topic() { return topics().shared; }

/// Records produced across a KIP-368 re-authentication (run beside the
/// other listeners: the broker's session limit sets its length).
struct ReauthRun {
  bool ran = false;
  std::string skipped;
  bool reauthenticated = false;
  bool flushed = false;
  std::vector<std::string> values;
  std::vector<DeliveryReport> reports;
  int token_fetches = 0;
};

ReauthRun produce_across_reauthentication(const std::string& topic, std::int32_t partition) {
  ReauthRun run;
  const auto& env = broker_env();
  if (!env.has("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER") || !env.has("KWIRE_OAUTHBEARER_REAUTH_MS")) {
    run.skipped = "the broker env has no OAUTHBEARER session limit";
    return run;
  }
  const auto limit = std::chrono::milliseconds(std::stoll(env.get("KWIRE_OAUTHBEARER_REAUTH_MS")));
  if (limit > 30s) {
    run.skipped = "session limit " + std::to_string(limit.count()) + " ms is too long for a test";
    return run;
  }
  run.ran = true;
  auto calls = std::make_shared<std::atomic<int>>(0);
  ProducerConfig config = ProducerConfig::from_properties(producer_properties(
      env.get("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"),
      {{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"}, {"linger.ms", "0"}}));
  config.sasl_oauthbearer_token_provider = [calls] {
    ++*calls;
    return kwire::security::make_unsecured_jwt("alice", 600s);
  };
  LogCapture log;
  const std::size_t max_records = static_cast<std::size_t>(limit / 100ms) * 2 + 20;
  Reports reports(max_records);
  std::size_t sent = 0;
  {
    Producer producer(std::move(config), log.handler());
    if (producer.wait_for_cluster(60s)) return run;
    // One record every 100 ms until the connection re-authenticated, then
    // a second's worth more; at most twice the session limit.
    const auto give_up = std::chrono::steady_clock::now() + 2 * limit;
    std::optional<std::chrono::steady_clock::time_point> reauthenticated;
    while (sent + 1 < max_records && std::chrono::steady_clock::now() < give_up) {
      run.values.push_back("reauth record " + std::to_string(sent));
      RecordView view(topic, std::nullopt, run.values.back());
      view.partition = partition;
      producer.send(view, reports.callback(sent));
      ++sent;
      std::this_thread::sleep_for(100ms);
      if (!reauthenticated && log.contains("re-authenticated with")) reauthenticated = std::chrono::steady_clock::now();
      if (reauthenticated && std::chrono::steady_clock::now() - *reauthenticated > 1s) break;
    }
    run.reauthenticated = reauthenticated.has_value() && log.contains("(OAUTHBEARER)");
    run.flushed = producer.flush(60s);
    producer.close(30s);
  }
  run.reports = reports.all();
  run.reports.resize(sent);
  run.token_fetches = calls->load();
  return run;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("the producer over every secured listener and mechanism, and across a KIP-368 re-authentication; "
          "kcat reads every record back byte for byte") {
  const std::vector<SecureListener> listeners = kwire::test::secure_listeners();
  if (listeners.empty()) {
    MESSAGE("skipped: the broker has no secured listeners");
    return;
  }
  const std::string& topic = shared_topic();
  const std::int32_t reauth_partition = kProducerPartitions - 1;
  // OAUTHBEARER across a re-authentication, meanwhile, on its own partition.
  ReauthRun reauth;
  std::thread reauth_thread([&] {
    try {
      reauth = produce_across_reauthentication(topic, reauth_partition);
    } catch (const std::exception& e) {
      reauth.ran = true;  // and reports nothing: the checks below fail
      reauth.skipped = e.what();
    }
  });
  // Joined on every way out (a failed REQUIRE below throws).
  struct Joiner {
    std::thread& thread;
    ~Joiner() {
      if (thread.joinable()) thread.join();
    }
  } joiner{reauth_thread};

  LogCapture log;
  std::vector<std::pair<std::string, std::vector<Expected>>> produced;  // by partition
  std::set<std::string> mechanisms;
  auto next_partition = [&] {
    const auto p = static_cast<std::int32_t>(produced.size());
    REQUIRE(p < reauth_partition);
    return p;
  };
  for (const SecureListener& l : listeners) {
    std::string tag = l.name;
    for (char& c : tag)
      if (c == ' ') c = '_';
    auto records = records_for(tag, static_cast<std::uint32_t>(produced.size() + 1));
    produce_and_check(l.name, ProducerConfig::from_properties(producer_properties(l.bootstrap, l.properties)), topic,
                      next_partition(), records, log);
    produced.emplace_back(l.name, std::move(records));
    mechanisms.insert(l.mechanism);
  }
  // OAUTHBEARER with a static token from the config and with the token
  // from a user callback (asked at every authentication).
  if (broker_env().has("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER")) {
    const std::string boot = broker_env().get("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER");
    const std::string token = kwire::security::make_unsecured_jwt("alice", 600s);
    auto records = records_for("OAUTHBEARER_static_token", 100);
    produce_and_check("OAUTHBEARER sasl.oauthbearer.token",
                      ProducerConfig::from_properties(producer_properties(
                          boot, {{"security.protocol", "SASL_PLAINTEXT"},
                                 {"sasl.mechanism", "OAUTHBEARER"},
                                 {"sasl.oauthbearer.token", token}})),
                      topic, next_partition(), records, log);
    produced.emplace_back("OAUTHBEARER sasl.oauthbearer.token", std::move(records));
    CHECK_FALSE(log.contains(token));

    auto calls = std::make_shared<std::atomic<int>>(0);
    ProducerConfig config = ProducerConfig::from_properties(
        producer_properties(boot, {{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"}}));
    config.sasl_oauthbearer_token_provider = [calls] {
      ++*calls;
      return kwire::security::make_unsecured_jwt("alice", 600s);
    };
    records = records_for("OAUTHBEARER_callback", 101);
    produce_and_check("OAUTHBEARER token callback", std::move(config), topic, next_partition(), records, log);
    produced.emplace_back("OAUTHBEARER token callback", std::move(records));
    CHECK(calls->load() >= 1);
  }
  reauth_thread.join();
  MESSAGE(listeners.size() << " listener/mechanism pairs (+2 OAUTHBEARER token sources)");
  // The harness offers all of these; a missing one means a broken harness,
  // not a reason to pass quietly.
  if (broker_env().managed())
    for (const char* m : {"", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"})
      CHECK_MESSAGE(mechanisms.count(m) == 1, "no listener with mechanism '" << m << "'");

  std::size_t total = 0;
  for (const auto& [name, records] : produced) total += records.size();
  total += reauth.reports.size();
  const auto consumed = consume_with_kcat(topic, std::nullopt);
  std::size_t mine = 0;
  for (const auto& r : consumed) mine += r.partition < kProducerPartitions ? 1 : 0;
  CHECK(mine == total);
  for (std::size_t p = 0; p < produced.size(); ++p)
    check_read_back(produced[p].first, consumed, static_cast<std::int32_t>(p), produced[p].second);
  // No secret in any log line.
  CHECK_FALSE(log.contains(broker_env().get("KWIRE_SASL_PASSWORD")));

  // The re-authentication run: every record delivered, once, in order.
  if (!reauth.ran) {
    MESSAGE("re-authentication run skipped: " << reauth.skipped);
    return;
  }
  CAPTURE(reauth.token_fetches);
  CAPTURE(reauth.skipped);
  CHECK(reauth.reauthenticated);
  CHECK(reauth.flushed);
  REQUIRE_FALSE(reauth.reports.empty());
  for (std::size_t i = 0; i < reauth.reports.size(); ++i)
    CHECK_MESSAGE(reauth.reports[i].ok(), i << ": " << reauth.reports[i].error.message());
  std::vector<Expected> sent;
  for (const auto& v : reauth.values) sent.push_back({std::nullopt, v, {}});
  check_read_back("OAUTHBEARER across a re-authentication", consumed, reauth_partition, sent);
  MESSAGE(reauth.reports.size() << " records across the re-authentication, " << reauth.token_fetches
                                << " token fetches");
}

TEST_CASE("refused credentials and certificates: the producer's records fail promptly with authentication_failed") {
  if (!kwire::test::has_env_vars({"KWIRE_BOOTSTRAP_SASL_PLAINTEXT", "KWIRE_BOOTSTRAP_SSL", "KWIRE_BOOTSTRAP_MTLS",
                                  "KWIRE_SSL_CA"}))
    return;
  // Never created: the records fail before any metadata could say so.
  const std::string topic = unique_topic("kwire-secure-refused");
  const std::string wrong_password = "not-the-password-" + std::to_string(::getpid());
  const std::string real_password = broker_env().get("KWIRE_SASL_PASSWORD");
  auto other_ca = kwire::test_pki::Pki::make();

  struct Case {
    std::string name;
    std::string bootstrap;
    Properties properties;
    std::vector<std::string> detail_has;  ///< each must appear in the reports' detail
  };
  std::vector<Case> cases{
      {"wrong password", broker_env().get("KWIRE_BOOTSTRAP_SASL_PLAINTEXT"),
       kwire::test::sasl_properties("SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", wrong_password),
       {"SASL authentication failed for user alice", "check sasl.username / sasl.password"}},
      {"unknown user", broker_env().get("KWIRE_BOOTSTRAP_SASL_PLAINTEXT"),
       kwire::test::sasl_properties("SASL_PLAINTEXT", "PLAIN", "mallory", wrong_password),
       {"for user mallory", "check sasl.username / sasl.password"}},
      {"unknown CA", broker_env().get("KWIRE_BOOTSTRAP_SSL"),
       {{"security.protocol", "SSL"}, {"ssl.ca.pem", other_ca.ca_pem}},
       {"not signed by a trusted CA"}},
      {"missing client certificate", broker_env().get("KWIRE_BOOTSTRAP_MTLS"), kwire::test::tls_properties(),
       {"requires a client certificate"}},
      {"unsupported mechanism", broker_env().get("KWIRE_BOOTSTRAP_SASL_PLAINTEXT"), kwire::test::oauth_properties(),
       {"SASL mechanism OAUTHBEARER is not enabled", "check sasl.mechanism"}},
  };
  if (broker_env().has("KWIRE_BOOTSTRAP_SSL_WRONGHOST"))
    cases.push_back({"host name mismatch", broker_env().get("KWIRE_BOOTSTRAP_SSL_WRONGHOST"),
                     kwire::test::tls_properties(), {"does not match the host name"}});

  for (const Case& c : cases) {
    CAPTURE(c.name);
    LogCapture log;
    // Long delivery and block timeouts: records must fail because of the
    // refusal, well before either could end them.
    Properties p = producer_properties(c.bootstrap, c.properties);
    p["delivery.timeout.ms"] = "120000";
    p["request.timeout.ms"] = "60000";
    p["max.block.ms"] = "120000";
    const std::size_t n = 5;
    Reports reports(n);
    std::future<kwire::producer::RecordMetadata> future;
    {
      Producer producer(p, log.handler());
      // The start-up check says the same, with the same detail.
      std::string detail;
      CHECK(producer.wait_for_cluster(30s, &detail) == make_error_code(client_errc::authentication_failed));
      CHECK_MESSAGE(contains(detail, c.detail_has.front()), detail);
      for (std::size_t i = 0; i < n; ++i)
        producer.send(RecordView(topic, "k" + std::to_string(i), "refused"), reports.callback(i));
      future = producer.send(RecordView(topic, "future", "refused"));
      // Well before max.block.ms / delivery.timeout.ms (120 s).
      CHECK(reports.wait_all(30s));
      REQUIRE(future.wait_for(30s) == std::future_status::ready);
      CHECK(producer.close(0ms));
    }
    REQUIRE(reports.wait_all(1s));
    CHECK(reports.each_once());
    for (const DeliveryReport& r : reports.all()) {
      CHECK(r.error == make_error_code(client_errc::authentication_failed));
      for (const auto& part : c.detail_has) CHECK_MESSAGE(contains(r.detail, part), r.detail);
      CHECK_FALSE(contains(r.detail, wrong_password));
    }
    MESSAGE(c.name << ": " << reports.all().front().detail);
    // The future carries the same error, its what() the detail.
    try {
      future.get();
      FAIL("the future should hold the refusal");
    } catch (const std::system_error& e) {
      CHECK(e.code() == make_error_code(client_errc::authentication_failed));
      CHECK(contains(e.what(), c.detail_has.front()));
      CHECK_FALSE(contains(e.what(), wrong_password));
    }
    // Logged (an error naming the broker), but never a secret.
    CHECK(log.contains(c.detail_has.front()));
    for (const auto& line : log.lines()) {
      CHECK_FALSE(contains(line, wrong_password));
      CHECK_FALSE(contains(line, real_password));
    }
  }
}

TEST_CASE("the CLI over every secured listener: api-versions, metadata, produce, consume and perf") {
  const std::vector<SecureListener> listeners = kwire::test::secure_listeners();
  if (listeners.empty()) {
    MESSAGE("skipped: the broker has no secured listeners");
    return;
  }
  REQUIRE(listeners.size() <= static_cast<std::size_t>(kCliPartitions));
  const std::string& topic = shared_topic();
  const std::string cli = shell_quote(kwire::test::kwire_cli());
  struct Run {
    kwire::test::CommandResult versions, metadata, produce, consume, perf;
  };
  std::vector<Run> runs(listeners.size());
  auto base_of = [&](const SecureListener& l) {
    return " -b " + shell_quote(l.bootstrap) + kwire::test::cli_properties(l.properties);
  };
  auto env_of = [](const SecureListener& l) { return l.cli_env.empty() ? std::string() : l.cli_env + " "; };
  // The listeners side by side (each its own partition): the commands
  // mostly wait for handshakes and the broker.
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < listeners.size(); ++i)
    threads.emplace_back([&, i] {
      const SecureListener& l = listeners[i];
      const std::string base = base_of(l);
      const std::string env = env_of(l);
      const std::string partition = std::to_string(kProducerPartitions + static_cast<std::int32_t>(i));
      Run& r = runs[i];
      r.versions = run_command(env + cli + " api-versions" + base + " 2>&1");
      r.metadata = run_command(env + cli + " metadata" + base + " " + shell_quote(topic) + " 2>&1");
      r.produce = run_command("printf 'k1:one\\nk2:two\\nk3:three\\n' | " + env + cli + " produce" + base + " -t " +
                              shell_quote(topic) + " -p " + partition + " -k : 2>&1");
      r.consume = run_command(env + cli + " consume" + base + " -t " + shell_quote(topic) + " -p " + partition +
                              " -e -f '%k=%s\\n' 2>/dev/null");
      // All listeners write to the perf topic at once, so its own
      // ListOffsets count (--no-confirm) would mix them up: kcat counts below.
      r.perf = run_command(env + cli + " perf" + base + " -t " + shell_quote(topics().perf) +
                           " -n 200 -s 64 --json --no-progress --no-confirm 2>&1");
    });
  for (auto& t : threads) t.join();

  const auto theirs = consume_with_kcat(topic, std::nullopt);
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    const SecureListener& l = listeners[i];
    const Run& r = runs[i];
    CAPTURE(l.name);
    CHECK_MESSAGE(r.versions.exit_code == 0, r.versions.output);
    CHECK(contains(r.versions.output, "Produce"));
    CHECK_MESSAGE(r.metadata.exit_code == 0, r.metadata.output);
    CHECK(contains(r.metadata.output, topic));
    CHECK_MESSAGE(r.produce.exit_code == 0, r.produce.output);
    // kwire consume over the same listener, and kcat on PLAINTEXT: both see the three.
    CHECK(r.consume.exit_code == 0);
    CHECK(r.consume.output == "k1=one\nk2=two\nk3=three\n");
    std::vector<Expected> expected{{"k1", "one", {}}, {"k2", "two", {}}, {"k3", "three", {}}};
    check_read_back(l.name, theirs, kProducerPartitions + static_cast<std::int32_t>(i), expected);
  }

  // perf: every record of every listener's run is in the perf topic.
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    CAPTURE(listeners[i].name);
    const auto& perf = runs[i].perf;
    CHECK_MESSAGE(perf.exit_code == 0, perf.output);
    CHECK_MESSAGE(contains(perf.output, "\"delivered\":200,\"failed\":0"), perf.output);
  }
  CHECK(consume_with_kcat(topics().perf).size() == 200 * listeners.size());  // none lost, none twice

  // A refused password through the CLI: exit 1, the detail, not the password.
  if (broker_env().has("KWIRE_BOOTSTRAP_SASL_PLAINTEXT")) {
    const std::string wrong = "cli-wrong-" + std::to_string(::getpid());
    auto refused = run_command(
        "echo x | " + cli + " produce -b " + shell_quote(broker_env().get("KWIRE_BOOTSTRAP_SASL_PLAINTEXT")) +
        kwire::test::cli_properties(kwire::test::sasl_properties("SASL_PLAINTEXT", "SCRAM-SHA-512", "alice", wrong)) +
        " -t " + shell_quote(topic) + " 2>&1");
    CHECK(refused.exit_code != 0);
    CHECK_MESSAGE(contains(refused.output, "SASL authentication failed for user alice"), refused.output);
    CHECK_FALSE(contains(refused.output, wrong));
  }
}
