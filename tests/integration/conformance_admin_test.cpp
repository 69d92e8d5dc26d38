// `kwire conformance` and the admin APIs against a real Apache Kafka broker
// (issue 17 item 4): the suite makes its own topic with CreateTopics and
// deletes it unless --keep, and its admin cells pass; librdkafka (kcat)
// confirms what they did.
#include <doctest/doctest.h>

#include <string>

#include "conformance_report.hpp"
#include "support.hpp"

using kwire::test::broker_env;
using kwire::test::run_command;
using kwire::test::shell_quote;
using namespace kwire::test::conformance_report;

TEST_CASE("kwire conformance makes its own topic with CreateTopics, deletes it unless --keep, and its admin cells pass") {
  const auto& env = broker_env();
  const std::string kafka_version = env.has("KWIRE_KAFKA_VERSION") ? env.get("KWIRE_KAFKA_VERSION") : "";
  SuiteRun run = run_suite("-b " + shell_quote(env.bootstrap()) + " --only admin");
  INFO(run.json);
  CHECK(run.exit_code == 0);
  CHECK(listing(run.cells, "fail").empty());
  const ReportCell* topic = run.find("topic");
  REQUIRE(topic != nullptr);
  CHECK(topic->status == "pass");
  CHECK(topic->detail.find("created with CreateTopics v") != std::string::npos);
  const ReportCell* deleted = run.find("delete topic");
  REQUIRE(deleted != nullptr);
  CHECK(deleted->status == "pass");
  CHECK(admin_cells_pass(run, kafka_version) == "");
  // librdkafka agrees: neither the suite's topic nor any of the admin
  // group's topics is left.
  const std::string made = report_topic(run);
  REQUIRE(made.rfind("kwire-conformance-", 0) == 0);
  CHECK(kcat_partition_count(made) == -1);
  auto all = run_command("kcat -L -X allow.auto.create.topics=false -b " + shell_quote(env.bootstrap()) + " 2>&1");
  CHECK(all.output.find(made) == std::string::npos);

  // With --keep the topic stays: one partition, as kcat sees it.
  SuiteRun kept = run_suite("-b " + shell_quote(env.bootstrap()) + " --only admin --keep");
  INFO(kept.json);
  CHECK(kept.exit_code == 0);
  CHECK(kept.find("delete topic") == nullptr);
  const std::string kept_topic = report_topic(kept);
  REQUIRE(kept_topic.rfind("kwire-conformance-", 0) == 0);
  CHECK(kcat_partition_count(kept_topic) == 1);
}

