// kwire's classic group membership (consumer/src/group) and range assignor
// in one group with a Java console consumer on a real broker: each side
// must read the other's ConsumerProtocol bytes. With kwire as leader, the
// Java member consumes exactly the partitions kwire assigned it; with Java
// as leader, kwire gets the partitions Java's RangeAssignor left for it.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <variant>

#include <unistd.h>

#include <kwire/net/blocking_client.hpp>
#include <kwire/protocol/kafka_error.hpp>

#include "group/classic_membership.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using kwire::consumer::TopicPartition;
using kwire::consumer::group::ClassicMembership;
using kwire::test::broker_env;
using kwire::test::run_command;
using kwire::test::shell_quote;
namespace protocol = kwire::protocol;

namespace {

kwire::net::BlockingClient connect_first_broker() {
  std::string first = broker_env().bootstrap();
  first = first.substr(0, first.find(','));
  kwire::net::ConnectionOptions options;
  options.host = first.substr(0, first.rfind(':'));
  options.port = static_cast<std::uint16_t>(std::stoi(first.substr(first.rfind(':') + 1)));
  options.client_id = "kwire-group-test";
  // A JoinGroup waits for the whole rebalance.
  kwire::net::BlockingClient client({options}, std::chrono::seconds(90));
  auto ec = client.connect();
  REQUIRE_MESSAGE(!ec, "connect: " << ec.message());
  return client;
}

ClassicMembership make_member(const std::string& group, const std::string& assignor = "range") {
  kwire::consumer::group::ClassicMembershipConfig config;
  config.group_id = group;
  config.session_timeout = 10s;
  config.heartbeat_interval = 1s;
  config.max_poll_interval = 60s;
  config.assignors.push_back(kwire::consumer::make_assignor(assignor));
  return ClassicMembership(std::move(config), std::chrono::steady_clock::now());
}

/// Sends what the member asks for and feeds back the answers (the
/// application polls all the time) until `done` or `limit`.
template <class Done>
void drive(ClassicMembership& m, kwire::net::BlockingClient& client, Done done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "group state " << static_cast<int>(m.state()));
    REQUIRE(m.state() != ClassicMembership::State::fatal);
    auto now = std::chrono::steady_clock::now();
    m.on_poll(now);
    while (m.next_event()) {
    }
    m.events_handled();
    // A single-node cluster: its only broker is the group coordinator.
    if (m.needs_coordinator()) m.on_coordinator_found(now);
    while (auto request = m.poll_request(std::chrono::steady_clock::now())) {
      std::visit(
          [&](const auto& r) {
            using Request = std::decay_t<decltype(r)>;
            auto exchange = [&](auto response) {
              std::int16_t version = -1;
              auto ec = client.request(r, response, version);
              REQUIRE_MESSAGE(!ec, "request failed: " << ec.message());
              if constexpr (std::is_same_v<Request, protocol::LeaveGroupRequest>) CHECK(version >= 3);
              m.on_response(response, std::chrono::steady_clock::now());
            };
            if constexpr (std::is_same_v<Request, protocol::JoinGroupRequest>) exchange(protocol::JoinGroupResponse{});
            if constexpr (std::is_same_v<Request, protocol::SyncGroupRequest>) exchange(protocol::SyncGroupResponse{});
            if constexpr (std::is_same_v<Request, protocol::HeartbeatRequest>) exchange(protocol::HeartbeatResponse{});
            if constexpr (std::is_same_v<Request, protocol::LeaveGroupRequest>) exchange(protocol::LeaveGroupResponse{});
          },
          *request);
    }
    std::this_thread::sleep_for(50ms);
  }
}

/// A Java console consumer (the tools class, in 3.9 and 4.x) in `group`, printing "Partition:N\tvalue" lines
/// to `out`; returns its pid.
std::string start_java_member(const std::string& topic, const std::string& group, const std::string& out,
                              const std::string& assignor_class = "RangeAssignor") {
  std::string command = shell_quote(KWIRE_BROKER_SCRIPT) + " run-class org.apache.kafka.tools.consumer.ConsoleConsumer" +
                        " --bootstrap-server " + shell_quote(broker_env().bootstrap()) + " --topic " +
                        shell_quote(topic) + " --group " + shell_quote(group) +
                        " --from-beginning --property print.partition=true"
                        " --consumer-property partition.assignment.strategy="
                        "org.apache.kafka.clients.consumer." + assignor_class +
                        " --consumer-property heartbeat.interval.ms=1000 > " +
                        shell_quote(out) + " 2>/dev/null & echo $!";
  auto result = run_command(command);
  REQUIRE(result.exit_code == 0);
  std::string pid = result.output.substr(0, result.output.find('\n'));
  REQUIRE_FALSE(pid.empty());
  return pid;
}

/// The partitions in the Java member's output so far, and its record count.
std::pair<std::set<std::int32_t>, std::size_t> java_output(const std::string& out) {
  static const std::regex line(R"(Partition:(\d+))");
  std::ifstream in(out);
  std::set<std::int32_t> partitions;
  std::size_t lines = 0;
  for (std::string text; std::getline(in, text);) {
    std::smatch m;
    if (!std::regex_search(text, m, line)) continue;
    partitions.insert(std::stoi(m[1]));
    ++lines;
  }
  return {partitions, lines};
}

/// Partitions in the Java member's output, once it printed `records` lines.
std::set<std::int32_t> java_partitions(const std::string& out, std::size_t records, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto [partitions, lines] = java_output(out);
    if (lines >= records) return partitions;
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "the Java member printed " << lines << " records");
    std::this_thread::sleep_for(200ms);
  }
}

std::set<std::int32_t> partitions_of(const std::set<TopicPartition>& owned) {
  std::set<std::int32_t> out;
  for (const auto& tp : owned) out.insert(tp.partition);
  return out;
}

struct JavaMember {
  std::string pid;
  ~JavaMember() {
    if (!pid.empty()) (void)run_command("kill " + pid + " 2>/dev/null; true");
  }
};

}  // namespace

TEST_CASE("a kwire member and a Java console consumer share a classic group, either one leading") {
  if (broker_env().bootstrap().find(',') != std::string::npos) {
    // Without FindCoordinator (the cluster layer's) the member cannot tell
    // which of several brokers coordinates its group.
    MESSAGE("a single-node cluster is needed until the cluster layer finds coordinators");
    return;
  }
  const std::string topic = kwire::test::unique_topic("group-interop");
  kwire::test::create_topic(topic, 4);
  for (int p = 0; p < 4; ++p) {
    auto produced = run_command("printf 'r1\\nr2\\nr3\\n' | kcat -P -b " + shell_quote(broker_env().bootstrap()) +
                                " -t " + shell_quote(topic) + " -p " + std::to_string(p));
    REQUIRE(produced.exit_code == 0);
  }
  // kwire has no FindCoordinator yet: a kcat group member makes the broker
  // create __consumer_offsets (the single broker is then every group's
  // coordinator).
  auto warm_up = run_command("timeout 60 kcat -q -b " + shell_quote(broker_env().bootstrap()) + " -G " +
                             shell_quote(topic + "-warm-up") + " -o beginning -e " + shell_quote(topic) +
                             " > /dev/null 2>&1; true");
  REQUIRE(warm_up.exit_code == 0);
  const std::string dir = "/tmp/kwire-group-test-" + std::to_string(::getpid());
  REQUIRE(run_command("mkdir -p " + shell_quote(dir)).exit_code == 0);

  SUBCASE("kwire leads: the Java member reads the assignment kwire's range assignor wrote") {
    auto client = connect_first_broker();
    ClassicMembership m = make_member(topic + "-kwire-leads");
    m.subscribe({topic});
    m.on_metadata({{topic, 4}});
    drive(m, client, [&] { return m.state() == ClassicMembership::State::stable; }, 60s);
    CHECK(m.owned().size() == 4);
    JavaMember java{start_java_member(topic, topic + "-kwire-leads", dir + "/a.out")};
    drive(m, client, [&] { return m.state() == ClassicMembership::State::stable && m.owned().size() == 2; }, 90s);
    CHECK(m.is_leader());
    const auto java_got = java_partitions(dir + "/a.out", 6, 60s);
    std::set<std::int32_t> all{0, 1, 2, 3}, expected;
    const auto mine = partitions_of(m.owned());
    std::set_difference(all.begin(), all.end(), mine.begin(), mine.end(), std::inserter(expected, expected.end()));
    CHECK(java_got == expected);
    m.leave(std::chrono::steady_clock::now());
    auto leave = m.poll_request(std::chrono::steady_clock::now());
    REQUIRE((leave && std::holds_alternative<protocol::LeaveGroupRequest>(*leave)));
    protocol::LeaveGroupResponse left;
    std::int16_t version = -1;
    REQUIRE_FALSE(client.request(std::get<protocol::LeaveGroupRequest>(*leave), left, version));
    CHECK(left.error_code == kwire::errc::none);
    REQUIRE(left.members.size() == 1);
    CHECK(left.members[0].error_code == kwire::errc::none);
    CHECK_FALSE(m.poll_request(std::chrono::steady_clock::now()).has_value());
  }
  SUBCASE("Java leads: kwire reads the assignment Java's RangeAssignor wrote") {
    const std::string group = topic + "-java-leads";
    JavaMember java{start_java_member(topic, group, dir + "/b.out")};
    CHECK(java_partitions(dir + "/b.out", 12, 90s) == std::set<std::int32_t>{0, 1, 2, 3});
    auto client = connect_first_broker();
    ClassicMembership m = make_member(group);
    m.subscribe({topic});
    drive(m, client, [&] { return m.state() == ClassicMembership::State::stable; }, 90s);
    CHECK_FALSE(m.is_leader());
    CHECK(m.owned().size() == 2);
    for (const auto& tp : m.owned()) CHECK(tp.topic == topic);
    // Stays in the group across a few heartbeats.
    const auto until = std::chrono::steady_clock::now() + 4s;
    drive(m, client, [&] { return std::chrono::steady_clock::now() > until; }, 10s);
    CHECK(m.state() == ClassicMembership::State::stable);
  }
  SUBCASE("cooperative-sticky, kwire leads: it revokes first, the Java member gets the partitions a round later") {
    const std::string group = topic + "-cooperative";
    auto client = connect_first_broker();
    ClassicMembership m = make_member(group, "cooperative-sticky");
    m.subscribe({topic});
    m.on_metadata({{topic, 4}});
    drive(m, client, [&] { return m.state() == ClassicMembership::State::stable; }, 60s);
    REQUIRE(m.owned().size() == 4);
    const auto first_generation = m.generation();
    JavaMember java{start_java_member(topic, group, dir + "/c.out", "CooperativeStickyAssignor")};
    // Round 1 takes two partitions from kwire (never handing them to the
    // Java member while kwire holds them); round 2 gives them to Java.
    drive(
        m, client,
        [&] {
          return m.state() == ClassicMembership::State::stable && m.generation() >= first_generation + 2 &&
                 java_output(dir + "/c.out").second >= 6;
        },
        90s);
    const auto kept = m.owned();
    CHECK(kept.size() == 2);
    const auto java_got = java_output(dir + "/c.out").first;
    std::set<std::int32_t> all{0, 1, 2, 3}, expected;
    const auto mine = partitions_of(kept);
    std::set_difference(all.begin(), all.end(), mine.begin(), mine.end(), std::inserter(expected, expected.end()));
    CHECK(java_got == expected);
    // Stable afterwards: no rebalance storm, kwire keeps what it kept.
    const auto until = std::chrono::steady_clock::now() + 4s;
    drive(m, client, [&] { return std::chrono::steady_clock::now() > until; }, 10s);
    CHECK(m.state() == ClassicMembership::State::stable);
    CHECK(m.owned() == kept);
  }
  (void)run_command("rm -rf " + shell_quote(dir));
}
