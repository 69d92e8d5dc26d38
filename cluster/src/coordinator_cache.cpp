#include "kwire/cluster/coordinator_cache.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "kwire/protocol/client_error.hpp"

namespace kwire::cluster {
namespace {

using protocol::FindCoordinatorRequest;
using protocol::FindCoordinatorResponse;

constexpr CoordinatorType kTypes[] = {CoordinatorType::group, CoordinatorType::transaction, CoordinatorType::share};

/// The lowest FindCoordinator version that can name a key of `type`.
std::int16_t min_version_for(CoordinatorType type) noexcept {
  switch (type) {
    case CoordinatorType::group: return 0;
    case CoordinatorType::transaction: return FindCoordinatorRequest::first_key_type_version;
    case CoordinatorType::share: return FindCoordinatorRequest::first_share_version;
  }
  return FindCoordinatorRequest::max_version;
}

/// Codes after which asking again (after a backoff) can succeed.
bool retriable(kwire::errc error) noexcept {
  return error == kwire::errc::coordinator_not_available || error == kwire::errc::coordinator_load_in_progress ||
         error == kwire::errc::not_coordinator || kwire::error_traits(error).retriable;
}

std::string describe(kwire::errc error, const std::optional<std::string>& message) {
  if (message && !message->empty()) return *message;
  return std::string(kwire::kafka_error_description(error));
}

}  // namespace

CoordinatorCache::CoordinatorCache(Options options)
    : backoff_(options.retry_backoff_ms, options.retry_backoff_max_ms, options.seed) {}

const CoordinatorNode* CoordinatorCache::find(const CoordinatorKey& key) const {
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.node ? &*it->second.node : nullptr;
}

void CoordinatorCache::lookup(const CoordinatorKey& key, CoordinatorCallback callback) {
  Entry& e = entries_[key];
  if (e.node) {
    const CoordinatorResult result{e.node, {}, {}};
    callback(result);
    return;
  }
  e.waiters.push_back(std::move(callback));
  e.wanted = true;
}

std::optional<CoordinatorLookup> CoordinatorCache::next_request(std::int64_t now_ms, std::int16_t max_version) {
  const std::int16_t version = std::min(max_version, FindCoordinatorRequest::max_version);
  const bool batched = version >= FindCoordinatorRequest::first_batched_version;
  fail_unsupported(version);
  for (CoordinatorType type : kTypes) {
    // One batched lookup per key type at a time (KIP-699): later keys of the
    // type wait for it, then go together.
    if (batched) {
      bool type_in_flight = false;
      for (const auto& [key, e] : entries_) type_in_flight |= key.type == type && e.in_flight != 0;
      if (type_in_flight) continue;
    }
    std::vector<CoordinatorKey> keys;
    for (const auto& [key, e] : entries_) {
      if (key.type != type || !due(e, now_ms)) continue;
      keys.push_back(key);
      if (!batched) break;
    }
    if (keys.empty()) continue;

    CoordinatorLookup lookup;
    lookup.id = next_id_++;
    lookup.version = version;
    lookup.request.key_type = version >= FindCoordinatorRequest::first_key_type_version
                                  ? static_cast<std::int8_t>(type)
                                  : std::int8_t{0};
    if (batched) {
      for (const auto& key : keys) lookup.request.coordinator_keys.push_back(key.key);
    } else {
      lookup.request.key = keys.front().key;
    }
    for (const auto& key : keys) entries_[key].in_flight = lookup.id;
    in_flight_[lookup.id] = {version, std::move(keys)};
    return lookup;
  }
  return std::nullopt;
}

void CoordinatorCache::fail_unsupported(std::int16_t version) {
  std::vector<CoordinatorKey> unsupported;
  for (const auto& [key, e] : entries_)
    if (e.wanted && e.in_flight == 0 && version < min_version_for(key.type)) unsupported.push_back(key);
  for (const auto& key : unsupported)
    resolve(key, {std::nullopt, make_error_code(client_errc::unsupported_version),
                  "the broker's FindCoordinator (up to v" + std::to_string(version) +
                      ") cannot look up this key type"});
}

void CoordinatorCache::on_response(std::uint64_t id, const FindCoordinatorResponse& response, std::int64_t now_ms) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;  // stale: already failed or forgotten
  const Lookup lookup = std::move(it->second);
  in_flight_.erase(it);
  const std::vector<CoordinatorKey>& keys = lookup.keys;
  for (const auto& key : keys) entries_[key].in_flight = 0;

  if (lookup.version < FindCoordinatorRequest::first_batched_version) {
    // v0-3: one key, its answer top-level.
    answer_key(keys.front(), response.error_code, response.error_message,
               {NodeId{response.node_id}, response.host, response.port}, now_ms);
    return;
  }
  for (const auto& key : keys) {
    const FindCoordinatorResponse::Coordinator* found = nullptr;
    for (const auto& c : response.coordinators)
      if (c.key == key.key) found = &c;
    if (found) {
      answer_key(key, found->error_code, found->error_message, {NodeId{found->node_id}, found->host, found->port}, now_ms);
    } else {
      retry_later(entries_[key], make_error_code(kwire::errc::coordinator_not_available),
                  "the FindCoordinator response did not name this key", now_ms);
    }
  }
}

void CoordinatorCache::on_request_failed(std::uint64_t id, std::error_code error, std::int64_t now_ms) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const std::vector<CoordinatorKey> keys = std::move(it->second.keys);
  in_flight_.erase(it);
  for (const auto& key : keys) {
    Entry& e = entries_[key];
    e.in_flight = 0;
    retry_later(e, error, "FindCoordinator failed: " + error.message(), now_ms);
  }
}

void CoordinatorCache::answer_key(const CoordinatorKey& key, kwire::errc error,
                                  const std::optional<std::string>& message, CoordinatorNode node,
                                  std::int64_t now_ms) {
  Entry& e = entries_[key];
  if (error == kwire::errc::none && node.node_id.valid()) {
    resolve(key, {std::move(node), {}, {}});
  } else if (error == kwire::errc::none || retriable(error)) {
    // A node id of -1 without an error is the broker having none yet.
    const kwire::errc why = error == kwire::errc::none ? kwire::errc::coordinator_not_available : error;
    retry_later(e, make_error_code(why), describe(why, message), now_ms);
  } else {
    resolve(key, {std::nullopt, make_error_code(error), describe(error, message)});
  }
}

void CoordinatorCache::retry_later(Entry& e, std::error_code error, std::string detail, std::int64_t now_ms) {
  ++e.failures;
  e.not_before_ms = saturating_add(now_ms, backoff_.next_ms(e.failures));
  e.last_error = {std::nullopt, error, std::move(detail)};
}

void CoordinatorCache::resolve(const CoordinatorKey& key, CoordinatorResult result) {
  Entry& e = entries_[key];
  e.wanted = false;
  e.failures = 0;
  e.not_before_ms = 0;
  e.node = result.node;
  e.last_error = result.node ? CoordinatorResult{} : result;
  // Callbacks may call back into the cache (lookup() again): move them out first.
  std::vector<CoordinatorCallback> waiters = std::exchange(e.waiters, {});
  for (auto& w : waiters) w(result);
}

bool CoordinatorCache::on_coordinator_error(const CoordinatorKey& key, kwire::errc error) {
  if (error != kwire::errc::not_coordinator && error != kwire::errc::coordinator_not_available) return false;
  invalidate(key);
  return true;
}

void CoordinatorCache::on_disconnect(NodeId node_id) {
  for (auto& [key, e] : entries_)
    if (e.node && e.node->node_id == node_id) e.node.reset();
}

void CoordinatorCache::invalidate(const CoordinatorKey& key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) it->second.node.reset();
}

CoordinatorResult CoordinatorCache::last_error(const CoordinatorKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? CoordinatorResult{} : it->second.last_error;
}

std::int64_t CoordinatorCache::next_deadline_ms() const {
  std::int64_t deadline = kNoDeadline;
  for (const auto& [key, e] : entries_)
    if (e.wanted && e.in_flight == 0 && e.not_before_ms < deadline) deadline = e.not_before_ms;
  return deadline;
}

bool CoordinatorCache::waiting(const CoordinatorKey& key) const {
  auto it = entries_.find(key);
  return it != entries_.end() && !it->second.waiters.empty();
}

}  // namespace kwire::cluster
