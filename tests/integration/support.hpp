#pragma once
// Helpers for tests against a real Kafka broker: where it is (from
// `kafka-broker env`, or KWIRE_BOOTSTRAP for an external broker), running
// commands, creating topics, and reading records back with an independent
// consumer (kcat, i.e. librdkafka) so kwire never checks itself.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kwire::test {

/// KWIRE_* variables describing the broker under test.
struct BrokerEnv {
  std::map<std::string, std::string> vars;
  std::string bootstrap() const { return get("KWIRE_BOOTSTRAP"); }
  std::string get(const std::string& key) const;
  bool has(const std::string& key) const { return vars.count(key) != 0; }
  /// True when the broker is one this test run started (not external).
  bool managed() const { return has("KWIRE_KAFKA_VERSION"); }
};

/// Reads the broker's variables once: from the environment when
/// KWIRE_BOOTSTRAP is set there (an external broker), else from
/// `kafka-broker env`.
const BrokerEnv& broker_env();

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout (stderr goes to the test's stderr)
};
/// Runs `command` with /bin/sh; captures stdout.
CommandResult run_command(const std::string& command);
/// Quotes `s` for /bin/sh.
std::string shell_quote(const std::string& s);

/// A topic name unique to this process and call, so reruns never collide.
std::string unique_topic(const std::string& prefix);

/// Creates `name` with `partitions` partitions with kwire::admin::Admin
/// (kwire's own CreateTopics; an existing topic is fine) and waits until
/// Metadata shows a leader for each. Throws on failure.
void create_topic(const std::string& name, int partitions, int replication_factor = -1);

/// A record as an independent consumer saw it.
struct ConsumedRecord {
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::optional<std::string> key;    ///< nullopt: null key
  std::optional<std::string> value;  ///< nullopt: null value
  std::vector<std::pair<std::string, std::string>> headers;
  std::int64_t timestamp_ms = -1;
};

/// Reads every record of `topic` (all partitions, or just `partition`) from
/// the beginning to the current end with kcat, which exits at the end.
/// `expected` bounds the wait: kcat is asked to stop after that many.
/// `bootstrap` (empty: the broker env's KWIRE_BOOTSTRAP) is for clusters
/// that moved since the env was read (`kafka-broker relocate`).
std::vector<ConsumedRecord> consume_with_kcat(const std::string& topic, std::optional<int> partition = std::nullopt,
                                              std::optional<std::size_t> expected = std::nullopt,
                                              const std::string& bootstrap = {});

/// Every record of `topic` kcat sees with isolation.level=`isolation_level`
/// ("read_committed": up to the last stable offset, what transactions
/// committed; "read_uncommitted": up to the high watermark, aborted records
/// too), from the beginning to where kcat stops.
std::vector<ConsumedRecord> consume_with_kcat_isolation(const std::string& topic, const std::string& isolation_level);

/// Path of the kwire CLI built with the tests.
std::string kwire_cli();

/// partition -> CURRENT-OFFSET of `group` on `topic` as Kafka's own
/// kafka-consumer-groups (ConsumerGroupCommand) reports it: an independent
/// reader of what a kwire member committed.
std::map<int, std::int64_t> committed_by_kafka(const std::string& group, const std::string& topic);

}  // namespace kwire::test
