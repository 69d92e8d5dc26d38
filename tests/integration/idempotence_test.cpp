// The idempotent producer against a real single-node Kafka broker that is
// killed with SIGKILL and restarted in the middle of a 200,000-record
// stream; kcat (librdkafka) reads the topic back: nothing lost, nothing
// duplicated, every partition in send order, every delivery report naming
// the record's real offset. The same run without idempotence (acks=all,
// retries) must lose nothing too; its duplicates are counted and reported.
// (The three-node leader-kill run is tests/failover, label `failover`.)
//
// These tests restart the broker the integration fixture started; they
// skip with an external broker (KWIRE_BOOTSTRAP) or a multi-node one.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "stream_check.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using kwire::test::broker_env;
using kwire::test::broker_script;
using kwire::test::create_topic;
using kwire::test::check_exactly_once;
using kwire::test::run_stream;
using kwire::test::StreamRun;
using kwire::test::StreamVerdict;
using kwire::test::unique_topic;

namespace {

bool single_managed_node() {
  const auto& env = broker_env();
  if (!env.managed() || !env.has("KWIRE_BROKER_NODES") || env.get("KWIRE_BROKER_NODES") != "1") {
    MESSAGE("skipped: needs the managed single-node broker (kafka-broker start), to SIGKILL and restart it");
    return false;
  }
  return true;
}

std::map<std::string, std::string> stream_properties(bool idempotent) {
  return {
      {"client.id", idempotent ? "kwire-idempotence" : "kwire-no-idempotence"},
      {"enable.idempotence", idempotent ? "true" : "false"},
      {"acks", "all"},
      {"max.in.flight.requests.per.connection", "5"},
      {"linger.ms", "5"},
      {"batch.size", "16384"},
      {"request.timeout.ms", "15000"},
      // The broker is down for a while: nothing may expire meanwhile.
      {"delivery.timeout.ms", "600000"},
      {"retry.backoff.ms", "100"},
      {"retry.backoff.max.ms", "1000"},
      {"reconnect.backoff.max.ms", "1000"},
  };
}

StreamVerdict kill9_run(bool idempotent) {
  const std::string topic = unique_topic(idempotent ? "idem-kill9" : "noidem-kill9");
  create_topic(topic, 3, 1);
  StreamRun run;
  run.topic = topic;
  run.records = 200000;
  run.properties = stream_properties(idempotent);
  run.fault_after_acked = 40000;
  // After the kill, ~16-20 s more of stream: still flowing when the node is back.
  run.rate_after_fault = 10000;
  run.log_prefix = idempotent ? "idempotent producer" : "producer";
  run.fault = [] {
    kwire::test::broker_script("kill9 1");
    std::this_thread::sleep_for(2s);  // requests in flight die with it; the producer retries meanwhile
    kwire::test::broker_script("start-node 1");
  };
  const StreamVerdict v = run_stream(run);
  MESSAGE(std::string(idempotent ? "idempotent: " : "not idempotent: ") << v.summary());
  return v;
}

}  // namespace

// Suite broker_restart: these SIGKILL and restart the broker, so ctest runs
// them alone (integration.broker_restart, RUN_SERIAL), never beside the
// other integration tests (tests/integration/CMakeLists.txt).
TEST_SUITE("broker_restart") {

TEST_CASE("idempotent producer: 200,000 records through a broker SIGKILL and restart: none lost, none duplicated, "
          "order kept") {
  if (!single_managed_node()) return;
  const StreamVerdict v = kill9_run(true);
  check_exactly_once(v);
}

TEST_CASE("without idempotence (acks=all, retries) the same run loses nothing; its duplicates are counted") {
  if (!single_managed_node()) return;
  const StreamVerdict v = kill9_run(false);
  CHECK(v.unreported == 0);
  CHECK(v.failed == 0);
  CHECK(v.delivered == v.records);
  CHECK(v.distinct == v.records);
  CHECK(v.lost == 0);
  // Not asserted: duplicates and reordering are what idempotence prevents.
  MESSAGE("without idempotence: " << v.duplicates << " duplicate(s), " << v.out_of_order
                                  << " record(s) out of order");
}

}  // TEST_SUITE
