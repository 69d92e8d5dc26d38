// kwire::consumer::Consumer under KIP-848's consumer group protocol
// (group.protocol=consumer) on a real broker: two kwire members split a
// topic and one takes everything when the other closes, every record read
// exactly once thanks to the commits made before each revocation; a kwire
// member shares a group with Java's consumer (AsyncKafkaConsumer); and
// `kwire consume -G ... -X group.protocol=consumer` reads a topic.
//
// A broker whose ApiVersions lack ConsumerGroupHeartbeat v1 (Kafka 3.9, where
// KIP-848 is early access and disabled) must instead make kwire fail with
// consumer_errc::group_protocol_unsupported: each test asserts that there.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <system_error>

#include <unistd.h>

#include <kwire/consumer/consumer.hpp>
#include <kwire/consumer/consumer_error.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::consumer::Consumer;
using kwire::consumer::ConsumerConfig;
using kwire::consumer::RebalanceCallbacks;
using kwire::consumer::TopicPartition;
using kwire::test::broker_env;
using kwire::test::run_command;
using kwire::test::shell_quote;

namespace {

/// The highest ConsumerGroupHeartbeat version the broker lists in
/// ApiVersions (through `kwire api-versions`), or -1 when it lists none.
int broker_heartbeat_max_version() {
  const auto listed = run_command(kwire::test::kwire_cli() + " api-versions -b " +
                                  shell_quote(broker_env().bootstrap()) + " 2>/dev/null");
  REQUIRE(listed.exit_code == 0);
  // "  68  ConsumerGroupHeartbeat  <broker min> <broker max>  <kwire min> <kwire max>  <chosen>"
  static const std::regex row(R"(\b68\s+ConsumerGroupHeartbeat\s+(-|\d+)\s+(-|\d+))");
  std::smatch m;
  if (!std::regex_search(listed.output, m, row) || m[2] == "-") return -1;
  return std::stoi(m[2]);
}

ConsumerConfig kip848_config(const std::string& group, const std::string& remote_assignor = {}) {
  std::map<std::string, std::string> properties{{"bootstrap.servers", broker_env().bootstrap()},
                                                {"group.id", group},
                                                {"group.protocol", "consumer"},
                                                {"auto.offset.reset", "earliest"},
                                                {"enable.auto.commit", "true"},
                                                // Longer than the tests: only the commits made before a
                                                // revocation and at close() keep records from being read twice.
                                                {"auto.commit.interval.ms", "600000"}};
  if (!remote_assignor.empty()) properties["group.remote.assignor"] = remote_assignor;
  return ConsumerConfig::from_properties(properties);
}

/// Whether the broker offers KIP-848 (ConsumerGroupHeartbeat v1, Kafka 4.0+).
/// When it does not, asserts that a kwire member says so clearly (poll()
/// throws group_protocol_unsupported naming KIP-848) and returns false.
bool kip848_offered_else_refused_clearly(const std::string& topic) {
  const int max_version = broker_heartbeat_max_version();
  MESSAGE("broker " << broker_env().get("KWIRE_KAFKA_VERSION") << ": ConsumerGroupHeartbeat max version "
                    << max_version);
  if (max_version >= 1) return true;
  Consumer consumer(kip848_config(topic + "-refused"));
  consumer.subscribe({topic});
  std::error_code error;
  std::string what;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!error && std::chrono::steady_clock::now() < deadline) {
    try {
      (void)consumer.poll(200ms);
    } catch (const std::system_error& e) {
      error = e.code();
      what = e.what();
    }
  }
  CHECK(error == make_error_code(kwire::consumer_errc::group_protocol_unsupported));
  CHECK(what.find("KIP-848") != std::string::npos);
  CHECK(what.find("group.protocol=classic") != std::string::npos);
  // The CLI says the same and fails.
  const auto cli = run_command(kwire::test::kwire_cli() + " consume -b " + shell_quote(broker_env().bootstrap()) +
                               " -G " + shell_quote(topic + "-cli") + " -X group.protocol=consumer -e " +
                               shell_quote(topic) + " 2>&1");
  CHECK(cli.exit_code != 0);
  CHECK(cli.output.find("KIP-848") != std::string::npos);
  return false;
}

/// `count` records "<prefix>-<partition>-<i>" into one partition.
void produce_into(const std::string& topic, int partition, const std::string& prefix, int count) {
  std::string lines;
  for (int i = 0; i < count; ++i) lines += prefix + "-" + std::to_string(partition) + "-" + std::to_string(i) + "\n";
  const auto produced = run_command("printf " + shell_quote(lines) + " | " + kwire::test::kwire_cli() +
                                    " produce -b " + shell_quote(broker_env().bootstrap()) + " -t " +
                                    shell_quote(topic) + " -p " + std::to_string(partition) + " 2>&1");
  REQUIRE_MESSAGE(produced.exit_code == 0, produced.output);
}

/// A kwire member and what it read (value -> times).
struct Member {
  std::map<std::string, int> seen;
  std::set<TopicPartition> owned;
  int revocations = 0;
  std::unique_ptr<Consumer> consumer;

  Member(const std::string& group, const std::string& topic, const std::string& remote_assignor = {}) {
    RebalanceCallbacks callbacks;
    callbacks.on_assigned = [this](Consumer&, const std::vector<TopicPartition>& parts) {
      owned.insert(parts.begin(), parts.end());
    };
    callbacks.on_revoked = [this](Consumer&, const std::vector<TopicPartition>& parts) {
      ++revocations;
      for (const auto& tp : parts) owned.erase(tp);
    };
    callbacks.on_lost = [](Consumer&, const std::vector<TopicPartition>& parts, std::error_code why) {
      FAIL_CHECK("lost " << parts.size() << " partitions: " << why.message());
    };
    consumer = std::make_unique<Consumer>(kip848_config(group, remote_assignor), std::move(callbacks));
    consumer->subscribe({topic});
  }

  void poll() {
    for (const auto& r : consumer->poll(50ms)) ++seen[std::string(r.value->begin(), r.value->end())];
    for (const auto& e : consumer->errors()) FAIL_CHECK("consumer error: " << e.message);
  }
};

std::set<std::int32_t> partitions_of(const std::set<TopicPartition>& owned) {
  std::set<std::int32_t> out;
  for (const auto& tp : owned) out.insert(tp.partition);
  return out;
}

/// Polls every member until `done` (or fails after `limit`).
template <class Done>
void poll_until(std::initializer_list<Member*> members, Done done, std::chrono::seconds limit, const char* what) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "timed out waiting for: " << what);
    for (Member* m : members) m->poll();
  }
}

std::set<std::string> expected_values(const std::string& prefix, int partitions, int count) {
  std::set<std::string> out;
  for (int p = 0; p < partitions; ++p)
    for (int i = 0; i < count; ++i) out.insert(prefix + "-" + std::to_string(p) + "-" + std::to_string(i));
  return out;
}

/// Every value of `expected` read exactly once, by `first` and `second`
/// together, and nothing else.
void check_read_once(const std::map<std::string, int>& first, const std::map<std::string, int>& second,
                     const std::set<std::string>& expected) {
  std::map<std::string, int> total = first;
  for (const auto& [value, times] : second) total[value] += times;
  std::set<std::string> values;
  for (const auto& [value, times] : total) {
    CHECK_MESSAGE(times == 1, value << " read " << times << " times");
    values.insert(value);
  }
  CHECK(values == expected);
}

}  // namespace

TEST_CASE("KIP-848: two kwire members split a topic, one takes all when the other closes; every record read once") {
  const std::string topic = kwire::test::unique_topic("kip848-split");
  kwire::test::create_topic(topic, 4);
  if (!kip848_offered_else_refused_clearly(topic)) return;
  const std::string group = topic + "-g";
  for (int p = 0; p < 4; ++p) produce_into(topic, p, "first", 25);

  Member a(group, topic, "range");  // the server-side range assignor (KIP-848 group.remote.assignor)
  poll_until({&a}, [&] { return a.owned.size() == 4 && a.seen.size() >= 20; }, 60s, "member a owns all 4");
  // b joins: the coordinator takes two partitions from a (a commits what it
  // read from them, then revokes, then acknowledges) and gives them to b.
  Member b(group, topic, "range");
  poll_until(
      {&a, &b},
      [&] {
        return a.owned.size() == 2 && b.owned.size() == 2 && a.seen.size() + b.seen.size() >= 100;
      },
      90s, "a and b own two partitions each and read all 100 first records");
  std::set<std::int32_t> split = partitions_of(a.owned);
  for (auto p : partitions_of(b.owned)) CHECK(split.insert(p).second);  // disjoint
  CHECK(split == std::set<std::int32_t>{0, 1, 2, 3});
  CHECK(a.revocations >= 1);
  const auto active = run_command(kwire::test::kwire_cli() + " groups describe -b " +
                                 shell_quote(broker_env().bootstrap()) + " " + shell_quote(group) + " 2>&1");
  CHECK_MESSAGE(active.output.find("protocol consumer (KIP-848)  assignor range  members 2") != std::string::npos,
                active.output);

  // b closes: it commits and leaves; a gets b's partitions and goes on from
  // b's commits, so the second batch is read once too.
  b.consumer->close();
  for (int p = 0; p < 4; ++p) produce_into(topic, p, "second", 10);
  poll_until(
      {&a}, [&] { return a.owned.size() == 4 && a.seen.size() + b.seen.size() >= 140; }, 90s,
      "a owns all 4 again and read the 40 second records");
  std::set<std::string> expected = expected_values("first", 4, 25);
  expected.merge(expected_values("second", 4, 10));
  check_read_once(a.seen, b.seen, expected);
  a.consumer->close();

  // Kafka's own view of the group: the member epoch commits reached it.
  const auto described = run_command(kwire::test::kwire_cli() + " groups describe -b " +
                                     shell_quote(broker_env().bootstrap()) + " " + shell_quote(group) + " 2>&1");
  CHECK(described.output.find("protocol consumer") != std::string::npos);
  for (int p = 0; p < 4; ++p) {
    const std::regex committed(topic + R"(\s+)" + std::to_string(p) + R"(\s+35\s+35\s+0)");
    CHECK_MESSAGE(std::regex_search(described.output, committed), described.output);
  }
}

TEST_CASE("KIP-848: a kwire member and a Java consumer (group.protocol=consumer) share a group") {
  const std::string topic = kwire::test::unique_topic("kip848-java");
  kwire::test::create_topic(topic, 4);
  if (!kip848_offered_else_refused_clearly(topic)) return;
  const std::string group = topic + "-g";
  for (int p = 0; p < 4; ++p) produce_into(topic, p, "before", 10);

  Member kwire_member(group, topic);
  poll_until({&kwire_member}, [&] { return kwire_member.owned.size() == 4 && kwire_member.seen.size() == 40; }, 60s,
             "the kwire member owns all 4 and read the first 40");

  // The Java member (AsyncKafkaConsumer) reads 20 records and exits.
  const std::string out = "/tmp/kwire-kip848-java-" + std::to_string(::getpid()) + ".out";
  const auto started = run_command(
      shell_quote(KWIRE_BROKER_SCRIPT) + " run-class org.apache.kafka.tools.consumer.ConsoleConsumer" +
      " --bootstrap-server " + shell_quote(broker_env().bootstrap()) + " --topic " + shell_quote(topic) +
      " --group " + shell_quote(group) + " --consumer-property group.protocol=consumer" +
      " --property print.partition=true --max-messages 20 > " + shell_quote(out) + " 2>/dev/null & echo $!");
  REQUIRE(started.exit_code == 0);
  const std::string pid = started.output.substr(0, started.output.find('\n'));
  REQUIRE_FALSE(pid.empty());
  struct Reaper {
    std::string pid, out;
    ~Reaper() { (void)run_command("kill " + pid + " 2>/dev/null; rm -f " + shell_quote(out) + "; true"); }
  } reaper{pid, out};

  // The coordinator moves two partitions to the Java member: kwire commits
  // and revokes them first, so Java starts after what kwire read.
  poll_until({&kwire_member}, [&] { return kwire_member.owned.size() == 2; }, 90s,
             "the kwire member gave two partitions to the Java member");
  const auto kwire_kept = partitions_of(kwire_member.owned);
  for (int p = 0; p < 4; ++p) produce_into(topic, p, "after", 10);

  // Java prints "Partition:N\tvalue" lines; it reads its two partitions' 20 new records.
  std::map<std::string, int> java_seen;
  std::set<std::int32_t> java_partitions;
  poll_until(
      {&kwire_member},
      [&] {
        java_seen.clear();
        java_partitions.clear();
        static const std::regex line(R"(Partition:(\d+)\s+(\S+))");
        std::ifstream in(out);
        for (std::string text; std::getline(in, text);) {
          std::smatch m;
          if (!std::regex_search(text, m, line)) continue;
          java_partitions.insert(std::stoi(m[1]));
          ++java_seen[m[2]];
        }
        return java_seen.size() >= 20 && kwire_member.seen.size() >= 60;
      },
      120s, "the Java member read 20 records and the kwire member its 20 new ones");
  std::set<std::int32_t> all = kwire_kept;
  for (auto p : java_partitions) CHECK_MESSAGE(all.insert(p).second, "partition " << p << " read by both");
  CHECK(all == std::set<std::int32_t>{0, 1, 2, 3});
  std::set<std::string> expected = expected_values("before", 4, 10);
  expected.merge(expected_values("after", 4, 10));
  check_read_once(kwire_member.seen, java_seen, expected);

  // The Java member exits after --max-messages and leaves: kwire gets all 4 back.
  poll_until({&kwire_member}, [&] { return kwire_member.owned.size() == 4; }, 90s,
             "the kwire member owns all 4 after the Java member left");
  kwire_member.consumer->close();
}

TEST_CASE("KIP-848: kwire consume -G group -X group.protocol=consumer reads, commits and leaves") {
  const std::string topic = kwire::test::unique_topic("kip848-cli");
  kwire::test::create_topic(topic, 3);
  if (!kip848_offered_else_refused_clearly(topic)) return;
  for (int p = 0; p < 3; ++p) produce_into(topic, p, "cli", 5);
  const std::string group = topic + "-g";
  const std::string command = kwire::test::kwire_cli() + " consume -b " + shell_quote(broker_env().bootstrap()) +
                              " -G " + shell_quote(group) +
                              " -X group.protocol=consumer -X group.remote.assignor=range -o beginning -e " +
                              shell_quote(topic);
  const auto first = run_command(command + " 2>/dev/null");
  REQUIRE(first.exit_code == 0);
  std::set<std::string> lines;
  std::istringstream in(first.output);
  for (std::string line; std::getline(in, line);) CHECK(lines.insert(line).second);
  CHECK(lines == expected_values("cli", 3, 5));
  // Committed: a second run starts after them.
  produce_into(topic, 1, "more", 2);
  const auto second = run_command(command + " 2>/dev/null");
  REQUIRE(second.exit_code == 0);
  CHECK(second.output == "more-1-0\nmore-1-1\n");
  // The classic-only keys are refused with the protocol named.
  const auto refused = run_command(command + " -X session.timeout.ms=10000 2>&1");
  CHECK(refused.exit_code == 2);
  CHECK(refused.output.find("group.protocol=consumer") != std::string::npos);
}
