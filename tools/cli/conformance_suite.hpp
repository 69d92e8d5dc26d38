#pragma once
// The conformance suite's shared state and helpers (internal to the CLI):
// one Suite per run; each group of cells lives in its own file.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <kwire/net/blocking_client.hpp>
#include <kwire/producer/config.hpp>
#include <kwire/protocol/api.hpp>
#include <kwire/protocol/api_versions.hpp>
#include <kwire/protocol/create_topics.hpp>
#include <kwire/protocol/fetch.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/init_producer_id.hpp>
#include <kwire/protocol/produce.hpp>
#include <kwire/protocol/record_batch.hpp>

#include "conformance.hpp"
#include "conformance_records.hpp"
#include "partition_reader.hpp"

namespace kwire::cli::conformance {

/// A coordinator answer that means "not now, ask again": one still loading
/// its partition of __consumer_offsets or __transaction_state (the first
/// request to a new coordinator often meets COORDINATOR_LOAD_IN_PROGRESS),
/// one moving, or a transaction still finishing (CONCURRENT_TRANSACTIONS).
bool coordinator_busy(kwire::errc e);

/// Repeats `attempt` (which returns "" or a reason, and sets `error` to the
/// Kafka error it was answered with) while coordinator_busy(error), until
/// `deadline`; returns the last attempt's reason.
std::string retry_busy(std::chrono::steady_clock::time_point deadline, kwire::errc& error,
                       const std::function<std::string()>& attempt);

/// A transactional producer as the suite drives it by hand
/// (conformance_txn_support.cpp).
struct TxnProducer {
  std::string transactional_id;
  std::int64_t id = -1;
  std::int16_t epoch = -1;
  std::int32_t sequence = 0;  ///< next base sequence for partition 0
};

using kwire::conformance::known_record_set;
using kwire::conformance::TestHeader;
using kwire::conformance::TestRecord;

class Suite {
 public:
  explicit Suite(const SuiteOptions& options);
  Report run();

  // ------------------------------------------------------------- groups
  void run_connect();  // also sets up the topic; false -> nothing else runs
  void run_versions();
  void run_produce();
  void run_idempotence();
  void run_errors();
  void run_admin();
  void run_consume();       // conformance_consume.cpp
  void run_group();         // conformance_group.cpp
  void run_transactions();  // conformance_transactions.cpp

  // ------------------------------------------------------------ helpers
  /// The checks of one API version: "" for pass, else the reason.
  using VersionCheck = std::function<std::string(std::int16_t version)>;
  /// One cell per version kwire implements, in `group`: "not offered" when
  /// the endpoint does not advertise it, else `check`'s verdict; adds the
  /// API's row to the version matrix.
  void exercise(const std::string& group, protocol::ApiKey key, std::int16_t kwire_min, std::int16_t kwire_max,
                const VersionCheck& check);
  /// "<api> went out as vN, not vM".
  static std::string wrong_version(std::string_view api, std::int16_t asked, std::int16_t used);

  // Topics made and removed with the admin APIs (conformance_admin.cpp).
  /// CreateTopics for one topic (replication factor 1) at the highest common
  /// version <= max_version; "" on success, else why not. `result` gets the
  /// topic's answer.
  std::string create_topic(const std::string& name, std::int32_t partitions, std::int16_t max_version,
                           std::int16_t& used, protocol::CreateTopicsResponse::Topic* result = nullptr,
                           const std::vector<protocol::CreateTopicsRequest::Config>& configs = {});
  /// Waits until Metadata shows `name` with `partitions` partitions, each
  /// with a leader; `id` gets its topic id. "" on success, else why not.
  std::string wait_for_topic(const std::string& name, std::int32_t partitions, protocol::Uuid* id = nullptr);
  /// Waits until Metadata no longer knows `name`. "" on success.
  std::string wait_for_topic_gone(const std::string& name);
  /// DeleteTopics for the suite's own topic (when it created it and was not
  /// told --keep), as the last cell of the run.
  void delete_own_topic();

  // Transactions by hand (conformance_txn_support.cpp). Each returns "" on
  // success, else why not; `refused` (when given) gets the Kafka error a
  // request was answered with. Busy answers (CONCURRENT_TRANSACTIONS, a
  // coordinator loading) are retried for up to cell_timeout.
  /// The coordinator of `key` (key type 0 group, 1 transaction, as
  /// FindCoordinator's), connected; nullptr with `why` when there is none.
  net::BlockingClient* coordinator(const std::string& key, std::int8_t key_type, std::string& why);
  /// retry_busy for one request to `key`'s coordinator, for up to
  /// cell_timeout, looking the coordinator up again before each attempt: a
  /// busy answer (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE) may mean it
  /// moved, or is not ready yet for a key just looked up (Kafka 3.9 has
  /// answered a fresh group's TxnOffsetCommit so right after FindCoordinator).
  std::string retry_at_coordinator(const std::string& key, std::int8_t key_type, kwire::errc& error,
                                   const std::function<std::string(net::BlockingClient&)>& attempt);
  /// The cluster's finalized transaction.version (KIP-890), 0 when unknown.
  std::int16_t transaction_version() const;
  std::string txn_init(TxnProducer& p, std::int16_t max_version, kwire::errc* refused = nullptr,
                       std::int16_t* used = nullptr);
  /// AddPartitionsToTxn (client form, v0-3) for partition 0 of the topic.
  std::string txn_add_partition(const TxnProducer& p, std::int16_t version, kwire::errc* refused = nullptr);
  /// A transactional batch of `records` to partition 0 at the highest common
  /// Produce version <= max_version; `base` gets its offset.
  std::string txn_produce(TxnProducer& p, const std::vector<TestRecord>& records, std::int16_t max_version,
                          std::int64_t& base, kwire::errc* refused = nullptr);
  /// EndTxn at the highest common version <= max_version; adopts a v5
  /// answer's producer id and epoch (KIP-890) and resets the sequence.
  std::string txn_end(TxnProducer& p, bool commit, std::int16_t max_version, kwire::errc* refused = nullptr,
                      std::int16_t* used = nullptr);
  /// A whole TV1 transaction (add, produce, end) of `records`; `base` gets
  /// the offset of its batch.
  std::string txn_write(TxnProducer& p, const std::vector<TestRecord>& records, bool commit, std::int64_t& base);
  /// The suite's partition read with read_committed (made on first use).
  PartitionReader& committed_reader();
  /// Every batch of partition 0 in [from, to) with `isolation`, control
  /// batches included; `aborted` gets the AbortedTransactions seen.
  std::string fetch_all(std::int64_t from, std::int64_t to, protocol::IsolationLevel isolation,
                        std::int16_t version, std::vector<protocol::RecordBatch>& batches,
                        std::vector<protocol::FetchResponse::AbortedTransaction>* aborted = nullptr,
                        FetchRound* last = nullptr);

  /// OffsetFetch of `group`'s committed offset for partition 0 at the
  /// highest common version <= max_version (RequireStable from v7 when
  /// asked; KIP-848 member id and epoch from v9 when given): `offset` gets it
  /// (-1: none). "" on success; a partition or group error goes to `refused`.
  std::string fetch_committed(const std::string& group, std::int16_t max_version, bool require_stable,
                              std::int64_t& offset, std::int16_t* used = nullptr, kwire::errc* refused = nullptr,
                              const std::optional<std::string>& member_id = std::nullopt, std::int32_t member_epoch = -1);

  void add(Cell cell);
  Cell cell(std::string group, std::string name) const;
  bool wants(const std::string& group) const;
  /// The endpoint's advertised range for `key` (from the connect-time
  /// ApiVersions), nullopt when it does not list the API.
  std::optional<std::pair<std::int16_t, std::int16_t>> advertised(protocol::ApiKey key) const;
  bool advertises(protocol::ApiKey key, std::int16_t version) const;
  /// "advertises 4-18" / "does not advertise Fetch", for reasons.
  std::string advertised_text(protocol::ApiKey key) const;

  /// The connection to our partition's leader / to a bootstrap broker,
  /// reconnected first if the endpoint closed it (so one refused request
  /// fails one cell, not every cell after it).
  net::BlockingClient& leader();
  net::BlockingClient& bootstrap();

  /// A fresh blocking client on the bootstrap servers (connected), or the
  /// error with a reason.
  std::error_code connect_bootstrap(std::optional<net::BlockingClient>& out, std::string& why);

  /// Sends one Produce request carrying `batch` for topic/partition through
  /// `client` at the highest common version <= max_version. `out` receives
  /// the partition's answer (error, base offset, ...). Transport and codec
  /// errors are returned; partition errors are in `out`.
  std::error_code produce_raw(net::BlockingClient& client, const std::string& topic, const protocol::Uuid& topic_id,
                              std::int32_t partition, std::span<const std::uint8_t> batch, std::int16_t acks,
                              std::int16_t max_version, protocol::ProduceResponse::PartitionResponse& out,
                              std::int16_t& version, std::string& why);

  /// InitProducerId for an idempotent producer at the highest common version
  /// <= max_version, retrying retriable answers (a fresh cluster answers
  /// COORDINATOR_LOAD_IN_PROGRESS until its producer id manager is ready)
  /// for up to cell_timeout. "" on success, else why not.
  std::string init_producer_id(std::int16_t max_version, protocol::InitProducerIdResponse& out, std::int16_t& used);

  /// The log end offset of our partition (ListOffsets latest), or the error.
  std::error_code log_end_offset(std::int64_t& out, std::string& why);
  /// Waits until the log end offset reaches `target` (acks=0 writes land
  /// asynchronously); returns the last value seen.
  std::error_code wait_for_end_offset(std::int64_t target, std::int64_t& seen, std::string& why);

  /// "" when `got` equals `expected` byte for byte (keys, values, headers;
  /// offsets from `first_offset`; timestamps when given and CreateTime),
  /// else what differs first.
  static std::string compare_records(const std::vector<protocol::Record>& got,
                                     const std::vector<TestRecord>& expected, std::int64_t first_offset,
                                     const std::vector<std::int64_t>& timestamps = {});

  /// Seals `records` into one record batch v2 (uncompressed unless a codec
  /// is given), with timestamps `base_ts + i`.
  static std::vector<std::uint8_t> build_batch(const std::vector<TestRecord>& records, std::int64_t base_ts,
                                               const protocol::BatchSealParams& params = {});

  const SuiteOptions& options_;
  producer::ProducerConfig config_;
  Report report_;
  std::optional<net::BlockingClient> bootstrap_;
  protocol::ApiVersionsResponse versions_;
  std::unique_ptr<PartitionReader> reader_;
  std::string topic_;
  static constexpr std::int32_t partition_ = 0;
  bool ready_ = false;  ///< connected and the topic is usable
  bool created_topic_ = false;  ///< the suite made topic_ (CreateTopics or auto-creation)

  // The reference record set (raw Produce, uncompressed, acks=all) the
  // version cells read back.
  std::vector<TestRecord> reference_;
  std::vector<std::int64_t> reference_timestamps_;
  std::int64_t reference_first_ = -1;
  std::string reference_error_;

  std::chrono::steady_clock::time_point started_;
  std::map<std::string, net::BlockingClient> coordinators_;  ///< by host:port
  std::unique_ptr<PartitionReader> committed_reader_;        ///< read_committed, for fetch_all
};

/// Milliseconds since the epoch, for record timestamps.
std::int64_t now_ms();

}  // namespace kwire::cli::conformance
