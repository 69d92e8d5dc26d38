// TlsContext: settings errors, and real TLS handshakes against an in-memory
// OpenSSL server (a BIO pair, no socket) with certificates made at test
// time, for every failure the user must be told about clearly.
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "kwire/security/tls.hpp"
#include "support/test_pki.hpp"

using namespace kwire::security;
namespace pki = kwire::test_pki;

namespace {

struct CtxFree {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
using ServerCtx = std::unique_ptr<SSL_CTX, CtxFree>;

/// A TLS server context presenting `cert`/`key`; with `client_ca`, it
/// requires a client certificate issued by it.
ServerCtx server_context(const pki::Issued& id, const pki::Issued* client_ca = nullptr,
                         int max_version = TLS1_3_VERSION) {
  ServerCtx ctx(SSL_CTX_new(TLS_server_method()));
  REQUIRE(SSL_CTX_use_certificate(ctx.get(), id.cert.get()) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey(ctx.get(), id.key.get()) == 1);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  if (client_ca) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), client_ca->cert.get());
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

struct HandshakeResult {
  bool ok = false;
  TlsFailure failure;
  int version = 0;
  std::string sni;  ///< the server name the server saw
};

/// Runs a handshake between a kwire client session for `host` and an
/// OpenSSL server over a BIO pair, then one read on the client (TLS 1.3
/// servers reject a client certificate only after the client finished).
HandshakeResult handshake(const TlsContext& client_ctx, SSL_CTX* server_ctx, const std::string& host) {
  std::string error;
  SSL* client = client_ctx.new_session(host, error);
  REQUIRE_MESSAGE(client != nullptr, error);
  SSL* server = SSL_new(server_ctx);
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);

  HandshakeResult result;
  unsigned long client_error = 0;
  bool client_done = false, server_done = false, failed = false;
  for (int round = 0; round < 50 && !failed && !(client_done && server_done); ++round) {
    if (!client_done) {
      ERR_clear_error();
      int rc = SSL_do_handshake(client);
      if (rc == 1) {
        client_done = true;
      } else if (SSL_get_error(client, rc) != SSL_ERROR_WANT_READ) {
        client_error = ERR_peek_last_error();
        failed = true;
      }
    }
    if (!server_done) {
      int rc = SSL_do_handshake(server);
      if (rc == 1) {
        server_done = true;
      } else if (SSL_get_error(server, rc) != SSL_ERROR_WANT_READ) {
        server_done = true;  // the server gave up; its alert is on the way
      }
    }
  }
  if (!failed && client_done) {
    // The server may still reject us (TLS 1.3 client auth): send a byte so
    // the server processes our Finished, then read.
    SSL_write(client, "x", 1);
    char buf[8];
    SSL_read(server, buf, sizeof buf);
    SSL_write(server, "y", 1);
    ERR_clear_error();
    int rc = SSL_read(client, buf, sizeof buf);
    if (rc <= 0) {
      client_error = ERR_peek_last_error();
      failed = true;
    }
  }
  if (failed) {
    result.failure = client_ctx.describe_failure(client, client_error, host + ":9093");
    MESSAGE("handshake failed: " << result.failure.message);
  } else {
    result.ok = true;
    result.version = SSL_version(client);
    const char* name = SSL_get_servername(server, TLSEXT_NAMETYPE_host_name);
    result.sni = name ? name : "";
  }
  ERR_clear_error();
  SSL_free(client);
  SSL_free(server);
  return result;
}

std::shared_ptr<const TlsContext> make(const TlsSettings& s) {
  std::string error;
  auto ctx = TlsContext::create(s, error);
  REQUIRE_MESSAGE(ctx, error);
  CHECK(error.empty());
  return ctx;
}

std::string create_error(const TlsSettings& s) {
  std::string error;
  CHECK_FALSE(TlsContext::create(s, error));
  return error;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// A file that lives for one test.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/kwire-tls-test-XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path) << content;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("a trusted broker: TLS 1.3 by default, TLS 1.2 when capped, SNI for names only") {
  auto p = pki::Pki::make();
  TlsSettings s;
  s.ca_pem = p.ca_pem;
  auto ctx = make(s);
  auto server = server_context(p.server);

  auto r = handshake(*ctx, server.get(), "localhost");
  REQUIRE_MESSAGE(r.ok, r.failure.message);
  CHECK(r.version == TLS1_3_VERSION);
  CHECK(r.sni == "localhost");

  auto by_ip = handshake(*ctx, server.get(), "127.0.0.1");
  REQUIRE_MESSAGE(by_ip.ok, by_ip.failure.message);
  CHECK(by_ip.sni.empty());  // RFC 6066: no SNI for an address

  auto tls12_server = server_context(p.server, nullptr, TLS1_2_VERSION);
  auto r12 = handshake(*ctx, tls12_server.get(), "localhost");
  REQUIRE_MESSAGE(r12.ok, r12.failure.message);
  CHECK(r12.version == TLS1_2_VERSION);

  s.max_version = TlsVersion::tls1_2;
  auto r12c = handshake(*make(s), server.get(), "localhost");
  REQUIRE(r12c.ok);
  CHECK(r12c.version == TLS1_2_VERSION);
}

TEST_CASE("CA and client identity from files work like PEM text") {
  auto p = pki::Pki::make();
  TempFile ca(p.ca_pem), cert(p.client_cert_pem), key(pki::to_pem(p.client.key.get(), "k3y-pass"));
  TlsSettings s;
  s.ca_location = ca.path;
  s.certificate_location = cert.path;
  s.key_location = key.path;
  s.key_password = "k3y-pass";
  auto ctx = make(s);
  CHECK(ctx->has_client_certificate());
  auto server = server_context(p.server, &p.ca);
  auto r = handshake(*ctx, server.get(), "localhost");
  CHECK_MESSAGE(r.ok, r.failure.message);
}

TEST_CASE("mutual TLS with in-memory PEM") {
  auto p = pki::Pki::make();
  TlsSettings s;
  s.ca_pem = p.ca_pem;
  s.certificate_pem = p.client_cert_pem;
  s.key_pem = p.client_key_pem;
  auto server = server_context(p.server, &p.ca);
  auto r = handshake(*make(s), server.get(), "localhost");
  CHECK_MESSAGE(r.ok, r.failure.message);
}

TEST_CASE("an unknown CA is a clear authentication error") {
  auto p = pki::Pki::make();
  auto other = pki::Pki::make();
  TlsSettings s;
  s.ca_pem = other.ca_pem;  // trusts a different CA
  auto server = server_context(p.server);
  auto r = handshake(*make(s), server.get(), "localhost");
  REQUIRE_FALSE(r.ok);
  CHECK(r.failure.authentication);
  CHECK(contains(r.failure.message, "not signed by a trusted CA"));
  CHECK(contains(r.failure.message, "ssl.ca.location"));
  CHECK(contains(r.failure.message, "localhost:9093"));
}

TEST_CASE("a host name mismatch names the certificate's names and the way out") {
  pki::CertSpec spec;
  spec.common_name = "broker.example";
  spec.alt_names = {"DNS:broker.example"};
  auto p = pki::Pki::make(spec);
  TlsSettings s;
  s.ca_pem = p.ca_pem;
  auto server = server_context(p.server);

  auto by_ip = handshake(*make(s), server.get(), "127.0.0.1");
  REQUIRE_FALSE(by_ip.ok);
  CHECK(by_ip.failure.authentication);
  CHECK(contains(by_ip.failure.message, "does not match"));
  CHECK(contains(by_ip.failure.message, "DNS:broker.example"));
  CHECK(contains(by_ip.failure.message, "ssl.endpoint.identification.algorithm=none"));

  auto by_name = handshake(*make(s), server.get(), "localhost");
  REQUIRE_FALSE(by_name.ok);
  CHECK(contains(by_name.failure.message, "does not match"));

  s.verify_hostname = false;  // ssl.endpoint.identification.algorithm=none
  auto relaxed = handshake(*make(s), server.get(), "127.0.0.1");
  CHECK_MESSAGE(relaxed.ok, relaxed.failure.message);
}

TEST_CASE("an expired broker certificate") {
  pki::CertSpec spec;
  spec.not_before_seconds = -2 * 86400;
  spec.not_after_seconds = -86400;
  auto p = pki::Pki::make(spec);
  TlsSettings s;
  s.ca_pem = p.ca_pem;
  auto server = server_context(p.server);
  auto r = handshake(*make(s), server.get(), "localhost");
  REQUIRE_FALSE(r.ok);
  CHECK(r.failure.authentication);
  CHECK(contains(r.failure.message, "has expired"));
}

TEST_CASE("a broker that requires a client certificate we do not have") {
  auto p = pki::Pki::make();
  TlsSettings s;
  s.ca_pem = p.ca_pem;
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    CAPTURE(version);
    auto server = server_context(p.server, &p.ca, version);
    auto r = handshake(*make(s), server.get(), "localhost");
    REQUIRE_FALSE(r.ok);
    CHECK(r.failure.authentication);
    CHECK(contains(r.failure.message, "requires a client certificate"));
    CHECK(contains(r.failure.message, "ssl.certificate.location"));
  }
}

TEST_CASE("a client certificate from a CA the broker does not trust") {
  auto p = pki::Pki::make();
  auto other = pki::Pki::make();
  TlsSettings s;
  s.ca_pem = p.ca_pem;
  s.certificate_pem = other.client_cert_pem;
  s.key_pem = other.client_key_pem;
  auto server = server_context(p.server, &p.ca);
  auto r = handshake(*make(s), server.get(), "localhost");
  REQUIRE_FALSE(r.ok);
  CHECK(r.failure.authentication);
  CHECK(contains(r.failure.message, "rejected the client certificate"));
}

TEST_CASE("settings errors name the property and never the secret") {
  auto p = pki::Pki::make();
  TlsSettings s;

  s.ca_location = "/nonexistent/ca.pem";
  CHECK(contains(create_error(s), "ssl.ca.location: cannot read /nonexistent/ca.pem"));
  s = {};
  TempFile not_pem("hello\n");
  s.ca_location = not_pem.path;
  CHECK(contains(create_error(s), "ssl.ca.location: no PEM certificate"));
  s = {};
  s.ca_pem = "garbage";
  CHECK(contains(create_error(s), "ssl.ca.pem"));
  s = {};
  s.ca_pem = p.ca_pem;
  s.ca_location = "/x";
  CHECK(contains(create_error(s), "not both"));

  s = {};
  s.certificate_pem = p.client_cert_pem;
  CHECK(contains(create_error(s), "needs its private key"));
  s = {};
  s.key_pem = p.client_key_pem;
  CHECK(contains(create_error(s), "needs its client certificate"));

  s = {};
  s.certificate_pem = p.client_cert_pem;
  s.key_pem = pki::to_pem(p.client.key.get(), "right-password");
  s.key_password = "wrong-password";
  std::string e = create_error(s);
  CHECK(contains(e, "wrong ssl.key.password"));
  CHECK_FALSE(contains(e, "wrong-password"));
  s.key_password.clear();
  CHECK(contains(create_error(s), "set ssl.key.password"));

  s = {};
  s.certificate_pem = p.client_cert_pem;
  s.key_pem = p.server_key_pem;  // someone else's key
  CHECK(contains(create_error(s), "does not match the client certificate"));

  s = {};
  s.certificate_location = "/nonexistent/client.pem";
  s.key_location = "/nonexistent/client.key";
  CHECK(contains(create_error(s), "ssl.certificate.location: cannot read"));
}

TEST_CASE("no CA configured: the system store is used") {
  auto p = pki::Pki::make();
  auto ctx = make(TlsSettings{});
  auto server = server_context(p.server);
  auto r = handshake(*ctx, server.get(), "localhost");
  REQUIRE_FALSE(r.ok);  // our throw-away CA is not in the system store
  CHECK(contains(r.failure.message, "not signed by a trusted CA"));
}
