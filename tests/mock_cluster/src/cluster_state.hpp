#pragma once
// The mock cluster's sans-I/O core: topics, partition logs, producer state,
// fault rules and counters, and the request handlers that turn one request
// frame into a decision (respond with these bytes / say nothing / close).
// The network layer (server.cpp) only moves bytes and timers.
//
// Thread-safety: every public member takes mutex_, so the test thread may
// inject faults and read logs while the network thread handles requests.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "kwire/compression/decompressor.hpp"
#include "kwire/mock/cluster.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/protocol/types.hpp"

namespace kwire::mock::detail {

/// Kafka keeps the metadata of the last 5 batches per producer and partition
/// (ProducerStateEntry.NUM_BATCHES_TO_RETAIN), which is why idempotent
/// producers allow at most 5 requests in flight (KAFKA-5494).
inline constexpr std::size_t kRetainedBatches = 5;

struct BatchMeta {
  std::int32_t first_seq = 0;
  std::int32_t last_seq = 0;
  std::int64_t first_offset = 0;
  std::int64_t last_offset = 0;
};

struct ProducerEntry {
  std::int16_t epoch = -1;
  std::deque<BatchMeta> batches;  ///< oldest first, at most kRetainedBatches
};

/// One record batch as the log holds it, in wire form (base offset and
/// partition leader epoch set by the broker), for Fetch.
struct LogBatch {
  std::int64_t base_offset = 0;
  std::int64_t last_offset = 0;
  std::vector<std::uint8_t> bytes;
};

/// An aborted transaction, as Fetch lists it for read_committed consumers
/// (Kafka's AbortedTxn index: producer id, first offset, marker offset).
struct AbortedTxn {
  std::int64_t producer_id = -1;
  std::int64_t first_offset = 0;
  std::int64_t last_offset = 0;  ///< the ABORT marker's offset
};

struct PartitionState {
  std::int32_t leader = -1;
  std::int32_t leader_epoch = 0;
  std::vector<std::int32_t> replicas;
  std::vector<StoredRecord> log;
  std::int64_t next_offset = 0;
  std::size_t batches = 0;
  std::unordered_map<std::int64_t, ProducerEntry> producers;
  /// What Fetch serves (empty in blackhole mode: nothing is stored then).
  std::vector<LogBatch> wire_log;
  std::int64_t log_start_offset = 0;
  /// First offset of each producer's open transaction (transactional
  /// batches seen since its last marker).
  std::unordered_map<std::int64_t, std::int64_t> open_txns;
  std::vector<AbortedTxn> aborted_txns;

  /// Kafka's last stable offset: the first offset of the oldest open
  /// transaction, else the log end.
  std::int64_t last_stable_offset() const {
    std::int64_t lso = next_offset;
    for (const auto& [producer, first] : open_txns) lso = std::min(lso, first);
    return lso;
  }
};

struct TopicState {
  std::string name;
  protocol::Uuid id;
  std::vector<PartitionState> partitions;
};

struct BrokerInfo {
  std::int32_t id = 0;
  std::uint16_t port = 0;
};

struct FailRule {
  ApiKey api;
  kwire::errc error;
  int remaining;
  std::optional<std::string> topic;
  std::optional<std::int32_t> partition;

  /// Produce only: the rule applies to a partition whose records hold at
  /// least this many records (0: any).
  std::size_t min_records = 0;

  bool matches(const std::string& t, std::int32_t p, std::size_t records = 0) const {
    return (!topic || *topic == t) && (!partition || *partition == p) && records >= min_records;
  }

  /// Produce: an error Kafka's producer-state check raises (ProducerAppendInfo:
  /// sequence and epoch). The broker runs that check after its duplicate
  /// detection (UnifiedLog.analyzeAndValidateProducerState), so such a rule
  /// passes over a resend of a batch already written: that is answered as a
  /// duplicate, and the rule waits for a batch the check would see.
  bool raised_after_duplicate_check() const {
    return api == ApiKey::produce &&
           (error == kwire::errc::out_of_order_sequence_number || error == kwire::errc::unknown_producer_id ||
            error == kwire::errc::invalid_producer_epoch);
  }

  /// matches(), and the target's batch is not a duplicate this rule passes over.
  bool applies_to(const std::string& t, std::int32_t p, std::size_t records, bool duplicate) const {
    return matches(t, p, records) && !(duplicate && raised_after_duplicate_check());
  }
};

/// A classic group member (JoinGroup).
struct ClassicMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<std::uint8_t> metadata;  ///< of the protocol the group chose
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> protocols;
  std::int32_t joined_generation = -1;  ///< the last generation it joined
  std::vector<std::uint8_t> assignment;  ///< from the leader's SyncGroup
};

/// A KIP-848 member (ConsumerGroupHeartbeat).
struct ConsumerGroupMember {
  std::string member_id;
  std::int32_t member_epoch = 0;
  std::vector<std::string> subscribed_topics;
};

/// One group on its coordinator: the classic protocol's generation and
/// members, or KIP-848's group epoch and members, and committed offsets.
struct GroupState {
  std::int32_t generation = 0;
  std::string protocol_name;
  std::string leader;
  std::vector<ClassicMember> members;  ///< in join order
  bool awaiting_sync = false;          ///< the leader's SyncGroup has not come yet
  std::int32_t group_epoch = 0;
  std::vector<ConsumerGroupMember> consumer_members;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets;
  std::map<std::pair<std::string, std::int32_t>, std::int32_t> offset_epochs;
  std::uint64_t next_member = 1;

  /// Removes a member (classic or KIP-848), as session expiry does.
  void forget(const std::string& member_id);
  ClassicMember* classic_member(const std::string& id);
  ConsumerGroupMember* consumer_member(const std::string& id);
  /// What a classic member's request at `generation` gets: UNKNOWN_MEMBER_ID
  /// for a member not in the group, REBALANCE_IN_PROGRESS for one still to
  /// rejoin (at its last generation), ILLEGAL_GENERATION for any other
  /// generation but the current one; none at the current one.
  kwire::errc generation_error(const std::string& member_id, std::int32_t generation);
};

struct CountRule {
  ApiKey api;
  int remaining;
};

struct DelayRule {
  ApiKey api;
  std::chrono::milliseconds by;
  int remaining;
  DelayMode mode;
};

/// What to do with a request before handling it.
struct Admission {
  bool close = false;                   ///< drop the connection, request unhandled
  std::chrono::milliseconds delay{0};  ///< hold the request this long first
};

/// What to do after handling a request.
struct Outcome {
  enum class Action { respond, none, close };
  Action action = Action::close;
  std::vector<std::uint8_t> frame;     ///< the whole response frame, size prefix included
  std::chrono::milliseconds delay{0};  ///< hold the response this long first
};

class ClusterState {
 public:
  explicit ClusterState(ClusterConfig config);

  /// Called once the listeners are bound, before any request arrives.
  void set_brokers(std::vector<BrokerInfo> brokers);

  // Network thread. `frame` is one request without its size prefix.
  Admission admit(std::int32_t broker_id, std::span<const std::uint8_t> frame);
  Outcome handle(std::int32_t broker_id, std::span<const std::uint8_t> frame);
  void note_connection(std::int32_t broker_id);
  std::size_t max_frame_bytes() const { return config_.max_frame_bytes; }

  // Test threads (through MockCluster).
  std::string bootstrap_servers() const;
  std::vector<std::int32_t> broker_ids() const;
  std::uint16_t port(std::int32_t broker_id) const;
  void create_topic(const std::string& topic, std::int32_t partitions);
  std::map<std::string, std::int32_t> topics() const;
  std::int32_t leader(const std::string& topic, std::int32_t partition) const;
  std::vector<StoredRecord> records(const std::string& topic, std::int32_t partition) const;
  std::size_t record_count(const std::string& topic, std::int32_t partition) const;
  std::size_t record_count() const;
  std::size_t batch_count(const std::string& topic, std::int32_t partition) const;
  std::int64_t log_end_offset(const std::string& topic, std::int32_t partition) const;
  bool wait_for_records(const std::string& topic, std::int32_t partition, std::size_t count,
                        std::chrono::milliseconds timeout) const;
  void fail_next(FailRule rule);
  void drop_connection_before(ApiKey api, int count);
  void drop_connection_after(ApiKey api, int count);
  void delay(ApiKey api, std::chrono::milliseconds by, int count, DelayMode mode);
  void clear_faults();
  void move_leader(const std::string& topic, std::int32_t partition, std::int32_t new_broker);
  void move_coordinator(std::int8_t key_type, const std::string& key, std::int32_t new_broker);
  std::int32_t coordinator(std::int8_t key_type, const std::string& key) const;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> txn_offset_commits(const std::string& group) const;
  std::int64_t append_raw_batch(const std::string& topic, std::int32_t partition, std::vector<std::uint8_t> batch);
  void set_log_start_offset(const std::string& topic, std::int32_t partition, std::int64_t offset);
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> committed_offsets(const std::string& group) const;
  std::int32_t group_generation(const std::string& group) const;
  void forget_producer(std::int64_t producer_id);
  void set_blackhole(bool on);
  void set_api_versions(std::vector<ApiRange> ranges);
  std::size_t request_count(ApiKey api) const;
  std::size_t request_count(ApiKey api, std::int32_t broker_id) const;
  bool wait_for_requests(ApiKey api, std::size_t count, std::chrono::milliseconds timeout) const;
  std::vector<RequestLogEntry> request_log() const;
  std::size_t accepted_connections(std::int32_t broker_id) const;

 private:
  // All private members expect mutex_ held.
  using Lock = std::unique_lock<std::mutex>;

  TopicState* find_topic(const std::string& name);
  const TopicState* find_topic(const std::string& name) const;
  TopicState* find_topic(const protocol::Uuid& id);
  PartitionState* find_partition(const std::string& topic, std::int32_t partition);
  const PartitionState* find_partition(const std::string& topic, std::int32_t partition) const;
  TopicState& add_topic(const std::string& name, std::int32_t partitions);
  const ApiRange* advertised(ApiKey api) const;
  const BrokerInfo* broker(std::int32_t id) const;

  /// Consumes one count of the first rule for `api` passing `pred`.
  template <class Rule, class Pred>
  static std::optional<Rule> take_rule(std::vector<Rule>& rules, ApiKey api, Pred&& pred);
  template <class Rule>
  static std::optional<Rule> take_rule(std::vector<Rule>& rules, ApiKey api) {
    return take_rule(rules, api, [](const Rule&) { return true; });
  }
  /// The first fail rule for `api` that names no target, or one of `targets`
  /// (topic, partition) pairs; consumes one count. nullopt if none.
  /// `target_records` (Produce) holds each target's record count, for rules
  /// with a min_records; `target_duplicates` (Produce) marks the targets whose
  /// batch is a duplicate (FailRule::applies_to).
  std::optional<FailRule> take_fail_rule(ApiKey api,
                                         const std::vector<std::pair<std::string, std::int32_t>>& targets,
                                         const std::vector<std::size_t>& target_records = {},
                                         const std::vector<bool>& target_duplicates = {});

  /// The first fail rule for `api` that names `item` as its topic (a rule
  /// naming nothing is left alone); consumes one count. nullopt if none.
  std::optional<FailRule> take_item_fail_rule(ApiKey api, const std::string& item);

  // Handlers (one file each). `body` follows the request header.
  Outcome handle_api_versions(const protocol::RequestHeader& header, std::span<const std::uint8_t> body);
  Outcome handle_metadata(const protocol::RequestHeader& header, std::span<const std::uint8_t> body);
  Outcome handle_init_producer_id(std::int32_t broker_id, const protocol::RequestHeader& header,
                                  std::span<const std::uint8_t> body);
  Outcome handle_find_coordinator(const protocol::RequestHeader& header, std::span<const std::uint8_t> body);
  /// The broker coordinating {key type, key} (handle_find_coordinator.cpp).
  std::int32_t coordinator_for(std::int8_t key_type, const std::string& key) const;
  Outcome handle_produce(std::int32_t broker_id, const protocol::RequestHeader& header,
                         std::span<const std::uint8_t> body);
  Outcome handle_create_topics(const protocol::RequestHeader& header, std::span<const std::uint8_t> body);
  Outcome handle_delete_topics(const protocol::RequestHeader& header, std::span<const std::uint8_t> body);
  Outcome handle_delete_groups(std::int32_t broker_id, const protocol::RequestHeader& header,
                               std::span<const std::uint8_t> body);
  // Transactions (handle_transactions.cpp).
  Outcome handle_add_partitions_to_txn(std::int32_t broker_id, const protocol::RequestHeader& header,
                                       std::span<const std::uint8_t> body);
  Outcome handle_end_txn(std::int32_t broker_id, const protocol::RequestHeader& header,
                         std::span<const std::uint8_t> body);
  Outcome handle_add_offsets_to_txn(std::int32_t broker_id, const protocol::RequestHeader& header,
                                    std::span<const std::uint8_t> body);
  Outcome handle_txn_offset_commit(std::int32_t broker_id, const protocol::RequestHeader& header,
                                   std::span<const std::uint8_t> body);
  /// EndTxn and AddOffsetsToTxn: a fail rule's error, else check_transactional's.
  /// `on_success(request)` runs when the request is answered NONE.
  template <class Request, class Response, class OnSuccess>
  Outcome answer_transactional(ApiKey api, std::int32_t broker_id, const protocol::RequestHeader& header,
                               std::span<const std::uint8_t> body, OnSuccess&& on_success);
  /// NOT_COORDINATOR off the coordinator, INVALID_PRODUCER_ID_MAPPING for
  /// another producer id, PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below v2)
  /// for another epoch; none when the request may proceed.
  kwire::errc check_transactional(std::int32_t broker_id, const std::string& transactional_id,
                                  std::int64_t producer_id, std::int16_t epoch, std::int16_t version) const;

  // Consumer APIs (handle_fetch.cpp, handle_list_offsets.cpp,
  // handle_offsets.cpp, handle_group.cpp, handle_consumer_group_heartbeat.cpp).
  Outcome handle_fetch(std::int32_t broker_id, const protocol::RequestHeader& header,
                       std::span<const std::uint8_t> body);
  Outcome handle_list_offsets(std::int32_t broker_id, const protocol::RequestHeader& header,
                              std::span<const std::uint8_t> body);
  Outcome handle_offset_for_leader_epoch(std::int32_t broker_id, const protocol::RequestHeader& header,
                                         std::span<const std::uint8_t> body);
  Outcome handle_offset_commit(std::int32_t broker_id, const protocol::RequestHeader& header,
                               std::span<const std::uint8_t> body);
  Outcome handle_offset_fetch(std::int32_t broker_id, const protocol::RequestHeader& header,
                              std::span<const std::uint8_t> body);
  Outcome handle_join_group(std::int32_t broker_id, const protocol::RequestHeader& header,
                            std::span<const std::uint8_t> body);
  Outcome handle_sync_group(std::int32_t broker_id, const protocol::RequestHeader& header,
                            std::span<const std::uint8_t> body);
  Outcome handle_heartbeat(std::int32_t broker_id, const protocol::RequestHeader& header,
                           std::span<const std::uint8_t> body);
  Outcome handle_leave_group(std::int32_t broker_id, const protocol::RequestHeader& header,
                             std::span<const std::uint8_t> body);
  Outcome handle_consumer_group_heartbeat(std::int32_t broker_id, const protocol::RequestHeader& header,
                                          std::span<const std::uint8_t> body);
  /// The group a request of `api` from `member_id` names, and in `error`
  /// what it gets before any group logic: a fail rule's error for `api`
  /// naming the group (or nothing), else NOT_COORDINATOR unless `broker_id`
  /// coordinates it, else none. An UNKNOWN_MEMBER_ID fault forgets the
  /// member (the broker would have expired it). With a `generation`, a
  /// classic member's request is checked against it (generation_error).
  /// handle_group.cpp.
  GroupState& group_for(ApiKey api, std::int32_t broker_id, const std::string& group_id,
                        const std::string& member_id, kwire::errc& error,
                        std::optional<std::int32_t> generation = std::nullopt);
  /// Why `broker_id` cannot serve `partition` of `topic` as its leader: no
  /// such topic (UNKNOWN_TOPIC_ID when asked by id) or partition, another
  /// leader, or a current leader epoch (-1: not checked) below the
  /// partition's (FENCED_LEADER_EPOCH) or above it (UNKNOWN_LEADER_EPOCH,
  /// KIP-320); none if it can. partition_log.cpp.
  static kwire::errc leader_error(const TopicState* topic, const PartitionState* partition, bool by_id,
                                  std::int32_t broker_id, std::int32_t current_leader_epoch = -1);
  /// A fail rule's error for `api` naming (topic, partition), else
  /// leader_error's (by name). partition_log.cpp.
  kwire::errc partition_request_error(ApiKey api, const std::string& topic, std::int32_t partition,
                                      std::int32_t broker_id, std::int32_t current_leader_epoch);
  /// Keeps a batch for Fetch (partition_log.cpp): its wire bytes with the
  /// base offset and leader epoch the log assigns; tracks transactions.
  void store_batch(PartitionState& partition, std::span<const std::uint8_t> batch, std::int64_t base_offset);
  /// Ends `producer_id`'s open transaction in every partition with a COMMIT
  /// or ABORT marker at the log end, as the transaction coordinator has the
  /// leaders write them (partition_log.cpp).
  void write_markers(std::int64_t producer_id, std::int16_t epoch, bool commit);

  struct AppendResult {
    kwire::errc error = kwire::errc::none;
    std::int64_t base_offset = -1;
  };
  /// Whether `records` is a resend of one of the last batches its producer
  /// wrote to `partition` (same epoch and sequence range): what the broker's
  /// duplicate detection answers with the original offset. Reads the batch
  /// header only.
  static bool is_retained_duplicate(const PartitionState& partition,
                                    std::optional<std::span<const std::uint8_t>> records);
  /// Validates the `records` field of one Produce partition as Kafka's
  /// LogValidator and ProducerAppendInfo do, then appends it.
  AppendResult append(PartitionState& partition, std::optional<std::span<const std::uint8_t>> records,
                      std::int16_t produce_version);
  std::int64_t allocate_producer_id() { return next_producer_id_++; }

  ClusterConfig config_;
  std::vector<BrokerInfo> brokers_;
  std::map<std::string, TopicState> topics_;
  std::size_t topic_counter_ = 0;  ///< rotates leader assignment between topics

  std::vector<FailRule> fail_rules_;
  std::vector<CountRule> drop_before_rules_;
  std::vector<CountRule> drop_after_rules_;
  std::vector<DelayRule> delay_rules_;

  std::map<std::pair<std::int16_t, std::int32_t>, std::size_t> request_counts_;  ///< (api, broker)
  std::map<std::int32_t, std::size_t> connections_;
  std::deque<RequestLogEntry> request_log_;

  std::int64_t next_producer_id_;
  struct TransactionalProducer {
    std::int64_t producer_id = -1;
    std::int16_t epoch = -1;
  };
  std::map<std::string, TransactionalProducer> transactional_;
  /// move_coordinator's choices, by {key type, key}.
  std::map<std::pair<std::int8_t, std::string>, std::int32_t> coordinator_overrides_;
  /// Offsets accepted by TxnOffsetCommit, by group, then (topic, partition).
  std::map<std::string, std::map<std::pair<std::string, std::int32_t>, std::int64_t>> txn_offsets_;
  /// TxnOffsetCommit's offsets by producer id, then group, until EndTxn
  /// commits them into the group's offsets or aborts them.
  std::map<std::int64_t, std::map<std::string, std::map<std::pair<std::string, std::int32_t>, std::int64_t>>>
      pending_txn_offsets_;
  std::unordered_map<std::int64_t, std::int16_t> idempotent_epochs_;
  std::map<std::string, GroupState> groups_;  ///< for idempotent_epoch_bump

  compression::Decompressor decompressor_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  ///< notified on appends and requests
};

/// Kafka's sequence arithmetic: base + delta, wrapping from INT32_MAX to 0
/// (DefaultRecordBatch.incrementSequence).
std::int32_t increment_sequence(std::int32_t sequence, std::int32_t increment) noexcept;

/// Builds a whole response frame (size prefix, response header in the
/// version the request's API/version calls for, body at `body_version`).
/// Empty if the body cannot be encoded at that version.
template <protocol::KafkaMessage M>
std::vector<std::uint8_t> response_frame(const protocol::RequestHeader& request, std::int16_t body_version,
                                         const M& body) {
  std::vector<std::uint8_t> out;
  protocol::Writer writer(out);
  const std::size_t size_at = writer.reserve_int32();
  protocol::ResponseHeader header;
  header.correlation_id = request.correlation_id;
  header.encode(writer, protocol::response_header_version(request.api_key, request.api_version));
  if (protocol::encode_message(body, body_version, out)) return {};
  writer.patch_int32(size_at, static_cast<std::int32_t>(out.size() - 4));
  return out;
}

/// The outcome answering `request` with `body` at the request's version
/// (close when the body cannot be encoded at it).
template <protocol::KafkaMessage M>
Outcome respond(const protocol::RequestHeader& request, const M& body) {
  Outcome outcome;
  outcome.frame = response_frame(request, request.api_version, body);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

}  // namespace kwire::mock::detail
