// The client property table: every Kafka / librdkafka property name every
// kwire client takes, how its value is parsed into ClientConfig, and how
// describe() prints it; then the cross-key rules (validate()).
#include "kwire/cluster/client_config.hpp"

#include <algorithm>
#include <cstdint>

#include "kwire/cluster/detail/config_parse.hpp"
#include "kwire/cluster/log.hpp"

namespace kwire::cluster {

namespace {

using namespace detail;

// ---- special keys ----------------------------------------------------------

void set_bootstrap(ClientConfig& c, std::string_view key, std::string_view value) {
  std::vector<std::string> servers;
  std::string_view rest = value;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view entry = trim(rest.substr(0, comma));
    // Blank entries ("a:1,,b:2", a trailing comma) are skipped, as Java does.
    if (!entry.empty()) {
      if (!parse_broker_address(entry)) {
        throw ConfigError(std::string(key),
                          quote_value(entry) +
                              " is not host:port (port 1-65535; IPv6 addresses go in brackets, "
                              "e.g. [::1]:9092)");
      }
      servers.emplace_back(entry);
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  c.bootstrap_servers = std::move(servers);
}

std::string get_bootstrap(const ClientConfig& c) {
  std::string out;
  for (const auto& s : c.bootstrap_servers) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

void set_security_protocol(ClientConfig& c, std::string_view key, std::string_view value) {
  const std::string v = to_upper(trim(value));
  if (v != "PLAINTEXT" && v != "SSL" && v != "SASL_PLAINTEXT" && v != "SASL_SSL") {
    throw ConfigError(std::string(key),
                      "expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (any case), got " + quote_value(value));
  }
  c.security_protocol = v;
}

void set_sasl_mechanism(ClientConfig& c, std::string_view key, std::string_view value) {
  const std::string v = to_upper(trim(value));
  if (v != "PLAIN" && v != "SCRAM-SHA-256" && v != "SCRAM-SHA-512" && v != "GSSAPI" && v != "OAUTHBEARER") {
    throw ConfigError(std::string(key),
                      "expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI or OAUTHBEARER, got " + quote_value(value));
  }
  c.sasl_mechanism = v;
}

void set_endpoint_identification(ClientConfig& c, std::string_view key, std::string_view value) {
  const std::string v = to_lower(trim(value));
  if (v == "https") {
    c.ssl_endpoint_identification_algorithm = "https";
  } else if (v == "none" || v.empty()) {
    c.ssl_endpoint_identification_algorithm = "none";
  } else {
    throw ConfigError(std::string(key), "expected https or none (or empty for none), got " + quote_value(value));
  }
}

void set_recovery_strategy(ClientConfig& c, std::string_view key, std::string_view value) {
  const std::string v = to_lower(trim(value));
  if (v == "rebootstrap") {
    c.metadata_recovery_strategy = MetadataRecoveryStrategy::rebootstrap;
  } else if (v == "none") {
    c.metadata_recovery_strategy = MetadataRecoveryStrategy::none;
  } else {
    throw ConfigError(std::string(key), "expected rebootstrap or none (any case), got " + quote_value(value));
  }
}

std::string get_recovery_strategy(const ClientConfig& c) {
  return std::string(to_string(c.metadata_recovery_strategy));
}

// ---- the tables --------------------------------------------------------------

using CC = ClientConfig;

// Canonical (Java) names, in the order describe() prints them.
const KeyDef<ClientConfig> key_defs[] = {
    {"bootstrap.servers", set_bootstrap, get_bootstrap, Kind::text},
    {"client.id", set_string<&CC::client_id>, get_string<&CC::client_id>, Kind::text},
    {"client.rack", set_string<&CC::client_rack>, get_string<&CC::client_rack>, Kind::text},
    {"request.timeout.ms", set_int<&CC::request_timeout_ms, 0, i32_max>, get_int<&CC::request_timeout_ms>,
     Kind::checked},
    {"retry.backoff.ms", set_int<&CC::retry_backoff_ms, 0, i64_max>, get_int<&CC::retry_backoff_ms>, Kind::checked},
    {"retry.backoff.max.ms", set_int<&CC::retry_backoff_max_ms, 0, i64_max>, get_int<&CC::retry_backoff_max_ms>,
     Kind::checked},
    {"metadata.max.age.ms", set_int<&CC::metadata_max_age_ms, 0, i64_max>, get_int<&CC::metadata_max_age_ms>,
     Kind::checked},
    {"metadata.recovery.strategy", set_recovery_strategy, get_recovery_strategy, Kind::checked},
    {"metadata.recovery.rebootstrap.trigger.ms", set_int<&CC::metadata_recovery_rebootstrap_trigger_ms, 0, i64_max>,
     get_int<&CC::metadata_recovery_rebootstrap_trigger_ms>, Kind::checked},
    {"socket.connection.setup.timeout.ms", set_int<&CC::socket_connection_setup_timeout_ms, 0, i64_max>,
     get_int<&CC::socket_connection_setup_timeout_ms>, Kind::checked},
    {"socket.connection.setup.timeout.max.ms", set_int<&CC::socket_connection_setup_timeout_max_ms, 0, i64_max>,
     get_int<&CC::socket_connection_setup_timeout_max_ms>, Kind::checked},
    {"connections.max.idle.ms", set_int<&CC::connections_max_idle_ms, -1, i64_max>,
     get_int<&CC::connections_max_idle_ms>, Kind::checked},
    {"reconnect.backoff.ms", set_int<&CC::reconnect_backoff_ms, 0, i64_max>, get_int<&CC::reconnect_backoff_ms>,
     Kind::checked},
    {"reconnect.backoff.max.ms", set_int<&CC::reconnect_backoff_max_ms, 0, i64_max>,
     get_int<&CC::reconnect_backoff_max_ms>, Kind::checked},
    {"send.buffer.bytes", set_int<&CC::send_buffer_bytes, -1, i32_max>, get_int<&CC::send_buffer_bytes>,
     Kind::checked},
    {"receive.buffer.bytes", set_int<&CC::receive_buffer_bytes, -1, i32_max>, get_int<&CC::receive_buffer_bytes>,
     Kind::checked},
    {"security.protocol", set_security_protocol, get_string<&CC::security_protocol>, Kind::checked},
    {"sasl.mechanism", set_sasl_mechanism, get_string<&CC::sasl_mechanism>, Kind::checked},
    {"sasl.username", set_string<&CC::sasl_username>, get_string<&CC::sasl_username>, Kind::text},
    {"sasl.password", set_string<&CC::sasl_password>, get_secret<&CC::sasl_password>, Kind::secret},
    {"sasl.jaas.config", set_string<&CC::sasl_jaas_config>, get_secret<&CC::sasl_jaas_config>, Kind::secret},
    {"sasl.kerberos.service.name", set_string<&CC::sasl_kerberos_service_name>,
     get_string<&CC::sasl_kerberos_service_name>, Kind::text},
    {"sasl.kerberos.principal", set_string<&CC::sasl_kerberos_principal>, get_string<&CC::sasl_kerberos_principal>,
     Kind::text},
    {"sasl.kerberos.keytab", set_string<&CC::sasl_kerberos_keytab>, get_string<&CC::sasl_kerberos_keytab>,
     Kind::text},
    {"sasl.kerberos.kinit.cmd", set_string<&CC::sasl_kerberos_kinit_cmd>, get_string<&CC::sasl_kerberos_kinit_cmd>,
     Kind::text},
    {"sasl.kerberos.min.time.before.relogin", set_int<&CC::sasl_kerberos_min_time_before_relogin, 0, 86400000>,
     get_int<&CC::sasl_kerberos_min_time_before_relogin>, Kind::checked},
    {"sasl.oauthbearer.token", set_string<&CC::sasl_oauthbearer_token>, get_secret<&CC::sasl_oauthbearer_token>,
     Kind::secret},
    {"sasl.oauthbearer.config", set_string<&CC::sasl_oauthbearer_config>, get_string<&CC::sasl_oauthbearer_config>,
     Kind::text},
    {"enable.sasl.oauthbearer.unsecure.jwt", set_bool<&CC::enable_sasl_oauthbearer_unsecure_jwt>,
     get_bool<&CC::enable_sasl_oauthbearer_unsecure_jwt>, Kind::checked},
    {"ssl.ca.location", set_string<&CC::ssl_ca_location>, get_string<&CC::ssl_ca_location>, Kind::text},
    {"ssl.certificate.location", set_string<&CC::ssl_certificate_location>,
     get_string<&CC::ssl_certificate_location>, Kind::text},
    {"ssl.key.location", set_string<&CC::ssl_key_location>, get_string<&CC::ssl_key_location>, Kind::text},
    {"ssl.key.password", set_string<&CC::ssl_key_password>, get_secret<&CC::ssl_key_password>, Kind::secret},
    {"ssl.ca.pem", set_string<&CC::ssl_ca_pem>, get_pem<&CC::ssl_ca_pem>, Kind::text},
    {"ssl.certificate.pem", set_string<&CC::ssl_certificate_pem>, get_pem<&CC::ssl_certificate_pem>, Kind::text},
    {"ssl.key.pem", set_string<&CC::ssl_key_pem>, get_secret<&CC::ssl_key_pem>, Kind::secret},
    {"ssl.endpoint.identification.algorithm", set_endpoint_identification,
     get_string<&CC::ssl_endpoint_identification_algorithm>, Kind::checked},
    {"debug", set_string<&CC::debug>, get_string<&CC::debug>, Kind::text},
    {"statistics.interval.ms", set_int<&CC::statistics_interval_ms, 0, 86400000>,
     get_int<&CC::statistics_interval_ms>, Kind::checked},
};

// librdkafka's names for the same properties.
const AliasDef<ClientConfig> alias_defs[] = {
    {"metadata.broker.list", "bootstrap.servers"},
    {"socket.timeout.ms", "request.timeout.ms"},
    {"topic.metadata.refresh.interval.ms", "metadata.max.age.ms"},
    {"sasl.mechanisms", "sasl.mechanism"},
    {"socket.send.buffer.bytes", "send.buffer.bytes"},
    {"socket.receive.buffer.bytes", "receive.buffer.bytes"},
};

// Well-known Java keys kwire deliberately does not take, with what to do
// instead: better than "unknown key" for a pasted config.
constexpr UnsupportedDef unsupported_defs[] = {
    {"ssl.truststore.location", "not supported: Java key stores cannot be read, use ssl.ca.location (PEM)"},
    {"ssl.truststore.password", "not supported: Java key stores cannot be read, use ssl.ca.location (PEM)"},
    {"ssl.keystore.location",
     "not supported: Java key stores cannot be read, use ssl.certificate.location and ssl.key.location (PEM)"},
    {"ssl.keystore.password", "not supported: Java key stores cannot be read, use ssl.key.password"},
};

// ---- keys accepted without effect (issue #19: pasted configs work) ---------

bool check_certificate_verification(std::string_view key, std::string_view value) {
  if (parse_bool(key, value)) return false;  // true is what kwire always does
  throw ConfigError(std::string(key),
                    "false is not supported: kwire always verifies the broker's certificate (trust it with "
                    "ssl.ca.location or ssl.ca.pem; ssl.endpoint.identification.algorithm=none skips the host name "
                    "check only)");
}

bool check_api_version_request(std::string_view key, std::string_view value) {
  return !parse_bool(key, value);  // true: what kwire always does (KIP-35)
}

bool check_dns_lookup(std::string_view key, std::string_view value) {
  const std::string v = to_lower(trim(value));
  if (v == "use_all_dns_ips") return false;  // what kwire does: every resolved address in turn
  if (v == "resolve_canonical_bootstrap_servers_only") return true;
  throw ConfigError(std::string(key), "expected use_all_dns_ips or resolve_canonical_bootstrap_servers_only, got " +
                                          quote_value(value));
}

constexpr IgnoredDef ignored_defs[] = {
    {"socket.keepalive.enable", "kwire does not set SO_KEEPALIVE; idle connections close after connections.max.idle.ms"},
    {"enable.ssl.certificate.verification", "", check_certificate_verification},
    {"api.version.request", "kwire always asks brokers for their API versions (KIP-35)", check_api_version_request},
    {"log.connection.close", "kwire logs closed connections at info level under the `broker` category"},
    {"client.dns.lookup", "kwire tries every address a name resolves to (use_all_dns_ips)", check_dns_lookup},
    {"metrics.sample.window.ms", "kwire has no metrics reporters; see Producer::statistics()"},
    {"metrics.num.samples", "kwire has no metrics reporters; see Producer::statistics()"},
    {"metric.reporters", "kwire has no metrics reporters; see Producer::statistics()"},
    {"api.version.fallback.ms", "kwire always asks brokers for their API versions (KIP-35)"},
    {"broker.version.fallback", "kwire always asks brokers for their API versions (KIP-35)"},
};

void check_bootstrap(const ClientConfig& c) {
  if (c.bootstrap_servers.empty()) throw ConfigError("bootstrap.servers", "must list at least one host:port");
  (void)c.bootstrap_addresses();
}

void check_backoff(std::string_view base_key, std::int64_t base, std::string_view max_key, std::int64_t max) {
  if (base > max) {
    throw ConfigError(std::string(base_key), "must not exceed " + std::string(max_key) + " (" +
                                                 std::to_string(base) + " > " + std::to_string(max) + "); raise " +
                                                 std::string(max_key) + " as well");
  }
}

void check_debug(const ClientConfig& c) {
  std::string bad;
  if (!parse_log_categories(c.debug, &bad)) {
    std::string names;
    for (std::uint32_t bit = 1; bit <= kAllLogCategories; bit <<= 1)
      names += std::string(to_string(static_cast<LogCategory>(bit))) + ", ";
    throw ConfigError("debug", "unknown category " + quote_value(bad) + " (use a comma-separated list of " + names +
                                   "or all)");
  }
}

void check_sasl(const ClientConfig& c) {
  if (!c.uses_sasl()) return;
  const bool password_based = c.sasl_mechanism == "PLAIN" || c.sasl_mechanism.starts_with("SCRAM-");
  if (!password_based || !c.sasl_jaas_config.empty()) return;
  // Only the key names go into the message, never the values.
  for (auto [key, value] : {std::pair<const char*, const std::string*>{"sasl.username", &c.sasl_username},
                            {"sasl.password", &c.sasl_password}}) {
    if (value->empty()) {
      throw ConfigError(key, "required when security.protocol=" + c.security_protocol +
                                 " and sasl.mechanism=" + c.sasl_mechanism);
    }
  }
}

void check_exclusive(std::string_view location_key, const std::string& location, std::string_view pem_key,
                     const std::string& pem) {
  if (!location.empty() && !pem.empty()) {
    throw ConfigError(std::string(location_key),
                      "set either " + std::string(location_key) + " or " + std::string(pem_key) + ", not both");
  }
}

}  // namespace

namespace detail {

std::span<const KeyDef<ClientConfig>> client_keys() noexcept { return key_defs; }
std::span<const AliasDef<ClientConfig>> client_aliases() noexcept { return alias_defs; }
std::span<const UnsupportedDef> client_unsupported() noexcept { return unsupported_defs; }
std::span<const IgnoredDef> client_ignored() noexcept { return ignored_defs; }

bool accept_ignored(ClientConfig& config, std::span<const IgnoredDef> ignored, std::string_view key,
                    std::string_view value) {
  const IgnoredDef* def = find_ignored(ignored, key);
  if (!def) return false;
  if (def->check && !def->check(key, value)) return true;  // a value that is kwire's behaviour anyway
  config.ignored_keys.push_back(std::string(key) + " is ignored: " + std::string(def->why));
  return true;
}

void note_spelling(ClientConfig& config, std::string_view canonical, std::string_view key) {
  if (canonical != key) config.spelled_as.insert_or_assign(std::string(canonical), std::string(key));
}

void recheck_client_fields(ClientConfig& config) {
  for (const auto& k : key_defs)
    if (k.kind == Kind::checked) k.set(config, k.name, k.get(config));
}

}  // namespace detail

std::string_view to_string(MetadataRecoveryStrategy strategy) noexcept {
  return strategy == MetadataRecoveryStrategy::rebootstrap ? "rebootstrap" : "none";
}

ClientConfig& ClientConfig::set(std::string_view key, std::string_view value) {
  const Lookup<ClientConfig> found = lookup<ClientConfig>(key_defs, alias_defs, key);
  if (found.def == nullptr && accept_ignored(*this, ignored_defs, key, value)) return *this;
  if (found.def == nullptr) {
    std::vector<std::string_view> names;
    append_names<ClientConfig>(key_defs, alias_defs, names);
    throw_unknown_key(key, unsupported_defs, names);
  }
  found.set(*this, key, value);
  note_spelling(*this, found.def->name, key);
  return *this;
}

std::string ClientConfig::key_name(std::string_view canonical) const {
  auto it = spelled_as.find(canonical);
  return it == spelled_as.end() ? std::string(canonical) : it->second;
}

ClientConfig ClientConfig::from_properties(const std::map<std::string, std::string>& properties) {
  ClientConfig config;
  // canonical name -> the name the user gave, to catch a property set twice
  // under two names (bootstrap.servers and metadata.broker.list).
  std::map<std::string_view, std::string_view> given;
  for (const auto& [key, value] : properties) {
    const Lookup<ClientConfig> found = lookup<ClientConfig>(key_defs, alias_defs, key);
    if (found.def != nullptr) {
      const auto [it, inserted] = given.emplace(found.def->name, key);
      if (!inserted)
        throw ConfigError(key, "is the same property as \"" + std::string(it->second) + "\"; set only one of them");
    }
    config.set(key, value);
  }
  config.validate();
  return config;
}

std::string ClientConfig::describe() const {
  std::string out;
  describe_keys<ClientConfig>(key_defs, *this, out);
  return out;
}

void ClientConfig::validate() {
  detail::recheck_client_fields(*this);
  check_bootstrap(*this);
  check_backoff("retry.backoff.ms", retry_backoff_ms, "retry.backoff.max.ms", retry_backoff_max_ms);
  check_backoff("reconnect.backoff.ms", reconnect_backoff_ms, "reconnect.backoff.max.ms", reconnect_backoff_max_ms);
  check_debug(*this);
  check_sasl(*this);
  check_exclusive("ssl.ca.location", ssl_ca_location, "ssl.ca.pem", ssl_ca_pem);
  check_exclusive("ssl.certificate.location", ssl_certificate_location, "ssl.certificate.pem", ssl_certificate_pem);
  check_exclusive("ssl.key.location", ssl_key_location, "ssl.key.pem", ssl_key_pem);
}

std::vector<BrokerAddress> ClientConfig::bootstrap_addresses() const {
  std::vector<BrokerAddress> out;
  out.reserve(bootstrap_servers.size());
  for (const auto& server : bootstrap_servers) {
    auto address = parse_broker_address(trim(server));
    if (!address) {
      throw ConfigError("bootstrap.servers", quote_value(server) +
                                                 " is not host:port (port 1-65535; IPv6 addresses go in brackets, "
                                                 "e.g. [::1]:9092)");
    }
    out.push_back(std::move(*address));
  }
  return out;
}

bool ClientConfig::uses_tls() const noexcept { return security_protocol == "SSL" || security_protocol == "SASL_SSL"; }

bool ClientConfig::uses_sasl() const noexcept {
  return security_protocol == "SASL_PLAINTEXT" || security_protocol == "SASL_SSL";
}

std::uint32_t ClientConfig::debug_categories() const { return parse_log_categories(debug).value_or(0); }

}  // namespace kwire::cluster
