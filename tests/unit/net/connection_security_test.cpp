// Connection with TLS and SASL against an in-process fake broker on
// 127.0.0.1 (tests/support/fake_broker.hpp): TLS with certificates made at
// test time (test_pki.hpp), SASL PLAIN / SCRAM / OAUTHBEARER with server
// sides written there (the SCRAM server is an independent implementation
// over OpenSSL), SaslHandshake v0
// raw tokens, KIP-368 re-authentication, and every failure the user must be
// told about clearly. Every wait is bounded: a bug fails a check, not the run.
#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(io_context.hpp)
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kwire/net/connection.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/security/sasl_oauthbearer.hpp"
#include "kwire/security/tls.hpp"
#include "support/fake_broker.hpp"
#include "support/responses.hpp"
#include "support/run_until.hpp"
#include "support/test_pki.hpp"

using namespace std::chrono_literals;
using asio::ip::tcp;
using kwire::client_errc;
using kwire::errc;
using kwire::net::Connection;
using kwire::net::ConnectionOptions;
using kwire::protocol::ApiKey;
using kwire::test::Bytes;
using kwire::test::FakeBroker;
using kwire::test::int32_body;
using kwire::test::run_until;
using BrokerConfig = kwire::test::FakeBrokerConfig;
namespace pki = kwire::test_pki;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
Bytes bytes(std::string_view s) { return {s.begin(), s.end()}; }


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
  cfg.offer_sasl(0, std::nullopt);
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
