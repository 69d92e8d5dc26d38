#pragma once
// Where a client's diagnostics go: a plain callback, so kwire imposes no
// logging library. Each line has a level, a category and a secret-free
// message. The default handler (see Producer) writes warnings and errors to
// stderr, and debug/info too when the `debug` property is set; pass a
// handler that ignores everything (silent_log_handler()) to silence it.
//
// Debug lines are chosen per category with the `debug` property, as in
// librdkafka: `debug=broker,metadata` or `debug=all`. Info, warning and
// error lines are always passed to the handler (it filters by level).
// Categories:
//   broker       connections: connect, ready, closed, reconnect backoff, idle close
//   protocol     requests and responses: ApiVersions negotiation, Produce/Metadata
//                requests sent, throttling (KIP-219), undecodable responses
//   producer     batches: retries, splits, failures, delivery timeouts, close
//   metadata     Metadata requests, leader changes, new topics, rebootstrap
//   security     TLS and SASL: authentication, re-authentication (KIP-368)
//   idempotence  producer id and epoch (KIP-98/KIP-360), sequence resolution
//   consumer     the consumer's positions, resets and deliveries
//   group        group membership and coordinators (classic and KIP-848)
//   fetch        Fetch requests and sessions (KIP-227)
//   transaction  transactional producer state (KIP-98, KIP-890)
//   admin        admin client requests
// The last five belong to the clients that are being built on the cluster
// layer (docs/architecture.md); a producer logs none of them.
// Secrets (passwords, tokens, keys) never appear in any line at any level.
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

enum class LogLevel : std::uint8_t { debug, info, warning, error };

std::string_view to_string(LogLevel level) noexcept;

/// One bit each, so a set of categories is a mask (LogCategories).
enum class LogCategory : std::uint32_t {
  broker = 1u << 0,
  protocol = 1u << 1,
  producer = 1u << 2,
  metadata = 1u << 3,
  security = 1u << 4,
  idempotence = 1u << 5,
  consumer = 1u << 6,
  group = 1u << 7,
  fetch = 1u << 8,
  transaction = 1u << 9,
  admin = 1u << 10,
};

/// A set of categories (bitwise or of LogCategory values).
using LogCategories = std::uint32_t;
inline constexpr LogCategories kNoLogCategories = 0;
inline constexpr LogCategories kAllLogCategories = (1u << 11) - 1;

constexpr LogCategories operator|(LogCategory a, LogCategory b) noexcept {
  return static_cast<LogCategories>(a) | static_cast<LogCategories>(b);
}
constexpr LogCategories operator|(LogCategories set, LogCategory c) noexcept {
  return set | static_cast<LogCategories>(c);
}
constexpr bool contains(LogCategories set, LogCategory c) noexcept {
  return (set & static_cast<LogCategories>(c)) != 0;
}

std::string_view to_string(LogCategory category) noexcept;

/// Parses the `debug` property: a comma-separated list of category names
/// (whitespace around names ignored), `all` for every category, empty for
/// none. librdkafka's names are accepted too, so its `debug` lists paste
/// in: `generic`, `msg`, `queue` -> producer, `topic` -> metadata,
/// `feature` -> protocol, `eos` -> idempotence and transaction, `sasl` ->
/// security, `cgrp` and `assignor` -> group; `interceptor`, `plugin`,
/// `mock`, `conf` and `telemetry` select nothing. nullopt and `bad` = the first unknown name when a name is
/// unknown.
std::optional<LogCategories> parse_log_categories(std::string_view list, std::string* bad = nullptr);

/// Receives every line the producer logs. Called on whichever thread
/// noticed the event (mostly the network thread); must be thread-safe and
/// must not block for long. Accepts a callable taking
/// (LogLevel, LogCategory, std::string_view) or — for handlers written
/// before categories existed — (LogLevel, std::string_view).
class LogHandler {
 public:
  using Function = std::function<void(LogLevel, LogCategory, std::string_view)>;

  LogHandler() = default;
  LogHandler(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): as std::function
  template <class F>
    requires std::invocable<F&, LogLevel, LogCategory, std::string_view>
  LogHandler(F f) : fn_(std::move(f)) {}  // NOLINT(google-explicit-constructor)
  template <class F>
    requires(!std::invocable<F&, LogLevel, LogCategory, std::string_view> &&
             std::invocable<F&, LogLevel, std::string_view>)
  LogHandler(F f)  // NOLINT(google-explicit-constructor)
      : fn_([f = std::move(f)](LogLevel level, LogCategory, std::string_view message) mutable { f(level, message); }) {
  }

  explicit operator bool() const noexcept { return static_cast<bool>(fn_); }
  void operator()(LogLevel level, LogCategory category, std::string_view message) const {
    if (fn_) fn_(level, category, message);
  }
  /// For callers that have no category: logged as `producer`.
  void operator()(LogLevel level, std::string_view message) const {
    if (fn_) fn_(level, LogCategory::producer, message);
  }

 private:
  Function fn_;
};

/// The default handler: "kwire <level> [<category>]: <message>" on stderr
/// for levels >= `min_level`.
LogHandler stderr_log_handler(LogLevel min_level = LogLevel::warning);

/// A handler that drops everything (to silence the producer).
LogHandler silent_log_handler();

/// Logs one of a connection's diagnostics lines (net::ConnectionOptions::
/// diagnostics): TLS/SASL failures and re-authentications as `security`,
/// the rest (setup timeouts, framing) as `broker`; re-authentications at
/// info, everything else at warning.
void log_connection_diagnostic(const LogHandler& log, std::string_view line);

/// What the producer's parts log through: a handler plus the `debug`
/// categories. Debug lines of a category not in the set are dropped before
/// anything is formatted (check debug(category) first); other levels always
/// go to the handler.
class Logger {
 public:
  Logger() = default;
  Logger(LogHandler handler, LogCategories debug) : handler_(std::move(handler)), debug_(handler_ ? debug : 0) {}

  /// True when debug lines of `category` are wanted: one load and a test.
  bool debug(LogCategory category) const noexcept { return contains(debug_, category); }
  LogCategories debug_categories() const noexcept { return debug_; }
  const LogHandler& handler() const noexcept { return handler_; }

  void operator()(LogLevel level, LogCategory category, std::string_view message) const {
    if (level == LogLevel::debug && !debug(category)) return;
    handler_(level, category, message);
  }

 private:
  LogHandler handler_;
  LogCategories debug_ = 0;
};

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
