#pragma once
// TopicPartition: the key the accumulator queues batches under and the
// sender groups produce requests by (Kafka's o.a.k.common.TopicPartition).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace kwire::producer {

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

}  // namespace kwire::producer

template <>
struct std::hash<kwire::producer::TopicPartition> : kwire::producer::TopicPartitionHash {};
