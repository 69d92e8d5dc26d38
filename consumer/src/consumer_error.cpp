#include "kwire/consumer/consumer_error.hpp"

#include <string>

namespace kwire {
namespace {

class ConsumerCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kwire.consumer"; }
  std::string message(int value) const override {
    switch (static_cast<consumer_errc>(value)) {
      case consumer_errc::ok: return "success";
      case consumer_errc::no_offset_for_partition:
        return "no offset to start from and auto.offset.reset is none: seek() first";
      case consumer_errc::partition_not_assigned: return "partition not assigned to this consumer";
      case consumer_errc::max_poll_interval_exceeded:
        return "poll() not called within max.poll.interval.ms: left the group";
      case consumer_errc::member_lost_partitions: return "removed from the group: partitions lost";
      case consumer_errc::fatal_group_error: return "fatal group membership error";
      case consumer_errc::no_group_id: return "group.id is not set: no commits, no committed offsets";
      case consumer_errc::closed: return "the consumer is closed";
      case consumer_errc::group_protocol_unsupported:
        return "group.protocol=consumer: the broker does not offer the KIP-848 consumer group protocol "
               "(ConsumerGroupHeartbeat needs Kafka 4.0+ with group.version >= 1); use group.protocol=classic";
      case consumer_errc::log_truncation:
        return "the log was truncated below the position (KIP-320) and auto.offset.reset is none: seek() first";
    }
    return "unknown consumer error";
  }
};

}  // namespace

const std::error_category& consumer_category() noexcept {
  static const ConsumerCategory category;
  return category;
}

}  // namespace kwire
