#pragma once
// NetworkLoop: the glue that runs a client's sans-I/O core (the producer's
// Sender today; the consumer's and admin client's cores later) on an Asio
// io_context — the client's own thread, or the caller's io_context.
//
//  * One "round" function (set_round): the core's run_once(now), which
//    returns the absolute steady-clock time in ms it wants to run again at
//    (or kNoDeadline). The loop calls it after every wake() and when the
//    deadline passes.
//  * wake() may be called from any thread, as often as wanted: wakes are
//    coalesced into one posted round (one atomic exchange when one is
//    already pending: cheap enough for a producer's send()).
//  * One timer for the deadline, re-armed only when the deadline changes;
//    a generation counter makes a stale expiry (the timer was re-armed or
//    cancelled meanwhile) do nothing.
//  * run_on_io(fn) runs fn on the io thread and waits for it (inline when
//    already there, or when the io_context is stopped).
//  * alive_flag(): false once shutdown() ran on the io thread; every handler
//    the loop (and ConnectionPool) posts checks it first, so late callbacks
//    never reach a destroyed core.
//
// Threads: wake(), run_on_io(), post(), on_io_thread(), stopped() from any
// thread; set_round(), arm_periodic() before start() or on the io thread;
// shutdown() on the io thread (e.g. inside run_on_io). With the caller's own
// io_context the caller runs it (on one thread) and the loop only posts.
//
// Asio stays out of this header (docs/architecture.md, "Build cost").
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string_view>

#include "kwire/net/asio_fwd.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::net {

class NetworkLoop {
 public:
  static constexpr std::int64_t kNoDeadline = std::numeric_limits<std::int64_t>::max();
  /// One round of the client core at `now_ms` (steady clock, ms); returns
  /// the next deadline (same clock) or kNoDeadline.
  using Round = std::function<std::int64_t(std::int64_t now_ms)>;
  /// Told about an exception that escaped a handler on the owned thread (the
  /// thread logs it and keeps running).
  using ErrorReporter = std::function<void(std::string_view what)>;

  /// With `user_io` null the loop owns an io_context and (after start())
  /// the thread that runs it; otherwise it posts to `*user_io`.
  NetworkLoop(asio::io_context* user_io, ErrorReporter on_error);
  /// Stops and joins the owned thread (stop()); call shutdown() first.
  ~NetworkLoop();
  NetworkLoop(const NetworkLoop&) = delete;
  NetworkLoop& operator=(const NetworkLoop&) = delete;

  asio::io_context& io() noexcept;
  bool owns_io() const noexcept;
  /// The flag every posted handler checks (see the top of this file).
  const std::shared_ptr<bool>& alive_flag() const noexcept;

  void set_round(Round round);
  /// Starts the owned thread (no-op with the caller's io_context).
  void start();

  /// Coalesced: posts one round unless one is already pending. Any thread.
  void wake();
  /// Calls `fn` every `interval` on the io thread until shutdown().
  void arm_periodic(std::chrono::milliseconds interval, std::function<void()> fn);
  /// Posts `fn` (runs even after shutdown(), as long as the io_context runs).
  void post(std::function<void()> fn);
  bool on_io_thread() const;
  bool stopped() const;
  /// Runs `fn` on the io thread and waits for it; inline when called there
  /// or when the io_context is stopped (nothing else would run it).
  void run_on_io(const std::function<void()>& fn);
  /// run_on_io, but gives up after `timeout` when the io_context runs
  /// nothing (a caller's io_context nobody runs): false, and `fn` never runs
  /// there. Work the io thread has already started is waited for.
  bool run_on_io_within(std::chrono::milliseconds timeout, const std::function<void()>& fn);

  /// On the io thread: cancels the timers and clears the alive flag. Idempotent.
  void shutdown();
  /// Releases the owned io_context's work guard, stops it and joins the
  /// thread (unless called from it). No-op with the caller's io_context.
  void stop();

  /// Steady clock in ms: the clock rounds and deadlines use.
  static std::int64_t now_ms();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kwire::net

KWIRE_PUBLIC_END
