#include "kwire/cluster/metadata_cache.hpp"

#include <algorithm>

namespace kwire::cluster {

MetadataCache::Options MetadataCache::Options::from(const ClientConfig& config) {
  Options o;
  o.refresh_backoff_ms = config.retry_backoff_ms;
  o.refresh_backoff_max_ms = config.retry_backoff_max_ms;
  o.max_age_ms = config.metadata_max_age_ms;
  o.rebootstrap = config.metadata_recovery_strategy == MetadataRecoveryStrategy::rebootstrap;
  o.rebootstrap_trigger_ms = config.metadata_recovery_rebootstrap_trigger_ms;
  return o;
}

MetadataCache::MetadataCache(Options options, std::vector<BrokerAddress> bootstrap)
    : options_(options), backoff_(options.refresh_backoff_ms, options.refresh_backoff_max_ms, options.jitter_seed) {
  std::int32_t id = -1;
  for (BrokerAddress& a : bootstrap) bootstrap_.push_back(BrokerEndpoint{id--, std::move(a.host), a.port, std::nullopt});
}

// --- Brokers ------------------------------------------------------------------

const BrokerEndpoint* MetadataCache::endpoint(NodeId node_id) const {
  if (!node_id.valid()) {
    const auto index = static_cast<std::size_t>(-(static_cast<std::int64_t>(node_id.value()) + 1));
    return index < bootstrap_.size() ? &bootstrap_[index] : nullptr;
  }
  auto it = brokers_.find(node_id);
  return it == brokers_.end() ? nullptr : &it->second;
}

// --- Topics -------------------------------------------------------------------

bool MetadataCache::add_topic(std::string_view topic, std::int64_t now_ms) {
  auto it = topics_.find(topic);
  if (it != topics_.end()) {
    it->second.last_used_ms = std::max(it->second.last_used_ms, now_ms);
    return false;
  }
  TopicEntry entry;
  entry.info.name = std::string(topic);
  entry.last_used_ms = now_ms;
  topics_.emplace(std::string(topic), std::move(entry));
  // Java's requestUpdateForNewTopics: a send() is blocked on this topic, so
  // skip the backoff once.
  update_requested_ = true;
  bypass_backoff_ = true;
  return true;
}

void MetadataCache::touch_topic(std::string_view topic, std::int64_t now_ms) {
  auto it = topics_.find(topic);
  if (it != topics_.end()) it->second.last_used_ms = std::max(it->second.last_used_ms, now_ms);
}

std::size_t MetadataCache::expire_idle_topics(std::int64_t now_ms) {
  std::size_t dropped = 0;
  for (auto it = topics_.begin(); it != topics_.end();) {
    if (now_ms - it->second.last_used_ms >= options_.max_idle_ms) {
      it = topics_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  if (dropped) rebuild_leader_index();
  return dropped;
}

std::vector<std::string> MetadataCache::wanted_topics() const {
  std::vector<std::string> out;
  out.reserve(topics_.size());
  for (const auto& [name, entry] : topics_) out.push_back(name);
  return out;
}

void MetadataCache::set_list_all_topics(bool on) noexcept {
  if (on && !list_all_topics_) {
    update_requested_ = true;
    bypass_backoff_ = true;
  }
  if (!on && cluster_topics_) {
    cluster_topics_.reset();
    ++cluster_topics_generation_;
  }
  list_all_topics_ = on;
}

const TopicInfo* MetadataCache::topic(std::string_view name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second.info;
}

std::optional<NodeId> MetadataCache::leader_of(std::string_view topic_name, std::int32_t partition) const {
  const TopicInfo* info = topic(topic_name);
  if (!info || partition < 0 || partition >= info->partition_count()) return std::nullopt;
  const NodeId leader = info->partitions[static_cast<std::size_t>(partition)].leader;
  if (!leader.valid()) return std::nullopt;
  return leader;
}

std::optional<NodeId> MetadataCache::leader_of(const TopicPartition& tp) const {
  return leader_of(tp.topic, tp.partition);
}

std::int32_t MetadataCache::partition_count(std::string_view name) const {
  const TopicInfo* info = topic(name);
  return info ? info->partition_count() : 0;
}

std::span<const std::int32_t> MetadataCache::available_partitions(std::string_view name) const {
  const TopicInfo* info = topic(name);
  if (!info) return {};
  return info->available;
}

std::span<const TopicPartition> MetadataCache::partitions_led_by(NodeId node_id) const {
  auto it = led_by_.find(node_id);
  if (it == led_by_.end()) return {};
  return it->second;
}

protocol::Uuid MetadataCache::topic_id(std::string_view name) const {
  const TopicInfo* info = topic(name);
  return info ? info->topic_id : protocol::Uuid{};
}

const std::string* MetadataCache::topic_name(const protocol::Uuid& id) const {
  if (id.is_zero()) return nullptr;
  for (const auto& [name, entry] : topics_)
    if (entry.info.topic_id == id) return &entry.info.name;
  return nullptr;
}

void MetadataCache::recompute_available(TopicInfo& info) {
  info.available.clear();
  for (std::size_t p = 0; p < info.partitions.size(); ++p)
    if (info.partitions[p].leader.valid()) info.available.push_back(static_cast<std::int32_t>(p));
}

void MetadataCache::rebuild_leader_index() {
  led_by_.clear();
  for (const auto& [name, entry] : topics_) {
    const TopicInfo& info = entry.info;
    for (std::size_t p = 0; p < info.partitions.size(); ++p) {
      const NodeId leader = info.partitions[p].leader;
      if (leader.valid()) led_by_[leader].push_back(TopicPartition{name, static_cast<std::int32_t>(p)});
    }
  }
}

// --- Updates --------------------------------------------------------------------

MetadataUpdateResult MetadataCache::update(const protocol::MetadataResponse& response, std::int64_t now_ms) {
  MetadataUpdateResult result;
  // KIP-1102: the cluster says our view is beyond repair; start over from
  // bootstrap.servers (the sender falls back to them with no brokers known).
  // Not an answer that resets the trigger clock. With
  // metadata.recovery.strategy=none it is a failed attempt, as in Java.
  if (response.error_code == kwire::errc::rebootstrap_required) {
    request_in_flight_ = false;
    last_attempt_ms_ = now_ms;
    result.brokers_changed = !brokers_.empty();
    result.rebootstrap = rebootstrap(now_ms);
    if (!result.rebootstrap) {
      result.brokers_changed = false;
      on_request_failed(now_ms);
    }
    return result;
  }
  request_in_flight_ = false;
  failed_attempts_ = 0;
  last_attempt_ms_ = now_ms;
  last_success_ms_ = now_ms;
  attempt_start_ms_.reset();
  current_backoff_ms_ = backoff_.next_ms(1);

  if (!response.brokers.empty()) {
    std::map<NodeId, BrokerEndpoint> brokers;
    for (const auto& b : response.brokers) {
      if (b.port <= 0 || b.port > 65535) continue;
      brokers[NodeId{b.node_id}] = BrokerEndpoint{b.node_id, b.host, static_cast<std::uint16_t>(b.port), b.rack};
    }
    result.brokers_changed = brokers != brokers_;
    brokers_ = std::move(brokers);
    controller_id_ = NodeId{response.controller_id};
  }

  // Only an answer to an all-topics request names every topic; one to a
  // request sent before the mode was turned on names the tracked ones.
  if (in_flight_lists_all_ && list_all_topics_) {
    std::vector<ClusterTopic> names;
    names.reserve(response.topics.size());
    for (const auto& t : response.topics)
      if (t.name && t.error_code == kwire::errc::none) names.push_back({*t.name, t.is_internal});
    std::sort(names.begin(), names.end(), [](const ClusterTopic& a, const ClusterTopic& b) { return a.name < b.name; });
    const bool changed = !cluster_topics_ || cluster_topics_->size() != names.size() ||
                         !std::equal(names.begin(), names.end(), cluster_topics_->begin(),
                                     [](const ClusterTopic& a, const ClusterTopic& b) { return a.name == b.name; });
    if (changed) {
      cluster_topics_ = std::move(names);
      ++cluster_topics_generation_;
      result.topics_changed = true;
    }
  }
  in_flight_lists_all_ = false;

  for (const auto& t : response.topics) {
    if (!t.name) continue;  // asked by id (v12+); we ask by name
    auto it = topics_.find(*t.name);
    if (it == topics_.end()) continue;  // not ours (any more)
    TopicInfo& info = it->second.info;
    TopicInfo next;
    next.name = info.name;
    next.topic_id = t.topic_id;
    next.error = t.error_code;
    if (t.error_code == kwire::errc::none) {
      std::int32_t max_index = -1;
      for (const auto& p : t.partitions) max_index = std::max(max_index, p.partition_index);
      next.partitions.resize(static_cast<std::size_t>(max_index + 1));
      // A recreated topic (new id) starts a new epoch history.
      const bool same_topic = info.topic_id.is_zero() || next.topic_id.is_zero() || info.topic_id == next.topic_id;
      for (const auto& p : t.partitions) {
        if (p.partition_index < 0) continue;
        const auto index = static_cast<std::size_t>(p.partition_index);
        PartitionInfo fresh{NodeId{p.leader_id}, p.leader_epoch, p.error_code};
        if (same_topic && index < info.partitions.size()) {
          const PartitionInfo& old = info.partitions[index];
          // KIP-320: a lagging broker may answer with an older leader epoch;
          // keep the newer view (e.g. a KIP-951 hint we already applied).
          if (old.leader_epoch >= 0 && fresh.leader_epoch >= 0 && fresh.leader_epoch < old.leader_epoch) fresh = old;
        }
        next.partitions[index] = fresh;
      }
      recompute_available(next);
    } else if (error_traits(t.error_code).retriable || error_traits(t.error_code).refresh_metadata) {
      // Still being created (auto-creation) or a transient problem: ask
      // again (the backoff applies).
      update_requested_ = true;
    }
    if (!(next == info)) {
      info = std::move(next);
      result.topics_changed = true;
    }
  }
  rebuild_leader_index();
  return result;
}

bool MetadataCache::update_leader(const TopicPartition& tp, NodeId leader_id, std::int32_t leader_epoch,
                                    const BrokerEndpoint* endpoint) {
  if (endpoint && endpoint->node_id >= 0) {
    auto [it, inserted] = brokers_.try_emplace(NodeId{endpoint->node_id}, *endpoint);
    if (!inserted && !(it->second == *endpoint)) it->second = *endpoint;
  }
  auto it = topics_.find(tp.topic);
  if (it == topics_.end() || !leader_id.valid() || tp.partition < 0) return false;
  TopicInfo& info = it->second.info;
  if (tp.partition >= info.partition_count()) return false;
  PartitionInfo& p = info.partitions[static_cast<std::size_t>(tp.partition)];
  if (leader_epoch <= p.leader_epoch) return false;  // not newer than what we know
  if (p.leader == leader_id) {
    p.leader_epoch = leader_epoch;
    return false;
  }
  p.leader = leader_id;
  p.leader_epoch = leader_epoch;
  p.error = kwire::errc::none;
  recompute_available(info);
  rebuild_leader_index();
  return true;
}

// --- Rebootstrap ------------------------------------------------------------------

bool MetadataCache::rebootstrap(std::int64_t now_ms) {
  if (!options_.rebootstrap || brokers_.empty()) return false;
  brokers_.clear();
  controller_id_ = NodeId{};
  led_by_.clear();
  // Leaders name brokers we no longer know: forget them too, until the
  // bootstrap servers tell us again (partition counts stay, for send()).
  for (auto& [name, entry] : topics_)
    for (PartitionInfo& p : entry.info.partitions) p.leader = NodeId{};
  for (auto& [name, entry] : topics_) recompute_available(entry.info);
  update_requested_ = true;
  bypass_backoff_ = true;
  // The bootstrap servers get a full trigger interval of their own.
  attempt_start_ms_ = now_ms;
  ++rebootstraps_;
  return true;
}

bool MetadataCache::rebootstrap_due(std::int64_t now_ms) const noexcept {
  if (!options_.rebootstrap || brokers_.empty() || !attempt_start_ms_) return false;
  return now_ms - *attempt_start_ms_ >= options_.rebootstrap_trigger_ms;
}

// --- Refresh bookkeeping ----------------------------------------------------------

std::int64_t MetadataCache::backoff_ms(std::int32_t failures) const noexcept {
  return backoff_.unjittered_ms(failures + 1);
}

std::int64_t MetadataCache::time_to_next_update(std::int64_t now_ms) const noexcept {
  std::int64_t due;
  if (update_requested_ || !last_success_ms_)
    due = 0;
  else if (*last_success_ms_ > kNever - options_.max_age_ms)
    due = kNever;
  else
    due = std::max<std::int64_t>(0, *last_success_ms_ + options_.max_age_ms - now_ms);
  if (due == kNever) return kNever;
  if (bypass_backoff_ && update_requested_) return due;
  const std::int64_t allowed = std::max<std::int64_t>(0, last_attempt_ms_ + current_backoff_ms_ - now_ms);
  return std::max(due, allowed);
}

protocol::MetadataRequest MetadataCache::build_request() const {
  protocol::MetadataRequest request;
  if (list_all_topics_) {
    // Every topic (a null list); the consumer asks without auto-creation, as
    // Java's consumer does for a pattern subscription.
    request.allow_auto_topic_creation = false;
    return request;
  }
  request.topics.emplace();
  request.topics->reserve(topics_.size());
  for (const auto& [name, entry] : topics_) {
    protocol::MetadataRequest::Topic t;
    t.name = name;
    request.topics->push_back(std::move(t));
  }
  request.allow_auto_topic_creation = allow_auto_topic_creation_;
  return request;
}

void MetadataCache::on_request_sent(std::int64_t now_ms) noexcept {
  request_in_flight_ = true;
  in_flight_lists_all_ = list_all_topics_;
  update_requested_ = false;
  bypass_backoff_ = false;
  last_attempt_ms_ = now_ms;
  if (!attempt_start_ms_) attempt_start_ms_ = now_ms;
}

void MetadataCache::on_request_failed(std::int64_t now_ms) noexcept {
  if (!attempt_start_ms_) attempt_start_ms_ = now_ms;
  request_in_flight_ = false;
  ++failed_attempts_;
  last_attempt_ms_ = now_ms;
  update_requested_ = true;
  current_backoff_ms_ = backoff_.next_ms(failed_attempts_ + 1);
}

}  // namespace kwire::cluster
