// Sticky partitioning for records without a key (KIP-480, KIP-794).
#include <random>

#include "kwire/producer/partitioner.hpp"

namespace kwire::producer {

// ---- RandomSource ----------------------------------------------------------------

namespace {
std::uint64_t seed_from_device() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ std::uint64_t{device()};
}
}  // namespace

RandomSource::RandomSource() : state_(seed_from_device()) {}

std::uint64_t RandomSource::next() noexcept {
  // SplitMix64: each caller takes its own counter value, so concurrent
  // callers never share a result and no lock is needed.
  constexpr std::uint64_t golden = 0x9E3779B97F4A7C15ull;
  std::uint64_t z = state_.fetch_add(golden, std::memory_order_relaxed) + golden;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint32_t RandomSource::below(std::uint32_t bound) noexcept {
  // Multiply-shift (Lemire): the bias is at most bound / 2^32, negligible
  // for partition counts.
  const std::uint64_t r = next() >> 32;
  return static_cast<std::uint32_t>((r * bound) >> 32);
}

// ---- StickyPartitionCache ----------------------------------------------------------

StickyPartitionCache::StickyPartitionCache(std::int32_t sticky_batch_size, std::uint64_t seed)
    : sticky_batch_size_(sticky_batch_size < 1 ? 1 : sticky_batch_size), random_(seed) {}

StickyPartitionCache::StickyPartitionCache(std::int32_t sticky_batch_size)
    : sticky_batch_size_(sticky_batch_size < 1 ? 1 : sticky_batch_size) {}

std::int32_t StickyPartitionCache::choose(std::int32_t partition_count,
                                          std::span<const std::int32_t> available,
                                          std::int32_t avoid) noexcept {
  auto valid = [&](std::int32_t p) { return p >= 0 && p < partition_count; };

  std::uint32_t candidates = 0;
  std::uint32_t avoided = 0;
  for (std::int32_t p : available) {
    if (!valid(p)) continue;
    ++candidates;
    if (p == avoid) ++avoided;
  }

  if (candidates == 0) {
    // No partition known to have a leader: choose among all of them, as
    // Java's BuiltInPartitioner does.
    const auto n = static_cast<std::uint32_t>(partition_count);
    if (n > 1 && valid(avoid)) {
      const auto r = random_.below(n - 1);
      return static_cast<std::int32_t>(r >= static_cast<std::uint32_t>(avoid) ? r + 1 : r);
    }
    return static_cast<std::int32_t>(random_.below(n));
  }

  // KIP-480: move to a *different* partition when there is one.
  if (candidates == avoided) return avoid;
  std::uint32_t target = random_.below(candidates - avoided);
  for (std::int32_t p : available) {
    if (!valid(p) || p == avoid) continue;
    if (target-- == 0) return p;
  }
  return avoid;  // unreachable: target < number of eligible entries
}

std::int32_t StickyPartitionCache::partition(std::string_view topic, std::int32_t partition_count,
                                             std::span<const std::int32_t> available) {
  if (partition_count <= 0) return -1;
  std::lock_guard lock(mutex_);
  auto it = topics_.find(topic);
  if (it == topics_.end()) it = topics_.emplace(std::string(topic), TopicState{}).first;
  TopicState& state = it->second;
  if (state.partition < 0 || state.partition >= partition_count) {
    state.partition = choose(partition_count, available, state.avoid);
    state.produced_bytes = 0;
  }
  return state.partition;
}

void StickyPartitionCache::on_new_batch(std::string_view topic, std::int32_t prev_partition) {
  std::lock_guard lock(mutex_);
  const auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  TopicState& state = it->second;
  // Another thread may already have moved on; only the current partition's
  // batch triggers a switch.
  if (state.partition != prev_partition) return;
  state.avoid = prev_partition;
  state.partition = -1;
  state.produced_bytes = 0;
}

void StickyPartitionCache::on_append(std::string_view topic, std::int32_t partition,
                                     std::int32_t bytes, bool allow_switch) {
  std::lock_guard lock(mutex_);
  const auto it = topics_.find(topic);
  if (it == topics_.end()) return;
  TopicState& state = it->second;
  if (state.partition != partition || partition < 0) return;  // keyed or explicit record
  state.produced_bytes += bytes;
  const std::int64_t size = sticky_batch_size_;
  // KIP-794 / Java BuiltInPartitioner.updatePartitionInfo: switch after
  // batch.size bytes, or 2 * batch.size even when the switch is held back.
  if ((state.produced_bytes >= size && allow_switch) || state.produced_bytes >= 2 * size) {
    state.avoid = partition;
    state.partition = -1;
    state.produced_bytes = 0;
  }
}

std::int32_t StickyPartitionCache::current(std::string_view topic) const {
  std::lock_guard lock(mutex_);
  const auto it = topics_.find(topic);
  return it == topics_.end() ? -1 : it->second.partition;
}

}  // namespace kwire::producer
