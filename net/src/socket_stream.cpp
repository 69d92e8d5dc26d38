// The only translation unit of kwire that includes asio/ssl (ARCHITECTURE.md
// "Build cost"): only the Asio headers it needs, not asio.hpp.
#include "socket_stream.hpp"

#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(io_context.hpp)
#include KWIRE_ASIO_INCLUDE(ip/tcp.hpp)
#include KWIRE_ASIO_INCLUDE(post.hpp)
#include KWIRE_ASIO_INCLUDE(ssl/context.hpp)
#include KWIRE_ASIO_INCLUDE(ssl/error.hpp)
#include KWIRE_ASIO_INCLUDE(ssl/stream.hpp)
#include KWIRE_ASIO_INCLUDE(steady_timer.hpp)
#include KWIRE_ASIO_INCLUDE(write.hpp)
#include <utility>

#include "kwire/protocol/client_error.hpp"

namespace kwire::net {

namespace {
using asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket&>;

constexpr std::size_t kReadBufferBytes = 64 * 1024;

std::string endpoint_text(const tcp::endpoint& e) {
  const std::string ip = e.address().to_string();
  return (e.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(e.port());
}
}  // namespace

std::string connect_failure_reason(std::error_code ec) {
  // Standalone Asio reports OS errors in its own system category, which does
  // not map them to std::errc conditions: read them as the OS's errno values.
  if (ec.category() == asio::error::get_system_category()) ec = std::error_code(ec.value(), std::system_category());
  if (ec == std::errc::connection_refused) return "connection refused";
  if (ec == std::errc::timed_out) return "connection timed out";
  if (ec == std::errc::host_unreachable) return "no route to host";
  if (ec == std::errc::network_unreachable) return "network unreachable";
  if (ec == std::errc::connection_reset) return "connection reset";
  if (ec == std::errc::address_not_available) return "address not available";
  return ec.message();
}

std::string resolve_failure_reason(std::error_code ec) {
  return "host name not resolved (" + ec.message() + ")";
}

struct SocketStream::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, std::string host_name, std::uint16_t port_number)
      : host(std::move(host_name)),
        port(port_number),
        address(host + ":" + std::to_string(port)),
        resolver(io),
        socket(io),
        timer(io),
        read_buffer(kReadBufferBytes) {}

  /// One open(): its handler and how far it got.
  struct Opening {
    OpenHandler on_open;
    std::chrono::milliseconds timeout{};
    std::vector<tcp::endpoint> endpoints;
    std::vector<std::string> failures;  ///< "<endpoint> <reason>", one per address tried
    std::size_t refusals = 0;           ///< attempts that failed other than by timing out
    bool resolving = true;
    bool attempt_timed_out = false;
    bool finished = false;
  };

  void finish(const std::shared_ptr<Opening>& op, std::error_code ec, std::string detail) {
    if (op->finished || closed) return;
    op->finished = true;
    ++attempt;  // retire the timer
    timer.cancel();
    OpenHandler handler = std::move(op->on_open);
    handler(ec, std::move(detail));
  }

  void open(std::chrono::milliseconds timeout, OpenHandler on_open) {
    auto op = std::make_shared<Opening>();
    op->on_open = std::move(on_open);
    op->timeout = timeout;
    arm_timer(op);
    auto on_resolved = [self = shared_from_this(), op](std::error_code ec, const tcp::resolver::results_type& results) {
      if (op->finished || self->closed) return;
      if (ec)
        return self->finish(op, make_error_code(client_errc::resolve_failed),
                            self->address + ": " + resolve_failure_reason(ec));
      op->resolving = false;
      for (const auto& entry : results) op->endpoints.push_back(entry.endpoint());
      self->try_endpoint(op, 0);
    };
    resolver.async_resolve(host, std::to_string(port), std::move(on_resolved));
  }

  // One timer bounds the resolution and then each address's attempt;
  // `attempt` tells a stale expiry (that attempt already ended) from a live one.
  void arm_timer(const std::shared_ptr<Opening>& op) {
    const unsigned current = ++attempt;
    timer.expires_after(op->timeout);
    timer.async_wait([self = shared_from_this(), op, current](std::error_code ec) {
      if (ec || current != self->attempt || op->finished || self->closed) return;
      if (op->resolving) {
        self->resolver.cancel();
        return self->finish(op, make_error_code(client_errc::timed_out),
                            self->address + ": host name not resolved within " + std::to_string(op->timeout.count()) +
                                " ms");
      }
      // Abandon this address: closing the socket completes the pending
      // async_connect with operation_aborted, which tries the next one.
      op->attempt_timed_out = true;
      asio_error_code ignored;
      self->socket.close(ignored);
    });
  }

  void try_endpoint(const std::shared_ptr<Opening>& op, std::size_t index) {
    if (index >= op->endpoints.size()) return give_up(op);
    op->attempt_timed_out = false;
    asio_error_code ec;
    socket.close(ec);
    socket.open(op->endpoints[index].protocol(), ec);
    if (ec) {
      op->failures.push_back(endpoint_text(op->endpoints[index]) + " " + ec.message());
      ++op->refusals;
      return try_endpoint(op, index + 1);
    }
    arm_timer(op);
    socket.async_connect(op->endpoints[index], [self = shared_from_this(), op, index](std::error_code connect_ec) {
      if (op->finished || self->closed) return;
      const std::string where = endpoint_text(op->endpoints[index]);
      if (op->attempt_timed_out) {
        op->failures.push_back(where + " connection timed out after " + std::to_string(op->timeout.count()) + " ms");
        return self->try_endpoint(op, index + 1);
      }
      if (connect_ec) {
        op->failures.push_back(where + " " + connect_failure_reason(connect_ec));
        ++op->refusals;
        return self->try_endpoint(op, index + 1);
      }
      asio_error_code ignored;
      // Requests are small and latency matters; Kafka's clients disable Nagle too.
      self->socket.set_option(tcp::no_delay(true), ignored);
      self->finish(op, {}, {});
    });
  }

  /// Every address failed: only timeouts say timed_out, anything else
  /// connect_failed. The detail names each address's reason, or the one
  /// reason when it is the same for all (the usual single address).
  void give_up(const std::shared_ptr<Opening>& op) {
    const bool all_timed_out = !op->endpoints.empty() && op->refusals == 0;
    std::string detail = address + ": ";
    if (op->failures.empty()) {
      detail += "the name resolved to no address";
    } else {
      auto reason = [](const std::string& failure) { return failure.substr(failure.find(' ') + 1); };
      bool same = true;
      for (const std::string& f : op->failures) same = same && reason(f) == reason(op->failures.front());
      if (same) {
        detail += reason(op->failures.front());
        if (op->failures.size() > 1) detail += " (all " + std::to_string(op->failures.size()) + " addresses)";
      } else {
        for (std::size_t i = 0; i < op->failures.size(); ++i) detail += (i ? "; " : "") + op->failures[i];
      }
    }
    finish(op, make_error_code(all_timed_out ? client_errc::timed_out : client_errc::connect_failed), detail);
  }

  bool start_tls(const security::TlsContext& ctx, std::string& error, Handler on_done) {
    tls_context = &ctx;
#if KWIRE_ASIO_BOOST
    // Boost 1.74's Asio (1.18) cannot adopt an SSL session: the stream makes
    // its own from the context, and this connection's settings (SNI, the
    // name to verify) are applied to it.
    SSL_CTX_up_ref(ctx.native_handle());
    boost_tls_context.emplace(ctx.native_handle());  // adopts that reference
    tls = std::make_unique<TlsStream>(socket, *boost_tls_context);
    if (!ctx.configure_session(tls->native_handle(), host, error)) {
      tls.reset();
      return false;
    }
#else
    ssl_st* session = ctx.new_session(host, error);
    if (!session) return false;
    tls = std::make_unique<TlsStream>(socket, session);  // the stream owns the session now
#endif
    tls->async_handshake(asio::ssl::stream_base::client,
                         [self = shared_from_this(), h = std::move(on_done)](std::error_code ec) {
                           if (!self->closed) h(ec);
                         });
    return true;
  }

  std::optional<security::TlsFailure> explain_tls_error(std::error_code ec, bool during_handshake) const {
    if (tls && tls_context && ec.category() == asio::error::get_ssl_category())
      return tls_context->describe_failure(
          tls->native_handle(), static_cast<unsigned long>(static_cast<unsigned int>(ec.value())), address);
    if (during_handshake)
      return security::TlsFailure{
          false, "TLS with " + address + " failed: the broker closed the connection during the handshake (" +
                     ec.message() + "); is it a TLS listener? SSL and SASL_SSL need one"};
    return std::nullopt;
  }

  void read_some(ReadHandler on_read) {
    auto done = [self = shared_from_this(), h = std::move(on_read)](std::error_code ec, std::size_t n) {
      if (self->closed) return;
      h(ec, std::span<const std::uint8_t>(self->read_buffer.data(), ec ? 0 : n));
    };
    if (tls)
      tls->async_read_some(asio::buffer(read_buffer), std::move(done));
    else
      socket.async_read_some(asio::buffer(read_buffer), std::move(done));
  }

  void write(const std::vector<std::span<const std::uint8_t>>& pieces, Handler on_written) {
    auto done = [self = shared_from_this(), h = std::move(on_written)](std::error_code ec, std::size_t) {
      self->coalesced.clear();
      if (!self->closed) h(ec);
    };
    if (tls) {
      coalesced.clear();
      for (const auto& piece : pieces) coalesced.insert(coalesced.end(), piece.begin(), piece.end());
      asio::async_write(*tls, asio::buffer(coalesced), std::move(done));
      return;
    }
    write_buffers.clear();
    for (const auto& piece : pieces) write_buffers.push_back(asio::buffer(piece.data(), piece.size()));
    asio::async_write(socket, write_buffers, std::move(done));
  }

  void close() {
    if (closed) return;
    closed = true;
    asio_error_code ignored;
    resolver.cancel();
    timer.cancel();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  std::string host;
  std::uint16_t port;
  std::string address;
  tcp::resolver resolver;
  tcp::socket socket;
  asio::steady_timer timer;
  unsigned attempt = 0;
  const security::TlsContext* tls_context = nullptr;
#if KWIRE_ASIO_BOOST
  std::optional<asio::ssl::context> boost_tls_context;  ///< wraps tls_context's SSL_CTX (declared before `tls`)
#endif
  std::unique_ptr<TlsStream> tls;  ///< set once the TLS handshake starts
  std::vector<std::uint8_t> read_buffer;
  std::vector<asio::const_buffer> write_buffers;
  std::vector<std::uint8_t> coalesced;  ///< TLS only: the write in progress, in one piece
  bool closed = false;
};

SocketStream::SocketStream(asio::io_context& io, std::string host, std::uint16_t port)
    : impl_(std::make_shared<Impl>(io, std::move(host), port)) {}

SocketStream::~SocketStream() { impl_->close(); }

void SocketStream::open(std::chrono::milliseconds timeout, OpenHandler on_open) {
  impl_->open(timeout, std::move(on_open));
}

bool SocketStream::start_tls(const security::TlsContext& context, std::string& error, Handler on_done) {
  return impl_->start_tls(context, error, std::move(on_done));
}

bool SocketStream::tls() const noexcept { return impl_->tls != nullptr; }

std::optional<security::TlsFailure> SocketStream::explain_tls_error(std::error_code ec, bool during_handshake) const {
  return impl_->explain_tls_error(ec, during_handshake);
}

void SocketStream::read_some(ReadHandler on_read) { impl_->read_some(std::move(on_read)); }

void SocketStream::write(const std::vector<std::span<const std::uint8_t>>& pieces, Handler on_written) {
  impl_->write(pieces, std::move(on_written));
}

void SocketStream::close() { impl_->close(); }

// ---- Timer and post ------------------------------------------------------------

struct Timer::Impl : std::enable_shared_from_this<Impl> {
  explicit Impl(asio::io_context& io) : timer(io) {}

  template <class SetExpiry>
  void start(SetExpiry set_expiry, std::function<void()> fn) {
    const unsigned current = ++generation;  // retires any pending wait
    set_expiry(timer);
    timer.async_wait([self = shared_from_this(), current, f = std::move(fn)](std::error_code ec) {
      if (!ec && current == self->generation) f();
    });
  }

  asio::steady_timer timer;
  unsigned generation = 0;
};

Timer::Timer(asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

Timer::~Timer() { cancel(); }

void Timer::start(std::chrono::milliseconds delay, std::function<void()> fn) {
  impl_->start([delay](asio::steady_timer& t) { t.expires_after(delay); }, std::move(fn));
}

void Timer::start_at(std::chrono::steady_clock::time_point deadline, std::function<void()> fn) {
  impl_->start([deadline](asio::steady_timer& t) { t.expires_at(deadline); }, std::move(fn));
}

void Timer::cancel() {
  ++impl_->generation;
  impl_->timer.cancel();
}

void post_to(asio::io_context& io, std::function<void()> fn) { asio::post(io, std::move(fn)); }

}  // namespace kwire::net
