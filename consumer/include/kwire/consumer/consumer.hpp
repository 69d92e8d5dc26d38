#pragma once
// kwire::Consumer: the group consumer (Java's KafkaConsumer), networked
// through the shared cluster layer (cluster::ClusterRuntime: its own network
// thread, or the caller's asio::io_context). The decisions are ConsumerCore's
// (sans-I/O); this class moves requests and answers between it and the
// Cluster and gives the application its thread-safe face.
//
//   kwire::consumer::Consumer consumer(kwire::consumer::ConsumerConfig::from_properties({
//       {"bootstrap.servers", "localhost:9092"}, {"group.id", "billing"},
//       {"auto.offset.reset", "earliest"}}));
//   consumer.subscribe({"orders"});
//   while (running) {
//     for (const auto& record : consumer.poll(std::chrono::milliseconds(500)))
//       process(record.topic, record.partition, record.offset, record.value);
//   }
//   consumer.close();  // commits (enable.auto.commit), leaves the group
//
// Threads: poll(), commit_*(), seek(), pause()... from one application
// thread at a time (as in Java). Rebalance callbacks run inside poll() (and
// close()) on that thread, never concurrently with the application's
// processing; they may call seek() (a commit made while a rebalance is
// under way fails with REBALANCE_IN_PROGRESS: with enable.auto.commit what
// was consumed is committed before the rejoin). Heartbeats and fetches
// run on the network thread whatever the poll cadence.
//
// The network thread is an internal one, or your own asio::io_context (the
// second constructor; boost::asio::io_context with -DKWIRE_ASIO=boost),
// which you run on one thread. poll(), commit_sync(), committed(), the
// offset lookups and close() wait for it, so call them from another thread
// while it runs. Called ON that thread (from a handler on your io_context)
// nothing can wait: poll() hands out what was fetched already without
// waiting, commit_sync() returns std::errc::operation_would_block without
// committing, committed() and the offset lookups throw std::system_error
// with that code, and close() throws std::logic_error (close from another
// thread; a destructor that runs there leaves without the LeaveGroup).
//
// Record lifetime: poll() returns views (topic, key, value, headers) into the
// fetched bytes, valid until the next poll() or close(). Copy what must live
// longer.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kwire/consumer/config.hpp"
#include "kwire/consumer/consumer_core.hpp"
#include "kwire/consumer/fetcher.hpp"
#include "kwire/consumer/statistics.hpp"
#include "kwire/cluster/log.hpp"
#include "kwire/net/asio_fwd.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

class Consumer;

/// Called inside poll() on the application's thread (see above).
struct RebalanceCallbacks {
  std::function<void(Consumer&, const std::vector<TopicPartition>&)> on_assigned;
  std::function<void(Consumer&, const std::vector<TopicPartition>&)> on_revoked;
  /// Partitions lost without a clean revocation (the member was removed from
  /// the group): do not commit for them.
  std::function<void(Consumer&, const std::vector<TopicPartition>&, std::error_code why)> on_lost;
};

class Consumer {
 public:
  /// Validates the config (throws ConfigError) and starts the network side.
  /// `log` receives the diagnostics (categories `consumer`, `group`,
  /// `fetch` and the cluster layer's; kwire/cluster/log.hpp); default:
  /// stderr, warnings and up, everything with `debug` set.
  explicit Consumer(ConsumerConfig config, RebalanceCallbacks callbacks = {}, cluster::LogHandler log = {});
  /// The same, on the caller's io_context (see the threading notes above):
  /// no thread of the consumer's own.
  Consumer(ConsumerConfig config, asio::io_context& io, RebalanceCallbacks callbacks = {},
           cluster::LogHandler log = {});
  /// close(default.api.timeout.ms).
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  /// Joins group.id for `topics`, under group.protocol (classic, or
  /// KIP-848's consumer protocol).
  void subscribe(std::set<std::string> topics);
  /// Joins group.id for every topic whose whole name matches `pattern`
  /// (ECMAScript regular expression, e.g. "orders-.*"; Java's
  /// subscribe(Pattern)), following topics created and deleted as metadata
  /// refreshes (metadata.max.age.ms). Throws std::invalid_argument for a
  /// malformed pattern.
  void subscribe_pattern(std::string_view pattern);
  /// Reads `partitions` without group membership.
  void assign(std::vector<TopicPartition> partitions);
  std::vector<TopicPartition> assignment() const;

  /// Up to max.poll.records records, waiting at most `timeout` for some.
  /// Runs due rebalance callbacks first. Problems that concern single
  /// partitions (corrupt data, offset out of range with auto.offset.reset
  /// none, a failed OffsetFetch) are in errors() afterwards. Throws
  /// std::logic_error after close(), and std::system_error once the group
  /// membership failed for good (its code: e.g.
  /// consumer_errc::group_protocol_unsupported when group.protocol=consumer
  /// meets a broker without KIP-848, FENCED_INSTANCE_ID, an authorization
  /// error), the rebalance callbacks having run (lost partitions) first.
  std::span<const ConsumerRecord> poll(std::chrono::milliseconds timeout);
  /// The partition errors the last poll() collected.
  const std::vector<FetchError>& errors() const noexcept { return errors_; }

  /// Commits `offsets` (the next offsets to read), or every assigned
  /// partition's position (what poll() handed out) when empty. Waits up to
  /// `timeout` (default: default.api.timeout.ms).
  std::error_code commit_sync(std::vector<CommitOffset> offsets = {},
                              std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// The same without waiting; `done` runs inside a later poll() (or
  /// commit_sync()/close()) on the application thread.
  void commit_async(std::vector<CommitOffset> offsets = {}, std::function<void(const CommitResult&)> done = {});
  /// The group's committed offsets (nullopt: none committed).
  std::map<TopicPartition, std::optional<CommitOffset>> committed(
      std::vector<TopicPartition> partitions, std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  /// Per partition, the first offset whose record has a timestamp at or
  /// after the one given (ms since the epoch), with that record's timestamp
  /// and leader epoch; nullopt when no record is that recent (Java's
  /// offsetsForTimes). The partitions need not be assigned to this consumer.
  /// One ListOffsets per leader; a moved leader or a topic still being
  /// created is waited for (metadata refresh, retry) within `timeout`
  /// (default: default.api.timeout.ms). Throws std::invalid_argument for a
  /// negative timestamp; std::system_error with client_errc::timed_out
  /// naming the partitions still unanswered and why, or with a partition's
  /// non-retriable Kafka error (e.g. TOPIC_AUTHORIZATION_FAILED) naming it;
  /// std::logic_error after close().
  std::map<TopicPartition, std::optional<OffsetAndTimestamp>> offsets_for_times(
      const std::map<TopicPartition, std::int64_t>& timestamps,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// Each partition's log start offset (Java's beginningOffsets); as
  /// offsets_for_times() for the rest.
  std::map<TopicPartition, std::int64_t> beginning_offsets(
      const std::vector<TopicPartition>& partitions, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// Each partition's end (Java's endOffsets): the high watermark under
  /// isolation.level=read_uncommitted, the last stable offset (before the
  /// first open transaction) under read_committed. As offsets_for_times()
  /// for the rest.
  std::map<TopicPartition, std::int64_t> end_offsets(
      const std::vector<TopicPartition>& partitions, std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  /// The next offset poll() will hand out for `tp` (nullopt: not known yet).
  std::optional<std::int64_t> position(const TopicPartition& tp) const;
  void seek(const TopicPartition& tp, std::int64_t offset);
  void seek_to_beginning(const std::vector<TopicPartition>& partitions);
  void seek_to_end(const std::vector<TopicPartition>& partitions);
  void pause(const std::vector<TopicPartition>& partitions);
  void resume(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> paused() const;
  /// High watermark / LSO / log start of the last fetch for `tp`.
  std::optional<PartitionWatermarks> watermarks(const TopicPartition& tp) const;

  /// A snapshot of the consumer's statistics (statistics.hpp); also after
  /// close() (then without brokers). Safe from any thread.
  ConsumerStatistics statistics() const;
  /// statistics() as JSON (to_json).
  std::string statistics_json() const;

  std::string member_id() const;
  std::int32_t generation() const;
  /// group.id, generation (member epoch under KIP-848), member id and
  /// group.instance.id, read together: pass them to a transactional
  /// producer's send_offsets_to_transaction() (KIP-447) so the group
  /// coordinator fences this member once the group moved on. Read it after
  /// the poll() that returned the records being committed.
  ConsumerGroupMetadata group_metadata() const;

  /// Commits (enable.auto.commit), runs the revocation callbacks, leaves the
  /// group (LeaveGroup unless static) and stops the network side, within
  /// `timeout`. Idempotent.
  void close(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

 private:
  struct Impl;
  void run_callbacks();
  void deliver_commit_results();
  /// The lookup behind offsets_for_times() and co; `call` names it in errors.
  std::map<TopicPartition, std::optional<OffsetAndTimestamp>> lookup_offsets(
      std::map<TopicPartition, std::int64_t> timestamps, std::optional<std::chrono::milliseconds> timeout,
      const char* call);
  std::unique_ptr<Impl> impl_;
  RebalanceCallbacks callbacks_;
  std::vector<ConsumerRecord> records_;
  std::vector<FetchError> errors_;
};

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
