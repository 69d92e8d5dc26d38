// The idempotent producer against a real three-node Kafka cluster (RF 3,
// min.insync.replicas 2) while the leader of a partition is killed with
// SIGKILL and later restarted: 200,000 records, read back by kcat; none
// lost, none duplicated, every partition in send order, every delivery
// report naming the record's real offset.
//
// Run through `ctest -L failover` (its fixture starts the three nodes), or
// by hand against `kafka-broker start --nodes 3`. Skips on other clusters.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "numbered_records.hpp"
#include "stream_check.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using kwire::test::broker_script;
using kwire::test::create_topic;
using kwire::test::partition_leaders;
using kwire::test::check_exactly_once;
using kwire::test::run_stream;
using kwire::test::StreamRun;
using kwire::test::StreamVerdict;
using kwire::test::unique_topic;

TEST_SUITE("failover") {

TEST_CASE("idempotent producer: 200,000 records while a partition leader is SIGKILLed and restarted (3 nodes)") {
  if (!kwire::test::managed_three_nodes()) return;
  const std::string topic = unique_topic("idem-failover");
  create_topic(topic, 3, 3);
  const std::map<int, int> leaders = partition_leaders(topic);
  REQUIRE(leaders.size() == 3);
  const int victim = leaders.at(0);
  REQUIRE(victim >= 1);
  MESSAGE("partition 0's leader is node " << victim);

  StreamRun run;
  run.topic = topic;
  run.records = 200000;
  run.properties = {
      {"client.id", "kwire-failover"},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"max.in.flight.requests.per.connection", "5"},
      {"linger.ms", "5"},
      {"batch.size", "16384"},
      {"request.timeout.ms", "15000"},
      {"delivery.timeout.ms", "600000"},
      {"retry.backoff.ms", "100"},
      {"retry.backoff.max.ms", "1000"},
      {"reconnect.backoff.max.ms", "1000"},
      {"metadata.max.age.ms", "5000"},
  };
  run.fault_after_acked = 40000;
  // After the kill, ~16-20 s more of stream: still flowing when the node is back.
  run.rate_after_fault = 6000;
  std::map<int, int> leaders_after_kill;
  run.fault = [&] {
    broker_script("kill9 " + std::to_string(victim));
    // broker.session.timeout.ms is 6 s: the controller fences the node and
    // moves its leaderships; the producer keeps streaming meanwhile.
    std::this_thread::sleep_for(10s);
    leaders_after_kill = partition_leaders(topic);
    broker_script("start-node " + std::to_string(victim));
  };
  const StreamVerdict v = run_stream(run);
  MESSAGE("three nodes, leader " << victim << " killed: " << v.summary());
  if (leaders_after_kill.count(0)) MESSAGE("partition 0's leader after the kill: node " << leaders_after_kill.at(0));
  CHECK(leaders_after_kill.count(0) == 1);
  if (leaders_after_kill.count(0)) CHECK(leaders_after_kill.at(0) != victim);
  check_exactly_once(v);
}

}  // TEST_SUITE
