#pragma once
// ClientConfig: the settings every kwire client shares — where the cluster
// is, how to connect and authenticate, how to back off, how to keep
// metadata, what to log — with defaults that match Kafka's Java clients
// (4.x, CommonClientConfigs) and a parser for Kafka's own property names and
// librdkafka's aliases. ProducerConfig (and later the consumer's and admin
// client's configs) extends it: one parser, one list of keys and aliases,
// the same ConfigError messages for every client.
//
//   auto config = kwire::cluster::ClientConfig::from_properties({
//       {"bootstrap.servers", "broker1:9092,[::1]:9093"},
//       {"security.protocol", "SASL_SSL"},
//   });  // throws kwire::ConfigError naming the bad key
//
// Secrets (sasl.password, ssl.key.password, ssl.key.pem, sasl.jaas.config,
// sasl.oauthbearer.token) never appear in an error message or in describe().
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire {

/// An unknown configuration key, an invalid value, or an inconsistent
/// combination. what() is "<key>: <what is wrong>"; key() is the first key
/// named. Never contains a secret value.
class ConfigError : public std::invalid_argument {
 public:
  ConfigError(std::string key, const std::string& message);
  const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

}  // namespace kwire

namespace kwire::cluster {

/// A broker address from `bootstrap.servers`.
struct BrokerAddress {
  std::string host;  ///< without brackets for IPv6 ("::1")
  std::uint16_t port = 0;

  friend bool operator==(const BrokerAddress&, const BrokerAddress&) = default;
};

/// Parses "host:port", "1.2.3.4:port" or "[ipv6]:port" (the IPv6 form may
/// carry a zone, "[fe80::1%eth0]:9092"). Port 1-65535, host characters as
/// Java's Utils.getHost accepts. nullopt when malformed.
std::optional<BrokerAddress> parse_broker_address(std::string_view text);

/// `metadata.recovery.strategy` (KIP-899): what to do when every broker the
/// client knows is unreachable.
enum class MetadataRecoveryStrategy : std::uint8_t {
  none,         ///< keep trying the known brokers
  rebootstrap,  ///< forget them and start again from bootstrap.servers (Java 4.0's default)
};

struct ClientConfig {
  /// Declared so the configs are not aggregates: otherwise
  /// `Producer({{"bootstrap.servers", "..."}, {"acks", "all"}})` would be
  /// ambiguous between a config struct and a property map.
  ClientConfig() = default;

  // --- Connection -------------------------------------------------------
  /// `bootstrap.servers` (librdkafka alias `metadata.broker.list`):
  /// comma-separated host:port list; required.
  std::vector<std::string> bootstrap_servers;
  std::string client_id = "kwire";  ///< `client.id`
  /// `client.rack` (KIP-392): the rack this client runs in; empty: none.
  std::string client_rack;
  std::int64_t socket_connection_setup_timeout_ms = 10000;      ///< Java default
  std::int64_t socket_connection_setup_timeout_max_ms = 30000;  ///< Java default
  /// `connections.max.idle.ms`: close idle connections after this; -1 never.
  std::int64_t connections_max_idle_ms = 540000;
  std::int64_t reconnect_backoff_ms = 50;
  std::int64_t reconnect_backoff_max_ms = 1000;
  std::int32_t send_buffer_bytes = 131072;    ///< SO_SNDBUF; -1: OS default
  std::int32_t receive_buffer_bytes = 32768;  ///< SO_RCVBUF; -1: OS default
  std::int32_t request_timeout_ms = 30000;    ///< `request.timeout.ms`
  std::int64_t retry_backoff_ms = 100;        ///< `retry.backoff.ms`
  std::int64_t retry_backoff_max_ms = 1000;   ///< `retry.backoff.max.ms` (KIP-580)

  // --- Metadata ---------------------------------------------------------
  /// `metadata.max.age.ms` (librdkafka alias
  /// `topic.metadata.refresh.interval.ms`): refresh metadata at least this often.
  std::int64_t metadata_max_age_ms = 300000;
  /// `metadata.recovery.strategy` (KIP-899): `rebootstrap` (the default, as
  /// in Java 4.0) or `none`.
  MetadataRecoveryStrategy metadata_recovery_strategy = MetadataRecoveryStrategy::rebootstrap;
  /// `metadata.recovery.rebootstrap.trigger.ms` (KIP-1102): rebootstrap
  /// when no metadata could be had from any known broker for this long.
  std::int64_t metadata_recovery_rebootstrap_trigger_ms = 300000;

  // --- Security (plain strings, interpreted by the security module) ------
  /// `security.protocol`, normalised to PLAINTEXT, SSL, SASL_PLAINTEXT or
  /// SASL_SSL (the property is case-insensitive).
  std::string security_protocol = "PLAINTEXT";
  /// `sasl.mechanism` (librdkafka alias `sasl.mechanisms`), normalised to
  /// upper case: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI or OAUTHBEARER.
  /// GSSAPI is the Java and librdkafka default.
  std::string sasl_mechanism = "GSSAPI";
  std::string sasl_username;
  std::string sasl_password;  ///< secret
  /// `sasl.jaas.config`: the Java login module string, kept verbatim for the
  /// security module (it may carry a password: secret).
  std::string sasl_jaas_config;
  std::string sasl_kerberos_service_name = "kafka";  ///< GSSAPI service principal
  std::string sasl_kerberos_principal;               ///< GSSAPI client principal
  std::string sasl_kerberos_keytab;                  ///< GSSAPI keytab path
  /// `sasl.kerberos.kinit.cmd` (librdkafka): a /bin/sh command that gets a
  /// ticket; %{sasl.kerberos.keytab} and %{sasl.kerberos.principal} are
  /// replaced. Empty: `kinit -k -t <keytab> <principal>` when both are set.
  std::string sasl_kerberos_kinit_cmd;
  /// `sasl.kerberos.min.time.before.relogin` (librdkafka): least time
  /// between two kinit runs, ms.
  std::int64_t sasl_kerberos_min_time_before_relogin = 60000;
  /// `sasl.oauthbearer.token`: a static OAuth bearer token for OAUTHBEARER
  /// (secret). kwire's own key: Java and librdkafka take tokens from code.
  std::string sasl_oauthbearer_token;
  /// `sasl.oauthbearer.config` (librdkafka): with
  /// enable.sasl.oauthbearer.unsecure.jwt, "principal=<name>
  /// [scope=<a,b>] [lifeSeconds=<n>] [extension_<key>=<value> ...]".
  std::string sasl_oauthbearer_config;
  /// `enable.sasl.oauthbearer.unsecure.jwt` (librdkafka): make an unsigned
  /// JWT from sasl.oauthbearer.config, for brokers running Kafka's unsecured
  /// validator (development and tests only).
  bool enable_sasl_oauthbearer_unsecure_jwt = false;
  /// C++ only: fetches an OAuth bearer token for every (re-)authentication,
  /// on the network thread. Wins over sasl.oauthbearer.token. Throw to fail
  /// the authentication (what() must not contain the token).
  std::function<std::string()> sasl_oauthbearer_token_provider;
  std::string ssl_ca_location;           ///< CA bundle file (PEM) or directory
  std::string ssl_certificate_location;  ///< client certificate file (PEM)
  std::string ssl_key_location;          ///< client private key file (PEM)
  std::string ssl_key_password;          ///< secret
  std::string ssl_ca_pem;                ///< CA certificate(s) inline, PEM
  std::string ssl_certificate_pem;       ///< client certificate inline, PEM
  std::string ssl_key_pem;               ///< client private key inline, PEM (secret)
  /// `ssl.endpoint.identification.algorithm`: "https" (verify the broker's
  /// host name, the Java and librdkafka >= 2.0 default) or "none" (an empty
  /// value, as Java allows, also means none).
  std::string ssl_endpoint_identification_algorithm = "https";

  // --- Diagnostics --------------------------------------------------------
  /// `debug`: debug log categories, comma-separated (see log.hpp).
  std::string debug;
  /// `statistics.interval.ms`: how often the client's statistics callback
  /// receives a snapshot; 0 (the default): never.
  std::int32_t statistics_interval_ms = 0;

  /// Keys accepted but without effect in kwire (a pasted librdkafka or Java
  /// config), one line each: "<key as written> is ignored: <why>". The
  /// client logs them once at construction.
  std::vector<std::string> ignored_keys;
  /// The name the user wrote for a property set under an alias (canonical
  /// name -> alias), so errors found later name the key the user wrote.
  std::map<std::string, std::string, std::less<>> spelled_as;
  /// `canonical`, or the alias the user set it under.
  std::string key_name(std::string_view canonical) const;

  /// `debug` as a set of categories (validate() rejected unknown names).
  std::uint32_t debug_categories() const;

  /// Builds a config from Kafka property names, then validate()s it. Throws
  /// ConfigError for an unknown key, an invalid value, a key given twice
  /// under two names (e.g. `bootstrap.servers` and `metadata.broker.list`),
  /// or a cross-key conflict.
  static ClientConfig from_properties(const std::map<std::string, std::string>& properties);

  /// Sets one property by its Kafka name. Values are trimmed of surrounding
  /// ASCII whitespace except for free-form strings; integers must be plain
  /// decimal and in range; booleans are true/false (any case). Does not run
  /// the cross-key checks: call validate() when done.
  ClientConfig& set(std::string_view key, std::string_view value);

  /// Checks the rules that involve several keys:
  ///  * bootstrap.servers is non-empty and every entry is host:port;
  ///  * retry.backoff.ms <= retry.backoff.max.ms and
  ///    reconnect.backoff.ms <= reconnect.backoff.max.ms;
  ///  * debug names known categories;
  ///  * SASL PLAIN/SCRAM needs sasl.username and sasl.password (or sasl.jaas.config);
  ///  * ssl.X.location and ssl.X.pem are mutually exclusive.
  /// Idempotent. Throws ConfigError naming the keys involved.
  void validate();

  /// bootstrap.servers parsed; throws ConfigError if an entry is malformed.
  std::vector<BrokerAddress> bootstrap_addresses() const;
  bool uses_tls() const noexcept;   ///< security.protocol is SSL or SASL_SSL
  bool uses_sasl() const noexcept;  ///< security.protocol is SASL_PLAINTEXT or SASL_SSL

  /// The effective configuration, one "key = value" line per property in
  /// Kafka names, secrets shown as "[redacted]" when set. For logs.
  std::string describe() const;
};

std::string_view to_string(MetadataRecoveryStrategy strategy) noexcept;

namespace detail {
template <class Config>
struct KeyDef;
template <class Config>
struct AliasDef;
struct UnsupportedDef;
struct IgnoredDef;
/// The client's property table (detail/config_parse.hpp), for the configs
/// that extend ClientConfig.
std::span<const KeyDef<ClientConfig>> client_keys() noexcept;
std::span<const AliasDef<ClientConfig>> client_aliases() noexcept;
std::span<const UnsupportedDef> client_unsupported() noexcept;
std::span<const IgnoredDef> client_ignored() noexcept;
/// Records an ignored key (IgnoredDef::check first); false if `key` is not one.
bool accept_ignored(ClientConfig& config, std::span<const IgnoredDef> ignored, std::string_view key,
                    std::string_view value);
/// Remembers that `canonical` was set as `key` (when they differ).
void note_spelling(ClientConfig& config, std::string_view canonical, std::string_view key);
/// Re-parses every checked client field through its setter (validate()).
void recheck_client_fields(ClientConfig& config);
}  // namespace detail

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
