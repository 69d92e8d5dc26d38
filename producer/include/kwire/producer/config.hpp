#pragma once
// Producer configuration: the settings every client shares
// (cluster::ClientConfig: bootstrap, security, backoff, metadata, debug) plus
// the producer's own, as a typed struct whose defaults match the Java
// producer (Kafka 4.x), with a parser for Kafka's own property names so that
// existing Java / librdkafka configs can be pasted in.
//
// Typical use:
//
//   auto config = kwire::producer::ProducerConfig::from_properties({
//       {"bootstrap.servers", "broker1:9092,[::1]:9093"},
//       {"acks", "all"},
//       {"linger.ms", "10"},
//   });  // throws kwire::ConfigError naming the bad key
//
// or fill the struct directly and call validate().
//
// Secrets (sasl.password, ssl.key.password, ssl.key.pem, sasl.jaas.config)
// never appear in an error message or in describe().
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/cluster/client_config.hpp"
#include "kwire/compression/codec.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::producer {

/// `acks`: how many replicas must have the batch before the broker answers.
enum class Acks : std::int16_t {
  none = 0,    ///< acks=0: no response at all; offsets are unknown (-1)
  leader = 1,  ///< acks=1: the leader wrote it
  all = -1,    ///< acks=all / -1: every in-sync replica has it
};

/// `partitioner`: how a partition is chosen for a record without an explicit
/// partition. Names and key semantics follow librdkafka's `partitioner`
/// property. "Sticky" means KIP-480/KIP-794 sticky partitioning: records stay
/// on one partition until its batch is complete, then move to another.
enum class PartitionerType : std::uint8_t {
  /// Java-compatible default: murmur2 of the key (an empty key is hashed);
  /// null keys are sticky. Same partition as the Java client for every key.
  murmur2_random,
  /// murmur2 of the key; a null key is hashed as an empty key (one partition).
  murmur2,
  /// librdkafka's default: CRC32 of the key; null *and empty* keys are sticky.
  consistent_random,
  /// CRC32 of the key; null and empty keys hash to CRC32("") = 0 (partition 0).
  consistent,
  /// Sarama-compatible FNV-1a of the key; null keys are sticky.
  fnv1a_random,
  /// Sarama-compatible FNV-1a of the key; a null key is hashed as empty.
  fnv1a,
  /// Every record to a uniformly random (available) partition; keys ignored.
  random,
};

/// A user partitioner: returns the partition for a record (in
/// [0, partition_count)). `key` is nullopt for a null key. Called on the
/// thread that calls send(), possibly concurrently: it must be thread-safe.
using PartitionFunction = std::function<std::int32_t(
    std::string_view topic, std::optional<std::span<const std::uint8_t>> key,
    std::int32_t partition_count)>;

using cluster::BrokerAddress;
using cluster::parse_broker_address;

std::string_view to_string(Acks acks) noexcept;
std::string_view to_string(PartitionerType type) noexcept;
/// Parses a librdkafka `partitioner` name (exact, lower case).
std::optional<PartitionerType> parse_partitioner(std::string_view name) noexcept;

struct ProducerStatistics;

struct ProducerConfig : cluster::ClientConfig {
  /// Declared so ProducerConfig is not an aggregate: otherwise
  /// `Producer({{"bootstrap.servers", "..."}, {"acks", "all"}})` would be
  /// ambiguous between this struct and a property map.
  ProducerConfig() = default;

  // --- Delivery ---------------------------------------------------------
  Acks acks = Acks::all;
  /// `linger.ms` (librdkafka alias `queue.buffering.max.ms`). Kafka 4.0 moved
  /// the Java default from 0 to 5 (KIP-1030).
  std::int32_t linger_ms = 5;
  std::int32_t batch_size = 16384;                ///< `batch.size`, bytes per partition batch
  std::int64_t buffer_memory = 32 * 1024 * 1024;  ///< `buffer.memory`, bytes
  std::int64_t max_block_ms = 60000;              ///< `max.block.ms`
  /// `max.request.size` (librdkafka alias `message.max.bytes`).
  std::int32_t max_request_size = 1048576;
  /// `delivery.timeout.ms` (librdkafka alias `message.timeout.ms`). Unset: the
  /// Java default 120000, raised by validate() to linger.ms +
  /// request.timeout.ms when that is larger (as KafkaProducer does). An
  /// explicit value below that sum is an error. Always set after validate().
  std::optional<std::int32_t> delivery_timeout_ms;
  /// `retries` (librdkafka alias `message.send.max.retries`).
  std::int32_t retries = 2147483647;
  /// `max.in.flight.requests.per.connection` (librdkafka alias `max.in.flight`).
  std::int32_t max_in_flight_requests_per_connection = 5;
  /// `enable.idempotence`. Unset means "on unless it conflicts": validate()
  /// then turns it off silently when acks != all, retries == 0 or
  /// max.in.flight > 5 — exactly Java 3.x+'s rule ("if idempotence is not
  /// explicitly enabled and a conflicting config is set, idempotence is
  /// disabled"). Explicitly true with a conflict is an error. Always set
  /// after validate().
  std::optional<bool> enable_idempotence;

  // --- Transactions (KIP-98, KIP-890) -------------------------------------
  /// `transactional.id`: makes the producer transactional (Producer's
  /// init_transactions() and the calls after it). Needs idempotence: with it
  /// set, enable.idempotence=false is a ConfigError and a conflicting acks /
  /// retries / max.in.flight is one too (Java's rule).
  std::optional<std::string> transactional_id;
  /// `transaction.timeout.ms`: how long the coordinator lets a transaction
  /// stay open before it aborts it (the broker caps it with
  /// transaction.max.timeout.ms). With a transactional id,
  /// delivery.timeout.ms must not exceed it; unset, delivery.timeout.ms
  /// defaults to it (as librdkafka), so no record outlives its transaction.
  std::int32_t transaction_timeout_ms = 60000;
  bool transactional() const noexcept { return transactional_id.has_value(); }

  // --- Partitioning -----------------------------------------------------
  PartitionerType partitioner = PartitionerType::murmur2_random;
  /// `partitioner.ignore.keys` (KIP-794): sticky partitioning for every
  /// record, keyed or not. No effect with a partitioner_function.
  bool partitioner_ignore_keys = false;
  /// `partitioner.adaptive.partitioning.enable` / `partitioner.availability.timeout.ms`:
  /// accepted for Java compatibility; kwire's sticky partitioner is uniform
  /// (it does not weight partitions by queue size yet).
  bool partitioner_adaptive_partitioning_enable = true;
  std::int64_t partitioner_availability_timeout_ms = 0;
  /// A user partitioner (Java's `partitioner.class`); C++ only, no property.
  /// When set it decides every record without an explicit partition.
  PartitionFunction partitioner_function;

  // --- Metadata ---------------------------------------------------------
  /// `metadata.max.idle.ms`: forget a topic not produced to for this long.
  std::int64_t metadata_max_idle_ms = 300000;

  // --- Compression ------------------------------------------------------
  /// `compression.type` (librdkafka alias `compression.codec`).
  compression::Codec compression_type = compression::Codec::none;
  /// `compression.level` (librdkafka): level for whichever codec is chosen;
  /// -1 or unset: use the per-codec level below. Overrides them when set.
  std::optional<std::int32_t> compression_level;
  std::int32_t compression_gzip_level = -1;  ///< 1-9, or -1 for zlib's default (6)
  std::int32_t compression_lz4_level = 9;    ///< 1-17 (Java's default 9)
  std::int32_t compression_zstd_level = 3;   ///< -131072..22 (Java's default 3)

  // --- Diagnostics --------------------------------------------------------
  /// C++ only: receives the statistics every statistics.interval.ms, as the
  /// struct and as JSON (the same document Producer::statistics_json()
  /// returns), on the network thread. Must not block or call flush/close.
  std::function<void(const ProducerStatistics&, std::string_view json)> statistics_callback;

  /// Builds a config from Kafka property names, then validate()s it. Throws
  /// ConfigError for an unknown key, an invalid value, a key given twice
  /// under two names (e.g. `linger.ms` and `queue.buffering.max.ms`), or a
  /// cross-key conflict.
  static ProducerConfig from_properties(const std::map<std::string, std::string>& properties);

  /// Sets one property by its Kafka name. Values are trimmed of surrounding
  /// ASCII whitespace except for free-form strings; integers must be plain
  /// decimal and in range; booleans are true/false (any case). Does not run
  /// the cross-key checks: call validate() when done.
  ProducerConfig& set(std::string_view key, std::string_view value);

  /// Checks the client's rules (ClientConfig::validate()) and those that
  /// involve several producer keys, and resolves the "unset" defaults
  /// (enable_idempotence, delivery_timeout_ms):
  ///  * enable.idempotence (explicitly true) needs acks=all, retries > 0 and
  ///    max.in.flight.requests.per.connection <= 5 (KAFKA-5494); unset, it is
  ///    silently disabled by any of those conflicts (Java 3.x+);
  ///  * delivery.timeout.ms >= linger.ms + request.timeout.ms (Java's rule);
  ///  * compression.level is valid for compression.type;
  ///  * transactional.id needs idempotence and delivery.timeout.ms <=
  ///    transaction.timeout.ms (see transactional_id).
  /// Idempotent. Throws ConfigError naming the keys involved.
  void validate();

  /// True once validate() resolved it (or if set explicitly) and it is on.
  bool idempotence() const noexcept { return enable_idempotence.value_or(true); }
  /// delivery.timeout.ms, with the Java default when unset.
  std::int32_t effective_delivery_timeout_ms() const noexcept {
    return delivery_timeout_ms.value_or(120000);
  }
  /// The level for compression_type: compression.level when set (and not
  /// -1), otherwise the codec's own key. nullopt: the codec's default (gzip
  /// -1, snappy, none).
  std::optional<std::int32_t> effective_compression_level() const noexcept;

  /// The effective configuration, one "key = value" line per property in
  /// Kafka names (the client's, then the producer's), secrets shown as
  /// "[redacted]" when set. For logs.
  std::string describe() const;
};

}  // namespace kwire::producer

KWIRE_PUBLIC_END
