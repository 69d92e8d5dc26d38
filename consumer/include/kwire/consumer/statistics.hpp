#pragma once
// A snapshot of what the consumer is doing: Consumer::statistics() at any
// time, and every `statistics.interval.ms` through
// ConsumerConfig::statistics_callback (as this struct and as JSON, see
// to_json), in the producer's style (kwire/producer/statistics.hpp). Every
// field is documented in docs/observability.md.
//
// How it is counted (the hot-path rule): poll() counts records and bytes
// with plain additions on the thread that already owns the fetcher, no
// allocation per record; fetch figures move per request or response on the
// network thread; positions, watermarks and buffered data are read when the
// snapshot is taken. Taking a snapshot runs on the network thread (it posts
// there and waits), so it costs a walk over partitions and brokers.
#include <cstdint>
#include <string>
#include <vector>

#include "kwire/cluster/broker_statistics.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

using cluster::BrokerStatistics;
using cluster::RttStatistics;

/// One assigned partition. Offsets are -1 while unknown.
struct ConsumerPartitionStatistics {
  std::string topic;
  std::int32_t partition = -1;
  std::int32_t leader = -1;              ///< -1: unknown
  std::int64_t position = -1;            ///< the next offset poll() hands out
  /// The last offset known committed (by this consumer, or fetched for the assignment).
  std::int64_t committed_offset = -1;
  std::int64_t high_watermark = -1;      ///< of the last Fetch answer
  std::int64_t last_stable_offset = -1;  ///< of the last Fetch answer
  std::int64_t log_start_offset = -1;
  std::int64_t lag = -1;                 ///< high_watermark - position (-1: either unknown)
  std::int64_t lso_lag = -1;             ///< last_stable_offset - position: what read_committed can still read
  std::uint64_t buffered_bytes = 0;      ///< fetched record bytes not yet handed out (and not yet released)
  std::uint64_t buffered_offsets = 0;    ///< offsets they span past the position (an upper bound on their records)
  bool paused = false;
};

struct ConsumerStatistics {
  std::string client_id;
  std::string group_id;
  std::int64_t timestamp_ms = 0;  ///< wall clock (ms since the epoch) when taken
  std::int64_t age_ms = 0;        ///< since the consumer was created
  // Totals since the start.
  std::uint64_t records_consumed = 0;   ///< records poll() handed out
  std::uint64_t bytes_consumed = 0;     ///< their keys and values
  std::uint64_t fetch_requests = 0;
  std::uint64_t fetch_responses = 0;
  std::uint64_t fetch_failures = 0;     ///< Fetches without an answer (disconnect, timeout)
  /// KIP-227 sessions lost (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH).
  std::uint64_t fetch_session_resets = 0;
  std::uint64_t bytes_fetched = 0;      ///< record bytes in Fetch answers (compressed as sent)
  RttStatistics fetch_latency;          ///< Fetch send to answer, fetch.max.wait.ms included
  std::uint64_t offset_resets = 0;      ///< auto.offset.reset / seek_to_beginning / seek_to_end applied
  std::uint64_t buffer_full_rounds = 0; ///< fetch rounds skipped: queued.max.messages.kbytes reached
  // Now.
  std::uint64_t buffered_bytes = 0;     ///< every partition's buffered_bytes
  std::uint64_t buffered_bytes_max = 0; ///< queued.max.messages.kbytes in bytes
  // The group (empty / -1 without group.id or before the first join).
  std::string group_state;              ///< the membership's state ("stable", "joining", ...); "" without a group
  std::int32_t generation = -1;         ///< classic generation, KIP-848 member epoch
  std::string member_id;
  /// Assignments received (each rebalance that gave this member its partitions).
  std::uint64_t rebalances = 0;
  std::uint64_t assignment_size = 0;    ///< partitions assigned now
  std::vector<BrokerStatistics> brokers;
  std::vector<ConsumerPartitionStatistics> partitions;  ///< the assigned ones, sorted by topic and partition
};

/// The snapshot as one JSON object (UTF-8, no trailing newline). Field
/// names are the struct's, stable across versions; new fields may be added.
std::string to_json(const ConsumerStatistics& stats);

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
