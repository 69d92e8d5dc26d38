#pragma once
// The application's offset lookups, sans-I/O (the offsetsForTimes /
// beginningOffsets / endOffsets half of Java's OffsetFetcher): for a set of
// partitions, each with a ListOffsets "timestamp" (a time in ms, or
// list_offsets_timestamp::earliest / latest), the offsets the partitions'
// leaders answer.
//
//  * The partitions need not be assigned to the consumer (Java allows that):
//    their leaders come from the metadata cache (the owner tracks topics()).
//  * One ListOffsets per leader and lookup, naming every partition of the
//    lookup that leader holds, at the consumer's isolation.level: `latest`
//    is the high watermark under read_uncommitted and the last stable offset
//    under read_committed (KIP-98). Each carries the partition's current
//    leader epoch, so a broker behind or ahead of our metadata says so
//    (KIP-320) instead of answering from a stale log.
//  * Retriable answers (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
//    UNKNOWN_TOPIC_OR_PARTITION while a new topic spreads, FENCED_ /
//    UNKNOWN_LEADER_EPOCH, OFFSET_NOT_AVAILABLE during an election, a lost
//    connection), and a leader the metadata does not know yet, ask for a
//    metadata refresh and send that partition again after retry.backoff.ms,
//    to whichever broker leads it then. Partitions already answered stay
//    answered. A non-retriable answer (e.g. TOPIC_AUTHORIZATION_FAILED) ends
//    the lookup with that error, naming the partition.
//  * A lookup ends at its deadline at the latest (client_errc::timed_out,
//    naming each partition still unanswered and its last cause): nothing
//    here waits for an answer that does not come.
//
// Thread: one at a time (ConsumerCore, serialised by the consumer).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/consumer/fetcher.hpp"
#include "kwire/consumer/topic_partition.hpp"
#include "kwire/protocol/list_offsets.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

/// The first record at or after a timestamp (offsets_for_times()), or the
/// log's start or end (beginning_offsets(), end_offsets(): timestamp -1).
struct OffsetAndTimestamp {
  std::int64_t offset = -1;
  std::int64_t timestamp = -1;  ///< of that record; -1 for the log's start and end
  std::optional<std::int32_t> leader_epoch;  ///< the record's leader epoch, when the broker gave one
  friend bool operator==(const OffsetAndTimestamp&, const OffsetAndTimestamp&) = default;
};

/// One lookup's answer.
struct OffsetLookupResult {
  std::uint64_t id = 0;
  /// Empty, a partition's non-retriable Kafka error, a request's final
  /// failure (e.g. an authentication refusal) or client_errc::timed_out.
  std::error_code error;
  std::string message;  ///< with `error`: which partitions, and why
  /// Every partition asked (when `error` is empty); nullopt: no record has a
  /// timestamp at or after the one asked (ListOffsets answered -1).
  std::map<TopicPartition, std::optional<OffsetAndTimestamp>> offsets;
};

/// A ListOffsets request for one lookup, to the leader `node_id`.
struct LookupRequest {
  std::uint64_t lookup_id = 0;
  std::int32_t node_id = -1;
  protocol::ListOffsetsRequest request;
};

class OffsetLookups {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  /// `isolation`: isolation.level; `request_timeout_ms` goes into
  /// ListOffsets v10+'s TimeoutMs (how long a broker may spend reading
  /// tiered storage, KIP-1075).
  OffsetLookups(protocol::IsolationLevel isolation, std::chrono::milliseconds retry_backoff,
                std::int32_t request_timeout_ms);

  /// Starts lookup `id` of `timestamps` (per partition a time in ms, or
  /// list_offsets_timestamp::earliest / latest), ending at `deadline`. An
  /// empty map is answered at once.
  void start(std::uint64_t id, std::map<TopicPartition, std::int64_t> timestamps, TimePoint deadline);
  /// Ends lookup `id` now as timed out (the caller stopped waiting): its
  /// result, or nullopt when it had ended already (see take_results()).
  std::optional<OffsetLookupResult> expire(std::uint64_t id);

  /// The requests to send now. Lookups past their deadline end here.
  std::vector<LookupRequest> prepare(const LeaderLookup& leaders, TimePoint now);
  /// The answer to a request prepare() made (ignored once its lookup ended).
  void on_response(std::uint64_t lookup_id, const protocol::ListOffsetsRequest& sent,
                   const protocol::ListOffsetsResponse& response, TimePoint now);
  /// That request got no answer after the cluster layer's own retries.
  void on_failure(std::uint64_t lookup_id, const protocol::ListOffsetsRequest& sent, std::error_code error,
                  TimePoint now);

  std::vector<OffsetLookupResult> take_results();
  bool take_metadata_refresh() noexcept;
  /// Topics of lookups under way (the metadata cache must track them).
  std::set<std::string> topics() const;
  /// When prepare() has something to do without an answer arriving.
  std::optional<TimePoint> next_wakeup(TimePoint now) const;
  bool empty() const noexcept { return lookups_.empty(); }

 private:
  struct Pending {
    std::int64_t timestamp = 0;
    bool in_flight = false;
    TimePoint not_before{};
    std::string last_cause;  ///< why it is not answered yet (for a timeout's message)
  };
  struct Lookup {
    TimePoint deadline{};
    std::map<TopicPartition, Pending> pending;
    std::map<TopicPartition, std::optional<OffsetAndTimestamp>> answered;
  };

  /// `tp` is asked again after the backoff; `refresh`: from fresh metadata.
  void retry_later(Pending& pending, std::string cause, bool refresh, TimePoint now);
  void finish(std::uint64_t id, std::error_code error, std::string message);
  static std::string unanswered(const Lookup& lookup);

  protocol::IsolationLevel isolation_;
  std::chrono::milliseconds retry_backoff_;
  std::int32_t request_timeout_ms_;
  std::map<std::uint64_t, Lookup> lookups_;
  std::vector<OffsetLookupResult> results_;
  bool metadata_refresh_ = false;
};

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
