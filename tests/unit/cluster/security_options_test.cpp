// make_security_options: security.protocol / sasl.* / ssl.* into the
// ConnectionSecurity every connection uses; errors name the key, never a
// secret.
#include <doctest/doctest.h>

#include <string>

#include "support/test_pki.hpp"
#include "kwire/cluster/security_options.hpp"

using kwire::ConfigError;
using kwire::cluster::make_security_options;
using kwire::cluster::ClientConfig;

namespace {

ClientConfig config(std::map<std::string, std::string> properties) {
  properties.emplace("bootstrap.servers", "127.0.0.1:9092");
  return ClientConfig::from_properties(properties);
}

/// The ConfigError a call throws (empty key and message if none).
std::pair<std::string, std::string> error_of(const ClientConfig& c) {
  try {
    make_security_options(c);
  } catch (const ConfigError& e) {
    return {e.key(), e.what()};
  }
  return {};
}

std::string first_message(kwire::security::SaslMechanism& m) {
  auto r = m.step({});
  return {r.response.begin(), r.response.end()};
}

std::string jwt_payload(const std::string& message) {
  // "n,,\x01auth=Bearer <header>.<payload>.\x01\x01": decode <payload> (base64url).
  auto bearer = message.find("Bearer ") + 7;
  auto dot1 = message.find('.', bearer);
  auto dot2 = message.find('.', dot1 + 1);
  std::string in = message.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
                                                                                  : c == '-' ? 62 : 63;
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

TEST_CASE("PLAINTEXT: neither TLS nor SASL") {
  auto s = make_security_options(config({}));
  CHECK_FALSE(s.tls);
  CHECK_FALSE(s.sasl.has_value());
}

TEST_CASE("SSL builds one TLS context from the ssl.* keys") {
  auto p = kwire::test_pki::Pki::make();
  auto s = make_security_options(config({{"security.protocol", "ssl"}, {"ssl.ca.pem", p.ca_pem}}));
  REQUIRE(s.tls);
  CHECK(s.tls->verify_hostname());
  CHECK_FALSE(s.tls->has_client_certificate());
  CHECK_FALSE(s.sasl.has_value());

  auto relaxed = make_security_options(config({{"security.protocol", "SSL"},
                                               {"ssl.ca.pem", p.ca_pem},
                                               {"ssl.endpoint.identification.algorithm", "none"},
                                               {"ssl.certificate.pem", p.client_cert_pem},
                                               {"ssl.key.pem", p.client_key_pem}}));
  REQUIRE(relaxed.tls);
  CHECK_FALSE(relaxed.tls->verify_hostname());
  CHECK(relaxed.tls->has_client_certificate());
}

TEST_CASE("TLS setting errors name the key and keep secrets out") {
  auto p = kwire::test_pki::Pki::make();
  auto [key, what] = error_of(config({{"security.protocol", "SSL"}, {"ssl.ca.location", "/nonexistent/ca.pem"}}));
  CHECK(key == "ssl.ca.location");
  CHECK(what.find("/nonexistent/ca.pem") != std::string::npos);

  auto [key2, what2] = error_of(config({{"security.protocol", "SASL_SSL"},
                                        {"sasl.mechanism", "PLAIN"},
                                        {"sasl.username", "alice"},
                                        {"sasl.password", "pw"},
                                        {"ssl.ca.pem", p.ca_pem},
                                        {"ssl.certificate.pem", p.client_cert_pem},
                                        {"ssl.key.pem", kwire::test_pki::to_pem(p.client.key.get(), "right")},
                                        {"ssl.key.password", "wrong-one"}}));
  CHECK(key2 == "ssl.key.pem");
  CHECK(what2.find("ssl.key.password") != std::string::npos);
  CHECK(what2.find("wrong-one") == std::string::npos);
}

TEST_CASE("SASL PLAIN and SCRAM take sasl.username/sasl.password, or a Java JAAS line") {
  auto s = make_security_options(config({{"security.protocol", "SASL_PLAINTEXT"},
                                         {"sasl.mechanism", "SCRAM-SHA-512"},
                                         {"sasl.username", "alice"},
                                         {"sasl.password", "alice-secret"}}));
  CHECK_FALSE(s.tls);
  REQUIRE(s.sasl.has_value());
  CHECK(s.sasl->mechanism == "SCRAM-SHA-512");
  CHECK(s.sasl->username == "alice");
  CHECK(s.sasl->password == "alice-secret");

  auto j = make_security_options(config(
      {{"security.protocol", "SASL_PLAINTEXT"},
       {"sasl.mechanism", "PLAIN"},
       {"sasl.jaas.config",
        R"(org.apache.kafka.common.security.plain.PlainLoginModule required username="bob" password="p\"w d";)"}}));
  REQUIRE(j.sasl.has_value());
  CHECK(j.sasl->username == "bob");
  CHECK(j.sasl->password == "p\"w d");

  auto [key, what] = error_of(config({{"security.protocol", "SASL_PLAINTEXT"},
                                      {"sasl.mechanism", "PLAIN"},
                                      {"sasl.jaas.config", R"(x.PlainLoginModule required password="only-pw";)"}}));
  CHECK(key == "sasl.username");
  CHECK(what.find("only-pw") == std::string::npos);
}

TEST_CASE("OAUTHBEARER: static token, provider, unsecured JWT") {
  std::string error;
  SUBCASE("sasl.oauthbearer.token") {
    auto s = make_security_options(config({{"security.protocol", "SASL_SSL"},
                                           {"sasl.mechanism", "OAUTHBEARER"},
                                           {"sasl.oauthbearer.token", "abc.def.ghi"}}));
    REQUIRE(s.sasl.has_value());
    CHECK(s.tls);  // system store
    auto m = kwire::security::make_sasl_mechanism(*s.sasl, "h", error);
    REQUIRE(m);
    CHECK(first_message(*m).find("auth=Bearer abc.def.ghi") != std::string::npos);
  }
  SUBCASE("a provider from C++") {
    auto c = config({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"}});
    c.sasl_oauthbearer_token = "ignored";
    c.sasl_oauthbearer_token_provider = [] { return std::string("from.provider."); };
    auto s = make_security_options(c);
    auto m = kwire::security::make_sasl_mechanism(*s.sasl, "h", error);
    REQUIRE(m);
    CHECK(first_message(*m).find("auth=Bearer from.provider.") != std::string::npos);
  }
  SUBCASE("librdkafka's unsecured JWT") {
    auto s = make_security_options(
        config({{"security.protocol", "SASL_PLAINTEXT"},
                {"sasl.mechanism", "OAUTHBEARER"},
                {"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                {"sasl.oauthbearer.config", "principal=alice scope=a,b lifeSeconds=60 extension_traceId=7"}}));
    auto m = kwire::security::make_sasl_mechanism(*s.sasl, "h", error);
    REQUIRE(m);
    std::string message = first_message(*m);
    CHECK(message.find("\x01traceId=7\x01") != std::string::npos);
    std::string payload = jwt_payload(message);
    CHECK(payload.find(R"("sub":"alice")") != std::string::npos);
    CHECK(payload.find(R"("scope":["a","b"])") != std::string::npos);
    CHECK(m->principal() == "alice");
  }
  SUBCASE("Kafka's OAuthBearerLoginModule options") {
    auto s = make_security_options(config(
        {{"security.protocol", "SASL_PLAINTEXT"},
         {"sasl.mechanism", "OAUTHBEARER"},
         {"sasl.jaas.config", R"(org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required )"
                              R"(unsecuredLoginStringClaim_sub="carol" unsecuredLoginExtension_team="blue";)"}}));
    auto m = kwire::security::make_sasl_mechanism(*s.sasl, "h", error);
    REQUIRE(m);
    std::string message = first_message(*m);
    CHECK(jwt_payload(message).find(R"("sub":"carol")") != std::string::npos);
    CHECK(message.find("\x01team=blue\x01") != std::string::npos);
  }
  SUBCASE("no token anywhere") {
    auto [key, what] = error_of(config({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"}}));
    CHECK(key == "sasl.oauthbearer.token");
  }
  SUBCASE("unsecured JWT without a principal") {
    auto [key, what] = error_of(config({{"security.protocol", "SASL_PLAINTEXT"},
                                        {"sasl.mechanism", "OAUTHBEARER"},
                                        {"enable.sasl.oauthbearer.unsecure.jwt", "true"},
                                        {"sasl.oauthbearer.config", "scope=x"}}));
    CHECK(key == "sasl.oauthbearer.config");
  }
}

TEST_CASE("GSSAPI takes the Kerberos keys") {
  auto s = make_security_options(config({{"security.protocol", "SASL_PLAINTEXT"},
                                         {"sasl.mechanism", "GSSAPI"},
                                         {"sasl.kerberos.service.name", "kfk"},
                                         {"sasl.kerberos.principal", "alice@KWIRE.TEST"},
                                         {"sasl.kerberos.keytab", "/k/alice.keytab"},
                                         {"sasl.kerberos.kinit.cmd", "kinit -R"},
                                         {"sasl.kerberos.min.time.before.relogin", "5000"}}));
  REQUIRE(s.sasl.has_value());
  CHECK(s.sasl->mechanism == "GSSAPI");
  CHECK(s.sasl->gssapi.service_name == "kfk");
  CHECK(s.sasl->gssapi.principal == "alice@KWIRE.TEST");
  CHECK(s.sasl->gssapi.keytab == "/k/alice.keytab");
  CHECK(s.sasl->gssapi.kinit_command == "kinit -R");
  CHECK(s.sasl->gssapi.min_time_before_relogin == std::chrono::milliseconds(5000));
}

TEST_CASE("the new keys are secret where they should be") {
  auto c = config({{"sasl.oauthbearer.token", "tok-secret-123"}, {"sasl.oauthbearer.config", "principal=x"}});
  std::string d = c.describe();
  CHECK(d.find("tok-secret-123") == std::string::npos);
  CHECK(d.find("sasl.oauthbearer.token") != std::string::npos);
  CHECK(d.find("principal=x") != std::string::npos);
}
