#pragma once
// Errors the consumer raises itself (broker errors are kwire::errc, library
// errors kwire::client_errc).
#include <system_error>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire {

enum class consumer_errc {
  ok = 0,
  /// A partition has no committed offset (or its offset is out of range) and
  /// auto.offset.reset is none: the application must seek() (Java
  /// NoOffsetForPartitionException).
  no_offset_for_partition,
  /// The partition is not in the consumer's assignment.
  partition_not_assigned,
  /// poll() was not called within max.poll.interval.ms: the member left the
  /// group and its partitions were revoked; the next poll() rejoins.
  max_poll_interval_exceeded,
  /// The member was removed from the group (generation or member id reset):
  /// its partitions are lost and commits for them refused.
  member_lost_partitions,
  /// The group coordinator refused this member for good (e.g. another live
  /// member uses the same group.instance.id, KIP-345).
  fatal_group_error,
  /// Commits and committed offsets need group.id.
  no_group_id,
  /// The consumer is closed (or closing).
  closed,
  /// group.protocol=consumer, but the broker does not offer KIP-848's
  /// consumer group protocol (no ConsumerGroupHeartbeat in its ApiVersions,
  /// or UNSUPPORTED_VERSION: Kafka 3.9, or 4.x with it disabled).
  group_protocol_unsupported,
  /// KIP-320: the partition's log was truncated below the consumer's
  /// position (an unclean leader election lost records it had read) and
  /// auto.offset.reset is none: the application must seek() (Java
  /// LogTruncationException).
  log_truncation,
};

const std::error_category& consumer_category() noexcept;

inline std::error_code make_error_code(consumer_errc e) noexcept { return {static_cast<int>(e), consumer_category()}; }

}  // namespace kwire

template <>
struct std::is_error_code_enum<kwire::consumer_errc> : std::true_type {};

KWIRE_PUBLIC_END
