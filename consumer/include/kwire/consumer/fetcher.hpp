#pragma once
// The consumer's fetch path, sans-I/O (Java's Fetcher + FetchCollector +
// OffsetFetcher's reset half): which Fetch and ListOffsets requests to send
// to which broker, and what their responses mean for the positions in
// SubscriptionState and for the records poll() hands out. The owner (the
// consumer's network side) sends the requests through the cluster layer and
// routes each answer back; nothing here touches a socket or a clock.
//
//  * One Fetch per leader broker covering every fetchable partition it leads,
//    one at a time per broker, each through that broker's KIP-227 fetch
//    session (FetchSession). A partition with buffered data is read ahead
//    from where that data ends (at most two responses buffered per
//    partition), so a Fetch never names only partitions drained to their
//    end — the broker would park it for fetch.max.wait.ms while the others'
//    next data waits behind it. For the same reason no Fetch goes out made
//    only of partitions known to be at their end while another partition of
//    that broker is held back by the read-ahead bound. fetch.min.bytes,
//    fetch.max.wait.ms, fetch.max.bytes, max.partition.fetch.bytes,
//    isolation.level and client.rack (KIP-392) go into every request. A
//    broker that names a preferred read replica (KIP-392) is followed until
//    that replica fails or the hint expires (metadata.max.age.ms).
//  * queued.max.messages.kbytes bounds the data buffered for all partitions
//    together (librdkafka's consumer-wide queue bound): while what is
//    buffered reaches it no Fetch goes out, and a Fetch asks for at most
//    the room left (fetch.max.bytes lowered to it; KIP-74 still returns at
//    least one batch). Nothing is dropped: poll() draining the buffer
//    resumes the fetching. The buffer so stays under the bound plus one
//    response per broker, whatever the number of partitions. Data of paused
//    partitions is not counted: it cannot grow, and counting it would stop
//    every other partition until resume().
//  * Responses are kept as they arrived: the record batches are walked in
//    place by collect(), records are views into the response buffer (or into
//    the batch's decompressed records section), max.poll.records at a time.
//    Control batches never surface; under read_committed aborted
//    transactions are dropped (AbortedTransactionFilter); the position moves
//    past both. Views stay valid until the next collect() or until the
//    partition's data is dropped (seek, revoke): the buffers of records
//    already handed out are retired then, not before.
//  * OFFSET_OUT_OF_RANGE starts auto.offset.reset (ListOffsets at the
//    earliest/latest timestamp; latest is the LSO under read_committed);
//    with auto.offset.reset=none the partition loses its position and the
//    application hears kwire::errc::offset_out_of_range.
//  * NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH and the other metadata
//    errors ask for a metadata refresh (take_metadata_refresh()); a KIP-951
//    CurrentLeader hint in the response is passed on (take_leader_hints()).
//    The position is kept: the partition is fetched again from the new
//    leader. A request that fails (disconnect, timeout) backs the broker off
//    for retry.backoff.ms and asks for a refresh too.
//  * A batch that fails its CRC or does not parse stops that partition at
//    that offset with an error naming topic, partition and offset; it is not
//    fetched again until the application seeks elsewhere.
//
// Thread: one at a time (the consumer serialises calls).
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kwire/cluster/log.hpp"
#include "kwire/compression/decompressor.hpp"
#include "kwire/consumer/fetch_session.hpp"
#include "kwire/consumer/read_committed.hpp"
#include "kwire/consumer/record_view.hpp"
#include "kwire/consumer/subscription_state.hpp"
#include "kwire/consumer/topic_partition.hpp"
#include "kwire/protocol/fetch.hpp"
#include "kwire/protocol/list_offsets.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

struct FetcherConfig {
  /// fetch.max.wait.ms, fetch.min.bytes, fetch.max.bytes, isolation.level, client.rack.
  FetchParams params;
  std::int32_t max_partition_fetch_bytes = 1048576;  ///< max.partition.fetch.bytes
  std::size_t max_poll_records = 500;                ///< max.poll.records
  /// queued.max.messages.kbytes, in bytes: the bound on buffered data of all
  /// partitions together.
  std::size_t max_buffered_bytes = std::size_t{65536} * 1024;
  bool check_crcs = true;                            ///< check.crcs
  /// Cap on one batch's decompressed records (decompression bombs).
  std::size_t max_decompressed_batch_bytes = std::size_t{256} << 20;
  std::chrono::milliseconds retry_backoff{100};        ///< retry.backoff.ms
  std::chrono::milliseconds preferred_replica_ttl{300000};  ///< metadata.max.age.ms
};

/// Where a partition is read from, from the cluster's metadata.
struct PartitionLeader {
  std::int32_t node_id = -1;
  std::int32_t leader_epoch = -1;  ///< KIP-320 current leader epoch
  protocol::Uuid topic_id;         ///< zero until Metadata v10+ (then Fetch stays at v12)
};

using LeaderLookup = std::function<std::optional<PartitionLeader>(const TopicPartition&)>;
/// The Fetch version the connection to a node negotiated.
using VersionLookup = std::function<std::int16_t(std::int32_t node_id)>;

struct NodeFetch {
  std::int32_t node_id = -1;
  std::int16_t version = 0;
  protocol::FetchRequest request;
};

struct NodeListOffsets {
  std::int32_t node_id = -1;
  protocol::ListOffsetsRequest request;
};

enum class TimestampType : std::int8_t { create_time = 0, log_append_time = 1 };

/// One record handed to the application: views (see the lifetime above).
struct ConsumerRecord {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp = 0;
  TimestampType timestamp_type = TimestampType::create_time;
  std::int32_t leader_epoch = -1;  ///< the batch's partitionLeaderEpoch
  std::optional<Bytes> key;        ///< nullopt: null key
  std::optional<Bytes> value;      ///< nullopt: null value
  HeadersView headers;
};

/// A problem the application is told about through poll().
struct FetchError {
  TopicPartition partition;
  std::int64_t offset = -1;
  std::error_code error;
  std::string message;  ///< names topic, partition and offset
};

/// KIP-951: a broker's answer names the partition's new leader.
struct LeaderHint {
  TopicPartition partition;
  std::int32_t leader_id = -1;
  std::int32_t leader_epoch = -1;
};

/// What the last response said about a partition's log (for lag).
struct PartitionWatermarks {
  std::int64_t high_watermark = -1;
  std::int64_t last_stable_offset = -1;
  std::int64_t log_start_offset = -1;
};

/// What the fetcher counted since it was created (statistics). Counted per
/// request, per response or per collect(), on the thread that owns the
/// fetcher; never allocated per record.
struct FetchCounters {
  std::uint64_t fetch_requests = 0;   ///< Fetch requests handed out (session closes excluded)
  std::uint64_t fetch_responses = 0;  ///< answers taken (session errors included)
  std::uint64_t fetch_failures = 0;   ///< Fetches without an answer (disconnect, timeout)
  std::uint64_t fetch_session_resets = 0;  ///< KIP-227 sessions the broker no longer knew (full fetch again)
  std::uint64_t bytes_fetched = 0;    ///< record bytes in the answers (as on the wire, compressed)
  std::uint64_t records_consumed = 0; ///< records collect() handed out
  std::uint64_t bytes_consumed = 0;   ///< their keys and values
  std::uint64_t offset_resets = 0;    ///< positions set by auto.offset.reset / seek_to_* (ListOffsets answers)
  /// prepare_fetches() calls that sent nothing: queued.max.messages.kbytes reached.
  std::uint64_t buffer_full_rounds = 0;
  std::uint64_t latency_samples = 0;  ///< Fetch round trips measured (send to answer)
  std::vector<std::uint32_t> latency_window_us;  ///< the latest of them (cluster::kRoundTripWindow)
};

/// What is buffered (fetched, not yet handed out) for one partition.
struct BufferedData {
  std::size_t bytes = 0;         ///< record bytes of the buffered responses
  std::int64_t offsets = 0;      ///< offsets they span past the position (records, control and compacted ones included)
  std::size_t responses = 0;
};

class Fetcher {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  /// `logger`: the `fetch` category's lines (session resets, offset
  /// resets, partition errors, a full buffer).
  Fetcher(FetcherConfig config, SubscriptionState& subscriptions, cluster::Logger logger = {});
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  const FetcherConfig& config() const noexcept { return config_; }

  // ---- Fetch
  /// The Fetch requests to send now, one per broker that leads fetchable
  /// partitions (with fewer than two buffered responses) and has no Fetch
  /// in flight.
  std::vector<NodeFetch> prepare_fetches(const LeaderLookup& leaders, const VersionLookup& versions, TimePoint now);
  /// The answer to the Fetch sent to `node_id`. `keepalive` owns the bytes
  /// the response's records views point into; without it the records are
  /// copied (one copy per partition, never per record).
  void on_fetch_response(std::int32_t node_id, const protocol::FetchResponse& response,
                         std::shared_ptr<const void> keepalive, TimePoint now);
  /// The Fetch sent to `node_id` got no answer.
  void on_fetch_failed(std::int32_t node_id, std::error_code error, TimePoint now);
  /// A request that closes the fetch session with `node_id` (close()), if any.
  std::optional<NodeFetch> close_session(std::int32_t node_id, std::int16_t version);
  std::vector<std::int32_t> session_nodes() const;

  // ---- offset resets (auto.offset.reset, seek_to_beginning/end)
  std::vector<NodeListOffsets> prepare_resets(const LeaderLookup& leaders, TimePoint now);
  void on_list_offsets_response(std::int32_t node_id, const protocol::ListOffsetsRequest& sent,
                                const protocol::ListOffsetsResponse& response, TimePoint now);
  void on_list_offsets_failed(std::int32_t node_id, const protocol::ListOffsetsRequest& sent, TimePoint now);

  // ---- application side
  /// Appends up to `max_records` (default max.poll.records) buffered records
  /// of fetchable partitions to `out` and advances their positions. First
  /// retires the buffers of what the previous call handed out.
  std::size_t collect(std::vector<ConsumerRecord>& out);
  std::size_t collect(std::vector<ConsumerRecord>& out, std::size_t max_records);
  bool has_buffered_records() const noexcept { return !completed_.empty(); }
  /// Record bytes buffered for every partition together (the figure
  /// queued.max.messages.kbytes bounds).
  std::size_t buffered_bytes() const noexcept;
  /// What is buffered, per partition (statistics; walks the buffer).
  std::map<TopicPartition, BufferedData> buffered() const;
  /// The last prepare_fetches() sent nothing because the buffer was full:
  /// a poll() that drains it should have prepare_fetches() run again soon.
  bool held_by_buffer_cap() const noexcept { return held_by_buffer_cap_; }
  const FetchCounters& counters() const noexcept { return counters_; }
  /// Forgets buffered data of `tp` (seek, pause is kept, revoke).
  void drop_buffered(const TopicPartition& tp);
  /// Forgets buffered data of partitions no longer assigned.
  void drop_unassigned();
  /// Forgets errors queued for `tp` and the corrupt offset it was stopped at:
  /// the application placed it anew (seek, assign), so what was wrong at the
  /// old place is no longer its news (a batch still corrupt is met, and
  /// reported, again).
  void drop_errors(const TopicPartition& tp);

  // ---- what the owner acts on
  std::vector<FetchError> take_errors();
  bool take_metadata_refresh() noexcept;
  std::vector<LeaderHint> take_leader_hints();
  const std::map<TopicPartition, PartitionWatermarks>& watermarks() const noexcept { return watermarks_; }
  /// When a backed-off broker may be fetched from again, if any is.
  std::optional<TimePoint> next_wakeup(TimePoint now) const;

 private:
  struct CompletedFetch;
  struct InFlightFetch {
    std::int16_t version = 0;
    FetchTargets sent;
    TimePoint sent_at{};
  };
  struct NodeState {
    FetchSession session;
    std::optional<InFlightFetch> in_flight;
    TimePoint backoff_until{};
  };
  struct PreferredReplica {
    std::int32_t node_id = -1;
    TimePoint expires{};
  };

  void handle_partition(std::int32_t node_id, const TopicPartition& tp, const PartitionFetch& sent,
                        const protocol::FetchResponse::Partition& partition, std::optional<std::int64_t> expected_offset,
                        const std::shared_ptr<const void>& keepalive, TimePoint now);
  /// A partition's buffered responses (completed_, in order).
  struct BufferedChain {
    std::size_t count = 0;
    std::optional<std::int64_t> next_fetch_offset;  ///< where the last one ends
    bool stale = false;  ///< the first no longer continues from the position
  };
  std::map<TopicPartition, BufferedChain> buffered_chains() const;
  /// The last response said the log ends at or before `fetch_offset`.
  bool known_at_end(const TopicPartition& tp, std::int64_t fetch_offset) const;
  void add_error(const TopicPartition& tp, std::int64_t offset, std::error_code error, std::string message);
  /// Walks `fetch` into `out`; returns the number of records added.
  std::size_t drain(CompletedFetch& fetch, std::vector<ConsumerRecord>& out, std::size_t max_records);
  bool next_batch(CompletedFetch& fetch);

  FetcherConfig config_;
  SubscriptionState& subscriptions_;
  cluster::Logger logger_;
  compression::Decompressor decompressor_;
  std::map<std::int32_t, NodeState> nodes_;
  std::deque<std::unique_ptr<CompletedFetch>> completed_;
  std::vector<std::unique_ptr<CompletedFetch>> retired_fetches_;
  std::vector<std::vector<std::uint8_t>> retired_buffers_;
  std::map<TopicPartition, std::int64_t> corrupt_at_;  ///< partition -> offset it cannot read past
  std::map<TopicPartition, PreferredReplica> preferred_;
  std::set<TopicPartition> resets_in_flight_;
  std::map<TopicPartition, PartitionWatermarks> watermarks_;
  std::vector<FetchError> errors_;
  std::vector<LeaderHint> leader_hints_;
  bool metadata_refresh_ = false;
  bool held_by_buffer_cap_ = false;
  FetchCounters counters_;
};

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
