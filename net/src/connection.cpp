// The only translation unit of the connection that includes Asio and
// asio/ssl (ARCHITECTURE.md "Build cost"): only the headers it needs, not
// asio.hpp.
#include "kwire/net/connection.hpp"

#include <algorithm>
#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <deque>
#include <limits>
#include <random>
#include <stdexcept>

#include "kwire/net/version_negotiation.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/sasl_authenticate.hpp"
#include "kwire/protocol/sasl_handshake.hpp"
#include "kwire/protocol/writer.hpp"

namespace kwire::net {

namespace {
using Clock = std::chrono::steady_clock;
using asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket&>;

/// Largest number of queued requests gathered into one write.
constexpr std::size_t kMaxRequestsPerWrite = 64;
constexpr std::size_t kReadBufferBytes = 64 * 1024;

enum class State { idle, resolving, connecting, tls_handshake, negotiating, authenticating, ready, closed };

std::string_view phase_name(State s) {
  switch (s) {
    case State::resolving: return "resolving the host name";
    case State::connecting: return "connecting";
    case State::tls_handshake: return "the TLS handshake";
    case State::negotiating: return "ApiVersions negotiation";
    case State::authenticating: return "SASL authentication";
    default: return "setup";
  }
}

/// "Authentication failed: ..." as the broker put it, or the error's name.
std::string broker_reason(kwire::errc code, const std::optional<std::string>& message) {
  if (message && !message->empty()) return *message;
  return make_error_code(code).message();
}

/// Random point in [85%, 95%] of a session lifetime, as Kafka's Java client
/// picks it (KIP-368), so that many connections do not re-authenticate at once.
std::chrono::milliseconds reauth_delay(std::int64_t lifetime_ms) {
  static thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_real_distribution<double> fraction(0.85, 0.95);
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(lifetime_ms) * fraction(random)));
}

}  // namespace

struct Connection::Impl {
  Impl(Connection& owner, asio::io_context& io_context, ConnectionOptions opts)
      : self(owner),
        io(io_context),
        options(std::move(opts)),
        address(options.host + ":" + std::to_string(options.port)),
        resolver(io_context),
        socket(io_context),
        connect_timer(io_context),
        request_timer(io_context),
        reauth_timer(io_context),
        decoder(options.max_frame_bytes),
        read_buffer(kReadBufferBytes) {
    header.client_id = options.client_id;
  }

  // A request not yet written (or being written). The size prefix and header
  // live in `prefix`, the caller's encoded body in `body`: one gather write
  // sends both, so the body is never copied again (except under TLS, where
  // the write is coalesced into TLS records anyway).
  struct Outgoing {
    std::uint64_t seq = 0;
    std::vector<std::uint8_t> prefix;
    std::vector<std::uint8_t> body;
    /// Bytes written from where they lie, inside `body` (scatter-gather).
    std::vector<protocol::Splice> splices;
    ResponseHandler on_written;  ///< set only for requests without a response
    Clock::time_point deadline;
  };
  // A request written (or queued) that awaits its response, in send order.
  struct Awaiting {
    std::uint64_t seq = 0;
    std::int32_t correlation_id = 0;
    protocol::ApiKey api{};
    std::int16_t version = 0;
    ResponseHandler on_response;
    Clock::time_point deadline;
    bool raw = false;       ///< a SaslHandshake v0 token: the reply is a bare frame
    bool internal = false;  ///< kwire's own SASL request, not counted by in_flight()
  };
  // A request the caller sent during a re-authentication, not yet queued.
  struct Held {
    std::uint64_t seq = 0;
    protocol::ApiKey api{};
    std::int16_t version = 0;
    std::vector<std::uint8_t> body;
    std::vector<protocol::Splice> splices;
    bool expect_response = true;
    ResponseHandler handler;
    Clock::time_point deadline;
  };

  std::shared_ptr<Connection> keep_alive() { return self.shared_from_this(); }

  // ---- connect -----------------------------------------------------------

  void start_connect(ReadyHandler handler) {
    on_ready = std::move(handler);
    state = State::resolving;
    arm_connect_timer();
    resolver.async_resolve(options.host, std::to_string(options.port),
                           [this, keep = keep_alive()](std::error_code ec, const tcp::resolver::results_type& results) {
                             if (state != State::resolving) return;
                             if (ec) return fail(make_error_code(client_errc::resolve_failed));
                             endpoints.clear();
                             for (const auto& entry : results) endpoints.push_back(entry.endpoint());
                             try_endpoint(0);
                           });
  }

  // One timer bounds each setup phase; `phase` tells a stale expiry (the
  // phase already moved on) from a live one. Once TCP is up, one expiry
  // bounds TLS, ApiVersions and SASL together.
  void arm_connect_timer() {
    const unsigned current = ++phase;
    connect_timer.expires_after(options.connect_timeout);
    connect_timer.async_wait([this, keep = keep_alive(), current](std::error_code ec) {
      if (ec || current != phase) return;
      switch (state) {
        case State::resolving:
          fail(make_error_code(client_errc::timed_out));
          break;
        case State::tls_handshake:
        case State::negotiating:
        case State::authenticating:
          fail(make_error_code(client_errc::timed_out), "timed out during " + std::string(phase_name(state)) +
                                                             " with " + address + " (connect timeout " +
                                                             std::to_string(options.connect_timeout.count()) + " ms)");
          break;
        case State::connecting: {
          // Abandon this address: closing the socket completes the pending
          // async_connect with operation_aborted, which tries the next one.
          attempt_timed_out = true;
          std::error_code ignored;
          socket.close(ignored);
          break;
        }
        default:
          break;
      }
    });
  }

  void try_endpoint(std::size_t index) {
    if (index >= endpoints.size()) {
      // Every address failed. Only timeouts: say so; any refusal: connect_failed.
      bool all_timed_out = !endpoints.empty() && timed_out_attempts == endpoints.size();
      return fail(make_error_code(all_timed_out ? client_errc::timed_out : client_errc::connect_failed));
    }
    state = State::connecting;
    attempt_timed_out = false;
    std::error_code ec;
    socket.close(ec);
    socket.open(endpoints[index].protocol(), ec);
    if (ec) return try_endpoint(index + 1);
    arm_connect_timer();
    socket.async_connect(endpoints[index], [this, keep = keep_alive(), index](std::error_code connect_ec) {
      if (state != State::connecting) return;
      if (attempt_timed_out) {
        ++timed_out_attempts;
        return try_endpoint(index + 1);
      }
      if (connect_ec) return try_endpoint(index + 1);
      on_connected();
    });
  }

  void on_connected() {
    std::error_code ignored;
    // Requests are small and latency matters; Kafka's clients disable Nagle too.
    socket.set_option(tcp::no_delay(true), ignored);
    arm_connect_timer();
    if (options.security.tls) return start_tls();
    start_negotiation();
  }

  // ---- TLS ---------------------------------------------------------------

  void start_tls() {
    state = State::tls_handshake;
    std::string error;
    ssl_st* session = options.security.tls->new_session(options.host, error);
    if (!session) return fail(make_error_code(client_errc::authentication_failed), "TLS with " + address + ": " + error);
    tls = std::make_unique<TlsStream>(socket, session);  // the stream owns the session now
    tls->async_handshake(asio::ssl::stream_base::client, [this, keep = keep_alive()](std::error_code ec) {
      if (state != State::tls_handshake) return;
      if (ec) return fail_tls(ec);
      start_negotiation();
    });
  }

  /// A TLS error during the handshake, or on a read: say what went wrong in
  /// words (OpenSSL's verify result, the alert the broker sent, ...).
  void fail_tls(std::error_code ec) {
    const bool setup = state != State::ready;
    if (ec.category() == asio::error::get_ssl_category()) {
      security::TlsFailure f = options.security.tls->describe_failure(
          tls->native_handle(), static_cast<unsigned long>(static_cast<unsigned int>(ec.value())), address);
      // After setup, even a certificate alert just ends this session.
      return fail(make_error_code(f.authentication && setup ? client_errc::authentication_failed
                                                            : client_errc::disconnected),
                  f.message);
    }
    if (state == State::tls_handshake)
      return fail(make_error_code(client_errc::disconnected),
                  "TLS with " + address + " failed: the broker closed the connection during the handshake (" +
                      ec.message() + "); is it a TLS listener? SSL and SASL_SSL need one");
    fail(make_error_code(client_errc::disconnected));
  }

  // ---- ApiVersions -------------------------------------------------------

  void start_negotiation() {
    state = State::negotiating;
    start_read();
    send_api_versions(initial_api_versions_version(), false);
  }

  void send_api_versions(std::int16_t version, bool retried) {
    std::vector<std::uint8_t> body;
    if (std::error_code ec = encode_api_versions_request(version, options.client_software_name,
                                                         options.client_software_version, body))
      return fail(ec);
    enqueue(protocol::ApiKey::api_versions, version, std::move(body), true,
            [this, version, retried](std::error_code ec, std::span<const std::uint8_t> response) {
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
            },
            /*internal=*/true);
  }

  void become_ready() {
    state = State::ready;
    ++phase;  // retire the setup timer
    connect_timer.cancel();
    if (auto handler = std::exchange(on_ready, nullptr)) handler({});
  }

  // ---- SASL (KIP-43, KIP-152, KIP-368) -----------------------------------

  bool authenticating_now() const noexcept {
    return state == State::authenticating || (state == State::ready && reauthenticating);
  }

  void fail_auth(std::string why) {
    fail(make_error_code(client_errc::authentication_failed), std::move(why));
  }

  std::string mechanism_label() const { return mechanism ? std::string(mechanism->name()) : std::string("SASL"); }

  void start_sasl() {
    std::string error;
    session_lifetime = 0;
    mechanism = security::make_sasl_mechanism(*options.security.sasl, options.host, error);
    if (!mechanism) return fail_auth("SASL with " + address + " failed: " + error);
    const auto handshake = negotiated.version(protocol::ApiKey::sasl_handshake);
    authenticate_version = negotiated.version(protocol::ApiKey::sasl_authenticate);
    if (!handshake) return fail_auth("SASL with " + address + " failed: the broker does not offer SaslHandshake");
    // v1 announces SaslAuthenticate framing; without SaslAuthenticate fall
    // back to the v0 raw tokens (brokers before 1.0).
    handshake_version = *handshake >= 1 && authenticate_version ? std::int16_t{1} : std::int16_t{0};
    if (handshake_version == 0) authenticate_version.reset();

    std::vector<std::uint8_t> body;
    protocol::SaslHandshakeRequest request{std::string(mechanism->name())};
    if (std::error_code ec = protocol::encode_message(request, handshake_version, body)) return fail(ec);
    const std::int16_t version = handshake_version;
    enqueue(protocol::ApiKey::sasl_handshake, version, std::move(body), true,
            [this, version](std::error_code ec, std::span<const std::uint8_t> bytes) {
              if (ec || !authenticating_now()) return;
              protocol::SaslHandshakeResponse response;
              if (std::error_code dec = protocol::decode_message(bytes, version, response)) return fail(dec);
              if (response.error_code == kwire::errc::unsupported_sasl_mechanism) {
                std::string offered;
                for (const auto& m : response.mechanisms) offered += (offered.empty() ? "" : ", ") + m;
                return fail_auth("SASL mechanism " + mechanism_label() + " is not enabled on " + address +
                                 " (the listener offers: " + (offered.empty() ? "none" : offered) +
                                 "); check sasl.mechanism");
              }
              if (response.error_code == kwire::errc::illegal_sasl_state)
                return fail_auth("SaslHandshake refused by " + address +
                                 " (ILLEGAL_SASL_STATE): is it a SASL listener? check security.protocol");
              if (response.error_code != kwire::errc::none)
                return fail_auth("SaslHandshake refused by " + address + ": " +
                                 make_error_code(response.error_code).message());
              sasl_step({});
            },
            /*internal=*/true);
  }

  void sasl_step(std::span<const std::uint8_t> challenge) {
    security::StepResult result = mechanism->step(challenge);
    switch (result.kind) {
      case security::StepResult::Kind::failed:
        return fail_auth("SASL " + mechanism_label() + " authentication" + for_user() + " on " + address +
                         " failed: " + result.message);
      case security::StepResult::Kind::done:
        return sasl_done();
      case security::StepResult::Kind::respond:
        return send_token(std::move(result.response), result.last);
    }
  }

  std::string for_user() const {
    std::string who = mechanism ? mechanism->principal() : std::string();
    return who.empty() ? std::string() : " for user " + who;
  }

  void send_token(std::vector<std::uint8_t> token, bool last) {
    if (!authenticate_version) {
      // SaslHandshake v0: the token goes as a bare size-prefixed frame, and
      // the broker answers with one; after the mechanism's last token
      // nothing comes back.
      enqueue_raw_token(std::move(token), !last, [this](std::error_code ec, std::span<const std::uint8_t> reply) {
        if (ec || !authenticating_now()) return;
        sasl_step(reply);
      });
      if (last) sasl_done();
      return;
    }
    protocol::SaslAuthenticateRequest request;
    request.auth_bytes = std::move(token);
    std::vector<std::uint8_t> body;
    const std::int16_t version = *authenticate_version;
    if (std::error_code ec = protocol::encode_message(request, version, body)) return fail(ec);
    enqueue(protocol::ApiKey::sasl_authenticate, version, std::move(body), true,
            [this, version, last](std::error_code ec, std::span<const std::uint8_t> bytes) {
              if (ec || !authenticating_now()) return;
              protocol::SaslAuthenticateResponse response;
              if (std::error_code dec = protocol::decode_message(bytes, version, response)) return fail(dec);
              if (response.error_code != kwire::errc::none) return fail_auth(rejection(response));
              session_lifetime = response.session_lifetime_ms;
              if (last) return sasl_done();
              sasl_step(response.auth_bytes);
            },
            /*internal=*/true);
  }

  /// "SASL authentication failed for user alice on 127.0.0.1:19096
  /// (SCRAM-SHA-256): <broker's message>; check sasl.username / sasl.password"
  std::string rejection(const protocol::SaslAuthenticateResponse& response) const {
    const std::string reason = broker_reason(response.error_code, response.error_message);
    std::string text =
        "SASL authentication failed" + for_user() + " on " + address + " (" + mechanism_label() + "): " + reason;
    if (mechanism) {
      // OAUTHBEARER's error JSON, unless the broker's message already is it.
      if (std::string extra = mechanism->server_error(); !extra.empty() && reason.find(extra) == std::string::npos)
        text += " [broker: " + extra + "]";
      if (std::string hint = mechanism->config_hint(); !hint.empty()) text += "; " + hint;
    }
    return text;
  }

  void sasl_done() {
    authenticated_mechanism = mechanism_label();
    mechanism.reset();
    schedule_reauthentication();
    if (state == State::authenticating) return become_ready();
    reauthenticating = false;
    ++reauth_count;
    if (options.diagnostics) options.diagnostics("re-authenticated with " + address + " (" + authenticated_mechanism + ")");
    release_held();
  }

  void schedule_reauthentication() {
    // KIP-368: only SaslAuthenticate v1+ carries a lifetime, so a connection
    // with one can always re-authenticate with a v1 handshake.
    if (session_lifetime <= 0 || !authenticate_version) return;
    const unsigned generation = ++reauth_generation;
    reauth_timer.expires_after(reauth_delay(session_lifetime));
    reauth_timer.async_wait([this, keep = keep_alive(), generation](std::error_code ec) {
      if (ec || generation != reauth_generation || state != State::ready || reauthenticating) return;
      reauthenticating = true;
      start_sasl();
    });
  }

  /// Queues the requests held during the re-authentication, in order.
  void release_held() {
    std::deque<Held> waiting = std::move(held);
    held.clear();
    for (Held& h : waiting) {
      if (state != State::ready) break;  // a callback failed the connection: fail() took the rest
      enqueue(h.api, h.version, std::move(h.body), h.expect_response, std::move(h.handler), false, h.deadline, h.seq,
              std::move(h.splices));
    }
  }

  // ---- requests ----------------------------------------------------------

  std::int32_t next_correlation_id() {
    std::int32_t id = correlation_counter;
    correlation_counter = correlation_counter == std::numeric_limits<std::int32_t>::max() ? 0 : correlation_counter + 1;
    return id;
  }

  /// Queues one request; the caller has checked the state.
  void enqueue(protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body, bool expect_response,
               ResponseHandler handler, bool internal = false, std::optional<Clock::time_point> deadline = {},
               std::optional<std::uint64_t> seq = {}, std::vector<protocol::Splice> splices = {}) {
    Outgoing out;
    const std::int32_t correlation_id = next_correlation_id();
    header.api_key = api;
    header.api_version = version;
    header.correlation_id = correlation_id;
    protocol::Writer writer(out.prefix);
    const std::size_t size_at = writer.reserve_int32();
    header.encode(writer);
    const std::size_t frame_size = out.prefix.size() - 4 + protocol::spliced_size(body, splices);
    if (frame_size > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      self.post_error(make_error_code(client_errc::frame_too_large),
                      [h = std::move(handler)](std::error_code ec) { h(ec, {}); });
      return;
    }
    writer.patch_int32(size_at, static_cast<std::int32_t>(frame_size));
    out.body = std::move(body);
    out.splices = std::move(splices);
    out.seq = seq ? *seq : next_seq++;
    out.deadline = deadline ? *deadline : Clock::now() + options.request_timeout;
    if (expect_response) {
      awaiting.push_back(Awaiting{out.seq, correlation_id, api, version, std::move(handler), out.deadline, false, internal});
      if (internal) ++internal_awaiting;
    } else {
      out.on_written = std::move(handler);
      ++unanswered_pending;
    }
    write_queue.push_back(std::move(out));
    start_write();
    arm_request_timer();
  }

  /// A SaslHandshake v0 token: an int32 size and the bytes, no header.
  void enqueue_raw_token(std::vector<std::uint8_t> token, bool expect_reply, ResponseHandler handler) {
    Outgoing out;
    protocol::Writer(out.prefix).write_int32(static_cast<std::int32_t>(token.size()));
    out.body = std::move(token);
    out.seq = next_seq++;
    out.deadline = Clock::now() + options.request_timeout;
    if (expect_reply) {
      awaiting.push_back(Awaiting{out.seq, -1, protocol::ApiKey::sasl_handshake, 0, std::move(handler), out.deadline,
                                  true, true});
      ++internal_awaiting;
    }
    write_queue.push_back(std::move(out));
    start_write();
    arm_request_timer();
  }

  void start_write() {
    if (writing_now || write_queue.empty() || state == State::closed) return;
    writing.clear();
    write_buffers.clear();
    while (!write_queue.empty() && writing.size() < kMaxRequestsPerWrite) {
      writing.push_back(std::move(write_queue.front()));
      write_queue.pop_front();
    }
    for (const Outgoing& out : writing) {
      write_buffers.push_back(asio::buffer(out.prefix));
      // The body, with the spliced bytes (record batches) between its pieces.
      std::size_t at = 0;
      for (const protocol::Splice& s : out.splices) {
        if (s.offset > at) write_buffers.push_back(asio::buffer(out.body.data() + at, s.offset - at));
        if (!s.bytes.empty()) write_buffers.push_back(asio::buffer(s.bytes.data(), s.bytes.size()));
        at = s.offset;
      }
      if (out.body.size() > at) write_buffers.push_back(asio::buffer(out.body.data() + at, out.body.size() - at));
    }
    writing_now = true;
    auto on_written = [this, keep = keep_alive()](std::error_code ec, std::size_t) {
      writing_now = false;
      coalesced.clear();
      if (state == State::closed) {
        writing.clear();  // fail() already took the callbacks; the buffers were kept for this write
        return;
      }
      if (ec) return fail(make_error_code(client_errc::disconnected));
      std::vector<Outgoing> done = std::move(writing);
      writing.clear();
      std::vector<ResponseHandler> written;
      for (Outgoing& out : done)
        if (out.on_written) written.push_back(std::move(out.on_written));
      unanswered_pending -= written.size();
      start_write();
      // Written successfully: they succeed even if a callback closes the connection.
      for (auto& handler : written) handler({}, {});
    };
    if (tls) {
      // Asio's SSL stream writes one buffer per TLS record: coalesce so that
      // a request header and its body share records.
      for (const auto& b : write_buffers) {
        const auto* p = static_cast<const std::uint8_t*>(b.data());
        coalesced.insert(coalesced.end(), p, p + b.size());
      }
      asio::async_write(*tls, asio::buffer(coalesced), std::move(on_written));
    } else {
      asio::async_write(socket, write_buffers, std::move(on_written));
    }
  }

  /// The oldest pending request's deadline (deadlines grow with send order).
  std::optional<Clock::time_point> earliest_deadline() const {
    std::optional<Clock::time_point> earliest;
    auto consider = [&earliest](Clock::time_point t) {
      if (!earliest || t < *earliest) earliest = t;
    };
    if (!awaiting.empty()) consider(awaiting.front().deadline);
    if (!write_queue.empty()) consider(write_queue.front().deadline);
    if (!held.empty()) consider(held.front().deadline);
    for (const Outgoing& out : writing)
      if (out.on_written) {
        consider(out.deadline);
        break;
      }
    return earliest;
  }

  // One timer serves every request: it waits for the oldest deadline and,
  // on expiry, re-checks (that request may have completed meanwhile).
  void arm_request_timer() {
    if (request_timer_armed || state == State::closed) return;
    std::optional<Clock::time_point> deadline = earliest_deadline();
    if (!deadline) return;
    request_timer_armed = true;
    request_timer.expires_at(*deadline);
    request_timer.async_wait([this, keep = keep_alive()](std::error_code) {
      request_timer_armed = false;
      if (state == State::closed) return;
      std::optional<Clock::time_point> oldest = earliest_deadline();
      if (!oldest) return;
      if (*oldest <= Clock::now())
        return fail(make_error_code(client_errc::timed_out),
                    reauthenticating ? "timed out during SASL re-authentication with " + address : std::string());
      arm_request_timer();
    });
  }

  // ---- responses ---------------------------------------------------------

  void start_read() {
    auto on_read = [this, keep = keep_alive()](std::error_code ec, std::size_t n) {
      if (state == State::closed) return;
      if (ec) {
        if (tls) return fail_tls(ec);
        if (state == State::negotiating && !received_any)
          return fail(make_error_code(client_errc::disconnected),
                      address + " closed the connection before answering ApiVersions: if it is a TLS listener, set "
                                "security.protocol=SSL (or SASL_SSL)");
        return fail(make_error_code(client_errc::disconnected));
      }
      on_bytes(std::span<const std::uint8_t>(read_buffer.data(), n));
      if (state != State::closed) start_read();
    };
    if (tls)
      tls->async_read_some(asio::buffer(read_buffer), std::move(on_read));
    else
      socket.async_read_some(asio::buffer(read_buffer), std::move(on_read));
  }

  void on_bytes(std::span<const std::uint8_t> data) {
    if (!tls && !received_any && state == State::negotiating && data.size() >= 2 &&
        (data[0] == 0x15 || data[0] == 0x16) && data[1] == 0x03) {
      // A TLS alert or handshake record where an ApiVersions response was
      // due: this is a TLS listener spoken to in plaintext. Without this
      // check the record header would read as a ~350 MB frame size.
      return fail(make_error_code(client_errc::authentication_failed),
                  address + " answered in TLS: it is a TLS listener; set security.protocol=SSL (or SASL_SSL)");
    }
    received_any = true;
    while (state != State::closed) {
      data = data.subspan(decoder.put(data));
      if (decoder.error()) return fail(decoder.error());
      if (!decoder.has_frame()) return;  // all of `data` consumed; wait for more
      std::vector<std::uint8_t> frame = decoder.take_frame();
      on_frame(frame);
    }
  }

  void on_frame(std::span<const std::uint8_t> frame) {
    // Kafka answers requests on one connection in order, so a response
    // belongs to the oldest request; anything else means we lost sync.
    if (awaiting.empty()) return fail(make_error_code(client_errc::correlation_mismatch));
    Awaiting& oldest = awaiting.front();
    if (oldest.raw) {
      // SaslHandshake v0 token reply: a bare frame, no response header.
      ResponseHandler handler = std::move(oldest.on_response);
      awaiting.pop_front();
      --internal_awaiting;
      return handler({}, frame);
    }
    protocol::Reader reader(frame);
    protocol::ResponseHeader response_header;
    // ApiVersions responses always use header v0 (KIP-511): api.hpp knows.
    if (response_header.decode(reader, protocol::response_header_version(oldest.api, oldest.version)))
      return fail(make_error_code(client_errc::malformed));
    if (response_header.correlation_id != oldest.correlation_id)
      return fail(make_error_code(client_errc::correlation_mismatch));
    ResponseHandler handler = std::move(oldest.on_response);
    if (oldest.internal) --internal_awaiting;
    awaiting.pop_front();
    handler({}, frame.subspan(reader.position()));
  }

  // ---- failure -----------------------------------------------------------

  /// Closes the connection and delivers `ec` once to every pending callback
  /// (connect's first, then requests in send order). Safe to re-enter.
  /// `why` becomes error_detail() (and goes to options.diagnostics).
  void fail(std::error_code ec, std::string why = {}) {
    if (state == State::closed) return;
    state = State::closed;
    close_reason = ec;
    detail = std::move(why);
    std::error_code ignored;
    resolver.cancel();
    connect_timer.cancel();
    request_timer.cancel();
    reauth_timer.cancel();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    mechanism.reset();

    ReadyHandler ready = std::exchange(on_ready, nullptr);
    std::vector<std::pair<std::uint64_t, ResponseHandler>> pending;
    for (Awaiting& a : awaiting) pending.emplace_back(a.seq, std::move(a.on_response));
    for (Outgoing& out : write_queue)
      if (out.on_written) pending.emplace_back(out.seq, std::move(out.on_written));
    // `writing` keeps its buffers until the aborted write completes.
    for (Outgoing& out : writing)
      if (out.on_written) pending.emplace_back(out.seq, std::move(out.on_written));
    for (Held& h : held) pending.emplace_back(h.seq, std::move(h.handler));
    awaiting.clear();
    write_queue.clear();
    held.clear();
    unanswered_pending = 0;
    internal_awaiting = 0;
    decoder.reset();
    std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    std::function<void(std::error_code)> closed = std::exchange(on_close, nullptr);
    if (!detail.empty() && options.diagnostics) options.diagnostics(detail);
    if (ready) ready(ec);
    for (auto& [seq, handler] : pending)
      if (handler) handler(ec, {});
    if (closed) closed(ec);
  }

  Connection& self;
  asio::io_context& io;
  ConnectionOptions options;
  std::string address;
  tcp::resolver resolver;
  tcp::socket socket;
  std::unique_ptr<TlsStream> tls;  ///< set once the TLS handshake starts
  asio::steady_timer connect_timer;
  asio::steady_timer request_timer;
  asio::steady_timer reauth_timer;
  State state = State::idle;
  std::error_code close_reason;
  std::string detail;
  std::function<void(std::error_code)> on_close;

  // Setup.
  ReadyHandler on_ready;
  std::vector<tcp::endpoint> endpoints;
  std::size_t timed_out_attempts = 0;
  bool attempt_timed_out = false;
  unsigned phase = 0;
  protocol::ApiVersionsResponse broker_versions;
  NegotiatedVersions negotiated;
  std::int16_t api_versions_version = -1;
  bool received_any = false;

  // SASL.
  std::unique_ptr<security::SaslMechanism> mechanism;  ///< during an authentication only
  std::int16_t handshake_version = -1;
  std::optional<std::int16_t> authenticate_version;  ///< nullopt: v0 raw tokens
  std::int64_t session_lifetime = 0;
  std::string authenticated_mechanism;
  bool reauthenticating = false;
  unsigned reauth_generation = 0;
  std::size_t reauth_count = 0;
  std::deque<Held> held;

  // Requests.
  protocol::RequestHeader header;  ///< reused: only key, version and id change
  std::int32_t correlation_counter = 0;
  std::uint64_t next_seq = 0;
  std::deque<Outgoing> write_queue;
  std::vector<Outgoing> writing;  ///< the requests of the write in progress
  std::vector<asio::const_buffer> write_buffers;
  std::vector<std::uint8_t> coalesced;  ///< TLS only: the write in progress, in one piece
  bool writing_now = false;
  std::deque<Awaiting> awaiting;
  std::size_t internal_awaiting = 0;
  std::size_t unanswered_pending = 0;  ///< requests without a response, not yet written
  bool request_timer_armed = false;

  // Responses.
  FrameDecoder decoder;
  std::vector<std::uint8_t> read_buffer;
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
  if (impl_->reauthenticating) {
    // KIP-368: once the re-authentication started, the broker must see only
    // it; hold the request until it is done.
    impl_->held.push_back(Impl::Held{impl_->next_seq++, api, version, std::move(body), std::move(splices), expect_response,
                                     std::move(on_response), Clock::now() + impl_->options.request_timeout});
    impl_->arm_request_timer();
    return;
  }
  impl_->enqueue(api, version, std::move(body), expect_response, std::move(on_response), false, {}, {},
                 std::move(splices));
}

void Connection::post_error(std::error_code ec, std::function<void(std::error_code)> fn) {
  asio::post(impl_->io, [ec, fn = std::move(fn)] { fn(ec); });
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

std::size_t Connection::in_flight() const noexcept {
  return impl_->awaiting.size() - impl_->internal_awaiting + impl_->unanswered_pending + impl_->held.size();
}

const std::string& Connection::address() const noexcept { return impl_->address; }

std::error_code Connection::close_reason() const noexcept { return impl_->close_reason; }

const std::string& Connection::error_detail() const noexcept { return impl_->detail; }

const std::string& Connection::sasl_mechanism() const noexcept { return impl_->authenticated_mechanism; }

std::int64_t Connection::session_lifetime_ms() const noexcept { return impl_->session_lifetime; }

std::size_t Connection::reauthentications() const noexcept { return impl_->reauth_count; }

const ConnectionOptions& Connection::options() const noexcept { return impl_->options; }

}  // namespace kwire::net
