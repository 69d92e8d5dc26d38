// kwire::consumer::Consumer::subscribe_pattern() on a real broker: a group
// member subscribed by regular expression reads every topic whose whole
// name matches (records produced by kcat, not by kwire), never one that
// does not, and takes in a matching topic created while it runs once a
// metadata refresh (metadata.max.age.ms) lists it.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <kwire/admin/admin.hpp>
#include <kwire/consumer/consumer.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::consumer::Consumer;
using kwire::consumer::ConsumerConfig;
using kwire::test::broker_env;
using kwire::test::run_command;
using kwire::test::shell_quote;

namespace {

/// `count` records "<topic>#<i>" written by kcat (an independent producer).
void produce_with_kcat(const std::string& topic, int count) {
  std::string lines;
  for (int i = 0; i < count; ++i) lines += topic + "#" + std::to_string(i) + "\n";
  auto result = run_command("printf %s " + shell_quote(lines) + " | kcat -q -P -b " +
                            shell_quote(broker_env().bootstrap()) + " -t " + shell_quote(topic) + " 2>&1");
  REQUIRE_MESSAGE(result.exit_code == 0, result.output);
}

ConsumerConfig pattern_config(const std::string& group) {
  return ConsumerConfig::from_properties({{"bootstrap.servers", broker_env().bootstrap()},
                                          {"group.id", group},
                                          {"auto.offset.reset", "earliest"},
                                          {"fetch.max.wait.ms", "100"},
                                          {"heartbeat.interval.ms", "500"},
                                          // The pattern is matched again at every refresh.
                                          {"metadata.max.age.ms", "500"}});
}

/// Polls until every value in `expected` arrived (or 60 s), counting each.
std::map<std::string, int> read_values(Consumer& consumer, const std::set<std::string>& expected) {
  std::map<std::string, int> seen;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  auto all_seen = [&] {
    for (const auto& v : expected)
      if (!seen.contains(v)) return false;
    return true;
  };
  while (!all_seen()) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "timed out; read " << seen.size());
    for (const auto& r : consumer.poll(100ms))
      ++seen[std::string(reinterpret_cast<const char*>(r.value->data()), r.value->size())];
    for (const auto& e : consumer.errors()) FAIL_CHECK("consumer error: " << e.message);
  }
  for (int i = 0; i < 5; ++i)  // nothing else arrives
    for (const auto& r : consumer.poll(100ms))
      ++seen[std::string(reinterpret_cast<const char*>(r.value->data()), r.value->size())];
  return seen;
}

std::set<std::string> values_of(const std::string& topic, int count) {
  std::set<std::string> out;
  for (int i = 0; i < count; ++i) out.insert(topic + "#" + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("kwire::Consumer: a pattern subscription reads the matching topics, one created later too, no other") {
  const std::string base = kwire::test::unique_topic("pattern");
  const std::string first = base + "-in-a";
  const std::string later = base + "-in-b";
  const std::string other = base + "-out";
  kwire::test::create_topic(first, 2);
  kwire::test::create_topic(other, 1);
  produce_with_kcat(first, 10);
  produce_with_kcat(other, 5);

  Consumer consumer(pattern_config(base + "-g"));
  consumer.subscribe_pattern(base + "-in-.*");
  auto seen = read_values(consumer, values_of(first, 10));
  CHECK(seen.size() == 10);
  for (const auto& [value, times] : seen) {
    CHECK_MESSAGE(times == 1, value);
    CHECK_MESSAGE(value.rfind(first + "#", 0) == 0, value);  // nothing of `other`
  }

  kwire::test::create_topic(later, 1);
  produce_with_kcat(later, 7);
  seen = read_values(consumer, values_of(later, 7));
  CHECK(seen.size() == 7);
  for (const auto& [value, times] : seen) CHECK_MESSAGE(times == 1, value);
  std::set<std::string> assigned_topics;
  for (const auto& tp : consumer.assignment()) assigned_topics.insert(tp.topic);
  CHECK(assigned_topics == std::set<std::string>{first, later});
  consumer.close();

  // The CLI, kcat's way: a topic starting with '^' is a regular expression.
  const auto cli = run_command("timeout 60 " + kwire::test::kwire_cli() + " consume -b " +
                               shell_quote(broker_env().bootstrap()) + " -G " + shell_quote(base + "-cli") + " " +
                               shell_quote("^" + base + "-in-.*") + " -o beginning -c 17 -f '%s\\n' 2>/dev/null");
  REQUIRE(cli.exit_code == 0);
  std::multiset<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = cli.output.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.insert(cli.output.substr(start, nl - start));
  std::multiset<std::string> expected;
  for (const auto& v : values_of(first, 10)) expected.insert(v);
  for (const auto& v : values_of(later, 7)) expected.insert(v);
  CHECK(lines == expected);
}

TEST_CASE("kwire::Consumer: allow.auto.create.topics decides whether subscribing creates a missing topic") {
  // The harness broker has auto.create.topics.enable=true: the consumer's
  // Metadata request decides (allow_auto_topic_creation).
  kwire::admin::Admin admin(kwire::cluster::ClientConfig::from_properties({{"bootstrap.servers", broker_env().bootstrap()}}));
  auto exists = [&](const std::string& topic) {
    for (const auto& t : admin.list_topics())
      if (t.name == topic) return true;
    return false;
  };
  for (const bool allow : {false, true}) {
    CAPTURE(allow);
    const std::string topic = kwire::test::unique_topic(allow ? "autocreate-yes" : "autocreate-no");
    auto config = pattern_config(topic + "-g");
    config.set("allow.auto.create.topics", allow ? "true" : "false");
    Consumer consumer(config);
    consumer.subscribe({topic});
    const auto deadline = std::chrono::steady_clock::now() + (allow ? 30s : 3s);
    while (std::chrono::steady_clock::now() < deadline && !exists(topic)) (void)consumer.poll(200ms);
    CHECK(exists(topic) == allow);
    consumer.close();
  }
}
