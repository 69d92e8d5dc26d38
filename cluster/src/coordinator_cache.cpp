#include "kwire/cluster/coordinator_cache.hpp"

#include <algorithm>

#include "kwire/protocol/kafka_error.hpp"

namespace kwire::cluster {

namespace {

bool retriable_lookup_error(kwire::errc e) noexcept {
  return e == kwire::errc::coordinator_load_in_progress || e == kwire::errc::coordinator_not_available ||
         e == kwire::errc::not_coordinator;
}

}  // namespace

CoordinatorCache::CoordinatorCache(Options options)
    : backoff_(options.retry_backoff_ms, options.retry_backoff_max_ms, options.jitter_seed) {}

CoordinatorCache::Entry* CoordinatorCache::find(CoordinatorType type, std::string_view key) {
  auto it = entries_.find(Key{type, std::string(key)});
  return it == entries_.end() ? nullptr : &it->second;
}

const CoordinatorCache::Entry* CoordinatorCache::find(CoordinatorType type, std::string_view key) const {
  auto it = entries_.find(Key{type, std::string(key)});
  return it == entries_.end() ? nullptr : &it->second;
}

const net::BrokerEndpoint* CoordinatorCache::coordinator(CoordinatorType type, std::string_view key) const {
  const Entry* e = find(type, key);
  return e && e->coordinator ? &*e->coordinator : nullptr;
}

std::error_code CoordinatorCache::error(CoordinatorType type, std::string_view key, std::string* message) const {
  const Entry* e = find(type, key);
  if (!e) return {};
  if (message) *message = e->error_message;
  return e->error;
}

void CoordinatorCache::want(CoordinatorType type, std::string_view key) {
  entries_.try_emplace(Key{type, std::string(key)});
}

std::vector<std::string> CoordinatorCache::lookups_due(CoordinatorType type, std::int64_t now_ms,
                                                       bool batched) const {
  std::vector<std::string> out;
  for (const auto& [k, e] : entries_) {
    if (k.first != type || e.coordinator || e.in_flight || e.error || now_ms < e.next_lookup_ms) continue;
    out.push_back(k.second);
    if (!batched) break;
  }
  return out;
}

std::int64_t CoordinatorCache::next_lookup_ms(CoordinatorType type, std::int64_t now_ms) const {
  std::int64_t next = kNoDeadline;
  for (const auto& [k, e] : entries_)
    if (k.first == type && !e.coordinator && !e.in_flight && !e.error)
      next = std::min(next, std::max(now_ms, e.next_lookup_ms));
  return next;
}

protocol::FindCoordinatorRequest CoordinatorCache::begin_lookup(CoordinatorType type,
                                                                const std::vector<std::string>& keys,
                                                                std::int16_t version) {
  protocol::FindCoordinatorRequest request;
  request.key_type = type;
  if (version >= protocol::FindCoordinatorRequest::first_batched_version)
    request.coordinator_keys = keys;
  else if (!keys.empty())
    request.key = keys.front();
  for (const std::string& key : keys)
    if (Entry* e = find(type, key)) e->in_flight = true;
  return request;
}

void CoordinatorCache::apply(Entry& e, std::int32_t node_id, const std::string& host, std::int32_t port,
                             kwire::errc error, const std::optional<std::string>& message, std::int64_t now_ms) {
  e.in_flight = false;
  if (error == kwire::errc::none && node_id >= 0 && port > 0 && port <= 65535) {
    e.coordinator = net::BrokerEndpoint{node_id, host, static_cast<std::uint16_t>(port), std::nullopt};
    e.failures = 0;
    e.error = {};
    e.error_message.clear();
    return;
  }
  if (error == kwire::errc::none || retriable_lookup_error(error)) return fail(e, now_ms);
  e.error = make_error_code(error);
  e.error_message = message.value_or(std::string());
}

void CoordinatorCache::fail(Entry& e, std::int64_t now_ms) {
  e.in_flight = false;
  e.coordinator.reset();
  ++e.failures;
  e.next_lookup_ms = saturating_add(now_ms, backoff_.next_ms(e.failures));
}

void CoordinatorCache::on_response(CoordinatorType type, const std::vector<std::string>& keys, std::int16_t version,
                                   const protocol::FindCoordinatorResponse& response, std::int64_t now_ms) {
  if (version < protocol::FindCoordinatorRequest::first_batched_version) {
    if (!keys.empty())
      if (Entry* e = find(type, keys.front()))
        apply(*e, response.node_id, response.host, response.port, response.error_code, response.error_message,
              now_ms);
    return;
  }
  for (const auto& c : response.coordinators)
    if (Entry* e = find(type, c.key)) apply(*e, c.node_id, c.host, c.port, c.error_code, c.error_message, now_ms);
  // Keys the broker did not answer: ask again after the backoff.
  for (const std::string& key : keys)
    if (Entry* e = find(type, key); e && e->in_flight) fail(*e, now_ms);
}

void CoordinatorCache::on_lookup_failed(CoordinatorType type, const std::vector<std::string>& keys,
                                        std::int64_t now_ms) {
  for (const std::string& key : keys)
    if (Entry* e = find(type, key)) fail(*e, now_ms);
}

bool CoordinatorCache::on_error(CoordinatorType type, std::string_view key, kwire::errc error, std::int64_t now_ms) {
  if (error != kwire::errc::not_coordinator && error != kwire::errc::coordinator_not_available) return false;
  Entry* e = find(type, key);
  if (!e || !e->coordinator) return false;
  e->coordinator.reset();
  e->next_lookup_ms = now_ms;  // the coordinator moved: look it up again at once
  return true;
}

std::size_t CoordinatorCache::on_disconnect(std::int32_t node_id, std::int64_t now_ms) {
  std::size_t forgotten = 0;
  for (auto& [k, e] : entries_) {
    if (!e.coordinator || e.coordinator->node_id != node_id) continue;
    e.coordinator.reset();
    e.next_lookup_ms = now_ms;
    ++forgotten;
  }
  return forgotten;
}

}  // namespace kwire::cluster
