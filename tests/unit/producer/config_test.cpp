#include <doctest/doctest.h>

#include <climits>
#include <functional>
#include <map>
#include <string>

#include "kwire/producer/config.hpp"

using kwire::ConfigError;
using kwire::compression::Codec;
using kwire::producer::Acks;
using kwire::producer::BrokerAddress;
using kwire::producer::parse_broker_address;
using kwire::producer::PartitionerType;
using kwire::producer::ProducerConfig;
using Props = std::map<std::string, std::string>;

namespace {

/// The message of the ConfigError `f` throws; fails the test if none.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("expected a ConfigError");
  return {};
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

ProducerConfig with(Props props) {
  props.emplace("bootstrap.servers", "localhost:9092");
  return ProducerConfig::from_properties(props);
}

}  // namespace

TEST_CASE("defaults match the Java producer (Kafka 4.x)") {
  const ProducerConfig c;
  CHECK(c.bootstrap_servers.empty());
  CHECK(c.client_id == "kwire");
  CHECK(c.acks == Acks::all);
  CHECK(c.linger_ms == 5);
  CHECK(c.batch_size == 16384);
  CHECK(c.buffer_memory == 33554432);
  CHECK(c.max_block_ms == 60000);
  CHECK(c.max_request_size == 1048576);
  CHECK(c.request_timeout_ms == 30000);
  CHECK(c.effective_delivery_timeout_ms() == 120000);
  CHECK(c.retries == INT32_MAX);
  CHECK(c.retry_backoff_ms == 100);
  CHECK(c.retry_backoff_max_ms == 1000);
  CHECK(c.max_in_flight_requests_per_connection == 5);
  CHECK(c.idempotence());
  CHECK(c.partitioner == PartitionerType::murmur2_random);
  CHECK_FALSE(c.partitioner_ignore_keys);
  CHECK(c.metadata_max_age_ms == 300000);
  CHECK(c.metadata_max_idle_ms == 300000);
  CHECK(c.compression_type == Codec::none);
  CHECK(c.compression_lz4_level == 9);
  CHECK(c.compression_zstd_level == 3);
  CHECK(c.compression_gzip_level == -1);
  CHECK(c.socket_connection_setup_timeout_ms == 10000);
  CHECK(c.socket_connection_setup_timeout_max_ms == 30000);
  CHECK(c.connections_max_idle_ms == 540000);
  CHECK(c.reconnect_backoff_ms == 50);
  CHECK(c.reconnect_backoff_max_ms == 1000);
  CHECK(c.security_protocol == "PLAINTEXT");
  CHECK(c.sasl_mechanism == "GSSAPI");
  CHECK(c.ssl_endpoint_identification_algorithm == "https");
  CHECK(c.statistics_interval_ms == 0);

  // A validated default config (plus bootstrap) keeps idempotence on.
  const ProducerConfig v = with({});
  REQUIRE(v.enable_idempotence.has_value());
  CHECK(*v.enable_idempotence);
  CHECK(v.delivery_timeout_ms == 120000);
}

TEST_CASE("every property is parsed into its field") {
  struct Case {
    const char* key;
    const char* value;
    std::function<bool(const ProducerConfig&)> check;
  };
  const Case cases[] = {
      {"bootstrap.servers", "a:1, b.example.com:9092 ,[::1]:9093",
       [](auto& c) {
         return c.bootstrap_servers ==
                std::vector<std::string>{"a:1", "b.example.com:9092", "[::1]:9093"};
       }},
      {"client.id", "my app", [](auto& c) { return c.client_id == "my app"; }},
      {"acks", "1", [](auto& c) { return c.acks == Acks::leader; }},
      {"enable.idempotence", "FALSE", [](auto& c) { return c.enable_idempotence == false; }},
      {"linger.ms", "250", [](auto& c) { return c.linger_ms == 250; }},
      {"batch.size", "65536", [](auto& c) { return c.batch_size == 65536; }},
      {"buffer.memory", "68719476736", [](auto& c) { return c.buffer_memory == 68719476736LL; }},
      {"max.block.ms", "1234", [](auto& c) { return c.max_block_ms == 1234; }},
      {"max.request.size", "2097152", [](auto& c) { return c.max_request_size == 2097152; }},
      {"request.timeout.ms", "15000", [](auto& c) { return c.request_timeout_ms == 15000; }},
      {"delivery.timeout.ms", "200000", [](auto& c) { return c.delivery_timeout_ms == 200000; }},
      {"retries", "7", [](auto& c) { return c.retries == 7; }},
      {"retry.backoff.ms", "200", [](auto& c) { return c.retry_backoff_ms == 200; }},
      {"retry.backoff.max.ms", "5000", [](auto& c) { return c.retry_backoff_max_ms == 5000; }},
      {"max.in.flight.requests.per.connection", "3",
       [](auto& c) { return c.max_in_flight_requests_per_connection == 3; }},
      {"partitioner", "consistent_random",
       [](auto& c) { return c.partitioner == PartitionerType::consistent_random; }},
      {"partitioner.ignore.keys", "true", [](auto& c) { return c.partitioner_ignore_keys; }},
      {"partitioner.adaptive.partitioning.enable", "false",
       [](auto& c) { return !c.partitioner_adaptive_partitioning_enable; }},
      {"partitioner.availability.timeout.ms", "500",
       [](auto& c) { return c.partitioner_availability_timeout_ms == 500; }},
      {"metadata.max.age.ms", "60000", [](auto& c) { return c.metadata_max_age_ms == 60000; }},
      {"metadata.max.idle.ms", "60000", [](auto& c) { return c.metadata_max_idle_ms == 60000; }},
      {"compression.type", "ZSTD", [](auto& c) { return c.compression_type == Codec::zstd; }},
      {"compression.level", "-1", [](auto& c) { return c.compression_level == -1; }},
      {"compression.gzip.level", "9", [](auto& c) { return c.compression_gzip_level == 9; }},
      {"compression.lz4.level", "17", [](auto& c) { return c.compression_lz4_level == 17; }},
      {"compression.zstd.level", "-5", [](auto& c) { return c.compression_zstd_level == -5; }},
      {"socket.connection.setup.timeout.ms", "2000",
       [](auto& c) { return c.socket_connection_setup_timeout_ms == 2000; }},
      {"socket.connection.setup.timeout.max.ms", "40000",
       [](auto& c) { return c.socket_connection_setup_timeout_max_ms == 40000; }},
      {"connections.max.idle.ms", "-1", [](auto& c) { return c.connections_max_idle_ms == -1; }},
      {"reconnect.backoff.ms", "10", [](auto& c) { return c.reconnect_backoff_ms == 10; }},
      {"reconnect.backoff.max.ms", "20000",
       [](auto& c) { return c.reconnect_backoff_max_ms == 20000; }},
      {"send.buffer.bytes", "-1", [](auto& c) { return c.send_buffer_bytes == -1; }},
      {"receive.buffer.bytes", "65536", [](auto& c) { return c.receive_buffer_bytes == 65536; }},
      {"security.protocol", "sasl_ssl", [](auto& c) { return c.security_protocol == "SASL_SSL"; }},
      {"sasl.mechanism", "scram-sha-512",
       [](auto& c) { return c.sasl_mechanism == "SCRAM-SHA-512"; }},
      {"sasl.username", "alice", [](auto& c) { return c.sasl_username == "alice"; }},
      {"sasl.password", "s3cret ", [](auto& c) { return c.sasl_password == "s3cret "; }},
      {"sasl.jaas.config", "x required;", [](auto& c) { return c.sasl_jaas_config == "x required;"; }},
      {"sasl.kerberos.service.name", "kfk",
       [](auto& c) { return c.sasl_kerberos_service_name == "kfk"; }},
      {"sasl.kerberos.principal", "me@REALM",
       [](auto& c) { return c.sasl_kerberos_principal == "me@REALM"; }},
      {"sasl.kerberos.keytab", "/k.tab", [](auto& c) { return c.sasl_kerberos_keytab == "/k.tab"; }},
      {"ssl.ca.location", "/ca.pem", [](auto& c) { return c.ssl_ca_location == "/ca.pem"; }},
      {"ssl.certificate.location", "/c.pem",
       [](auto& c) { return c.ssl_certificate_location == "/c.pem"; }},
      {"ssl.key.location", "/k.pem", [](auto& c) { return c.ssl_key_location == "/k.pem"; }},
      {"ssl.key.password", "kp", [](auto& c) { return c.ssl_key_password == "kp"; }},
      {"ssl.ca.pem", "-----BEGIN", [](auto& c) { return c.ssl_ca_pem == "-----BEGIN"; }},
      {"ssl.certificate.pem", "-----C", [](auto& c) { return c.ssl_certificate_pem == "-----C"; }},
      {"ssl.key.pem", "-----K", [](auto& c) { return c.ssl_key_pem == "-----K"; }},
      {"ssl.endpoint.identification.algorithm", "",
       [](auto& c) { return c.ssl_endpoint_identification_algorithm == "none"; }},
      {"debug", "broker,msg", [](auto& c) { return c.debug == "broker,msg"; }},
      {"statistics.interval.ms", "1000", [](auto& c) { return c.statistics_interval_ms == 1000; }},
  };
  for (const auto& tc : cases) {
    CAPTURE(tc.key);
    ProducerConfig c;
    c.set(tc.key, tc.value);
    CHECK(tc.check(c));
  }

  SUBCASE("acks spellings") {
    ProducerConfig c;
    CHECK(c.set("acks", "0").acks == Acks::none);
    CHECK(c.set("acks", "-1").acks == Acks::all);
    CHECK(c.set("acks", " ALL ").acks == Acks::all);
  }
  SUBCASE("every partitioner name") {
    ProducerConfig c;
    for (auto [name, type] : {std::pair{"murmur2_random", PartitionerType::murmur2_random},
                              {"murmur2", PartitionerType::murmur2},
                              {"consistent_random", PartitionerType::consistent_random},
                              {"consistent", PartitionerType::consistent},
                              {"fnv1a_random", PartitionerType::fnv1a_random},
                              {"fnv1a", PartitionerType::fnv1a},
                              {"random", PartitionerType::random}}) {
      CHECK(c.set("partitioner", name).partitioner == type);
      CHECK(kwire::producer::to_string(type) == name);
    }
  }
  SUBCASE("every codec and security protocol") {
    ProducerConfig c;
    CHECK(c.set("compression.type", "gzip").compression_type == Codec::gzip);
    CHECK(c.set("compression.type", "snappy").compression_type == Codec::snappy);
    CHECK(c.set("compression.type", "lz4").compression_type == Codec::lz4);
    CHECK(c.set("compression.type", "none").compression_type == Codec::none);
    CHECK(c.set("security.protocol", "Plaintext").security_protocol == "PLAINTEXT");
    CHECK(c.set("security.protocol", "ssl").security_protocol == "SSL");
    CHECK(c.set("security.protocol", "SASL_plaintext").security_protocol == "SASL_PLAINTEXT");
    CHECK(c.set("ssl.endpoint.identification.algorithm", "HTTPS")
              .ssl_endpoint_identification_algorithm == "https");
  }
  SUBCASE("integers tolerate surrounding whitespace only") {
    ProducerConfig c;
    CHECK(c.set("linger.ms", " 7\t").linger_ms == 7);
  }
}

TEST_CASE("librdkafka aliases") {
  ProducerConfig c;
  c.set("metadata.broker.list", "x:1");
  CHECK(c.bootstrap_servers == std::vector<std::string>{"x:1"});
  CHECK(c.set("request.required.acks", "0").acks == Acks::none);
  CHECK(c.set("queue.buffering.max.ms", "42").linger_ms == 42);
  CHECK(c.set("message.max.bytes", "1000000").max_request_size == 1000000);
  CHECK(c.set("message.timeout.ms", "300000").delivery_timeout_ms == 300000);
  // librdkafka's 0 means "infinite".
  CHECK(c.set("message.timeout.ms", "0").delivery_timeout_ms == INT32_MAX);
  CHECK(c.set("message.send.max.retries", "3").retries == 3);
  CHECK(c.set("max.in.flight", "2").max_in_flight_requests_per_connection == 2);
  CHECK(c.set("topic.metadata.refresh.interval.ms", "1000").metadata_max_age_ms == 1000);
  CHECK(c.set("compression.codec", "lz4").compression_type == Codec::lz4);
  CHECK(c.set("sasl.mechanisms", "PLAIN").sasl_mechanism == "PLAIN");
  CHECK(c.set("socket.send.buffer.bytes", "1024").send_buffer_bytes == 1024);
  CHECK(c.set("socket.receive.buffer.bytes", "2048").receive_buffer_bytes == 2048);

  // An alias's error names the key as the user wrote it.
  CHECK(error_of([] { ProducerConfig().set("queue.buffering.max.ms", "x"); })
            .starts_with("queue.buffering.max.ms: "));

  // The same property under two names is ambiguous.
  const auto message = error_of([] {
    with({{"linger.ms", "1"}, {"queue.buffering.max.ms", "2"}});
  });
  CHECK(contains(message, "linger.ms"));
  CHECK(contains(message, "queue.buffering.max.ms"));
}

TEST_CASE("unknown keys are errors naming the key") {
  const auto message = error_of([] { ProducerConfig().set("no.such.key", "1"); });
  CHECK(message == "no.such.key: unknown configuration key");

  const auto typo = error_of([] { ProducerConfig().set("linger.sm", "1"); });
  CHECK(typo == "linger.sm: unknown configuration key (did you mean \"linger.ms\"?)");

  // from_properties rejects them too, and the error carries the key.
  try {
    with({{"batch.sise", "1"}});
    FAIL("no exception");
  } catch (const ConfigError& e) {
    CHECK(e.key() == "batch.sise");
    CHECK(contains(e.what(), "did you mean \"batch.size\""));
  }

  // Java keys kwire does not take get a reason instead.
  CHECK(contains(error_of([] { ProducerConfig().set("key.serializer", "x"); }),
                 "key.serializer: not supported"));
  CHECK(contains(error_of([] { ProducerConfig().set("ssl.truststore.location", "/x.jks"); }),
                 "ssl.ca.location"));

  // ConfigError is an invalid_argument.
  CHECK_THROWS_AS(ProducerConfig().set("nope", "1"), std::invalid_argument);
  // Keys are case-sensitive, as in Java and librdkafka.
  CHECK_THROWS_AS(ProducerConfig().set("LINGER.MS", "1"), ConfigError);

  // A key with control characters (a terminal escape, a CR from a Windows
  // file) is shown quoted and escaped; key() keeps the bytes as given.
  try {
    ProducerConfig().set("linger.ms\r", "1");
    FAIL("no exception");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).rfind("\"linger.ms\\x0d\": unknown configuration key", 0) == 0);
    CHECK(e.key() == "linger.ms\r");
  }
  const auto escape = error_of([] { ProducerConfig().set("\x1b[2Jx", "1"); });
  CHECK(escape.find('\x1b') == std::string::npos);
  CHECK(escape.rfind("\"\\x1b[2Jx\": ", 0) == 0);
}

TEST_CASE("integers are parsed strictly and range-checked") {
  CHECK(error_of([] { ProducerConfig().set("linger.ms", "abc"); }) ==
        "linger.ms: expected an integer in [0, 2147483647], got \"abc\"");

  struct Range {
    const char* key;
    long long min;
    long long max;
  };
  const Range ranges[] = {
      {"linger.ms", 0, INT32_MAX},
      {"batch.size", 0, INT32_MAX},
      {"buffer.memory", 0, LLONG_MAX},
      {"max.block.ms", 0, LLONG_MAX},
      {"max.request.size", 0, INT32_MAX},
      {"request.timeout.ms", 0, INT32_MAX},
      {"delivery.timeout.ms", 0, INT32_MAX},
      {"retries", 0, INT32_MAX},
      {"retry.backoff.ms", 0, LLONG_MAX},
      {"retry.backoff.max.ms", 0, LLONG_MAX},
      {"max.in.flight.requests.per.connection", 1, INT32_MAX},
      {"partitioner.availability.timeout.ms", 0, LLONG_MAX},
      {"metadata.max.age.ms", 0, LLONG_MAX},
      {"metadata.max.idle.ms", 5000, LLONG_MAX},
      {"compression.level", -131072, 22},
      {"compression.lz4.level", 1, 17},
      {"compression.zstd.level", -131072, 22},
      {"socket.connection.setup.timeout.ms", 0, LLONG_MAX},
      {"socket.connection.setup.timeout.max.ms", 0, LLONG_MAX},
      {"connections.max.idle.ms", -1, LLONG_MAX},
      {"reconnect.backoff.ms", 0, LLONG_MAX},
      {"reconnect.backoff.max.ms", 0, LLONG_MAX},
      {"send.buffer.bytes", -1, INT32_MAX},
      {"receive.buffer.bytes", -1, INT32_MAX},
      {"statistics.interval.ms", 0, 86400000},
  };
  for (const auto& r : ranges) {
    CAPTURE(r.key);
    const std::string expected_prefix = std::string(r.key) + ": expected an integer in [" +
                                        std::to_string(r.min) + ", " + std::to_string(r.max) +
                                        "], got ";
    auto bad = [&](const std::string& value) {
      CAPTURE(value);
      const auto message = error_of([&] { ProducerConfig().set(r.key, value); });
      CHECK(message.starts_with(expected_prefix));
    };
    bad("abc");
    bad("12x");   // trailing junk
    bad("");
    bad("1.5");
    bad("+5");    // no sign other than '-'
    bad("0x10");  // no hex
    bad("1 2");
    bad("99999999999999999999999");  // overflows int64
    bad(std::to_string(r.min - 1));  // below the minimum (all minimums are > LLONG_MIN)
    if (r.max < LLONG_MAX) bad(std::to_string(r.max + 1));
    // Both bounds are accepted.
    CHECK_NOTHROW(ProducerConfig().set(r.key, std::to_string(r.min)));
    CHECK_NOTHROW(ProducerConfig().set(r.key, std::to_string(r.max)));
  }

  // gzip: 1-9 or -1, as Java.
  CHECK(contains(error_of([] { ProducerConfig().set("compression.gzip.level", "0"); }),
                 "[1, 9] or -1"));
  CHECK_THROWS_AS(ProducerConfig().set("compression.gzip.level", "10"), ConfigError);
  CHECK(ProducerConfig().set("compression.gzip.level", "-1").compression_gzip_level == -1);
}

TEST_CASE("booleans and enumerations reject other words") {
  CHECK(error_of([] { ProducerConfig().set("enable.idempotence", "yes"); }) ==
        "enable.idempotence: expected true or false, got \"yes\"");
  CHECK_THROWS_AS(ProducerConfig().set("partitioner.ignore.keys", "1"), ConfigError);
  CHECK(error_of([] { ProducerConfig().set("acks", "2"); }) ==
        "acks: expected 0, 1, all or -1, got \"2\"");
  CHECK(contains(error_of([] { ProducerConfig().set("compression.type", "brotli"); }),
                 "compression.type: expected none, gzip, snappy, lz4 or zstd, got \"brotli\""));
  CHECK(contains(error_of([] { ProducerConfig().set("compression.codec", "inherit"); }),
                 "compression.codec: "));
  CHECK(contains(error_of([] { ProducerConfig().set("partitioner", "Murmur2"); }),
                 "partitioner: expected murmur2_random"));
  CHECK(contains(error_of([] { ProducerConfig().set("security.protocol", "TLS"); }),
                 "security.protocol: expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"));
  CHECK(contains(error_of([] { ProducerConfig().set("sasl.mechanism", "SCRAM-SHA-1"); }),
                 "sasl.mechanism: expected PLAIN"));
  CHECK(contains(error_of([] { ProducerConfig().set("ssl.endpoint.identification.algorithm", "x"); }),
                 "ssl.endpoint.identification.algorithm: "));
  // Echoed values are escaped and cut short.
  const auto message =
      error_of([] { ProducerConfig().set("acks", std::string(100, 'z') + "\n"); });
  CHECK(contains(message, "zzz...\""));
  CHECK_FALSE(contains(message, "\n"));
}

TEST_CASE("broker addresses") {
  CHECK(parse_broker_address("localhost:9092") == BrokerAddress{"localhost", 9092});
  CHECK(parse_broker_address("10.0.0.1:1") == BrokerAddress{"10.0.0.1", 1});
  CHECK(parse_broker_address("my_host-1.example.com:65535") ==
        BrokerAddress{"my_host-1.example.com", 65535});
  CHECK(parse_broker_address("[::1]:9092") == BrokerAddress{"::1", 9092});
  CHECK(parse_broker_address("[2001:DB8::8a2e:370:7348]:5678") ==
        BrokerAddress{"2001:DB8::8a2e:370:7348", 5678});
  CHECK(parse_broker_address("[fe80::1%eth0]:9092") == BrokerAddress{"fe80::1%eth0", 9092});
  CHECK(parse_broker_address("[::ffff:10.0.0.1]:9092") == BrokerAddress{"::ffff:10.0.0.1", 9092});

  for (const char* bad : {"localhost", "localhost:", ":9092", "localhost:0", "localhost:65536",
                          "localhost:99999999", "localhost:9x", "::1:9092", "[::1]", "[::1]9092",
                          "[::1:9092", "[]:9092", "[localhost]:9092", "[fe80::1%]:9092",
                          "host name:9092", "PLAINTEXT://host:9092", "host:-1", "host:+1"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_broker_address(bad).has_value());
  }

  ProducerConfig c;
  c.set("bootstrap.servers", " a:1 ,, b:2 ,");  // blank entries skipped, as Java
  CHECK(c.bootstrap_servers == std::vector<std::string>{"a:1", "b:2"});
  CHECK(c.bootstrap_addresses() ==
        std::vector<BrokerAddress>{BrokerAddress{"a", 1}, BrokerAddress{"b", 2}});

  const auto message = error_of([] { ProducerConfig().set("bootstrap.servers", "a:1,::1:9092"); });
  CHECK(message.starts_with("bootstrap.servers: \"::1:9092\" is not host:port"));
  CHECK(contains(message, "brackets"));

  CHECK(error_of([] { ProducerConfig::from_properties({}); }) ==
        "bootstrap.servers: must list at least one host:port");
  CHECK_THROWS_AS(ProducerConfig::from_properties({{"bootstrap.servers", " , "}}), ConfigError);

  // A config filled in from C++ is checked by validate() too.
  ProducerConfig typed;
  typed.bootstrap_servers = {"good:1", "bad"};
  CHECK(contains(error_of([&] { typed.validate(); }), "\"bad\" is not host:port"));
}

TEST_CASE("idempotence: explicit conflicts are errors, implicit ones disable it (Java 3.x+)") {
  SUBCASE("acks") {
    const auto message = error_of([] { with({{"enable.idempotence", "true"}, {"acks", "1"}}); });
    CHECK(message.starts_with("enable.idempotence: "));
    CHECK(contains(message, "acks=all"));
    CHECK(contains(message, "acks=1"));

    const auto c = with({{"acks", "1"}});
    CHECK(c.enable_idempotence == false);
    CHECK_FALSE(c.idempotence());
    CHECK(with({{"acks", "0"}}).enable_idempotence == false);
    CHECK(with({{"acks", "all"}}).enable_idempotence == true);
  }
  SUBCASE("max.in.flight") {
    const auto message = error_of([] {
      with({{"enable.idempotence", "true"}, {"max.in.flight.requests.per.connection", "6"}});
    });
    CHECK(contains(message, "enable.idempotence"));
    CHECK(contains(message, "max.in.flight.requests.per.connection <= 5"));
    CHECK(with({{"max.in.flight.requests.per.connection", "6"}}).enable_idempotence == false);
    CHECK(with({{"enable.idempotence", "true"}, {"max.in.flight.requests.per.connection", "5"}})
              .enable_idempotence == true);
  }
  SUBCASE("retries") {
    const auto message = error_of([] { with({{"enable.idempotence", "true"}, {"retries", "0"}}); });
    CHECK(contains(message, "enable.idempotence"));
    CHECK(contains(message, "retries"));
    CHECK(with({{"retries", "0"}}).enable_idempotence == false);
  }
  SUBCASE("explicitly off never conflicts") {
    CHECK(with({{"enable.idempotence", "false"}, {"acks", "1"},
                {"max.in.flight.requests.per.connection", "10"}})
              .enable_idempotence == false);
  }
  SUBCASE("validate() is idempotent") {
    auto c = with({{"acks", "1"}});
    c.validate();
    CHECK(c.enable_idempotence == false);
    auto d = with({});
    d.validate();
    CHECK(d.enable_idempotence == true);
  }
}

TEST_CASE("delivery.timeout.ms >= linger.ms + request.timeout.ms (Java's rule)") {
  const auto message = error_of([] {
    with({{"delivery.timeout.ms", "30000"}, {"linger.ms", "100"}, {"request.timeout.ms", "30000"}});
  });
  CHECK(message.starts_with("delivery.timeout.ms: "));
  CHECK(contains(message, "linger.ms"));
  CHECK(contains(message, "request.timeout.ms"));
  CHECK(contains(message, "30100"));

  // Unset: raised to the sum instead, as KafkaProducer does.
  CHECK(with({{"linger.ms", "100000"}, {"request.timeout.ms", "30000"}}).delivery_timeout_ms ==
        130000);
  CHECK(with({}).delivery_timeout_ms == 120000);
  // The sum saturates instead of overflowing.
  CHECK(with({{"linger.ms", "2147483647"}, {"request.timeout.ms", "2147483647"}})
            .delivery_timeout_ms == INT32_MAX);
  CHECK(with({{"delivery.timeout.ms", "30005"}}).delivery_timeout_ms == 30005);
  // Issue #19: the error names the key the user wrote.
  CHECK(error_of([] { with({{"message.timeout.ms", "30000"}}); })
            .starts_with("message.timeout.ms: must be at least linger.ms + request.timeout.ms"));
}

TEST_CASE("issue #19: librdkafka producer keys are mapped or accepted with the reason they change nothing") {
  const ProducerConfig c = with({{"queue.buffering.max.kbytes", "2048"},
                                 {"queue.buffering.max.messages", "100000"},
                                 {"batch.num.messages", "10000"},
                                 {"sticky.partitioning.linger.ms", "10"},
                                 {"socket.keepalive.enable", "true"}});
  CHECK(c.buffer_memory == 2048 * 1024);
  REQUIRE(c.ignored_keys.size() == 4);
  CHECK(c.ignored_keys[0].starts_with("batch.num.messages is ignored: kwire bounds batches by batch.size"));
  CHECK(c.ignored_keys[1].starts_with("queue.buffering.max.messages is ignored: "));
  CHECK(c.ignored_keys[2].starts_with("socket.keepalive.enable is ignored: "));
  CHECK(c.ignored_keys[3].starts_with("sticky.partitioning.linger.ms is ignored: "));
  CHECK(error_of([] { with({{"queue.buffering.max.kbytes", "1"}, {"buffer.memory", "1024"}}); }) ==
        "queue.buffering.max.kbytes: is the same property as \"buffer.memory\"; set only one of them");
}

TEST_CASE("backoff bounds name both keys") {
  const auto message =
      error_of([] { with({{"retry.backoff.ms", "2000"}, {"retry.backoff.max.ms", "1000"}}); });
  CHECK(message.starts_with("retry.backoff.ms: "));
  CHECK(contains(message, "retry.backoff.max.ms"));
  CHECK_NOTHROW(with({{"retry.backoff.ms", "2000"}, {"retry.backoff.max.ms", "2000"}}));

  const auto reconnect = error_of([] { with({{"reconnect.backoff.ms", "5000"}}); });
  CHECK(contains(reconnect, "reconnect.backoff.ms"));
  CHECK(contains(reconnect, "reconnect.backoff.max.ms"));
}

TEST_CASE("compression levels") {
  CHECK(with({{"compression.type", "zstd"}, {"compression.level", "19"}})
            .effective_compression_level() == 19);
  CHECK(with({{"compression.type", "zstd"}}).effective_compression_level() == 3);
  CHECK(with({{"compression.type", "lz4"}, {"compression.lz4.level", "12"}})
            .effective_compression_level() == 12);
  CHECK(with({{"compression.type", "gzip"}}).effective_compression_level() == std::nullopt);
  CHECK(with({{"compression.type", "gzip"}, {"compression.gzip.level", "1"}})
            .effective_compression_level() == 1);
  CHECK(with({{"compression.type", "gzip"}, {"compression.level", "-1"}, {"compression.gzip.level", "4"}})
            .effective_compression_level() == 4);
  CHECK(with({{"compression.type", "snappy"}}).effective_compression_level() == std::nullopt);

  const auto message = error_of([] { with({{"compression.type", "gzip"}, {"compression.level", "12"}}); });
  CHECK(message.starts_with("compression.level: 12 is not a level of compression.type=gzip"));
  CHECK_THROWS_AS(with({{"compression.type", "snappy"}, {"compression.level", "3"}}), ConfigError);
  CHECK_THROWS_AS(with({{"compression.type", "lz4"}, {"compression.level", "18"}}), ConfigError);
  CHECK_NOTHROW(with({{"compression.type", "zstd"}, {"compression.level", "-7"}}));
}

TEST_CASE("security cross-checks") {
  auto message = error_of([] {
    with({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-256"},
          {"sasl.username", "alice"}});
  });
  CHECK(message.starts_with("sasl.password: required when security.protocol=SASL_SSL"));
  CHECK(contains(message, "sasl.mechanism=SCRAM-SHA-256"));
  CHECK(error_of([] { with({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "PLAIN"}}); })
            .starts_with("sasl.username: required"));
  // The jaas config carries the credentials instead.
  CHECK_NOTHROW(with({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"},
                      {"sasl.jaas.config", "PlainLoginModule required;"}}));
  // GSSAPI needs no password; SASL keys are ignored on non-SASL protocols.
  CHECK_NOTHROW(with({{"security.protocol", "SASL_SSL"}}));
  CHECK_NOTHROW(with({{"sasl.mechanism", "PLAIN"}}));

  message = error_of([] { with({{"ssl.key.location", "/k.pem"}, {"ssl.key.pem", "-----BEGIN"}}); });
  CHECK(contains(message, "ssl.key.location"));
  CHECK(contains(message, "ssl.key.pem"));
  CHECK_THROWS_AS(with({{"ssl.ca.location", "/a"}, {"ssl.ca.pem", "b"}}), ConfigError);
  CHECK_THROWS_AS(with({{"ssl.certificate.location", "/a"}, {"ssl.certificate.pem", "b"}}),
                  ConfigError);

  const auto c = with({{"security.protocol", "sasl_ssl"}, {"sasl.mechanism", "plain"},
                       {"sasl.username", "u"}, {"sasl.password", "p"}});
  CHECK(c.uses_tls());
  CHECK(c.uses_sasl());
  CHECK_FALSE(with({}).uses_tls());
  CHECK(with({{"security.protocol", "ssl"}}).uses_tls());
  CHECK_FALSE(with({{"security.protocol", "ssl"}}).uses_sasl());
}

TEST_CASE("secrets never appear in error messages or describe()") {
  const std::string secret = "hunter2-TOPSECRET";
  const auto assert_hidden = [&](const std::string& text) {
    CAPTURE(text);
    CHECK_FALSE(contains(text, secret));
  };
  const Props secrets = {{"sasl.password", secret},
                         {"ssl.key.password", secret},
                         {"ssl.key.pem", "-----BEGIN " + secret},
                         {"sasl.jaas.config", "password=\"" + secret + "\";"}};
  auto plus = [&](Props extra) {
    Props p = secrets;
    p.emplace("bootstrap.servers", "localhost:9092");
    for (auto& [k, v] : extra) p[k] = v;
    return p;
  };

  // Each failure below happens in a config that carries the secrets.
  assert_hidden(error_of([&] { ProducerConfig::from_properties(plus({{"bogus.key", "1"}})); }));
  assert_hidden(error_of([&] { ProducerConfig::from_properties(plus({{"linger.ms", "x"}})); }));
  assert_hidden(error_of(
      [&] { ProducerConfig::from_properties(plus({{"enable.idempotence", "true"}, {"acks", "0"}})); }));
  assert_hidden(error_of(
      [&] { ProducerConfig::from_properties(plus({{"ssl.key.location", "/key.pem"}})); }));
  assert_hidden(error_of([&] {
    Props p = plus({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"}});
    p.erase("sasl.jaas.config");
    ProducerConfig::from_properties(p);  // no sasl.username
  }));
  // A misspelt secret key: the error names the key but not its value.
  const auto misspelt = error_of([&] { ProducerConfig().set("sasl.pasword", secret); });
  CHECK(contains(misspelt, "sasl.pasword"));
  assert_hidden(misspelt);
  // The same property twice under two names.
  assert_hidden(error_of([&] {
    ProducerConfig::from_properties(plus({{"sasl.mechanisms", "PLAIN"}, {"sasl.mechanism", "PLAIN"}}));
  }));

  const auto c = ProducerConfig::from_properties(plus({}));
  CHECK(c.sasl_password == secret);  // kept, just never shown
  const std::string description = c.describe();
  assert_hidden(description);
  CHECK(contains(description, "sasl.password = [redacted]\n"));
  CHECK(contains(description, "ssl.key.password = [redacted]\n"));
  CHECK(contains(description, "ssl.key.pem = [redacted]\n"));
  CHECK(contains(description, "sasl.jaas.config = [redacted]\n"));
}

TEST_CASE("describe() lists the effective configuration") {
  const auto c = with({{"linger.ms", "20"}, {"acks", "1"}, {"compression.type", "lz4"},
                       {"ssl.ca.pem", "-----BEGIN CERTIFICATE-----\nabc\n"}});
  const std::string d = c.describe();
  CHECK(contains(d, "bootstrap.servers = localhost:9092\n"));
  CHECK(contains(d, "linger.ms = 20\n"));
  CHECK(contains(d, "acks = 1\n"));
  CHECK(contains(d, "enable.idempotence = false\n"));  // resolved by validate()
  CHECK(contains(d, "delivery.timeout.ms = 120000\n"));
  CHECK(contains(d, "compression.type = lz4\n"));
  CHECK(contains(d, "sasl.password = \n"));  // empty: nothing to redact
  CHECK(contains(d, "ssl.ca.pem = (32 bytes of PEM)\n"));
  CHECK(contains(d, "partitioner = murmur2_random\n"));
}

TEST_CASE("validate() checks fields set directly from C++") {
  ProducerConfig c;
  c.bootstrap_servers = {"localhost:9092"};
  c.linger_ms = -5;
  CHECK(error_of([&] { c.validate(); }) ==
        "linger.ms: expected an integer in [0, 2147483647], got \"-5\"");

  ProducerConfig d;
  d.bootstrap_servers = {"localhost:9092"};
  d.security_protocol = "sasl_plaintext";
  d.sasl_mechanism = "scram-sha-512";
  d.sasl_username = "u";
  d.sasl_password = "p";
  d.validate();
  CHECK(d.security_protocol == "SASL_PLAINTEXT");  // normalised
  CHECK(d.sasl_mechanism == "SCRAM-SHA-512");

  ProducerConfig e;
  e.bootstrap_servers = {"localhost:9092"};
  e.security_protocol = "QUIC";
  CHECK(error_of([&] { e.validate(); }).starts_with("security.protocol: expected"));

  ProducerConfig f;
  f.bootstrap_servers = {"localhost:9092"};
  f.enable_idempotence = true;
  f.acks = Acks::leader;
  CHECK_THROWS_AS(f.validate(), ConfigError);
}

TEST_CASE("ProducerConfig: transactional.id needs idempotence and bounds delivery.timeout.ms") {
  ProducerConfig c;
  c.set("bootstrap.servers", "localhost:9092").set("transactional.id", "orders-tx");
  c.validate();
  CHECK(c.transactional());
  CHECK(c.idempotence());
  CHECK(c.transaction_timeout_ms == 60000);
  CHECK(c.effective_delivery_timeout_ms() == 60000);  // defaults to the transaction timeout

  ProducerConfig off;
  off.set("bootstrap.servers", "localhost:9092").set("transactional.id", "t").set("enable.idempotence", "false");
  CHECK(contains(error_of([&] { off.validate(); }), "needs idempotence"));

  ProducerConfig longer;
  longer.set("bootstrap.servers", "localhost:9092")
      .set("transactional.id", "t")
      .set("transaction.timeout.ms", "40000")
      .set("delivery.timeout.ms", "50000");
  CHECK(contains(error_of([&] { longer.validate(); }), "must not exceed transaction.timeout.ms"));

  ProducerConfig acks1;
  acks1.set("bootstrap.servers", "localhost:9092").set("transactional.id", "t").set("acks", "1");
  CHECK(contains(error_of([&] { acks1.validate(); }), "acks=all"));

  ProducerConfig empty;  // Java: an empty transactional.id is none
  empty.set("bootstrap.servers", "localhost:9092").set("transactional.id", "");
  empty.validate();
  CHECK_FALSE(empty.transactional());
}
