#pragma once
// MetadataUpdater: sends the Metadata requests MetadataCache asks for, on a
// BrokerPool connection, and applies the answers — the one copy of "when and
// where to refresh" every client runs (Java's NetworkClient.DefaultMetadataUpdater).
//
// Per round, maybe_update(now, next):
//  * KIP-1102: no metadata from any known broker for
//    metadata.recovery.rebootstrap.trigger.ms → rebootstrap;
//  * a refresh due (MetadataCache's floor, max age, requests) goes to the
//    least loaded ready connection, else BrokerPool::connect_to_any starts
//    one (rotating through known brokers, then bootstrap.servers).
// One request in flight at a time (MetadataCache's bookkeeping).
//
// Thread: the client's network thread only.
#include <cstdint>
#include <functional>
#include <span>
#include <system_error>

#include "kwire/cluster/broker_pool.hpp"
#include "kwire/cluster/log.hpp"
#include "kwire/cluster/metadata_cache.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

class MetadataUpdater {
 public:
  struct Hooks {
    std::function<std::int64_t()> clock;  ///< required
    std::function<void()> wake;           ///< may be empty
    /// A response was applied (after logging). May be empty.
    std::function<void(const MetadataCache&, const MetadataUpdateResult&)> on_metadata;
    /// A request failed (disconnect, timeout, undecodable). May be empty.
    std::function<void(std::error_code)> on_failure;
    Logger log;
  };

  /// `rebootstrap_trigger_ms` is metadata.recovery.rebootstrap.trigger.ms
  /// (for the log line). References must outlive the updater.
  MetadataUpdater(MetadataCache& metadata, BrokerPool& pool, std::int64_t rebootstrap_trigger_ms, Hooks hooks);

  /// See the top of this file. Lowers `next` to when a refresh is due.
  void maybe_update(std::int64_t now_ms, std::int64_t& next);
  /// Stops handling answers (the owner is shutting down).
  void shutdown() noexcept { shut_down_ = true; }

 private:
  void send(NodeId id, std::int64_t now_ms);
  void on_response(NodeId id, std::int16_t version, std::error_code ec, std::span<const std::uint8_t> body);

  MetadataCache& metadata_;
  BrokerPool& pool_;
  std::int64_t rebootstrap_trigger_ms_;
  Hooks hooks_;
  bool shut_down_ = false;
};

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
