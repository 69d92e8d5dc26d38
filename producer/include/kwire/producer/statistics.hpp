#pragma once
// A snapshot of what the producer is doing: Producer::statistics() at any
// time, and every `statistics.interval.ms` through
// ProducerConfig::statistics_callback (as this struct and as JSON, see
// to_json). Every field is documented in docs/observability.md.
//
// How it is counted (the hot-path rule): Producer::send() and the
// accumulator's append count nothing per record. Counters move per batch or
// per request on the network thread; queued figures are derived when the
// snapshot is taken, under the partition locks the accumulator already
// has. Taking a snapshot runs on the network thread (statistics() posts to
// it and waits), so it costs a walk over partitions and brokers, not the
// senders.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kwire/cluster/broker_statistics.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::producer {

// The broker figures are the cluster layer's, shared with the consumer.
using cluster::BrokerStatistics;
using cluster::RttStatistics;

struct PartitionStatistics {
  std::string topic;
  std::int32_t partition = -1;
  std::int32_t leader = -1;  ///< -1: unknown
  // Now (derived at snapshot time).
  std::uint64_t records_queued = 0;  ///< in batches not yet sent (or waiting for a retry)
  std::uint64_t bytes_queued = 0;    ///< their uncompressed batch bytes
  std::uint64_t batches_queued = 0;
  std::uint64_t records_in_flight = 0;  ///< in Produce requests awaiting their answer
  std::uint64_t bytes_in_flight = 0;    ///< their sealed (possibly compressed) batch bytes
  std::uint64_t batches_in_flight = 0;
  // Since the start.
  std::uint64_t records_sent = 0;       ///< records that left the queue for the first time (see docs)
  std::uint64_t records_delivered = 0;
  std::uint64_t records_failed = 0;
  std::uint64_t batches_sent = 0;       ///< Produce attempts, retries included
  std::uint64_t bytes_sent = 0;         ///< sealed batch bytes in those attempts
  double batch_size_avg = 0;            ///< uncompressed bytes per batch sent
  double batch_fill_ratio_avg = 0;      ///< batch_size_avg / batch.size (can exceed 1 for one large record)
  std::uint64_t retries = 0;            ///< batches re-queued for another attempt
  std::uint64_t splits = 0;             ///< batches split after MESSAGE_TOO_LARGE
  /// Errors per batch attempt, by name (Kafka's error names, e.g.
  /// "NOT_LEADER_OR_FOLLOWER", or kwire's client error message).
  std::map<std::string, std::uint64_t> errors;
};

struct ProducerStatistics {
  std::string client_id;
  std::int64_t timestamp_ms = 0;  ///< wall clock (ms since the epoch) when taken
  std::int64_t age_ms = 0;        ///< since the producer was created
  // Totals.
  std::uint64_t records_sent = 0;       ///< see PartitionStatistics::records_sent
  std::uint64_t records_delivered = 0;
  std::uint64_t records_failed = 0;     ///< after leaving send(): delivery failures
  std::uint64_t records_queued = 0;
  std::uint64_t records_in_flight = 0;
  std::uint64_t requests_sent = 0;
  std::uint64_t responses_received = 0;
  std::uint64_t retries = 0;
  std::uint64_t buffer_memory_used = 0;   ///< bytes of buffer.memory reserved by batches
  std::uint64_t buffer_memory_total = 0;  ///< buffer.memory
  std::int64_t producer_id = -1;          ///< -1 without idempotence / before InitProducerId
  std::int32_t producer_epoch = -1;
  std::uint64_t epoch_bumps = 0;          ///< KIP-360 epoch bumps (and producer id resets)
  std::string fatal_error;                ///< empty unless the producer is fatal
  std::vector<BrokerStatistics> brokers;
  std::vector<PartitionStatistics> partitions;
};

/// The snapshot as one JSON object (UTF-8, no trailing newline). Field
/// names are the struct's, stable across versions; new fields may be added.
std::string to_json(const ProducerStatistics& stats);

}  // namespace kwire::producer

KWIRE_PUBLIC_END
