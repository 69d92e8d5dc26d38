#pragma once
// What the consumer knows about the partitions it reads (Java
// SubscriptionState): the subscribed topics, the assigned partitions, each
// one's position (offset + the leader epoch of the record before it,
// KIP-320), pause state, and pending offset resets.
//
// Lifecycle of an assigned partition:
//   assigned without a position -> the committed offset arrives
//   (apply_committed) or the application seeks -> fetchable; a partition
//   without a committed offset, or hit by OFFSET_OUT_OF_RANGE at its current
//   position, waits for a reset (ListOffsets at the policy's timestamp,
//   complete_reset). With auto.offset.reset=none it gets no position and the
//   caller reports consumer_errc::no_offset_for_partition (or the broker's
//   OFFSET_OUT_OF_RANGE) until the application seeks.
//
// Leader epochs (KIP-320): a position that carries the epoch of the record
// before it is validated before it is fetched from when it came from a
// committed offset, and again whenever the partition's leader epoch grows
// (a new leader may have a log that diverged from the old one):
// note_leader_epoch() starts a validation, complete_validation() ends it.
// A position the application seeks to is taken as is, as in Java.
//
// Pause state belongs to the assignment: a partition that stays assigned
// across a rebalance (cooperative) stays paused; one that is revoked and
// assigned again (eager, or moved away and back) starts unpaused, as in
// Java. Thread: the consumer's own (not thread-safe).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kwire/consumer/topic_partition.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

/// auto.offset.reset.
enum class OffsetResetPolicy { earliest, latest, none };

/// Kafka's names plus librdkafka's aliases (smallest/beginning,
/// largest/end, error); nullopt for anything else.
std::optional<OffsetResetPolicy> parse_offset_reset_policy(std::string_view text) noexcept;

/// The ListOffsets timestamp a reset looks up: -2 earliest, -1 latest (the
/// LSO under read_committed).
std::int64_t list_offsets_timestamp(OffsetResetPolicy policy) noexcept;

struct FetchPosition {
  std::int64_t offset = 0;
  /// Leader epoch of the last record consumed before `offset` (-1 unknown).
  std::int32_t leader_epoch = -1;
  friend bool operator==(const FetchPosition&, const FetchPosition&) = default;
};

class SubscriptionState {
 public:
  explicit SubscriptionState(OffsetResetPolicy policy = OffsetResetPolicy::latest) noexcept : policy_(policy) {}

  OffsetResetPolicy reset_policy() const noexcept { return policy_; }

  // ---- subscription (group mode)
  void subscribe(std::set<std::string> topics) { topics_ = std::move(topics); }
  const std::set<std::string>& subscription() const noexcept { return topics_; }

  // ---- assignment
  /// Replaces the assignment. Partitions kept keep their position and pause
  /// state; the others are forgotten; new ones start without a position.
  void assign(const std::vector<TopicPartition>& partitions);
  /// Cooperative: adds partitions (without a position) and removes others.
  void add_partitions(const std::vector<TopicPartition>& partitions);
  void remove_partitions(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> assignment() const;
  bool is_assigned(const TopicPartition& tp) const { return partitions_.contains(tp); }

  // ---- positions
  std::optional<FetchPosition> position(const TopicPartition& tp) const;
  /// Sets the position (seek, or records handed out); cancels a pending reset.
  std::error_code seek(const TopicPartition& tp, FetchPosition position);
  /// Assigned partitions with no position and no reset pending: their
  /// committed offsets are to be fetched (OffsetFetch).
  std::vector<TopicPartition> awaiting_committed_offset() const;
  /// The OffsetFetch answer: an offset >= 0 becomes the position; none
  /// (-1) starts a reset under the policy. Ignored for partitions that got a
  /// position meanwhile (a seek wins).
  std::error_code apply_committed(const TopicPartition& tp, std::optional<FetchPosition> committed);

  // ---- resets
  /// Starts a reset under `policy` (default: auto.offset.reset). With none,
  /// the partition loses its position and consumer_errc::no_offset_for_partition
  /// is returned.
  std::error_code request_reset(const TopicPartition& tp, std::optional<OffsetResetPolicy> policy = std::nullopt);
  /// A Fetch answered OFFSET_OUT_OF_RANGE for `fetch_offset`: reset if that is
  /// still the position (else the answer is stale and ignored). Without a
  /// policy returns kwire::errc::offset_out_of_range.
  std::error_code on_offset_out_of_range(const TopicPartition& tp, std::int64_t fetch_offset);
  /// Partitions waiting for a reset -> the ListOffsets timestamp to send.
  std::map<TopicPartition, std::int64_t> pending_resets() const;
  /// The ListOffsets answer; applied only while that reset is still pending.
  bool complete_reset(const TopicPartition& tp, FetchPosition position);

  // ---- leader epoch validation (KIP-320)
  /// The partition's current leader epoch, from metadata: a position with a
  /// known epoch that was set under an older leader epoch must be validated.
  void note_leader_epoch(const TopicPartition& tp, std::int32_t current_leader_epoch);
  /// note_leader_epoch() for every assigned partition with a position;
  /// `current_leader_epoch` answers -1 when unknown.
  void note_leader_epochs(const std::function<std::int32_t(const TopicPartition&)>& current_leader_epoch);
  /// Partitions whose position waits for an OffsetForLeaderEpoch answer.
  std::vector<TopicPartition> awaiting_validation() const;
  /// The position waits for validation, or for a seek after a truncation:
  /// records fetched for it must not be handed out.
  bool position_unchecked(const TopicPartition& tp) const;
  /// The answer for a validation of `asked` (ignored unless that is still
  /// the position being validated). `end_offset`/`end_epoch`: where the
  /// leader's log of the position's epoch ends (-1: undefined). Returns
  /// consumer_errc::log_truncation when the log ends below the position and
  /// the policy is none (the partition then waits for a seek); with a
  /// policy the position moves back to where the logs diverge, or is reset
  /// when the leader knows nothing of the epoch. `truncated` tells whether
  /// records were lost.
  std::error_code complete_validation(const TopicPartition& tp, FetchPosition asked, std::int32_t current_leader_epoch,
                                      std::int64_t end_offset, std::int32_t end_epoch, bool& truncated);

  // ---- pause
  void pause(const std::vector<TopicPartition>& partitions);
  void resume(const std::vector<TopicPartition>& partitions);
  bool is_paused(const TopicPartition& tp) const;
  std::vector<TopicPartition> paused() const;

  /// Assigned, with a validated position, no reset pending, not paused.
  bool is_fetchable(const TopicPartition& tp) const;
  std::vector<TopicPartition> fetchable() const;

 private:
  struct PartitionState {
    std::optional<FetchPosition> position;
    std::optional<OffsetResetPolicy> pending_reset;
    bool paused = false;
    bool awaiting_validation = false;
    bool awaiting_seek = false;             ///< truncated under policy none
    std::int32_t validated_leader_epoch = -1;  ///< the leader epoch the position is known good under
  };

  PartitionState* find(const TopicPartition& tp);
  static void note_leader_epoch(PartitionState& state, std::int32_t current_leader_epoch);

  OffsetResetPolicy policy_;
  std::set<std::string> topics_;
  std::map<TopicPartition, PartitionState> partitions_;
};

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
