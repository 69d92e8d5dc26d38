// Exactly-once under failure (issue 16): `kwire copy` (the CLI, as a child
// process) copies 1,000,000 records between two topics of the three-node
// cluster (RF 3, 6 partitions) while
//   1. the broker that is the copier's transaction coordinator is SIGKILLed
//      and restarted,
//   2. a leader of an output partition is SIGKILLed and restarted,
//   3. the copier itself is SIGKILLed (a transaction open) and a new one
//      starts with the same transactional.id and group (it fences the old
//      epoch, aborts the open transaction and resumes from the group's
//      committed offsets, KIP-447),
// then kcat (librdkafka, an independent reader) reads the output with
// isolation.level=read_committed: every input record exactly once, in the
// same partition, in input order; none missing, none twice.
//
// Run through `ctest -L failover` (its fixture starts the three nodes), or
// by hand against `kafka-broker start --nodes 3`. Skips on other clusters.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <kwire/admin/admin.hpp>
#include <kwire/producer/producer.hpp>

#include "child_process.hpp"
#include "numbered_records.hpp"
#include "stream_check.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using kwire::test::broker_env;
using kwire::test::broker_script;
using kwire::test::ChildProcess;
using kwire::test::consume_with_kcat_isolation;
using kwire::test::create_topic;
using kwire::test::kwire_cli;
using kwire::test::partition_leaders;
using kwire::test::shell_quote;
using kwire::test::unique_topic;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPartitions = 6;

/// Input record i: partition i % 6, value "eos-<i, 9 digits>" (13 bytes).
std::string value_of(std::size_t i) { return kwire::test::numbered_value("eos", i); }

/// Writes `records` numbered records to `topic` (idempotent, acks=all).
void produce_input(const std::string& topic, std::size_t records) {
  kwire::Producer producer({{"bootstrap.servers", broker_env().bootstrap()},
                            {"enable.idempotence", "true"},
                            {"linger.ms", "20"},
                            {"batch.size", "262144"},
                            {"delivery.timeout.ms", "300000"}});
  kwire::test::produce_numbered(producer, topic, "eos", kPartitions, 0, records);
}

/// The records the group has committed (the sum of its offsets on `topic`).
std::int64_t committed_records(kwire::admin::Admin& admin, const std::string& group) {
  std::int64_t sum = 0;
  try {
    for (const auto& p : admin.group_lag(group, true))
      if (p.committed > 0) sum += p.committed;
  } catch (const std::exception&) {
    // The group coordinator may be the node that is down: ask again later.
  }
  return sum;
}

/// Waits until the group committed `records` or the copier ended; false on timeout.
bool wait_committed(kwire::admin::Admin& admin, const std::string& group, std::int64_t records,
                    ChildProcess& copier, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline && !copier.exited()) {
    if (committed_records(admin, group) >= records) return true;
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

/// SIGKILL node `node`, let the controller fence it (broker.session.timeout.ms
/// is 6 s) and move its leaderships while the copier goes on, restart it.
void kill_and_restart(int node) {
  broker_script("kill9 " + std::to_string(node));
  std::this_thread::sleep_for(8s);
  broker_script("start-node " + std::to_string(node));
}

/// Reads `out` with kcat at read_committed: input records 0..count-1
/// each exactly once, in the partition they were written to, in order.
void verify_exactly_once(const std::string& out, std::size_t count) {
  // What read_committed readers see: every input record once.
  const auto t0 = Clock::now();
  const auto records = consume_with_kcat_isolation(out, "read_committed");
  MESSAGE("output read in " << std::chrono::duration<double>(Clock::now() - t0).count() << " s");
  CHECK(records.size() == count);
  std::vector<int> seen(count, 0);
  std::map<int, std::size_t> per_partition;
  std::map<int, long long> last_in_partition;
  std::size_t malformed = 0;
  std::size_t wrong_partition = 0;
  std::size_t out_of_order = 0;
  for (const auto& r : records) {
    unsigned long long n = 0;
    if (!r.value || std::sscanf(r.value->c_str(), "eos-%llu", &n) != 1 || n >= count ||
        *r.value != value_of(n)) {
      ++malformed;
      continue;
    }
    ++seen[n];
    ++per_partition[r.partition];
    if (static_cast<int>(n % kPartitions) != r.partition) ++wrong_partition;
    auto [it, first_seen] = last_in_partition.try_emplace(r.partition, static_cast<long long>(n));
    if (!first_seen) {
      if (static_cast<long long>(n) <= it->second) ++out_of_order;
      it->second = static_cast<long long>(n);
    }
  }
  std::size_t missing = 0;
  std::size_t duplicated = 0;
  for (int copies : seen) {
    if (copies == 0) ++missing;
    if (copies > 1) duplicated += static_cast<std::size_t>(copies - 1);
  }
  MESSAGE("output: " << records.size() << " records, " << missing << " missing, " << duplicated << " duplicated, "
                     << malformed << " malformed, " << wrong_partition << " in another partition, " << out_of_order
                     << " out of order");
  CHECK(missing == 0);
  CHECK(duplicated == 0);
  CHECK(malformed == 0);
  CHECK(wrong_partition == 0);
  CHECK(out_of_order == 0);
  for (int p = 0; p < kPartitions; ++p) {
    const std::size_t expected = count / kPartitions + (static_cast<std::size_t>(p) < count % kPartitions);
    CHECK(per_partition[p] == expected);
  }
}

}  // namespace

TEST_SUITE("eos") {

TEST_CASE("kwire copy: 1,000,000 records exactly once while the transaction coordinator, an output leader and the "
          "copier itself are SIGKILLed (3 nodes)") {
  if (!kwire::test::managed_three_nodes()) return;
  const auto& env = broker_env();
  REQUIRE_MESSAGE(!kwire_cli().empty(), "built without the kwire CLI");
  constexpr std::size_t kRecords = 1000000;
  const std::string in = unique_topic("eos-in");
  const std::string out = unique_topic("eos-out");
  const std::string group = unique_topic("eos-copier-group");
  const std::string transactional_id = unique_topic("eos-copier");
  create_topic(in, kPartitions, 3);
  create_topic(out, kPartitions, 3);

  auto t0 = Clock::now();
  produce_input(in, kRecords);
  MESSAGE("input written in " << std::chrono::duration<double>(Clock::now() - t0).count() << " s");

  // A short session timeout: the killed copier leaves the group in 6 s, not
  // 45, so its successor's join completes soon. transaction.timeout.ms
  // bounds how long the killed copier's open transaction could hold the
  // output's LSO if nothing fenced it (its successor does, at once).
  const std::string command =
      shell_quote(kwire_cli()) + " copy -b " + shell_quote(env.bootstrap()) + " --from " + shell_quote(in) +
      " --to " + shell_quote(out) + " -G " + shell_quote(group) + " --transactional-id " +
      shell_quote(transactional_id) +
      " --transaction-size 2000 -X session.timeout.ms=6000 -X heartbeat.interval.ms=1000"
      " -X transaction.timeout.ms=30000 -X linger.ms=20 -X batch.size=262144 -X request.timeout.ms=10000"
      " -X retry.backoff.max.ms=1000 -X reconnect.backoff.max.ms=1000 -X metadata.max.age.ms=5000";
  kwire::admin::Admin admin(kwire::cluster::ClientConfig::from_properties({{"bootstrap.servers", env.bootstrap()}}));

  // Each fault waits until the copier made progress after the last one
  // (at most to the end of the input: the check after the copier's kill
  // says whether the faults came too late).
  auto further = [&](std::int64_t records) {
    return std::min<std::int64_t>(committed_records(admin, group) + records, static_cast<std::int64_t>(kRecords));
  };
  t0 = Clock::now();
  std::optional<ChildProcess> first(std::in_place, command);

  // 1. The transaction coordinator (transaction.state.log.num.partitions is 1).
  REQUIRE(wait_committed(admin, group, 50000, *first, 120s));
  const auto coordinators = partition_leaders("__transaction_state");
  REQUIRE(coordinators.count(0) == 1);
  const int coordinator = coordinators.at(0);
  MESSAGE("transaction coordinator: node " << coordinator << "; SIGKILL at "
                                           << committed_records(admin, group) << " records committed");
  kill_and_restart(coordinator);

  // 2. A leader of the output (another node than the coordinator, if any).
  REQUIRE(wait_committed(admin, group, further(20000), *first, 120s));
  const auto leaders = partition_leaders(out);
  REQUIRE(leaders.size() == kPartitions);
  int leader = leaders.at(0);
  for (const auto& [partition, node] : leaders)
    if (node != coordinator && node >= 1) leader = node;
  MESSAGE("output leader: node " << leader << "; SIGKILL at " << committed_records(admin, group)
                                 << " records committed");
  kill_and_restart(leader);

  // 3. The copier, mid-transaction, and a new one in its place.
  REQUIRE(wait_committed(admin, group, further(20000), *first, 120s));
  const std::int64_t at_kill = committed_records(admin, group);
  MESSAGE("copier SIGKILLed at " << at_kill << " records committed");
  CHECK_FALSE(first->exited());  // still copying: the kill interrupts it
  CHECK(at_kill < static_cast<std::int64_t>(kRecords));
  first->kill9();
  first.reset();
  ChildProcess second(command + " -e");
  const int status = second.wait_for(600s);
  CHECK(status == 0);
  MESSAGE("copied in " << std::chrono::duration<double>(Clock::now() - t0).count() << " s");

  verify_exactly_once(out, kRecords);
}

TEST_CASE("kwire copy: copiers of one group share the input through rebalances; a second copier with a running "
          "one's transactional id fences it (exit 1); every record once") {
  if (!kwire::test::managed_three_nodes()) return;
  const auto& env = broker_env();
  REQUIRE_MESSAGE(!kwire_cli().empty(), "built without the kwire CLI");
  constexpr std::size_t kRecords = 120000;
  const std::string in = unique_topic("eos-share-in");
  const std::string out = unique_topic("eos-share-out");
  const std::string group = unique_topic("eos-share-group");
  const std::string id_a = unique_topic("eos-share-a");
  const std::string id_b = unique_topic("eos-share-b");
  create_topic(in, kPartitions, 3);
  create_topic(out, kPartitions, 3);
  produce_input(in, kRecords);
  auto command = [&](const std::string& transactional_id) {
    return shell_quote(kwire_cli()) + " copy -b " + shell_quote(env.bootstrap()) + " --from " + shell_quote(in) +
           " --to " + shell_quote(out) + " -G " + shell_quote(group) + " --transactional-id " +
           shell_quote(transactional_id) +
           " --transaction-size 1000 -X session.timeout.ms=6000 -X heartbeat.interval.ms=1000";
  };
  kwire::admin::Admin admin(kwire::cluster::ClientConfig::from_properties({{"bootstrap.servers", env.bootstrap()}}));

  // A copies alone, then B joins (a rebalance: A commits before its
  // partitions are revoked), then A2 starts with A's transactional id: its
  // InitProducerId fences A's epoch, A's next transactional call fails for
  // good and A exits 1; A leaves the group, B and A2 share the rest.
  ChildProcess a(command(id_a));
  REQUIRE(wait_committed(admin, group, 10000, a, 120s));
  ChildProcess b(command(id_b) + " -e");
  REQUIRE(wait_committed(admin, group, committed_records(admin, group) + 10000, a, 120s));
  ChildProcess a2(command(id_a) + " -e");
  CHECK(a.wait_for(120s) == 1);  // fenced: a fatal error
  CHECK(b.wait_for(300s) == 0);
  CHECK(a2.wait_for(300s) == 0);
  verify_exactly_once(out, kRecords);
}

}  // TEST_SUITE
