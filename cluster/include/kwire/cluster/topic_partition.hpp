#pragma once
// TopicPartition: a partition of a topic by name (Kafka's
// o.a.k.common.TopicPartition): the key metadata, the producer's accumulator
// and the consumer's positions are kept under.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

struct TopicPartition {
  std::string topic;
  std::int32_t partition = -1;

  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
};

/// Hash for unordered containers. Mixes the partition into the topic's hash
/// (boost::hash_combine's constant) so "t"/0 and "t"/1 land apart.
struct TopicPartitionHash {
  std::size_t operator()(const TopicPartition& tp) const noexcept {
    std::size_t h = std::hash<std::string_view>{}(tp.topic);
    h ^= std::hash<std::int32_t>{}(tp.partition) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
  }
};

}  // namespace kwire::cluster

template <>
struct std::hash<kwire::cluster::TopicPartition> : kwire::cluster::TopicPartitionHash {};

KWIRE_PUBLIC_END
