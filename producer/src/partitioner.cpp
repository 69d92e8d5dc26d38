// The Partitioner front: explicit partition, user function, or the
// configured strategy (names and key semantics of librdkafka's `partitioner`).
#include "kwire/producer/partitioner.hpp"

namespace kwire::producer {

namespace {
RandomSource make_random(const std::optional<std::uint64_t>& seed) {
  if (seed) return RandomSource(*seed);
  return RandomSource();
}
}  // namespace

Partitioner::Partitioner(Options options)
    : options_(std::move(options)),
      // The sticky cache and the per-record random choice draw from
      // different streams so a fixed seed gives independent sequences.
      sticky_(options_.sticky_batch_size,
              options_.seed ? *options_.seed ^ 0x5DEECE66Dull : RandomSource().next()),
      random_(make_random(options_.seed)) {}

Partitioner::Partitioner(const ProducerConfig& config)
    : Partitioner(Options{config.partitioner, config.partitioner_ignore_keys, config.batch_size,
                          config.partitioner_function, std::nullopt}) {}

std::int32_t Partitioner::random_partition(std::int32_t partition_count,
                                           std::span<const std::int32_t> available) noexcept {
  // Uniform over the available partitions (librdkafka's `random` retries an
  // unavailable pick once; choosing among available ones directly is the
  // same intent without the bias).
  std::uint32_t candidates = 0;
  for (std::int32_t p : available)
    if (p >= 0 && p < partition_count) ++candidates;
  if (candidates == 0)
    return static_cast<std::int32_t>(random_.below(static_cast<std::uint32_t>(partition_count)));
  std::uint32_t target = random_.below(candidates);
  for (std::int32_t p : available) {
    if (p < 0 || p >= partition_count) continue;
    if (target-- == 0) return p;
  }
  return 0;  // unreachable
}

std::int32_t Partitioner::partition(const RecordView& record, std::int32_t partition_count,
                                    std::span<const std::int32_t> available) {
  if (record.has_partition()) return record.partition;
  if (partition_count <= 0) return -1;
  if (options_.function) return options_.function(record.topic, record.key, partition_count);

  auto sticky = [&] { return sticky_.partition(record.topic, partition_count, available); };
  if (options_.ignore_keys) return sticky();

  static constexpr std::span<const std::uint8_t> empty_key{};
  const auto& key = record.key;
  switch (options_.type) {
    case PartitionerType::murmur2_random:
      // Java's default: any non-null key is hashed, the empty one included.
      return key ? murmur2_partition(*key, partition_count) : sticky();
    case PartitionerType::murmur2:
      return murmur2_partition(key.value_or(empty_key), partition_count);
    case PartitionerType::consistent_random:
      // librdkafka treats an empty key like a null one here (keylen == 0).
      return (key && !key->empty()) ? crc32_partition(*key, partition_count) : sticky();
    case PartitionerType::consistent:
      return crc32_partition(key.value_or(empty_key), partition_count);
    case PartitionerType::fnv1a_random:
      return key ? fnv1a_partition(*key, partition_count) : sticky();
    case PartitionerType::fnv1a:
      return fnv1a_partition(key.value_or(empty_key), partition_count);
    case PartitionerType::random:
      return random_partition(partition_count, available);
  }
  return sticky();
}

}  // namespace kwire::producer
