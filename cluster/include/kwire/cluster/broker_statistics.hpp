#pragma once
// What every kwire client reports about its broker connections in its
// statistics (the producer's ProducerStatistics::brokers, the consumer's
// ConsumerStatistics::brokers): one set of figures, counted by the
// BrokerPool per request and connection (never per record), read when a
// snapshot is taken. Fields are documented in docs/observability.md.
#include <cstdint>
#include <string>
#include <vector>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

class BrokerPool;
class MetadataCache;

/// Round-trip time percentiles over the most recent requests (up to
/// kRoundTripWindow), in microseconds; all 0 before the first sample.
struct RttStatistics {
  std::int64_t min_us = 0;
  std::int64_t avg_us = 0;
  std::int64_t p50_us = 0;
  std::int64_t p95_us = 0;
  std::int64_t p99_us = 0;
  std::int64_t max_us = 0;
  std::uint64_t samples = 0;  ///< responses measured in total (not only the window)
};

struct BrokerStatistics {
  std::int32_t node_id = -1;  ///< negative: a bootstrap server (-1, -2, ...)
  std::string address;        ///< host:port
  std::string state;          ///< "disconnected", "connecting" or "ready"
  RttStatistics rtt;
  std::int32_t requests_in_flight = 0;
  std::uint64_t requests_sent = 0;
  std::uint64_t responses_received = 0;
  std::uint64_t request_bytes_sent = 0;        ///< request bodies (after the request header)
  std::uint64_t response_bytes_received = 0;   ///< response bodies (after the response header)
  std::uint64_t request_errors = 0;            ///< requests that ended without a response (timeout, disconnect)
  std::int64_t throttle_time_ms_total = 0;     ///< sum of throttle_time_ms the broker asked for (KIP-219)
  std::int64_t throttle_time_ms_last = 0;
  std::uint64_t connects = 0;                  ///< connections that became ready
  std::uint64_t connection_failures = 0;       ///< connection attempts that failed
  std::uint64_t disconnects = 0;               ///< ready connections that closed (other than idle/shutdown)
  std::uint64_t reconnects = 0;                ///< connects after the first
};

/// How many of the latest samples a round-trip window keeps.
inline constexpr std::size_t kRoundTripWindow = 1024;

/// Adds one sample (microseconds) to a ring of the last kRoundTripWindow
/// samples; `samples` counts them all. The ring's memory grows to its size
/// once, with the first samples; after that a sample is a store.
void record_round_trip(std::vector<std::uint32_t>& window, std::uint64_t& samples, std::int64_t us) noexcept;

/// Percentiles of a window (sorts a copy: at snapshot time only).
RttStatistics summarize_round_trips(const std::vector<std::uint32_t>& window, std::uint64_t samples);

/// One entry per connection of `pool`, its address from `metadata`.
std::vector<BrokerStatistics> broker_statistics(const BrokerPool& pool, const MetadataCache& metadata);

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
