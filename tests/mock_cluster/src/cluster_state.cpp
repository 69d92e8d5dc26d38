#include "cluster_state.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include "kwire/protocol/reader.hpp"

namespace kwire::mock {

std::vector<ApiRange> default_api_ranges() {
  // kwire's own ranges, clamped to what the mock implements. librdkafka
  // derives its features from the advertised ranges: without Fetch 4+ it
  // falls back to the pre-0.11 message format (MsgVer2 needs Produce 3 and
  // Fetch 4; zstd needs Produce 7 and Fetch 10; lz4 needs FindCoordinator;
  // rdkafka_feature.c). Produce is advertised from v0, as Kafka 4.x does
  // although it rejects v0-2 (KAFKA-18659): librdkafka only compresses with
  // gzip or snappy when the broker lists Produce v2 (its MsgVer1 feature).
  // OffsetCommit/OffsetFetch stop at v9 (v10 names topics by id).
  struct Cap {
    ApiKey key;
    std::int16_t max;
  };
  constexpr Cap caps[] = {{ApiKey::produce, 12},       {ApiKey::fetch, 17},
                          {ApiKey::metadata, 12},      {ApiKey::find_coordinator, 6},
                          {ApiKey::api_versions, 4},   {ApiKey::init_producer_id, 5},
                          {ApiKey::add_partitions_to_txn, 3}, {ApiKey::end_txn, 4},
                          {ApiKey::add_offsets_to_txn, 4}, {ApiKey::txn_offset_commit, 4},
                          {ApiKey::create_topics, 7},  {ApiKey::delete_topics, 6},
                          {ApiKey::delete_groups, 3},  {ApiKey::list_offsets, 11},
                          {ApiKey::offset_for_leader_epoch, 4}, {ApiKey::offset_commit, 9},
                          {ApiKey::offset_fetch, 9},   {ApiKey::join_group, 9},
                          {ApiKey::sync_group, 5},     {ApiKey::heartbeat, 4},
                          {ApiKey::leave_group, 5},    {ApiKey::consumer_group_heartbeat, 1}};
  std::vector<ApiRange> ranges;
  for (const Cap& cap : caps) {
    const protocol::ApiSupport* s = protocol::find_support(cap.key);
    if (s == nullptr) {  // advertised for librdkafka's feature checks only
      ranges.push_back({cap.key, 0, cap.max});
      continue;
    }
    const std::int16_t min = cap.key == ApiKey::produce ? std::int16_t{0} : s->min_version;
    ranges.push_back({cap.key, min, std::min(s->max_version, cap.max)});
  }
  std::sort(ranges.begin(), ranges.end(), [](const ApiRange& a, const ApiRange& b) { return a.key < b.key; });
  return ranges;
}

namespace detail {

std::int32_t increment_sequence(std::int32_t sequence, std::int32_t increment) noexcept {
  constexpr std::int32_t max = std::numeric_limits<std::int32_t>::max();
  if (sequence > max - increment) return increment - (max - sequence) - 1;
  return sequence + increment;
}

namespace {

/// A stable, non-zero topic id derived from the name (FNV-1a, two seeds), so
/// runs are reproducible.
protocol::Uuid topic_id_for(const std::string& name) {
  protocol::Uuid id;
  std::uint64_t seeds[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t h = seeds[half];
    for (unsigned char c : name) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
    for (std::size_t i = 0; i < 8; ++i) id.bytes[half * 8 + i] = static_cast<std::uint8_t>(h >> (56 - 8 * i));
  }
  id.bytes[0] |= 1;  // never the all-zero "no id"
  return id;
}

}  // namespace

ClusterState::ClusterState(ClusterConfig config)
    : config_(std::move(config)), next_producer_id_(config_.first_producer_id) {
  if (config_.brokers < 1) throw std::invalid_argument("MockCluster needs at least one broker");
  if (config_.default_partitions < 1) throw std::invalid_argument("default_partitions must be at least 1");
  if (config_.replication_factor < 1) config_.replication_factor = 1;
}

void ClusterState::set_brokers(std::vector<BrokerInfo> brokers) {
  Lock lock(mutex_);
  brokers_ = std::move(brokers);
  for (const TopicSpec& spec : config_.topics) {
    if (spec.partitions < 1) throw std::invalid_argument("topic " + spec.name + " needs at least one partition");
    if (find_topic(spec.name) == nullptr) add_topic(spec.name, spec.partitions);
  }
}

// ------------------------------------------------------------------ lookups

TopicState* ClusterState::find_topic(const std::string& name) {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

const TopicState* ClusterState::find_topic(const std::string& name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

TopicState* ClusterState::find_topic(const protocol::Uuid& id) {
  for (auto& [name, topic] : topics_)
    if (topic.id == id) return &topic;
  return nullptr;
}

PartitionState* ClusterState::find_partition(const std::string& topic, std::int32_t partition) {
  TopicState* t = find_topic(topic);
  if (t == nullptr || partition < 0 || static_cast<std::size_t>(partition) >= t->partitions.size()) return nullptr;
  return &t->partitions[static_cast<std::size_t>(partition)];
}

const PartitionState* ClusterState::find_partition(const std::string& topic, std::int32_t partition) const {
  const TopicState* t = find_topic(topic);
  if (t == nullptr || partition < 0 || static_cast<std::size_t>(partition) >= t->partitions.size()) return nullptr;
  return &t->partitions[static_cast<std::size_t>(partition)];
}

TopicState& ClusterState::add_topic(const std::string& name, std::int32_t partitions) {
  TopicState topic;
  topic.name = name;
  topic.id = topic_id_for(name);
  const std::size_t n = brokers_.size();
  const std::size_t rf = std::min(n, static_cast<std::size_t>(config_.replication_factor));
  // Round-robin leaders, rotated per topic so single-partition topics spread
  // over the brokers too.
  for (std::int32_t p = 0; p < partitions; ++p) {
    PartitionState& ps = topic.partitions.emplace_back();
    const std::size_t first = (static_cast<std::size_t>(p) + topic_counter_) % n;
    ps.leader = brokers_[first].id;
    for (std::size_t r = 0; r < rf; ++r) ps.replicas.push_back(brokers_[(first + r) % n].id);
  }
  ++topic_counter_;
  return topics_.emplace(name, std::move(topic)).first->second;
}

const ApiRange* ClusterState::advertised(ApiKey api) const {
  auto it = std::find_if(config_.api_versions.begin(), config_.api_versions.end(),
                         [api](const ApiRange& r) { return r.key == api; });
  return it == config_.api_versions.end() ? nullptr : &*it;
}

const BrokerInfo* ClusterState::broker(std::int32_t id) const {
  auto it = std::find_if(brokers_.begin(), brokers_.end(), [id](const BrokerInfo& b) { return b.id == id; });
  return it == brokers_.end() ? nullptr : &*it;
}

// -------------------------------------------------------------------- rules

template <class Rule, class Pred>
std::optional<Rule> ClusterState::take_rule(std::vector<Rule>& rules, ApiKey api, Pred&& pred) {
  for (auto it = rules.begin(); it != rules.end(); ++it) {
    if (it->api != api || !pred(*it)) continue;
    --it->remaining;
    std::optional<Rule> taken = *it;
    if (it->remaining <= 0) rules.erase(it);
    return taken;
  }
  return std::nullopt;
}

std::optional<FailRule> ClusterState::take_fail_rule(
    ApiKey api, const std::vector<std::pair<std::string, std::int32_t>>& targets,
    const std::vector<std::size_t>& target_records, const std::vector<bool>& target_duplicates) {
  return take_rule(fail_rules_, api, [&](const FailRule& r) {
    if (!r.topic && !r.partition && r.min_records == 0 && !r.raised_after_duplicate_check()) return true;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const std::size_t records = i < target_records.size() ? target_records[i] : 0;
      const bool duplicate = i < target_duplicates.size() && target_duplicates[i];
      if (r.applies_to(targets[i].first, targets[i].second, records, duplicate)) return true;
    }
    return false;
  });
}

std::optional<FailRule> ClusterState::take_item_fail_rule(ApiKey api, const std::string& item) {
  return take_rule(fail_rules_, api, [&](const FailRule& r) { return r.topic && r.matches(item, 0); });
}

// --------------------------------------------------------- request handling

Admission ClusterState::admit(std::int32_t broker_id, std::span<const std::uint8_t> frame) {
  Lock lock(mutex_);
  Admission admission;
  protocol::Reader in(frame);
  const std::int16_t raw_key = in.read_int16();
  const std::int16_t version = in.read_int16();
  const std::int32_t correlation_id = in.read_int32();
  if (!in.ok()) {
    admission.close = true;  // not even a request header
    return admission;
  }
  RequestLogEntry entry{broker_id, raw_key, version, correlation_id, std::nullopt};
  // client_id follows the correlation id in header v1 and v2 alike.
  protocol::Reader client_id_reader = in;
  auto client_id = client_id_reader.read_nullable_string(false);
  if (client_id_reader.ok()) entry.client_id = std::move(client_id);
  request_log_.push_back(std::move(entry));
  while (request_log_.size() > config_.request_log_limit) request_log_.pop_front();
  ++request_counts_[{raw_key, broker_id}];
  changed_.notify_all();

  const auto api = static_cast<ApiKey>(raw_key);
  if (take_rule(drop_before_rules_, api)) {
    admission.close = true;
    return admission;
  }
  if (auto d = take_rule(delay_rules_, api, [](const DelayRule& r) { return r.mode == DelayMode::request; }))
    admission.delay = d->by;
  return admission;
}

Outcome ClusterState::handle(std::int32_t broker_id, std::span<const std::uint8_t> frame) {
  Lock lock(mutex_);
  Outcome closed;  // Action::close by default
  if (frame.size() < 4) return closed;
  const auto api = static_cast<ApiKey>(static_cast<std::int16_t>((frame[0] << 8) | frame[1]));
  const auto version = static_cast<std::int16_t>((frame[2] << 8) | frame[3]);

  Outcome outcome;
  if (api == ApiKey::api_versions) {
    // Handled before any range check: an ApiVersions request newer than the
    // broker must still be answered (KIP-511).
    protocol::RequestHeader header;
    protocol::Reader in(frame);
    header.api_key = static_cast<ApiKey>(in.read_int16());
    header.api_version = in.read_int16();
    header.correlation_id = in.read_int32();
    if (!in.ok()) return closed;
    outcome = handle_api_versions(header, frame);
  } else {
    // Kafka cannot parse a request for an API or version it does not have
    // and closes the connection (SocketServer: InvalidRequestException).
    const ApiRange* range = advertised(api);
    if (range == nullptr || version < range->min_version || version > range->max_version) return closed;
    if (protocol::find_support(api) == nullptr) return closed;
    protocol::RequestHeader header;
    protocol::Reader in(frame);
    if (header.decode(in, protocol::request_header_version(api, version)) || !in.ok()) return closed;
    const auto body = frame.subspan(in.position());
    switch (api) {
      case ApiKey::metadata: outcome = handle_metadata(header, body); break;
      case ApiKey::init_producer_id: outcome = handle_init_producer_id(broker_id, header, body); break;
      case ApiKey::find_coordinator: outcome = handle_find_coordinator(header, body); break;
      case ApiKey::produce: outcome = handle_produce(broker_id, header, body); break;
      case ApiKey::create_topics: outcome = handle_create_topics(header, body); break;
      case ApiKey::delete_topics: outcome = handle_delete_topics(header, body); break;
      case ApiKey::delete_groups: outcome = handle_delete_groups(broker_id, header, body); break;
      case ApiKey::add_partitions_to_txn: outcome = handle_add_partitions_to_txn(broker_id, header, body); break;
      case ApiKey::end_txn: outcome = handle_end_txn(broker_id, header, body); break;
      case ApiKey::add_offsets_to_txn: outcome = handle_add_offsets_to_txn(broker_id, header, body); break;
      case ApiKey::txn_offset_commit: outcome = handle_txn_offset_commit(broker_id, header, body); break;
      case ApiKey::fetch: outcome = handle_fetch(broker_id, header, body); break;
      case ApiKey::list_offsets: outcome = handle_list_offsets(broker_id, header, body); break;
      case ApiKey::offset_for_leader_epoch: outcome = handle_offset_for_leader_epoch(broker_id, header, body); break;
      case ApiKey::offset_commit: outcome = handle_offset_commit(broker_id, header, body); break;
      case ApiKey::offset_fetch: outcome = handle_offset_fetch(broker_id, header, body); break;
      case ApiKey::join_group: outcome = handle_join_group(broker_id, header, body); break;
      case ApiKey::sync_group: outcome = handle_sync_group(broker_id, header, body); break;
      case ApiKey::heartbeat: outcome = handle_heartbeat(broker_id, header, body); break;
      case ApiKey::leave_group: outcome = handle_leave_group(broker_id, header, body); break;
      case ApiKey::consumer_group_heartbeat: outcome = handle_consumer_group_heartbeat(broker_id, header, body); break;
      default: return closed;
    }
  }
  if (outcome.action == Outcome::Action::close) return outcome;
  if (take_rule(drop_after_rules_, api)) {
    outcome.action = Outcome::Action::close;  // handled, but the answer is lost
    outcome.frame.clear();
    return outcome;
  }
  if (auto d = take_rule(delay_rules_, api, [](const DelayRule& r) { return r.mode == DelayMode::response; }))
    outcome.delay = d->by;
  return outcome;
}

void ClusterState::note_connection(std::int32_t broker_id) {
  Lock lock(mutex_);
  ++connections_[broker_id];
}

// ------------------------------------------------------- test-facing calls

std::string ClusterState::bootstrap_servers() const {
  Lock lock(mutex_);
  std::string out;
  for (const BrokerInfo& b : brokers_) {
    if (!out.empty()) out += ',';
    out += "127.0.0.1:" + std::to_string(b.port);
  }
  return out;
}

std::vector<std::int32_t> ClusterState::broker_ids() const {
  Lock lock(mutex_);
  std::vector<std::int32_t> ids;
  for (const BrokerInfo& b : brokers_) ids.push_back(b.id);
  return ids;
}

std::uint16_t ClusterState::port(std::int32_t broker_id) const {
  Lock lock(mutex_);
  const BrokerInfo* b = broker(broker_id);
  if (b == nullptr) throw std::out_of_range("no broker " + std::to_string(broker_id));
  return b->port;
}

void ClusterState::create_topic(const std::string& topic, std::int32_t partitions) {
  if (partitions < 1) throw std::invalid_argument("a topic needs at least one partition");
  Lock lock(mutex_);
  if (const TopicState* t = find_topic(topic)) {
    if (t->partitions.size() != static_cast<std::size_t>(partitions))
      throw std::invalid_argument("topic " + topic + " exists with " + std::to_string(t->partitions.size()) +
                                  " partitions");
    return;
  }
  add_topic(topic, partitions);
}

std::map<std::string, std::int32_t> ClusterState::topics() const {
  Lock lock(mutex_);
  std::map<std::string, std::int32_t> out;
  for (const auto& [name, topic] : topics_) out[name] = static_cast<std::int32_t>(topic.partitions.size());
  return out;
}

std::int32_t ClusterState::leader(const std::string& topic, std::int32_t partition) const {
  Lock lock(mutex_);
  const PartitionState* p = find_partition(topic, partition);
  return p == nullptr ? -1 : p->leader;
}

std::vector<StoredRecord> ClusterState::records(const std::string& topic, std::int32_t partition) const {
  Lock lock(mutex_);
  const PartitionState* p = find_partition(topic, partition);
  return p == nullptr ? std::vector<StoredRecord>{} : p->log;
}

std::size_t ClusterState::record_count(const std::string& topic, std::int32_t partition) const {
  Lock lock(mutex_);
  const PartitionState* p = find_partition(topic, partition);
  return p == nullptr ? 0 : p->log.size();
}

std::size_t ClusterState::record_count() const {
  Lock lock(mutex_);
  std::size_t total = 0;
  for (const auto& [name, topic] : topics_)
    for (const PartitionState& p : topic.partitions) total += p.log.size();
  return total;
}

std::size_t ClusterState::batch_count(const std::string& topic, std::int32_t partition) const {
  Lock lock(mutex_);
  const PartitionState* p = find_partition(topic, partition);
  return p == nullptr ? 0 : p->batches;
}

std::int64_t ClusterState::log_end_offset(const std::string& topic, std::int32_t partition) const {
  Lock lock(mutex_);
  const PartitionState* p = find_partition(topic, partition);
  return p == nullptr ? 0 : p->next_offset;
}

bool ClusterState::wait_for_records(const std::string& topic, std::int32_t partition, std::size_t count,
                                    std::chrono::milliseconds timeout) const {
  Lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    const PartitionState* p = find_partition(topic, partition);
    return p != nullptr && p->log.size() >= count;
  });
}

void ClusterState::fail_next(FailRule rule) {
  if (rule.remaining <= 0) return;
  Lock lock(mutex_);
  fail_rules_.push_back(std::move(rule));
}

void ClusterState::drop_connection_before(ApiKey api, int count) {
  if (count <= 0) return;
  Lock lock(mutex_);
  drop_before_rules_.push_back({api, count});
}

void ClusterState::drop_connection_after(ApiKey api, int count) {
  if (count <= 0) return;
  Lock lock(mutex_);
  drop_after_rules_.push_back({api, count});
}

void ClusterState::delay(ApiKey api, std::chrono::milliseconds by, int count, DelayMode mode) {
  if (count <= 0) return;
  Lock lock(mutex_);
  delay_rules_.push_back({api, by, count, mode});
}

void ClusterState::clear_faults() {
  Lock lock(mutex_);
  fail_rules_.clear();
  drop_before_rules_.clear();
  drop_after_rules_.clear();
  delay_rules_.clear();
}

void ClusterState::move_coordinator(std::int8_t key_type, const std::string& key, std::int32_t new_broker) {
  Lock lock(mutex_);
  if (broker(new_broker) == nullptr) throw std::invalid_argument("no broker " + std::to_string(new_broker));
  coordinator_overrides_[{key_type, key}] = new_broker;
}

std::int32_t ClusterState::coordinator(std::int8_t key_type, const std::string& key) const {
  Lock lock(mutex_);
  return coordinator_for(key_type, key);
}

void ClusterState::move_leader(const std::string& topic, std::int32_t partition, std::int32_t new_broker) {
  Lock lock(mutex_);
  PartitionState* p = find_partition(topic, partition);
  if (p == nullptr) throw std::invalid_argument("no partition " + topic + "-" + std::to_string(partition));
  if (broker(new_broker) == nullptr) throw std::invalid_argument("no broker " + std::to_string(new_broker));
  if (p->leader == new_broker) return;
  p->leader = new_broker;
  ++p->leader_epoch;  // as the controller does on every leader election (KIP-320)
  if (std::find(p->replicas.begin(), p->replicas.end(), new_broker) == p->replicas.end())
    p->replicas.insert(p->replicas.begin(), new_broker);
}

void ClusterState::forget_producer(std::int64_t producer_id) {
  Lock lock(mutex_);
  for (auto& [name, topic] : topics_)
    for (PartitionState& p : topic.partitions) p.producers.erase(producer_id);
}

void ClusterState::set_blackhole(bool on) {
  Lock lock(mutex_);
  config_.blackhole = on;
}

void ClusterState::set_api_versions(std::vector<ApiRange> ranges) {
  Lock lock(mutex_);
  config_.api_versions = std::move(ranges);
}

std::size_t ClusterState::request_count(ApiKey api) const {
  Lock lock(mutex_);
  std::size_t total = 0;
  for (const auto& [key, count] : request_counts_)
    if (key.first == static_cast<std::int16_t>(api)) total += count;
  return total;
}

std::size_t ClusterState::request_count(ApiKey api, std::int32_t broker_id) const {
  Lock lock(mutex_);
  auto it = request_counts_.find({static_cast<std::int16_t>(api), broker_id});
  return it == request_counts_.end() ? 0 : it->second;
}

bool ClusterState::wait_for_requests(ApiKey api, std::size_t count, std::chrono::milliseconds timeout) const {
  Lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    std::size_t total = 0;
    for (const auto& [key, n] : request_counts_)
      if (key.first == static_cast<std::int16_t>(api)) total += n;
    return total >= count;
  });
}

std::vector<RequestLogEntry> ClusterState::request_log() const {
  Lock lock(mutex_);
  return {request_log_.begin(), request_log_.end()};
}

std::size_t ClusterState::accepted_connections(std::int32_t broker_id) const {
  Lock lock(mutex_);
  auto it = connections_.find(broker_id);
  return it == connections_.end() ? 0 : it->second;
}

}  // namespace detail
}  // namespace kwire::mock
