// TLS, mutual TLS and SASL (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER, GSSAPI)
// against the real broker, on every listener kafka-broker starts: connect,
// ApiVersions and Metadata through net::BlockingClient (configured the way
// the producer is, from Kafka property names through
// cluster::make_security_options) and through `kwire metadata -X ...`; and
// every failure a user meets — wrong password, unknown user, unknown CA,
// host name mismatch, missing client certificate, a mechanism the listener
// does not offer, TLS/plaintext mix-ups — as one clear, non-retriable error
// well within the connect timeout. KIP-368 re-authentication runs against
// the OAUTHBEARER listener, whose sessions the harness limits.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <unistd.h>

#include <kwire/net/blocking_client.hpp>
#include <kwire/cluster/security_options.hpp>
#include <kwire/producer/config.hpp>
#include <kwire/protocol/metadata.hpp>
#include <kwire/security/sasl_oauthbearer.hpp>

#include "secure_support.hpp"
#include "support.hpp"
#include "support/test_pki.hpp"

using namespace kwire;
using namespace std::chrono_literals;
using kwire::test::broker_env;
using Properties = std::map<std::string, std::string>;

namespace {

// The listeners' properties, the Kerberos set-up and the LeakSanitizer
// suppressions GSSAPI needs are shared with the other secured tests
// (secure_support.hpp).
std::string var(const std::string& name) { return test::env_var(name); }
bool has_vars(std::initializer_list<const char*> names) { return test::has_env_vars(names); }
Properties tls() { return test::tls_properties(); }
Properties mtls() { return test::mtls_properties(); }
Properties sasl(const std::string& protocol, const std::string& mechanism, const std::string& user = "",
                const std::string& password = "") {
  return test::sasl_properties(protocol, mechanism, user, password);
}
Properties oauth() { return test::oauth_properties(); }
Properties gssapi() { return test::gssapi_properties(); }
std::string kerberos_env() { return test::kerberos_env(); }

producer::ProducerConfig config_for(const std::string& bootstrap, Properties properties) {
  properties["bootstrap.servers"] = bootstrap;
  properties["client.id"] = "kwire-security-test";
  properties.emplace("socket.connection.setup.timeout.ms", "10000");
  return producer::ProducerConfig::from_properties(properties);
}

/// A BlockingClient over `bootstrap` with the security `properties`, built
/// the way the producer builds its connections.
net::BlockingClient client_for(const std::string& bootstrap, const Properties& properties) {
  auto config = config_for(bootstrap, properties);
  net::ConnectionSecurity security = cluster::make_security_options(config);
  std::vector<net::ConnectionOptions> candidates;
  for (const auto& address : config.bootstrap_addresses()) {
    net::ConnectionOptions o;
    o.host = address.host;
    o.port = address.port;
    o.client_id = config.client_id;
    o.connect_timeout = std::chrono::milliseconds(config.socket_connection_setup_timeout_ms);
    o.request_timeout = 15s;
    o.security = security;
    candidates.push_back(o);
  }
  return net::BlockingClient(std::move(candidates), 30s);
}

std::string cli_args(const std::string& bootstrap, const Properties& properties) {
  std::string args = " -b " + test::shell_quote(bootstrap);
  for (const auto& [k, v] : properties) args += " -X " + test::shell_quote(k + "=" + v);
  return args;
}

/// `kwire metadata` with the same properties; stdout and stderr together.
test::CommandResult cli_metadata(const std::string& bootstrap, const Properties& properties,
                                 const std::string& env = {}) {
  return test::run_command(env + " " + test::shell_quote(test::kwire_cli()) + " metadata" +
                           cli_args(bootstrap, properties) + " 2>&1");
}

std::uint16_t port_of(const std::string& bootstrap) {
  auto first = bootstrap.substr(0, bootstrap.find(','));
  return static_cast<std::uint16_t>(std::stoi(first.substr(first.rfind(':') + 1)));
}

/// Connects, checks ApiVersions and a Metadata round trip on the listener.
void check_listener(const std::string& name, const std::string& bootstrap, const Properties& properties,
                    const std::string& expected_mechanism, const std::string& cli_env = {}) {
  CAPTURE(name);
  auto client = client_for(bootstrap, properties);
  auto ec = client.connect();
  REQUIRE_MESSAGE(!ec, name << ": " << ec.message() << ": " << client.error_detail());
  auto& conn = client.connection();
  CHECK(conn.api_versions_version() >= 3);
  CHECK(conn.sasl_mechanism() == expected_mechanism);
  CHECK(conn.negotiated_version(protocol::ApiKey::metadata).has_value());

  protocol::MetadataResponse metadata;
  std::int16_t version = -1;
  REQUIRE_FALSE(client.request(protocol::MetadataRequest{}, metadata, version));
  REQUIRE_FALSE(metadata.brokers.empty());
  // The broker advertises this same listener: the producer follows it.
  CHECK(metadata.brokers[0].port == port_of(bootstrap));

  auto cli = cli_metadata(bootstrap, properties, cli_env);
  CHECK_MESSAGE(cli.exit_code == 0, name << " CLI: " << cli.output);
  CHECK(cli.output.find("metadata from") != std::string::npos);
}

/// Connects and expects one clear authentication failure, quickly.
std::string expect_refusal(const std::string& name, const std::string& bootstrap, const Properties& properties,
                           std::error_code expected = make_error_code(client_errc::authentication_failed)) {
  CAPTURE(name);
  auto client = client_for(bootstrap, properties);
  auto start = std::chrono::steady_clock::now();
  auto ec = client.connect();
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(ec == expected);
  CHECK(elapsed < 8s);  // well within socket.connection.setup.timeout.ms (10 s)
  if (expected == client_errc::authentication_failed) CHECK(net::is_authentication_error(ec));
  MESSAGE(name << ": " << client.error_detail());
  return client.error_detail();
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("TLS listeners: SSL and mutual TLS") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SSL", "KWIRE_BOOTSTRAP_MTLS", "KWIRE_SSL_CA"})) return;
  check_listener("SSL", var("KWIRE_BOOTSTRAP_SSL"), tls(), "");
  check_listener("MTLS", var("KWIRE_BOOTSTRAP_MTLS"), mtls(), "");

  // In-memory PEM instead of files.
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  Properties pem{{"security.protocol", "SSL"},
                 {"ssl.ca.pem", read(var("KWIRE_SSL_CA"))},
                 {"ssl.certificate.pem", read(var("KWIRE_SSL_CERT"))},
                 {"ssl.key.pem", read(var("KWIRE_SSL_KEY"))}};
  auto client = client_for(var("KWIRE_BOOTSTRAP_MTLS"), pem);
  auto ec = client.connect();
  CHECK_MESSAGE(!ec, client.error_detail());
}

TEST_CASE("SASL listeners: every mechanism over SASL_PLAINTEXT and SASL_SSL") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SASL_PLAINTEXT", "KWIRE_BOOTSTRAP_SASL_SSL", "KWIRE_SASL_USERNAME"})) return;
  for (const char* mechanism : {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}) {
    check_listener(std::string("SASL_PLAINTEXT ") + mechanism, var("KWIRE_BOOTSTRAP_SASL_PLAINTEXT"),
                   sasl("SASL_PLAINTEXT", mechanism), mechanism);
    check_listener(std::string("SASL_SSL ") + mechanism, var("KWIRE_BOOTSTRAP_SASL_SSL"), sasl("SASL_SSL", mechanism),
                   mechanism);
  }
}

TEST_CASE("OAUTHBEARER with the broker's unsecured validator") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"})) return;
  check_listener("SASL_OAUTHBEARER", var("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"), oauth(), "OAUTHBEARER");
  // A static token from the config works the same.
  std::string token = security::make_unsecured_jwt("alice", std::chrono::seconds(600));
  auto client = client_for(var("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"),
                           {{"security.protocol", "SASL_PLAINTEXT"},
                            {"sasl.mechanism", "OAUTHBEARER"},
                            {"sasl.oauthbearer.token", token}});
  auto ec = client.connect();
  CHECK_MESSAGE(!ec, client.error_detail());
}

TEST_CASE("GSSAPI against the harness's Kerberos KDC") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SASL_GSSAPI", "KWIRE_KRB5_CONFIG", "KWIRE_KERBEROS_KEYTAB"})) return;
  std::string env = kerberos_env();
  check_listener("SASL_GSSAPI", var("KWIRE_BOOTSTRAP_SASL_GSSAPI"), gssapi(), "GSSAPI", env);

  // An unknown principal: kinit fails and says so.
  Properties wrong = gssapi();
  wrong["sasl.kerberos.principal"] = "mallory@KWIRE.TEST";
  std::string detail = expect_refusal("GSSAPI unknown principal", var("KWIRE_BOOTSTRAP_SASL_GSSAPI"), wrong);
  CHECK(contains(detail, "kinit failed"));
}

TEST_CASE("KIP-368: the connection re-authenticates before the broker's session limit") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SASL_OAUTHBEARER", "KWIRE_OAUTHBEARER_REAUTH_MS"})) return;
  const auto limit = std::chrono::milliseconds(std::stoll(var("KWIRE_OAUTHBEARER_REAUTH_MS")));
  if (limit > 30s) {
    MESSAGE("skipped: session limit " << limit.count() << " ms is too long for a test");
    return;
  }
  auto client = client_for(var("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"), oauth());
  REQUIRE_MESSAGE(!client.connect(), client.error_detail());
  auto& conn = client.connection();
  CHECK(conn.session_lifetime_ms() > 0);
  CHECK(conn.session_lifetime_ms() <= limit.count());
  // Keep using the connection past 1.5 session lifetimes: without
  // re-authentication the broker would close it after the first.
  const auto until = std::chrono::steady_clock::now() + limit * 3 / 2;
  int requests = 0;
  while (std::chrono::steady_clock::now() < until) {
    protocol::MetadataResponse metadata;
    std::int16_t version = -1;
    auto ec = client.request(protocol::MetadataRequest{}, metadata, version);
    REQUIRE_MESSAGE(!ec, "request " << requests << ": " << ec.message() << " " << conn.error_detail());
    ++requests;
    std::this_thread::sleep_for(250ms);
  }
  CHECK(conn.reauthentications() >= 1);
  CHECK(conn.is_open());
  MESSAGE(requests << " requests, " << conn.reauthentications() << " re-authentications");
}

TEST_CASE("wrong credentials: one clear authentication error, no secret in it") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SASL_PLAINTEXT", "KWIRE_BOOTSTRAP_SASL_SSL"})) return;
  const std::string boot = var("KWIRE_BOOTSTRAP_SASL_PLAINTEXT");
  for (const char* mechanism : {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}) {
    std::string name = std::string("wrong password ") + mechanism;
    std::string detail = expect_refusal(name, boot, sasl("SASL_PLAINTEXT", mechanism, "alice", "not-the-password"));
    CHECK(contains(detail, "SASL authentication failed for user alice on " + boot.substr(0, boot.find(','))));
    CHECK(contains(detail, "check sasl.username / sasl.password"));
    CHECK_FALSE(contains(detail, "not-the-password"));

    std::string unknown = expect_refusal(std::string("unknown user ") + mechanism, boot,
                                         sasl("SASL_PLAINTEXT", mechanism, "mallory", "whatever"));
    CHECK(contains(unknown, "for user mallory"));
  }
  // Over TLS too, and through the CLI (exit 1, the detail on stderr).
  expect_refusal("wrong password SASL_SSL", var("KWIRE_BOOTSTRAP_SASL_SSL"),
                 sasl("SASL_SSL", "SCRAM-SHA-512", "alice", "nope"));
  auto cli = cli_metadata(boot, sasl("SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", "cli-wrong-pw"));
  CHECK(cli.exit_code == 1);
  CHECK(contains(cli.output, "SASL authentication failed for user alice"));
  CHECK(contains(cli.output, "authentication failed"));
  CHECK_FALSE(contains(cli.output, "cli-wrong-pw"));
}

TEST_CASE("a mechanism the listener does not offer") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SASL_PLAINTEXT"})) return;
  Properties p = oauth();
  std::string detail = expect_refusal("OAUTHBEARER on SASL_PLAINTEXT", var("KWIRE_BOOTSTRAP_SASL_PLAINTEXT"), p);
  CHECK(contains(detail, "SASL mechanism OAUTHBEARER is not enabled"));
  CHECK(contains(detail, "SCRAM-SHA-256"));  // what the listener does offer
  CHECK(contains(detail, "check sasl.mechanism"));
  if (broker_env().has("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER")) {
    std::string other = expect_refusal("PLAIN on the OAUTHBEARER listener", var("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"),
                                       sasl("SASL_PLAINTEXT", "PLAIN"));
    CHECK(contains(other, "the listener offers: OAUTHBEARER"));
  }
}

TEST_CASE("an OAuth token the broker rejects") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"})) return;
  // Expired an hour ago: the unsecured validator refuses it.
  std::string expired = security::make_unsecured_jwt("alice", std::chrono::seconds(60), {},
                                                     std::chrono::system_clock::now() - std::chrono::hours(1));
  std::string detail = expect_refusal("expired token", var("KWIRE_BOOTSTRAP_SASL_OAUTHBEARER"),
                                      {{"security.protocol", "SASL_PLAINTEXT"},
                                       {"sasl.mechanism", "OAUTHBEARER"},
                                       {"sasl.oauthbearer.token", expired}});
  CHECK(contains(detail, "SASL authentication failed"));
  CHECK(contains(detail, "invalid_token"));
  CHECK_FALSE(contains(detail, expired));
}

TEST_CASE("TLS refusals: unknown CA, host name mismatch, missing client certificate") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SSL", "KWIRE_BOOTSTRAP_MTLS", "KWIRE_SSL_CA"})) return;
  // A CA of our own that never signed the broker's certificate.
  auto other = test_pki::Pki::make();
  std::string detail = expect_refusal("unknown CA", var("KWIRE_BOOTSTRAP_SSL"),
                                      {{"security.protocol", "SSL"}, {"ssl.ca.pem", other.ca_pem}});
  CHECK(contains(detail, "not signed by a trusted CA"));
  // The system store does not know the harness's CA either.
  detail = expect_refusal("system store", var("KWIRE_BOOTSTRAP_SSL"), {{"security.protocol", "SSL"}});
  CHECK(contains(detail, "not signed by a trusted CA"));

  if (broker_env().has("KWIRE_BOOTSTRAP_SSL_WRONGHOST")) {
    detail = expect_refusal("host name mismatch", var("KWIRE_BOOTSTRAP_SSL_WRONGHOST"), tls());
    CHECK(contains(detail, "does not match the host name"));
    CHECK(contains(detail, "DNS:wrong.kwire.test"));
    // ssl.endpoint.identification.algorithm=none turns the name check off (not the CA check).
    Properties relaxed = tls();
    relaxed["ssl.endpoint.identification.algorithm"] = "none";
    auto client = client_for(var("KWIRE_BOOTSTRAP_SSL_WRONGHOST"), relaxed);
    CHECK_MESSAGE(!client.connect(), client.error_detail());
  }

  detail = expect_refusal("missing client certificate", var("KWIRE_BOOTSTRAP_MTLS"), tls());
  CHECK(contains(detail, "requires a client certificate"));
  auto cli = cli_metadata(var("KWIRE_BOOTSTRAP_MTLS"), tls());
  CHECK(cli.exit_code == 1);
  CHECK(contains(cli.output, "requires a client certificate"));
}

TEST_CASE("TLS and plaintext listeners mixed up") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SSL"})) return;
  std::string detail = expect_refusal("plaintext client on a TLS listener", var("KWIRE_BOOTSTRAP_SSL"), {});
  CHECK(contains(detail, "security.protocol=SSL"));
  detail = expect_refusal("TLS client on a plaintext listener", broker_env().bootstrap(), tls(),
                          make_error_code(client_errc::disconnected));
  CHECK(contains(detail, "TLS listener"));
}

TEST_CASE("bad TLS settings fail as configuration errors naming the key") {
  if (!has_vars({"KWIRE_BOOTSTRAP_SSL"})) return;
  Properties p{{"security.protocol", "SSL"}, {"ssl.ca.location", "/nonexistent/kwire-ca.pem"}};
  CHECK_THROWS_WITH_AS(client_for(var("KWIRE_BOOTSTRAP_SSL"), p),
                       doctest::Contains("ssl.ca.location: cannot read /nonexistent/kwire-ca.pem"), ConfigError);
  auto cli = cli_metadata(var("KWIRE_BOOTSTRAP_SSL"), p);
  CHECK(cli.exit_code != 0);
  CHECK(contains(cli.output, "ssl.ca.location"));
}
