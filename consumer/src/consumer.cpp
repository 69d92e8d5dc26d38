// kwire::Consumer: ConsumerCore on the cluster layer (see consumer.hpp).
#include "kwire/consumer/consumer.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "kwire/cluster/broker_statistics.hpp"
#include "kwire/cluster/cluster.hpp"
#include "kwire/cluster/cluster_runtime.hpp"
#include "kwire/net/transport.hpp"
#include "kwire/protocol/client_error.hpp"
#include "group/membership.hpp"

namespace kwire::consumer {
namespace {

using Clock = ConsumerCore::Clock;
using cluster::ClusterRuntime;

/// How often the network side looks at the core's timers (heartbeats,
/// auto-commit, backoffs) when nothing else wakes it.
constexpr std::chrono::milliseconds kTick{50};

/// Where the first partition's records of `response` start (nullptr: none).
const std::uint8_t* first_records(const protocol::FetchResponse& response) {
  for (const auto& topic : response.responses)
    for (const auto& partition : topic.partitions)
      if (partition.records && !partition.records->empty()) return partition.records->data();
  return nullptr;
}

/// A group coordinator that moved (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE:
/// find it again) or is loading is retried within the request's deadline,
/// as Java's commitSync and OffsetFetch do. OffsetCommit and OffsetFetch v8+
/// carry these errors per partition / per group, where the cluster layer's
/// top-level classification does not look.
cluster::Retry coordinator_retry(kwire::errc error) {
  switch (error) {
    case kwire::errc::not_coordinator:
    case kwire::errc::coordinator_not_available: return cluster::Retry::after_refresh;
    case kwire::errc::coordinator_load_in_progress: return cluster::Retry::after_backoff;
    default: return cluster::Retry::no;
  }
}

template <class Req, class Resp>
cluster::ResponseCheck<Req, Resp> coordinator_check() {
  if constexpr (std::is_same_v<Req, protocol::OffsetCommitRequest>) {
    return [](const Resp& response, Req&) { return coordinator_retry(group::first_commit_error(response)); };
  } else if constexpr (std::is_same_v<Req, protocol::OffsetFetchRequest>) {
    return [](const Resp& response, Req&) {
      return coordinator_retry(response.groups.empty() ? response.error_code : response.groups.front().error_code);
    };
  } else {
    return {};
  }
}

}  // namespace

/// Wall clock, ms since the epoch (statistics timestamps).
std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

cluster::LogHandler log_handler(cluster::LogHandler given, const ConsumerConfig& config) {
  if (given) return given;
  return cluster::stderr_log_handler(config.debug.empty() ? cluster::LogLevel::warning : cluster::LogLevel::debug);
}

struct Consumer::Impl {
  Impl(ConsumerConfig c, cluster::LogHandler handler, asio::io_context* io)
      : config(std::move(c)),
        log(log_handler(std::move(handler), config)),
        runtime(static_cast<const cluster::ClientConfig&>(config),
                ClusterRuntime::Options{.log = log, .io = io, .on_metadata = {}}),
        core(config, Clock::now(), cluster::Logger(log, config.debug_categories())) {}

  /// The network side's handlers (every(), post()) use the members below
  /// `runtime`: it stops before they go, whatever close() did.
  ~Impl() { runtime.close(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ConsumerConfig config;
  cluster::LogHandler log;
  ClusterRuntime runtime;
  const std::int64_t created_ms = ClusterRuntime::now_ms();
  mutable std::mutex mu;
  std::condition_variable changed;  ///< the core got an answer (records, commit results, events)
  ConsumerCore core;                ///< guarded by mu
  std::map<std::uint64_t, CommitResult> commit_results;                   ///< guarded by mu
  std::map<std::uint64_t, ConsumerCore::CommittedResult> committed_results;  ///< guarded by mu
  std::map<std::uint64_t, OffsetLookupResult> lookup_results;                ///< guarded by mu
  std::map<std::uint64_t, std::function<void(const CommitResult&)>> commit_callbacks;  ///< app thread only
  bool closed = false;  ///< app thread only

  void start() {
    // Once, ahead of every drive() round (the runtime runs posts in order).
    runtime.post([this](cluster::Cluster& cluster) {
      cluster.metadata().set_allow_auto_topic_creation(config.allow_auto_create_topics);
    });
    const bool statistics = config.statistics_interval_ms > 0 && config.statistics_callback;
    if (config.statistics_interval_ms > 0 && !config.statistics_callback)
      log(cluster::LogLevel::warning, cluster::LogCategory::consumer,
          "statistics.interval.ms is set but ConsumerConfig::statistics_callback is not: no statistics are "
          "delivered (read them with Consumer::statistics())");
    // Heartbeats, fetches and auto-commits are due whatever the
    // application does: a round every tick on the network side.
    runtime.every(kTick, [this](cluster::Cluster& cluster) { drive(cluster); });
    if (statistics)
      runtime.every(std::chrono::milliseconds(config.statistics_interval_ms),
                    [this](cluster::Cluster& cluster) { deliver_statistics(cluster); });
  }

  /// On the network thread (a handler on the caller's io_context) nothing
  /// may wait for the network: it would wait for itself.
  bool cannot_wait() const { return runtime.on_network_thread(); }
  /// Throws operation_would_block for `call` (one that waits for an answer)
  /// on the network thread.
  void refuse_on_network_thread(std::string_view call) const {
    if (cannot_wait())
      throw std::system_error(std::make_error_code(std::errc::operation_would_block),
                              std::string(call) + " on the network thread");
  }

  /// The snapshot; `cluster` (network thread) adds the brokers.
  ConsumerStatistics collect_statistics(const cluster::Cluster* cluster) {
    ConsumerStatistics s;
    s.client_id = config.client_id;
    s.timestamp_ms = wall_now_ms();
    s.age_ms = ClusterRuntime::now_ms() - created_ms;
    {
      std::lock_guard lock(mu);
      core.collect_statistics(s);
    }
    if (cluster != nullptr) {
      s.brokers = cluster::broker_statistics(cluster->pool(), cluster->metadata());
      for (auto& p : s.partitions) {
        const cluster::TopicInfo* topic = cluster->metadata().topic(p.topic);
        if (topic != nullptr && p.partition < topic->partition_count())
          p.leader = topic->partitions[static_cast<std::size_t>(p.partition)].leader.value();
      }
    }
    return s;
  }

  void deliver_statistics(const cluster::Cluster& cluster) {
    try {
      const ConsumerStatistics s = collect_statistics(&cluster);
      config.statistics_callback(s, to_json(s));
    } catch (...) {
      // A throwing callback must not take the network thread down.
    }
  }

  /// Has the network thread run a round soon.
  void kick() {
    runtime.post([this](cluster::Cluster& cluster) { drive(cluster); });
  }

  /// The results the core produced, kept by id (under mu).
  void drain_results() {
    for (auto& r : core.take_commit_results()) commit_results[r.id] = std::move(r);
    for (auto& r : core.take_committed()) committed_results[r.id] = std::move(r);
    for (auto& r : core.take_offset_lookups()) lookup_results[r.id] = std::move(r);
  }

  /// Waits (application thread) for result `id` to land in `results`. At
  /// `deadline` it is `at_deadline()`'s (called under mu; nullopt: none).
  template <class Result, class AtDeadline>
  std::optional<Result> await(std::map<std::uint64_t, Result>& results, std::uint64_t id, Clock::time_point deadline,
                              AtDeadline at_deadline) {
    std::unique_lock lock(mu);
    for (;;) {
      drain_results();
      if (auto it = results.find(id); it != results.end()) {
        Result result = std::move(it->second);
        results.erase(it);
        return result;
      }
      if (Clock::now() >= deadline) return at_deadline();
      changed.wait_until(lock, std::min(deadline, Clock::now() + kTick));
    }
  }

  ClusterView view(cluster::Cluster& cluster) {
    ClusterView v;
    v.leader = [&cluster](const TopicPartition& tp) -> std::optional<PartitionLeader> {
      const cluster::TopicInfo* topic = cluster.metadata().topic(tp.topic);
      if (topic == nullptr || tp.partition < 0 || tp.partition >= topic->partition_count()) return std::nullopt;
      const auto& p = topic->partitions[static_cast<std::size_t>(tp.partition)];
      if (!p.leader.valid()) return std::nullopt;
      return PartitionLeader{.node_id = p.leader.value(), .leader_epoch = p.leader_epoch, .topic_id = topic->topic_id};
    };
    v.fetch_version = [&cluster](std::int32_t node) -> std::int16_t {
      const auto negotiated = cluster.pool().negotiated_version(cluster::NodeKey{NodeId{node}, cluster::Lane::data},
                                                                protocol::ApiKey::fetch);
      // Unknown before the connection is up: v12 names topics by name and
      // has sessions; every broker kwire supports speaks it.
      return negotiated ? std::min(*negotiated, protocol::FetchRequest::max_version) : std::int16_t{12};
    };
    v.partition_count = [&cluster](const std::string& name) -> std::optional<std::int32_t> {
      const cluster::TopicInfo* topic = cluster.metadata().topic(name);
      if (topic == nullptr) return std::nullopt;
      // A topic that does not exist has no partitions to assign (Java's leader
      // leaves it out); while the first answer is awaited, wait.
      if (topic->partitions.empty())
        return topic->error == kwire::errc::unknown_topic_or_partition ? std::optional<std::int32_t>(0) : std::nullopt;
      return topic->partition_count();
    };
    v.topic_name = [&cluster](const protocol::Uuid& id) -> std::optional<std::string> {
      const std::string* name = cluster.metadata().topic_name(id);
      return name != nullptr ? std::optional<std::string>(*name) : std::nullopt;
    };
    v.cluster_topics = [&cluster]() -> ClusterView::TopicListing {
      const auto& listing = cluster.metadata().cluster_topics();
      return {listing ? &*listing : nullptr, cluster.metadata().cluster_topics_generation()};
    };
    return v;
  }

  template <class Req>
  std::int64_t timeout_ms() const {
    std::int64_t t = config.request_timeout_ms;
    if constexpr (std::is_same_v<Req, protocol::FetchRequest>) t += config.fetch_max_wait_ms;
    // A JoinGroup waits out the rebalance (rebalance timeout = max.poll.interval.ms).
    if constexpr (std::is_same_v<Req, protocol::JoinGroupRequest>) t += config.max_poll_interval_ms;
    return t;
  }

  /// One round on the network thread: the core's requests go out through the Cluster.
  void drive(cluster::Cluster& cluster) {
    std::vector<OutgoingRequest> out;
    {
      std::lock_guard lock(mu);
      const std::int64_t now_ms = ClusterRuntime::now_ms();
      cluster.metadata().set_list_all_topics(core.subscribed_pattern().has_value());
      for (const auto& topic : core.metadata_topics()) {
        if (!cluster.metadata().add_topic(topic, now_ms)) cluster.metadata().touch_topic(topic, now_ms);
      }
      out = core.run_once(Clock::now(), view(cluster));
      if (core.take_metadata_refresh()) cluster.metadata().request_update();
      for (const auto& hint : core.take_leader_hints())
        cluster.metadata().update_leader({hint.partition.topic, hint.partition.partition}, NodeId{hint.leader_id},
                                         hint.leader_epoch);
    }
    for (auto& o : out) send(cluster, std::move(o));
  }

  void send(cluster::Cluster& cluster, OutgoingRequest o) {
    const cluster::Route route = o.route.kind == CoreRoute::Kind::node ? cluster::Route::node(NodeId{o.route.node_id})
                                                                      : cluster::Route::group_coordinator(config.group_id);
    std::visit(
        [&](auto&& request) {
          using Req = std::decay_t<decltype(request)>;
          using Resp = cluster::response_t<Req>;
          const std::int64_t deadline = cluster::saturating_add(ClusterRuntime::now_ms(), timeout_ms<Req>());
          cluster.request<Req, Resp>(
              route, std::move(request), deadline,
              [this, id = o.id, &cluster](cluster::Result<Resp> result) { on_result(cluster, id, std::move(result)); },
              coordinator_check<Req, Resp>(), o.max_version);
        },
        std::move(o.request));
  }

  template <class Resp>
  void on_result(cluster::Cluster& cluster, std::uint64_t id, cluster::Result<Resp> result) {
    {
      std::lock_guard lock(mu);
      const auto now = Clock::now();
      // A response with a top-level error still goes to the core (e.g. a
      // fetch session error the fetcher acts on).
      if (result.response) {
        if constexpr (std::is_same_v<Resp, protocol::FetchResponse>) {
          // The records stay views into the response's frame, taken over by
          // move (net::take_response_frame); without it they are copied
          // once per partition.
          auto frame = net::take_response_frame(first_records(*result.response));
          core.on_response(id, std::move(*result.response), std::move(frame), now);
        } else {
          core.on_response(id, std::move(*result.response), now);
        }
      } else {
        core.on_failure(id, result.error, now);
      }
      drain_results();
    }
    changed.notify_all();
    drive(cluster);
  }
};

Consumer::Consumer(ConsumerConfig config, RebalanceCallbacks callbacks, cluster::LogHandler log)
    : callbacks_(std::move(callbacks)) {
  config.validate();
  impl_ = std::make_unique<Impl>(std::move(config), std::move(log), nullptr);
  impl_->start();
}

Consumer::Consumer(ConsumerConfig config, asio::io_context& io, RebalanceCallbacks callbacks, cluster::LogHandler log)
    : callbacks_(std::move(callbacks)) {
  config.validate();
  impl_ = std::make_unique<Impl>(std::move(config), std::move(log), &io);
  impl_->start();
}

Consumer::~Consumer() {
  try {
    close();
  } catch (...) {
    // close() reports nothing a destructor could act on.
  }
}

void Consumer::subscribe(std::set<std::string> topics) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->core.subscribe(std::move(topics));
  }
  impl_->kick();
}

void Consumer::subscribe_pattern(std::string_view pattern) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->core.subscribe_pattern(pattern);
  }
  impl_->kick();
}

void Consumer::assign(std::vector<TopicPartition> partitions) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->core.assign(std::move(partitions));
  }
  impl_->kick();
}

std::vector<TopicPartition> Consumer::assignment() const {
  std::lock_guard lock(impl_->mu);
  return impl_->core.assignment();
}

void Consumer::run_callbacks() {
  bool any = false;
  for (;;) {
    std::optional<RebalanceEvent> event;
    {
      std::lock_guard lock(impl_->mu);
      event = impl_->core.next_event();
    }
    if (!event) break;
    any = true;
    switch (event->kind) {
      case RebalanceEvent::Kind::assigned:
        if (callbacks_.on_assigned) callbacks_.on_assigned(*this, event->partitions);
        break;
      case RebalanceEvent::Kind::revoked:
        if (callbacks_.on_revoked) callbacks_.on_revoked(*this, event->partitions);
        break;
      case RebalanceEvent::Kind::lost:
        if (callbacks_.on_lost) callbacks_.on_lost(*this, event->partitions, event->reason);
        else if (callbacks_.on_revoked) callbacks_.on_revoked(*this, event->partitions);  // Java's default
        break;
    }
  }
  if (any) {
    std::lock_guard lock(impl_->mu);
    impl_->core.events_handled();
  }
}

void Consumer::deliver_commit_results() {
  std::vector<CommitResult> done;
  {
    std::lock_guard lock(impl_->mu);
    impl_->drain_results();
    for (auto it = impl_->commit_results.begin(); it != impl_->commit_results.end();) {
      if (impl_->commit_callbacks.contains(it->first)) {
        done.push_back(std::move(it->second));
        it = impl_->commit_results.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& result : done) {
    auto callback = impl_->commit_callbacks.extract(result.id);
    if (callback && callback.mapped()) callback.mapped()(result);
  }
}

std::span<const ConsumerRecord> Consumer::poll(std::chrono::milliseconds timeout) {
  if (impl_->closed) throw std::logic_error("poll() after close()");
  records_.clear();
  errors_.clear();
  const auto deadline = impl_->cannot_wait() ? Clock::now() : Clock::now() + timeout;
  deliver_commit_results();
  {
    std::lock_guard lock(impl_->mu);
    impl_->core.begin_poll(Clock::now());
  }
  impl_->kick();
  for (;;) {
    run_callbacks();
    std::unique_lock lock(impl_->mu);
    impl_->core.collect(records_);
    for (auto& e : impl_->core.take_errors()) errors_.push_back(std::move(e));
    if (const std::error_code fatal = impl_->core.group_error())
      throw std::system_error(fatal, impl_->core.group_error_message());
    // queued.max.messages.kbytes stopped the fetching: what this poll()
    // drained makes room, so the network side looks again now rather than
    // at its next tick.
    const bool refill = impl_->core.fetcher().held_by_buffer_cap();
    if (refill) {
      lock.unlock();
      impl_->kick();
      lock.lock();
    }
    if (!records_.empty() || !errors_.empty() || Clock::now() >= deadline) break;
    impl_->changed.wait_until(lock, std::min(deadline, Clock::now() + kTick));
  }
  deliver_commit_results();
  return records_;
}

std::error_code Consumer::commit_sync(std::vector<CommitOffset> offsets,
                                      std::optional<std::chrono::milliseconds> timeout) {
  if (impl_->cannot_wait()) return std::make_error_code(std::errc::operation_would_block);
  const auto deadline =
      Clock::now() + timeout.value_or(std::chrono::milliseconds(impl_->config.default_api_timeout_ms));
  std::uint64_t id = 0;
  {
    std::lock_guard lock(impl_->mu);
    id = impl_->core.commit(std::move(offsets));
    impl_->drain_results();
  }
  impl_->kick();
  std::error_code error;
  {
    std::unique_lock lock(impl_->mu);
    for (;;) {
      impl_->drain_results();
      if (auto it = impl_->commit_results.find(id); it != impl_->commit_results.end()) {
        error = it->second.error;
        impl_->commit_results.erase(it);
        break;
      }
      if (Clock::now() >= deadline) {
        error = make_error_code(client_errc::timed_out);
        break;
      }
      impl_->changed.wait_until(lock, std::min(deadline, Clock::now() + kTick));
    }
  }
  // Commits complete in order, so every earlier commit_async has its answer
  // by now: its callback runs here, before commit_sync returns (as Java's
  // commitSync invokes the completed async commits' callbacks).
  deliver_commit_results();
  return error;
}

void Consumer::commit_async(std::vector<CommitOffset> offsets, std::function<void(const CommitResult&)> done) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(impl_->mu);
    id = impl_->core.commit(std::move(offsets));
  }
  impl_->commit_callbacks[id] = std::move(done);
  impl_->kick();
}

std::map<TopicPartition, std::optional<CommitOffset>> Consumer::committed(
    std::vector<TopicPartition> partitions, std::optional<std::chrono::milliseconds> timeout) {
  impl_->refuse_on_network_thread("committed()");
  const auto deadline =
      Clock::now() + timeout.value_or(std::chrono::milliseconds(impl_->config.default_api_timeout_ms));
  std::uint64_t id = 0;
  {
    std::lock_guard lock(impl_->mu);
    id = impl_->core.fetch_committed(std::move(partitions));
  }
  impl_->kick();
  auto result = impl_->await(impl_->committed_results, id, deadline,
                             [] { return std::optional<ConsumerCore::CommittedResult>(); });
  if (!result) throw std::system_error(make_error_code(client_errc::timed_out), "committed()");
  if (result->error) throw std::system_error(result->error, "committed()");
  return std::move(result->offsets);
}

std::map<TopicPartition, std::optional<OffsetAndTimestamp>> Consumer::lookup_offsets(
    std::map<TopicPartition, std::int64_t> timestamps, std::optional<std::chrono::milliseconds> timeout,
    const char* call) {
  if (impl_->closed) throw std::logic_error(std::string(call) + " after close()");
  impl_->refuse_on_network_thread(call);
  const auto deadline =
      Clock::now() + timeout.value_or(std::chrono::milliseconds(impl_->config.default_api_timeout_ms));
  std::uint64_t id = 0;
  {
    std::lock_guard lock(impl_->mu);
    id = impl_->core.lookup_offsets(std::move(timestamps), deadline);
  }
  impl_->kick();
  // At the deadline the core ends the lookup itself, naming what it still
  // waited for (it also does so on its own at its next round).
  auto result = impl_->await(impl_->lookup_results, id, deadline, [&] { return impl_->core.expire_offset_lookup(id); });
  if (!result) throw std::system_error(make_error_code(client_errc::timed_out), call);
  if (result->error) throw std::system_error(result->error, std::string(call) + ": " + result->message);
  return std::move(result->offsets);
}

std::map<TopicPartition, std::optional<OffsetAndTimestamp>> Consumer::offsets_for_times(
    const std::map<TopicPartition, std::int64_t>& timestamps, std::optional<std::chrono::milliseconds> timeout) {
  // Negative "timestamps" are ListOffsets' special lookups (earliest,
  // latest...), not times: refused as Java's offsetsForTimes does.
  for (const auto& [tp, timestamp] : timestamps)
    if (timestamp < 0)
      throw std::invalid_argument("offsets_for_times(): the target time for " + to_string(tp) + " is " +
                                  std::to_string(timestamp) + "; it cannot be negative");
  return lookup_offsets(timestamps, timeout, "offsets_for_times()");
}

namespace {

/// Every partition at the special ListOffsets timestamp `which`.
std::map<TopicPartition, std::int64_t> at(const std::vector<TopicPartition>& partitions, std::int64_t which) {
  std::map<TopicPartition, std::int64_t> out;
  for (const auto& tp : partitions) out[tp] = which;
  return out;
}

/// The offsets of a log start / end lookup (always answered with an offset).
std::map<TopicPartition, std::int64_t> plain_offsets(
    const std::map<TopicPartition, std::optional<OffsetAndTimestamp>>& found) {
  std::map<TopicPartition, std::int64_t> out;
  for (const auto& [tp, answer] : found) out[tp] = answer ? answer->offset : -1;
  return out;
}

}  // namespace

std::map<TopicPartition, std::int64_t> Consumer::beginning_offsets(const std::vector<TopicPartition>& partitions,
                                                                   std::optional<std::chrono::milliseconds> timeout) {
  return plain_offsets(
      lookup_offsets(at(partitions, protocol::list_offsets_timestamp::earliest), timeout, "beginning_offsets()"));
}

std::map<TopicPartition, std::int64_t> Consumer::end_offsets(const std::vector<TopicPartition>& partitions,
                                                             std::optional<std::chrono::milliseconds> timeout) {
  return plain_offsets(
      lookup_offsets(at(partitions, protocol::list_offsets_timestamp::latest), timeout, "end_offsets()"));
}

std::optional<std::int64_t> Consumer::position(const TopicPartition& tp) const {
  std::lock_guard lock(impl_->mu);
  auto p = impl_->core.position(tp);
  if (!p) return std::nullopt;
  return p->offset;
}

void Consumer::seek(const TopicPartition& tp, std::int64_t offset) {
  std::lock_guard lock(impl_->mu);
  if (auto ec = impl_->core.seek(tp, {.offset = offset, .leader_epoch = -1}))
    throw std::system_error(ec, "seek(" + tp.topic + "/" + std::to_string(tp.partition) + ")");
}

void Consumer::seek_to_beginning(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(impl_->mu);
  if (auto ec = impl_->core.seek_to_beginning(partitions)) throw std::system_error(ec, "seek_to_beginning()");
}

void Consumer::seek_to_end(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(impl_->mu);
  if (auto ec = impl_->core.seek_to_end(partitions)) throw std::system_error(ec, "seek_to_end()");
}

void Consumer::pause(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(impl_->mu);
  impl_->core.pause(partitions);
}

void Consumer::resume(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(impl_->mu);
  impl_->core.resume(partitions);
}

std::vector<TopicPartition> Consumer::paused() const {
  std::lock_guard lock(impl_->mu);
  return impl_->core.paused();
}

std::optional<PartitionWatermarks> Consumer::watermarks(const TopicPartition& tp) const {
  std::lock_guard lock(impl_->mu);
  const auto& all = impl_->core.fetcher().watermarks();
  auto it = all.find(tp);
  if (it == all.end()) return std::nullopt;
  return it->second;
}

ConsumerStatistics Consumer::statistics() const {
  ConsumerStatistics result;
  const bool on_network = impl_->runtime.call(
      [&](cluster::Cluster& cluster) { result = impl_->collect_statistics(&cluster); });
  if (!on_network) result = impl_->collect_statistics(nullptr);  // closed: no brokers
  return result;
}

std::string Consumer::statistics_json() const { return to_json(statistics()); }

std::string Consumer::member_id() const {
  std::lock_guard lock(impl_->mu);
  return impl_->core.member_id();
}

std::int32_t Consumer::generation() const {
  std::lock_guard lock(impl_->mu);
  return impl_->core.generation();
}

ConsumerGroupMetadata Consumer::group_metadata() const {
  std::lock_guard lock(impl_->mu);
  return impl_->core.group_metadata();
}

void Consumer::close(std::optional<std::chrono::milliseconds> timeout) {
  if (impl_->closed) return;
  if (impl_->cannot_wait())
    throw std::logic_error("close() on the consumer's network thread (a handler on its io_context): it could not "
                           "wait for the commit and the LeaveGroup; close it from another thread");
  impl_->closed = true;
  const auto deadline =
      Clock::now() + timeout.value_or(std::chrono::milliseconds(impl_->config.default_api_timeout_ms));
  {
    std::lock_guard lock(impl_->mu);
    impl_->core.close(Clock::now());
  }
  impl_->kick();
  for (;;) {
    run_callbacks();  // the revocations close() queued
    std::unique_lock lock(impl_->mu);
    if (impl_->core.closed() || Clock::now() >= deadline) break;
    impl_->changed.wait_until(lock, std::min(deadline, Clock::now() + kTick));
  }
  deliver_commit_results();
  impl_->runtime.close();
}

}  // namespace kwire::consumer
