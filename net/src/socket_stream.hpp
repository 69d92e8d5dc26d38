#pragma once
// The byte stream under one Connection: resolve the broker's name, connect
// to each resolved address in turn (each attempt with its own timeout), the
// optional TLS handshake, then reads and gathered writes; and the two other
// Asio services a connection needs, a Timer and post_to(). socket_stream.cpp
// is the only translation unit of kwire that includes asio/ssl, and the only
// one of the connection that includes Asio at all: this header names no Asio
// type, so connection.cpp, request_pipeline.cpp and sasl_exchange.cpp
// compile without it (ARCHITECTURE.md "Build cost").
//
// Failures say why in words a user can act on: the OS's reason per address
// ("127.0.0.1:1: connection refused", "no route to host", "host name not
// resolved"), OpenSSL's verification result or the broker's alert for TLS.
//
// Threading: every member function and every handler runs on the thread of
// the io_context passed to the constructor (Connection's). Handlers never
// run inside the call that starts the operation. After close() no handler
// runs at all (their captures are released when Asio drops them), so a
// caller that closed need not check its own state. Each operation keeps
// its handler — and with it whatever the handler captures, such as the
// Connection's keep-alive — until it completes.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/net/asio_fwd.hpp"
#include "kwire/security/tls.hpp"

namespace kwire::net {

class SocketStream {
 public:
  /// `detail` is empty on success.
  using OpenHandler = std::function<void(std::error_code, std::string detail)>;
  using Handler = std::function<void(std::error_code)>;
  /// `data` is valid only during the call.
  using ReadHandler = std::function<void(std::error_code, std::span<const std::uint8_t> data)>;

  SocketStream(asio::io_context& io, std::string host, std::uint16_t port);
  ~SocketStream();
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  /// Resolves the host and connects to its addresses in order until one
  /// accepts; `timeout` bounds the resolution and each connection attempt
  /// (socket.connection.setup.timeout.ms applies per address in Kafka's
  /// clients too). `on_open({}, "")` once connected (TCP_NODELAY set).
  /// Errors: client_errc::resolve_failed, timed_out (the resolution, or
  /// every address, timed out), connect_failed (at least one address
  /// refused or was unreachable), each with a one-line detail naming the
  /// OS reason per address. Call once.
  void open(std::chrono::milliseconds timeout, OpenHandler on_open);

  /// Starts the TLS client handshake on the open socket with a session from
  /// `context` for `host` (SNI and host name verification). Returns false
  /// with `error` set, and runs nothing, when OpenSSL cannot make a session.
  /// On a handshake error, explain_tls_error() says why.
  bool start_tls(const security::TlsContext& context, std::string& error, Handler on_done);
  bool tls() const noexcept;

  /// Explains an error from the TLS handshake or a TLS read: OpenSSL's
  /// verification result or the broker's alert (authentication = true for
  /// certificate problems), or, when the broker hung up during the handshake,
  /// a hint that it is not a TLS listener. nullopt for a plain socket error
  /// after the handshake (nothing TLS-specific to say).
  std::optional<security::TlsFailure> explain_tls_error(std::error_code ec, bool during_handshake) const;

  /// Reads what has arrived (at most one buffer, 64 KiB) through TLS when on.
  /// One read at a time.
  void read_some(ReadHandler on_read);

  /// Writes every piece, in order, from where they lie (writev); the pieces
  /// must stay valid until `on_written` runs. Over TLS they are first
  /// coalesced into one buffer: Asio's SSL stream makes one TLS record per
  /// buffer, and a request header should share a record with its body.
  /// One write at a time.
  void write(const std::vector<std::span<const std::uint8_t>>& pieces, Handler on_written);

  /// Cancels everything and closes the socket; no handler runs afterwards.
  /// Idempotent.
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// A steady-clock timer on the io_context: at most one wait at a time; a new
/// wait or cancel() replaces the pending one, whose function then never runs
/// (but is kept, with what it captures, until Asio drops it).
/// Threading: the io_context's thread, like SocketStream.
class Timer {
 public:
  explicit Timer(asio::io_context& io);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  /// Runs `fn` once `delay` has passed.
  void start(std::chrono::milliseconds delay, std::function<void()> fn);
  /// Runs `fn` at `deadline` (at once, from the io_context, if it is past).
  void start_at(std::chrono::steady_clock::time_point deadline, std::function<void()> fn);
  void cancel();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Runs `fn` on the io_context's thread, never inside this call (asio::post).
void post_to(asio::io_context& io, std::function<void()> fn);

/// The OS's reason for a failed connection attempt, in the words users
/// search for: "connection refused", "connection timed out", "no route to
/// host", "network unreachable", ... (else the error's own message).
std::string connect_failure_reason(std::error_code ec);
/// The same for a failed name resolution: "host name not resolved (...)".
std::string resolve_failure_reason(std::error_code ec);

}  // namespace kwire::net
