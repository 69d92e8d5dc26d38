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
  CHECK(c.describe().find("auto.offset.reset = earliest") != std::string::npos);
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
