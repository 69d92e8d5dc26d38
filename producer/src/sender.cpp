#include "sender.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/produce.hpp"
#include "sender_transactions.hpp"

namespace kwire::producer {
namespace {

using cluster::saturating_add;
using protocol::ApiKey;

/// Produce v7 is the first that may carry zstd batches (KIP-110).
constexpr std::int16_t kFirstZstdProduceVersion = 7;
/// From Produce v6 the broker answers at once and expects the client to
/// hold off for throttle_time_ms (KIP-219); before, it delayed the answer.
constexpr std::int16_t kFirstClientThrottleProduceVersion = 6;

std::string describe(std::error_code ec) { return error_name(ec); }

}  // namespace

namespace {

cluster::BrokerPool::Options pool_options(const ProducerConfig& config) {
  cluster::BrokerPool::Options o = cluster::BrokerPool::Options::from(config);
  // The "connected to" line names what the producer speaks.
  o.logged_apis = {ApiKey::produce, ApiKey::metadata, ApiKey::init_producer_id};
  return o;
}

}  // namespace

Sender::Sender(const ProducerConfig& config, RecordAccumulator& accumulator, MetadataCache& metadata,
               net::Transport& transport, ProducerStateManager& state, SenderHooks hooks)
    : config_(config),
      accumulator_(accumulator),
      metadata_(metadata),
      transport_(transport),
      state_(state),
      hooks_(std::move(hooks)),
      logger_(hooks_.log, config.debug_categories()),
      pool_(pool_options(config), transport, metadata, pool_hooks()),
      updater_(metadata, pool_, config.metadata_recovery_rebootstrap_trigger_ms,
               cluster::MetadataUpdater::Hooks{
                   hooks_.clock, hooks_.wake,
                   [this](const MetadataCache& md, const MetadataUpdateResult& result) { on_metadata(md, result); },
                   nullptr, logger_}) {
  leader_lookup_ = [this](const TopicPartition& tp) { return metadata_.leader_of(tp); };
  may_drain_ = [this](const ProducerBatch& batch) { return state_.may_drain(batch); };
  const int level = config_.effective_compression_level().value_or(compression::kDefaultLevel);
  compress_fn_ = [this, level](compression::Codec codec, std::span<const std::uint8_t> in,
                               std::vector<std::uint8_t>& out) {
    out.clear();
    if (std::error_code ec = compressor_.compress(codec, in, out, level)) {
      // The batch goes out uncompressed, which every broker accepts.
      log(LogLevel::warning, "compressing a batch with " + std::string(compression::codec_name(codec)) +
                                 " failed (" + ec.message() + "); sending it uncompressed");
      return false;
    }
    return true;
  };
  // Splitting re-reads a batch we built: it is at most max(batch.size,
  // max.request.size) uncompressed, the limit against a corrupt buffer.
  const std::size_t limit =
      static_cast<std::size_t>(std::max<std::int64_t>(config_.batch_size, config_.max_request_size)) * 2 + 4096;
  decompress_fn_ = [this, limit](compression::Codec codec, std::span<const std::uint8_t> in,
                                 std::vector<std::uint8_t>& out) {
    return decompressor_.decompress(codec, in, out, limit);
  };
}

Sender::~Sender() {
  // Batches must go back to the accumulator, never be dropped (their
  // records would go unreported). A driver normally calls shutdown() first.
  if (!shut_down_) shutdown(make_error_code(client_errc::shutting_down));
}

void Sender::log(LogLevel level, LogCategory category, const std::string& message) const {
  logger_(level, category, message);
}

// --- The round --------------------------------------------------------------------

std::int64_t Sender::run_once(std::int64_t now_ms) {
  if (shut_down_) return kNoDeadline;
  std::int64_t next = kNoDeadline;

  // 1. delivery.timeout.ms (KIP-91), queued and in flight alike; then the
  // producer state's round (sequence resolution, epoch bump).
  accumulator_.expire(now_ms, [this](const ProducerBatch& batch) { state_.on_batch_expired(batch); });
  state_.on_round_start(now_ms);
  // A broker refused our credentials: what no connection can serve fails
  // now, with that error (and keeps failing while the refusal lasts).
  if (pool_.authentication_error() || pool_.refusing_nodes() > 0) fail_unservable_batches(now_ms);
  const bool fatal = static_cast<bool>(state_.fatal_error());
  if (fatal) {
    // Nothing more is sent. Batches in flight end with their answers (a
    // success is still reported as one); once none is left, everything
    // queued — and whatever send() raced in — fails with
    // fatal_producer_state. Repeated every round, so nothing is stranded.
    if (in_flight_.empty()) {
      const std::size_t failed = accumulator_.abort_all(make_error_code(client_errc::fatal_producer_state));
      if (failed > 0)
        log(LogLevel::error, "the producer is in a fatal state (" + describe(state_.fatal_error()) + "): failed " +
                                 std::to_string(failed) + " queued batch(es) with fatal_producer_state");
    }
  } else {
    maybe_init_producer_id(now_ms, next);
  }

  // 2 + 3. Ready leaders: connect, drain, send.
  if (!fatal && state_.ready_to_send(now_ms)) {
    ReadyCheck ready = accumulator_.ready(now_ms, leader_lookup_);
    if (ready.next_ready_check_delay_ms != kNoDeadline)
      next = std::min(next, saturating_add(now_ms, std::max<std::int64_t>(0, ready.next_ready_check_delay_ms)));
    if (!ready.unknown_leader_partitions.empty()) {
      // Still tracked unless metadata.max.idle.ms dropped the topic: track
      // it again. Either way the leader comes from a refresh.
      for (const TopicPartition& tp : ready.unknown_leader_partitions) metadata_.add_topic(tp.topic, now_ms);
      metadata_.request_update();
    }
    for (NodeId id : ready.ready_nodes) {
      if (!pool_.is_ready(key(id))) {
        pool_.connect(key(id), now_ms);
        // Still disconnected: backing off (come back then), or waiting for
        // metadata to name the broker (its response wakes us).
        const Node* n = pool_.find(key(id));
        if (n && n->state == NodeState::disconnected && n->next_connect_ms > now_ms)
          next = std::min(next, n->next_connect_ms);
        continue;
      }
      if (const std::int64_t throttled = pool_.throttled_until(key(id)); throttled > now_ms) {
        next = std::min(next, throttled);
        continue;
      }
      send_produce_requests(id, now_ms);
    }
  }

  // Transactions: after draining, so a partition a drain just asked to add
  // (AddPartitionsToTxn) goes out in this round.
  if (txn_) run_transactions(now_ms, next);

  // 4. Metadata.
  updater_.maybe_update(now_ms, next);

  // 5. Idle connections.
  pool_.close_idle(now_ms, next);
  return next;
}

void Sender::add_topic(std::string_view topic, std::int64_t now_ms) {
  if (metadata_.add_topic(topic, now_ms) && debug_enabled(LogCategory::metadata))
    log(LogLevel::debug, LogCategory::metadata, "fetching metadata for new topic " + std::string(topic));
}

// --- Connections (the BrokerPool's) ------------------------------------------------

cluster::BrokerPool::Hooks Sender::pool_hooks() {
  cluster::BrokerPool::Hooks h;
  h.clock = hooks_.clock;
  h.wake = hooks_.wake;
  h.on_ready = [this](cluster::NodeKey node) { unreachable_.erase(node.id); };
  h.on_connect_failed = [this](cluster::NodeKey node, std::error_code ec, const std::string& detail) {
    on_connect_failed(node.id, ec, detail);
  };
  h.on_closed = [this](cluster::NodeKey, std::error_code ec) {
    // A refused KIP-368 re-authentication: as a refused connection.
    if (ec == client_errc::authentication_failed) fail_unservable_batches(hooks_.clock());
  };
  h.on_authentication = [this](std::error_code ec, const std::string& detail) { on_authentication_change(ec, detail); };
  h.log = logger_;
  return h;
}

void Sender::on_connect_failed(NodeId id, std::error_code ec, const std::string& detail) {
  const bool auth = ec == client_errc::authentication_failed;
  if (auth) fail_unservable_batches(hooks_.clock());
  note_connect_failure(id, ec, auth ? detail : std::string());
}

std::int32_t Sender::produce_in_flight(NodeId id) const {
  auto it = produce_slots_.find(id);
  if (it == produce_slots_.end()) return 0;
  const Node* n = pool_.find(key(id));
  return n && n->generation == it->second.generation ? it->second.in_flight : 0;
}

// --- Produce -----------------------------------------------------------------------

void Sender::send_produce_requests(NodeId id, std::int64_t now_ms) {
  const std::span<const TopicPartition> partitions = metadata_.partitions_led_by(id);
  if (partitions.empty()) return;
  const std::optional<std::int16_t> negotiated = pool_.negotiated_version(key(id), ApiKey::produce);
  const auto max_request = static_cast<std::size_t>(std::max(0, config_.max_request_size));
  const bool guarantee_order = config_.max_in_flight_requests_per_connection == 1;
  while (pool_.is_ready(key(id)) && produce_in_flight(id) < config_.max_in_flight_requests_per_connection) {
    // A fresh vector per request: it moves into the in-flight record.
    std::vector<BatchPtr> batches;
    accumulator_.drain(id, partitions, max_request, now_ms, batches, may_drain_);
    if (batches.empty()) break;
    if (guarantee_order)
      for (const BatchPtr& b : batches) accumulator_.mute(b->topic_partition());
    std::string_view last_topic;
    for (const BatchPtr& b : batches) {
      if (b->topic_partition().topic == last_topic) continue;
      last_topic = b->topic_partition().topic;
      metadata_.touch_topic(last_topic, now_ms);
    }
    if (!negotiated) {
      // The broker offers no Produce version kwire speaks (v3+).
      for (BatchPtr& b : batches) fail_batch(std::move(b), make_error_code(client_errc::unsupported_version));
      continue;
    }
    send_produce(id, *negotiated, std::move(batches), now_ms);
  }
}

void Sender::send_produce(NodeId id, std::int16_t version, std::vector<BatchPtr> batches, std::int64_t now_ms) {
  const compression::Codec codec = config_.compression_type;
  if (codec == compression::Codec::zstd && version < kFirstZstdProduceVersion) {
    log(LogLevel::error, LogCategory::protocol,
        describe_node(id) + " speaks Produce v" + std::to_string(version) +
            ", but zstd needs v7+ (KIP-110, Kafka 2.1): failing " + std::to_string(batches.size()) +
            " batch(es); upgrade the broker or choose another compression.type");
    for (BatchPtr& b : batches) fail_batch(std::move(b), make_error_code(kwire::errc::unsupported_compression_type));
    return;
  }

  // Seal: compress once, fill the header and CRC. A retried batch is
  // already sealed; seal() then returns the same bytes (or rewrites the
  // producer state, should the seam change it).
  for (BatchPtr& b : batches) {
    protocol::BatchSealParams params = state_.seal_params(*b);
    params.codec = codec;
    b->seal(params, compress_fn_);
    state_.on_batch_sealed(*b);
    PartitionStats& stats = partition_stats_[b->topic_partition()];  // per batch, network thread
    ++stats.batches_sent;
    stats.bytes_sent += b->bytes().size();
    stats.uncompressed_bytes_sent += b->size_in_bytes();
  }

  // Produce v13 names topics by id (KIP-516); without an id for every topic
  // in the request, stay at v12.
  std::vector<protocol::Uuid> topic_ids;
  topic_ids.reserve(batches.size());
  bool all_ids = true;
  for (const BatchPtr& b : batches) {
    topic_ids.push_back(metadata_.topic_id(b->topic_partition().topic));
    all_ids = all_ids && !topic_ids.back().is_zero();
  }
  if (!all_ids) version = std::min<std::int16_t>(version, protocol::ProduceRequest::first_topic_id_version - 1);

  protocol::ProduceRequest request;
  version = produce_version_for(version, request.transactional_id);
  request.acks = static_cast<std::int16_t>(config_.acks);
  request.timeout_ms = config_.request_timeout_ms;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const TopicPartition& tp = batches[i]->topic_partition();
    auto topic = std::find_if(request.topic_data.begin(), request.topic_data.end(),
                              [&](const auto& t) { return t.name == tp.topic; });
    if (topic == request.topic_data.end()) {
      request.topic_data.emplace_back();
      topic = std::prev(request.topic_data.end());
      topic->name = tp.topic;
      topic->topic_id = topic_ids[i];
    }
    protocol::ProduceRequest::PartitionData data;
    data.index = tp.partition;
    data.records = batches[i]->bytes();
    topic->partition_data.push_back(std::move(data));
  }

  // The batches are not copied into the request: they are written from
  // their own buffers (scatter-gather), which stay untouched while the
  // request is in flight (the batches are ours until its handler runs).
  std::vector<std::uint8_t> body;
  std::vector<protocol::Splice> splices;
  splices.reserve(batches.size());
  protocol::Writer writer(body);
  if (std::error_code ec = request.encode_gathered(writer, version, splices)) {
    log(LogLevel::error, LogCategory::protocol,
        "cannot encode a Produce v" + std::to_string(version) + " request for " + describe_node(id) + ": " +
            ec.message());
    for (BatchPtr& b : batches) fail_batch(std::move(b), ec);
    return;
  }

  const bool expects_response = config_.acks != Acks::none;
  const std::uint64_t request_id = next_request_id_++;
  InFlight& flight = in_flight_[request_id];
  const std::uint64_t generation = pool_.find(key(id))->generation;  // ready: the pool knows it
  flight.node = id;
  flight.generation = generation;
  flight.version = version;
  flight.expects_response = expects_response;
  flight.batches = std::move(batches);
  flight.topic_ids = std::move(topic_ids);
  ProduceSlots& slots = produce_slots_[id];
  if (slots.generation != generation) slots = ProduceSlots{generation, 0};
  ++slots.in_flight;
  if (debug_enabled(LogCategory::protocol))
    log(LogLevel::debug, LogCategory::protocol,
        "Produce v" + std::to_string(version) + " to " + describe_node(id) + ": " +
            std::to_string(flight.batches.size()) + " batch(es), " +
            std::to_string(protocol::spliced_size(body, splices)) + " bytes");
  (void)now_ms;
  pool_.send(
      key(id), ApiKey::produce, version, std::move(body), expects_response,
      [this, request_id](std::error_code ec, std::span<const std::uint8_t> response) {
        on_produce_response(request_id, ec, response);
      },
      std::move(splices));
}

void Sender::on_produce_response(std::uint64_t request_id, std::error_code ec, std::span<const std::uint8_t> body) {
  auto it = in_flight_.find(request_id);
  if (it == in_flight_.end()) return;
  InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  const Node* n = pool_.find(key(flight.node));
  const bool same_connection = n && n->generation == flight.generation;
  if (auto slots = produce_slots_.find(flight.node);
      same_connection && slots != produce_slots_.end() && slots->second.generation == flight.generation &&
      slots->second.in_flight > 0)
    --slots->second.in_flight;
  const std::int64_t now_ms = hooks_.clock();

  if (ec) {
    if (ec != client_errc::shutting_down)
      log(LogLevel::warning, LogCategory::broker,
          "Produce request to " + describe_node(flight.node) + " failed: " + ec.message() + " (" +
              std::to_string(flight.batches.size()) + " batch(es); they are retried if retries and "
              "delivery.timeout.ms allow)");
    const std::string detail =
        ec == client_errc::authentication_failed ? transport_.connection_error_detail(flight.node.value()) : std::string();
    for (BatchPtr& b : flight.batches) complete_batch(std::move(b), ec, -1, -1, now_ms, false, detail);
    wake();
    return;
  }
  if (!flight.expects_response) {
    // acks=0: written is all we will ever know; offsets are unknown.
    for (BatchPtr& b : flight.batches) complete_batch(std::move(b), {}, -1, -1, now_ms);
    wake();
    return;
  }

  protocol::ProduceResponse response;
  if (std::error_code decode_error = protocol::decode_message(body, flight.version, response)) {
    log(LogLevel::error, LogCategory::protocol,
        "undecodable Produce v" + std::to_string(flight.version) + " response from " + describe_node(flight.node) +
            ": " + decode_error.message());
    for (BatchPtr& b : flight.batches) complete_batch(std::move(b), make_error_code(client_errc::malformed), -1, -1, now_ms);
    wake();
    return;
  }

  if (response.throttle_time_ms > 0 && flight.version >= kFirstClientThrottleProduceVersion && same_connection) {
    pool_.throttle(key(flight.node), response.throttle_time_ms, now_ms);
    log(LogLevel::info, LogCategory::protocol,
        describe_node(flight.node) + " throttles us for " + std::to_string(response.throttle_time_ms) +
            " ms (client quota, KIP-219)");
  }

  const bool by_id = flight.version >= protocol::ProduceResponse::first_topic_id_version;
  for (std::size_t i = 0; i < flight.batches.size(); ++i) {
    BatchPtr& batch = flight.batches[i];
    const TopicPartition& tp = batch->topic_partition();
    const protocol::ProduceResponse::PartitionResponse* found = nullptr;
    for (const auto& topic : response.responses) {
      if (by_id ? topic.topic_id != flight.topic_ids[i] : topic.name != tp.topic) continue;
      for (const auto& p : topic.partition_responses)
        if (p.index == tp.partition) {
          found = &p;
          break;
        }
      if (found) break;
    }
    if (!found) {
      log(LogLevel::error, LogCategory::protocol,
          "Produce response from " + describe_node(flight.node) + " lacks " + tp.topic + "/" +
              std::to_string(tp.partition));
      complete_batch(std::move(batch), make_error_code(client_errc::malformed), -1, -1, now_ms);
      continue;
    }
    const std::error_code error = kafka_error(static_cast<std::int16_t>(found->error_code));
    bool hint_applied = false;
    if ((found->error_code == kwire::errc::not_leader_or_follower ||
         found->error_code == kwire::errc::fenced_leader_epoch) &&
        found->current_leader.leader_id >= 0) {
      // KIP-951: the broker names the new leader; use it at once instead
      // of waiting for a metadata round trip.
      std::optional<BrokerEndpoint> endpoint;
      for (const auto& e : response.node_endpoints)
        if (e.node_id == found->current_leader.leader_id && e.port > 0 && e.port <= 65535)
          endpoint = BrokerEndpoint{e.node_id, e.host, static_cast<std::uint16_t>(e.port), e.rack};
      const NodeId hinted_leader{found->current_leader.leader_id};
      hint_applied = metadata_.update_leader(tp, hinted_leader, found->current_leader.leader_epoch,
                                             endpoint ? &*endpoint : nullptr) ||
                     metadata_.leader_of(tp) == hinted_leader;
      if (hint_applied)
        log(LogLevel::info, LogCategory::metadata,
            tp.topic + "/" + std::to_string(tp.partition) + ": new leader " + describe_node(hinted_leader) +
                " from the Produce response (KIP-951)");
    }
    if (error && found->error_message && debug_enabled(LogCategory::producer))
      log(LogLevel::debug, LogCategory::producer,
          tp.topic + "/" + std::to_string(tp.partition) + " on " + describe_node(flight.node) + ": " +
              describe(error) + ": " + *found->error_message);
    complete_batch(std::move(batch), error, found->base_offset, found->log_append_time_ms, now_ms, hint_applied);
  }
  wake();
}

bool Sender::can_retry(const ProducerBatch& batch, std::int64_t now_ms) const {
  // Java's Sender.canRetry: attempts left, delivery.timeout.ms not reached.
  return !shut_down_ && batch.attempts() < config_.retries &&
         !batch.has_reached_delivery_timeout(accumulator_.config().delivery_timeout_ms, now_ms);
}

void Sender::complete_batch(BatchPtr batch, std::error_code error, std::int64_t base_offset,
                            std::int64_t log_append_time_ms, std::int64_t now_ms, bool leader_hint_applied,
                            std::string_view detail) {
  const TopicPartition& tp = batch->topic_partition();
  if (config_.max_in_flight_requests_per_connection == 1) accumulator_.unmute(tp);
  if (error) ++partition_stats_[tp].errors[describe(error)];  // per batch attempt, network thread
  if (batch->is_done()) {
    // delivery.timeout.ms or an abort already reported its records; this
    // late answer changes nothing for them (Java logs the same). A success
    // still tells the idempotent producer its sequence was acknowledged
    // (Java's handleCompletedBatch runs for it too).
    if (classify_produce_error(error, batch->record_count()).action == ProduceAction::complete)
      state_.on_batch_outcome(*batch, BatchOutcome{ProduceAction::complete, error, Persisted::yes, base_offset});
    accumulator_.deallocate(std::move(batch));
    return;
  }

  // Once the producer is fatal, every error is: this batch fails with the
  // cause itself only if it is what made the producer fatal.
  const bool already_fatal = static_cast<bool>(state_.fatal_error());
  const ProduceErrorClass c = state_.classify(*batch, error, classify_produce_error(error, batch->record_count()));
  BatchOutcome outcome{c.action, error, c.persisted, base_offset};
  switch (c.action) {
    case ProduceAction::complete:
      state_.on_batch_outcome(*batch, outcome);
      batch->complete(base_offset, log_append_time_ms);
      accumulator_.deallocate(std::move(batch));
      return;

    case ProduceAction::split: {
      state_.on_batch_outcome(*batch, outcome);
      const std::int32_t records = batch->record_count();
      const std::string where = tp.topic + "/" + std::to_string(tp.partition);  // `batch` goes away below
      std::error_code split_error;
      const std::size_t pieces = accumulator_.split_and_reenqueue(batch, now_ms, split_error, decompress_fn_);
      if (pieces > 0) {
        log(LogLevel::info, LogCategory::producer,
            where + ": MESSAGE_TOO_LARGE, split " + std::to_string(records) + " records into " +
                std::to_string(pieces) + " batches");
        return;
      }
      log(LogLevel::warning, LogCategory::producer,
          where + ": MESSAGE_TOO_LARGE and the batch cannot be split: " + split_error.message() +
              " (raise the topic's max.message.bytes or lower batch.size)");
      fail_batch(std::move(batch), error);
      return;
    }

    case ProduceAction::retry:
      if (c.refresh_metadata && !leader_hint_applied) metadata_.request_update();
      if (can_retry(*batch, now_ms)) {
        ++partition_stats_[tp].retries;
        if (debug_enabled(LogCategory::producer) || batch->attempts() == 0)
          log(batch->attempts() == 0 ? LogLevel::info : LogLevel::debug, LogCategory::producer,
              tp.topic + "/" + std::to_string(tp.partition) + ": " + describe(error) + ", retrying " +
                  std::to_string(batch->record_count()) + " record(s) (retry " + std::to_string(batch->attempts() + 1) +
                  " of at most " + std::to_string(config_.retries) + ")");
        state_.on_batch_outcome(*batch, outcome);
        // The cause travels with the batch: if it expires later, its report
        // names this error instead of a bare timeout (issue 19 item 3).
        accumulator_.reenqueue(std::move(batch), now_ms, error, detail);
        return;
      }
      log(LogLevel::warning, LogCategory::producer,
          tp.topic + "/" + std::to_string(tp.partition) + ": " + describe(error) + ", no retries left (" +
              std::to_string(batch->attempts()) + " retries, " + std::to_string(now_ms - batch->created_ms()) +
              " ms since created; retries / delivery.timeout.ms allow more): failing " +
              std::to_string(batch->record_count()) + " record(s)");
      fail_batch(std::move(batch), error, ProduceAction::fail, c.persisted);
      return;

    case ProduceAction::fail:
    case ProduceAction::fatal: {
      const std::error_code reported =
          c.action == ProduceAction::fatal && already_fatal ? make_error_code(client_errc::fatal_producer_state) : error;
      if (!already_fatal || c.action != ProduceAction::fatal || debug_enabled(LogCategory::producer))
        log(c.action == ProduceAction::fatal ? LogLevel::error : LogLevel::warning, LogCategory::producer,
            tp.topic + "/" + std::to_string(tp.partition) + ": " + describe(error) + ", failing " +
                std::to_string(batch->record_count()) + " record(s)" +
                (reported != error ? " with " + describe(reported) : std::string()));
      fail_batch(std::move(batch), reported, c.action, c.persisted,
                 reported == error ? detail : std::string_view());
      return;
    }
  }
}

void Sender::fail_batch(BatchPtr batch, std::error_code error, ProduceAction action, Persisted persisted,
                        std::string_view detail) {
  if (config_.max_in_flight_requests_per_connection == 1) accumulator_.unmute(batch->topic_partition());
  if (!batch->is_done()) {
    state_.on_batch_outcome(*batch, BatchOutcome{action, error, persisted, -1});
    batch->fail(error, detail);
  }
  accumulator_.deallocate(std::move(batch));
}

// --- Shutdown --------------------------------------------------------------------------

std::size_t Sender::shutdown(std::error_code reason) {
  if (shut_down_) return 0;
  shut_down_ = true;
  // Queued batches are failed and handed back; in-flight ones are failed
  // here and handed back below, when their requests end.
  finish_cluster_checks(reason);
  const std::size_t failed = accumulator_.abort_all(reason);
  updater_.shutdown();
  pool_.close_all(reason);  // pending handlers run now
  // A transport that did not call back still must not lose batches.
  for (auto& [request_id, flight] : in_flight_)
    for (BatchPtr& b : flight.batches)
      if (b) accumulator_.deallocate(std::move(b));
  in_flight_.clear();
  return failed;
}

}  // namespace kwire::producer
