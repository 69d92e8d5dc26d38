#pragma once
// --stats for `kwire produce` and `kwire perf`: the producer's statistics at
// the end of the run, as a short table on stdout, or with --json as one
// JSON object (producer::to_json) on its own line.
#include "kwire/consumer/config.hpp"
#include "kwire/producer/config.hpp"
#include "kwire/producer/statistics.hpp"

namespace kwire::cli {

void print_statistics(const producer::ProducerStatistics& stats, bool json);

/// With -X statistics.interval.ms=N: every N ms one JSON line on stderr.
producer::ProducerConfig& attach_periodic_statistics(producer::ProducerConfig& config);
producer::ProducerConfig attach_periodic_statistics(producer::ProducerConfig&& config);
/// The same for `kwire consume -G` and `kwire perf --consume`.
consumer::ConsumerConfig& attach_periodic_statistics(consumer::ConsumerConfig& config);

}  // namespace kwire::cli
