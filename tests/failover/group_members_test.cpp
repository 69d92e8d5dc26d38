// Three kwire members of one group over a 12-partition topic while records
// stream in: one member is SIGKILLed mid-stream, a fourth joins late, the
// rest shut down cleanly (SIGTERM) once everything is committed. Each
// member is a `kwire consume -G` process, so the kill is a real crash. Under
// the classic protocol with eager (range) and cooperative (cooperative-
// sticky) assignment, and under KIP-848 (where the broker offers it).
//
// What must hold: every record read; a record read twice only in a
// partition at or after the offset its group had committed when the member
// died (what that member read and had not committed yet, read again by its
// successor) — never because of a rebalance among live members, which commit
// before they give partitions up; and Kafka's own kafka-consumer-groups
// reads the final commit: every partition at its end.
//
// Run through `ctest -L failover` (its fixture starts the three nodes).
// Skips on other clusters.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <kwire/admin/admin.hpp>
#include <kwire/producer/producer.hpp>

#include "child_process.hpp"
#include "numbered_records.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using kwire::test::broker_env;
using kwire::test::ChildProcess;
using kwire::test::committed_by_kafka;
using kwire::test::create_topic;
using kwire::test::kwire_cli;
using kwire::test::shell_quote;
using kwire::test::unique_topic;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPartitions = 12;
constexpr std::size_t kPerPhase = 20000;  // two phases: across the kill, after the late join

/// Records [from, to) of the "mbr" series: record i into partition i % 12.
void produce_range(kwire::Producer& producer, const std::string& topic, std::size_t from, std::size_t to) {
  kwire::test::produce_numbered(producer, topic, "mbr", kPartitions, from, to);
}

/// partition -> committed offset, as kwire's admin client reads it now.
std::map<int, std::int64_t> committed_now(kwire::admin::Admin& admin, const std::string& group) {
  std::map<int, std::int64_t> out;
  try {
    for (const auto& p : admin.group_lag(group))
      if (p.committed >= 0) out[p.partition.partition] = p.committed;
  } catch (const std::exception& e) {
    MESSAGE("group_lag: " << e.what());
  }
  return out;
}

std::int64_t total(const std::map<int, std::int64_t>& offsets) {
  std::int64_t sum = 0;
  for (const auto& [p, o] : offsets) sum += o;
  return sum;
}

/// Waits until the group committed `records` in all; false on timeout.
bool wait_committed(kwire::admin::Admin& admin, const std::string& group, std::int64_t records,
                    std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (total(committed_now(admin, group)) >= records) return true;
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

/// Waits until exactly `members` members hold the topic's partitions
/// between them (a rebalance done); false on timeout.
bool wait_members(kwire::admin::Admin& admin, const std::string& group, std::size_t members,
                  std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    std::set<std::string> holders;
    std::size_t assigned = 0;
    try {
      for (const auto& p : admin.group_lag(group)) {
        if (p.member_id.empty()) continue;
        holders.insert(p.member_id);
        ++assigned;
      }
    } catch (const std::exception&) {
    }
    if (holders.size() == members && assigned == static_cast<std::size_t>(kPartitions)) return true;
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

struct Line {
  int partition = -1;
  std::int64_t offset = -1;
  std::string value;
};

/// A member's output ("<partition> <offset> <value>" per record). A line cut
/// short by SIGKILL (no newline) is not a record the member printed.
std::vector<Line> read_output(const std::string& path, std::size_t* malformed) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  std::vector<Line> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // cut short
    std::istringstream fields(text.substr(start, end - start));
    Line line;
    if (fields >> line.partition >> line.offset >> line.value)
      out.push_back(line);
    else
      ++*malformed;
    start = end + 1;
  }
  return out;
}

void run_members(const std::string& protocol, const std::string& strategy) {
  REQUIRE_MESSAGE(!kwire_cli().empty(), "built without the kwire CLI");
  const auto& env = broker_env();
  const std::string topic = unique_topic("members-" + protocol + "-" + strategy);
  const std::string group = topic + "-g";
  kwire::test::require_replicas_in_sync();  // an earlier case restarted a node
  create_topic(topic, kPartitions, 3);
  const std::string dir = std::filesystem::temp_directory_path().string();

  std::string options = " -X auto.offset.reset=earliest -X auto.commit.interval.ms=500";
  if (protocol == "classic") {
    options += " -X session.timeout.ms=6000 -X heartbeat.interval.ms=1000 -X partition.assignment.strategy=" +
               strategy;
  } else {
    options += " -X group.protocol=consumer";
  }
  auto member = [&](const std::string& name) {
    const std::string path = dir + "/" + topic + "-" + name + ".out";
    return std::make_pair(path, std::make_unique<ChildProcess>(
                                    shell_quote(kwire_cli()) + " consume -b " + shell_quote(env.bootstrap()) +
                                    " -G " + shell_quote(group) + " -f '%p %o %s\\n'" + options + " " +
                                    shell_quote(topic) + " > " + shell_quote(path)));
  };
  kwire::admin::Admin admin(kwire::cluster::ClientConfig::from_properties({{"bootstrap.servers", env.bootstrap()}}));
  kwire::Producer producer({{"bootstrap.servers", env.bootstrap()}, {"linger.ms", "10"}});

  auto a = member("a");
  auto b = member("b");
  auto c = member("c");
  REQUIRE(wait_members(admin, group, 3, 120s));

  // Phase 1 streams in (about 4 s) and B dies with SIGKILL in the middle of
  // it. What the group had committed then bounds where a record may be read
  // twice. (A member prints each batch before the poll() that may commit
  // it, so nothing committed is missing from B's output.)
  std::thread stream([&] {
    for (std::size_t from = 0; from < kPerPhase; from += 500) {
      produce_range(producer, topic, from, from + 500);
      std::this_thread::sleep_for(100ms);
    }
  });
  const bool streaming = wait_committed(admin, group, kPerPhase / 4, 120s);
  b.second->kill9();
  const auto committed_at_kill = committed_now(admin, group);
  stream.join();
  CHECK(streaming);
  CHECK(total(committed_at_kill) < static_cast<std::int64_t>(kPerPhase));  // mid-stream
  MESSAGE(protocol << "/" << strategy << ": member b SIGKILLed with " << total(committed_at_kill)
                   << " records committed");

  // B's partitions move to A and C once its session ends; then D joins and
  // gets a share before phase 2 is written.
  CHECK(wait_members(admin, group, 2, 120s));
  auto d = member("d");
  CHECK(wait_members(admin, group, 3, 120s));
  produce_range(producer, topic, kPerPhase, 2 * kPerPhase);
  CHECK(wait_committed(admin, group, 2 * kPerPhase, 180s));

  // The rest leave cleanly: commit (nothing new) and LeaveGroup.
  for (auto* m : {&a, &c, &d}) m->second->terminate();
  for (auto* m : {&a, &c, &d}) CHECK(m->second->wait_for(60s) == 0);

  std::vector<int> seen(2 * kPerPhase, 0);
  std::size_t malformed = 0;
  std::size_t wrong_place = 0;
  std::size_t duplicates = 0;
  std::size_t duplicates_below_commit = 0;
  std::map<std::string, std::size_t> per_member;
  std::map<std::pair<int, std::int64_t>, int> reads_of;  // (partition, offset) -> times read
  for (const auto* m : {&a, &b, &c, &d}) {
    const auto lines = read_output(m->first, &malformed);
    per_member[m->first.substr(m->first.size() - 5, 1)] = lines.size();
    for (const auto& line : lines) {
      const auto n = kwire::test::number_of("mbr", line.value, seen.size());
      if (!n) {
        ++malformed;
        continue;
      }
      if (static_cast<int>(*n % kPartitions) != line.partition) ++wrong_place;
      ++seen[*n];
      if (++reads_of[{line.partition, line.offset}] > 1) {
        ++duplicates;
        const auto at = committed_at_kill.find(line.partition);
        if (at != committed_at_kill.end() && line.offset < at->second) ++duplicates_below_commit;
      }
    }
  }
  std::size_t missing = 0;
  for (int copies : seen) missing += copies == 0;
  std::ostringstream members;
  for (const auto& [name, count] : per_member) members << " " << name << "=" << count;
  MESSAGE(protocol << "/" << strategy << ": records per member" << members.str() << "; " << missing << " missing, "
                   << duplicates << " read twice (" << duplicates_below_commit << " below the commit at the kill)");
  CHECK(malformed == 0);
  CHECK(wrong_place == 0);
  CHECK(missing == 0);
  CHECK(duplicates_below_commit == 0);
  CHECK(per_member["b"] > 0);
  CHECK(per_member["d"] > 0);  // the late member got partitions and read

  const auto by_kafka = committed_by_kafka(group, topic);
  CHECK(by_kafka.size() == static_cast<std::size_t>(kPartitions));
  for (int p = 0; p < kPartitions; ++p) {
    CAPTURE(p);
    REQUIRE(by_kafka.count(p) == 1);
    const std::size_t records_in_p = 2 * kPerPhase / kPartitions + (static_cast<std::size_t>(p) < 2 * kPerPhase % kPartitions);
    CHECK(by_kafka.at(p) == static_cast<std::int64_t>(records_in_p));
  }
  for (const auto* m : {&a, &b, &c, &d}) std::remove(m->first.c_str());
}

}  // namespace

TEST_SUITE("groups") {

TEST_CASE("three kwire members, one SIGKILLed, one late (classic, eager range): every record read, none committed "
          "twice") {
  if (kwire::test::managed_three_nodes()) run_members("classic", "range");
}

TEST_CASE("three kwire members, one SIGKILLed, one late (classic, cooperative-sticky): every record read, none "
          "committed twice") {
  if (kwire::test::managed_three_nodes()) run_members("classic", "cooperative-sticky");
}

TEST_CASE("three kwire members, one SIGKILLed, one late (KIP-848): every record read, none committed twice") {
  if (!kwire::test::managed_three_nodes()) return;
  const std::string version = broker_env().get("KWIRE_KAFKA_VERSION");
  if (version.rfind("3.", 0) == 0) {
    MESSAGE("KIP-848 not offered by Kafka " << version << " (the integration tests check the refusal)");
    return;
  }
  run_members("consumer", "uniform");
}

}  // TEST_SUITE
