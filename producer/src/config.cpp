// The property table: every accepted Kafka / librdkafka property name, how
// its value is parsed into ProducerConfig, and how describe() prints it.
#include "kwire/producer/config.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "config_parse.hpp"

namespace kwire::producer {

namespace {

using detail::parse_bool;
using detail::parse_int;
using detail::quote_value;
using detail::trim;

constexpr std::int64_t i32_max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();

using Setter = void (*)(ProducerConfig&, std::string_view key, std::string_view value);
using Getter = std::string (*)(const ProducerConfig&);

enum class Kind : std::uint8_t {
  /// An integer or a fixed set of words: get() prints a value set() accepts,
  /// so validate() can re-check a field filled in directly from C++.
  checked,
  text,    ///< free-form string, or a value validate() checks by itself
  secret,  ///< never echoed; describe() prints "[redacted]"
};

struct KeyDef {
  std::string_view name;
  Setter set;
  Getter get;  ///< how describe() prints it
  Kind kind;
};

struct AliasDef {
  std::string_view alias;      ///< librdkafka's name
  std::string_view canonical;  ///< the Java name it stands for
  Setter set = nullptr;        ///< when the alias's values mean something else
};

struct UnsupportedDef {
  std::string_view name;
  std::string_view why;
};

// ---- generic setters / getters ---------------------------------------------

template <typename T>
struct value_type_of {
  using type = T;
};
template <typename T>
struct value_type_of<std::optional<T>> {
  using type = T;
};

template <auto Member, std::int64_t Min, std::int64_t Max>
void set_int(ProducerConfig& c, std::string_view key, std::string_view value) {
  using Field = std::remove_cvref_t<decltype(c.*Member)>;
  using T = typename value_type_of<Field>::type;
  static_assert(Min >= std::numeric_limits<T>::min() && Max <= std::numeric_limits<T>::max());
  c.*Member = static_cast<T>(parse_int(key, value, Min, Max));
}

template <auto Member>
std::string get_int(const ProducerConfig& c) {
  const auto& v = c.*Member;
  if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, std::optional<std::int32_t>>)
    return v ? std::to_string(*v) : std::string("(unset)");
  else
    return std::to_string(v);
}

template <auto Member>
void set_bool(ProducerConfig& c, std::string_view key, std::string_view value) {
  c.*Member = parse_bool(key, value);
}

template <auto Member>
std::string get_bool(const ProducerConfig& c) {
  return (c.*Member) ? "true" : "false";
}

/// Free-form strings are kept verbatim (no trimming: a password may end in a space).
template <auto Member>
void set_string(ProducerConfig& c, std::string_view, std::string_view value) {
  c.*Member = std::string(value);
}

template <auto Member>
std::string get_string(const ProducerConfig& c) {
  return c.*Member;
}

/// Inline PEM is long and multi-line: describe() says only whether it is set.
template <auto Member>
std::string get_pem(const ProducerConfig& c) {
  const auto& v = c.*Member;
  return v.empty() ? std::string() : "(" + std::to_string(v.size()) + " bytes of PEM)";
}

template <auto Member>
std::string get_secret(const ProducerConfig& c) {
  return (c.*Member).empty() ? std::string() : std::string("[redacted]");
}

// ---- special keys ----------------------------------------------------------

void set_bootstrap(ProducerConfig& c, std::string_view key, std::string_view value) {
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

std::string get_bootstrap(const ProducerConfig& c) {
  std::string out;
  for (const auto& s : c.bootstrap_servers) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

void set_acks(ProducerConfig& c, std::string_view key, std::string_view value) {
  const std::string v = detail::to_lower(trim(value));
  if (v == "all" || v == "-1") {
    c.acks = Acks::all;
  } else if (v == "1") {
    c.acks = Acks::leader;
  } else if (v == "0") {
    c.acks = Acks::none;
  } else {
    throw ConfigError(std::string(key), "expected 0, 1, all or -1, got " + quote_value(value));
  }
}

std::string get_acks(const ProducerConfig& c) { return std::string(to_string(c.acks)); }

void set_idempotence(ProducerConfig& c, std::string_view key, std::string_view value) {
  c.enable_idempotence = parse_bool(key, value);
}

std::string get_idempotence(const ProducerConfig& c) {
  if (!c.enable_idempotence) return "true (unless acks, retries or max.in.flight conflict)";
  return *c.enable_idempotence ? "true" : "false";
}

// librdkafka's message.timeout.ms treats 0 as "infinite"; Java's
// delivery.timeout.ms has no such value, so map it to the largest one.
void set_message_timeout(ProducerConfig& c, std::string_view key, std::string_view value) {
  const auto v = parse_int(key, value, 0, i32_max);
  c.delivery_timeout_ms = v == 0 ? std::int32_t{2147483647} : static_cast<std::int32_t>(v);
}

std::string get_delivery_timeout(const ProducerConfig& c) {
  return c.delivery_timeout_ms ? std::to_string(*c.delivery_timeout_ms)
                               : "120000 (or linger.ms + request.timeout.ms if larger)";
}

void set_partitioner(ProducerConfig& c, std::string_view key, std::string_view value) {
  const auto type = parse_partitioner(trim(value));
  if (!type) {
    throw ConfigError(std::string(key),
                      "expected murmur2_random, murmur2, consistent_random, consistent, "
                      "fnv1a_random, fnv1a or random, got " +
                          quote_value(value));
  }
  c.partitioner = *type;
}

std::string get_partitioner(const ProducerConfig& c) {
  std::string out(to_string(c.partitioner));
  if (c.partitioner_function) out += " (overridden by partitioner_function)";
  return out;
}

void set_compression(ProducerConfig& c, std::string_view key, std::string_view value) {
  const auto codec = compression::parse_codec(detail::to_lower(trim(value)));
  if (!codec) {
    throw ConfigError(std::string(key),
                      "expected none, gzip, snappy, lz4 or zstd, got " + quote_value(value));
  }
  c.compression_type = *codec;
}

std::string get_compression(const ProducerConfig& c) {
  return std::string(compression::codec_name(c.compression_type));
}

// Level bounds are validated against the codec in validate(); here only the
// widest range any codec accepts (zstd's) is enforced.
void set_compression_level(ProducerConfig& c, std::string_view key, std::string_view value) {
  c.compression_level = static_cast<std::int32_t>(parse_int(key, value, -131072, 22));
}

void set_gzip_level(ProducerConfig& c, std::string_view key, std::string_view value) {
  const auto v = parse_int(key, value, -1, 9);
  if (v == 0) {
    // Java: "Value must be between 1 and 9 or equal to -1".
    throw ConfigError(std::string(key),
                      "expected an integer in [1, 9] or -1, got " + quote_value(value));
  }
  c.compression_gzip_level = static_cast<std::int32_t>(v);
}

void set_security_protocol(ProducerConfig& c, std::string_view key, std::string_view value) {
  const std::string v = detail::to_upper(trim(value));
  if (v != "PLAINTEXT" && v != "SSL" && v != "SASL_PLAINTEXT" && v != "SASL_SSL") {
    throw ConfigError(std::string(key),
                      "expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (any case), got " +
                          quote_value(value));
  }
  c.security_protocol = v;
}

void set_sasl_mechanism(ProducerConfig& c, std::string_view key, std::string_view value) {
  const std::string v = detail::to_upper(trim(value));
  if (v != "PLAIN" && v != "SCRAM-SHA-256" && v != "SCRAM-SHA-512" && v != "GSSAPI" &&
      v != "OAUTHBEARER") {
    throw ConfigError(std::string(key),
                      "expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI or OAUTHBEARER, got " +
                          quote_value(value));
  }
  c.sasl_mechanism = v;
}

void set_endpoint_identification(ProducerConfig& c, std::string_view key, std::string_view value) {
  const std::string v = detail::to_lower(trim(value));
  if (v == "https") {
    c.ssl_endpoint_identification_algorithm = "https";
  } else if (v == "none" || v.empty()) {
    c.ssl_endpoint_identification_algorithm = "none";
  } else {
    throw ConfigError(std::string(key),
                      "expected https or none (or empty for none), got " + quote_value(value));
  }
}

// ---- the tables --------------------------------------------------------------

using PC = ProducerConfig;

// Canonical (Java) names, in the order describe() prints them.
const KeyDef key_defs[] = {
    {"bootstrap.servers", set_bootstrap, get_bootstrap, Kind::text},
    {"client.id", set_string<&PC::client_id>, get_string<&PC::client_id>, Kind::text},
    {"acks", set_acks, get_acks, Kind::checked},
    {"enable.idempotence", set_idempotence, get_idempotence, Kind::text},
    {"linger.ms", set_int<&PC::linger_ms, 0, i32_max>, get_int<&PC::linger_ms>, Kind::checked},
    {"batch.size", set_int<&PC::batch_size, 0, i32_max>, get_int<&PC::batch_size>, Kind::checked},
    {"buffer.memory", set_int<&PC::buffer_memory, 0, i64_max>, get_int<&PC::buffer_memory>, Kind::checked},
    {"max.block.ms", set_int<&PC::max_block_ms, 0, i64_max>, get_int<&PC::max_block_ms>, Kind::checked},
    {"max.request.size", set_int<&PC::max_request_size, 0, i32_max>,
     get_int<&PC::max_request_size>, Kind::checked},
    {"request.timeout.ms", set_int<&PC::request_timeout_ms, 0, i32_max>,
     get_int<&PC::request_timeout_ms>, Kind::checked},
    {"delivery.timeout.ms", set_int<&PC::delivery_timeout_ms, 0, i32_max>, get_delivery_timeout, Kind::text},
    {"retries", set_int<&PC::retries, 0, i32_max>, get_int<&PC::retries>, Kind::checked},
    {"retry.backoff.ms", set_int<&PC::retry_backoff_ms, 0, i64_max>,
     get_int<&PC::retry_backoff_ms>, Kind::checked},
    {"retry.backoff.max.ms", set_int<&PC::retry_backoff_max_ms, 0, i64_max>,
     get_int<&PC::retry_backoff_max_ms>, Kind::checked},
    {"max.in.flight.requests.per.connection",
     set_int<&PC::max_in_flight_requests_per_connection, 1, i32_max>,
     get_int<&PC::max_in_flight_requests_per_connection>, Kind::checked},
    {"partitioner", set_partitioner, get_partitioner, Kind::text},
    {"partitioner.ignore.keys", set_bool<&PC::partitioner_ignore_keys>,
     get_bool<&PC::partitioner_ignore_keys>, Kind::checked},
    {"partitioner.adaptive.partitioning.enable",
     set_bool<&PC::partitioner_adaptive_partitioning_enable>,
     get_bool<&PC::partitioner_adaptive_partitioning_enable>, Kind::checked},
    {"partitioner.availability.timeout.ms",
     set_int<&PC::partitioner_availability_timeout_ms, 0, i64_max>,
     get_int<&PC::partitioner_availability_timeout_ms>, Kind::checked},
    {"metadata.max.age.ms", set_int<&PC::metadata_max_age_ms, 0, i64_max>,
     get_int<&PC::metadata_max_age_ms>, Kind::checked},
    {"metadata.max.idle.ms", set_int<&PC::metadata_max_idle_ms, 5000, i64_max>,
     get_int<&PC::metadata_max_idle_ms>, Kind::checked},
    {"compression.type", set_compression, get_compression, Kind::checked},
    {"compression.level", set_compression_level, get_int<&PC::compression_level>, Kind::text},
    {"compression.gzip.level", set_gzip_level, get_int<&PC::compression_gzip_level>, Kind::checked},
    {"compression.lz4.level", set_int<&PC::compression_lz4_level, 1, 17>,
     get_int<&PC::compression_lz4_level>, Kind::checked},
    {"compression.zstd.level", set_int<&PC::compression_zstd_level, -131072, 22>,
     get_int<&PC::compression_zstd_level>, Kind::checked},
    {"socket.connection.setup.timeout.ms",
     set_int<&PC::socket_connection_setup_timeout_ms, 0, i64_max>,
     get_int<&PC::socket_connection_setup_timeout_ms>, Kind::checked},
    {"socket.connection.setup.timeout.max.ms",
     set_int<&PC::socket_connection_setup_timeout_max_ms, 0, i64_max>,
     get_int<&PC::socket_connection_setup_timeout_max_ms>, Kind::checked},
    {"connections.max.idle.ms", set_int<&PC::connections_max_idle_ms, -1, i64_max>,
     get_int<&PC::connections_max_idle_ms>, Kind::checked},
    {"reconnect.backoff.ms", set_int<&PC::reconnect_backoff_ms, 0, i64_max>,
     get_int<&PC::reconnect_backoff_ms>, Kind::checked},
    {"reconnect.backoff.max.ms", set_int<&PC::reconnect_backoff_max_ms, 0, i64_max>,
     get_int<&PC::reconnect_backoff_max_ms>, Kind::checked},
    {"send.buffer.bytes", set_int<&PC::send_buffer_bytes, -1, i32_max>,
     get_int<&PC::send_buffer_bytes>, Kind::checked},
    {"receive.buffer.bytes", set_int<&PC::receive_buffer_bytes, -1, i32_max>,
     get_int<&PC::receive_buffer_bytes>, Kind::checked},
    {"security.protocol", set_security_protocol, get_string<&PC::security_protocol>, Kind::checked},
    {"sasl.mechanism", set_sasl_mechanism, get_string<&PC::sasl_mechanism>, Kind::checked},
    {"sasl.username", set_string<&PC::sasl_username>, get_string<&PC::sasl_username>, Kind::text},
    {"sasl.password", set_string<&PC::sasl_password>, get_secret<&PC::sasl_password>, Kind::secret},
    {"sasl.jaas.config", set_string<&PC::sasl_jaas_config>, get_secret<&PC::sasl_jaas_config>,
     Kind::secret},
    {"sasl.kerberos.service.name", set_string<&PC::sasl_kerberos_service_name>,
     get_string<&PC::sasl_kerberos_service_name>, Kind::text},
    {"sasl.kerberos.principal", set_string<&PC::sasl_kerberos_principal>,
     get_string<&PC::sasl_kerberos_principal>, Kind::text},
    {"sasl.kerberos.keytab", set_string<&PC::sasl_kerberos_keytab>,
     get_string<&PC::sasl_kerberos_keytab>, Kind::text},
    {"sasl.kerberos.kinit.cmd", set_string<&PC::sasl_kerberos_kinit_cmd>,
     get_string<&PC::sasl_kerberos_kinit_cmd>, Kind::text},
    {"sasl.kerberos.min.time.before.relogin",
     set_int<&PC::sasl_kerberos_min_time_before_relogin, 0, 86400000>,
     get_int<&PC::sasl_kerberos_min_time_before_relogin>, Kind::checked},
    {"sasl.oauthbearer.token", set_string<&PC::sasl_oauthbearer_token>,
     get_secret<&PC::sasl_oauthbearer_token>, Kind::secret},
    {"sasl.oauthbearer.config", set_string<&PC::sasl_oauthbearer_config>,
     get_string<&PC::sasl_oauthbearer_config>, Kind::text},
    {"enable.sasl.oauthbearer.unsecure.jwt", set_bool<&PC::enable_sasl_oauthbearer_unsecure_jwt>,
     get_bool<&PC::enable_sasl_oauthbearer_unsecure_jwt>, Kind::checked},
    {"ssl.ca.location", set_string<&PC::ssl_ca_location>, get_string<&PC::ssl_ca_location>, Kind::text},
    {"ssl.certificate.location", set_string<&PC::ssl_certificate_location>,
     get_string<&PC::ssl_certificate_location>, Kind::text},
    {"ssl.key.location", set_string<&PC::ssl_key_location>, get_string<&PC::ssl_key_location>, Kind::text},
    {"ssl.key.password", set_string<&PC::ssl_key_password>, get_secret<&PC::ssl_key_password>,
     Kind::secret},
    {"ssl.ca.pem", set_string<&PC::ssl_ca_pem>, get_pem<&PC::ssl_ca_pem>, Kind::text},
    {"ssl.certificate.pem", set_string<&PC::ssl_certificate_pem>,
     get_pem<&PC::ssl_certificate_pem>, Kind::text},
    {"ssl.key.pem", set_string<&PC::ssl_key_pem>, get_secret<&PC::ssl_key_pem>, Kind::secret},
    {"ssl.endpoint.identification.algorithm", set_endpoint_identification,
     get_string<&PC::ssl_endpoint_identification_algorithm>, Kind::checked},
    {"debug", set_string<&PC::debug>, get_string<&PC::debug>, Kind::text},
    {"statistics.interval.ms", set_int<&PC::statistics_interval_ms, 0, 86400000>,
     get_int<&PC::statistics_interval_ms>, Kind::checked},
};

// librdkafka's names for the same properties.
const AliasDef alias_defs[] = {
    {"metadata.broker.list", "bootstrap.servers"},
    {"request.required.acks", "acks"},
    {"queue.buffering.max.ms", "linger.ms"},
    {"message.max.bytes", "max.request.size"},
    {"message.timeout.ms", "delivery.timeout.ms", set_message_timeout},
    {"message.send.max.retries", "retries"},
    {"max.in.flight", "max.in.flight.requests.per.connection"},
    {"topic.metadata.refresh.interval.ms", "metadata.max.age.ms"},
    {"compression.codec", "compression.type"},
    {"sasl.mechanisms", "sasl.mechanism"},
    {"socket.send.buffer.bytes", "send.buffer.bytes"},
    {"socket.receive.buffer.bytes", "receive.buffer.bytes"},
};

// Well-known Java / librdkafka keys kwire deliberately does not take, with
// what to do instead: better than "unknown key" for a pasted config.
constexpr UnsupportedDef unsupported_defs[] = {
    {"key.serializer", "not supported: kwire sends bytes, serialize keys yourself"},
    {"value.serializer", "not supported: kwire sends bytes, serialize values yourself"},
    {"partitioner.class",
     "not supported: set `partitioner` or ProducerConfig::partitioner_function"},
    {"interceptor.classes", "not supported"},
    {"transactional.id", "not supported: kwire has no transactions (idempotence only)"},
    {"transaction.timeout.ms", "not supported: kwire has no transactions (idempotence only)"},
    {"ssl.truststore.location",
     "not supported: Java key stores cannot be read, use ssl.ca.location (PEM)"},
    {"ssl.truststore.password",
     "not supported: Java key stores cannot be read, use ssl.ca.location (PEM)"},
    {"ssl.keystore.location",
     "not supported: Java key stores cannot be read, use ssl.certificate.location and "
     "ssl.key.location (PEM)"},
    {"ssl.keystore.password",
     "not supported: Java key stores cannot be read, use ssl.key.password"},
};

const KeyDef* find_key(std::string_view name) noexcept {
  for (const auto& k : key_defs)
    if (k.name == name) return &k;
  return nullptr;
}

struct Lookup {
  const KeyDef* def = nullptr;  ///< the canonical entry; nullptr if unknown
  Setter set = nullptr;         ///< the setter for the name as given
};

Lookup lookup(std::string_view name) noexcept {
  if (const KeyDef* k = find_key(name)) return {k, k->set};
  for (const auto& a : alias_defs) {
    if (a.alias == name) {
      const KeyDef* k = find_key(a.canonical);
      return {k, a.set != nullptr ? a.set : k->set};
    }
  }
  return {};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

[[noreturn]] void throw_unknown_key(std::string_view key) {
  for (const auto& u : unsupported_defs)
    if (u.name == key) throw ConfigError(std::string(key), std::string(u.why));

  // Suggest the closest known name when it is a plausible typo.
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 5) + 1;
  auto consider = [&](std::string_view candidate) {
    const std::size_t d = edit_distance(key, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  };
  for (const auto& k : key_defs) consider(k.name);
  for (const auto& a : alias_defs) consider(a.alias);

  std::string message = "unknown configuration key";
  if (!best.empty()) message += " (did you mean \"" + std::string(best) + "\"?)";
  throw ConfigError(std::string(key), message);
}

}  // namespace

namespace detail {

void recheck_fields(ProducerConfig& config) {
  for (const auto& k : key_defs)
    if (k.kind == Kind::checked) k.set(config, k.name, k.get(config));
}

}  // namespace detail

ProducerConfig& ProducerConfig::set(std::string_view key, std::string_view value) {
  const Lookup found = lookup(key);
  if (found.def == nullptr) throw_unknown_key(key);
  found.set(*this, key, value);
  return *this;
}

ProducerConfig ProducerConfig::from_properties(const std::map<std::string, std::string>& properties) {
  ProducerConfig config;
  // canonical name -> the name the user gave, to catch a property set twice
  // under two names (linger.ms and queue.buffering.max.ms).
  std::map<std::string_view, std::string_view> given;
  for (const auto& [key, value] : properties) {
    const Lookup found = lookup(key);
    if (found.def == nullptr) throw_unknown_key(key);
    const auto [it, inserted] = given.emplace(found.def->name, key);
    if (!inserted) {
      throw ConfigError(key, "is the same property as \"" + std::string(it->second) +
                                 "\"; set only one of them");
    }
    found.set(config, key, value);
  }
  config.validate();
  return config;
}

std::string ProducerConfig::describe() const {
  std::string out;
  for (const auto& k : key_defs) {
    out += k.name;
    out += " = ";
    out += k.get(*this);
    out += '\n';
  }
  return out;
}

}  // namespace kwire::producer
