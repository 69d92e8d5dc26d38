// Cross-key rules and the Java producer's implicit adjustments.
#include <algorithm>
#include <cstdint>

#include "config_parse.hpp"
#include "kwire/producer/config.hpp"
#include "kwire/producer/log.hpp"

namespace kwire::producer {

namespace {

// The broker keeps the state of the last 5 batches per producer and
// partition, so an idempotent producer may not pipeline more (KAFKA-5494).
constexpr std::int32_t max_in_flight_for_idempotence = 5;

void check_bootstrap(const ProducerConfig& c) {
  if (c.bootstrap_servers.empty())
    throw ConfigError("bootstrap.servers", "must list at least one host:port");
  (void)c.bootstrap_addresses();
}

void resolve_idempotence(ProducerConfig& c) {
  const bool explicit_on = c.enable_idempotence.value_or(false);
  if (c.enable_idempotence.has_value() && !explicit_on) return;

  // Java (ProducerConfig.postProcessAndValidateIdempotenceConfigs, 3.x+):
  // when the user asked for idempotence, a conflicting key is an error; when
  // idempotence is only the default, the conflict quietly turns it off.
  bool conflict = false;
  if (c.acks != Acks::all) {
    if (explicit_on) {
      throw ConfigError("enable.idempotence",
                        "the idempotent producer needs acks=all, but acks=" +
                            std::string(to_string(c.acks)) +
                            " (set acks=all or enable.idempotence=false)");
    }
    conflict = true;
  }
  if (c.max_in_flight_requests_per_connection > max_in_flight_for_idempotence) {
    if (explicit_on) {
      throw ConfigError("enable.idempotence",
                        "the idempotent producer needs max.in.flight.requests.per.connection <= 5, "
                        "but it is " +
                            std::to_string(c.max_in_flight_requests_per_connection) +
                            " (lower it or set enable.idempotence=false)");
    }
    conflict = true;
  }
  if (c.retries == 0) {
    if (explicit_on) {
      throw ConfigError("enable.idempotence",
                        "the idempotent producer needs retries > 0, but retries=0 (raise retries "
                        "or set enable.idempotence=false)");
    }
    conflict = true;
  }
  c.enable_idempotence = !conflict;
}

void check_debug(const ProducerConfig& c) {
  std::string bad;
  if (!parse_log_categories(c.debug, &bad))
    throw ConfigError("debug", "unknown category " + detail::quote_value(bad) +
                                   " (use a comma-separated list of broker, protocol, producer, metadata, "
                                   "security, idempotence, or all)");
}

void resolve_delivery_timeout(ProducerConfig& c) {
  // Java (KafkaProducer.configureDeliveryTimeout): a batch may linger and then
  // wait for one request, so a shorter delivery timeout could expire records
  // that were never sent. An explicit value that small is an error; the
  // default is raised instead.
  const std::int64_t needed = std::min<std::int64_t>(
      std::int64_t{c.linger_ms} + std::int64_t{c.request_timeout_ms}, 2147483647);
  if (c.delivery_timeout_ms) {
    if (*c.delivery_timeout_ms < needed) {
      throw ConfigError("delivery.timeout.ms",
                        "must be at least linger.ms + request.timeout.ms (" +
                            std::to_string(c.linger_ms) + " + " +
                            std::to_string(c.request_timeout_ms) + " = " + std::to_string(needed) +
                            "), but it is " + std::to_string(*c.delivery_timeout_ms));
    }
    return;
  }
  c.delivery_timeout_ms = static_cast<std::int32_t>(std::max<std::int64_t>(120000, needed));
}

void check_backoff(std::string_view base_key, std::int64_t base, std::string_view max_key,
                   std::int64_t max) {
  if (base > max) {
    throw ConfigError(std::string(base_key),
                      "must not exceed " + std::string(max_key) + " (" + std::to_string(base) +
                          " > " + std::to_string(max) + "); raise " + std::string(max_key) +
                          " as well");
  }
}

void check_compression_level(const ProducerConfig& c) {
  if (!c.compression_level || *c.compression_level == -1) return;
  const std::int32_t level = *c.compression_level;
  std::int32_t lo = 0;
  std::int32_t hi = 0;
  switch (c.compression_type) {
    case compression::Codec::gzip: lo = 1, hi = 9; break;
    case compression::Codec::lz4: lo = 1, hi = 17; break;
    case compression::Codec::zstd: lo = -131072, hi = 22; break;
    case compression::Codec::none:
    case compression::Codec::snappy: lo = 0, hi = 0; break;  // no levels
  }
  if (level < lo || level > hi) {
    throw ConfigError("compression.level",
                      std::to_string(level) + " is not a level of compression.type=" +
                          std::string(compression::codec_name(c.compression_type)) +
                          " (expected -1 for its default, or [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "])");
  }
}

void check_sasl(const ProducerConfig& c) {
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

void check_exclusive(std::string_view location_key, const std::string& location,
                     std::string_view pem_key, const std::string& pem) {
  if (!location.empty() && !pem.empty()) {
    throw ConfigError(std::string(location_key),
                      "set either " + std::string(location_key) + " or " + std::string(pem_key) +
                          ", not both");
  }
}

}  // namespace

void ProducerConfig::validate() {
  detail::recheck_fields(*this);
  check_bootstrap(*this);
  resolve_idempotence(*this);
  resolve_delivery_timeout(*this);
  check_backoff("retry.backoff.ms", retry_backoff_ms, "retry.backoff.max.ms", retry_backoff_max_ms);
  check_backoff("reconnect.backoff.ms", reconnect_backoff_ms, "reconnect.backoff.max.ms",
                reconnect_backoff_max_ms);
  check_compression_level(*this);
  check_debug(*this);
  check_sasl(*this);
  check_exclusive("ssl.ca.location", ssl_ca_location, "ssl.ca.pem", ssl_ca_pem);
  check_exclusive("ssl.certificate.location", ssl_certificate_location, "ssl.certificate.pem",
                  ssl_certificate_pem);
  check_exclusive("ssl.key.location", ssl_key_location, "ssl.key.pem", ssl_key_pem);
}

std::optional<std::int32_t> ProducerConfig::effective_compression_level() const noexcept {
  if (compression_level && *compression_level != -1) return *compression_level;
  switch (compression_type) {
    case compression::Codec::gzip:
      if (compression_gzip_level == -1) return std::nullopt;
      return compression_gzip_level;
    case compression::Codec::lz4: return compression_lz4_level;
    case compression::Codec::zstd: return compression_zstd_level;
    case compression::Codec::none:
    case compression::Codec::snappy: return std::nullopt;
  }
  return std::nullopt;
}

std::vector<BrokerAddress> ProducerConfig::bootstrap_addresses() const {
  std::vector<BrokerAddress> out;
  out.reserve(bootstrap_servers.size());
  for (const auto& server : bootstrap_servers) {
    auto address = parse_broker_address(detail::trim(server));
    if (!address) {
      throw ConfigError("bootstrap.servers",
                        detail::quote_value(server) +
                            " is not host:port (port 1-65535; IPv6 addresses go in brackets, "
                            "e.g. [::1]:9092)");
    }
    out.push_back(std::move(*address));
  }
  return out;
}

bool ProducerConfig::uses_tls() const noexcept {
  return security_protocol == "SSL" || security_protocol == "SASL_SSL";
}

bool ProducerConfig::uses_sasl() const noexcept {
  return security_protocol == "SASL_PLAINTEXT" || security_protocol == "SASL_SSL";
}

}  // namespace kwire::producer

namespace kwire::producer {

std::uint32_t ProducerConfig::debug_categories() const { return parse_log_categories(debug).value_or(0); }

}  // namespace kwire::producer
