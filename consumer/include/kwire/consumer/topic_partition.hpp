#pragma once
// A partition of a topic, ordered by topic name then partition number (the
// order Kafka's assignors and ConsumerProtocol writers use).
#include <compare>
#include <cstdint>
#include <string>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
};

/// "topic/partition", as messages name a partition.
inline std::string to_string(const TopicPartition& tp) { return tp.topic + "/" + std::to_string(tp.partition); }

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
