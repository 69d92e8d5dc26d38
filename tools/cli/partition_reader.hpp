#pragma once
// Reading one partition with kwire's own ListOffsets and Fetch codecs: find
// the partition's leader through Metadata, connect to it, resolve offsets
// (beginning, end, a timestamp), fetch record batches and decode them
// (decompressing with kwire::compression). Blocking, one partition, no
// consumer group: the plain reader behind `kwire consume` and the read-back
// half of `kwire conformance`.
//
// Fetches are full fetches without a session (KIP-227: session id 0, epoch
// -1). A response that ends in a partial batch (max_bytes reached, KIP-74)
// is fine: the tail is skipped and fetched again from its offset.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <kwire/compression/decompressor.hpp>
#include <kwire/net/blocking_client.hpp>
#include <kwire/cluster/client_config.hpp>
#include <kwire/protocol/fetch.hpp>
#include <kwire/protocol/list_offsets.hpp>
#include <kwire/protocol/record_batch.hpp>
#include <kwire/protocol/types.hpp>

namespace kwire::cli {

/// Where a partition lives, from Metadata.
struct PartitionLocation {
  std::int32_t leader_id = -1;
  std::string host;
  std::uint16_t port = 0;
  std::int32_t leader_epoch = -1;
  protocol::Uuid topic_id;  ///< zero when the broker's Metadata is older than v10
};

/// Looks `topic`/`partition` up through `client` (already connected) without
/// creating the topic. Errors: the topic's or partition's Kafka error
/// (unknown_topic_or_partition, leader_not_available, ...), or the client's.
std::error_code locate_partition(net::BlockingClient& client, const std::string& topic, std::int32_t partition,
                                 PartitionLocation& out, std::string* why = nullptr);

/// The outcome of one Fetch round.
struct FetchRound {
  std::int16_t version = -1;
  std::int64_t high_watermark = -1;
  std::int64_t last_stable_offset = -1;
  std::int64_t log_start_offset = -1;
  /// Every whole batch in the response (control batches included), records
  /// decoded and decompressed. The first may start before the offset asked
  /// for (brokers return whole batches).
  std::vector<protocol::RecordBatch> batches;
  /// The offset to fetch next: one past the last record of the last batch,
  /// or the offset asked for when nothing came back.
  std::int64_t next_offset = 0;
  /// With read_committed, the batches of aborted transactions are already
  /// removed (consumer::drop_aborted_transactions).
  /// Bytes of a partial batch at the end of the records (KIP-74), skipped.
  std::size_t partial_tail_bytes = 0;
  /// The response's AbortedTransactions (v4+, read_committed only), as sent.
  std::vector<protocol::FetchResponse::AbortedTransaction> aborted_transactions;
};

class PartitionReader {
 public:
  /// `config` supplies bootstrap servers, client id, timeouts and TLS/SASL.
  PartitionReader(cluster::ClientConfig config, std::string topic, std::int32_t partition);

  /// Bootstrap, Metadata, then a connection to the leader. Call again to
  /// follow a leader change.
  std::error_code open(std::string* why = nullptr);

  /// open() unless the leader connection is open; list_offset() and
  /// fetch() call it first, so a connection the broker closed costs only
  /// the request it closed on.
  std::error_code ensure_open(std::string* why = nullptr);

  /// ListOffsets for `timestamp` (a time in ms, or list_offsets_timestamp's
  /// special values), at the highest common version not above
  /// `max_version`; `version` (when given) receives the version used.
  std::error_code list_offset(std::int64_t timestamp, std::int64_t& offset, std::string* why = nullptr,
                              std::int16_t max_version = protocol::ListOffsetsRequest::max_version,
                              std::int16_t* version = nullptr);

  /// One Fetch from `offset` at the highest common version not above
  /// `max_version` (versions 13+ need the topic id, so without one the
  /// version is capped at 12). Broker errors come back as kwire::errc.
  std::error_code fetch(std::int64_t offset, FetchRound& out, std::string* why = nullptr,
                        std::int16_t max_version = protocol::FetchRequest::max_version,
                        std::chrono::milliseconds max_wait = std::chrono::milliseconds(500));

  /// Fetches until every record in [from, to) has been read (or `deadline`
  /// passes: client_errc::timed_out), appending the data records — not
  /// control records — in that range to `out`. `batches`, when given,
  /// receives every batch that holds one of them; `version`, the Fetch
  /// version used (the lowest, if rounds differed).
  std::error_code read_range(std::int64_t from, std::int64_t to, std::vector<protocol::Record>& out,
                             std::string* why = nullptr,
                             std::int16_t max_version = protocol::FetchRequest::max_version,
                             std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() +
                                                                              std::chrono::seconds(30),
                             std::vector<protocol::RecordBatch>* batches = nullptr, std::int16_t* version = nullptr);

  void set_isolation_level(protocol::IsolationLevel level) noexcept { isolation_level_ = level; }
  /// Fetch max_bytes / partition_max_bytes.
  void set_max_bytes(std::int32_t max_bytes) noexcept { max_bytes_ = max_bytes; }
  /// Decompressed bytes allowed per batch (decompression bomb guard).
  void set_max_decompressed_bytes(std::size_t n) noexcept { max_decompressed_ = n; }

  const PartitionLocation& location() const noexcept { return location_; }
  /// The leader connection (after open()).
  net::BlockingClient& leader() { return *leader_; }
  bool is_open() const noexcept { return leader_.has_value(); }
  const std::string& topic() const noexcept { return topic_; }
  std::int32_t partition() const noexcept { return partition_; }

 private:
  cluster::ClientConfig config_;
  std::string topic_;
  std::int32_t partition_;
  PartitionLocation location_;
  std::optional<net::BlockingClient> leader_;
  protocol::IsolationLevel isolation_level_ = protocol::IsolationLevel::read_uncommitted;
  std::int32_t max_bytes_ = 4 << 20;
  std::size_t max_decompressed_ = std::size_t{256} << 20;
  compression::Decompressor decompressor_;
  std::vector<std::uint8_t> scratch_;
};

}  // namespace kwire::cli
