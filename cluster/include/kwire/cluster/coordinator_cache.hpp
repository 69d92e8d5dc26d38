#pragma once
// CoordinatorCache: which broker coordinates a consumer group, a
// transactional id or a share group, found with FindCoordinator and kept
// until it stops being true. One copy for every client: the consumer (group
// coordinator), the transactional producer (transaction coordinator, and the
// group coordinator for TxnOffsetCommit) and the admin client.
//
// Sans-I/O: the owner (the client's network thread) asks next_request(now)
// for a FindCoordinator to send to any ready broker, feeds the answer to
// on_response() or a failure to on_request_failed(), and reports what the
// coordinators themselves answer (on_coordinator_error) and disconnects
// (on_disconnect). Callers waiting for a key are answered from those calls.
// No clock of its own: every call that may start a backoff takes now_ms.
//
// Lookups (KIP-699): from FindCoordinator v4 one request carries every key
// of one type that is waiting (one request per key type in flight at a
// time); below v4 a request carries a single key, so waiting keys go one per
// request, each key being looked up at most once at a time.
//
// Errors per key:
//  * COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR
//    and every other retriable code, a key missing from a v4+ answer, and a
//    lookup that failed on the wire: the key is asked again after
//    retry.backoff.ms, doubled per consecutive failure up to
//    retry.backoff.max.ms (KIP-580); waiting callers keep waiting, and
//    last_error() tells them why when they give up.
//  * Anything else (GROUP_AUTHORIZATION_FAILED,
//    TRANSACTIONAL_ID_AUTHORIZATION_FAILED, INVALID_REQUEST, ...) is final:
//    the waiting callers get the code and the broker's message; nothing is
//    retried until someone asks again.
// Invalidation (Java's markCoordinatorUnknown): a coordinator that answers
// NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE, and a disconnect from a
// coordinator's node, forget the keys on that node (only those); the next
// lookup() asks again.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/cluster/backoff.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/export.hpp"
#include "kwire/ids.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

using protocol::CoordinatorType;

struct CoordinatorKey {
  CoordinatorType type = CoordinatorType::group;
  std::string key;  ///< group id or transactional id
  friend auto operator<=>(const CoordinatorKey&, const CoordinatorKey&) = default;
};

struct CoordinatorNode {
  NodeId node_id;
  std::string host;
  std::int32_t port = 0;
  friend bool operator==(const CoordinatorNode&, const CoordinatorNode&) = default;
};

/// What a waiting caller gets: the coordinator, or a final error.
struct CoordinatorResult {
  std::optional<CoordinatorNode> node;
  std::error_code error;  ///< set iff !node (a kwire::errc or client_errc)
  std::string detail;     ///< the broker's message or a description of the error
};

using CoordinatorCallback = std::function<void(const CoordinatorResult&)>;

/// A FindCoordinator to send to any broker; answer with `id`.
struct CoordinatorLookup {
  std::uint64_t id = 0;
  std::int16_t version = 0;
  protocol::FindCoordinatorRequest request;
};

class CoordinatorCache {
 public:
  struct Options {
    std::int64_t retry_backoff_ms = 100;       ///< retry.backoff.ms
    std::int64_t retry_backoff_max_ms = 1000;  ///< retry.backoff.max.ms
    std::uint64_t seed = 0;                    ///< jitter seed (0: random; tests fix it)
  };

  explicit CoordinatorCache(Options options);

  /// The known coordinator of `key`, or null.
  const CoordinatorNode* find(const CoordinatorKey& key) const;

  /// Answers `callback` at once when the coordinator is known, else queues
  /// it and marks the key for lookup (next_request).
  void lookup(const CoordinatorKey& key, CoordinatorCallback callback);

  /// The next FindCoordinator due at `now_ms` for a broker speaking up to
  /// `max_version` (from its ApiVersions), or nullopt. Call until nullopt.
  /// Keys the version cannot ask for (a transaction key at v0, a share key
  /// below v6) fail their callers with client_errc::unsupported_version.
  std::optional<CoordinatorLookup> next_request(std::int64_t now_ms, std::int16_t max_version);

  /// The broker's answer to the lookup `id`.
  void on_response(std::uint64_t id, const protocol::FindCoordinatorResponse& response, std::int64_t now_ms);
  /// The lookup `id` got no answer (disconnect, timeout): its keys are
  /// asked again after the backoff.
  void on_request_failed(std::uint64_t id, std::error_code error, std::int64_t now_ms);

  /// A request to `key`'s coordinator answered `error`. Returns true (and
  /// forgets the coordinator) for NOT_COORDINATOR and
  /// COORDINATOR_NOT_AVAILABLE: the caller should lookup() and resend.
  bool on_coordinator_error(const CoordinatorKey& key, kwire::errc error);
  /// Forgets every coordinator on `node_id` (its connection dropped).
  void on_disconnect(NodeId node_id);
  /// Forgets `key`'s coordinator.
  void invalidate(const CoordinatorKey& key);

  /// Why the last lookup of `key` failed, while it is retried ({} if none).
  CoordinatorResult last_error(const CoordinatorKey& key) const;
  /// When the earliest backed-off key becomes due (kNoDeadline: none).
  std::int64_t next_deadline_ms() const;
  /// True when some caller waits for `key`.
  bool waiting(const CoordinatorKey& key) const;

 private:
  struct Entry {
    std::optional<CoordinatorNode> node;
    std::vector<CoordinatorCallback> waiters;
    bool wanted = false;            ///< a lookup is needed
    std::uint64_t in_flight = 0;    ///< the lookup carrying this key, 0: none
    std::int32_t failures = 0;      ///< consecutive failed lookups
    std::int64_t not_before_ms = 0;
    CoordinatorResult last_error;
  };

  bool due(const Entry& e, std::int64_t now_ms) const { return e.wanted && e.in_flight == 0 && e.not_before_ms <= now_ms; }
  void resolve(const CoordinatorKey& key, CoordinatorResult result);
  void retry_later(Entry& e, std::error_code error, std::string detail, std::int64_t now_ms);
  void answer_key(const CoordinatorKey& key, kwire::errc error, const std::optional<std::string>& message,
                  CoordinatorNode node, std::int64_t now_ms);

  std::map<CoordinatorKey, Entry> entries_;
  struct Lookup {
    std::int16_t version = 0;
    std::vector<CoordinatorKey> keys;
  };
  /// Keys the broker's version cannot name: their callers are failed.
  void fail_unsupported(std::int16_t version);

  std::map<std::uint64_t, Lookup> in_flight_;  ///< lookup id → what it asked
  std::uint64_t next_id_ = 1;
  ExponentialBackoff backoff_;
};

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
