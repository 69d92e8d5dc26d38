#include "kwire/cluster/cluster_runtime.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <string_view>

#include "kwire/cluster/security_options.hpp"
#include "kwire/net/connection.hpp"
#include "kwire/net/connection_pool.hpp"
#include "kwire/net/network_loop.hpp"

namespace kwire::cluster {
namespace {

ClientConfig validated(ClientConfig config) {
  config.validate();
  return config;
}

/// How long close() gives a caller's io_context to run the shutdown.
constexpr std::chrono::milliseconds kLoopGrace{2000};

}  // namespace

struct ClusterRuntime::Impl {
  Impl(ClientConfig c, Options options)
      : config(validated(std::move(c))),
        log(options.log ? std::move(options.log)
                        : stderr_log_handler(config.debug.empty() ? LogLevel::warning : LogLevel::debug)),
        loop(options.io, [this](std::string_view what) { log(LogLevel::error, LogCategory::broker, std::string(what)); }) {
    net::ConnectionOptions base;
    base.client_id = config.client_id;
    base.request_timeout = std::chrono::milliseconds(config.request_timeout_ms);
    base.security = make_security_options(config);  // throws ConfigError (missing CA file, ...)
    base.diagnostics = [log = log](std::string_view line) { log_connection_diagnostic(log, line); };
    pool = std::make_unique<net::ConnectionPool>(loop.io(), base, loop.alive_flag());
    Cluster::Hooks hooks;
    hooks.clock = &net::NetworkLoop::now_ms;
    hooks.wake = [this] { loop.wake(); };
    hooks.on_metadata = std::move(options.on_metadata);
    hooks.log = log;
    cluster = std::make_unique<Cluster>(config, *pool, std::move(hooks));
    for (const std::string& line : config.ignored_keys) log(LogLevel::warning, LogCategory::broker, line);
    loop.set_round([this](std::int64_t now) { return cluster->run_once(now); });
    loop.start();
  }

  /// Runs every post()'s `abandoned` that never ran (the loop stopped first).
  void abandon_pending() {
    std::map<std::uint64_t, std::function<void()>> left;
    {
      std::lock_guard lock(mutex);
      left.swap(pending);
    }
    for (auto& [id, abandoned] : left)
      if (abandoned) abandoned();
  }

  const ClientConfig config;
  const LogHandler log;
  net::NetworkLoop loop;  ///< declared first: destroyed last
  std::unique_ptr<net::ConnectionPool> pool;
  std::unique_ptr<Cluster> cluster;
  std::atomic<bool> closed{false};
  std::mutex mutex;
  std::map<std::uint64_t, std::function<void()>> pending;  ///< posted, not yet run: id → abandoned
  std::uint64_t next_post = 1;
  std::mutex close_mutex;
};

ClusterRuntime::ClusterRuntime(ClientConfig config, Options options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options))) {}

ClusterRuntime::ClusterRuntime(ClientConfig config) : ClusterRuntime(std::move(config), Options{}) {}

ClusterRuntime::~ClusterRuntime() { close(); }

const ClientConfig& ClusterRuntime::config() const noexcept { return impl_->config; }

std::int64_t ClusterRuntime::now_ms() { return net::NetworkLoop::now_ms(); }

void ClusterRuntime::post(std::function<void(Cluster&)> fn, std::function<void()> abandoned) {
  Impl& impl = *impl_;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(impl.mutex);
    if (!impl.closed.load(std::memory_order_acquire)) {
      id = impl.next_post++;
      impl.pending.emplace(id, std::move(abandoned));
    }
  }
  if (id == 0) {
    if (abandoned) abandoned();
    return;
  }
  impl.loop.post([&impl, id, fn = std::move(fn)] {
    std::function<void()> abandoned_fn;
    {
      std::lock_guard lock(impl.mutex);
      auto it = impl.pending.find(id);
      if (it == impl.pending.end()) return;  // close() abandoned it already
      abandoned_fn = std::move(it->second);
      impl.pending.erase(it);
    }
    if (impl.cluster->is_shut_down()) {
      if (abandoned_fn) abandoned_fn();
      return;
    }
    fn(*impl.cluster);
    // Whatever fn asked of the Cluster (a request, a metadata update for a
    // new topic) goes out in the next round, not at the next timer tick.
    impl.loop.wake();
  });
}

bool ClusterRuntime::call(const std::function<void(Cluster&)>& fn) {
  Impl& impl = *impl_;
  if (impl.closed.load(std::memory_order_acquire)) return false;
  bool ran = false;
  impl.loop.run_on_io([&] {
    if (impl.cluster->is_shut_down()) return;
    fn(*impl.cluster);
    impl.loop.wake();  // as in post()
    ran = true;
  });
  return ran;
}

void ClusterRuntime::every(std::chrono::milliseconds interval, std::function<void(Cluster&)> fn) {
  Impl& impl = *impl_;
  if (impl.closed.load(std::memory_order_acquire)) return;
  impl.loop.arm_periodic(interval, [&impl, fn = std::move(fn)] {
    if (impl.cluster->is_shut_down()) return;
    fn(*impl.cluster);
    impl.loop.wake();  // as in post()
  });
}

bool ClusterRuntime::on_network_thread() const { return impl_->loop.on_io_thread(); }

void ClusterRuntime::close() {
  Impl& impl = *impl_;
  std::lock_guard close_lock(impl.close_mutex);
  {
    std::lock_guard lock(impl.mutex);
    if (impl.closed.exchange(true)) return;
  }
  const auto shutdown = [&impl] {
    if (!*impl.loop.alive_flag()) return;
    impl.cluster->shutdown(make_error_code(client_errc::shutting_down));
    impl.pool->disconnect_all();
    impl.loop.shutdown();
  };
  if (!impl.loop.run_on_io_within(kLoopGrace, shutdown)) {
    // A caller's io_context nobody runs: nothing else will touch the core.
    shutdown();
  }
  impl.loop.stop();
  impl.abandon_pending();
}

}  // namespace kwire::cluster
