#pragma once
// ClusterRuntime: a Cluster running on a real network — a net::NetworkLoop
// (its own thread, or the caller's asio::io_context), a net::ConnectionPool
// and the Cluster, with run_once() driven by the loop's timer and wakes.
// What the admin client, the consumer and the CLI build on:
//
//   kwire::cluster::ClusterRuntime runtime(config);
//   auto reply = runtime.submit(Route::any_broker(), protocol::MetadataRequest{},
//                               std::chrono::seconds(10)).get();
//   if (!reply.ok()) std::cerr << reply.detail;
//
// Threads: submit(), post(), call() and close() from any thread. Handlers
// and post()ed functions run on the network thread, where they may use the
// Cluster freely (and submit more requests through it directly). A future's
// get() must not be called on the network thread (it would wait for itself).
//
// Asio stays out of this header (docs/architecture.md, "Build cost").
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <utility>

#include "kwire/cluster/client_config.hpp"
#include "kwire/cluster/cluster.hpp"
#include "kwire/cluster/log.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/net/asio_fwd.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

class ClusterRuntime {
 public:
  struct Options {
    /// Where log lines go (default: stderr, warnings and up; with `debug`
    /// set, everything).
    LogHandler log;
    /// Run on the caller's io_context (which the caller runs on one thread)
    /// instead of an own thread.
    asio::io_context* io = nullptr;
    /// A Metadata response was applied (network thread). May be empty.
    std::function<void(const MetadataCache&, const MetadataUpdateResult&)> on_metadata;
  };

  /// Validates `config` (throws ConfigError) and starts the network thread
  /// (no connection is opened before the first request).
  ClusterRuntime(ClientConfig config, Options options);
  explicit ClusterRuntime(ClientConfig config);
  /// close()s.
  ~ClusterRuntime();
  ClusterRuntime(const ClusterRuntime&) = delete;
  ClusterRuntime& operator=(const ClusterRuntime&) = delete;

  /// Sends `request` through Cluster::request with a deadline `timeout`
  /// from now; `handler(Result<Resp>)` runs once on the network thread
  /// (with shutting_down, possibly on the calling thread, after close()).
  template <class Req, class Resp = response_t<Req>, class Handler>
    requires std::is_invocable_v<Handler&, Result<Resp>>
  void submit(Route route, Req request, std::chrono::milliseconds timeout, Handler handler,
              std::type_identity_t<ResponseCheck<Req, Resp>> check = {}) {
    const std::int64_t deadline = saturating_add(now_ms(), std::max<std::int64_t>(0, timeout.count()));
    auto shared = std::make_shared<Handler>(std::move(handler));
    post(
        [route = std::move(route), request = std::move(request), deadline, shared,
         check = std::move(check)](Cluster& cluster) mutable {
          cluster.request<Req, Resp>(
              std::move(route), std::move(request), deadline,
              [shared](Result<Resp> result) { (*shared)(std::move(result)); }, std::move(check));
        },
        [shared] {
          Result<Resp> result;
          result.error = make_error_code(client_errc::shutting_down);
          result.detail = "the client is closed";
          (*shared)(std::move(result));
        });
  }

  /// submit() with a future for the result (call get() off the network thread).
  template <class Req, class Resp = response_t<Req>>
  std::future<Result<Resp>> submit(Route route, Req request, std::chrono::milliseconds timeout,
                                   std::type_identity_t<ResponseCheck<Req, Resp>> check = {}) {
    auto promise = std::make_shared<std::promise<Result<Resp>>>();
    std::future<Result<Resp>> future = promise->get_future();
    submit<Req, Resp>(
        std::move(route), std::move(request), timeout,
        [promise](Result<Resp> result) { promise->set_value(std::move(result)); }, std::move(check));
    return future;
  }

  /// Runs `fn` on the network thread with the Cluster, soon; if the runtime
  /// is closed (or closes first), runs `abandoned` instead (when given).
  void post(std::function<void(Cluster&)> fn, std::function<void()> abandoned = {});
  /// Runs `fn` on the network thread and waits for it (inline when called
  /// there). Returns false, without running it, once closed.
  bool call(const std::function<void(Cluster&)>& fn);
  /// Runs `fn` on the network thread every `interval` (the first time one
  /// interval from now) until close(): a client's own timers (the consumer's
  /// heartbeat and fetch rounds, statistics) without a thread of its own.
  void every(std::chrono::milliseconds interval, std::function<void(Cluster&)> fn);
  /// True on the network thread (the own one, or a thread running the
  /// caller's io_context): nothing called there may wait for the network.
  bool on_network_thread() const;

  /// Fails pending requests with shutting_down, closes the connections and
  /// stops the network thread. Idempotent; not from a handler.
  void close();

  const ClientConfig& config() const noexcept;
  /// The clock deadlines are measured on (steady, ms).
  static std::int64_t now_ms();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
