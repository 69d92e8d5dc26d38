#include "kwire/producer/sender.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/produce.hpp"
#include "sender_support.hpp"
#include "sender_transactions.hpp"

namespace kwire::producer {
namespace {

using detail::monotonic_us;
using cluster::saturating_add;
using protocol::ApiKey;

/// Produce v7 is the first that may carry zstd batches (KIP-110).
constexpr std::int16_t kFirstZstdProduceVersion = 7;
/// From Produce v6 the broker answers at once and expects the client to
/// hold off for throttle_time_ms (KIP-219); before, it delayed the answer.
constexpr std::int16_t kFirstClientThrottleProduceVersion = 6;

std::string describe(std::error_code ec) { return error_name(ec); }

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
      reconnect_backoff_(config.reconnect_backoff_ms, config.reconnect_backoff_max_ms) {
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

std::string Sender::describe_node(std::int32_t id) const {
  const BrokerEndpoint* endpoint = metadata_.endpoint(id);
  if (id < 0) return "bootstrap server " + (endpoint ? endpoint->address() : std::to_string(id));
  return "node " + std::to_string(id) + (endpoint ? " (" + endpoint->address() + ")" : std::string());
}

void Sender::note_request_sent(Node& n, std::size_t body_bytes) {
  ++n.requests_sent;
  n.request_bytes_sent += body_bytes;
}

void Sender::note_response(std::int32_t id, std::int64_t sent_us, std::error_code ec, std::size_t body_bytes) {
  Node& n = node(id);
  if (ec) {
    if (ec != client_errc::shutting_down) ++n.request_errors;  // not our own close
    return;
  }
  ++n.responses_received;
  n.response_bytes_received += body_bytes;
  const std::int64_t rtt = std::max<std::int64_t>(0, monotonic_us() - sent_us);
  const auto sample = static_cast<std::uint32_t>(std::min<std::int64_t>(rtt, UINT32_MAX));
  // The window's memory is taken once per broker, on its first response.
  if (n.rtt_window_us.size() < kRttWindow)
    n.rtt_window_us.push_back(sample);
  else
    n.rtt_window_us[n.rtt_samples % kRttWindow] = sample;
  ++n.rtt_samples;
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
  if (auth_error_ || refusing_nodes_ > 0) fail_unservable_batches(now_ms);
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
    for (std::int32_t id : ready.ready_nodes) {
      Node& n = node(id);
      if (n.state != Node::State::ready) {
        initiate_connect(id, now_ms);
        // Still disconnected: backing off (come back then), or waiting for
        // metadata to name the broker (its response wakes us).
        if (n.state == Node::State::disconnected && n.next_connect_ms > now_ms) next = std::min(next, n.next_connect_ms);
        continue;
      }
      if (n.throttle_until_ms > now_ms) {
        next = std::min(next, n.throttle_until_ms);
        continue;
      }
      send_produce_requests(id, n, now_ms);
    }
  }

  // Transactions: after draining, so a partition a drain just asked to add
  // (AddPartitionsToTxn) goes out in this round.
  if (txn_) run_transactions(now_ms, next);

  // 4. Metadata.
  maybe_update_metadata(now_ms, next);

  // 5. Idle connections.
  close_idle_connections(now_ms, next);
  return next;
}

void Sender::add_topic(std::string_view topic, std::int64_t now_ms) {
  if (metadata_.add_topic(topic, now_ms) && debug_enabled(LogCategory::metadata))
    log(LogLevel::debug, LogCategory::metadata, "fetching metadata for new topic " + std::string(topic));
}

// --- Connections --------------------------------------------------------------------

void Sender::initiate_connect(std::int32_t id, std::int64_t now_ms) {
  Node& n = node(id);
  if (n.state != Node::State::disconnected || now_ms < n.next_connect_ms) return;
  const BrokerEndpoint* endpoint = metadata_.endpoint(id);
  if (!endpoint) {
    // A leader whose broker the last response did not list: refresh.
    metadata_.request_update();
    return;
  }
  n.state = Node::State::connecting;
  const std::uint64_t generation = ++n.generation;
  // Java's socket.connection.setup.timeout.ms grows exponentially per
  // consecutive failure up to socket.connection.setup.timeout.max.ms.
  const std::int64_t timeout = cluster::exponential_backoff_ms(
      n.failures + 1, config_.socket_connection_setup_timeout_ms, config_.socket_connection_setup_timeout_max_ms, 1.0);
  if (debug_enabled(LogCategory::broker))
    log(LogLevel::debug, LogCategory::broker,
        "connecting to " + describe_node(id) + " (timeout " + std::to_string(timeout) + " ms" +
            (n.failures > 0 ? ", attempt " + std::to_string(n.failures + 1) : std::string()) + ")");
  transport_.connect(
      id, *endpoint, std::chrono::milliseconds(timeout),
      [this, id, generation](std::error_code ec) { on_connect_result(id, generation, ec); },
      [this, id, generation](std::error_code ec) { on_connection_closed(id, generation, ec); });
}

void Sender::on_connect_result(std::int32_t id, std::uint64_t generation, std::error_code ec) {
  Node& n = node(id);
  if (n.generation != generation || n.state != Node::State::connecting) return;
  const std::int64_t now_ms = hooks_.clock();
  if (!ec) {
    n.state = Node::State::ready;
    n.failures = 0;
    n.last_active_ms = now_ms;
    n.throttle_until_ms = 0;
    ++n.connects;
    // Once per connection: where, and what was negotiated (ApiVersions).
    const auto v = [&](ApiKey api) {
      const std::optional<std::int16_t> version = transport_.negotiated_version(id, api);
      return version ? "v" + std::to_string(*version) : std::string("none");
    };
    const std::string detail = transport_.connection_detail(id);
    log(LogLevel::info, LogCategory::broker,
        std::string(n.connects > 1 ? "reconnected to " : "connected to ") + describe_node(id) + ": Produce " +
            v(ApiKey::produce) + ", Metadata " + v(ApiKey::metadata) + ", InitProducerId " +
            v(ApiKey::init_producer_id) + (detail.empty() ? std::string() : ", " + detail));
    on_authentication_success(id);
    unreachable_.erase(id);
    if (const protocol::ApiVersionsResponse* versions = transport_.api_versions(id);
        versions && features_.update(id, *versions)) {
      std::string levels;
      for (const auto& [name, level] : features_.current().max_levels)
        levels += (levels.empty() ? "" : ", ") + name + "=" + std::to_string(level);
      log(LogLevel::info, LogCategory::protocol,
          "finalized features (epoch " + std::to_string(features_.current().epoch) + ", from " + describe_node(id) +
              "): " + (levels.empty() ? std::string("none") : levels));
    }
    wake();
    return;
  }
  n.state = Node::State::disconnected;
  ++n.failures;
  ++n.connection_failures;
  n.next_connect_ms = now_ms + reconnect_backoff_.next_ms(n.failures);
  const BrokerEndpoint* endpoint = metadata_.endpoint(id);
  // Warn on the first failure of a series; the retries every backoff only
  // in debug, so a broker that is down does not flood the log. Bad
  // credentials or certificates are errors every time: retrying will not fix
  // them (the connection keeps backing off, up to reconnect.backoff.max.ms).
  const bool auth = ec == client_errc::authentication_failed;
  const bool quiet = !auth && (shut_down_ || ec == client_errc::shutting_down || n.failures > 1);
  // The OS's reason (connection refused, no route to host, host name not
  // resolved, ...) from the connection; an authentication failure's detail
  // is logged once by the connection itself.
  const std::string why = auth ? std::string() : transport_.connection_error_detail(id);
  log(auth ? LogLevel::error : quiet ? LogLevel::debug : LogLevel::warning,
      auth ? LogCategory::security : LogCategory::broker,
      "connection to node " + std::to_string(id) + (endpoint ? " at " + endpoint->address() : std::string()) +
          " failed: " + ec.message() + (why.empty() ? std::string() : " (" + why + ")") +
          (n.failures > 1 ? " (attempt " + std::to_string(n.failures) + ")" : ""));
  // The leader may have moved (or the broker gone): let metadata say so.
  if (id >= 0) metadata_.request_update();
  if (auth) on_authentication_failure(id, ec, now_ms);
  note_connect_failure(id, ec, auth ? n.auth_detail : std::string());
  wake();
}

void Sender::on_connection_closed(std::int32_t id, std::uint64_t generation, std::error_code ec) {
  Node& n = node(id);
  if (n.generation != generation) return;
  n.state = Node::State::disconnected;
  // Response handlers ran before this (Transport contract); be safe anyway.
  n.produce_in_flight = 0;
  n.metadata_in_flight = 0;
  n.init_in_flight = 0;
  n.throttle_until_ms = 0;
  if (ec == client_errc::shutting_down) return;  // we closed it
  const std::int64_t now_ms = hooks_.clock();
  if (ec == client_errc::authentication_failed) {
    // A KIP-368 re-authentication the broker refused (or a TLS alert during
    // setup's last steps): as a refused connection, with its backoff.
    ++n.failures;
    n.next_connect_ms = now_ms + reconnect_backoff_.next_ms(n.failures);
    log(LogLevel::error, LogCategory::security, "connection to " + describe_node(id) + " closed: " + ec.message());
    on_authentication_failure(id, ec, now_ms);
    wake();
    return;
  }
  n.next_connect_ms = now_ms + reconnect_backoff_.next_ms(1);
  ++n.disconnects;
  log(LogLevel::info, LogCategory::broker,
      "connection to " + describe_node(id) + " closed: " + ec.message() + "; reconnecting when needed (in " +
          std::to_string(n.next_connect_ms - now_ms) + " ms at the earliest)");
  wake();
}

void Sender::close_idle_connections(std::int64_t now_ms, std::int64_t& next) {
  std::vector<std::int32_t> to_close;
  const bool have_brokers = metadata_.has_cluster() && !metadata_.brokers().empty();
  bool broker_connected = false;
  for (const auto& [id, n] : nodes_)
    broker_connected = broker_connected || (id >= 0 && n.state == Node::State::ready && metadata_.endpoint(id));
  for (const auto& [id, n] : nodes_) {
    if (n.state != Node::State::ready || n.produce_in_flight > 0 || n.metadata_in_flight > 0 || n.init_in_flight > 0)
      continue;
    // Bootstrap connections serve until a real broker's connection is up;
    // brokers that left the cluster are not needed either.
    if ((id < 0 && have_brokers && broker_connected) || (id >= 0 && have_brokers && !metadata_.endpoint(id))) {
      to_close.push_back(id);
      continue;
    }
    if (config_.connections_max_idle_ms < 0) continue;
    const std::int64_t idle_deadline = saturating_add(n.last_active_ms, config_.connections_max_idle_ms);
    if (now_ms >= idle_deadline)
      to_close.push_back(id);
    else
      next = std::min(next, idle_deadline);
  }
  // Outside the loop: disconnect() runs close handlers synchronously.
  for (std::int32_t id : to_close) {
    if (debug_enabled(LogCategory::broker))
      log(LogLevel::debug, LogCategory::broker, "closing idle connection to " + describe_node(id));
    Node& n = node(id);
    n.state = Node::State::disconnected;
    ++n.generation;  // our own close: ignore its handlers
    transport_.disconnect(id);
  }
}

// --- Produce -----------------------------------------------------------------------

void Sender::send_produce_requests(std::int32_t id, Node& n, std::int64_t now_ms) {
  const std::span<const TopicPartition> partitions = metadata_.partitions_led_by(id);
  if (partitions.empty()) return;
  const std::optional<std::int16_t> negotiated = transport_.negotiated_version(id, ApiKey::produce);
  const auto max_request = static_cast<std::size_t>(std::max(0, config_.max_request_size));
  const bool guarantee_order = config_.max_in_flight_requests_per_connection == 1;
  while (n.state == Node::State::ready && n.produce_in_flight < config_.max_in_flight_requests_per_connection) {
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
    send_produce(id, n, *negotiated, std::move(batches), now_ms);
  }
}

void Sender::send_produce(std::int32_t id, Node& n, std::int16_t version, std::vector<BatchPtr> batches,
                          std::int64_t now_ms) {
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
  flight.node = id;
  flight.generation = n.generation;
  flight.version = version;
  flight.expects_response = expects_response;
  flight.batches = std::move(batches);
  flight.topic_ids = std::move(topic_ids);
  flight.sent_us = monotonic_us();
  ++n.produce_in_flight;
  n.last_active_ms = now_ms;
  const std::size_t request_bytes = protocol::spliced_size(body, splices);
  note_request_sent(n, request_bytes);
  if (debug_enabled(LogCategory::protocol))
    log(LogLevel::debug, LogCategory::protocol,
        "Produce v" + std::to_string(version) + " to " + describe_node(id) + ": " +
            std::to_string(flight.batches.size()) + " batch(es), " + std::to_string(request_bytes) + " bytes");
  transport_.send_gathered(id, ApiKey::produce, version, std::move(body), std::move(splices), expects_response,
                           [this, request_id](std::error_code ec, std::span<const std::uint8_t> response) {
                             on_produce_response(request_id, ec, response);
                           });
}

void Sender::on_produce_response(std::uint64_t request_id, std::error_code ec, std::span<const std::uint8_t> body) {
  auto it = in_flight_.find(request_id);
  if (it == in_flight_.end()) return;
  InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  Node& n = node(flight.node);
  const bool same_connection = n.generation == flight.generation;
  if (same_connection && n.produce_in_flight > 0) --n.produce_in_flight;
  const std::int64_t now_ms = hooks_.clock();
  if (same_connection) n.last_active_ms = now_ms;
  if (flight.expects_response) note_response(flight.node, flight.sent_us, ec, body.size());

  if (ec) {
    if (ec != client_errc::shutting_down)
      log(LogLevel::warning, LogCategory::broker,
          "Produce request to " + describe_node(flight.node) + " failed: " + ec.message() + " (" +
              std::to_string(flight.batches.size()) + " batch(es); they are retried if retries and "
              "delivery.timeout.ms allow)");
    const std::string detail =
        ec == client_errc::authentication_failed ? transport_.connection_error_detail(flight.node) : std::string();
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
    n.throttle_until_ms = std::max(n.throttle_until_ms, now_ms + response.throttle_time_ms);
    n.throttle_time_ms_total += response.throttle_time_ms;
    n.throttle_time_ms_last = response.throttle_time_ms;
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
      hint_applied = metadata_.update_leader(tp, found->current_leader.leader_id, found->current_leader.leader_epoch,
                                             endpoint ? &*endpoint : nullptr) ||
                     metadata_.leader_of(tp) == found->current_leader.leader_id;
      if (hint_applied)
        log(LogLevel::info, LogCategory::metadata,
            tp.topic + "/" + std::to_string(tp.partition) + ": new leader " + describe_node(found->current_leader.leader_id) +
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
        accumulator_.reenqueue(std::move(batch), now_ms);
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
  std::vector<std::int32_t> ids;
  for (const auto& [id, n] : nodes_)
    if (n.state != Node::State::disconnected) ids.push_back(id);
  for (std::int32_t id : ids) transport_.disconnect(id);  // pending handlers run now
  // A transport that did not call back still must not lose batches.
  for (auto& [request_id, flight] : in_flight_)
    for (BatchPtr& b : flight.batches)
      if (b) accumulator_.deallocate(std::move(b));
  in_flight_.clear();
  return failed;
}

}  // namespace kwire::producer
