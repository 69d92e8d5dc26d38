// A cluster upgraded from transaction version 1 to 2 while a transactional
// producer runs (KIP-890 part 2, issue 16 item 3): the producer notices at
// a transaction boundary, ends that transaction the TV1 way, bumps its
// epoch (InitProducerId with its current id and epoch, as Java's
// clientSideEpochBumpRequired), and from then on every transaction ends
// with EndTxn v5's epoch bump. Observed through kwire's statistics (the
// producer epoch after each commit: constant under TV1, +1 per transaction
// under TV2) and read back by kcat (librdkafka) with read_committed: every
// committed record exactly once, no aborted one.
//
// The feature is cluster-wide, so the test downgrades the harness broker to
// transaction.version=1 with Kafka's own FeatureCommand and upgrades it
// back: it is in the broker_restart suite, which ctest runs alone
// (integration.broker_restart, RUN_SERIAL), never beside a test that
// expects TV2. Kafka 3.9 has no TV2 to upgrade to: skipped there.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <kwire/producer/producer.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::test::broker_env;
using kwire::test::create_topic;
using kwire::test::run_command;
using kwire::test::shell_quote;
using kwire::test::unique_topic;

namespace {

/// `FeatureCommand ARGS` against the harness broker; its stdout.
kwire::test::CommandResult feature_command(const std::string& args) {
  return run_command(shell_quote(KWIRE_BROKER_SCRIPT) + " run-class org.apache.kafka.tools.FeatureCommand " +
                     "--bootstrap-server " + shell_quote(broker_env().bootstrap()) + " " + args + " 2>&1");
}

struct FeatureLevels {
  int supported_max = -1;
  int finalized = -1;
};

/// transaction.version as `FeatureCommand describe` prints it.
FeatureLevels transaction_version() {
  const auto result = feature_command("describe");
  static const std::regex line(
      R"(Feature:\s*transaction\.version\s+SupportedMinVersion:\s*\d+\s+SupportedMaxVersion:\s*(\d+)\s+FinalizedVersionLevel:\s*(\d+))");
  std::smatch m;
  FeatureLevels levels;
  if (std::regex_search(result.output, m, line)) {
    levels.supported_max = std::stoi(m[1]);
    levels.finalized = std::stoi(m[2]);
  }
  return levels;
}

bool set_transaction_version(const char* verb, int level) {
  const auto result = feature_command(std::string(verb) + " --feature transaction.version=" + std::to_string(level));
  if (result.exit_code != 0) MESSAGE("FeatureCommand " << std::string(verb) << ": " << result.output);
  return result.exit_code == 0 && transaction_version().finalized == level;
}

/// Puts the cluster's transaction.version back to what it was, whatever
/// happens in between.
struct RestoreTransactionVersion {
  int level;
  ~RestoreTransactionVersion() {
    const int now = transaction_version().finalized;
    if (now >= 0 && now != level) set_transaction_version(now < level ? "upgrade" : "downgrade", level);
  }
};

}  // namespace

TEST_SUITE("broker_restart") {
TEST_CASE("transactions: a TV1 -> TV2 upgrade while the producer runs is noticed at a transaction boundary") {
  if (broker_env().get("KWIRE_KAFKA_VERSION").rfind("3.", 0) == 0) {
    MESSAGE("Kafka " << broker_env().get("KWIRE_KAFKA_VERSION")
                     << " has no transaction version 2 to upgrade to: nothing to test");
    return;
  }
  const FeatureLevels before = transaction_version();
  REQUIRE_MESSAGE(before.supported_max >= 2, "FeatureCommand describe: no transaction.version 2 on a 4.x broker");
  RestoreTransactionVersion restore{before.finalized};
  REQUIRE(set_transaction_version("downgrade", 1));

  const std::string topic = unique_topic("txn-upgrade");
  create_topic(topic, 3, 1);
  std::mutex log_mutex;
  std::vector<std::string> upgrade_lines;
  kwire::Producer producer(
      {{"bootstrap.servers", broker_env().bootstrap()},
       {"transactional.id", unique_topic("txn-upgrade-id")},
       {"linger.ms", "5"},
       // The finalized features are re-read (ApiVersions) at most this often.
       {"metadata.max.age.ms", "1000"}},
      [&](kwire::producer::LogLevel, kwire::producer::LogCategory, std::string_view line) {
        if (line.find("transaction version 2") != std::string_view::npos) {
          std::lock_guard lock(log_mutex);
          upgrade_lines.emplace_back(line);
        }
      });
  REQUIRE(producer.init_transactions(60s).ok());

  std::multiset<std::string> committed;
  std::set<std::string> aborted;
  int transaction = 0;
  // One transaction of 9 records; returns the producer epoch after it.
  auto run = [&](bool commit) {
    ++transaction;
    REQUIRE(producer.begin_transaction().ok());
    for (int r = 0; r < 9; ++r) {
      const std::string value = "t" + std::to_string(transaction) + "-r" + std::to_string(r);
      kwire::producer::RecordView record(topic, std::nullopt, kwire::producer::bytes_of(value));
      record.partition = r % 3;
      producer.send(record, [](const kwire::producer::DeliveryReport& report) {
        CHECK_MESSAGE(report.ok(), report.error.message());
      });
      if (commit)
        committed.insert(value);
      else
        aborted.insert(value);
    }
    if (!commit) REQUIRE(producer.flush(30s));  // in the log, then aborted
    const auto status = commit ? producer.commit_transaction(60s) : producer.abort_transaction(60s);
    REQUIRE_MESSAGE(status.ok(), status.message());
    return producer.statistics().producer_epoch;
  };

  // Transaction version 1: the epoch stays put across transactions.
  const std::int32_t tv1_epoch = producer.statistics().producer_epoch;
  CHECK(run(true) == tv1_epoch);
  CHECK(run(false) == tv1_epoch);
  CHECK(run(true) == tv1_epoch);

  REQUIRE(set_transaction_version("upgrade", 2));
  // The producer re-reads the features within metadata.max.age.ms and
  // acts at the next commit or abort: a few transactions at most.
  std::int32_t epoch = tv1_epoch;
  for (int i = 0; i < 5 && epoch == tv1_epoch; ++i) {
    epoch = run(true);
    if (epoch == tv1_epoch) std::this_thread::sleep_for(500ms);
  }
  REQUIRE_MESSAGE(epoch > tv1_epoch, "the producer never noticed transaction version 2");
  {
    std::lock_guard lock(log_mutex);
    CHECK_MESSAGE(!upgrade_lines.empty(), "no log line about the upgrade");
  }
  // Transaction version 2: EndTxn v5 bumps the epoch after every
  // transaction, committed or aborted.
  for (const bool commit : {true, false, true}) {
    const std::int32_t next = run(commit);
    CHECK(next == epoch + 1);
    epoch = next;
  }

  // Read back: every committed record exactly once, no aborted one.
  std::multiset<std::string> read;
  for (const auto& r : kwire::test::consume_with_kcat_isolation(topic, "read_committed"))
    read.insert(r.value.value_or(""));
  CHECK(read.size() == committed.size());
  CHECK(read == committed);
  for (const auto& value : read) CHECK_MESSAGE(!aborted.contains(value), value);
  producer.close(10s);
}
}  // TEST_SUITE
