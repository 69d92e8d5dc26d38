#pragma once
// Consumer configuration: the settings every client shares
// (cluster::ClientConfig: bootstrap, security, backoff, metadata, debug)
// plus the consumer's own, with Java's defaults (Kafka 4.x) and a parser for
// Kafka's property names and librdkafka's aliases, like ProducerConfig:
//
//   auto config = kwire::consumer::ConsumerConfig::from_properties({
//       {"bootstrap.servers", "localhost:9092"},
//       {"group.id", "billing"},
//       {"auto.offset.reset", "earliest"},
//   });  // throws kwire::ConfigError naming the bad key
//
// or fill the struct directly and call validate().
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/cluster/client_config.hpp"
#include "kwire/consumer/statistics.hpp"
#include "kwire/consumer/subscription_state.hpp"
#include "kwire/protocol/list_offsets.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

/// `group.protocol` (KIP-848).
enum class GroupProtocol : std::uint8_t { classic, consumer };

std::string_view to_string(GroupProtocol protocol) noexcept;
std::string_view to_string(OffsetResetPolicy policy) noexcept;

struct ConsumerConfig : cluster::ClientConfig {
  /// `group.id`. Empty: no group (assign() only, no commits).
  std::string group_id;
  /// `group.instance.id` (KIP-345 static membership).
  std::optional<std::string> group_instance_id;
  GroupProtocol group_protocol = GroupProtocol::classic;  ///< `group.protocol`
  /// `group.remote.assignor`: the server-side assignor a KIP-848 group uses
  /// ("uniform", "range"); unset: the broker's default. Only with
  /// group.protocol=consumer.
  std::optional<std::string> group_remote_assignor;
  /// `session.timeout.ms`, `heartbeat.interval.ms` and
  /// `partition.assignment.strategy` are the classic protocol's: under
  /// group.protocol=consumer the broker owns them (group.consumer.*
  /// settings) and from_properties() refuses them, as Java 4.x does.
  std::int32_t session_timeout_ms = 45000;                ///< `session.timeout.ms`
  std::int32_t heartbeat_interval_ms = 3000;              ///< `heartbeat.interval.ms`
  std::int32_t max_poll_interval_ms = 300000;             ///< `max.poll.interval.ms`
  /// `partition.assignment.strategy`: "range", "roundrobin",
  /// "cooperative-sticky" (Java class names accepted), in preference order.
  std::vector<std::string> partition_assignment_strategy{"range", "cooperative-sticky"};
  bool enable_auto_commit = true;                ///< `enable.auto.commit`
  std::int32_t auto_commit_interval_ms = 5000;   ///< `auto.commit.interval.ms`
  OffsetResetPolicy auto_offset_reset = OffsetResetPolicy::latest;  ///< `auto.offset.reset`
  protocol::IsolationLevel isolation_level = protocol::IsolationLevel::read_uncommitted;  ///< `isolation.level`
  std::int32_t fetch_min_bytes = 1;              ///< `fetch.min.bytes`
  std::int32_t fetch_max_wait_ms = 500;          ///< `fetch.max.wait.ms`
  std::int32_t fetch_max_bytes = 52428800;       ///< `fetch.max.bytes`
  std::int32_t max_partition_fetch_bytes = 1048576;  ///< `max.partition.fetch.bytes`
  std::int32_t max_poll_records = 500;           ///< `max.poll.records`
  /// `queued.max.messages.kbytes` (librdkafka's name and default, 64 MiB):
  /// the most fetched-but-not-yet-polled data the consumer holds, in KiB,
  /// whatever the number of partitions. Once reached no Fetch goes out
  /// until poll() drains below it (nothing is dropped): an application
  /// that polls slowly stops the fetching instead of growing memory.
  std::int32_t queued_max_messages_kbytes = 65536;
  bool check_crcs = true;                        ///< `check.crcs`
  /// `exclude.internal.topics`: a pattern subscription never matches
  /// __consumer_offsets or __transaction_state.
  bool exclude_internal_topics = true;
  /// `allow.auto.create.topics`: may subscribing to (or looking up) a topic
  /// that does not exist create it, where the broker's
  /// auto.create.topics.enable allows? Java's default (true); librdkafka's
  /// is false.
  bool allow_auto_create_topics = true;
  std::string client_rack;                       ///< `client.rack` (KIP-392)
  /// `default.api.timeout.ms`: the bound of committed(), commit_sync(), ...
  std::int32_t default_api_timeout_ms = 60000;
  /// C++ only: receives the statistics every statistics.interval.ms, as the
  /// struct and as JSON (the document Consumer::statistics_json() returns),
  /// on the consumer's network thread: return quickly, do not call the
  /// Consumer from it. An exception it throws is dropped.
  std::function<void(const ConsumerStatistics&, std::string_view json)> statistics_callback;

  static ConsumerConfig from_properties(const std::map<std::string, std::string>& properties);
  /// Sets one property by its Kafka (or librdkafka) name; no cross-key checks.
  ConsumerConfig& set(std::string_view key, std::string_view value);
  /// ClientConfig::validate() plus: heartbeat.interval.ms < session.timeout.ms;
  /// known assignors; group.instance.id needs group.id; group.remote.assignor
  /// needs group.protocol=consumer.
  void validate();
  std::string describe() const;
};

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
