// kwire::admin::Admin against the mock cluster's faults (issue 17): per-item
// NOT_CONTROLLER in CreateTopics / DeleteTopics answers is retried for that
// item only (the others are not sent twice), NOT_COORDINATOR from a group's
// old coordinator is retried on the new one, other per-item errors come back
// per item, and a broker that never answers ends the call with timed_out
// naming the operation, within the call's bound.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "kwire/admin/admin.hpp"
#include "kwire/mock/cluster.hpp"
#include "kwire/protocol/find_coordinator.hpp"

using kwire::client_errc;
using kwire::errc;
using kwire::admin::Admin;
using kwire::admin::NewTopic;
using kwire::mock::ApiKey;
using kwire::mock::ClusterConfig;
using kwire::mock::DelayMode;
using kwire::mock::MockCluster;

namespace {

kwire::cluster::ClientConfig admin_config(const MockCluster& mock, int request_timeout_ms = 5000) {
  kwire::cluster::ClientConfig c;
  c.set("bootstrap.servers", mock.bootstrap_servers());
  c.request_timeout_ms = request_timeout_ms;
  c.retry_backoff_ms = 20;
  c.retry_backoff_max_ms = 200;
  return c;
}

ClusterConfig three_brokers() {
  ClusterConfig config;
  config.brokers = 3;
  config.auto_create_topics = false;
  return config;
}

NewTopic topic(std::string name, std::int32_t partitions) {
  NewTopic t;
  t.name = std::move(name);
  t.partitions = partitions;
  return t;
}

constexpr auto kGroup = static_cast<std::int8_t>(kwire::protocol::CoordinatorType::group);

}  // namespace

TEST_SUITE("mock_cluster") {

TEST_CASE("Admin: NOT_CONTROLLER for one topic of CreateTopics retries that topic alone and creates each once") {
  MockCluster mock(three_brokers());
  Admin admin(admin_config(mock));
  mock.fail_next(ApiKey::create_topics, errc::not_controller, 1, "orders");

  auto results = admin.create_topics({topic("orders", 3), topic("payments", 2)});
  REQUIRE(results.size() == 2);
  for (const auto& r : results) CHECK_MESSAGE(r.error.ok(), r.name << ": " << r.error.message());
  // Two requests: the second carried "orders" only — had it carried
  // "payments" again, that topic would have answered TOPIC_ALREADY_EXISTS.
  CHECK(mock.request_count(ApiKey::create_topics) == 2);
  const auto topics = mock.topics();
  CHECK(topics.at("orders") == 3);
  CHECK(topics.at("payments") == 2);

  // A second create of an existing topic is a per-item error, not a retry.
  auto again = admin.create_topics({topic("orders", 3)});
  REQUIRE(again.size() == 1);
  CHECK(again[0].error.error == errc::topic_already_exists);
  CHECK(again[0].error.message().find("TOPIC_ALREADY_EXISTS") != std::string::npos);
  CHECK(mock.request_count(ApiKey::create_topics) == 3);
}

TEST_CASE("Admin: NOT_CONTROLLER for a whole CreateTopics request is retried; a persistent one fails per topic at the deadline") {
  MockCluster mock(three_brokers());
  Admin admin(admin_config(mock, 1000));
  mock.fail_next(ApiKey::create_topics, errc::not_controller, 2);  // every topic of two requests
  auto results = admin.create_topics({topic("a", 1), topic("b", 1)});
  REQUIRE(results.size() == 2);
  for (const auto& r : results) CHECK_MESSAGE(r.error.ok(), r.name << ": " << r.error.message());
  CHECK(mock.request_count(ApiKey::create_topics) == 3);
  CHECK(mock.topics().size() == 2);

  // A controller that never settles: the call ends by its bound (two
  // request.timeout.ms) with the last per-item error, not a hang.
  mock.fail_next(ApiKey::create_topics, errc::not_controller, 1000);
  const auto start = std::chrono::steady_clock::now();
  auto stuck = admin.create_topics({topic("c", 1)});
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(stuck.size() == 1);
  CHECK_FALSE(stuck[0].error.ok());
  INFO(stuck[0].error.message());
  CHECK(stuck[0].error.error == errc::not_controller);  // the last answer, per item
  CHECK(took < std::chrono::seconds(6));
  CHECK(mock.topics().count("c") == 0);
}

TEST_CASE("Admin: NOT_CONTROLLER for one topic of DeleteTopics retries it; an unknown topic is a per-item error") {
  ClusterConfig config = three_brokers();
  config.topics = {{"old", 1}, {"older", 2}};
  MockCluster mock(config);
  Admin admin(admin_config(mock));
  mock.fail_next(ApiKey::delete_topics, errc::not_controller, 1, "old");

  auto results = admin.delete_topics({"old", "older", "never"});
  REQUIRE(results.size() == 3);
  for (const auto& r : results) {
    if (r.name == "never") {
      CHECK(r.error.error == errc::unknown_topic_or_partition);
      CHECK(r.error.message().find("UNKNOWN_TOPIC_OR_PARTITION") != std::string::npos);
    } else {
      CHECK_MESSAGE(r.error.ok(), r.name << ": " << r.error.message());
    }
  }
  CHECK(mock.request_count(ApiKey::delete_topics) == 2);
  CHECK(mock.topics().empty());
}

TEST_CASE("Admin: delete_groups follows a moved group coordinator (NOT_COORDINATOR) and reports other errors per group") {
  MockCluster mock(three_brokers());
  Admin admin(admin_config(mock));

  auto first = admin.delete_groups({"billing"});
  REQUIRE(first.size() == 1);
  CHECK_MESSAGE(first[0].ok(), first[0].message());
  const std::int32_t old_node = mock.coordinator(kGroup, "billing");
  CHECK(mock.request_count(ApiKey::delete_groups, old_node) == 1);

  const std::int32_t new_node = old_node % 3 + 1;
  mock.move_coordinator(kGroup, "billing", new_node);
  auto second = admin.delete_groups({"billing"});
  REQUIRE(second.size() == 1);
  CHECK_MESSAGE(second[0].ok(), second[0].message());
  CHECK(mock.request_count(ApiKey::delete_groups, old_node) == 2);  // NOT_COORDINATOR there ...
  CHECK(mock.request_count(ApiKey::delete_groups, new_node) == 1);  // ... then the new one
  CHECK(mock.request_count(ApiKey::find_coordinator) >= 2);

  // A non-retriable per-group error comes back with the broker's words.
  mock.fail_next(ApiKey::delete_groups, errc::non_empty_group, 1, "busy");
  auto busy = admin.delete_groups({"busy", "idle"});
  REQUIRE(busy.size() == 2);
  CHECK(busy[0].error == errc::non_empty_group);
  CHECK(busy[0].message().find("NON_EMPTY_GROUP") != std::string::npos);
  CHECK_MESSAGE(busy[1].ok(), busy[1].message());
}

TEST_CASE("Admin: a broker that never answers ends the call with timed_out naming the operation, within its bound") {
  MockCluster mock(three_brokers());
  Admin admin(admin_config(mock, 1000));  // the call's bound: two request.timeout.ms
  mock.delay(ApiKey::create_topics, std::chrono::seconds(30), 1000, DelayMode::request);

  const auto start = std::chrono::steady_clock::now();
  auto results = admin.create_topics({topic("late", 1)});
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(results.size() == 1);
  CHECK(results[0].error.error == client_errc::timed_out);
  CHECK(results[0].error.detail.find("CreateTopics") != std::string::npos);
  INFO(results[0].error.detail);
  CHECK(took >= std::chrono::milliseconds(1500));
  CHECK(took < std::chrono::seconds(6));
  CHECK(mock.topics().count("late") == 0);

  // Group operations too: the coordinator's answer never comes.
  mock.delay(ApiKey::delete_groups, std::chrono::seconds(30), 1000, DelayMode::request);
  const auto group_start = std::chrono::steady_clock::now();
  auto groups = admin.delete_groups({"slow"});
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].error == client_errc::timed_out);
  CHECK(groups[0].detail.find("DeleteGroups") != std::string::npos);
  INFO(groups[0].detail);
  CHECK(std::chrono::steady_clock::now() - group_start < std::chrono::seconds(6));
}

}  // TEST_SUITE
