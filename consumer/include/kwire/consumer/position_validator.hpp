#pragma once
// Leader epoch validation of fetch positions (KIP-320; the validation half
// of Java's OffsetFetcher). A position carries the leader epoch of the record
// before it. When it came from a committed offset, or when the partition's
// leader epoch grew since it was last known good, the new leader may hold a
// log that diverged from the one the records were read from (an unclean
// election truncated it). Before fetching again the consumer asks the
// leader with OffsetForLeaderEpoch where its log of that epoch ends:
//   * at or past the position: the position is good, fetching goes on;
//   * below it: records were lost. With auto.offset.reset the position moves
//     back to where the logs diverge (the leader's end offset of that epoch);
//     with none the partition stops and poll() reports
//     consumer_errc::log_truncation until the application seeks;
//   * undefined (the leader knows nothing of the epoch): a reset by policy.
// FENCED_LEADER_EPOCH and NOT_LEADER_OR_FOLLOWER refresh metadata;
// UNKNOWN_LEADER_EPOCH (the broker is behind) just retries; every retry waits
// retry.backoff.ms. Sans-I/O: the owner sends the requests and hands back
// the answers. Thread: the consumer's own.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "kwire/consumer/fetcher.hpp"
#include "kwire/consumer/subscription_state.hpp"
#include "kwire/protocol/offset_for_leader_epoch.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

class PositionValidator {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  PositionValidator(SubscriptionState& subscriptions, std::chrono::milliseconds retry_backoff) noexcept
      : subscriptions_(subscriptions), retry_backoff_(retry_backoff) {}

  struct NodeValidation {
    std::int32_t node_id = -1;
    protocol::OffsetForLeaderEpochRequest request;
  };

  /// Notes each assigned partition's current leader epoch (a grown one
  /// starts a validation), then builds one request per leader for the
  /// partitions awaiting validation that are neither in flight nor backing off.
  std::vector<NodeValidation> prepare(const LeaderLookup& leaders, TimePoint now);
  /// The answer to a request prepare() built. Problems for the application
  /// (a truncation under auto.offset.reset=none, an authorization error)
  /// are appended to `errors`.
  void on_response(const protocol::OffsetForLeaderEpochResponse& response, TimePoint now,
                   std::vector<FetchError>& errors);
  /// The request got no usable answer: its partitions are asked again after
  /// the backoff, with fresh metadata.
  void on_failure(const protocol::OffsetForLeaderEpochRequest& request, TimePoint now);

  bool take_metadata_refresh() noexcept { return std::exchange(metadata_refresh_, false); }
  /// The earliest backoff end, when something waits for one.
  std::optional<TimePoint> next_wakeup() const;
  /// Truncations detected so far (statistics, tests).
  std::uint64_t truncations() const noexcept { return truncations_; }
  bool in_flight() const noexcept { return !in_flight_.empty(); }

 private:
  struct Asked {
    FetchPosition position;
    std::int32_t current_leader_epoch = -1;
  };
  void retry_later(const TopicPartition& tp, TimePoint now);

  SubscriptionState& subscriptions_;
  std::chrono::milliseconds retry_backoff_;
  std::map<TopicPartition, Asked> in_flight_;
  std::map<TopicPartition, TimePoint> backoff_until_;
  bool metadata_refresh_ = false;
  std::uint64_t truncations_ = 0;
};

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
