// Producer::Impl: the application-thread half (send, flush, close) and the
// wiring of the Sender onto a net::NetworkLoop (its own thread or the
// caller's io_context) and a net::ConnectionPool, with an orderly shutdown
// on the io thread.
#include "producer_impl.hpp"

namespace kwire {

namespace {

std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t steady_now_ms() { return net::NetworkLoop::now_ms(); }

MetadataCache::Options metadata_options(const ProducerConfig& config) {
  MetadataCache::Options options = MetadataCache::Options::from(config);
  options.max_idle_ms = config.metadata_max_idle_ms;
  return options;
}

ProducerConfig validated(ProducerConfig config) {
  config.validate();
  return config;
}

/// enable.idempotence (on unless it conflicts, as in Java 3.x+): producer
/// ids and sequences; otherwise acks/retries semantics with producer id -1.
std::unique_ptr<ProducerStateManager> make_state(const ProducerConfig& config, const LogHandler& log) {
  if (config.transactional()) return std::make_unique<TransactionalProducerState>(config, log);
  if (!config.idempotence()) return std::make_unique<NonIdempotentState>();
  return std::make_unique<IdempotentProducerState>(IdempotentProducerState::Options::from(config), log);
}

}  // namespace

Producer::Impl::Impl(ProducerConfig c, asio::io_context* user_io, LogHandler log_handler)
    : config(validated(std::move(c))),
      log(log_handler ? std::move(log_handler)
                      : stderr_log_handler(config.debug.empty() ? LogLevel::warning : LogLevel::debug)),
      loop(user_io,
           [this](std::string_view what) { log(LogLevel::error, LogCategory::producer, std::string(what)); }),
      callback_errors(log),
      accumulator(AccumulatorConfig::from(config)),
      partitioner(config),
      metadata(metadata_options(config), config.bootstrap_addresses()),
      state(make_state(config, log)) {
  net::ConnectionOptions base;
  base.client_id = config.client_id;
  base.request_timeout = std::chrono::milliseconds(config.request_timeout_ms);
  // TLS context and SASL settings, built once for every connection (throws
  // ConfigError for a missing CA file, a bad key password, ...).
  base.security = cluster::make_security_options(config);
  base.diagnostics = [log = log](std::string_view line) { cluster::log_connection_diagnostic(log, line); };
  transport = std::make_unique<net::ConnectionPool>(loop.io(), base, loop.alive_flag());

  SenderHooks hooks;
  hooks.clock = steady_now_ms;
  hooks.wake = [this] { wake(); };
  hooks.on_metadata = [this](const MetadataCache& md, const MetadataUpdateResult&) { registry.publish(md); };
  // Refused credentials fail send()s waiting for metadata (Java's
  // Metadata.fatalError); a later successful connection clears it.
  hooks.on_authentication = [this](std::error_code ec, const std::string& detail) {
    registry.set_cluster_failure(ec, detail);
  };
  hooks.on_cluster_status = [this](const std::string& why) { registry.set_cluster_status(why); };
  hooks.log = log;
  sender = std::make_unique<Sender>(config, accumulator, metadata, *transport, *state, std::move(hooks));
  if (auto* transactional = dynamic_cast<TransactionalProducerState*>(state.get())) {
    sender->enable_transactions(*transactional);
    transactions = std::make_unique<TransactionCalls>(
        loop, accumulator, *sender, *transactional,
        [this](std::chrono::milliseconds timeout, std::string* detail) { return wait_for_cluster(timeout, detail); });
  }
  // An append that compressed/checksummed a batch for the sender wakes it.
  accumulator.set_prepared_hook([this] { wake(); });
  accumulator.set_callback_error_log(&callback_errors);

  // Keys of a pasted librdkafka / Java config that change nothing here.
  for (const std::string& line : config.ignored_keys) log(LogLevel::warning, LogCategory::producer, line);
  loop.set_round([this](std::int64_t now) { return poll(now); });
  loop.start();
  wake();  // fetch cluster metadata at once, as Java's producer does
  if (config.statistics_interval_ms > 0 && config.statistics_callback)
    loop.arm_periodic(std::chrono::milliseconds(config.statistics_interval_ms), [this] { deliver_statistics(); });
  else if (config.statistics_interval_ms > 0)
    log(LogLevel::warning, LogCategory::producer,
        "statistics.interval.ms is set but ProducerConfig::statistics_callback is not: no statistics are "
        "delivered (read them with Producer::statistics())");
}

Producer::Impl::~Impl() {
  close(std::chrono::milliseconds(config.effective_delivery_timeout_ms()));
  // ~NetworkLoop detaches the thread when the producer is destroyed from its
  // own delivery callback (not supported, documented; no std::terminate).
}

// --- Application threads ---------------------------------------------------------

void Producer::Impl::refuse(const RecordView& record, std::int32_t partition, std::error_code error,
                            DeliveryCallback& callback, std::string detail) {
  if (!callback) return;
  DeliveryReport report;
  report.metadata.topic = std::string(record.topic);
  report.metadata.partition = partition;
  report.metadata.timestamp_ms = record.timestamp_ms;
  report.error = error;
  report.detail = std::move(detail);
  try {
    callback(report);
  } catch (...) {
    // A throwing callback must not turn into a thrown send(); logged as
    // the network thread's callbacks are.
    callback_errors.report_current_exception(record.topic, partition);
  }
}

TrySendResult Producer::Impl::send(const RecordView& record, DeliveryCallback& callback, SendWait wait) {
  constexpr TrySendResult accepted = TrySendResult::accepted;
  const auto refused = [&](std::int32_t partition, std::error_code ec, std::string detail = {}) {
    refuse(record, partition, ec, callback, std::move(detail));
    return accepted;
  };
  const std::int32_t explicit_partition = record.partition;
  if (closed.load(std::memory_order_acquire))
    return refused(explicit_partition, make_error_code(client_errc::shutting_down));
  if (std::error_code fatal = state->fatal_error())
    return refused(explicit_partition, make_error_code(client_errc::fatal_producer_state));
  if (transactions) {
    // Java: records only inside a transaction, none once it must be aborted.
    std::string why;
    if (std::error_code ec = transactions->send_allowed(why)) return refused(explicit_partition, ec, std::move(why));
  }
  if (record.topic.empty())
    return refused(explicit_partition, make_error_code(kwire::errc::invalid_topic_exception));
  if (explicit_partition < RecordView::unassigned_partition)
    return refused(explicit_partition, make_error_code(kwire::errc::unknown_topic_or_partition));

  // On the network thread (a delivery callback) waiting cannot work: the
  // metadata or the memory would come back on this very thread.
  const bool may_wait = !wait.try_only && !on_io_thread();
  // Partition count: from the published snapshot, or wait for the topic's
  // first metadata up to the deadline (Java's waitOnMetadata).
  // (find_cached: valid until this thread's next lookup, i.e. this send.)
  const TopicSnapshot* topic = registry.find_cached(record.topic);
  std::shared_ptr<const TopicSnapshot> waited;
  if (!topic || explicit_partition >= topic->partition_count) {
    // Read before looking: a change in between fires on_ready at once.
    const std::uint64_t seen = registry.generation();
    // send() without its own bound: max.block.ms for metadata and memory
    // together, as Java's remainingWaitMs.
    if (wait.deadline == std::chrono::steady_clock::time_point::max())
      wait.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.max_block_ms);
    const auto deadline = may_wait ? wait.deadline : std::chrono::steady_clock::now();
    std::string detail;
    if (std::error_code ec =
            registry.wait(record.topic, explicit_partition, deadline, [this] { wake(); }, waited, &detail)) {
      // Not known yet (or too few partitions yet): what send() would wait for.
      const bool would_wait = ec == make_error_code(client_errc::unknown_topic) ||
                              ec == make_error_code(kwire::errc::unknown_topic_or_partition);
      if (wait.try_only && would_wait) {
        if (wait.on_ready && *wait.on_ready) registry.notify_on_change(seen, std::move(*wait.on_ready));
        return TrySendResult::awaiting_metadata;
      }
      return refused(explicit_partition, ec, std::move(detail));
    }
    topic = waited.get();
  }

  // Copied first: a user partition function that (oddly) sends would
  // replace this thread's cached snapshot.
  const std::int32_t partition_count = topic->partition_count;
  const std::int32_t partition = partitioner.partition(record, partition_count, topic->available);
  if (partition < 0 || partition >= partition_count)  // a user partitioner out of range
    return refused(partition, make_error_code(kwire::errc::unknown_topic_or_partition));

  // One clock read gives the accumulator's monotonic time and CreateTime.
  const SendClock::Now now = send_clock.now();
  const std::int64_t timestamp = record.timestamp_ms == RecordView::now_timestamp ? now.wall_ms : record.timestamp_ms;
  // The accumulator keys by TopicPartition; reuse one per thread so a send
  // does not allocate a topic string.
  thread_local TopicPartition tp;
  if (!producer::detail::same_string(tp.topic, record.topic)) tp.topic.assign(record.topic);
  tp.partition = partition;
  // What is left of the deadline bounds the wait for memory; nothing when
  // waiting is not allowed. The default (max.block.ms) keeps the common
  // path free of a clock read.
  std::optional<std::chrono::milliseconds> max_block;
  if (!may_wait)
    max_block = std::chrono::milliseconds(0);
  else if (wait.deadline != std::chrono::steady_clock::time_point::max())
    max_block = std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(
                                                           wait.deadline - std::chrono::steady_clock::now()));
  // Read before appending: memory freed in between fires on_ready at once.
  const std::uint64_t released = wait.try_only ? accumulator.pool().release_count() : 0;
  const AppendResult result =
      accumulator.append(tp, timestamp, record.key, record.value, record.headers, callback, now.steady_ms, max_block);
  if (!result.ok()) {
    if (wait.try_only && result.error == make_error_code(client_errc::queue_full)) {
      // Registering counts as a waiter: the sender then sends every
      // partition at once (not after linger.ms), so memory comes back.
      if (wait.on_ready && *wait.on_ready) {
        accumulator.pool().notify_when_freed(released, std::move(*wait.on_ready));
        wake();
      }
      return TrySendResult::buffer_full;
    }
    RecordView reported = record;
    reported.timestamp_ms = timestamp;
    refuse(reported, partition, result.error, callback, result.detail);
    return accepted;
  }
  partitioner.on_append(record.topic, partition, static_cast<std::int32_t>(result.appended_bytes),
                        result.batch_is_full);
  // Wake the sender only when it has something new to decide: a new batch
  // (a linger deadline to arm) or a full one. Not per record.
  if (result.new_batch_created || result.batch_became_full) wake();
  return accepted;
}

std::vector<PartitionMetadata> Producer::Impl::partitions_for(std::string_view topic, std::error_code& error,
                                                              std::chrono::milliseconds max_block,
                                                              std::string* detail) {
  std::vector<PartitionMetadata> out;
  error.clear();
  if (closed.load(std::memory_order_acquire)) {
    error = make_error_code(client_errc::shutting_down);
    return out;
  }
  // As send(): no waiting on the network thread, whose work it would be.
  const auto deadline = std::chrono::steady_clock::now() +
                        (on_io_thread() ? std::chrono::milliseconds(0) : std::max(max_block, std::chrono::milliseconds(0)));
  std::shared_ptr<const TopicSnapshot> snapshot;
  std::string why;
  if ((error = registry.wait(topic, RecordView::unassigned_partition, deadline, [this] { wake(); }, snapshot, &why))) {
    if (detail) *detail = std::move(why);
    return out;
  }
  out.reserve(snapshot->partitions.size());
  for (std::size_t i = 0; i < snapshot->partitions.size(); ++i) {
    const PartitionInfo& p = snapshot->partitions[i];
    out.push_back(PartitionMetadata{std::string(topic), static_cast<std::int32_t>(i), p.leader.value(), p.error});
  }
  return out;
}

bool Producer::Impl::flush(std::chrono::milliseconds timeout) {
  if (on_io_thread()) return !accumulator.has_incomplete();  // cannot wait for ourselves
  accumulator.begin_flush();
  wake();
  return accumulator.await_flush_completion(timeout);
}

std::string Producer::Impl::describe_pending(std::size_t& records) const {
  std::vector<TopicPartition> partitions;
  records = accumulator.incomplete_records(&partitions);
  std::vector<NodeId> leaders;
  for (const TopicPartition& tp : partitions) {
    const auto snapshot = registry.find(tp.topic);
    if (!snapshot || tp.partition >= static_cast<std::int32_t>(snapshot->partitions.size())) continue;
    const NodeId leader = snapshot->partitions[static_cast<std::size_t>(tp.partition)].leader;
    if (leader.valid() && std::find(leaders.begin(), leaders.end(), leader) == leaders.end()) leaders.push_back(leader);
  }
  return std::to_string(records) + " record(s) in " + std::to_string(partitions.size()) + " partition(s) to " +
         std::to_string(leaders.size()) + " broker(s)";
}

bool Producer::Impl::await_network(std::chrono::milliseconds timeout, const std::shared_ptr<std::atomic<bool>>& probe,
                                   bool& loop_running) {
  // In slices, so that an io_context nobody runs is noticed: the probe
  // posted before waiting has not run after the grace period.
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  const auto grace = std::min(timeout, kLoopGrace);
  loop_running = true;
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return !accumulator.has_incomplete();
    if (!probe->load(std::memory_order_acquire) && now - start >= grace) {
      loop_running = false;
      return false;
    }
    const auto slice = std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(50));
    accumulator.begin_flush();
    wake();
    if (accumulator.await_flush_completion(std::chrono::ceil<std::chrono::milliseconds>(slice))) return true;
  }
}

bool Producer::Impl::close(std::chrono::milliseconds timeout) {
  std::lock_guard close_lock(close_mutex);
  if (close_done) return true;
  closed.store(true, std::memory_order_release);
  registry.close();     // sends waiting for metadata give up
  accumulator.close();  // no more appends; everything queued is ready now

  bool clean = true;
  bool loop_running = !loop.stopped();
  auto probe = std::make_shared<std::atomic<bool>>(false);
  if (loop_running && !on_io_thread()) {
    loop.post([probe] { probe->store(true, std::memory_order_release); });
    std::size_t records = 0;
    const std::string pending = describe_pending(records);
    if (records > 0 && timeout.count() > 0)
      log(LogLevel::info, LogCategory::producer,
          "close: waiting up to " + std::to_string(timeout.count()) + " ms for " + pending +
              " (close(0ms) fails them at once)");
    clean = await_network(timeout, probe, loop_running);
  }
  std::size_t aborted = 0;
  if (loop_running) {
    // The network thread fails what is left; bounded too, in case the loop
    // stopped being run meanwhile.
    // A loop that ran the probe is alive: give it longer than one that has not.
    const auto bound = probe->load(std::memory_order_acquire) ? std::max(kLoopGrace, timeout) : kLoopGrace;
    loop_running = loop.run_on_io_within(bound, [&] { aborted = shutdown_network(); });
  }
  if (!loop_running) {
    std::size_t records = 0;
    const std::string pending = describe_pending(records);
    if (!loop.stopped())
      log(LogLevel::warning, LogCategory::producer,
          "close: the io_context given to the producer is not being run (it ran none of the producer's work for " +
              std::to_string(std::min(timeout, kLoopGrace).count()) + " ms): failing " + pending +
              " from this thread with shutting_down; run the io_context for as long as the producer lives");
    aborted = shutdown_network();  // nothing else runs it: here and now
  }
  if (aborted > 0) {
    clean = false;
    log(LogLevel::warning, LogCategory::producer,
        "close: " + std::to_string(aborted) + " batch(es) not delivered within the close timeout (" +
            std::to_string(timeout.count()) + " ms) were failed with shutting_down");
  }
  loop.stop();
  close_done = true;
  return clean;
}

std::error_code Producer::Impl::wait_for_cluster(std::chrono::milliseconds timeout, std::string* detail) {
  if (closed.load(std::memory_order_acquire)) return make_error_code(client_errc::shutting_down);
  if (on_io_thread()) return std::make_error_code(std::errc::operation_would_block);
  struct Check {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::atomic<bool> started{false};  ///< the io thread ran our handler
    std::error_code error;
    std::string detail;
  };
  auto check = std::make_shared<Check>();
  auto finish = [check](std::error_code ec, const std::string& text) {
    std::lock_guard lock(check->m);
    if (check->done) return;
    check->done = true;
    check->error = ec;
    check->detail = text;
    check->cv.notify_all();
  };
  loop.post([this, alive = loop.alive_flag(), finish, check] {
    check->started.store(true, std::memory_order_release);
    if (!*alive) return finish(make_error_code(client_errc::shutting_down), "the producer is closed");
    sender->check_cluster(finish);
  });
  std::unique_lock lock(check->m);
  if (!check->cv.wait_for(lock, timeout, [&] { return check->done; })) {
    if (!check->started.load(std::memory_order_acquire)) {
      // Not the cluster's fault: nothing ran the check (a caller's
      // io_context that is not being run).
      if (detail)
        *detail = "the producer's io_context ran none of its work within " + std::to_string(timeout.count()) +
                  " ms: run it (on one thread) for as long as the producer lives";
      return make_error_code(client_errc::timed_out);
    }
    if (detail) {
      std::string servers;
      for (const auto& s : config.bootstrap_servers) servers += (servers.empty() ? "" : ",") + s;
      *detail = "no broker answered within " + std::to_string(timeout.count()) + " ms (bootstrap.servers=" +
                servers + ")";
    }
    return make_error_code(client_errc::no_broker_reachable);
  }
  if (detail) *detail = check->detail;
  return check->error;
}

// --- Network thread ------------------------------------------------------------------

std::int64_t Producer::Impl::poll(std::int64_t now) {
  for (const std::string& topic : registry.take_requests()) {
    sender->add_topic(topic, now);
    // Also for a known topic: send() waits for a partition it lacks.
    metadata.request_update();
  }
  const std::int64_t next = sender->run_once(now);
  if (transactions) transactions->on_round();
  return next;
}

ProducerStatistics Producer::Impl::collect_statistics() {
  ProducerStatistics s;
  s.client_id = config.client_id;
  s.timestamp_ms = wall_now_ms();
  s.age_ms = steady_now_ms() - created_ms;
  s.buffer_memory_total = static_cast<std::uint64_t>(std::max<std::int64_t>(0, config.buffer_memory));
  const std::size_t available = accumulator.available_memory();
  s.buffer_memory_used = s.buffer_memory_total > available ? s.buffer_memory_total - available : 0;
  if (const auto* idempotent = dynamic_cast<const IdempotentProducerState*>(state.get())) {
    const ProducerIdAndEpoch id = idempotent->producer_id_and_epoch();
    s.producer_id = id.producer_id.value();
    s.producer_epoch = id.epoch.value();
    s.epoch_bumps = idempotent->epoch_bumps();
  } else if (const auto* transactional = dynamic_cast<const TransactionalProducerState*>(state.get())) {
    const ProducerIdAndEpoch id = transactional->manager().producer_id_and_epoch();
    s.producer_id = id.producer_id.value();
    s.producer_epoch = id.epoch.value();
  }
  if (std::error_code fatal = state->fatal_error()) s.fatal_error = fatal.message();
  sender->collect_statistics(s);  // also after close: the final figures
  return s;
}

void Producer::Impl::deliver_statistics() {
  const ProducerStatistics s = collect_statistics();
  const std::string json = to_json(s);
  try {
    config.statistics_callback(s, json);
  } catch (...) {
    // A throwing callback must not take the network thread down.
  }
}

std::size_t Producer::Impl::shutdown_network() {
  if (!*loop.alive_flag()) return 0;
  const std::size_t aborted = sender->shutdown(make_error_code(client_errc::shutting_down));
  transport->disconnect_all();
  loop.shutdown();
  return aborted;
}

}  // namespace kwire
