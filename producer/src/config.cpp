// The producer's property table: every Kafka / librdkafka producer property
// name, how its value is parsed into ProducerConfig, and how describe()
// prints it. The client keys (bootstrap, security, backoff, metadata, debug)
// are ClientConfig's table (cluster/src/client_config.cpp).
#include "kwire/producer/config.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kwire/cluster/detail/config_parse.hpp"
#include "kwire/cluster/detail/extended_config.hpp"
#include "producer_config_check.hpp"

namespace kwire::producer {

namespace {

using namespace cluster::detail;
using Setter = KeyDef<ProducerConfig>::Setter;

// ---- special keys ----------------------------------------------------------

void set_acks(ProducerConfig& c, std::string_view key, std::string_view value) {
  const std::string v = to_lower(trim(value));
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
  const auto codec = compression::parse_codec(to_lower(trim(value)));
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

// librdkafka's queue.buffering.max.kbytes is buffer.memory in KiB.
void set_buffer_kbytes(ProducerConfig& c, std::string_view key, std::string_view value) {
  c.buffer_memory = parse_int(key, value, 1, i64_max / 1024) * 1024;
}

void set_transactional_id(ProducerConfig& c, std::string_view key, std::string_view value) {
  // Java treats an empty transactional.id as unset.
  if (value.empty()) {
    c.transactional_id.reset();
    return;
  }
  (void)key;
  c.transactional_id = std::string(value);
}

std::string get_transactional_id(const ProducerConfig& c) { return c.transactional_id.value_or(""); }

// ---- the tables --------------------------------------------------------------

using PC = ProducerConfig;

// Canonical (Java) names, in the order describe() prints them (after the
// client's).
const KeyDef<ProducerConfig> key_defs[] = {
    {"acks", set_acks, get_acks, Kind::checked},
    {"enable.idempotence", set_idempotence, get_idempotence, Kind::text},
    {"linger.ms", set_int<&PC::linger_ms, 0, i32_max>, get_int<&PC::linger_ms>, Kind::checked},
    {"batch.size", set_int<&PC::batch_size, 0, i32_max>, get_int<&PC::batch_size>, Kind::checked},
    {"buffer.memory", set_int<&PC::buffer_memory, 0, i64_max>, get_int<&PC::buffer_memory>, Kind::checked},
    {"max.block.ms", set_int<&PC::max_block_ms, 0, i64_max>, get_int<&PC::max_block_ms>, Kind::checked},
    {"max.request.size", set_int<&PC::max_request_size, 0, i32_max>, get_int<&PC::max_request_size>,
     Kind::checked},
    {"delivery.timeout.ms", set_int<&PC::delivery_timeout_ms, 0, i32_max>, get_delivery_timeout, Kind::text},
    {"retries", set_int<&PC::retries, 0, i32_max>, get_int<&PC::retries>, Kind::checked},
    {"max.in.flight.requests.per.connection", set_int<&PC::max_in_flight_requests_per_connection, 1, i32_max>,
     get_int<&PC::max_in_flight_requests_per_connection>, Kind::checked},
    {"partitioner", set_partitioner, get_partitioner, Kind::text},
    {"partitioner.ignore.keys", set_bool<&PC::partitioner_ignore_keys>, get_bool<&PC::partitioner_ignore_keys>,
     Kind::checked},
    {"partitioner.adaptive.partitioning.enable", set_bool<&PC::partitioner_adaptive_partitioning_enable>,
     get_bool<&PC::partitioner_adaptive_partitioning_enable>, Kind::checked},
    {"partitioner.availability.timeout.ms", set_int<&PC::partitioner_availability_timeout_ms, 0, i64_max>,
     get_int<&PC::partitioner_availability_timeout_ms>, Kind::checked},
    {"metadata.max.idle.ms", set_int<&PC::metadata_max_idle_ms, 5000, i64_max>, get_int<&PC::metadata_max_idle_ms>,
     Kind::checked},
    {"transactional.id", set_transactional_id, get_transactional_id, Kind::text},
    {"transaction.timeout.ms", set_int<&PC::transaction_timeout_ms, 1, i32_max>, get_int<&PC::transaction_timeout_ms>,
     Kind::checked},
    {"compression.type", set_compression, get_compression, Kind::checked},
    {"compression.level", set_compression_level, get_int<&PC::compression_level>, Kind::text},
    {"compression.gzip.level", set_gzip_level, get_int<&PC::compression_gzip_level>, Kind::checked},
    {"compression.lz4.level", set_int<&PC::compression_lz4_level, 1, 17>, get_int<&PC::compression_lz4_level>,
     Kind::checked},
    {"compression.zstd.level", set_int<&PC::compression_zstd_level, -131072, 22>,
     get_int<&PC::compression_zstd_level>, Kind::checked},
};

// librdkafka's names for the same properties.
const AliasDef<ProducerConfig> alias_defs[] = {
    {"request.required.acks", "acks"},
    {"queue.buffering.max.ms", "linger.ms"},
    {"message.max.bytes", "max.request.size"},
    {"message.timeout.ms", "delivery.timeout.ms", set_message_timeout},
    {"message.send.max.retries", "retries"},
    {"max.in.flight", "max.in.flight.requests.per.connection"},
    {"compression.codec", "compression.type"},
    {"queue.buffering.max.kbytes", "buffer.memory", set_buffer_kbytes},
};

// Producer keys of librdkafka and Java without a kwire setting (issue #19).
constexpr IgnoredDef ignored_defs[] = {
    {"queue.buffering.max.messages", "kwire bounds the queue by buffer.memory (bytes) only"},
    {"batch.num.messages", "kwire bounds batches by batch.size (bytes) only"},
    {"sticky.partitioning.linger.ms",
     "kwire's sticky partitioner moves on when a batch is sent (KIP-480), not on a timer"},
};

// Well-known Java / librdkafka keys kwire deliberately does not take, with
// what to do instead: better than "unknown key" for a pasted config.
constexpr UnsupportedDef unsupported_defs[] = {
    {"key.serializer", "not supported: kwire sends bytes, serialize keys yourself"},
    {"value.serializer", "not supported: kwire sends bytes, serialize values yourself"},
    {"partitioner.class", "not supported: set `partitioner` or ProducerConfig::partitioner_function"},
    {"interceptor.classes", "not supported"},
};

using Found = cluster::detail::ExtendedKey<ProducerConfig>;

Found find(std::string_view key) noexcept {
  return cluster::detail::find_extended_key<ProducerConfig>(key_defs, alias_defs, key);
}

[[noreturn]] void throw_unknown(std::string_view key) {
  cluster::detail::throw_unknown_extended_key<ProducerConfig>(key, key_defs, alias_defs, unsupported_defs);
}

}  // namespace

namespace detail {

void recheck_fields(ProducerConfig& config) {
  for (const auto& k : key_defs)
    if (k.kind == Kind::checked) k.set(config, k.name, k.get(config));
}

}  // namespace detail

ProducerConfig& ProducerConfig::set(std::string_view key, std::string_view value) {
  const Found found = find(key);
  if (found.own_set)
    found.own_set(*this, key, value);
  else if (found.client_set)
    found.client_set(*this, key, value);
  else if (!cluster::detail::accept_ignored(*this, ignored_defs, key, value) &&
           !cluster::detail::accept_ignored(*this, cluster::detail::client_ignored(), key, value))
    throw_unknown(key);
  if (!found.canonical.empty()) cluster::detail::note_spelling(*this, found.canonical, key);
  return *this;
}

ProducerConfig ProducerConfig::from_properties(const std::map<std::string, std::string>& properties) {
  ProducerConfig config;
  // canonical name -> the name the user gave, to catch a property set twice
  // under two names (linger.ms and queue.buffering.max.ms).
  std::map<std::string_view, std::string_view> given;
  for (const auto& [key, value] : properties) {
    const Found found = find(key);
    if (found.canonical.empty()) {
      config.set(key, value);  // an ignored key, or the unknown-key error
      continue;
    }
    const auto [it, inserted] = given.emplace(found.canonical, key);
    if (!inserted) {
      throw ConfigError(key, "is the same property as \"" + std::string(it->second) + "\"; set only one of them");
    }
    config.set(key, value);
  }
  config.validate();
  return config;
}

std::string ProducerConfig::describe() const {
  std::string out = ClientConfig::describe();
  describe_keys<ProducerConfig>(key_defs, *this, out);
  return out;
}

}  // namespace kwire::producer
