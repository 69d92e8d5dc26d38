// Rebootstrap (KIP-899, metadata.recovery.strategy=rebootstrap) against a
// real three-node Kafka cluster: while the idempotent producer streams with
// requests in flight, every node is SIGKILLed and started again with its
// client listeners on other ports (`kafka-broker relocate --kill`). Every broker address the producer
// learnt from metadata is dead from then on; only bootstrap.servers — here
// both port sets, a stand-in for a DNS name whose addresses change — leads
// back to the cluster. The producer must notice that every known broker is
// unreachable, go back to bootstrap.servers, learn the new addresses and
// deliver everything: none lost, none duplicated, in order per partition.
//
// Runs as the ctest `failover.rebootstrap` (after `failover`: it leaves the
// cluster on the other ports), or by hand against `kafka-broker start
// --nodes 3`: `failover_tests -ts=rebootstrap`. Skips on other clusters.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "stream_check.hpp"
#include "support.hpp"

using kwire::test::broker_env;
using kwire::test::broker_script;
using kwire::test::create_topic;
using kwire::test::run_command;
using kwire::test::check_exactly_once;
using kwire::test::run_stream;
using kwire::test::shell_quote;
using kwire::test::StreamRun;
using kwire::test::StreamVerdict;
using kwire::test::unique_topic;

namespace {

// The cluster's PLAINTEXT bootstrap as the harness reports it now (the
// cached broker_env() describes the cluster before it moved).
std::string current_bootstrap() {
  const kwire::test::CommandResult r = run_command(shell_quote(KWIRE_BROKER_SCRIPT) + " env");
  std::istringstream in(r.output);
  std::string line;
  const std::string key = "KWIRE_BOOTSTRAP=";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return line.substr(key.size());
  return {};
}

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> out;
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

}  // namespace

TEST_SUITE("rebootstrap") {

TEST_CASE("idempotent producer rebootstraps when all three brokers come back on new ports (KIP-899)") {
  const auto& env = broker_env();
  if (!env.managed() || !env.has("KWIRE_BROKER_NODES") || env.get("KWIRE_BROKER_NODES") != "3" ||
      !env.has("KWIRE_BOOTSTRAP_RELOCATION")) {
    MESSAGE("skipped: needs the managed three-node cluster (kafka-broker start --nodes 3)");
    return;
  }
  const std::string before = env.bootstrap();
  const std::string topic = unique_topic("rebootstrap");
  create_topic(topic, 3, 3);

  StreamRun run;
  run.topic = topic;
  // Both port sets: the addresses in use now, and those `relocate` moves to.
  run.bootstrap = env.get("KWIRE_BOOTSTRAP_RELOCATION");
  run.records = 40000;
  // Idempotent, acks=all, 5 in flight; short backoffs so the producer
  // finds the moved cluster within a second of it being back.
  run.properties = {{"client.id", "kwire-rebootstrap"}, {"enable.idempotence", "true"}, {"acks", "all"},
                    {"max.in.flight.requests.per.connection", "5"}, {"linger.ms", "5"},
                    {"request.timeout.ms", "10000"}, {"delivery.timeout.ms", "300000"},
                    {"retry.backoff.ms", "100"}, {"retry.backoff.max.ms", "1000"},
                    {"reconnect.backoff.ms", "50"}, {"reconnect.backoff.max.ms", "1000"},
                    {"metadata.recovery.strategy", "rebootstrap"}};
  run.watch_log = "rebootstrapping from bootstrap.servers";
  run.fault_after_acked = 10000;
  run.rate_before_fault = 10000;
  // The rest of the stream (30,000 records) takes ~20 s, about as long as
  // the cluster is away (17-40 s on a busy 2-core machine): records keep
  // arriving while no broker is reachable and after the cluster is back.
  // SIGKILL rather than SIGTERM: up to five Produce requests per broker are
  // cut off unanswered, so the retries after the rebootstrap meet batches
  // the brokers may already hold (idempotence must drop the copies), and
  // the nodes go down at once (a controlled shutdown of all three costs
  // 6-8 s more).
  run.rate_after_fault = 1500;
  std::string after;
  run.fault = [&] {
    broker_script("relocate --kill");
    after = current_bootstrap();
  };
  const StreamVerdict v = run_stream(run);
  MESSAGE("bootstrap " << before << " -> " << after << "; " << v.summary() << "; rebootstrap log lines "
                       << v.watched_lines);

  // Every address the producer knew before is gone.
  REQUIRE_FALSE(after.empty());
  for (const std::string& address : split_commas(before)) CHECK(after.find(address) == std::string::npos);
  CHECK(v.watched_lines >= 1);
  check_exactly_once(v);
}

}  // TEST_SUITE
