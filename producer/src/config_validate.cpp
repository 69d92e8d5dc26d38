// Cross-key rules and the Java producer's implicit adjustments.
#include <algorithm>
#include <cstdint>

#include "kwire/cluster/detail/config_parse.hpp"
#include "kwire/producer/config.hpp"
#include "producer_config_check.hpp"

namespace kwire::producer {

namespace {

// The broker keeps the state of the last 5 batches per producer and
// partition, so an idempotent producer may not pipeline more (KAFKA-5494).
constexpr std::int32_t max_in_flight_for_idempotence = 5;

void resolve_idempotence(ProducerConfig& c) {
  // Java (KafkaProducer.configureTransactionState): a transactional producer
  // is idempotent; asking for both on and off is a configuration error, and
  // a conflicting key is one too instead of quietly turning it off.
  if (c.transactional() && c.enable_idempotence == false)
    throw ConfigError("transactional.id",
                      "a transactional producer needs idempotence, but enable.idempotence=false (remove it or "
                      "transactional.id)");
  if (c.transactional()) c.enable_idempotence = true;
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

/// With a transactional id a record must not outlive its transaction: the
/// coordinator aborts it after transaction.timeout.ms, and a batch still
/// being retried then would be written into the next epoch's gap (librdkafka
/// enforces the same: message.timeout.ms <= transaction.timeout.ms). An
/// unset delivery.timeout.ms takes the transaction timeout.
void resolve_transaction_timeout(ProducerConfig& c) {
  if (!c.transactional()) return;
  if (!c.delivery_timeout_ms) {
    // Never below what resolve_delivery_timeout requires of it.
    const std::int64_t needed = std::int64_t{c.linger_ms} + std::int64_t{c.request_timeout_ms};
    c.delivery_timeout_ms = static_cast<std::int32_t>(std::min<std::int64_t>(
        2147483647, std::max<std::int64_t>(needed, std::min<std::int32_t>(120000, c.transaction_timeout_ms))));
    return;
  }
  if (*c.delivery_timeout_ms > c.transaction_timeout_ms)
    throw ConfigError(c.key_name("delivery.timeout.ms"),
                      "must not exceed transaction.timeout.ms (" + std::to_string(c.transaction_timeout_ms) +
                          ") with a transactional.id, but it is " + std::to_string(*c.delivery_timeout_ms));
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
      throw ConfigError(c.key_name("delivery.timeout.ms"),
                        "must be at least linger.ms + request.timeout.ms (" +
                            std::to_string(c.linger_ms) + " + " +
                            std::to_string(c.request_timeout_ms) + " = " + std::to_string(needed) +
                            "), but it is " + std::to_string(*c.delivery_timeout_ms));
    }
    return;
  }
  c.delivery_timeout_ms = static_cast<std::int32_t>(std::max<std::int64_t>(120000, needed));
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

}  // namespace

void ProducerConfig::validate() {
  ClientConfig::validate();
  detail::recheck_fields(*this);
  resolve_idempotence(*this);
  resolve_transaction_timeout(*this);
  resolve_delivery_timeout(*this);
  check_compression_level(*this);
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

}  // namespace kwire::producer
