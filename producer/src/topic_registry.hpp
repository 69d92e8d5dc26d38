#pragma once
// TopicRegistry: what application threads need from metadata — a topic's
// partition count, its available partitions and its error — published by
// the network thread after each Metadata response, and the place send()
// waits (up to max.block.ms) for a topic it has not seen yet.
//
// Snapshots are immutable and shared, so send() reads them under a shared
// lock and keeps using them without it (Java reads a volatile Cluster
// snapshot the same way).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kwire/cluster/metadata_cache.hpp"

namespace kwire::producer {

using cluster::MetadataCache;
using cluster::PartitionInfo;
using cluster::TopicInfo;

struct TopicSnapshot {
  std::int32_t partition_count = 0;  ///< 0: not known (yet)
  std::vector<std::int32_t> available;
  kwire::errc error = kwire::errc::none;
  /// Leader and error per partition (Producer::partitions_for).
  std::vector<PartitionInfo> partitions;
  friend bool operator==(const TopicSnapshot&, const TopicSnapshot&) = default;
};

class TopicRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  /// The topic's snapshot if it has partitions; nullptr otherwise (fast
  /// path, shared lock).
  std::shared_ptr<const TopicSnapshot> find(std::string_view topic) const;
  /// find() through a per-thread cache, for send(): while no publish()
  /// changed anything, a repeated lookup of the same topic takes no lock and
  /// touches no reference count (the shared lock, the map search and the
  /// shared_ptr copy were ~10% of send()'s instructions, issue 8). The
  /// pointer stays valid until the calling thread's next find_cached().
  const TopicSnapshot* find_cached(std::string_view topic) const;

  /// Slow path: asks the network thread for `topic` (queued for
  /// take_requests(), then `wake()`), and waits until its snapshot has more
  /// than `partition` partitions (partition -1: at least one), `deadline`
  /// passes, the topic's metadata has a final error, a cluster failure is
  /// set, or close(). Errors: client_errc::unknown_topic (never appeared),
  /// errc::unknown_topic_or_partition (it has too few partitions), the
  /// topic's error (e.g. topic_authorization_failed), the cluster failure
  /// (authentication_failed; `detail` gets its explanation), shutting_down.
  /// On a timeout `detail` names the topic, the wait and the cause: no
  /// broker reachable (set_cluster_status), or a cluster without the topic.
  std::error_code wait(std::string_view topic, std::int32_t partition, Clock::time_point deadline,
                       const std::function<void()>& wake, std::shared_ptr<const TopicSnapshot>& out,
                       std::string* detail = nullptr);

  /// Network thread: a failure that keeps metadata from arriving (a broker
  /// refused our credentials) fails waiters at once, now and while it is
  /// set — Java's Metadata.fatalError seen by ProducerMetadata.awaitUpdate.
  /// An empty `error` clears it.
  void set_cluster_failure(std::error_code error, std::string detail);

  /// Network thread: why metadata cannot be had, e.g. "no broker reachable —
  /// 127.0.0.1:1: connection refused"; empty once a broker answers. What a
  /// send() that times out waiting for metadata reports (issue #19).
  void set_cluster_status(std::string why);

  /// Network thread: topics send() asked for since the last call.
  std::vector<std::string> take_requests();
  /// Network thread: republishes every tracked topic from `metadata`
  /// (dropping those it no longer tracks) and wakes waiters.
  void publish(const MetadataCache& metadata);
  /// Wakes and fails every waiter, now and later.
  void close();

  /// Bumped by every publish() that changed a snapshot, set_cluster_failure()
  /// and close(). Read it *before* a wait() that may fail, for notify_on_change().
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  /// For callers that must not wait (Producer::try_send): calls `notify`
  /// once the registry changed since `seen` — at once, on the calling
  /// thread, if it already has (no wake-up is lost); else from the
  /// publish(), set_cluster_failure() or close() that changes it, outside
  /// the lock. A notification that throws is ignored.
  void notify_on_change(std::uint64_t seen, std::function<void()> notify);

 private:
  mutable std::shared_mutex mutex_;
  std::condition_variable_any changed_;
  std::map<std::string, std::shared_ptr<const TopicSnapshot>, std::less<>> topics_;
  std::vector<std::string> requests_;
  bool closed_ = false;
  std::error_code cluster_failure_;
  std::string cluster_failure_detail_;
  std::string cluster_status_;
  /// Bumped (under the lock) by every publish() that changed a snapshot,
  /// set_cluster_failure() and close().
  std::atomic<std::uint64_t> generation_{1};
  std::vector<std::function<void()>> change_notifications_;  ///< guarded by mutex_
  /// Bumps generation_ and takes the notifications. Needs mutex_ (exclusive).
  std::vector<std::function<void()>> changed_locked();
  /// Unique per registry, never reused (keys find_cached's per-thread cache).
  const std::uint64_t instance_id_ = next_instance_id();
  static std::uint64_t next_instance_id() noexcept;
  /// The explanation of a wait that timed out (under the lock).
  std::string timeout_detail(std::string_view topic, const TopicSnapshot* snapshot, std::int64_t waited_ms) const;
};

}  // namespace kwire::producer
