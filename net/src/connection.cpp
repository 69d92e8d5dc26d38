// Connection: the setup state machine its header documents (idle,
// connecting, TLS handshake, ApiVersions, SASL, ready, closed), its timers
// and the public API. The parts live next to it, by concern (as Kafka's Java
// client splits TransportLayer, Authenticator and InFlightRequests):
//   socket_stream.cpp     resolve, TCP, TLS, reads and writes, timers (Asio)
//   request_pipeline.cpp  framing, correlation, deadlines, fail-all (no Asio)
//   sasl_exchange.cpp     SaslHandshake/SaslAuthenticate steps (no Asio)
// No Asio header here: timers and post come through socket_stream.hpp.
#include "kwire/net/connection.hpp"

#include <stdexcept>

#include "kwire/net/version_negotiation.hpp"
#include "request_pipeline.hpp"
#include "sasl_exchange.hpp"
#include "socket_stream.hpp"

namespace kwire::net {

namespace {
using Clock = std::chrono::steady_clock;
using Request = RequestPipeline::Request;

enum class State { idle, connecting, tls_handshake, negotiating, authenticating, ready, closed };

std::string_view phase_name(State s) {
  switch (s) {
    case State::connecting: return "connecting";
    case State::tls_handshake: return "the TLS handshake";
    case State::negotiating: return "ApiVersions negotiation";
    case State::authenticating: return "SASL authentication";
    default: return "setup";
  }
}

}  // namespace

// Everything runs on the io_context's thread (see connection.hpp).
struct Connection::Impl {
  Impl(Connection& owner, asio::io_context& io_context, ConnectionOptions opts)
      : self(owner),
        io(io_context),
        options(std::move(opts)),
        address(options.host + ":" + std::to_string(options.port)),
        stream(io_context, options.host, options.port),
        connect_timer(io_context),
        request_timer(io_context),
        reauth_timer(io_context),
        pipeline(options.client_id, options.request_timeout, options.max_frame_bytes) {}

  std::shared_ptr<Connection> keep_alive() { return self.shared_from_this(); }

  // ---- connect -----------------------------------------------------------

  void start_connect(ReadyHandler handler) {
    on_ready = std::move(handler);
    state = State::connecting;
    // The stream bounds the resolution and each address's attempt itself;
    // the setup timer starts once TCP is up.
    stream.open(options.connect_timeout, [this, keep = keep_alive()](std::error_code ec, std::string why) {
      if (state != State::connecting) return;
      // Connection-level failures (refused, unreachable, not resolved) go
      // in error_detail() only: the caller logs them at its reconnect pace.
      if (ec) return fail(ec, std::move(why), /*tell_diagnostics=*/false);
      arm_connect_timer();
      if (options.security.tls) return start_tls();
      start_negotiation();
    });
  }

  // Once TCP is up, one expiry bounds TLS, ApiVersions and SASL together.
  void arm_connect_timer() {
    connect_timer.start(options.connect_timeout, [this, keep = keep_alive()] {
      if (state == State::ready || state == State::closed) return;
      fail(make_error_code(client_errc::timed_out), "timed out during " + std::string(phase_name(state)) + " with " +
                                                        address + " (connect timeout " +
                                                        std::to_string(options.connect_timeout.count()) + " ms)");
    });
  }

  // ---- TLS ---------------------------------------------------------------

  void start_tls() {
    state = State::tls_handshake;
    std::string error;
    auto on_handshake = [this, keep = keep_alive()](std::error_code ec) {
      if (state != State::tls_handshake) return;
      if (ec) return fail_tls(ec);
      start_negotiation();
    };
    const bool started = stream.start_tls(*options.security.tls, error, std::move(on_handshake));
    if (!started) fail(make_error_code(client_errc::authentication_failed), "TLS with " + address + ": " + error);
  }

  /// A TLS error during the handshake, or on a read: say what went wrong in
  /// words (OpenSSL's verify result, the alert the broker sent, ...).
  void fail_tls(std::error_code ec) {
    const bool setup = state != State::ready;
    std::optional<security::TlsFailure> f = stream.explain_tls_error(ec, state == State::tls_handshake);
    if (!f) return fail(make_error_code(client_errc::disconnected));
    // After setup, even a certificate alert just ends this session.
    fail(make_error_code(f->authentication && setup ? client_errc::authentication_failed : client_errc::disconnected),
         std::move(f->message));
  }

  // ---- ApiVersions (KIP-35, KIP-511) -------------------------------------

  void start_negotiation() {
    state = State::negotiating;
    start_read();
    send_api_versions(initial_api_versions_version(), false);
  }

  void send_api_versions(std::int16_t version, bool retried) {
    Request request{protocol::ApiKey::api_versions, version, {}, {}, true, {}};
    if (std::error_code ec = encode_api_versions_request(version, options.client_software_name,
                                                         options.client_software_version, request.body))
      return fail(ec);
    request.handler = [this, version, retried](std::error_code ec, std::span<const std::uint8_t> response) {
      // On error fail() has already told on_ready.
      if (ec || state != State::negotiating) return;
      protocol::ApiVersionsResponse decoded;
      NegotiationStep step = evaluate_api_versions_response(response, version, retried, decoded);
      switch (step.action) {
        case NegotiationStep::Action::retry:
          return send_api_versions(step.retry_version, true);
        case NegotiationStep::Action::fail:
          return fail(step.error);
        case NegotiationStep::Action::ready:
          break;
      }
      negotiated = NegotiatedVersions(decoded);
      broker_versions = std::move(decoded);
      api_versions_version = version;
      if (options.security.sasl) {
        state = State::authenticating;
        return start_sasl();
      }
      become_ready();
    };
    submit_internal(request);
  }

  void become_ready() {
    state = State::ready;
    connect_timer.cancel();
    if (auto handler = std::exchange(on_ready, nullptr)) handler({});
  }

  // ---- SASL (KIP-43, KIP-152, KIP-368) -----------------------------------

  bool authenticating_now() const noexcept {
    return state == State::authenticating || (state == State::ready && pipeline.holding());
  }

  void start_sasl() {
    session_lifetime = 0;
    sasl.emplace(*options.security.sasl, options.host, address, negotiated.version(protocol::ApiKey::sasl_handshake),
                 negotiated.version(protocol::ApiKey::sasl_authenticate));
    run_sasl(sasl->start());
  }

  /// Carries out what the exchange asks for next.
  void run_sasl(SaslExchange::Action action) {
    using Kind = SaslExchange::Action::Kind;
    switch (action.kind) {
      case Kind::fail:
        return fail(action.error, std::move(action.detail));
      case Kind::done:
        return sasl_done();
      case Kind::send:
        break;
    }
    auto on_reply = [this](std::error_code ec, std::span<const std::uint8_t> reply) {
      if (ec || !authenticating_now() || !sasl) return;
      run_sasl(sasl->on_reply(reply));
    };
    if (action.raw) {
      pipeline.submit_raw_token(std::move(action.body), action.expect_reply, std::move(on_reply), Clock::now());
      flush();
      if (action.done_after_send) sasl_done();
      return;
    }
    Request request{action.api, action.version, std::move(action.body), {}, true, std::move(on_reply)};
    submit_internal(request);
  }

  void sasl_done() {
    authenticated_mechanism = sasl->mechanism_name();
    session_lifetime = sasl->session_lifetime_ms();
    const bool reauthenticate = sasl->needs_reauthentication();
    sasl.reset();  // the mechanism (and its credentials) only lives during an authentication
    if (reauthenticate) schedule_reauthentication();
    if (state == State::authenticating) return become_ready();
    ++reauth_count;
    if (options.diagnostics)
      options.diagnostics("re-authenticated with " + address + " (" + authenticated_mechanism + ")");
    // Queue the requests held meanwhile, in order.
    for (Request& refused : pipeline.stop_holding())
      post_response(make_error_code(client_errc::frame_too_large), std::move(refused.handler));
    flush();
  }

  void schedule_reauthentication() {
    const unsigned generation = ++reauth_generation;
    reauth_timer.start(reauthentication_delay(session_lifetime), [this, keep = keep_alive(), generation] {
      if (generation != reauth_generation || state != State::ready || pipeline.holding()) return;
      // KIP-368: once the re-authentication starts, the broker must see only
      // it; the caller's requests are held until it is done.
      pipeline.start_holding();
      start_sasl();
    });
  }

  // ---- requests ----------------------------------------------------------

  void post_response(std::error_code ec, ResponseHandler handler) {
    self.post_error(ec, [h = std::move(handler)](std::error_code e) { h(e, {}); });
  }

  void submit(Request& request) {
    if (std::error_code ec = pipeline.submit(request, Clock::now()))
      return post_response(ec, std::move(request.handler));
    flush();
  }

  void submit_internal(Request& request) {
    if (std::error_code ec = pipeline.submit_internal(request, Clock::now())) return fail(ec);
    flush();
  }

  /// Starts a write if one can start, and keeps the request timer armed.
  void flush() {
    start_write();
    arm_request_timer();
  }

  void start_write() {
    if (state == State::closed || !pipeline.write_ready()) return;
    stream.write(pipeline.start_write(), [this, keep = keep_alive()](std::error_code ec) {
      std::vector<ResponseHandler> written = pipeline.complete_write();
      if (state == State::closed) return;
      if (ec) return fail(make_error_code(client_errc::disconnected));
      start_write();
      // Written successfully: they succeed even if a callback closes the connection.
      for (auto& handler : written) handler({}, {});
    });
  }

  // One timer serves every request: it waits for the oldest deadline and,
  // on expiry, re-checks (that request may have completed meanwhile).
  void arm_request_timer() {
    if (request_timer_armed || state == State::closed) return;
    std::optional<Clock::time_point> deadline = pipeline.earliest_deadline();
    if (!deadline) return;
    request_timer_armed = true;
    request_timer.start_at(*deadline, [this, keep = keep_alive()] {
      request_timer_armed = false;
      if (state == State::closed) return;
      std::optional<Clock::time_point> oldest = pipeline.earliest_deadline();
      if (!oldest) return;
      if (*oldest <= Clock::now())
        return fail(make_error_code(client_errc::timed_out),
                    pipeline.holding() ? "timed out during SASL re-authentication with " + address : std::string());
      arm_request_timer();
    });
  }

  // ---- responses ---------------------------------------------------------

  void start_read() {
    stream.read_some([this, keep = keep_alive()](std::error_code ec, std::span<const std::uint8_t> data) {
      if (state == State::closed) return;
      if (ec) {
        if (stream.tls()) return fail_tls(ec);
        if (state == State::negotiating && !received_any)
          return fail(make_error_code(client_errc::disconnected),
                      address + " closed the connection before answering ApiVersions: if it is a TLS listener, set "
                                "security.protocol=SSL (or SASL_SSL)");
        return fail(make_error_code(client_errc::disconnected));
      }
      on_bytes(data);
      if (state != State::closed) start_read();
    });
  }

  void on_bytes(std::span<const std::uint8_t> data) {
    if (!stream.tls() && !received_any && state == State::negotiating && data.size() >= 2 &&
        (data[0] == 0x15 || data[0] == 0x16) && data[1] == 0x03) {
      // A TLS alert or handshake record where an ApiVersions response was
      // due: this is a TLS listener spoken to in plaintext. Without this
      // check the record header would read as a ~350 MB frame size.
      return fail(make_error_code(client_errc::authentication_failed),
                  address + " answered in TLS: it is a TLS listener; set security.protocol=SSL (or SASL_SSL)");
    }
    received_any = true;
    if (std::error_code ec = pipeline.on_bytes(data)) fail(ec);
  }

  // ---- failure -----------------------------------------------------------

  /// Closes the connection and delivers `ec` once to every pending callback
  /// (connect's first, then requests in send order). Safe to re-enter.
  /// `why` becomes error_detail() (and, with `tell_diagnostics`, goes to
  /// options.diagnostics).
  void fail(std::error_code ec, std::string why = {}, bool tell_diagnostics = true) {
    if (state == State::closed) return;
    state = State::closed;
    close_reason = ec;
    detail = std::move(why);
    connect_timer.cancel();
    request_timer.cancel();
    reauth_timer.cancel();
    stream.close();
    sasl.reset();

    ReadyHandler ready = std::exchange(on_ready, nullptr);
    std::vector<ResponseHandler> pending = pipeline.fail_all();
    std::function<void(std::error_code)> closed = std::exchange(on_close, nullptr);
    if (tell_diagnostics && !detail.empty() && options.diagnostics) options.diagnostics(detail);
    if (ready) ready(ec);
    for (auto& handler : pending) handler(ec, {});
    if (closed) closed(ec);
  }

  Connection& self;
  asio::io_context& io;
  ConnectionOptions options;
  std::string address;
  SocketStream stream;
  Timer connect_timer;
  Timer request_timer;
  Timer reauth_timer;
  State state = State::idle;
  std::error_code close_reason;
  std::string detail;
  std::function<void(std::error_code)> on_close;

  // Setup.
  ReadyHandler on_ready;
  protocol::ApiVersionsResponse broker_versions;
  NegotiatedVersions negotiated;
  std::int16_t api_versions_version = -1;
  bool received_any = false;

  // SASL.
  std::optional<SaslExchange> sasl;  ///< during an authentication only
  std::int64_t session_lifetime = 0;
  std::string authenticated_mechanism;
  unsigned reauth_generation = 0;
  std::size_t reauth_count = 0;

  RequestPipeline pipeline;
  bool request_timer_armed = false;
};

std::shared_ptr<Connection> Connection::create(asio::io_context& io, ConnectionOptions options) {
  return std::make_shared<Connection>(Passkey{}, io, std::move(options));
}

Connection::Connection(Passkey, asio::io_context& io, ConnectionOptions options)
    : impl_(std::make_unique<Impl>(*this, io, std::move(options))) {}

Connection::~Connection() {
  // Only reached with callbacks pending when the io_context was destroyed
  // with our handlers still queued: they must still hear about it once.
  impl_->fail(make_error_code(client_errc::shutting_down));
}

void Connection::connect(ReadyHandler on_ready) {
  if (impl_->state == State::closed) {
    std::error_code reason = impl_->close_reason;
    return post_error(reason, std::move(on_ready));
  }
  if (impl_->state != State::idle) throw std::logic_error("kwire::net::Connection::connect called twice");
  impl_->start_connect(std::move(on_ready));
}

void Connection::send_raw(protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
                          bool expect_response, ResponseHandler on_response) {
  send_gathered(api, version, std::move(body), {}, expect_response, std::move(on_response));
}

void Connection::send_gathered(protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
                               std::vector<protocol::Splice> splices, bool expect_response,
                               ResponseHandler on_response) {
  if (impl_->state != State::ready) {
    std::error_code reason = impl_->state == State::closed && impl_->close_reason
                                 ? impl_->close_reason
                                 : make_error_code(client_errc::disconnected);
    return post_error(reason, [h = std::move(on_response)](std::error_code ec) { h(ec, {}); });
  }
  Request request{api, version, std::move(body), std::move(splices), expect_response, std::move(on_response)};
  impl_->submit(request);
}

void Connection::post_error(std::error_code ec, std::function<void(std::error_code)> fn) {
  post_to(impl_->io, [ec, fn = std::move(fn)] { fn(ec); });
}

std::optional<std::int16_t> Connection::negotiated_version(protocol::ApiKey key) const noexcept {
  if (impl_->api_versions_version < 0) return std::nullopt;
  return impl_->negotiated.version(key);
}

const protocol::ApiVersionsResponse& Connection::broker_versions() const noexcept { return impl_->broker_versions; }
std::int16_t Connection::api_versions_version() const noexcept { return impl_->api_versions_version; }

void Connection::close() { impl_->fail(make_error_code(client_errc::shutting_down)); }

void Connection::set_close_handler(std::function<void(std::error_code)> on_close) {
  if (impl_->state != State::closed) impl_->on_close = std::move(on_close);
}

bool Connection::is_open() const noexcept { return impl_->state == State::ready; }

std::size_t Connection::in_flight() const noexcept { return impl_->pipeline.in_flight(); }

const std::string& Connection::address() const noexcept { return impl_->address; }

std::error_code Connection::close_reason() const noexcept { return impl_->close_reason; }

const std::string& Connection::error_detail() const noexcept { return impl_->detail; }

const std::string& Connection::sasl_mechanism() const noexcept { return impl_->authenticated_mechanism; }

std::int64_t Connection::session_lifetime_ms() const noexcept { return impl_->session_lifetime; }

std::size_t Connection::reauthentications() const noexcept { return impl_->reauth_count; }

const ConnectionOptions& Connection::options() const noexcept { return impl_->options; }

}  // namespace kwire::net
