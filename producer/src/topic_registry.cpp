#include "topic_registry.hpp"

#include <algorithm>
#include <mutex>
#include <string>

#include "kwire/protocol/client_error.hpp"
#include "notifications.hpp"
#include "same_string.hpp"

namespace kwire::producer {

std::shared_ptr<const TopicSnapshot> TopicRegistry::find(std::string_view topic) const {
  std::shared_lock lock(mutex_);
  auto it = topics_.find(topic);
  if (it == topics_.end() || it->second->partition_count == 0) return nullptr;
  return it->second;
}

std::uint64_t TopicRegistry::next_instance_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

const TopicSnapshot* TopicRegistry::find_cached(std::string_view topic) const {
  struct Cache {
    std::uint64_t owner = 0;
    std::uint64_t generation = 0;
    std::string topic;
    std::shared_ptr<const TopicSnapshot> snapshot;
  };
  thread_local Cache cache;
  // Read before find(): a publish() in between makes the cache look older
  // than its snapshot, so the next call looks again — never the reverse.
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  if (cache.owner == instance_id_ && cache.generation == generation && detail::same_string(cache.topic, topic))
    return cache.snapshot.get();
  std::shared_ptr<const TopicSnapshot> found = find(topic);
  if (!found) return nullptr;
  cache.owner = instance_id_;
  cache.generation = generation;
  cache.topic.assign(topic);
  cache.snapshot = std::move(found);
  return cache.snapshot.get();
}

std::error_code TopicRegistry::wait(std::string_view topic, std::int32_t partition, Clock::time_point deadline,
                                    const std::function<void()>& wake, std::shared_ptr<const TopicSnapshot>& out,
                                    std::string* detail) {
  // The caller's max.block.ms (rounded up: the deadline was set a moment ago).
  const auto waited_ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  std::unique_lock lock(mutex_);
  bool asked = false;
  while (true) {
    if (closed_) return make_error_code(client_errc::shutting_down);
    auto it = topics_.find(topic);
    const TopicSnapshot* snapshot = it == topics_.end() ? nullptr : it->second.get();
    if (snapshot && snapshot->partition_count > 0 && partition < snapshot->partition_count) {
      out = it->second;
      return {};
    }
    if (snapshot && snapshot->error != kwire::errc::none) {
      // Final errors (authorization, invalid name) fail at once, as Java's
      // waitOnMetadata throws them; "being created" ones wait.
      const ErrorTraits traits = error_traits(snapshot->error);
      if (!traits.retriable && !traits.refresh_metadata) return make_error_code(snapshot->error);
    }
    if (cluster_failure_) {
      if (detail) *detail = cluster_failure_detail_;
      return cluster_failure_;
    }
    if (!asked) {
      if (std::find(requests_.begin(), requests_.end(), topic) == requests_.end()) requests_.emplace_back(topic);
      asked = true;
      wake();  // posts to the network thread: cheap, never re-enters
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      it = topics_.find(topic);
      if (it != topics_.end() && it->second->partition_count > 0) {
        if (partition < it->second->partition_count) {
          out = it->second;
          return {};
        }
        if (detail)
          *detail = "topic " + std::string(topic) + " has " + std::to_string(it->second->partition_count) +
                    " partition(s); partition " + std::to_string(partition) + " does not exist";
        return make_error_code(kwire::errc::unknown_topic_or_partition);
      }
      if (detail) *detail = timeout_detail(topic, it == topics_.end() ? nullptr : it->second.get(), waited_ms);
      return make_error_code(client_errc::unknown_topic);
    }
  }
}

std::vector<std::string> TopicRegistry::take_requests() {
  std::unique_lock lock(mutex_);
  std::vector<std::string> out;
  out.swap(requests_);
  return out;
}

void TopicRegistry::publish(const MetadataCache& metadata) {
  std::unique_lock lock(mutex_);
  bool changed = false;
  for (auto it = topics_.begin(); it != topics_.end();) {
    if (!metadata.wants(it->first)) {
      it = topics_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (const std::string& name : metadata.wanted_topics()) {
    const TopicInfo* info = metadata.topic(name);
    if (!info) continue;
    TopicSnapshot next{info->partition_count(), info->available, info->error, info->partitions};
    auto it = topics_.find(name);
    if (it != topics_.end() && *it->second == next) continue;
    topics_[name] = std::make_shared<const TopicSnapshot>(std::move(next));
    changed = true;
  }
  std::vector<std::function<void()>> notifications;
  if (changed) notifications = changed_locked();
  lock.unlock();
  if (changed) changed_.notify_all();
  detail::run_notifications(notifications);
}

std::string TopicRegistry::timeout_detail(std::string_view topic, const TopicSnapshot* snapshot,
                                          std::int64_t waited_ms) const {
  std::string text = "topic " + std::string(topic) + " not in metadata after " +
                     std::to_string(std::max<std::int64_t>(0, waited_ms)) + " ms";
  if (!cluster_status_.empty()) return text + ": " + cluster_status_;
  if (snapshot && snapshot->error == kwire::errc::unknown_topic_or_partition)
    return text + ": the cluster does not have it (UNKNOWN_TOPIC_OR_PARTITION: check the name, create the topic, "
                  "or enable auto.create.topics.enable on the brokers)";
  if (snapshot && snapshot->error != kwire::errc::none)
    return text + ": the cluster answers " + make_error_code(snapshot->error).message();
  return text;
}

void TopicRegistry::set_cluster_status(std::string why) {
  std::unique_lock lock(mutex_);
  cluster_status_ = std::move(why);
}

void TopicRegistry::set_cluster_failure(std::error_code error, std::string detail) {
  std::vector<std::function<void()>> notifications;
  {
    std::unique_lock lock(mutex_);
    cluster_failure_ = error;
    cluster_failure_detail_ = error ? std::move(detail) : std::string();
    notifications = changed_locked();
  }
  if (error) changed_.notify_all();
  detail::run_notifications(notifications);
}

void TopicRegistry::close() {
  std::vector<std::function<void()>> notifications;
  {
    std::unique_lock lock(mutex_);
    closed_ = true;
    notifications = changed_locked();
  }
  changed_.notify_all();
  detail::run_notifications(notifications);
}

void TopicRegistry::notify_on_change(std::uint64_t seen, std::function<void()> notify) {
  if (!notify) return;
  {
    std::unique_lock lock(mutex_);
    if (generation_.load(std::memory_order_relaxed) == seen) {
      change_notifications_.push_back(std::move(notify));
      return;
    }
  }
  std::vector<std::function<void()>> now;
  now.push_back(std::move(notify));
  detail::run_notifications(now);
}

std::vector<std::function<void()>> TopicRegistry::changed_locked() {
  generation_.fetch_add(1, std::memory_order_release);
  std::vector<std::function<void()>> out;
  out.swap(change_notifications_);
  return out;
}


}  // namespace kwire::producer
