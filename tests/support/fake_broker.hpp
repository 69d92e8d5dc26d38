#pragma once
// A tiny Kafka broker in the test process, for Connection tests: an Asio
// acceptor on 127.0.0.1 port 0 on the test's own io_context. It answers
// ApiVersions (with the KIP-511 v0 refusal for versions it does not know),
// optionally speaks TLS (a server SSL_CTX from test_pki.hpp), and runs the
// server side of SASL PLAIN, SCRAM-SHA-256 (an independent RFC 5802
// implementation over OpenSSL) and OAUTHBEARER, over SaslHandshake v1 +
// SaslAuthenticate or v0 raw tokens, with KIP-368 session lifetimes. Every
// other request goes to `on_request`, which echoes the body by default.
//
// Threading: everything runs on the io_context passed in, like the client
// under test; tests bound every wait with run_until.hpp.
#include <openssl/types.h>

#include <array>
#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(io_context.hpp)
#include KWIRE_ASIO_INCLUDE(ip/tcp.hpp)
#include KWIRE_ASIO_INCLUDE(steady_timer.hpp)
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kwire/net/connection.hpp"
#include "kwire/net/frame_decoder.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::test {

using Bytes = std::vector<std::uint8_t>;

/// One API's version range, for FakeBrokerConfig::ranges.
protocol::ApiVersionsResponse::ApiVersion api_range(protocol::ApiKey key, std::int16_t min, std::int16_t max);

/// Ranges like a Kafka 3.x broker's (SaslHandshake 0-1, SaslAuthenticate
/// 0-2 included), plus a key kwire does not know.
std::vector<protocol::ApiVersionsResponse::ApiVersion> default_api_ranges();

struct FakeBrokerConfig {
  /// TLS server context (nullptr: plaintext). The broker takes a reference.
  SSL_CTX* tls = nullptr;

  // ApiVersions.
  std::vector<protocol::ApiVersionsResponse::ApiVersion> ranges = default_api_ranges();
  /// Higher ApiVersions versions are refused in the v0 format (KIP-511).
  std::int16_t max_api_versions_version = 4;
  kwire::errc api_versions_error = kwire::errc::none;
  bool answer_api_versions = true;

  // SASL.
  std::vector<std::string> mechanisms = {"PLAIN", "SCRAM-SHA-256", "OAUTHBEARER"};
  std::string user = "alice";
  std::string password = "alice-secret";
  std::int64_t session_lifetime_ms = 0;
  kwire::errc handshake_error = kwire::errc::none;  ///< e.g. illegal_sasl_state
  bool answer_authenticate = true;
  /// Delays the answer to re-authentication handshakes (KIP-368 tests).
  std::chrono::milliseconds reauth_answer_delay{0};

  /// Sets the SaslHandshake and SaslAuthenticate ranges (max versions;
  /// nullopt: not offered), e.g. (0, nullopt) for a broker before 1.0.
  void offer_sasl(std::optional<std::int16_t> handshake_max, std::optional<std::int16_t> authenticate_max);
};

/// The server side of SCRAM (RFC 5802), written independently of kwire's client.
struct ScramServer {
  const EVP_MD* md;
  std::string user, password;
  std::string client_first_bare, server_first;
  int step = 0;
  /// The next server token, or nullopt to fail authentication.
  std::optional<std::string> respond(const std::string& message);
};

class FakeBroker;

/// One accepted connection: reads request frames, answers what the broker
/// config and the test say.
class FakeSession : public std::enable_shared_from_this<FakeSession> {
 public:
  FakeSession(asio::ip::tcp::socket socket, FakeBroker& broker);
  ~FakeSession();
  void start();

  /// Writes `body` as the response to `request`, with the header version
  /// its API and version call for (ApiVersions: v0, KIP-511), and the
  /// request's correlation id unless `correlation` says otherwise.
  void respond(const protocol::RequestHeader& request, const Bytes& body,
               std::optional<std::int32_t> correlation = {});
  /// Writes raw bytes after what is queued.
  void send(Bytes bytes);
  /// Closes once everything queued so far has been written.
  void close_after_writes();
  void close();

  std::vector<protocol::RequestHeader> requests;  ///< in order (raw SASL tokens appear as api_key -1)
  std::vector<Bytes> bodies;
  bool tls_failed = false;
  int authentications = 0;
  std::string mechanism;
  std::optional<ScramServer> scram;
  bool raw_tokens = false;  ///< after a SaslHandshake v0
  std::vector<std::string> plain_tokens;

 private:
  /// The server's TLS stream; defined in fake_broker.cpp, so that only it
  /// compiles asio/ssl.
  struct TlsLayer;
  asio::ip::tcp::socket& lowest();
  void read();
  void on_frame(const Bytes& frame);
  void on_sasl_token(const Bytes& token, std::function<void(kwire::errc, std::optional<std::string>, Bytes)> answer);
  void answer_api_versions(const protocol::RequestHeader& header);
  void write_next();

  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsLayer> tls_;
  FakeBroker* broker_;
  net::FrameDecoder decoder_;
  std::array<std::uint8_t, 16384> buffer_{};
  std::deque<Bytes> out_;
  bool close_when_drained_ = false;
  std::unique_ptr<asio::steady_timer> delay_;
};

class FakeBroker {
 public:
  /// Called for every request but ApiVersions and SASL.
  using Handler = std::function<void(FakeSession&, const protocol::RequestHeader&, const Bytes& body)>;

  /// Answers with the request's body.
  static void echo(FakeSession& session, const protocol::RequestHeader& header, const Bytes& body) {
    session.respond(header, body);
  }
  /// Never answers.
  static void ignore(FakeSession&, const protocol::RequestHeader&, const Bytes&) {}

  explicit FakeBroker(asio::io_context& io, FakeBrokerConfig cfg = {});
  ~FakeBroker();
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  std::uint16_t port() const;
  /// Options for a Connection to this broker at `host` (2 s timeouts).
  net::ConnectionOptions options(const std::string& host = "127.0.0.1") const;
  /// Stops accepting and closes every session.
  void stop();
  asio::io_context& io() { return io_; }

  FakeBrokerConfig config;
  Handler on_request = echo;
  std::vector<std::shared_ptr<FakeSession>> sessions;

 private:
  void accept();

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
};

}  // namespace kwire::test
