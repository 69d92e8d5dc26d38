// PLAIN (RFC 4616) and OAUTHBEARER (RFC 7628 as Kafka runs it, KIP-255/342),
// and the mechanism factory.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "kwire/security/sasl_oauthbearer.hpp"
#include "kwire/security/sasl_plain.hpp"
#include "kwire/security/sasl_settings.hpp"

using namespace kwire::security;

namespace {
std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }
std::string text(const std::vector<std::uint8_t>& b) { return {b.begin(), b.end()}; }

/// Decodes base64url without padding (test helper for JWT parts).
std::string base64url_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    REQUIRE(v >= 0);
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}
}  // namespace

TEST_CASE("PLAIN sends authzid NUL user NUL password, then accepts the empty answer") {
  PlainMechanism m("alice", "alice-secret");
  CHECK(m.name() == "PLAIN");
  StepResult first = m.step({});
  REQUIRE(first.kind == StepResult::Kind::respond);
  CHECK(first.response == std::vector<std::uint8_t>{0, 'a', 'l', 'i', 'c', 'e', 0, 'a', 'l', 'i', 'c', 'e', '-', 's',
                                                    'e', 'c', 'r', 'e', 't'});
  CHECK(m.step({}).kind == StepResult::Kind::done);
  CHECK(m.step({}).kind == StepResult::Kind::failed);
  CHECK(m.principal() == "alice");
}

TEST_CASE("PLAIN refuses what RFC 4616 cannot carry") {
  PlainMechanism nul("al\0ice", "pw");
  CHECK(PlainMechanism(std::string("al\0ice", 6), "pw").step({}).kind == StepResult::Kind::failed);
  CHECK(PlainMechanism("", "pw").step({}).kind == StepResult::Kind::failed);
  PlainMechanism m("alice", "pw");
  m.step({});
  StepResult r = m.step(bytes("unexpected"));
  REQUIRE(r.kind == StepResult::Kind::failed);
  CHECK(r.message.find("pw") == std::string::npos);
}

TEST_CASE("OAUTHBEARER client first message, with and without extensions") {
  SUBCASE("token only") {
    OAuthBearerMechanism m("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.");
    StepResult r = m.step({});
    REQUIRE(r.kind == StepResult::Kind::respond);
    CHECK(text(r.response) == "n,,\x01" "auth=Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.\x01\x01");
    CHECK(m.step({}).kind == StepResult::Kind::done);
  }
  SUBCASE("extensions, sorted by key (KIP-342)") {
    OAuthBearerMechanism m("tok", {{"traceId", "123"}, {"logicalCluster", "lkc-1"}});
    StepResult r = m.step({});
    REQUIRE(r.kind == StepResult::Kind::respond);
    CHECK(text(r.response) == "n,,\x01" "auth=Bearer tok\x01logicalCluster=lkc-1\x01traceId=123\x01\x01");
  }
}

TEST_CASE("OAUTHBEARER acknowledges the broker's error JSON and keeps it for the message") {
  OAuthBearerMechanism m("tok", {}, "alice");
  REQUIRE(m.step({}).kind == StepResult::Kind::respond);
  StepResult ack = m.step(bytes(R"({"status":"invalid_token"})"));
  REQUIRE(ack.kind == StepResult::Kind::respond);
  CHECK(ack.response == std::vector<std::uint8_t>{0x01});
  CHECK(m.server_error() == R"({"status":"invalid_token"})");
  StepResult after = m.step({});
  REQUIRE(after.kind == StepResult::Kind::failed);
  CHECK(after.message.find("invalid_token") != std::string::npos);
  CHECK(after.message.find("tok") == after.message.find("token"));  // the token itself never appears
}

TEST_CASE("OAUTHBEARER refuses invalid tokens and extensions without echoing the token") {
  CHECK(OAuthBearerMechanism("").step({}).kind == StepResult::Kind::failed);
  StepResult r = OAuthBearerMechanism("secret token with spaces").step({});
  REQUIRE(r.kind == StepResult::Kind::failed);
  CHECK(r.message.find("secret") == std::string::npos);
  CHECK(OAuthBearerMechanism("tok", {{"auth", "x"}}).step({}).kind == StepResult::Kind::failed);
  CHECK(OAuthBearerMechanism("tok", {{"bad-key", "x"}}).step({}).kind == StepResult::Kind::failed);
  CHECK(OAuthBearerMechanism("tok", {{"k", "\x01"}}).step({}).kind == StepResult::Kind::failed);
  CHECK(OAuthBearerMechanism("abc==").step({}).kind == StepResult::Kind::respond);
  CHECK(OAuthBearerMechanism("a=bc").step({}).kind == StepResult::Kind::failed);
}

TEST_CASE("make_unsecured_jwt: alg none, sub, iat, exp, scope, empty signature") {
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  std::string jwt = make_unsecured_jwt("alice", std::chrono::seconds(3600), {"read", "write"}, now);
  auto dot1 = jwt.find('.');
  auto dot2 = jwt.find('.', dot1 + 1);
  REQUIRE(dot2 == jwt.size() - 1);
  CHECK(base64url_decode(jwt.substr(0, dot1)) == R"({"alg":"none"})");
  CHECK(base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)) ==
        R"({"sub":"alice","iat":1700000000,"exp":1700003600,"scope":["read","write"]})");
  // A JWT is a valid RFC 6750 b64token, so OAUTHBEARER accepts it.
  CHECK(OAuthBearerMechanism(jwt).step({}).kind == StepResult::Kind::respond);
}

TEST_CASE("make_sasl_mechanism picks the mechanism and its credentials") {
  std::string error;
  SaslSettings s;
  s.username = "alice";
  s.password = "pw";
  for (const char* name : {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI"}) {
    s.mechanism = name;
    auto m = make_sasl_mechanism(s, "localhost", error);
    REQUIRE(m);
    CHECK(m->name() == name);
    CHECK(error.empty());
  }
  s.mechanism = "SCRAM-SHA-1";
  CHECK_FALSE(make_sasl_mechanism(s, "localhost", error));
  CHECK(error.find("SCRAM-SHA-1") != std::string::npos);

  s.mechanism = "OAUTHBEARER";
  CHECK_FALSE(make_sasl_mechanism(s, "localhost", error));
  CHECK(error.find("token") != std::string::npos);
  s.oauthbearer_token = "static";
  auto m = make_sasl_mechanism(s, "localhost", error);
  REQUIRE(m);
  CHECK(text(m->step({}).response).find("Bearer static") != std::string::npos);

  int calls = 0;
  s.oauthbearer_token_provider = [&] { return "fresh" + std::to_string(++calls); };
  m = make_sasl_mechanism(s, "localhost", error);
  REQUIRE(m);
  CHECK(text(m->step({}).response).find("Bearer fresh1") != std::string::npos);
  m = make_sasl_mechanism(s, "localhost", error);
  CHECK(text(m->step({}).response).find("Bearer fresh2") != std::string::npos);

  s.oauthbearer_token_provider = []() -> std::string { throw std::runtime_error("IdP unreachable"); };
  CHECK_FALSE(make_sasl_mechanism(s, "localhost", error));
  CHECK(error.find("IdP unreachable") != std::string::npos);

  s.factory = [](std::string_view host) -> std::unique_ptr<SaslMechanism> {
    return std::make_unique<PlainMechanism>(std::string(host), "x");
  };
  m = make_sasl_mechanism(s, "broker-7", error);
  REQUIRE(m);
  CHECK(m->principal() == "broker-7");
}

TEST_CASE("GSSAPI without a KDC fails with a Kerberos message, not a crash") {
  // No KDC, no ticket: Cyrus reports a GSS error at the first step. The
  // environment points Kerberos at a file that does not exist, so nothing
  // on the network is asked.
  ::setenv("KRB5_CONFIG", "/nonexistent/kwire-krb5.conf", 1);
  ::setenv("KRB5CCNAME", "FILE:/nonexistent/kwire-ccache", 1);
  GssapiOptions options;
  options.principal = "alice@KWIRE.TEST";
  GssapiMechanism m(options, "localhost");
  StepResult r = m.step({});
  REQUIRE(r.kind == StepResult::Kind::failed);
  CHECK_FALSE(r.message.empty());
  MESSAGE("GSSAPI without Kerberos: " << r.message);
}

TEST_CASE("kinit failures are reported with kinit's own words") {
  GssapiOptions options;
  options.principal = "alice@KWIRE.TEST";
  options.keytab = "/nonexistent/alice.keytab";
  options.kinit_command = "echo 'kinit: no keytab at %{sasl.kerberos.keytab}' >&2; exit 1";
  std::string error = refresh_kerberos_ticket(options);
  CHECK(error == "kinit failed: kinit: no keytab at /nonexistent/alice.keytab");
  options.kinit_command = "true";
  CHECK(refresh_kerberos_ticket(options).empty());
  GssapiOptions nothing;  // no keytab, no command: nothing to run
  CHECK(refresh_kerberos_ticket(nothing).empty());
}
