// kwire::admin and the `kwire topics|configs|cluster|groups|transactions`
// commands against a real broker, each change checked through another path:
// Kafka's own Java tools (TopicCommand, ConsumerGroupCommand), a Java
// console consumer's commits, a Java transactional producer killed mid-
// transaction, and read_committed fetches. Errors come back per item with
// the broker's detail.
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include <kwire/admin/admin.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/list_offsets.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::test::broker_env;
using kwire::test::run_command;
using kwire::test::shell_quote;
using kwire::test::unique_topic;

namespace {

std::string cli() { return shell_quote(kwire::test::kwire_cli()) + " "; }
std::string bootstrap() { return " -b " + shell_quote(broker_env().bootstrap()) + " "; }

/// A Kafka tools class run on the harness's classpath; stdout captured.
kwire::test::CommandResult java(const std::string& klass, const std::string& args) {
  return run_command(shell_quote(KWIRE_BROKER_SCRIPT) + " run-class " + klass + " " + args + " 2>/dev/null");
}

kwire::admin::Admin make_admin() {
  return kwire::admin::Admin(kwire::cluster::ClientConfig::from_properties({{"bootstrap.servers", broker_env().bootstrap()}}));
}

/// Polls `check` for up to 30 s (KRaft brokers apply admin changes a moment
/// after the controller answers).
bool eventually(const std::function<bool()>& check) {
  for (int i = 0; i < 150; ++i) {
    if (check()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

}  // namespace

TEST_CASE("admin: topics created, altered and deleted by kwire, as Kafka's kafka-topics sees them") {
  const std::string topic = unique_topic("kwire-admin-topic");
  auto created = run_command(cli() + "topics create" + bootstrap() + shell_quote(topic) +
                             " --partitions 3 --replication-factor 1 --config retention.ms=3600000 --json");
  CHECK(created.exit_code == 0);
  CHECK(created.output.find("\"topic\":\"" + topic + "\"") != std::string::npos);
  CHECK(created.output.find("\"error\":null") != std::string::npos);

  // A second change through IncrementalAlterConfigs, and two more partitions.
  CHECK(run_command(cli() + "topics alter-config" + bootstrap() + shell_quote(topic) +
                    " --config retention.ms=7200000 --config max.message.bytes=123456 >&2")
            .exit_code == 0);
  CHECK(run_command(cli() + "topics alter" + bootstrap() + shell_quote(topic) + " --partitions 5 >&2").exit_code == 0);

  // Kafka's own tool sees all of it.
  std::string described;
  CHECK(eventually([&] {
    described = java("org.apache.kafka.tools.TopicCommand",
                     "--bootstrap-server " + shell_quote(broker_env().bootstrap()) + " --describe --topic " +
                         shell_quote(topic))
                    .output;
    return described.find("PartitionCount: 5") != std::string::npos;
  }));
  CAPTURE(described);
  CHECK(described.find("retention.ms=7200000") != std::string::npos);
  CHECK(described.find("max.message.bytes=123456") != std::string::npos);

  // kwire's own describe agrees (Metadata + DescribeConfigs).
  auto ours = run_command(cli() + "topics describe" + bootstrap() + shell_quote(topic) + " --json");
  CHECK(ours.exit_code == 0);
  CHECK(ours.output.find("\"retention.ms\":\"7200000\"") != std::string::npos);
  CHECK(ours.output.find("\"partition\":4") != std::string::npos);

  // Creating it again: the broker's TOPIC_ALREADY_EXISTS with its message,
  // for that topic only; a new topic in the same request is created.
  const std::string other = unique_topic("kwire-admin-other");
  auto again = run_command(cli() + "topics create" + bootstrap() + shell_quote(topic) + " " + shell_quote(other) +
                           " --partitions 1 --json");
  CHECK(again.exit_code == 1);
  CAPTURE(again.output);
  CHECK(again.output.find("TOPIC_ALREADY_EXISTS: Topic '" + topic + "' already exists.") != std::string::npos);
  CHECK(again.output.find("{\"topic\":\"" + other + "\",\"topic_id\":\"") != std::string::npos);
  // --if-not-exists: no error, no news.
  CHECK(run_command(cli() + "topics create" + bootstrap() + shell_quote(topic) + " --if-not-exists").exit_code == 0);

  // Delete both; Kafka's tool no longer lists them.
  CHECK(run_command(cli() + "topics delete" + bootstrap() + shell_quote(topic) + " " + shell_quote(other) + " >&2")
            .exit_code == 0);
  CHECK(eventually([&] {
    auto listed = java("org.apache.kafka.tools.TopicCommand",
                       "--bootstrap-server " + shell_quote(broker_env().bootstrap()) + " --list");
    return listed.exit_code == 0 && listed.output.find(topic) == std::string::npos &&
           listed.output.find(other) == std::string::npos;
  }));
  auto missing = run_command(cli() + "topics delete" + bootstrap() + shell_quote(topic) + " --json");
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("UNKNOWN_TOPIC_OR_PARTITION") != std::string::npos);
  CHECK(run_command(cli() + "topics delete" + bootstrap() + shell_quote(topic) + " --if-exists").exit_code == 0);
}

TEST_CASE("admin: per-item errors — invalid configs, validate_only, unknown topics — through the Admin API") {
  auto admin = make_admin();
  const std::string good = unique_topic("kwire-admin-good");
  const std::string bad = unique_topic("kwire-admin-bad");
  const std::string checked = unique_topic("kwire-admin-validated");
  const std::string second = unique_topic("kwire-admin-second");

  auto results =
      admin.create_topics({{good, 2, 1, {}}, {bad, 1, 1, {{"retention.ms", "not-a-number"}}}, {second, 1, 1, {}}});
  REQUIRE(results.size() == 3);
  CHECK(results[2].error.ok());
  CHECK(results[0].error.ok());
  CHECK(results[0].partitions == 2);
  CHECK_FALSE(results[0].topic_id.is_zero());
  CHECK(results[1].error.error == kwire::errc::invalid_config);
  CAPTURE(results[1].error.message());
  CHECK(results[1].error.detail.find("not-a-number") != std::string::npos);

  // validate_only creates nothing.
  auto validated = admin.create_topics({{checked, 4, 1, {}}}, {.validate_only = true, .timeout_ms = 30000});
  CHECK(validated.at(0).error.ok());
  // A topic just created reaches the broker's metadata a moment later (KRaft
  // propagates it asynchronously): describe until it shows both partitions.
  std::vector<kwire::admin::TopicDescription> described;
  CHECK(eventually([&] {
    described = admin.describe_topics({good, checked});
    for (const auto& d : described)
      if (d.name == good) return d.error.ok() && d.partitions.size() == 2;
    return false;
  }));
  REQUIRE(described.size() == 2);
  for (const auto& d : described) {
    CAPTURE(d.name);
    if (d.name == good) {
      CHECK(d.error.ok());
      REQUIRE(d.partitions.size() == 2);
      CHECK(d.partitions[0].leader >= 0);
      CHECK(d.topic_id == results[0].topic_id);
    } else {
      CHECK(d.error.error == kwire::errc::unknown_topic_or_partition);
    }
  }

  // An invalid alteration fails that resource only, with the broker's
  // words. (Naming one resource twice in a request fails both with
  // INVALID_REQUEST, so these are two topics.)
  auto altered = admin.alter_configs({{{kwire::admin::ConfigResourceType::topic, second},
                                       {{"retention.ms", kwire::admin::ConfigOperation::set, "soon"}}},
                                      {{kwire::admin::ConfigResourceType::topic, good},
                                       {{"retention.ms", kwire::admin::ConfigOperation::set, "60000"}}}});
  REQUIRE(altered.size() == 2);
  CHECK(altered[0].error.error == kwire::errc::invalid_config);
  CHECK(altered[0].error.detail.find("soon") != std::string::npos);
  CHECK(altered[1].error.ok());
  CHECK(eventually([&] {
    auto configs = admin.describe_configs({{kwire::admin::ConfigResourceType::topic, good}}, {"retention.ms"});
    return configs.size() == 1 && configs[0].entries.size() == 1 &&
           configs[0].entries[0].value == std::optional<std::string>("60000") &&
           configs[0].entries[0].source == kwire::admin::ConfigSource::dynamic_topic_config;
  }));

  auto cluster = admin.describe_cluster();
  CHECK_FALSE(cluster.cluster_id.empty());
  REQUIRE_FALSE(cluster.brokers.empty());
  CHECK(broker_env().bootstrap().find(std::to_string(cluster.brokers[0].port)) != std::string::npos);

  auto deleted = admin.delete_topics({good, bad, second});
  CHECK(deleted[0].error.ok());
  CHECK(deleted[1].error.error == kwire::errc::unknown_topic_or_partition);
  CHECK(deleted[2].error.ok());
}

TEST_CASE("admin: a group's offsets and lag, reset by kwire and read back by kafka-consumer-groups") {
  const std::string topic = unique_topic("kwire-admin-group");
  const std::string group = unique_topic("kwire-admin-g");
  REQUIRE(run_command(cli() + "topics create" + bootstrap() + shell_quote(topic) + " --partitions 1 >&2").exit_code == 0);
  REQUIRE(run_command("seq 1 20 | " + cli() + "produce" + bootstrap() + "-t " + shell_quote(topic) + " -p 0 >&2")
              .exit_code == 0);
  // A Java consumer in the group reads 7 records and commits on close.
  REQUIRE(java("org.apache.kafka.tools.consumer.ConsoleConsumer",
               "--bootstrap-server " + shell_quote(broker_env().bootstrap()) + " --topic " + shell_quote(topic) +
                   " --group " + shell_quote(group) + " --from-beginning --max-messages 7 >/dev/null")
              .exit_code == 0);

  auto described = run_command(cli() + "groups describe" + bootstrap() + shell_quote(group) + " --json");
  CAPTURE(described.output);
  CHECK(described.exit_code == 0);
  CHECK(described.output.find("\"state\":\"Empty\"") != std::string::npos);
  CHECK(described.output.find("\"partition\":0,\"committed\":7,\"end_offset\":20,\"lag\":13") != std::string::npos);
  auto listed = run_command(cli() + "groups list" + bootstrap());
  CHECK(listed.output.find(group + "\n") != std::string::npos);

  // A dry run changes nothing; --execute commits.
  auto plan = run_command(cli() + "groups reset-offsets" + bootstrap() + shell_quote(group) + " --topic " +
                          shell_quote(topic) + " --shift-by -5 --json");
  CHECK(plan.output.find("\"executed\":false") != std::string::npos);
  CHECK(plan.output.find("\"current\":7,\"target\":2") != std::string::npos);
  auto executed = run_command(cli() + "groups reset-offsets" + bootstrap() + shell_quote(group) + " --topic " +
                              shell_quote(topic) + ":0 --to-offset 4 --execute --json");
  CHECK(executed.exit_code == 0);
  CHECK(executed.output.find("\"current\":7,\"target\":4,\"error\":null") != std::string::npos);

  // Kafka's kafka-consumer-groups reads the new offset and lag.
  // (Its default 5 s timeout is short for a JVM's first FindCoordinator on
  // a loaded machine.)
  kwire::test::CommandResult theirs;
  CHECK(eventually([&] {
    theirs = java("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                  "--bootstrap-server " + shell_quote(broker_env().bootstrap()) + " --timeout 30000 --describe --group " +
                      shell_quote(group));
    return theirs.output.find(topic) != std::string::npos;
  }));
  CAPTURE(theirs.output);
  const auto row = theirs.output.find(topic);
  REQUIRE(row != std::string::npos);
  const std::string line = theirs.output.substr(row, theirs.output.find('\n', row) - row);
  CHECK(line.find(" 4 ") != std::string::npos);   // CURRENT-OFFSET
  CHECK(line.find(" 20 ") != std::string::npos);  // LOG-END-OFFSET
  CHECK(line.find(" 16 ") != std::string::npos);  // LAG

  // Deleting: an unknown group is GROUP_ID_NOT_FOUND for itself only.
  auto deleted = run_command(cli() + "groups delete" + bootstrap() + shell_quote(group) + " no-such-group-" +
                             group + " --json");
  CAPTURE(deleted.output);
  CHECK(deleted.exit_code == 1);
  CHECK(deleted.output.find("{\"group\":\"" + group + "\",\"error\":null}") != std::string::npos);
  CHECK(deleted.output.find("GROUP_ID_NOT_FOUND") != std::string::npos);
  run_command(cli() + "topics delete" + bootstrap() + shell_quote(topic) + " >&2");
}

TEST_CASE("admin: a hanging transaction (its Java producer SIGKILLed) is listed and aborted; read_committed moves on") {
  const std::string topic = unique_topic("kwire-admin-txn");
  const std::string txn_id = unique_topic("kwire-admin-txn-id");
  REQUIRE(run_command(cli() + "topics create" + bootstrap() + shell_quote(topic) + " --partitions 1 >&2").exit_code == 0);
  // ProducerPerformance commits every --transaction-duration-ms: with 10
  // minutes (and as long a transaction timeout) it never does before the kill.
  auto started = run_command(
      shell_quote(KWIRE_BROKER_SCRIPT) + " run-class org.apache.kafka.tools.ProducerPerformance --topic " +
      shell_quote(topic) + " --num-records 100000 --throughput 50 --record-size 10 --transactional-id " +
      shell_quote(txn_id) + " --transaction-duration-ms 600000 --producer-props bootstrap.servers=" +
      shell_quote(broker_env().bootstrap()) + " transaction.timeout.ms=600000 >/dev/null 2>&1 & echo $!");
  REQUIRE(started.exit_code == 0);
  const std::string pid = started.output.substr(0, started.output.find('\n'));
  REQUIRE_FALSE(pid.empty());

  auto admin = make_admin();
  const kwire::admin::TopicPartition tp{topic, 0};
  std::int64_t start_offset = -1;
  CHECK(eventually([&] {
    try {
      for (const auto& p : admin.describe_producers(tp))
        if (p.transaction_start_offset >= 0) start_offset = p.transaction_start_offset;
    } catch (const kwire::admin::AdminError&) {
    }
    return start_offset >= 0;
  }));
  std::this_thread::sleep_for(1s);  // a few more records into the open transaction
  run_command("kill -9 " + pid);
  REQUIRE(start_offset >= 0);

  auto listed = run_command(cli() + "transactions list" + bootstrap() + "--json");
  CAPTURE(listed.output);
  CHECK(listed.output.find("\"transactional_id\":\"" + txn_id + "\"") != std::string::npos);
  auto described = admin.describe_transactions({txn_id});
  REQUIRE(described.size() == 1);
  CHECK(described[0].state == "Ongoing");
  CHECK(described[0].partitions == std::vector<kwire::admin::TopicPartition>{tp});

  // read_committed readers are stuck at the transaction's start ...
  const std::string read_committed = cli() + "consume" + bootstrap() + "-t " + shell_quote(topic) +
                                     " -e -X isolation.level=read_committed -f '%o\\n' 2>&1";
  auto stuck = run_command(read_committed);
  CHECK(stuck.output.find("at offset " + std::to_string(start_offset) + ":") != std::string::npos);

  // ... a wrong start offset is refused with the reason ...
  auto wrong = run_command(cli() + "transactions abort" + bootstrap() + "--topic " + shell_quote(topic) +
                           " --partition 0 --start-offset " + std::to_string(start_offset + 1000) + " --json");
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.output.find("no open transaction") != std::string::npos);

  // ... and the abort lets them reach the end.
  auto aborted = run_command(cli() + "transactions abort" + bootstrap() + "--topic " + shell_quote(topic) +
                             " --partition 0 --start-offset " + std::to_string(start_offset) + " --json");
  CAPTURE(aborted.output);
  CHECK(aborted.exit_code == 0);
  CHECK(aborted.output.find("\"error\":null") != std::string::npos);
  CHECK(eventually([&] {
    for (const auto& p : admin.describe_producers(tp))
      if (p.transaction_start_offset >= 0) return false;
    return true;
  }));
  auto moved = run_command(read_committed);
  CAPTURE(moved.output);
  CHECK(moved.output.find("at offset " + std::to_string(start_offset) + ":") == std::string::npos);
  CHECK(moved.output.find("Reached end") != std::string::npos);
  run_command(cli() + "topics delete" + bootstrap() + shell_quote(topic) + " >&2");
}

TEST_CASE("admin: a KIP-848 consumer group (Java, group.protocol=consumer) is described through ConsumerGroupDescribe") {
  // Kafka 3.9 ships the consumer protocol disabled (early access); 4.0 made it GA.
  if (broker_env().get("KWIRE_KAFKA_VERSION").starts_with("3.")) return;
  const std::string topic = unique_topic("kwire-admin-848");
  const std::string group = unique_topic("kwire-admin-848-g");
  REQUIRE(run_command(cli() + "topics create" + bootstrap() + shell_quote(topic) + " --partitions 3 >&2").exit_code == 0);
  auto started = run_command(shell_quote(KWIRE_BROKER_SCRIPT) +
                             " run-class org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server " +
                             shell_quote(broker_env().bootstrap()) + " --topic " + shell_quote(topic) + " --group " +
                             shell_quote(group) +
                             " --consumer-property group.protocol=consumer >/dev/null 2>&1 & echo $!");
  REQUIRE(started.exit_code == 0);
  const std::string pid = started.output.substr(0, started.output.find('\n'));
  REQUIRE_FALSE(pid.empty());

  auto admin = make_admin();
  kwire::admin::GroupDescription seen;
  CHECK(eventually([&] {
    seen = admin.describe_groups({group}).at(0);
    return seen.error.ok() && seen.state == "Stable" && seen.members.size() == 1 &&
           seen.members[0].assignment.size() == 3;
  }));
  run_command("kill " + pid);
  CAPTURE(seen.error.message());
  CHECK(seen.consumer_protocol);
  CHECK(seen.group_epoch > 0);
  CHECK_FALSE(seen.assignor.empty());
  REQUIRE(seen.members.size() == 1);
  CHECK(seen.members[0].client_id.starts_with("console-consumer"));
  CHECK(seen.members[0].assignment == std::vector<kwire::admin::TopicPartition>{{topic, 0}, {topic, 1}, {topic, 2}});
  bool listed = false;
  for (const auto& g : admin.list_groups())
    if (g.group_id == group) listed = g.type == "consumer";
  CHECK(listed);
  run_command(cli() + "topics delete" + bootstrap() + shell_quote(topic) + " >&2");
}

TEST_CASE("admin: offsets, record deletion (read back by kcat) and SCRAM users") {
  const std::string topic = unique_topic("kwire-admin-records");
  REQUIRE(run_command(cli() + "topics create" + bootstrap() + shell_quote(topic) + " --partitions 2 >&2").exit_code == 0);
  REQUIRE(run_command("seq 1 10 | " + cli() + "produce" + bootstrap() + "-t " + shell_quote(topic) + " -p 1 >&2")
              .exit_code == 0);
  auto admin = make_admin();
  const kwire::admin::TopicPartition p0{topic, 0}, p1{topic, 1};
  auto latest = admin.list_offsets({p0, p1}, kwire::protocol::list_offsets_timestamp::latest);
  REQUIRE(latest.size() == 2);
  CHECK(latest[0].offset == 0);
  CHECK(latest[1].offset == 10);

  // Records before 4 go; beyond the end is refused for that partition only.
  auto deleted = admin.delete_records({{p1, 4, {}}, {p0, 40, {}}});
  REQUIRE(deleted.size() == 2);
  CHECK(deleted[0].error.ok());
  CHECK(deleted[0].offset == 4);
  CHECK(deleted[1].error.error == kwire::errc::offset_out_of_range);
  auto earliest = run_command(cli() + "topics offsets" + bootstrap() + shell_quote(topic) + " --time earliest");
  CHECK(earliest.output == topic + ":0:0\n" + topic + ":1:4\n");
  // An independent reader starts at the new log start.
  auto records = kwire::test::consume_with_kcat(topic, 1, 6);
  REQUIRE_FALSE(records.empty());
  CHECK(records.front().offset == 4);
  CHECK(records.front().value == std::optional<std::string>("5"));

  // The harness's SASL user has SCRAM credentials for both mechanisms.
  const std::string user = broker_env().get("KWIRE_SASL_USERNAME");
  auto users = admin.describe_user_scram_credentials({user});
  REQUIRE(users.size() == 1);
  CHECK(users[0].user == user);
  CHECK(users[0].error.ok());
  std::set<std::string> mechanisms;
  for (const auto& c : users[0].credentials) {
    mechanisms.insert(c.mechanism);
    CHECK(c.iterations >= 4096);
  }
  CHECK(mechanisms == std::set<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-512"});
  auto nobody = admin.describe_user_scram_credentials({"no-such-user"});
  REQUIRE(nobody.size() == 1);
  CHECK(nobody[0].error.error == kwire::errc::resource_not_found);
  run_command(cli() + "topics delete" + bootstrap() + shell_quote(topic) + " >&2");
}
