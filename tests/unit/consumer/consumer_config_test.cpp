// ConsumerConfig: Kafka's property names, librdkafka's aliases, Java's
// defaults and the errors that name the key.
#include <doctest/doctest.h>

#include "kwire/consumer/config.hpp"

using namespace kwire::consumer;

TEST_CASE("ConsumerConfig: Kafka names, Java defaults, librdkafka aliases") {
  const auto c = ConsumerConfig::from_properties({{"bootstrap.servers", "localhost:9092"},
                                                  {"group.id", "g"},
                                                  {"group.instance.id", "i-1"},
                                                  {"auto.offset.reset", "smallest"},
                                                  {"isolation.level", "read_committed"},
                                                  {"fetch.wait.max.ms", "100"},
                                                  {"partition.assignment.strategy",
                                                   "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"},
                                                  {"client.rack", "r1"}});
  CHECK(c.group_id == "g");
  CHECK(c.group_instance_id == "i-1");
  CHECK(c.auto_offset_reset == OffsetResetPolicy::earliest);
  CHECK(c.isolation_level == kwire::protocol::IsolationLevel::read_committed);
  CHECK(c.fetch_max_wait_ms == 100);
  CHECK(c.partition_assignment_strategy == std::vector<std::string>{"cooperative-sticky"});
  CHECK(c.client_rack == "r1");
  // Java's defaults for what was not given.
  CHECK(c.enable_auto_commit);
  CHECK(c.auto_commit_interval_ms == 5000);
  CHECK(c.session_timeout_ms == 45000);
  CHECK(c.max_poll_records == 500);
  CHECK(c.group_protocol == GroupProtocol::classic);
  CHECK(c.allow_auto_create_topics);
  CHECK(c.describe().find("auto.offset.reset = earliest") != std::string::npos);
  CHECK_FALSE(ConsumerConfig(c).set("allow.auto.create.topics", "false").allow_auto_create_topics);
}

TEST_CASE("ConsumerConfig: bad values and conflicts name the key") {
  auto error_of = [](std::map<std::string, std::string> p) {
    p.emplace("bootstrap.servers", "localhost:9092");
    try {
      (void)ConsumerConfig::from_properties(p);
    } catch (const kwire::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of({{"auto.offset.reset", "sometimes"}}).find("auto.offset.reset") != std::string::npos);
  CHECK(error_of({{"partition.assignment.strategy", "sticky"}}).find("partition.assignment.strategy") !=
        std::string::npos);
  CHECK(error_of({{"heartbeat.interval.ms", "50000"}}).find("heartbeat.interval.ms") != std::string::npos);
  CHECK(error_of({{"group.instance.id", "x"}}).find("group.id") != std::string::npos);
  CHECK(error_of({{"fetch.max.wait.ms", "1"}, {"fetch.wait.max.ms", "2"}}).find("same property") != std::string::npos);
  CHECK(error_of({{"value.deserializer", "x"}}).find("deserialize") != std::string::npos);
  CHECK(error_of({{"group.protocol", "consumer"}}) == "no error");
}

TEST_CASE("ConsumerConfig: group.protocol=consumer (KIP-848) and its keys") {
  auto error_of = [](std::map<std::string, std::string> p) {
    p.emplace("bootstrap.servers", "localhost:9092");
    p.emplace("group.id", "g");
    try {
      (void)ConsumerConfig::from_properties(p);
    } catch (const kwire::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto c = ConsumerConfig::from_properties({{"bootstrap.servers", "localhost:9092"},
                                                  {"group.id", "g"},
                                                  {"group.protocol", "CONSUMER"},
                                                  {"group.remote.assignor", "range"}});
  CHECK(c.group_protocol == GroupProtocol::consumer);
  CHECK(c.group_remote_assignor == std::optional<std::string>("range"));
  CHECK(c.describe().find("group.remote.assignor = range") != std::string::npos);
  CHECK(ConsumerConfig::from_properties({{"bootstrap.servers", "h:1"}, {"group.id", "g"}, {"group.protocol", "consumer"}})
            .group_remote_assignor == std::nullopt);

  // An unknown protocol names the key and the choices.
  const std::string bad = error_of({{"group.protocol", "streams"}});
  CHECK(bad.find("group.protocol") != std::string::npos);
  CHECK(bad.find("classic or consumer") != std::string::npos);
  // The classic protocol's keys are refused under KIP-848 (Java 4.x does too).
  for (const char* key : {"session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy"}) {
    CAPTURE(key);
    const std::string k(key);
    const std::string value = k == "partition.assignment.strategy" ? "range" : k == "session.timeout.ms" ? "60000" : "2000";
    const std::string e = error_of({{"group.protocol", "consumer"}, {key, value}});
    CHECK(e.find(key) != std::string::npos);
    CHECK(e.find("group.protocol=consumer") != std::string::npos);
    CHECK(error_of({{key, value}}) == "no error");  // fine under classic
  }
  // group.remote.assignor is KIP-848's only.
  CHECK(error_of({{"group.remote.assignor", "uniform"}}).find("group.protocol=consumer") != std::string::npos);
  CHECK(error_of({{"group.protocol", "consumer"}, {"group.remote.assignor", "uniform,range"}})
            .find("group.remote.assignor") != std::string::npos);
}
