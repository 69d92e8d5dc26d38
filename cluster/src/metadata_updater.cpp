#include "kwire/cluster/metadata_updater.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"

namespace kwire::cluster {

using protocol::ApiKey;

MetadataUpdater::MetadataUpdater(MetadataCache& metadata, BrokerPool& pool, std::int64_t rebootstrap_trigger_ms,
                                 Hooks hooks)
    : metadata_(metadata), pool_(pool), rebootstrap_trigger_ms_(rebootstrap_trigger_ms), hooks_(std::move(hooks)) {}

void MetadataUpdater::maybe_update(std::int64_t now_ms, std::int64_t& next) {
  if (shut_down_ || metadata_.request_in_flight()) return;
  // KIP-1102: no metadata from any known broker for
  // metadata.recovery.rebootstrap.trigger.ms: the brokers we know may be a
  // stale or partitioned view of the cluster.
  if (metadata_.rebootstrap_due(now_ms)) {
    const std::int64_t silent_ms = now_ms - metadata_.last_success_ms().value_or(now_ms);
    pool_.rebootstrap(now_ms, "no metadata for " + std::to_string(silent_ms) +
                                  " ms (metadata.recovery.rebootstrap.trigger.ms=" +
                                  std::to_string(rebootstrap_trigger_ms_) + ")");
  }
  const std::int64_t wait = metadata_.time_to_next_update(now_ms);
  if (wait > 0) {
    if (wait != MetadataCache::kNever) next = std::min(next, saturating_add(now_ms, wait));
    return;
  }
  if (std::optional<NodeId> id = pool_.least_loaded_ready()) {
    send(*id, now_ms);
    return;
  }
  pool_.connect_to_any(now_ms, next);
}

void MetadataUpdater::send(NodeId id, std::int64_t now_ms) {
  const NodeKey key{id, Lane::data};
  const std::optional<std::int16_t> version = pool_.negotiated_version(key, ApiKey::metadata);
  if (!version) {
    hooks_.log(LogLevel::error, LogCategory::protocol, pool_.describe(key) + " offers no Metadata version kwire speaks");
    metadata_.on_request_failed(now_ms);
    return;
  }
  // metadata.max.idle.ms: stop asking for topics nobody uses (the next use
  // asks again, as in Java).
  metadata_.expire_idle_topics(now_ms);
  const protocol::MetadataRequest request = metadata_.build_request();
  std::vector<std::uint8_t> body;
  if (std::error_code ec = protocol::encode_message(request, *version, body)) {
    hooks_.log(LogLevel::error, LogCategory::protocol,
               "cannot encode a Metadata v" + std::to_string(*version) + " request: " + ec.message());
    metadata_.on_request_failed(now_ms);
    return;
  }
  metadata_.on_request_sent(now_ms);
  const std::int16_t v = *version;
  if (hooks_.log.debug(LogCategory::metadata))
    hooks_.log(LogLevel::debug, LogCategory::metadata,
               "Metadata v" + std::to_string(v) + " to " + pool_.describe(key) + " for " +
                   std::to_string(request.topics ? request.topics->size() : 0) + " topic(s)");
  pool_.send(key, ApiKey::metadata, v, std::move(body), true,
             [this, id, v](std::error_code ec, std::span<const std::uint8_t> response) {
               on_response(id, v, ec, response);
             });
}

void MetadataUpdater::on_response(NodeId id, std::int16_t version, std::error_code ec,
                                  std::span<const std::uint8_t> body) {
  const NodeKey key{id, Lane::data};
  const std::int64_t now_ms = hooks_.clock();
  protocol::MetadataResponse response;
  if (!ec) ec = protocol::decode_message(body, version, response);
  if (ec) {
    metadata_.on_request_failed(now_ms);
    if (!shut_down_ && ec != client_errc::shutting_down)
      hooks_.log(LogLevel::warning, LogCategory::metadata,
                 "Metadata request to " + pool_.describe(key) + " failed: " + ec.message());
    if (hooks_.on_failure) hooks_.on_failure(ec);
    if (hooks_.wake) hooks_.wake();
    return;
  }
  const MetadataUpdateResult result = metadata_.update(response, now_ms);
  if (result.rebootstrap)
    hooks_.log(LogLevel::warning, LogCategory::metadata,
               "the cluster (via " + pool_.describe(key) + ") asked us to rebootstrap (KIP-1102)");
  if (result.brokers_changed || result.topics_changed) {
    // Once per change, not per refresh.
    std::string brokers;
    for (const auto& [broker_id, endpoint] : metadata_.brokers())
      brokers += (brokers.empty() ? "" : ", ") + to_string(broker_id) + "=" + endpoint.address();
    hooks_.log(LogLevel::info, LogCategory::metadata,
               "metadata from " + pool_.describe(key) + ": " +
                   (result.brokers_changed ? "brokers changed: [" + brokers + "]" : std::string("brokers unchanged")) +
                   (result.topics_changed ? "; partitions or leaders of " +
                                                std::to_string(metadata_.wanted_topics().size()) + " topic(s) changed"
                                          : std::string()));
  } else if (hooks_.log.debug(LogCategory::metadata)) {
    hooks_.log(LogLevel::debug, LogCategory::metadata, "metadata from " + pool_.describe(key) + ": no change");
  }
  if (hooks_.on_metadata) hooks_.on_metadata(metadata_, result);
  if (hooks_.wake) hooks_.wake();
}

}  // namespace kwire::cluster
