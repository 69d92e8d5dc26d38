// Connection with TLS and SASL against an in-process fake broker on
// 127.0.0.1: TLS with certificates made at test time (test_pki.hpp), SASL
// PLAIN / SCRAM / OAUTHBEARER with server sides written here (the SCRAM
// server is an independent implementation over OpenSSL), SaslHandshake v0
// raw tokens, KIP-368 re-authentication, and every failure the user must be
// told about clearly. Every wait is bounded: a bug fails a check, not the run.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../security/test_pki.hpp"
#include "kwire/net/connection.hpp"
#include "kwire/net/frame_decoder.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/sasl_authenticate.hpp"
#include "kwire/protocol/sasl_handshake.hpp"
#include "kwire/security/sasl_oauthbearer.hpp"
#include "kwire/security/tls.hpp"

using namespace std::chrono_literals;
using asio::ip::tcp;
using kwire::client_errc;
using kwire::errc;
using kwire::net::Connection;
using kwire::net::ConnectionOptions;
using kwire::protocol::ApiKey;
using kwire::protocol::RequestHeader;
namespace pki = kwire::test_pki;

namespace {

using Bytes = std::vector<std::uint8_t>;

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(10ms);
  }
  return done();
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
std::string text(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }
Bytes bytes(std::string_view s) { return {s.begin(), s.end()}; }

Bytes int32_body(std::int32_t v) {
  Bytes b;
  kwire::protocol::Writer(b).write_int32(v);
  return b;
}

// ---- an independent SCRAM server (RFC 5802) over OpenSSL ---------------------

Bytes hmac(const EVP_MD* md, const Bytes& key, std::string_view data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       out.data(), &len);
  out.resize(len);
  return out;
}

std::string b64(const Bytes& b) {
  std::string out(4 * ((b.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), b.data(), static_cast<int>(b.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Bytes unb64(const std::string& s) {
  Bytes out(s.size());
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return {};
  std::size_t pad = 0;
  if (!s.empty() && s.back() == '=') ++pad;
  if (s.size() > 1 && s[s.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

struct ScramServer {
  const EVP_MD* md;
  std::string user, password;
  std::string client_first_bare, server_first;
  int step = 0;

  /// The next server token, or nullopt to fail authentication.
  std::optional<std::string> respond(const std::string& message) {
    if (step++ == 0) {
      // "n,,n=user,r=nonce"
      if (message.rfind("n,,", 0) != 0) return std::nullopt;
      client_first_bare = message.substr(3);
      auto r = client_first_bare.find(",r=");
      if (client_first_bare.substr(0, r) != "n=" + user) return std::nullopt;
      std::string nonce = client_first_bare.substr(r + 3) + "SERVERNONCE";
      server_first = "r=" + nonce + ",s=" + b64(bytes("kwire-salt")) + ",i=4096";
      return server_first;
    }
    auto p = message.rfind(",p=");
    std::string without_proof = message.substr(0, p);
    Bytes proof = unb64(message.substr(p + 3));
    std::string auth = client_first_bare + "," + server_first + "," + without_proof;
    Bytes salted(static_cast<std::size_t>(EVP_MD_get_size(md)));
    Bytes salt = bytes("kwire-salt");
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                      4096, md, static_cast<int>(salted.size()), salted.data());
    Bytes client_key = hmac(md, salted, "Client Key");
    Bytes stored(static_cast<std::size_t>(EVP_MD_get_size(md)));
    EVP_Digest(client_key.data(), client_key.size(), stored.data(), nullptr, md, nullptr);
    Bytes signature = hmac(md, stored, auth);
    if (proof.size() != signature.size()) return std::nullopt;
    for (std::size_t i = 0; i < proof.size(); ++i)
      if (static_cast<std::uint8_t>(proof[i] ^ signature[i]) != client_key[i]) return std::nullopt;
    return "v=" + b64(hmac(md, hmac(md, salted, "Server Key"), auth));
  }
};

// ---- the fake broker ---------------------------------------------------------

struct BrokerConfig {
  /// TLS server context (nullptr: plaintext).
  SSL_CTX* tls = nullptr;
  std::vector<std::string> mechanisms = {"PLAIN", "SCRAM-SHA-256", "OAUTHBEARER"};
  std::int16_t max_handshake = 1;
  bool offer_authenticate = true;
  std::int16_t max_authenticate = 2;
  std::string user = "alice";
  std::string password = "alice-secret";
  std::int64_t session_lifetime_ms = 0;
  bool answer_api_versions = true;
  kwire::errc handshake_error = kwire::errc::none;  ///< e.g. illegal_sasl_state
  bool answer_authenticate = true;
  /// Delays the answer to re-authentication handshakes (KIP-368 tests).
  std::chrono::milliseconds reauth_answer_delay{0};
};

class FakeBroker;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, FakeBroker& broker);
  void start();
  void send(Bytes bytes);
  void respond(const RequestHeader& h, const Bytes& body) {
    Bytes frame;
    kwire::protocol::Writer w(frame);
    std::size_t at = w.reserve_int32();
    kwire::protocol::ResponseHeader header;
    header.correlation_id = h.correlation_id;
    header.encode(w, kwire::protocol::response_header_version(h.api_key, h.api_version));
    w.write_raw(body);
    w.patch_int32(at, static_cast<std::int32_t>(frame.size() - 4));
    send(std::move(frame));
  }
  void close() {
    std::error_code ignored;
    lowest().close(ignored);
  }
  tcp::socket& lowest() { return tls_ ? tls_->next_layer() : socket_; }

  std::vector<RequestHeader> requests;  ///< in order (raw SASL tokens appear as api_key -1)
  std::vector<Bytes> bodies;
  bool tls_failed = false;
  int authentications = 0;
  std::string mechanism;
  std::optional<ScramServer> scram;
  bool raw_tokens = false;  ///< after a SaslHandshake v0
  std::vector<std::string> plain_tokens;

 private:
  void read();
  void on_frame(const Bytes& frame);
  void on_sasl_token(const Bytes& token, std::function<void(kwire::errc, std::optional<std::string>, Bytes)> answer);
  void write_next();

  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;
  FakeBroker* broker_;
  kwire::net::FrameDecoder decoder_;
  std::array<std::uint8_t, 16384> buffer_{};
  std::deque<Bytes> out_;
  std::unique_ptr<asio::steady_timer> delay_;
};

class FakeBroker {
 public:
  FakeBroker(asio::io_context& io, BrokerConfig cfg = {})
      : io_(io), config(std::move(cfg)), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  ~FakeBroker() { stop(); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  ConnectionOptions options(const std::string& host = "127.0.0.1") const {
    ConnectionOptions o;
    o.host = host;
    o.port = port();
    o.connect_timeout = 2000ms;
    o.request_timeout = 2000ms;
    return o;
  }
  void stop() {
    std::error_code ignored;
    acceptor_.close(ignored);
    for (auto& s : sessions) s->close();
  }
  asio::io_context& io() { return io_; }

  asio::io_context& io_;
  BrokerConfig config;
  std::vector<std::shared_ptr<Session>> sessions;

 private:
  void accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
      if (ec) return;
      sessions.push_back(std::make_shared<Session>(std::move(socket), *this));
      sessions.back()->start();
      accept();
    });
  }
  tcp::acceptor acceptor_;
};

Session::Session(tcp::socket socket, FakeBroker& broker) : socket_(std::move(socket)), broker_(&broker) {}

void Session::start() {
  if (!broker_->config.tls) return read();
  SSL_CTX_up_ref(broker_->config.tls);
  asio::ssl::context ctx(broker_->config.tls);  // adopts one reference
  tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(socket_), ctx);
  tls_->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](std::error_code ec) {
    if (ec) {
      self->tls_failed = true;
      return self->close();  // as Kafka does after a failed handshake
    }
    self->read();
  });
}

void Session::read() {
  auto on_read = [self = shared_from_this()](std::error_code ec, std::size_t n) {
    if (ec) return;
    std::span<const std::uint8_t> data(self->buffer_.data(), n);
    while (true) {
      data = data.subspan(self->decoder_.put(data));
      if (self->decoder_.error()) return self->close();  // as Kafka does with an absurd size
      if (!self->decoder_.has_frame()) break;
      Bytes frame = self->decoder_.take_frame();
      self->on_frame(frame);
    }
    self->read();
  };
  if (tls_)
    tls_->async_read_some(asio::buffer(buffer_), on_read);
  else
    socket_.async_read_some(asio::buffer(buffer_), on_read);
}

void Session::send(Bytes bytes) {
  out_.push_back(std::move(bytes));
  if (out_.size() == 1) write_next();
}

void Session::write_next() {
  auto done = [self = shared_from_this()](std::error_code ec, std::size_t) {
    if (ec) return;
    self->out_.pop_front();
    if (!self->out_.empty()) self->write_next();
  };
  if (tls_)
    asio::async_write(*tls_, asio::buffer(out_.front()), done);
  else
    asio::async_write(socket_, asio::buffer(out_.front()), done);
}

void Session::on_sasl_token(const Bytes& token,
                            std::function<void(kwire::errc, std::optional<std::string>, Bytes)> answer) {
  const BrokerConfig& cfg = broker_->config;
  if (mechanism == "PLAIN") {
    plain_tokens.push_back(text(token));
    std::string expected = std::string(1, '\0') + cfg.user + std::string(1, '\0') + cfg.password;
    if (text(token) != expected)
      return answer(errc::sasl_authentication_failed, "Authentication failed: Invalid username or password", {});
    ++authentications;
    return answer(errc::none, std::nullopt, {});
  }
  if (mechanism.rfind("SCRAM-", 0) == 0) {
    if (!scram) scram = ScramServer{EVP_sha256(), cfg.user, cfg.password, {}, {}, 0};
    auto reply = scram->respond(text(token));
    if (!reply)
      return answer(errc::sasl_authentication_failed,
                    "Authentication failed during authentication due to invalid credentials with SASL mechanism " +
                        mechanism,
                    {});
    if (scram->step == 2) {
      ++authentications;
      scram.reset();
    }
    return answer(errc::none, std::nullopt, bytes(*reply));
  }
  if (mechanism == "OAUTHBEARER") {
    std::string message = text(token);
    if (message == "\x01")
      return answer(errc::sasl_authentication_failed, "Authentication failed: invalid token", {});
    if (message.find("auth=Bearer good") == std::string::npos)
      return answer(errc::none, std::nullopt, bytes(R"({"status":"invalid_token"})"));
    plain_tokens.push_back(message);
    ++authentications;
    return answer(errc::none, std::nullopt, {});
  }
  answer(errc::illegal_sasl_state, "no mechanism", {});
}

void Session::on_frame(const Bytes& frame) {
  const BrokerConfig& cfg = broker_->config;
  if (raw_tokens) {
    // SaslHandshake v0: a bare token; answer with a bare frame.
    RequestHeader marker;
    marker.api_key = static_cast<ApiKey>(-1);
    requests.push_back(marker);
    bodies.push_back(frame);
    on_sasl_token(frame, [self = shared_from_this()](kwire::errc e, std::optional<std::string>, Bytes reply) {
      if (e != errc::none) return self->close();  // v0: the broker just hangs up
      Bytes out;
      kwire::protocol::Writer w(out);
      w.write_int32(static_cast<std::int32_t>(reply.size()));
      w.write_raw(reply);
      self->send(std::move(out));
      if (self->authentications > 0 && !self->scram) self->raw_tokens = false;
    });
    return;
  }
  kwire::protocol::Reader peek(frame);
  auto key = static_cast<ApiKey>(peek.read_int16());
  std::int16_t version = peek.read_int16();
  kwire::protocol::Reader reader(frame);
  RequestHeader header;
  REQUIRE_FALSE(header.decode(reader, kwire::protocol::request_header_version(key, version)));
  auto body_view = reader.read_raw(reader.remaining());
  Bytes body(body_view.begin(), body_view.end());
  requests.push_back(header);
  bodies.push_back(body);

  switch (header.api_key) {
    case ApiKey::api_versions: {
      if (!cfg.answer_api_versions) return;
      kwire::protocol::ApiVersionsResponse r;
      r.api_keys = {{18, 0, 4, {}}, {3, 0, 12, {}}, {17, 0, cfg.max_handshake, {}}};
      if (cfg.offer_authenticate) r.api_keys.push_back({36, 0, cfg.max_authenticate, {}});
      Bytes out;
      REQUIRE_FALSE(kwire::protocol::encode_message(r, header.api_version, out));
      return respond(header, out);
    }
    case ApiKey::sasl_handshake: {
      kwire::protocol::SaslHandshakeRequest req;
      REQUIRE_FALSE(kwire::protocol::decode_message(body, header.api_version, req));
      kwire::protocol::SaslHandshakeResponse r;
      r.mechanisms = cfg.mechanisms;
      r.error_code = cfg.handshake_error;
      if (r.error_code == errc::none &&
          std::find(cfg.mechanisms.begin(), cfg.mechanisms.end(), req.mechanism) == cfg.mechanisms.end())
        r.error_code = errc::unsupported_sasl_mechanism;
      mechanism = req.mechanism;
      raw_tokens = header.api_version == 0 && r.error_code == errc::none;
      Bytes out;
      REQUIRE_FALSE(kwire::protocol::encode_message(r, header.api_version, out));
      if (authentications > 0 && cfg.reauth_answer_delay > 0ms) {
        delay_ = std::make_unique<asio::steady_timer>(broker_->io(), cfg.reauth_answer_delay);
        delay_->async_wait([self = shared_from_this(), header, out](std::error_code) { self->respond(header, out); });
        return;
      }
      return respond(header, out);
    }
    case ApiKey::sasl_authenticate: {
      if (!cfg.answer_authenticate) return;
      kwire::protocol::SaslAuthenticateRequest req;
      REQUIRE_FALSE(kwire::protocol::decode_message(body, header.api_version, req));
      const std::int16_t v = header.api_version;
      on_sasl_token(req.auth_bytes, [self = shared_from_this(), header, v, &cfg](
                                        kwire::errc e, std::optional<std::string> message, Bytes reply) {
        kwire::protocol::SaslAuthenticateResponse r;
        r.error_code = e;
        r.error_message = std::move(message);
        r.auth_bytes = std::move(reply);
        if (e == errc::none) r.session_lifetime_ms = cfg.session_lifetime_ms;
        Bytes out;
        REQUIRE_FALSE(kwire::protocol::encode_message(r, v, out));
        self->respond(header, out);
      });
      return;
    }
    default:
      // Echo the request's int32 body back as the response body.
      return respond(header, body);
  }
}

// ---- helpers ----------------------------------------------------------------

struct CtxFree {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
using ServerCtx = std::unique_ptr<SSL_CTX, CtxFree>;

ServerCtx server_tls(const pki::Issued& id, const pki::Issued* require_client_ca = nullptr,
                     int max_version = TLS1_3_VERSION) {
  ServerCtx ctx(SSL_CTX_new(TLS_server_method()));
  REQUIRE(SSL_CTX_use_certificate(ctx.get(), id.cert.get()) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey(ctx.get(), id.key.get()) == 1);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  if (require_client_ca) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), require_client_ca->cert.get());
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

std::shared_ptr<const kwire::security::TlsContext> client_tls(const kwire::security::TlsSettings& s) {
  std::string error;
  auto ctx = kwire::security::TlsContext::create(s, error);
  REQUIRE_MESSAGE(ctx, error);
  return ctx;
}

kwire::security::SaslSettings sasl(const std::string& mechanism, const std::string& password = "alice-secret") {
  kwire::security::SaslSettings s;
  s.mechanism = mechanism;
  s.username = "alice";
  s.password = password;
  return s;
}

struct Attempt {
  std::shared_ptr<Connection> conn;
  std::optional<std::error_code> result;
  std::vector<std::string> diagnostics;
};

std::unique_ptr<Attempt> connect(asio::io_context& io, ConnectionOptions options,
                                 std::chrono::milliseconds limit = 5000ms) {
  auto a = std::make_unique<Attempt>();
  Attempt* raw = a.get();
  options.diagnostics = [raw](std::string_view line) { raw->diagnostics.emplace_back(line); };
  a->conn = Connection::create(io, std::move(options));
  a->conn->connect([raw](std::error_code ec) { raw->result = ec; });
  REQUIRE(run_until(io, [raw] { return raw->result.has_value(); }, limit));
  return a;
}

/// One echo round trip on a ready connection.
Bytes echo(asio::io_context& io, Connection& conn, Bytes body) {
  std::optional<std::error_code> result;
  Bytes answer;
  conn.send_raw(ApiKey::metadata, 12, std::move(body), true, [&](std::error_code ec, std::span<const std::uint8_t> b) {
    result = ec;
    answer.assign(b.begin(), b.end());
  });
  REQUIRE(run_until(io, [&] { return result.has_value(); }));
  REQUIRE_FALSE(*result);
  return answer;
}

}  // namespace

TEST_CASE("TLS: a trusted broker, pipelined requests and a body larger than a TLS record") {
  asio::io_context io;
  auto p = pki::Pki::make();
  auto server = server_tls(p.server);
  FakeBroker broker(io, {server.get()});
  kwire::security::TlsSettings s;
  s.ca_pem = p.ca_pem;
  auto options = broker.options("localhost");
  options.security.tls = client_tls(s);
  auto a = connect(io, options);
  REQUIRE_MESSAGE(!*a->result, a->conn->error_detail());
  CHECK(a->conn->is_open());
  CHECK(a->conn->api_versions_version() == 4);

  Bytes big(200000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  CHECK(echo(io, *a->conn, big) == big);
  std::vector<std::optional<std::error_code>> results(10);
  for (int i = 0; i < 10; ++i)
    a->conn->send_raw(ApiKey::metadata, 12, int32_body(i), true,
                      [&, i](std::error_code ec, std::span<const std::uint8_t> b) {
                        results[static_cast<std::size_t>(i)] = ec;
                        CHECK(Bytes(b.begin(), b.end()) == int32_body(i));
                      });
  REQUIRE(run_until(io, [&] { return results.back().has_value(); }));
  for (auto& r : results) CHECK_FALSE(*r);
  a->conn->close();
}

TEST_CASE("TLS failures end setup with authentication_failed and say why") {
  asio::io_context io;
  auto p = pki::Pki::make();
  kwire::security::TlsSettings s;
  s.ca_pem = p.ca_pem;
  std::string expect;
  ServerCtx server;
  std::string host = "127.0.0.1";

  SUBCASE("unknown CA") {
    auto other = pki::Pki::make();
    s.ca_pem = other.ca_pem;
    server = server_tls(p.server);
    expect = "not signed by a trusted CA";
  }
  SUBCASE("host name mismatch") {
    pki::CertSpec spec;
    spec.alt_names = {"DNS:elsewhere.example"};
    auto elsewhere = pki::issue(spec, &p.ca);
    server = server_tls(elsewhere);
    expect = "does not match the host name";
  }
  SUBCASE("missing client certificate, TLS 1.3 (rejected after the handshake)") {
    server = server_tls(p.server, &p.ca);
    expect = "requires a client certificate";
  }
  SUBCASE("missing client certificate, TLS 1.2 (rejected in the handshake)") {
    server = server_tls(p.server, &p.ca, TLS1_2_VERSION);
    expect = "requires a client certificate";
  }
  FakeBroker broker(io, {server.get()});
  auto options = broker.options(host);
  options.security.tls = client_tls(s);
  auto start = std::chrono::steady_clock::now();
  auto a = connect(io, options);
  CHECK(std::chrono::steady_clock::now() - start < 1500ms);  // well before the connect timeout
  CHECK(*a->result == client_errc::authentication_failed);
  CHECK(kwire::net::is_authentication_error(*a->result));
  CHECK_MESSAGE(contains(a->conn->error_detail(), expect), a->conn->error_detail());
  CHECK(contains(a->conn->error_detail(), "127.0.0.1:" + std::to_string(broker.port())));
  REQUIRE(a->diagnostics.size() == 1);
  CHECK(a->diagnostics[0] == a->conn->error_detail());
  CHECK_FALSE(a->conn->is_open());
}

TEST_CASE("mutual TLS with a client certificate") {
  asio::io_context io;
  auto p = pki::Pki::make();
  auto server = server_tls(p.server, &p.ca);
  FakeBroker broker(io, {server.get()});
  kwire::security::TlsSettings s;
  s.ca_pem = p.ca_pem;
  s.certificate_pem = p.client_cert_pem;
  s.key_pem = p.client_key_pem;
  auto options = broker.options();
  options.security.tls = client_tls(s);
  auto a = connect(io, options);
  REQUIRE_MESSAGE(!*a->result, a->conn->error_detail());
  CHECK(echo(io, *a->conn, int32_body(5)) == int32_body(5));
}

TEST_CASE("TLS and plaintext listeners mixed up") {
  asio::io_context io;
  auto p = pki::Pki::make();
  SUBCASE("TLS client, plaintext broker: the broker hangs up during the handshake") {
    FakeBroker broker(io);
    kwire::security::TlsSettings s;
    s.ca_pem = p.ca_pem;
    auto options = broker.options();
    options.security.tls = client_tls(s);
    auto a = connect(io, options);
    CHECK(*a->result == client_errc::disconnected);
    CHECK_MESSAGE(contains(a->conn->error_detail(), "TLS listener"), a->conn->error_detail());
  }
  SUBCASE("plaintext client, TLS broker that hangs up") {
    auto server = server_tls(p.server);
    FakeBroker broker(io, {server.get()});
    auto a = connect(io, broker.options());
    CHECK(*a->result == client_errc::disconnected);
    CHECK_MESSAGE(contains(a->conn->error_detail(), "security.protocol=SSL"), a->conn->error_detail());
  }
  SUBCASE("plaintext client, TLS broker that sends an alert") {
    FakeBroker broker(io);
    broker.config.answer_api_versions = false;
    auto conn = Connection::create(io, broker.options());
    std::optional<std::error_code> result;
    conn->connect([&](std::error_code ec) { result = ec; });
    REQUIRE(run_until(io, [&] { return !broker.sessions.empty() && !broker.sessions[0]->requests.empty(); }));
    // Instead of an ApiVersions response: a TLS alert record (protocol_version).
    broker.sessions[0]->send(Bytes{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46});
    REQUIRE(run_until(io, [&] { return result.has_value(); }));
    CHECK(*result == client_errc::authentication_failed);
    CHECK_MESSAGE(contains(conn->error_detail(), "answered in TLS"), conn->error_detail());
  }
}

TEST_CASE("SASL PLAIN: success, and a wrong password as one clear error") {
  asio::io_context io;
  FakeBroker broker(io);
  SUBCASE("v1 with SaslAuthenticate") {
    auto options = broker.options();
    options.security.sasl = sasl("PLAIN");
    auto a = connect(io, options);
    REQUIRE_MESSAGE(!*a->result, a->conn->error_detail());
    CHECK(a->conn->sasl_mechanism() == "PLAIN");
    const auto& requests = broker.sessions[0]->requests;
    REQUIRE(requests.size() == 3);
    CHECK(requests[0].api_key == ApiKey::api_versions);
    CHECK(requests[1].api_key == ApiKey::sasl_handshake);
    CHECK(requests[1].api_version == 1);
    CHECK(requests[2].api_key == ApiKey::sasl_authenticate);
    CHECK(requests[2].api_version == 2);
    CHECK(echo(io, *a->conn, int32_body(9)) == int32_body(9));
    CHECK(a->conn->in_flight() == 0);
  }
  SUBCASE("wrong password") {
    auto options = broker.options();
    options.security.sasl = sasl("PLAIN", "wrong-secret");
    auto a = connect(io, options);
    CHECK(*a->result == client_errc::authentication_failed);
    const std::string& d = a->conn->error_detail();
    CHECK(contains(d, "SASL authentication failed for user alice on 127.0.0.1:" + std::to_string(broker.port())));
    CHECK(contains(d, "Invalid username or password"));
    CHECK(contains(d, "check sasl.username / sasl.password"));
    CHECK_FALSE(contains(d, "wrong-secret"));
    CHECK(a->diagnostics.size() == 1);
    // Later requests fail with the same, non-retriable reason.
    std::optional<std::error_code> late;
    a->conn->send_raw(ApiKey::metadata, 12, {}, true, [&](std::error_code ec, auto) { late = ec; });
    REQUIRE(run_until(io, [&] { return late.has_value(); }));
    CHECK(*late == client_errc::authentication_failed);
  }
}

TEST_CASE("SASL SCRAM-SHA-256 against an independent SCRAM server") {
  asio::io_context io;
  FakeBroker broker(io);
  auto options = broker.options();
  SUBCASE("right password") {
    options.security.sasl = sasl("SCRAM-SHA-256");
    auto a = connect(io, options);
    REQUIRE_MESSAGE(!*a->result, a->conn->error_detail());
    CHECK(broker.sessions[0]->authentications == 1);
    CHECK(echo(io, *a->conn, int32_body(1)) == int32_body(1));
  }
  SUBCASE("wrong password") {
    options.security.sasl = sasl("SCRAM-SHA-256", "nope");
    auto a = connect(io, options);
    CHECK(*a->result == client_errc::authentication_failed);
    CHECK(contains(a->conn->error_detail(), "invalid credentials with SASL mechanism SCRAM-SHA-256"));
    CHECK(contains(a->conn->error_detail(), "for user alice"));
  }
}

TEST_CASE("SASL refusals: unsupported mechanism, not a SASL listener, a step that fails") {
  asio::io_context io;
  FakeBroker broker(io);
  auto options = broker.options();
  std::string expect;
  SUBCASE("mechanism not enabled") {
    options.security.sasl = sasl("SCRAM-SHA-512");
    expect = "SASL mechanism SCRAM-SHA-512 is not enabled on 127.0.0.1:" + std::to_string(broker.port()) +
             " (the listener offers: PLAIN, SCRAM-SHA-256, OAUTHBEARER); check sasl.mechanism";
  }
  SUBCASE("ILLEGAL_SASL_STATE") {
    broker.config.handshake_error = errc::illegal_sasl_state;
    options.security.sasl = sasl("PLAIN");
    expect = "is it a SASL listener? check security.protocol";
  }
  SUBCASE("the mechanism itself gives up") {
    options.security.sasl = sasl("OAUTHBEARER");
    options.security.sasl->oauthbearer_token = "has spaces";
    expect = "SASL OAUTHBEARER authentication on 127.0.0.1";
  }
  SUBCASE("no token at all") {
    options.security.sasl = sasl("OAUTHBEARER");
    expect = "no OAuth bearer token";
  }
  auto a = connect(io, options);
  CHECK(*a->result == client_errc::authentication_failed);
  CHECK_MESSAGE(contains(a->conn->error_detail(), expect), a->conn->error_detail());
}

TEST_CASE("OAUTHBEARER: accepted token, and a rejected one with the broker's JSON") {
  asio::io_context io;
  FakeBroker broker(io);
  auto options = broker.options();
  options.security.sasl = sasl("OAUTHBEARER");
  SUBCASE("accepted") {
    options.security.sasl->oauthbearer_token = "good.token.";
    auto a = connect(io, options);
    REQUIRE_MESSAGE(!*a->result, a->conn->error_detail());
  }
  SUBCASE("rejected") {
    options.security.sasl->oauthbearer_token = "bad.token.";
    options.security.sasl->oauthbearer_principal = "svc-orders";
    auto a = connect(io, options);
    CHECK(*a->result == client_errc::authentication_failed);
    const std::string& d = a->conn->error_detail();
    CHECK_MESSAGE(contains(d, "for user svc-orders"), d);
    CHECK(contains(d, R"([broker: {"status":"invalid_token"}])"));
    CHECK(contains(d, "Authentication failed: invalid token"));
    CHECK_FALSE(contains(d, "bad.token"));
  }
}

TEST_CASE("SaslHandshake v0: tokens as raw frames when the broker has no SaslAuthenticate") {
  asio::io_context io;
  BrokerConfig cfg;
  cfg.max_handshake = 0;
  cfg.offer_authenticate = false;
  FakeBroker broker(io, cfg);
  auto options = broker.options();
  options.security.sasl = sasl("PLAIN");
  auto a = connect(io, options);
  REQUIRE_MESSAGE(!*a->result, a->conn->error_detail());
  const auto& requests = broker.sessions[0]->requests;
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].api_key == ApiKey::sasl_handshake);
  CHECK(requests[1].api_version == 0);
  CHECK(static_cast<int>(requests[2].api_key) == -1);  // a bare token, no header
  CHECK(broker.sessions[0]->bodies[2] == bytes(std::string("\0alice\0alice-secret", 19)));
  CHECK(echo(io, *a->conn, int32_body(3)) == int32_body(3));
}

TEST_CASE("SASL over TLS (SASL_SSL)") {
  asio::io_context io;
  auto p = pki::Pki::make();
  auto server = server_tls(p.server);
  FakeBroker broker(io, {server.get()});
  kwire::security::TlsSettings s;
  s.ca_pem = p.ca_pem;
  auto options = broker.options();
  options.security.tls = client_tls(s);
  options.security.sasl = sasl("SCRAM-SHA-256");
  auto a = connect(io, options);
  REQUIRE_MESSAGE(!*a->result, a->conn->error_detail());
  CHECK(echo(io, *a->conn, int32_body(77)) == int32_body(77));
}

TEST_CASE("a broker that never finishes SASL: connect_timeout, with the phase named") {
  asio::io_context io;
  BrokerConfig cfg;
  cfg.answer_authenticate = false;
  FakeBroker broker(io, cfg);
  auto options = broker.options();
  options.connect_timeout = 300ms;
  options.security.sasl = sasl("PLAIN");
  auto a = connect(io, options);
  CHECK(*a->result == client_errc::timed_out);
  CHECK(contains(a->conn->error_detail(), "timed out during SASL authentication"));
}

TEST_CASE("KIP-368: re-authentication before the session ends, holding requests meanwhile") {
  asio::io_context io;
  BrokerConfig cfg;
  cfg.session_lifetime_ms = 400;
  cfg.reauth_answer_delay = 100ms;
  FakeBroker broker(io, cfg);
  auto options = broker.options();
  options.security.sasl = sasl("OAUTHBEARER");
  int tokens = 0;
  options.security.sasl->oauthbearer_token_provider = [&tokens] { return "good.token" + std::to_string(++tokens) + "."; };
  auto a = connect(io, options);
  REQUIRE_MESSAGE(!*a->result, a->conn->error_detail());
  CHECK(a->conn->session_lifetime_ms() == 400);
  auto& session = *broker.sessions[0];

  // Wait until the re-authentication has started (85-95% of 400 ms), then send.
  REQUIRE(run_until(io, [&] { return session.requests.size() == 4; }, 2000ms));
  CHECK(session.requests[3].api_key == ApiKey::sasl_handshake);
  std::optional<std::error_code> result;
  a->conn->send_raw(ApiKey::metadata, 12, int32_body(42), true, [&](std::error_code ec, auto) { result = ec; });
  CHECK(a->conn->in_flight() == 1);
  REQUIRE(run_until(io, [&] { return result.has_value(); }));
  CHECK_FALSE(*result);
  // The held request reached the broker only after the re-authentication.
  REQUIRE(session.requests.size() == 6);
  CHECK(session.requests[4].api_key == ApiKey::sasl_authenticate);
  CHECK(session.requests[5].api_key == ApiKey::metadata);
  CHECK(a->conn->reauthentications() == 1);
  CHECK(tokens == 2);  // a fresh token for the re-authentication
  CHECK(session.authentications == 2);
  CHECK(a->diagnostics.size() == 1);
  CHECK(contains(a->diagnostics[0], "re-authenticated"));

  // And again, on its own, within the next lifetime.
  REQUIRE(run_until(io, [&] { return a->conn->reauthentications() == 2; }, 2000ms));
  CHECK(a->conn->is_open());
  a->conn->close();
}

TEST_CASE("KIP-368: a re-authentication the broker refuses fails the connection and the held requests") {
  asio::io_context io;
  BrokerConfig cfg;
  cfg.session_lifetime_ms = 300;
  cfg.reauth_answer_delay = 100ms;
  FakeBroker broker(io, cfg);
  auto options = broker.options();
  options.security.sasl = sasl("OAUTHBEARER");
  int tokens = 0;
  options.security.sasl->oauthbearer_token_provider = [&tokens] {
    return ++tokens == 1 ? std::string("good.first.") : std::string("revoked.");
  };
  auto a = connect(io, options);
  REQUIRE_MESSAGE(!*a->result, a->conn->error_detail());
  auto& session = *broker.sessions[0];
  REQUIRE(run_until(io, [&] { return session.requests.size() == 4; }, 2000ms));
  std::optional<std::error_code> held;
  a->conn->send_raw(ApiKey::metadata, 12, {}, true, [&](std::error_code ec, auto) { held = ec; });
  REQUIRE(run_until(io, [&] { return held.has_value(); }));
  CHECK(*held == client_errc::authentication_failed);
  CHECK(a->conn->close_reason() == client_errc::authentication_failed);
  CHECK(contains(a->conn->error_detail(), "invalid_token"));
  CHECK(session.requests.size() == 6);  // handshake + two tokens; the held request never went out
}
