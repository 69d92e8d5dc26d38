// Sticky partitioning for records without a key (KIP-480, KIP-794).
#include <atomic>
#include <random>
#include <string>

#include "kwire/producer/partitioner.hpp"
#include "same_string.hpp"

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

namespace {
std::atomic<std::uint64_t> next_cache_id{1};
}  // namespace

StickyPartitionCache::StickyPartitionCache(std::int32_t sticky_batch_size, std::uint64_t seed)
    : sticky_batch_size_(sticky_batch_size < 1 ? 1 : sticky_batch_size),
      instance_id_(next_cache_id.fetch_add(1, std::memory_order_relaxed)),
      random_(seed) {}

StickyPartitionCache::StickyPartitionCache(std::int32_t sticky_batch_size)
    : sticky_batch_size_(sticky_batch_size < 1 ? 1 : sticky_batch_size),
      instance_id_(next_cache_id.fetch_add(1, std::memory_order_relaxed)) {}

StickyPartitionCache::TopicState* StickyPartitionCache::state_for(std::string_view topic, bool create) {
  // send() calls partition() then on_append() for the same topic, record
  // after record: remember the last topic's state per thread. The id, unlike
  // the address, is never reused by another cache.
  struct Cache {
    std::uint64_t owner = 0;
    std::string topic;
    TopicState* state = nullptr;
  };
  thread_local Cache cache;
  if (cache.owner == instance_id_ && detail::same_string(cache.topic, topic)) return cache.state;
  TopicState* state = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = topics_.find(topic);
    if (it == topics_.end()) {
      if (!create) return nullptr;
      it = topics_.try_emplace(std::string(topic)).first;
    }
    state = &it->second;
  }
  cache.owner = instance_id_;
  cache.topic.assign(topic);
  cache.state = state;
  return state;
}

void StickyPartitionCache::leave(TopicState& state, std::int32_t partition) noexcept {
  state.avoid = partition;
  state.produced_bytes.store(0, std::memory_order_relaxed);
  state.partition.store(-1, std::memory_order_release);
}

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
  TopicState& state = *state_for(topic, /*create=*/true);
  const std::int32_t current = state.partition.load(std::memory_order_acquire);
  if (current >= 0 && current < partition_count) return current;
  std::lock_guard lock(mutex_);
  std::int32_t chosen = state.partition.load(std::memory_order_relaxed);  // another thread may have chosen
  if (chosen < 0 || chosen >= partition_count) {
    chosen = choose(partition_count, available, state.avoid);
    state.produced_bytes.store(0, std::memory_order_relaxed);
    state.partition.store(chosen, std::memory_order_release);
  }
  return chosen;
}

void StickyPartitionCache::on_new_batch(std::string_view topic, std::int32_t prev_partition) {
  TopicState* state = state_for(topic, /*create=*/false);
  if (!state) return;
  std::lock_guard lock(mutex_);
  // Another thread may already have moved on; only the current partition's
  // batch triggers a switch.
  if (state->partition.load(std::memory_order_relaxed) != prev_partition) return;
  leave(*state, prev_partition);
}

void StickyPartitionCache::on_append(std::string_view topic, std::int32_t partition,
                                     std::int32_t bytes, bool allow_switch) {
  if (partition < 0) return;
  TopicState* state = state_for(topic, /*create=*/false);
  if (!state) return;
  if (state->partition.load(std::memory_order_acquire) != partition) return;  // keyed or explicit record
  const std::int64_t produced = state->produced_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  const std::int64_t size = sticky_batch_size_;
  // KIP-794 / Java BuiltInPartitioner.updatePartitionInfo: switch after
  // batch.size bytes, or 2 * batch.size even when the switch is held back.
  if ((produced >= size && allow_switch) || produced >= 2 * size) {
    std::lock_guard lock(mutex_);
    if (state->partition.load(std::memory_order_relaxed) != partition) return;  // switched meanwhile
    leave(*state, partition);
  }
}

std::int32_t StickyPartitionCache::current(std::string_view topic) const {
  std::lock_guard lock(mutex_);
  const auto it = topics_.find(topic);
  return it == topics_.end() ? -1 : it->second.partition.load(std::memory_order_acquire);
}

}  // namespace kwire::producer
