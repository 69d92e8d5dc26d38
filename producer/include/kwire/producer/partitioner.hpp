#pragma once
// Choosing a partition for a record: the key hashes other clients use (so the
// same key lands on the same partition whichever client wrote it), sticky
// partitioning for records without a key, and the Partitioner front that
// applies the configured strategy. Pure computation, no I/O.
//
// Thread safety: every function here may be called from any thread.
// StickyPartitionCache and Partitioner serialise their per-topic state with
// one short mutex (a map lookup and a few integer updates per call); the
// random source is a lock-free atomic counter.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kwire/producer/config.hpp"
#include "kwire/producer/record.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::producer {

// ---- key hashes --------------------------------------------------------------

/// Kafka's murmur2 (Java `Utils.murmur2`): MurmurHash2 with seed 0x9747b28c,
/// little-endian 4-byte blocks, returned as Java's signed int.
std::int32_t murmur2(std::span<const std::uint8_t> data) noexcept;

/// Java's `Utils.toPositive`: clears the sign bit. Not abs(): abs(INT32_MIN)
/// overflows, and for negative hashes it gives a different partition.
constexpr std::int32_t to_positive(std::int32_t x) noexcept { return x & 0x7fffffff; }

/// The Java client's partition for a key: toPositive(murmur2(key)) % n.
/// `partition_count` must be > 0.
std::int32_t murmur2_partition(std::span<const std::uint8_t> key,
                               std::int32_t partition_count) noexcept;

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's crc32()
/// and librdkafka's rd_crc32()). CRC-32("123456789") = 0xCBF43926.
std::uint32_t crc32(std::span<const std::uint8_t> data) noexcept;

/// librdkafka's `consistent` partition: crc32(key) % n (unsigned).
std::int32_t crc32_partition(std::span<const std::uint8_t> key,
                             std::int32_t partition_count) noexcept;

/// FNV-1a 32-bit as librdkafka's rd_fnv1a(), which matches Sarama's
/// NewHashPartitioner: the hash taken as int32 and negated when negative.
std::uint32_t fnv1a(std::span<const std::uint8_t> data) noexcept;

/// librdkafka's `fnv1a` partition: fnv1a(key) % n.
std::int32_t fnv1a_partition(std::span<const std::uint8_t> key,
                             std::int32_t partition_count) noexcept;

// ---- randomness --------------------------------------------------------------

/// A thread-safe, lock-free pseudo-random source (SplitMix64 over an atomic
/// counter). Seeded for reproducible tests; not for cryptography.
class RandomSource {
 public:
  /// Seeds from std::random_device.
  RandomSource();
  explicit RandomSource(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept;
  /// Uniform in [0, bound); bound must be > 0.
  std::uint32_t below(std::uint32_t bound) noexcept;

 private:
  std::atomic<std::uint64_t> state_;
};

// ---- sticky partitioning -----------------------------------------------------

/// Sticky partitioning for records without a key (KIP-480, KIP-794): all
/// such records of a topic go to one partition until it has had a batch's
/// worth, then the topic moves to another partition, chosen at random among
/// the available ones (those with a leader) and different from the previous
/// one when there is a choice. Batches fill up instead of every partition
/// getting a tiny batch per linger.ms.
///
/// Two ways to trigger the switch; the accumulator uses one or both:
///  * on_new_batch(topic, p) — KIP-480: the batch for p was closed and a new
///    one is about to be created.
///  * on_append(topic, p, bytes) — KIP-794: count bytes appended to the sticky
///    partition and switch after batch.size bytes.
///
/// Switching is lazy: it forgets the current partition; the next partition()
/// call picks a new one, using the availability it is given.
///
/// Not implemented from KIP-794: adaptive weighting of the choice by queue
/// size (partitioner.adaptive.partitioning.enable) and excluding slow
/// brokers (partitioner.availability.timeout.ms); the choice is uniform.
///
/// Like Java's BuiltInPartitioner, the current partition is not re-checked
/// against availability on every record (that would cost O(partitions) per
/// send): a sticky partition that loses its leader is left when its batch
/// completes.
///
/// Thread safety: all members may be called concurrently. The common calls
/// are lock-free: partition() reads the topic's current partition and
/// on_append() adds to its byte count with atomics, and each thread caches
/// where its last topic's state lives (the per-topic map only grows, so the
/// state never moves); a mutex serialises choosing and switching. (Two
/// mutex-guarded map lookups per record were ~11% of the producer's CPU per
/// 100-byte record, issue 8.) A concurrent send() may see the partition just
/// before a switch, and its bytes may then count towards the next partition;
/// that only changes which batch the record joins and when the next switch
/// happens, by one record.
class StickyPartitionCache {
 public:
  /// `sticky_batch_size`: bytes to produce to a partition before switching
  /// (batch.size; values < 1 count as 1, as Java does).
  explicit StickyPartitionCache(std::int32_t sticky_batch_size, std::uint64_t seed);
  explicit StickyPartitionCache(std::int32_t sticky_batch_size);

  StickyPartitionCache(const StickyPartitionCache&) = delete;
  StickyPartitionCache& operator=(const StickyPartitionCache&) = delete;

  /// The topic's sticky partition, choosing one if there is none yet (or it
  /// is not below `partition_count`). `available`: partitions with a leader
  /// (entries outside [0, partition_count) are ignored); empty means choose
  /// among all. Returns -1 if partition_count <= 0.
  std::int32_t partition(std::string_view topic, std::int32_t partition_count,
                         std::span<const std::int32_t> available = {});

  /// KIP-480: a batch of `prev_partition` was completed; if it is the
  /// topic's sticky partition, move on (the next choice avoids it).
  void on_new_batch(std::string_view topic, std::int32_t prev_partition);

  /// KIP-794: `bytes` were appended to `partition` of `topic`. Once the
  /// sticky partition has had batch.size bytes it switches — provided
  /// `allow_switch` (Java lets the accumulator hold the switch until the
  /// batch is ready to send, so high linger.ms does not leave fractional
  /// batches), and unconditionally at twice batch.size.
  void on_append(std::string_view topic, std::int32_t partition, std::int32_t bytes,
                 bool allow_switch = true);

  /// The topic's current sticky partition without choosing one; -1 if none.
  std::int32_t current(std::string_view topic) const;

 private:
  struct TopicState {
    std::atomic<std::int32_t> partition{-1};      ///< -1: choose on next partition()
    std::atomic<std::int64_t> produced_bytes{0};  ///< to `partition` since it was chosen
    std::int32_t avoid = -1;                      ///< the partition we just left (under mutex_)
  };

  std::int32_t choose(std::int32_t partition_count, std::span<const std::int32_t> available,
                      std::int32_t avoid) noexcept;
  /// The topic's state through the calling thread's one-entry cache; created
  /// when `create`, else nullptr for a topic never partitioned.
  TopicState* state_for(std::string_view topic, bool create);
  /// Forgets the current partition (under mutex_).
  static void leave(TopicState& state, std::int32_t partition) noexcept;

  const std::int32_t sticky_batch_size_;
  /// Unique per cache, never reused (keys the per-thread state cache).
  const std::uint64_t instance_id_;
  RandomSource random_;
  mutable std::mutex mutex_;
  /// Entries are never erased: a TopicState's address is stable.
  std::map<std::string, TopicState, std::less<>> topics_;
};

// ---- the front -----------------------------------------------------------------

/// Applies the configured strategy to one record:
///  1. an explicit record partition (RecordView::partition != -1) wins, as is;
///  2. else a user PartitionFunction, if configured, decides;
///  3. else partitioner.ignore.keys sends every record to the sticky partition;
///  4. else the PartitionerType (see config.hpp) decides from the key.
///
/// Explicit partitions and user-function results are returned unchanged: the
/// caller checks them against the partition count (and fails the record
/// with an error) — the partitioner does not silently remap them.
class Partitioner {
 public:
  struct Options {
    PartitionerType type = PartitionerType::murmur2_random;
    bool ignore_keys = false;
    std::int32_t sticky_batch_size = 16384;
    PartitionFunction function;
    std::optional<std::uint64_t> seed;  ///< unset: random_device
  };

  explicit Partitioner(Options options);
  /// From partitioner, partitioner.ignore.keys, batch.size, partitioner_function.
  explicit Partitioner(const ProducerConfig& config);

  /// The partition for `record`, or -1 if `partition_count` <= 0 (metadata
  /// unknown; the caller should wait for metadata). `available`: partitions
  /// of the topic that have a leader, used for random and sticky choices
  /// (empty: all partitions).
  std::int32_t partition(const RecordView& record, std::int32_t partition_count,
                         std::span<const std::int32_t> available = {});

  /// Forwarded to the sticky cache; see StickyPartitionCache.
  void on_new_batch(std::string_view topic, std::int32_t prev_partition) {
    sticky_.on_new_batch(topic, prev_partition);
  }
  void on_append(std::string_view topic, std::int32_t partition, std::int32_t bytes,
                 bool allow_switch = true) {
    sticky_.on_append(topic, partition, bytes, allow_switch);
  }

  StickyPartitionCache& sticky() noexcept { return sticky_; }
  const Options& options() const noexcept { return options_; }

 private:
  std::int32_t random_partition(std::int32_t partition_count,
                                std::span<const std::int32_t> available) noexcept;

  Options options_;
  StickyPartitionCache sticky_;
  RandomSource random_;
};

}  // namespace kwire::producer

KWIRE_PUBLIC_END
