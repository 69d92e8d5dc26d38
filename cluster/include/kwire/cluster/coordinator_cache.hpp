#pragma once
// CoordinatorCache: which broker coordinates a consumer group or a
// transactional id, looked up with FindCoordinator and kept until it stops
// being true. One copy for every client (the Java client has three or four:
// AbstractCoordinator, TransactionManager, the new consumer's
// CoordinatorRequestManager, admin's CoordinatorStrategy).
//
// Sans-I/O: the owner asks what to look up (lookups_due), sends the request
// the cache builds (batched: every due key of one type in one request from
// FindCoordinator v4, KIP-699; one key per request before that), and hands
// back the response or the failure. Entries are invalidated when a request
// to the coordinator fails with NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE
// (on_error) and when the connection to it closes (on_disconnect); the next
// lookup then waits retry.backoff.ms (exponential, KIP-580) after a failed one.
//
// Thread: the client's network thread only.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kwire/cluster/backoff.hpp"
#include "kwire/net/transport.hpp"
#include "kwire/protocol/find_coordinator.hpp"

namespace kwire::cluster {

using protocol::CoordinatorType;

class CoordinatorCache {
 public:
  struct Options {
    std::int64_t retry_backoff_ms = 100;       ///< retry.backoff.ms
    std::int64_t retry_backoff_max_ms = 1000;  ///< retry.backoff.max.ms
    std::uint64_t jitter_seed = 0;             ///< 0: random
  };

  explicit CoordinatorCache(Options options);

  /// The coordinator of `key`, when known.
  const net::BrokerEndpoint* coordinator(CoordinatorType type, std::string_view key) const;
  /// A final lookup error for `key` (e.g. GROUP_AUTHORIZATION_FAILED), with
  /// the broker's message; none while a lookup may still succeed.
  std::error_code error(CoordinatorType type, std::string_view key, std::string* message = nullptr) const;

  /// Asks for `key`'s coordinator (idempotent; a known one is kept).
  void want(CoordinatorType type, std::string_view key);

  /// The keys of `type` to look up at `now_ms`: wanted, unknown, not in
  /// flight, past their backoff. At most one unless `batched` (v4+).
  std::vector<std::string> lookups_due(CoordinatorType type, std::int64_t now_ms, bool batched) const;
  /// When the next lookup of `type` becomes due (kNoDeadline: none).
  std::int64_t next_lookup_ms(CoordinatorType type, std::int64_t now_ms) const;

  /// The request for `keys` at `version`; marks them in flight.
  protocol::FindCoordinatorRequest begin_lookup(CoordinatorType type, const std::vector<std::string>& keys,
                                                std::int16_t version);
  /// Applies an answer to begin_lookup(type, keys, version). Retriable
  /// errors (COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE,
  /// NOT_COORDINATOR) back off and ask again; others are final (error()).
  void on_response(CoordinatorType type, const std::vector<std::string>& keys, std::int16_t version,
                   const protocol::FindCoordinatorResponse& response, std::int64_t now_ms);
  /// The lookup failed (disconnect, timeout): back off and ask again.
  void on_lookup_failed(CoordinatorType type, const std::vector<std::string>& keys, std::int64_t now_ms);

  /// A request to `key`'s coordinator failed with `error`: on
  /// NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE the entry is forgotten (a
  /// new lookup is due at once). Returns true if it was.
  bool on_error(CoordinatorType type, std::string_view key, kwire::errc error, std::int64_t now_ms);
  /// The connection to `node_id` closed: every entry it coordinates is forgotten.
  std::size_t on_disconnect(std::int32_t node_id, std::int64_t now_ms);

 private:
  struct Entry {
    std::optional<net::BrokerEndpoint> coordinator;
    bool in_flight = false;
    std::int32_t failures = 0;
    std::int64_t next_lookup_ms = 0;
    std::error_code error;  ///< final
    std::string error_message;
  };
  using Key = std::pair<CoordinatorType, std::string>;

  Entry* find(CoordinatorType type, std::string_view key);
  const Entry* find(CoordinatorType type, std::string_view key) const;
  void apply(Entry& e, std::int32_t node_id, const std::string& host, std::int32_t port, kwire::errc error,
             const std::optional<std::string>& message, std::int64_t now_ms);
  void fail(Entry& e, std::int64_t now_ms);

  std::map<Key, Entry, std::less<>> entries_;
  ExponentialBackoff backoff_;
};

}  // namespace kwire::cluster
