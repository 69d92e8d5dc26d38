// `kwire consume` and `kwire conformance` against a real Apache Kafka broker,
// every claim checked by an independent client (kcat, i.e. librdkafka):
//  - kwire consume reads what kcat produced (every codec) byte for byte;
//  - kwire conformance is green on every listener the harness offers, and
//    every record set it says it stored is read back by kcat;
//  - the mock cluster passes every cell it offers;
//  - deliberately broken endpoints turn the right cells red: the mock
//    cluster with --drop-fetch (advertises Fetch, closes the connection on
//    every Fetch request) and a proxy in front of the real broker that
//    corrupts the record batches in Fetch responses (so their CRC-32C no
//    longer matches).
#include <doctest/doctest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <kwire/protocol/api.hpp>
#include <kwire/protocol/fetch.hpp>
#include <kwire/protocol/message.hpp>
#include <kwire/protocol/metadata.hpp>
#include <kwire/protocol/reader.hpp>
#include <kwire/protocol/record_batch.hpp>
#include <kwire/protocol/writer.hpp>

#include "../../tools/cli/conformance_records.hpp"
#include "conformance_report.hpp"
#include "secure_support.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using kwire::test::broker_env;
using kwire::test::consume_with_kcat;
using kwire::test::ConsumedRecord;
using kwire::test::run_command;
using kwire::test::shell_quote;
using kwire::test::unique_topic;
using namespace kwire::test::conformance_report;

namespace {

// ------------------------------------------------------ record comparisons

/// kcat prints a null header value as "NULL".
std::string kcat_header_value(const std::optional<std::string>& v) { return v ? *v : "NULL"; }

/// "" if kcat's records at [first, first + expected.size()) are `expected`.
std::string compare_with_kcat(const std::map<std::int64_t, ConsumedRecord>& by_offset, std::int64_t first,
                              const std::vector<kwire::conformance::TestRecord>& expected) {
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::int64_t offset = first + static_cast<std::int64_t>(i);
    auto it = by_offset.find(offset);
    if (it == by_offset.end()) return "kcat did not see offset " + std::to_string(offset);
    const auto& got = it->second;
    const auto& want = expected[i];
    const std::string at = "offset " + std::to_string(offset) + ": ";
    if (got.key != want.key) return at + "key differs";
    if (got.value != want.value) return at + "value differs";
    if (got.headers.size() != want.headers.size()) return at + "header count differs";
    for (std::size_t h = 0; h < want.headers.size(); ++h)
      if (got.headers[h].first != want.headers[h].key || got.headers[h].second != kcat_header_value(want.headers[h].value))
        return at + "header " + want.headers[h].key + " differs";
  }
  return {};
}

// ------------------------------------------------------------- processes

/// A background process whose first stdout line we need (the mock prints
/// "bootstrap=HOST:PORT"); killed with SIGTERM on destruction.
class Background {
 public:
  explicit Background(const std::string& command) {
    out_ = "/tmp/kwire-conformance-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
    auto r = run_command(command + " >" + shell_quote(out_) + " 2>&1 & echo $!");
    pid_ = std::atoi(r.output.c_str());
  }
  ~Background() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    std::remove(out_.c_str());
  }
  /// The first line, waiting up to `timeout` for it.
  std::string first_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(out_);
      std::string line;
      if (std::getline(in, line) && in) return line;
      std::this_thread::sleep_for(50ms);
    }
    return {};
  }

 private:
  static inline std::atomic<int> counter_{0};
  std::string out_;
  int pid_ = -1;
};

std::string mock_cluster_exe() {
#ifdef KWIRE_MOCK_CLUSTER_EXE
  return KWIRE_MOCK_CLUSTER_EXE;
#else
  // <build>/tools/kwire -> <build>/tests/mock_cluster/kwire-mock-cluster
  std::string path = kwire::test::kwire_cli();
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  path.resize(slash);  // <build>/tools
  slash = path.rfind('/');
  if (slash == std::string::npos) return {};
  path.resize(slash);
  return path + "/tests/mock_cluster/kwire-mock-cluster";
#endif
}

// ------------------------------------------------- a CRC-corrupting proxy

/// A TCP proxy in front of one broker that rewrites Metadata responses so
/// clients keep talking through it, and flips the last byte of every whole
/// record batch in Fetch responses: the batches still parse, but their
/// CRC-32C no longer matches. Everything else passes through untouched.
/// One thread per direction per connection, blocking I/O: simple, and
/// plenty for a test.
class CorruptingProxy {
 public:
  CorruptingProxy(std::string upstream_host, std::uint16_t upstream_port)
      : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~CorruptingProxy() {
    stopping_ = true;
    std::error_code ignored;
    {
      // Wake the blocking accept() so its thread sees stopping_.
      asio::ip::tcp::socket poke(io_);
      poke.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ignored);
    }
    if (accept_thread_.joinable()) accept_thread_.join();
    acceptor_.close(ignored);
    {
      std::lock_guard lock(mutex_);
      for (auto& s : sockets_) {
        s->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        s->close(ignored);
      }
    }
    for (auto& t : threads_) t.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int corrupted_batches() const { return corrupted_; }

 private:
  struct Pending {
    std::mutex mutex;
    std::map<std::int32_t, std::pair<std::int16_t, std::int16_t>> by_correlation;  // api, version
  };

  void accept_loop() {
    while (!stopping_) {
      auto client = std::make_shared<asio::ip::tcp::socket>(io_);
      std::error_code ec;
      acceptor_.accept(*client, ec);
      if (ec || stopping_) return;
      auto server = std::make_shared<asio::ip::tcp::socket>(io_);
      asio::ip::tcp::resolver resolver(io_);
      asio::connect(*server, resolver.resolve(upstream_host_, std::to_string(upstream_port_)), ec);
      if (ec) continue;
      auto pending = std::make_shared<Pending>();
      std::lock_guard lock(mutex_);
      sockets_.push_back(client);
      sockets_.push_back(server);
      threads_.emplace_back([this, client, server, pending] { pump_requests(*client, *server, *pending); });
      threads_.emplace_back([this, client, server, pending] { pump_responses(*server, *client, *pending); });
    }
  }

  static bool read_frame(asio::ip::tcp::socket& from, std::vector<std::uint8_t>& frame) {
    std::uint8_t size_bytes[4];
    std::error_code ec;
    asio::read(from, asio::buffer(size_bytes), ec);
    if (ec) return false;
    const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24) | (std::uint32_t{size_bytes[1]} << 16) |
                               (std::uint32_t{size_bytes[2]} << 8) | size_bytes[3];
    if (size > (256u << 20)) return false;
    frame.resize(size);
    asio::read(from, asio::buffer(frame), ec);
    return !ec;
  }

  static bool write_frame(asio::ip::tcp::socket& to, const std::vector<std::uint8_t>& frame) {
    std::vector<std::uint8_t> out;
    kwire::protocol::Writer w(out);
    w.write_int32(static_cast<std::int32_t>(frame.size()));
    w.write_raw(frame);
    std::error_code ec;
    asio::write(to, asio::buffer(out), ec);
    return !ec;
  }

  static void close_both(asio::ip::tcp::socket& a, asio::ip::tcp::socket& b) {
    std::error_code ignored;
    a.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    b.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  }

  void pump_requests(asio::ip::tcp::socket& client, asio::ip::tcp::socket& server, Pending& pending) {
    std::vector<std::uint8_t> frame;
    while (read_frame(client, frame)) {
      kwire::protocol::Reader in(frame);
      const std::int16_t api = in.read_int16();
      const std::int16_t version = in.read_int16();
      const std::int32_t correlation = in.read_int32();
      {
        std::lock_guard lock(pending.mutex);
        pending.by_correlation[correlation] = {api, version};
      }
      if (!write_frame(server, frame)) break;
    }
    close_both(client, server);
  }

  void pump_responses(asio::ip::tcp::socket& server, asio::ip::tcp::socket& client, Pending& pending) {
    std::vector<std::uint8_t> frame;
    while (read_frame(server, frame)) {
      kwire::protocol::Reader in(frame);
      const std::int32_t correlation = in.read_int32();
      std::pair<std::int16_t, std::int16_t> request{-1, -1};
      {
        std::lock_guard lock(pending.mutex);
        auto it = pending.by_correlation.find(correlation);
        if (it != pending.by_correlation.end()) {
          request = it->second;
          pending.by_correlation.erase(it);
        }
      }
      if (!write_frame(client, transform(frame, request.first, request.second))) break;
    }
    close_both(client, server);
  }

  /// The response frame, with Metadata and Fetch bodies rewritten.
  std::vector<std::uint8_t> transform(const std::vector<std::uint8_t>& frame, std::int16_t api, std::int16_t version) {
    using kwire::protocol::ApiKey;
    const auto key = static_cast<ApiKey>(api);
    if (key != ApiKey::metadata && key != ApiKey::fetch) return frame;
    if (!kwire::protocol::find_support(key)) return frame;
    kwire::protocol::Reader in(frame);
    (void)in.read_int32();  // correlation id
    kwire::protocol::TaggedFields header_tags;
    if (kwire::protocol::response_header_version(key, version) >= 1) in.read_tagged_fields(header_tags);
    if (!in.ok()) return frame;
    const std::size_t header_size = in.position();
    const std::span<const std::uint8_t> body(frame.data() + header_size, frame.size() - header_size);
    std::vector<std::uint8_t> out(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(header_size));

    if (key == ApiKey::metadata) {
      kwire::protocol::MetadataResponse md;
      if (kwire::protocol::decode_message(body, version, md)) return frame;
      for (auto& b : md.brokers) {
        b.host = "127.0.0.1";
        b.port = port_;
      }
      if (kwire::protocol::encode_message(md, version, out)) return frame;
      return out;
    }
    kwire::protocol::FetchResponse fetch;
    if (kwire::protocol::decode_message(body, version, fetch)) return frame;
    std::vector<std::vector<std::uint8_t>> copies;
    copies.reserve(64);
    for (auto& t : fetch.responses)
      for (auto& p : t.partitions) {
        if (!p.records || p.records->empty()) continue;
        auto& copy = copies.emplace_back(p.records->begin(), p.records->end());
        // Walk whole batches: base_offset(8) batch_length(4) ...; flip the
        // last byte of each, inside the CRC-covered part.
        std::size_t at = 0;
        while (at + 12 <= copy.size()) {
          const std::uint32_t length = (std::uint32_t{copy[at + 8]} << 24) | (std::uint32_t{copy[at + 9]} << 16) |
                                       (std::uint32_t{copy[at + 10]} << 8) | copy[at + 11];
          const std::size_t end = at + 12 + length;
          if (end > copy.size()) break;
          copy[end - 1] ^= 0x01;
          ++corrupted_;
          at = end;
        }
        p.records = std::span<const std::uint8_t>(copy);
      }
    if (kwire::protocol::encode_message(fetch, version, out)) return frame;
    return out;
  }

  std::string upstream_host_;
  std::uint16_t upstream_port_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> corrupted_{0};
  std::mutex mutex_;
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

}  // namespace

// =====================================================================
/// The consume, group and transactions groups' cells on the harness broker
/// (issues 15 and 16): every cell passes, except what the broker cannot
/// offer: KIP-848 on 3.9 (no ConsumerGroupHeartbeat) and TV2 where the
/// cluster's transaction.version is below 2 (3.9). "" when so, else what is
/// wrong.
std::string consumer_and_transaction_cells_pass(const SuiteRun& run, const std::string& kafka_version) {
  const bool v39 = kafka_version.rfind("3.9", 0) == 0;
  std::string wrong;
  std::map<std::string, int> per_group;
  for (const auto& c : run.cells) {
    if (c.group != "consume" && c.group != "group" && c.group != "transactions") continue;
    ++per_group[c.group];
    std::string want = "pass";
    // 3.9 (KRaft) lists OffsetCommit/OffsetFetch v0 (ZooKeeper-stored
    // offsets) but answers them UNSUPPORTED_VERSION; 4.x no longer lists them.
    if (v39 && (c.name == "KIP-848 cycle" || c.name == "TV2" || c.name == "OffsetCommit v0" ||
                c.name == "OffsetFetch v0"))
      want = "not_offered";
    if (c.status != want) wrong += c.group + " " + c.name + ": " + c.status + " " + c.detail + "\n";
  }
  // Fetch v4-17 at least, both isolation levels; ListOffsets v2-9 at least;
  // the open-transaction and closed cells.
  if (per_group["consume"] < 14 * 2 + 8 + 2) wrong += std::to_string(per_group["consume"]) + " consume cells\n";
  for (const char* name : {"Fetch v4 read_committed", "Fetch v17 read_committed", "Fetch v17 read_uncommitted",
                           "open transaction holds back the LSO", "ListOffsets v2 isolation levels",
                           "LSO = HW once closed", "static membership", "KIP-848 cycle", "init InitProducerId v5",
                           "commit visibility", "abort visibility", "TV1 AddPartitionsToTxn v3 EndTxn v4", "fencing",
                           "TV2", "send offsets"})
    if (!run.find(name)) wrong += std::string("no cell ") + name + "\n";
  // A classic cycle at each JoinGroup version (v0-9 on every harness broker).
  int classic = 0;
  for (const auto& c : run.cells)
    if (c.group == "group" && c.name.rfind("classic Join v", 0) == 0) ++classic;
  if (v39 && (!run.find("OffsetCommit v0") || !run.find("OffsetFetch v0"))) wrong += "no v0 offset cells on 3.9\n";
  if (classic != 10) wrong += std::to_string(classic) + " classic cycles, expected one per JoinGroup v0-9\n";
  if (const ReportCell* kip848 = run.find("KIP-848 cycle"); kip848 && v39 &&
      kip848->detail.find("ConsumerGroupHeartbeat") == std::string::npos)
    wrong += "KIP-848 not offered without saying why: " + kip848->detail + "\n";
  return wrong;
}

const std::string kNewGroups = "consume,group,transactions";

TEST_CASE("kwire conformance is green on every listener, and kcat confirms every record set it stored") {
  const auto& env = broker_env();
  std::vector<std::pair<std::string, std::string>> listeners{{"PLAINTEXT", "-b " + shell_quote(env.bootstrap())}};
  if (env.has("KWIRE_BOOTSTRAP_SSL") && env.has("KWIRE_SSL_CA")) {
    const std::string ca = " -X ssl.ca.location=" + shell_quote(env.get("KWIRE_SSL_CA"));
    listeners.emplace_back("SSL", "-b " + shell_quote(env.get("KWIRE_BOOTSTRAP_SSL")) + " -X security.protocol=SSL" + ca);
    if (env.has("KWIRE_BOOTSTRAP_MTLS"))
      listeners.emplace_back("mTLS", "-b " + shell_quote(env.get("KWIRE_BOOTSTRAP_MTLS")) +
                                         " -X security.protocol=SSL" + ca + " -X ssl.certificate.location=" +
                                         shell_quote(env.get("KWIRE_SSL_CERT")) + " -X ssl.key.location=" +
                                         shell_quote(env.get("KWIRE_SSL_KEY")));
    if (env.has("KWIRE_BOOTSTRAP_SASL_PLAINTEXT") && env.has("KWIRE_SASL_USERNAME")) {
      const std::string user = " -X sasl.username=" + shell_quote(env.get("KWIRE_SASL_USERNAME")) +
                               " -X sasl.password=" + shell_quote(env.get("KWIRE_SASL_PASSWORD"));
      listeners.emplace_back("SASL_PLAINTEXT PLAIN", "-b " + shell_quote(env.get("KWIRE_BOOTSTRAP_SASL_PLAINTEXT")) +
                                                         " -X security.protocol=SASL_PLAINTEXT -X sasl.mechanism=PLAIN" +
                                                         user);
      listeners.emplace_back("SASL_SSL SCRAM-SHA-256", "-b " + shell_quote(env.get("KWIRE_BOOTSTRAP_SASL_SSL")) +
                                                           " -X security.protocol=SASL_SSL -X sasl.mechanism=SCRAM-SHA-256" +
                                                           user + ca);
      listeners.emplace_back("SASL_PLAINTEXT SCRAM-SHA-512",
                             "-b " + shell_quote(env.get("KWIRE_BOOTSTRAP_SASL_PLAINTEXT")) +
                                 " -X security.protocol=SASL_PLAINTEXT -X sasl.mechanism=SCRAM-SHA-512" + user);
    }
  }
  // OAUTHBEARER (the broker's unsecured validator) and GSSAPI (the
  // harness's KDC): every mechanism the harness offers gets its cells.
  std::map<std::string, std::string> command_env;
  if (env.has("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"))
    listeners.emplace_back("SASL_PLAINTEXT OAUTHBEARER",
                           "-b " + shell_quote(env.get("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER")) +
                               kwire::test::cli_properties(kwire::test::oauth_properties()));
  if (kwire::test::has_env_vars({"KWIRE_BOOTSTRAP_SASL_GSSAPI", "KWIRE_KRB5_CONFIG", "KWIRE_KERBEROS_KEYTAB"})) {
    command_env["SASL_PLAINTEXT GSSAPI"] = kwire::test::kerberos_env();
    listeners.emplace_back("SASL_PLAINTEXT GSSAPI", "-b " + shell_quote(env.get("KWIRE_BOOTSTRAP_SASL_GSSAPI")) +
                                                        kwire::test::cli_properties(kwire::test::gssapi_properties()));
  }

  // The full suite on PLAINTEXT; on the secured listeners the groups that
  // move data (what TLS/SASL could break), to keep CI time down; the
  // consume, group and transactions groups (a few seconds) on PLAINTEXT and
  // one SASL_SSL listener, where coordinator connections get TLS and SASL. The runs
  // go side by side (each writes to a topic of its own, mostly waiting for
  // handshakes and the broker); the checks follow one listener at a time.
  std::vector<SuiteRun> runs(listeners.size());
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < listeners.size(); ++i)
      threads.emplace_back([&, i] {
        const auto& [name, args] = listeners[i];
        const auto env_it = command_env.find(name);  // read-only: shared by the threads
        // --keep: kcat reads the suite's topic back afterwards.
        const std::string only = name == "PLAINTEXT"                ? ""
                                 : name == "SASL_SSL SCRAM-SHA-256" ? " --only produce,idempotence," + kNewGroups
                                                                    : " --only produce,idempotence";
        runs[i] = run_suite(args + " --keep" + only,
                            env_it == command_env.end() ? std::string() : env_it->second);
      });
    for (auto& t : threads) t.join();
  }
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    const auto& [name, args] = listeners[i];
    CAPTURE(name);
    const SuiteRun& run = runs[i];
    // CI keeps the reports: KWIRE_CONFORMANCE_REPORT_DIR/conformance-<kafka>-<listener>.json.
    if (const char* dir = std::getenv("KWIRE_CONFORMANCE_REPORT_DIR"); dir && *dir) {
      std::string file = std::string(dir) + "/conformance-" +
                         (env.has("KWIRE_KAFKA_VERSION") ? env.get("KWIRE_KAFKA_VERSION") : "external") + "-" + name +
                         ".json";
      std::replace(file.begin() + static_cast<std::ptrdiff_t>(std::strlen(dir)), file.end(), ' ', '_');
      std::ofstream(file) << run.json;
    }
    INFO("failed cells:\n" << listing(run.cells, "fail"));
    REQUIRE_FALSE(run.cells.empty());
    CHECK(run.exit_code == 0);
    CHECK(listing(run.cells, "fail").empty());
    // A 4.x broker offers everything the suite checks; 3.9 lacks a few
    // versions (reported as "not offered"), and Kafka 4 removed old ones.
    const std::string version = env.has("KWIRE_KAFKA_VERSION") ? env.get("KWIRE_KAFKA_VERSION") : "";
    if (version.rfind("4.", 0) == 0 && name == "PLAINTEXT") {
      for (const char* removed : {"Produce v2 (removed in 4.0)", "Fetch v3 (removed in 4.0)",
                                  "ListOffsets v0 (removed in 4.0)"}) {
        const ReportCell* c = run.find(removed);
        REQUIRE(c != nullptr);
        CHECK(c->status == "pass");
      }
    }
    if (name == "PLAINTEXT") CHECK(admin_cells_pass(run, version) == "");
    if (name == "PLAINTEXT" || name == "SASL_SSL SCRAM-SHA-256")
      CHECK(consumer_and_transaction_cells_pass(run, version) == "");

    // The independent read-back: kcat reads the suite's partition and must
    // see exactly the known record set where each produce cell says it is.
    std::string topic;
    for (const auto& c : run.cells)
      if (!c.topic.empty()) topic = c.topic;
    REQUIRE_FALSE(topic.empty());
    auto consumed = consume_with_kcat(topic, 0);
    std::map<std::int64_t, ConsumedRecord> by_offset;
    for (auto& r : consumed) by_offset[r.offset] = std::move(r);
    int produce_cells = 0;
    for (const auto& c : run.cells) {
      if (c.group != "produce" || c.status != "pass") continue;
      ++produce_cells;
      CAPTURE(c.name);
      REQUIRE(c.first_offset >= 0);
      const auto expected = kwire::conformance::known_record_set(c.record_set);
      CHECK(c.end_offset - c.first_offset == static_cast<std::int64_t>(expected.size()));
      CHECK(compare_with_kcat(by_offset, c.first_offset, expected) == "");
    }
    CHECK(produce_cells == 15);
    // The duplicate resend: kcat sees the first sequenced batch once.
    const ReportCell* dup = run.find("duplicate resend");
    REQUIRE(dup != nullptr);
    CHECK(dup->status == "pass");
    int copies = 0;
    for (const auto& [offset, r] : by_offset)
      if (r.value == std::optional<std::string>("first record 0")) ++copies;
    CHECK(copies == 1);
    REQUIRE(dup->first_offset >= 0);
    for (std::int64_t o = dup->first_offset; o < dup->end_offset; ++o) {
      REQUIRE(by_offset.count(o) == 1);
      CHECK(by_offset[o].value == "first record " + std::to_string(o - dup->first_offset));
    }
  }
}

/// Runs the suite (with `suite_options`) against the mock cluster started
/// with `options`.
SuiteRun run_suite_on_mock(const std::string& options, const std::string& suite_options = "") {
  const std::string exe = mock_cluster_exe();
  REQUIRE_MESSAGE(::access(exe.c_str(), X_OK) == 0, exe << " is not built");
  Background mock(shell_quote(exe) + options);
  const std::string line = mock.first_line(10s);
  REQUIRE(line.rfind("bootstrap=", 0) == 0);
  return run_suite("-b " + shell_quote(line.substr(10)) + suite_options);
}

TEST_CASE("the mock cluster passes every cell it offers (Produce, Fetch, groups, transactions, admin)") {
  SuiteRun run = run_suite_on_mock("");
  INFO(run.json);
  CHECK(run.exit_code == 0);
  std::size_t passed = 0;
  for (const auto& c : run.cells) {
    CAPTURE(c.name);
    CHECK((c.status == "pass" || c.status == "not_offered"));
    passed += c.status == "pass" ? 1 : 0;
  }
  CHECK(passed > 100);
  for (int v = 4; v <= 17; ++v) CHECK(run.find("Fetch v" + std::to_string(v))->status == "pass");
  CHECK(run.find("KIP-848 cycle")->status == "pass");
  CHECK(run.find("commit visibility")->status == "pass");
}

TEST_CASE("a busy coordinator is retried, not reported: TxnOffsetCommit answered COORDINATOR_NOT_AVAILABLE twice") {
  // Kafka 3.9 once answered the "send offsets" cell's TxnOffsetCommit so,
  // right after FindCoordinator for the fresh group had found it; a client
  // looks the coordinator up again and retries (28: TxnOffsetCommit, 15:
  // COORDINATOR_NOT_AVAILABLE, on the wire).
  SuiteRun run = run_suite_on_mock(" --fail-next 28:15:2", " --only transactions");
  INFO(run.json);
  CHECK(run.exit_code == 0);
  const ReportCell* send_offsets = run.find("send offsets");
  REQUIRE(send_offsets != nullptr);
  CHECK(send_offsets->status == "pass");
}

TEST_CASE("a deliberately broken endpoint: the mock cluster advertises Fetch but drops every Fetch request") {
  SuiteRun run = run_suite_on_mock(" --drop-fetch");
  INFO(run.json);
  CHECK(run.exit_code == 1);
  REQUIRE_FALSE(run.cells.empty());
  // Red where the mock lies: every Fetch version it advertises.
  for (int v = 4; v <= 17; ++v) {
    const ReportCell* c = run.find("Fetch v" + std::to_string(v));
    REQUIRE(c != nullptr);
    CHECK(c->status == "fail");
    CHECK(c->detail.find("connection closed") != std::string::npos);
  }
  // Read-backs need Fetch, so the produce cells fail, naming it.
  const ReportCell* produce = run.find("zstd acks=all");
  REQUIRE(produce != nullptr);
  CHECK(produce->status == "fail");
  CHECK(produce->detail.find("Fetch") != std::string::npos);
  // Green where it is right, "not offered" where it says so.
  for (int v = 0; v <= 12; ++v) CHECK(run.find("Metadata v" + std::to_string(v))->status == "pass");
  CHECK(run.find("Metadata v13")->status == "not_offered");
  for (int v = 0; v <= 4; ++v) CHECK(run.find("ApiVersions v" + std::to_string(v))->status == "pass");
  // ListOffsets is answered, but its cells read at the offset found: red, naming Fetch.
  for (int v = 1; v <= 11; ++v) {
    const ReportCell* c = run.find("ListOffsets v" + std::to_string(v));
    REQUIRE(c != nullptr);
    CHECK(c->status == "fail");
    CHECK(c->detail.find("Fetch") != std::string::npos);
  }
  CHECK(run.find("connect PLAINTEXT")->status == "pass");
  CHECK(run.find("InitProducerId")->status == "pass");
  CHECK(run.find("unknown topic (Produce)")->status == "pass");
  CHECK(run.find("Produce v2 (removed in 4.0)")->status == "pass");  // the mock refuses v0-2 too
}

TEST_CASE("a deliberately broken endpoint: a proxy that corrupts the record batches of Fetch responses") {
  const std::string bootstrap = broker_env().bootstrap();
  const auto colon = bootstrap.find(':');
  const auto comma = bootstrap.find(',');
  REQUIRE(colon != std::string::npos);
  CorruptingProxy proxy(bootstrap.substr(0, colon),
                        static_cast<std::uint16_t>(std::stoi(bootstrap.substr(colon + 1, comma - colon - 1))));
  if (broker_env().has("KWIRE_BROKER_NODES") && broker_env().get("KWIRE_BROKER_NODES") != "1") {
    MESSAGE("skipped: the proxy fronts a single broker");
    return;
  }
  SuiteRun run = run_suite("-b " + proxy.address() + " --skip errors");
  INFO(run.json);
  CHECK(run.exit_code == 1);
  CHECK(proxy.corrupted_batches() > 0);
  // Every read of records fails on the CRC...
  for (int v = 4; v <= 17; ++v) {
    const ReportCell* c = run.find("Fetch v" + std::to_string(v));
    REQUIRE(c != nullptr);
    CHECK(c->status == "fail");
    CHECK(c->detail.find("CRC-32C mismatch") != std::string::npos);
  }
  for (const auto& c : run.cells)
    if (c.group == "produce") {
      CAPTURE(c.name);
      CHECK(c.status == "fail");
      CHECK(c.detail.find("CRC-32C mismatch") != std::string::npos);
    }
  // ... while what does not read records stays green.
  CHECK(run.find("connect PLAINTEXT")->status == "pass");
  for (int v = 0; v <= 12; ++v) CHECK(run.find("Metadata v" + std::to_string(v))->status == "pass");
  for (const auto& c : run.cells)
    if (c.name.rfind("ListOffsets v", 0) == 0 || c.name.rfind("InitProducerId", 0) == 0 ||
        c.name.rfind("ApiVersions v", 0) == 0)
      CHECK(c.status != "fail");
  CHECK(run.find("sequence gap")->status == "pass");
}
