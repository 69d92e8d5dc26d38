// ClientConfig: the settings every client shares, parsed once; the
// producer's config extends it with the same messages.
#include <doctest/doctest.h>

#include <string>

#include "kwire/cluster/client_config.hpp"

using kwire::ConfigError;
using namespace kwire::cluster;

namespace {

std::string error_of(const std::map<std::string, std::string>& properties) {
  try {
    ClientConfig::from_properties(properties);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("client keys, librdkafka aliases and metadata recovery settings") {
  const ClientConfig c = ClientConfig::from_properties({{"metadata.broker.list", "a:1, [::1]:2"},
                                                        {"client.rack", "rack-a"},
                                                        {"metadata.recovery.strategy", "NONE"},
                                                        {"metadata.recovery.rebootstrap.trigger.ms", "1234"},
                                                        {"sasl.mechanisms", "plain"},
                                                        {"socket.send.buffer.bytes", "-1"}});
  CHECK(c.bootstrap_servers == std::vector<std::string>{"a:1", "[::1]:2"});
  CHECK(c.client_rack == "rack-a");
  CHECK(c.metadata_recovery_strategy == MetadataRecoveryStrategy::none);
  CHECK(c.metadata_recovery_rebootstrap_trigger_ms == 1234);
  CHECK(c.sasl_mechanism == "PLAIN");
  CHECK(c.send_buffer_bytes == -1);
  CHECK(ClientConfig().metadata_recovery_strategy == MetadataRecoveryStrategy::rebootstrap);  // Java 4.0's default
  CHECK(c.describe().find("metadata.recovery.strategy = none\n") != std::string::npos);
}

TEST_CASE("client config errors name the key as written") {
  CHECK(error_of({{"bootstrap.servers", "a:1"}, {"metadata.recovery.strategy", "sometimes"}}) ==
        "metadata.recovery.strategy: expected rebootstrap or none (any case), got \"sometimes\"");
  CHECK(error_of({{"bootstrap.servers", "a:1"}, {"metadata.broker.list", "b:1"}}) ==
        "metadata.broker.list: is the same property as \"bootstrap.servers\"; set only one of them");
  CHECK(error_of({{"bootstrap.servers", "a:1"}, {"retry.backoff.msx", "1"}}) ==
        "retry.backoff.msx: unknown configuration key (did you mean \"retry.backoff.ms\"?)");
  // A producer key is not a client key.
  CHECK(error_of({{"bootstrap.servers", "a:1"}, {"acks", "all"}}).starts_with("acks: unknown configuration key"));
  CHECK(error_of({{"bootstrap.servers", "a:1"}, {"debug", "broker,nope"}}) ==
        "debug: unknown category \"nope\" (use a comma-separated list of broker, protocol, producer, metadata, "
        "security, idempotence, consumer, group, fetch, transaction, admin, or all)");
  CHECK(error_of({{"bootstrap.servers", "a:1"}, {"ssl.keystore.location", "/x"}}).starts_with(
      "ssl.keystore.location: not supported: Java key stores cannot be read"));
  CHECK(error_of({}) == "bootstrap.servers: must list at least one host:port");
}

TEST_CASE("issue #19: pasted librdkafka / Java keys are mapped, or accepted with the reason they change nothing") {
  const ClientConfig c = ClientConfig::from_properties({{"bootstrap.servers", "a:1"},
                                                        {"socket.timeout.ms", "45000"},
                                                        {"socket.keepalive.enable", "true"},
                                                        {"api.version.request", "true"},
                                                        {"enable.ssl.certificate.verification", "true"},
                                                        {"client.dns.lookup", "use_all_dns_ips"},
                                                        {"log.connection.close", "false"},
                                                        {"metrics.sample.window.ms", "30000"}});
  CHECK(c.request_timeout_ms == 45000);  // librdkafka's name for it
  CHECK(c.key_name("request.timeout.ms") == "socket.timeout.ms");
  CHECK(c.key_name("client.id") == "client.id");
  // Values that are kwire's behaviour anyway say nothing; the rest say why.
  REQUIRE(c.ignored_keys.size() == 3);
  CHECK(c.ignored_keys[0].starts_with("log.connection.close is ignored: "));
  CHECK(c.ignored_keys[1].starts_with("metrics.sample.window.ms is ignored: "));
  CHECK(c.ignored_keys[2].starts_with("socket.keepalive.enable is ignored: "));
  CHECK(error_of({{"bootstrap.servers", "a:1"}, {"enable.ssl.certificate.verification", "false"}})
            .starts_with("enable.ssl.certificate.verification: false is not supported: kwire always verifies"));
  CHECK(error_of({{"bootstrap.servers", "a:1"}, {"client.dns.lookup", "default"}})
            .starts_with("client.dns.lookup: expected use_all_dns_ips or resolve_canonical_bootstrap_servers_only"));
  CHECK(error_of({{"bootstrap.servers", "a:1"}, {"socket.timeout.ms", "1"}, {"request.timeout.ms", "2"}}) ==
        "socket.timeout.ms: is the same property as \"request.timeout.ms\"; set only one of them");
}
