#pragma once
// `kwire conformance`: a protocol conformance suite for any Kafka endpoint
// (a broker, a proxy, a Kafka-compatible server). It drives the endpoint
// with kwire's own codecs and reports a matrix of cells, each one
//   pass         the endpoint behaved as Apache Kafka does,
//   fail         it did not (the cell says why), or
//   not offered  the endpoint does not offer what the cell needs (an API or
//                version it does not advertise, a removed version it still
//                accepts, ...), which is not an error.
//
// Groups of cells:
//   connect      connect, TLS and SASL as configured by -X, ApiVersions
//   versions     per API kwire implements (ApiVersions, Metadata, Produce,
//                InitProducerId, ListOffsets, Fetch): the range advertised, and
//                every version both sides have exercised and checked
//   produce      per codec (none, gzip, snappy, lz4, zstd) and acks (0, 1,
//                all): the known record set (conformance_records.hpp) sent
//                with kwire::Producer, read back with Fetch, compared byte for
//                byte
//   idempotence  InitProducerId, a sequenced batch, the same batch resent
//                (must not be stored twice), the next sequence, a sequence gap
//   errors       unknown topic (no auto-creation), an oversize record, and
//                requests at versions the endpoint no longer offers
//   admin        CreateTopics, CreatePartitions, DescribeConfigs,
//                IncrementalAlterConfigs, DescribeCluster and DeleteTopics at
//                every version the endpoint offers, each checked through
//                another API (Metadata, DescribeConfigs) on topics of its own
//   consume      Fetch at every version with read_uncommitted and
//                read_committed over plain, committed and aborted
//                transactional data; an open transaction holding back the LSO
//                for Fetch and ListOffsets (v2+), released once it closes
//   group        a classic join-sync-heartbeat-commit-fetch-leave cycle at
//                each common version (KIP-394, KIP-447 RequireStable), static
//                membership (KIP-345), a KIP-848 ConsumerGroupHeartbeat cycle
//   transactions InitProducerId with a transactional id, commit and abort
//                visibility, fencing, the TV1 flow at each client version,
//                TV2 (KIP-890) where transaction.version >= 2, send-offsets
//
// The suite writes only to its own topic (-t, or a kwire-conformance-*
// topic it creates with CreateTopics, or else through Metadata's
// auto-creation, and deletes at the end unless --keep), partition 0, and
// assumes nobody else writes there while it runs.
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kwire::cli::conformance {

enum class Status { pass, fail, not_offered };
std::string_view status_name(Status s) noexcept;

struct Cell {
  std::string group;   ///< "connect", "versions", ..., "admin", "consume", "group", "transactions"
  std::string name;    ///< e.g. "Fetch v13", "zstd acks=all"
  Status status = Status::pass;
  std::string detail;  ///< the reason on failure / not offered; what was seen on pass
  /// For cells that stored records: where, so an independent consumer can
  /// check them (first_offset -1 when none). `record_set` is the label given
  /// to conformance::known_record_set().
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t first_offset = -1;
  std::int64_t end_offset = -1;  ///< one past the last
  std::string record_set;
};

/// One API's row of the version matrix.
struct ApiRow {
  std::int16_t key = 0;
  std::string name;
  std::int16_t broker_min = -1, broker_max = -1;  ///< -1: not advertised
  std::int16_t kwire_min = -1, kwire_max = -1;
  std::vector<std::int16_t> exercised;  ///< versions sent and checked
  std::vector<std::int16_t> passed;
};

struct Report {
  std::string bootstrap;
  std::string security_protocol;
  std::string sasl_mechanism;
  std::string topic;
  std::vector<ApiRow> apis;
  std::vector<Cell> cells;
  double seconds = 0;

  std::size_t count(Status s) const;
  bool ok() const { return count(Status::fail) == 0; }
};

struct SuiteOptions {
  std::map<std::string, std::string> properties;  ///< -X, with bootstrap.servers
  std::string topic;                              ///< empty: auto-create one
  std::set<std::string> only;                     ///< groups to run (empty: all)
  std::set<std::string> skip;                     ///< groups to leave out
  /// Bounds each read-back and wait inside a cell.
  std::chrono::milliseconds cell_timeout{30000};
  /// Progress lines on stderr as cells complete.
  bool progress = true;
  /// Keep the topic the suite created (else DeleteTopics removes it at the end).
  bool keep_topic = false;
};

/// The groups, in the order they run.
const std::vector<std::string>& group_names();

/// Runs the suite. Never throws for endpoint misbehaviour (that is a failed
/// cell); throws kwire::ConfigError for bad -X properties.
Report run_suite(const SuiteOptions& options);

/// The human-readable matrix.
std::string format_table(const Report& report);
/// The report as one JSON document.
std::string format_json(const Report& report);

}  // namespace kwire::cli::conformance
