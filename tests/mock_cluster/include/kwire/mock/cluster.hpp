#pragma once
// A fault-injecting, in-process Kafka cluster for tests.
//
// MockCluster starts N brokers on 127.0.0.1 (ephemeral ports unless a base
// port is given), each an Asio acceptor on one io_context, and speaks the real
// wire protocol: request header v1/v2, ApiVersions (KIP-511 fallback
// included), Metadata, InitProducerId and Produce with record batch v2
// decoding, CRC-32C checks, leader checks and the broker's idempotence rules,
// the admin requests CreateTopics, DeleteTopics and DeleteGroups, and what
// a consumer needs: Fetch (full fetches only: every answer has fetch session
// id 0), ListOffsets, OffsetForLeaderEpoch, OffsetCommit/OffsetFetch, a
// classic group coordinator (JoinGroup, SyncGroup, Heartbeat, LeaveGroup;
// generations, KIP-394 member ids) and KIP-848's ConsumerGroupHeartbeat
// (the first member gets every partition of its topics). The simplifications
// are listed at the top of each src/handle_*.cpp.
// Anything else closes the connection, as Kafka does with requests it cannot
// parse.
//
// Threading. Every public member function is thread-safe and may be called
// from test threads while clients talk to the brokers. The brokers' network
// work runs either on a thread the cluster owns (first constructor) or on a
// caller's io_context (second constructor; the caller must run it). Request
// handling takes one mutex, so the mock is deterministic per connection:
// requests on one connection are handled one at a time, in order, and each
// is answered before the next is read (as Kafka mutes a channel while a
// request is in flight).
//
// What is simplified, on purpose:
//  - One copy of each partition log, shared by its replicas: a leader move
//    keeps the log and the producer state (a real follower has both too).
//  - stop_broker() only closes sockets: leadership does not move unless the
//    test calls move_leader(), and Metadata still lists the stopped broker.
//  - Auto-created topics are ready at once (real brokers first answer
//    LEADER_NOT_AVAILABLE; inject it with fail_next if a test needs it).
//  - Transactions: FindCoordinator, InitProducerId, AddPartitionsToTxn,
//    AddOffsetsToTxn and EndTxn are answered by the transactional id's
//    coordinator only, TxnOffsetCommit by the group's. Transactions live in
//    the partitions: a transactional batch opens its producer's transaction
//    where it lands (holding the last stable offset), EndTxn (and a new
//    epoch from InitProducerId, as an abort) writes COMMIT/ABORT markers
//    wherever it has one open, and committed TxnOffsetCommit offsets join
//    the group's. AddPartitionsToTxn is checked, not required.
//  - Logs: Produce keeps every batch it appends in wire form for Fetch
//    (blackhole mode keeps nothing, so consumers read nothing from it).
//    An empty Fetch answer is held for the request's max_wait_ms.
//
// Idempotence follows Kafka's ProducerStateManager / ProducerAppendInfo
// (Kafka 2.5+, after KIP-360), per (producer id, partition):
//  - a batch whose epoch and sequence range equal one of the last 5 appended
//    batches is a duplicate: answered NONE with the original base offset and
//    not appended again (UnifiedLog.analyzeAndValidateProducerState looks
//    for a duplicate before any sequence check); set
//    ClusterConfig::duplicate_sequence_error to get DUPLICATE_SEQUENCE_NUMBER
//    (46) instead, as 0.11-era brokers answered;
//  - an epoch lower than the partition's → INVALID_PRODUCER_EPOCH (47);
//  - a new (higher) epoch must start at sequence 0, else
//    OUT_OF_ORDER_SEQUENCE_NUMBER (45);
//  - the same epoch must continue at last sequence + 1 (INT32_MAX wraps to 0),
//    else OUT_OF_ORDER_SEQUENCE_NUMBER;
//  - a producer id the partition has no state for is accepted at any
//    sequence (KIP-360; forget_producer() simulates state expiry). With
//    ClusterConfig::legacy_unknown_producer_id such a batch with a non-zero
//    sequence gets UNKNOWN_PRODUCER_ID (59), as brokers before 2.5 answered.
//
// InitProducerId with a null transactional id returns a fresh producer id at
// epoch 0 on every call — that is what Kafka's TransactionCoordinator does,
// even when a v3+ request carries the current id/epoch (the Java producer
// bumps an idempotent producer's epoch locally, KIP-360). Set
// ClusterConfig::idempotent_epoch_bump to answer such a request with the same
// id and epoch + 1 instead (a new id once the epoch is exhausted).
// Transactional ids keep one (id, epoch) each and bump the epoch on every
// call; a mismatching current id/epoch is fenced (PRODUCER_FENCED from v4,
// INVALID_PRODUCER_EPOCH before).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kwire/compression/codec.hpp"
#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace asio {
class io_context;
}  // namespace asio

namespace kwire::mock {

using protocol::ApiKey;

/// One API's advertised version range.
struct ApiRange {
  ApiKey key = ApiKey::api_versions;
  std::int16_t min_version = 0;
  std::int16_t max_version = 0;
  friend bool operator==(const ApiRange&, const ApiRange&) = default;
};

/// The ranges the mock advertises by default: kwire's ranges
/// (protocol::supported_apis()) clamped to what the mock implements:
/// ApiVersions 0-4, Metadata 0-12, FindCoordinator 0-6, InitProducerId 0-5,
/// Produce 3-12, AddPartitionsToTxn 0-3, AddOffsetsToTxn 0-4, EndTxn 0-4,
/// TxnOffsetCommit 0-4, CreateTopics 0-7, DeleteTopics 0-6, DeleteGroups 0-3,
/// Fetch 4-17, ListOffsets 1-11, OffsetForLeaderEpoch 0-4, OffsetCommit 0-9,
/// OffsetFetch 0-9, JoinGroup 0-9, SyncGroup 0-5, Heartbeat 0-4,
/// LeaveGroup 0-5, ConsumerGroupHeartbeat 0-1.
/// One deviation makes librdkafka (whose features follow the advertised
/// ranges, rdkafka_feature.c) behave as with a real broker:
///  - Produce is advertised as 0-12, as Kafka 4.x does although it rejects
///    v0-2 (KAFKA-18659); v0-2 requests close the connection. Without v2
///    listed, librdkafka refuses to compress with gzip or snappy.
///  (Fetch 4+ matters to librdkafka too: without it, it sends pre-0.11
///  message sets, which Produce v3+ rejects; without Fetch 10+ no zstd.)
std::vector<ApiRange> default_api_ranges();

struct TopicSpec {
  std::string name;
  std::int32_t partitions = 1;
};

struct ClusterConfig {
  int brokers = 1;
  std::int32_t first_broker_id = 1;  ///< brokers get ids first_broker_id, +1, ...
  /// 0: each broker listens on an ephemeral port; else broker i (0-based)
  /// listens on base_port + i.
  std::uint16_t base_port = 0;
  std::string cluster_id = "kwire-mock-cluster";
  /// Topics to create up front; leaders are assigned round-robin.
  std::vector<TopicSpec> topics;
  /// Create unknown topics asked for by Metadata (when the request allows it,
  /// v4+) with default_partitions; else UNKNOWN_TOPIC_OR_PARTITION.
  bool auto_create_topics = true;
  std::int32_t default_partitions = 1;
  /// Replicas per partition, capped at the number of brokers.
  int replication_factor = 3;
  /// Advertised (and accepted) versions. Requests for other APIs, or at
  /// versions outside these ranges, close the connection (Kafka cannot parse
  /// them either); ApiVersions above the range gets the KIP-511 answer.
  std::vector<ApiRange> api_versions = default_api_ranges();
  /// Ack Produce requests with increasing offsets without decoding, checking
  /// or storing records (for benchmarks of the client alone).
  bool blackhole = false;
  bool idempotent_epoch_bump = false;       ///< see the header comment
  bool legacy_unknown_producer_id = false;  ///< see the header comment
  bool duplicate_sequence_error = false;    ///< see the header comment
  std::int64_t first_producer_id = 1000;
  /// Larger request frames close the connection.
  std::size_t max_frame_bytes = std::size_t{100} << 20;
  /// Entries kept by request_log() (oldest dropped first).
  std::size_t request_log_limit = 10000;
};

/// Whether delay() holds a request before it is handled (a slow broker:
/// nothing is appended until the delay ends; a connection closed meanwhile
/// drops the request unhandled), or handles it at once and holds back only
/// the response (records appended, answer late — like acks=all waiting for
/// replication).
enum class DelayMode { response, request };

struct StoredHeader {
  std::string key;
  std::optional<std::string> value;  ///< nullopt: null header value
  friend bool operator==(const StoredHeader&, const StoredHeader&) = default;
};

/// One record as appended to a partition log. Keys and values are raw bytes
/// in std::string (binary-safe) so tests can compare them to text directly.
struct StoredRecord {
  std::int64_t offset = 0;
  std::int64_t timestamp = 0;        ///< as the producer set it (CreateTime)
  std::optional<std::string> key;    ///< nullopt: null key
  std::optional<std::string> value;  ///< nullopt: null value (tombstone)
  std::vector<StoredHeader> headers;
  std::int64_t producer_id = -1;     ///< -1 unless idempotent
  std::int16_t producer_epoch = -1;
  std::int32_t sequence = -1;        ///< this record's sequence (base + delta, wrapped); -1 if none
  std::int64_t batch_base_offset = 0;  ///< offset of the first record of its batch
  compression::Codec codec = compression::Codec::none;  ///< how its batch was compressed
  friend bool operator==(const StoredRecord&, const StoredRecord&) = default;
};

/// One request as seen by a broker (after framing, before any fault).
struct RequestLogEntry {
  std::int32_t broker_id = 0;
  std::int16_t api_key = 0;  ///< raw: requests for APIs the mock lacks are logged too
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
  std::optional<std::string> client_id;  ///< nullopt if the header could not be read
};

class MockCluster {
 public:
  /// Starts the brokers on a network thread the cluster owns. Throws
  /// std::system_error when a port cannot be bound, std::invalid_argument
  /// for a bad configuration.
  explicit MockCluster(ClusterConfig config = {});
  /// Starts the brokers on `io`, which the caller runs (on one thread).
  /// Members that touch sockets (stop_broker, start_broker, the destructor)
  /// run on that thread: called from another thread they wait for it, so
  /// call them while `io` runs, from its thread, or after io.stop().
  /// The listeners keep `io` busy: its run() only returns after stop().
  explicit MockCluster(asio::io_context& io, ClusterConfig config = {});
  /// Closes every listener and connection (and joins the owned thread).
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // ------------------------------------------------------------ addresses
  /// "127.0.0.1:PORT,127.0.0.1:PORT,..." in broker id order.
  std::string bootstrap_servers() const;
  std::vector<std::int32_t> broker_ids() const;
  /// The broker's listening port (stable across stop/start); throws
  /// std::out_of_range for an unknown id.
  std::uint16_t port(std::int32_t broker_id) const;

  // ------------------------------------------------------- topics, records
  /// Creates a topic (no-op if it exists with as many partitions; throws
  /// std::invalid_argument if it exists with another count).
  void create_topic(const std::string& topic, std::int32_t partitions);
  /// Every topic and its partition count, by name.
  std::map<std::string, std::int32_t> topics() const;
  /// The partition's leader, or -1 if the partition does not exist.
  std::int32_t leader(const std::string& topic, std::int32_t partition) const;
  /// Every record appended to the partition, in offset order (a copy).
  std::vector<StoredRecord> records(const std::string& topic, std::int32_t partition) const;
  std::size_t record_count(const std::string& topic, std::int32_t partition) const;
  /// Records in every partition of every topic.
  std::size_t record_count() const;
  /// Batches appended to the partition (duplicates are not appended).
  std::size_t batch_count(const std::string& topic, std::int32_t partition) const;
  /// The partition's next offset (counts blackholed records too).
  std::int64_t log_end_offset(const std::string& topic, std::int32_t partition) const;
  /// Waits until the partition holds at least `count` records; false on timeout.
  bool wait_for_records(const std::string& topic, std::int32_t partition, std::size_t count,
                        std::chrono::milliseconds timeout) const;

  // --------------------------------------------------------------- faults
  /// The next `count` requests of `api` (that touch `topic`/`partition` when
  /// given) fail with `error`: Produce partitions get it (nothing appended;
  /// other partitions of the request proceed), Metadata topics get it (with
  /// no partitions) or, with a partition given, that partition gets it (with
  /// leader -1), InitProducerId and ApiVersions get it as their error code.
  /// Fetch, ListOffsets, OffsetForLeaderEpoch and OffsetCommit partitions
  /// get it like Produce's; for JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
  /// OffsetFetch and ConsumerGroupHeartbeat `topic` names the group id. An
  /// injected UNKNOWN_MEMBER_ID (group APIs, OffsetCommit) also removes the
  /// member from its group, as the broker that expired it would have.
  /// With `min_records` (Produce), only partitions whose batches hold at
  /// least that many records count (e.g. MESSAGE_TOO_LARGE only for batches
  /// a producer can split). Produce's producer-state errors
  /// (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID,
  /// INVALID_PRODUCER_EPOCH) pass over a resend of a batch already written,
  /// which is answered as a duplicate: Kafka checks for duplicates first.
  void fail_next(ApiKey api, kwire::errc error, int count = 1, std::optional<std::string> topic = std::nullopt,
                 std::optional<std::int32_t> partition = std::nullopt, std::size_t min_records = 0);
  /// The next `count` requests of `api` close their connection unhandled.
  void drop_connection_before(ApiKey api, int count = 1);
  /// The next `count` requests of `api` are handled (records appended, ids
  /// allocated) and then their connection is closed: the response is lost.
  void drop_connection_after(ApiKey api, int count = 1);
  /// The next `count` requests of `api` are held for `by` (see DelayMode).
  /// Later requests on the same connection wait behind them.
  void delay(ApiKey api, std::chrono::milliseconds by, int count = 1, DelayMode mode = DelayMode::response);
  /// Forgets every pending fail/drop/delay rule.
  void clear_faults();
  /// Makes `new_broker` the partition's leader and bumps its leader epoch;
  /// Produce to the old leader then gets NOT_LEADER_OR_FOLLOWER (with a
  /// KIP-951 leader hint from v10). Throws std::invalid_argument for an
  /// unknown partition or broker.
  void move_leader(const std::string& topic, std::int32_t partition, std::int32_t new_broker);
  /// Makes `new_broker` the coordinator of {key_type, key} (a
  /// protocol::CoordinatorType: 0 group, 1 transaction): FindCoordinator
  /// names it from now on, and the old coordinator answers the key's
  /// requests (InitProducerId with that transactional id) NOT_COORDINATOR.
  /// Throws std::invalid_argument for an unknown broker.
  void move_coordinator(std::int8_t key_type, const std::string& key, std::int32_t new_broker);
  /// The broker coordinating {key_type, key}: move_coordinator's choice, else
  /// a stable hash of the key over the brokers.
  std::int32_t coordinator(std::int8_t key_type, const std::string& key) const;
  /// The offsets TxnOffsetCommit accepted for `group`, by (topic, partition):
  /// the latest per partition, whether or not its transaction commits
  /// (committed_offsets() has those of committed transactions).
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> txn_offset_commits(const std::string& group) const;
  /// Appends one record batch in wire form as it is (tests build corrupt
  /// batches, transactional batches and control markers with it): the
  /// base offset becomes the log end and the partition leader epoch the
  /// current one (neither is under the CRC); nothing is checked, so a bad
  /// CRC reaches consumers. A transactional batch opens its producer's
  /// transaction (holding the last stable offset back), an ABORT marker
  /// closes it and lists it in read_committed fetches, a COMMIT marker
  /// closes it. Not listed by records(). Returns the base offset. Throws
  /// std::invalid_argument for an unknown partition or a batch shorter than
  /// its header.
  std::int64_t append_raw_batch(const std::string& topic, std::int32_t partition, std::vector<std::uint8_t> batch);
  /// Moves the partition's log start offset (as retention does): fetches
  /// below it get OFFSET_OUT_OF_RANGE, ListOffsets earliest answers it.
  /// Throws std::invalid_argument beyond the log end.
  void set_log_start_offset(const std::string& topic, std::int32_t partition, std::int64_t offset);
  /// The offsets OffsetCommit accepted for `group`, by (topic, partition).
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> committed_offsets(const std::string& group) const;
  /// The group's classic generation, or its KIP-848 group epoch (0: none).
  std::int32_t group_generation(const std::string& group) const;
  /// Closes the broker's listener and connections; connecting is refused
  /// until start_broker(). Idempotent.
  void stop_broker(std::int32_t broker_id);
  /// Listens again on the same port. Idempotent. Throws std::system_error if
  /// the port cannot be bound again.
  void start_broker(std::int32_t broker_id);
  bool broker_running(std::int32_t broker_id) const;
  /// Drops the producer's state in every partition, as log retention does.
  void forget_producer(std::int64_t producer_id);
  void set_blackhole(bool on);
  /// Replaces the advertised/accepted version ranges.
  void set_api_versions(std::vector<ApiRange> ranges);

  // ---------------------------------------------------------- observation
  /// Requests of `api` received (framed), on all brokers / on one broker,
  /// including those dropped or failed by faults.
  std::size_t request_count(ApiKey api) const;
  std::size_t request_count(ApiKey api, std::int32_t broker_id) const;
  /// Waits until request_count(api) >= count; false on timeout.
  bool wait_for_requests(ApiKey api, std::size_t count, std::chrono::milliseconds timeout) const;
  /// The most recent requests (see ClusterConfig::request_log_limit).
  std::vector<RequestLogEntry> request_log() const;
  /// Connections the broker has accepted so far.
  std::size_t accepted_connections(std::int32_t broker_id) const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace kwire::mock
