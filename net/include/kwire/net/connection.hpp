#pragma once
// One TCP session with one Kafka broker: resolve, connect (every resolved
// address in turn, each with a timeout), then, in this order (Kafka's
// protocol guide, "SASL Authentication Sequence"):
//   TLS handshake          when options.security.tls is set (SSL, SASL_SSL)
//   ApiVersions            always (KIP-35, KIP-511)
//   SaslHandshake          when options.security.sasl is set: v1 wraps the
//   SaslAuthenticate ...   tokens in SaslAuthenticate (KIP-152); v0 sends
//                          them as raw size-prefixed frames
// then pipelined requests matched to responses in FIFO order. If the broker
// limits the SASL session (SaslAuthenticate v1+ session_lifetime_ms,
// KIP-368), the connection re-authenticates on its own between 85% and 95%
// of the lifetime: requests sent meanwhile are held and written once it
// succeeds (the broker must see nothing but the re-authentication after
// the handshake starts).
//
// Failures that retrying cannot fix — TLS verification (unknown CA, host
// name mismatch, expired or missing certificate), a TLS/plaintext listener
// mismatch, a refused SASL mechanism or credentials — end the connection
// with client_errc::authentication_failed (see is_authentication_error())
// and error_detail() says why, e.g. "SASL authentication failed for user
// alice on 127.0.0.1:19096 (SCRAM-SHA-256): Authentication failed during
// authentication due to invalid credentials with SASL mechanism
// SCRAM-SHA-256; check sasl.username / sasl.password". Secrets never appear
// in a detail.
//
// Threading: everything here runs on the thread of the io_context passed to
// create() (the producer's network thread, or the user's own). Call every
// member function on that thread (or before the io_context runs), and expect
// every callback there. The io_context must run on one thread only; nothing
// here takes a lock.
//
// Callbacks never run inside the call that registered them (errors found at
// call time are posted), so a caller may hold its own state across a call.
// Each callback runs exactly once. Callbacks must not throw.
//
// Lifetime: a Connection keeps itself alive while it has I/O outstanding
// (its read loop runs until it closes), so dropping the last shared_ptr does
// not close it: call close(). Destroying the io_context releases it; any
// callback still pending then runs with client_errc::shutting_down from the
// destructor. A Connection is one TCP session: to reconnect, create a new one.
//
// Asio stays out of this header (see ARCHITECTURE.md "Build cost").
#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "kwire/net/frame_decoder.hpp"
#include "kwire/net/version_negotiation.hpp"
#include "kwire/protocol/api.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/security/sasl_settings.hpp"
#include "kwire/security/tls.hpp"
#include "kwire/version.hpp"
#include "kwire/net/asio_fwd.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::net {

/// TLS and SASL for a connection; the default is plaintext without SASL
/// (security.protocol=PLAINTEXT). producer::make_security_options() builds
/// one from Kafka's property names.
struct ConnectionSecurity {
  /// TLS (SSL, SASL_SSL): the shared client context; null means plaintext.
  /// Build it once per client: loading a CA bundle is not free.
  std::shared_ptr<const security::TlsContext> tls;
  /// SASL (SASL_PLAINTEXT, SASL_SSL): the mechanism and credentials; a fresh
  /// mechanism is made for every (re-)authentication. nullopt: no SASL.
  std::optional<security::SaslSettings> sasl;
};

/// True for connection errors that retrying will not fix (bad credentials,
/// untrusted certificates, a mechanism the broker refuses): stop and report
/// instead of reconnecting. Connection::error_detail() explains.
inline bool is_authentication_error(std::error_code ec) noexcept {
  return ec == make_error_code(client_errc::authentication_failed);
}

struct ConnectionOptions {
  std::string host;
  std::uint16_t port = 9092;
  /// Sent in every request header (Kafka's client.id).
  std::string client_id = "kwire";
  /// Sent in ApiVersions v3+ (KIP-511). Brokers reject values that do not
  /// match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? with INVALID_REQUEST.
  std::string client_software_name = "kwire";
  std::string client_software_version = kwire::version_string;
  /// Bounds name resolution, each TCP connection attempt (per resolved
  /// address) and, once connected, the TLS handshake, ApiVersions
  /// negotiation and SASL authentication together — like Kafka's
  /// socket.connection.setup.timeout.ms.
  std::chrono::milliseconds connect_timeout{10000};
  /// How long a request may wait for its response (or, without a response,
  /// for its write). On expiry the connection fails: responses are ordered,
  /// so a late one would desynchronise every later request.
  std::chrono::milliseconds request_timeout{30000};
  /// Largest response frame accepted; a larger announced size fails the
  /// connection with client_errc::frame_too_large before anything is allocated.
  std::size_t max_frame_bytes = kDefaultMaxFrameBytes;
  /// TLS and SASL; default plaintext, no SASL.
  ConnectionSecurity security{};
  /// Optional: receives one secret-free line when the connection fails with
  /// a detail (the same text as error_detail()) and when it re-authenticates.
  /// Not for failures to reach the broker at all (resolve_failed,
  /// connect_failed, timed_out before TCP is up): those repeat at every
  /// reconnect, so the caller logs error_detail() at its own pace.
  /// Runs on the io_context's thread; must not throw.
  std::function<void(std::string_view)> diagnostics{};
};

class Connection : public std::enable_shared_from_this<Connection> {
  struct Passkey {};

 public:
  using ReadyHandler = std::function<void(std::error_code)>;
  /// `response_body` is the response after its header; it is valid only
  /// during the call (empty on error and for requests without a response).
  using ResponseHandler = std::function<void(std::error_code, std::span<const std::uint8_t> response_body)>;

  static std::shared_ptr<Connection> create(asio::io_context& io, ConnectionOptions options);
  Connection(Passkey, asio::io_context& io, ConnectionOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Resolves, connects, runs the TLS handshake, negotiates versions and
  /// authenticates, then calls `on_ready({})`. On failure `on_ready` gets
  /// client_errc::resolve_failed, connect_failed (every address refused),
  /// timed_out (connect_timeout), disconnected, unsupported_version,
  /// authentication_failed (TLS verification or SASL: not retriable, see
  /// error_detail()), shutting_down (close() was called) or the Kafka error
  /// the broker answered ApiVersions with. Call once; a second call throws
  /// std::logic_error.
  void connect(ReadyHandler on_ready);

  /// Sends one request whose body is already encoded at `version`. The
  /// connection writes the size and request header (version chosen by
  /// protocol::request_header_version) and then `body` as is — no copy.
  /// Requests are written back to back without waiting for responses.
  ///
  /// `expect_response = false` is for Produce with acks=0, which the broker
  /// never answers: `on_response({}, {})` runs once the request is written.
  ///
  /// Errors: client_errc::disconnected if the connection is not ready (before
  /// on_ready succeeded, or after it closed — then the reason it closed);
  /// frame_too_large if the request exceeds the int32 frame size. When the
  /// connection fails (correlation_mismatch, malformed, frame_too_large,
  /// disconnected, timed_out, shutting_down), every pending request gets
  /// that error.
  void send_raw(protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body, bool expect_response,
                ResponseHandler on_response);

  /// send_raw() with scatter-gather: the request body is `body` with every
  /// splice's bytes inserted at its offset (protocol::Splice; e.g.
  /// ProduceRequest::encode_gathered), written straight from where they lie
  /// (writev), never copied into a request buffer (except over TLS, whose
  /// records are built from one buffer). The spliced bytes must stay valid
  /// and unchanged until `on_response` runs, or the connection closes.
  void send_gathered(protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
                     std::vector<protocol::Splice> splices, bool expect_response, ResponseHandler on_response);

  /// Typed request: encodes `request` at the negotiated version of its API
  /// (capped at `max_version`, e.g. Produce 12 when topic ids are unknown;
  /// see request_version() in version_negotiation.hpp),
  /// sends it and decodes the response as `Resp`, e.g.
  ///   conn->request<protocol::MetadataResponse>(req,
  ///       [](std::error_code ec, protocol::MetadataResponse& r, std::int16_t v) { ... });
  /// `on_response(error_code, Resp&, version)`: on error `Resp` is default
  /// constructed (or partially decoded, on a decode error). Errors beyond
  /// send_raw's: client_errc::unsupported_version when the broker has no
  /// common version, the codec's encode/decode error. A request with an
  /// `acks` member equal to 0 (Produce acks=0) expects no response.
  template <protocol::KafkaMessage Resp, protocol::KafkaMessage Req, class OnResponse>
    requires std::invocable<OnResponse&, std::error_code, Resp&, std::int16_t>
  void request(const Req& request, OnResponse on_response, std::int16_t max_version = Req::max_version);

  /// The version this connection uses for `key`: choose_version over the
  /// broker's range. nullopt before negotiation or when none is common.
  std::optional<std::int16_t> negotiated_version(protocol::ApiKey key) const noexcept;
  /// The broker's ApiVersions answer (empty before negotiation).
  const protocol::ApiVersionsResponse& broker_versions() const noexcept;
  /// The ApiVersions version the negotiation finally used (-1 before).
  std::int16_t api_versions_version() const noexcept;

  /// Closes the socket; connect()'s handler (if still pending) and every
  /// pending request get client_errc::shutting_down before close() returns.
  /// Idempotent.
  void close();

  /// `on_close(reason)` runs once when the connection closes for any reason
  /// (after the pending callbacks), e.g. so a broker pool notices a broker
  /// that hung up while idle. Replaces any previous handler; not called if
  /// the connection is already closed.
  void set_close_handler(std::function<void(std::error_code)> on_close);

  /// True between a successful setup (negotiation and authentication) and
  /// the close, re-authentication included.
  bool is_open() const noexcept;
  /// Requests sent and not yet completed (those held during a
  /// re-authentication included; kwire's own SASL requests not).
  std::size_t in_flight() const noexcept;
  /// "host:port" as configured.
  const std::string& address() const noexcept;
  /// Why the connection closed (a client_errc, or a Kafka error from
  /// ApiVersions); empty while it has not.
  std::error_code close_reason() const noexcept;
  /// A one-line, secret-free explanation of close_reason() when there is
  /// more to say than its message: the OS's reason per address for a broker
  /// not reached ("127.0.0.1:1: connection refused", "no route to host",
  /// "b1:9092: host name not resolved (...)"), TLS verification, SASL
  /// rejection, the setup phase that timed out, ...; empty otherwise.
  const std::string& error_detail() const noexcept;
  /// The SASL mechanism this connection authenticated with ("" without SASL
  /// or before authentication).
  const std::string& sasl_mechanism() const noexcept;
  /// The broker's SASL session lifetime (KIP-368) from the last
  /// authentication, 0 when it set none.
  std::int64_t session_lifetime_ms() const noexcept;
  /// Successful re-authentications so far (KIP-368).
  std::size_t reauthentications() const noexcept;
  const ConnectionOptions& options() const noexcept;

 private:
  /// Runs `fn(ec)` from the io_context, not from inside the caller.
  void post_error(std::error_code ec, std::function<void(std::error_code)> fn);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

namespace detail {
template <class Req>
bool expects_response(const Req& request) {
  if constexpr (requires { request.acks; })
    return request.acks != 0;
  else
    return true;
}
}  // namespace detail

template <protocol::KafkaMessage Resp, protocol::KafkaMessage Req, class OnResponse>
  requires std::invocable<OnResponse&, std::error_code, Resp&, std::int16_t>
void Connection::request(const Req& request, OnResponse on_response, std::int16_t max_version) {
  static_assert(Req::api_key == Resp::api_key, "request and response types belong to different APIs");
  auto fail = [this, &on_response](std::error_code ec, std::int16_t v) {
    post_error(ec, [cb = std::move(on_response), v](std::error_code e) mutable {
      Resp empty{};
      cb(e, empty, v);
    });
  };
  if (!is_open()) return fail(close_reason() ? close_reason() : make_error_code(client_errc::disconnected), -1);
  const std::optional<std::int16_t> chosen = request_version<Req, Resp>(negotiated_version(Req::api_key), max_version);
  if (!chosen) return fail(make_error_code(client_errc::unsupported_version), -1);
  const std::int16_t version = *chosen;

  std::vector<std::uint8_t> body;
  if (std::error_code ec = protocol::encode_message(request, version, body)) return fail(ec, version);
  const bool expect_response = detail::expects_response(request);
  send_raw(Req::api_key, version, std::move(body), expect_response,
           [cb = std::move(on_response), version, expect_response](std::error_code ec,
                                                                   std::span<const std::uint8_t> bytes) mutable {
             Resp response{};
             if (!ec && expect_response) ec = protocol::decode_message(bytes, version, response);
             cb(ec, response, version);
           });
}

}  // namespace kwire::net

KWIRE_PUBLIC_END
