// The consumer's property table: every Kafka / librdkafka consumer property
// kwire takes, how its value is parsed into ConsumerConfig, and how
// describe() prints it. The client keys are ClientConfig's table.
#include <algorithm>

#include "kwire/cluster/detail/config_parse.hpp"
#include "kwire/cluster/detail/extended_config.hpp"
#include "kwire/consumer/assignor.hpp"
#include "kwire/consumer/config.hpp"

namespace kwire::consumer {

std::string_view to_string(GroupProtocol protocol) noexcept {
  return protocol == GroupProtocol::consumer ? "consumer" : "classic";
}

std::string_view to_string(OffsetResetPolicy policy) noexcept {
  switch (policy) {
    case OffsetResetPolicy::earliest: return "earliest";
    case OffsetResetPolicy::latest: return "latest";
    case OffsetResetPolicy::none: return "none";
  }
  return "latest";
}

namespace {

using namespace cluster::detail;
using CC = ConsumerConfig;
using Setter = KeyDef<ConsumerConfig>::Setter;

void set_group_instance_id(CC& c, std::string_view, std::string_view value) {
  if (value.empty()) c.group_instance_id.reset();
  else c.group_instance_id = std::string(value);
}
std::string get_group_instance_id(const CC& c) { return c.group_instance_id.value_or(""); }

void set_remote_assignor(CC& c, std::string_view key, std::string_view value) {
  const std::string v(trim(value));
  if (v.empty()) {
    c.group_remote_assignor.reset();
    return;
  }
  // The broker decides which names it knows (group.consumer.assignors);
  // a name it lacks is refused at join (UNSUPPORTED_ASSIGNOR).
  if (v.find_first_of(" ,") != std::string::npos)
    throw ConfigError(std::string(key), "names one server-side assignor (uniform, range), got " + quote_value(value));
  c.group_remote_assignor = v;
}
std::string get_remote_assignor(const CC& c) { return c.group_remote_assignor.value_or(""); }

/// Keys of the classic protocol that a KIP-848 member does not have: the
/// broker owns the session, the heartbeat interval and the assignor.
constexpr std::string_view kClassicOnlyKeys[] = {"session.timeout.ms", "heartbeat.interval.ms",
                                                 "partition.assignment.strategy"};

void set_group_protocol(CC& c, std::string_view key, std::string_view value) {
  const std::string v = to_lower(trim(value));
  if (v == "classic") c.group_protocol = GroupProtocol::classic;
  else if (v == "consumer") c.group_protocol = GroupProtocol::consumer;
  else throw ConfigError(std::string(key), "expected classic or consumer, got " + quote_value(value));
}
std::string get_group_protocol(const CC& c) { return std::string(to_string(c.group_protocol)); }

void set_offset_reset(CC& c, std::string_view key, std::string_view value) {
  const auto policy = parse_offset_reset_policy(to_lower(trim(value)));
  if (!policy) throw ConfigError(std::string(key), "expected earliest, latest or none, got " + quote_value(value));
  c.auto_offset_reset = *policy;
}
std::string get_offset_reset(const CC& c) { return std::string(to_string(c.auto_offset_reset)); }

void set_isolation(CC& c, std::string_view key, std::string_view value) {
  const std::string v = to_lower(trim(value));
  if (v == "read_committed") c.isolation_level = protocol::IsolationLevel::read_committed;
  else if (v == "read_uncommitted") c.isolation_level = protocol::IsolationLevel::read_uncommitted;
  else throw ConfigError(std::string(key), "expected read_committed or read_uncommitted, got " + quote_value(value));
}
std::string get_isolation(const CC& c) {
  return c.isolation_level == protocol::IsolationLevel::read_committed ? "read_committed" : "read_uncommitted";
}

/// Java's class names map to the assignor names kwire implements.
std::string assignor_name(std::string_view entry) {
  const std::string v(trim(entry));
  if (v == "org.apache.kafka.clients.consumer.RangeAssignor") return "range";
  if (v == "org.apache.kafka.clients.consumer.RoundRobinAssignor") return "roundrobin";
  if (v == "org.apache.kafka.clients.consumer.CooperativeStickyAssignor") return "cooperative-sticky";
  return to_lower(v);
}

void set_strategy(CC& c, std::string_view key, std::string_view value) {
  std::vector<std::string> names;
  std::string_view rest = value;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string name = assignor_name(rest.substr(0, comma));
    if (!name.empty()) {
      if (!make_assignor(name))
        throw ConfigError(std::string(key),
                          "expected range, roundrobin or cooperative-sticky, got " + quote_value(name));
      names.push_back(name);
    }
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  if (names.empty()) throw ConfigError(std::string(key), "names no assignor");
  c.partition_assignment_strategy = std::move(names);
}
std::string get_strategy(const CC& c) {
  std::string out;
  for (const auto& n : c.partition_assignment_strategy) out += (out.empty() ? "" : ",") + n;
  return out;
}

const KeyDef<ConsumerConfig> key_defs[] = {
    {"group.id", set_string<&CC::group_id>, get_string<&CC::group_id>, Kind::text},
    {"group.instance.id", set_group_instance_id, get_group_instance_id, Kind::text},
    {"group.protocol", set_group_protocol, get_group_protocol, Kind::checked},
    {"group.remote.assignor", set_remote_assignor, get_remote_assignor, Kind::checked},
    {"session.timeout.ms", set_int<&CC::session_timeout_ms, 1, i32_max>, get_int<&CC::session_timeout_ms>,
     Kind::checked},
    {"heartbeat.interval.ms", set_int<&CC::heartbeat_interval_ms, 1, i32_max>, get_int<&CC::heartbeat_interval_ms>,
     Kind::checked},
    {"max.poll.interval.ms", set_int<&CC::max_poll_interval_ms, 1, i32_max>, get_int<&CC::max_poll_interval_ms>,
     Kind::checked},
    {"partition.assignment.strategy", set_strategy, get_strategy, Kind::checked},
    {"enable.auto.commit", set_bool<&CC::enable_auto_commit>, get_bool<&CC::enable_auto_commit>, Kind::checked},
    {"auto.commit.interval.ms", set_int<&CC::auto_commit_interval_ms, 0, i32_max>,
     get_int<&CC::auto_commit_interval_ms>, Kind::checked},
    {"auto.offset.reset", set_offset_reset, get_offset_reset, Kind::checked},
    {"isolation.level", set_isolation, get_isolation, Kind::checked},
    {"fetch.min.bytes", set_int<&CC::fetch_min_bytes, 0, i32_max>, get_int<&CC::fetch_min_bytes>, Kind::checked},
    {"fetch.max.wait.ms", set_int<&CC::fetch_max_wait_ms, 0, i32_max>, get_int<&CC::fetch_max_wait_ms>,
     Kind::checked},
    {"fetch.max.bytes", set_int<&CC::fetch_max_bytes, 0, i32_max>, get_int<&CC::fetch_max_bytes>, Kind::checked},
    {"max.partition.fetch.bytes", set_int<&CC::max_partition_fetch_bytes, 0, i32_max>,
     get_int<&CC::max_partition_fetch_bytes>, Kind::checked},
    {"max.poll.records", set_int<&CC::max_poll_records, 1, i32_max>, get_int<&CC::max_poll_records>, Kind::checked},
    // librdkafka's range (1 KiB .. 2 GiB).
    {"queued.max.messages.kbytes", set_int<&CC::queued_max_messages_kbytes, 1, 2097151>,
     get_int<&CC::queued_max_messages_kbytes>, Kind::checked},
    {"check.crcs", set_bool<&CC::check_crcs>, get_bool<&CC::check_crcs>, Kind::checked},
    {"exclude.internal.topics", set_bool<&CC::exclude_internal_topics>, get_bool<&CC::exclude_internal_topics>,
     Kind::checked},
    {"allow.auto.create.topics", set_bool<&CC::allow_auto_create_topics>, get_bool<&CC::allow_auto_create_topics>,
     Kind::checked},
    {"client.rack", set_string<&CC::client_rack>, get_string<&CC::client_rack>, Kind::text},
    {"default.api.timeout.ms", set_int<&CC::default_api_timeout_ms, 0, i32_max>,
     get_int<&CC::default_api_timeout_ms>, Kind::checked},
};

// librdkafka's names for the same properties.
const AliasDef<ConsumerConfig> alias_defs[] = {
    {"fetch.wait.max.ms", "fetch.max.wait.ms"},
    {"fetch.message.max.bytes", "max.partition.fetch.bytes"},
};

constexpr IgnoredDef ignored_defs[] = {
    {"enable.auto.offset.store", "kwire commits what poll() handed out (Java's behaviour)"},
    {"queued.min.messages", "kwire bounds buffered data by fetch.max.bytes"},
    {"enable.partition.eof", "kwire consume -e reports partition ends itself"},
};

constexpr UnsupportedDef unsupported_defs[] = {
    {"key.deserializer", "not supported: kwire hands out bytes, deserialize keys yourself"},
    {"value.deserializer", "not supported: kwire hands out bytes, deserialize values yourself"},
    {"interceptor.classes", "not supported"},
};

using Found = cluster::detail::ExtendedKey<ConsumerConfig>;

Found find(std::string_view key) noexcept {
  return cluster::detail::find_extended_key<ConsumerConfig>(key_defs, alias_defs, key);
}

[[noreturn]] void throw_unknown(std::string_view key) {
  cluster::detail::throw_unknown_extended_key<ConsumerConfig>(key, key_defs, alias_defs, unsupported_defs);
}

}  // namespace

ConsumerConfig& ConsumerConfig::set(std::string_view key, std::string_view value) {
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

ConsumerConfig ConsumerConfig::from_properties(const std::map<std::string, std::string>& properties) {
  ConsumerConfig config;
  std::map<std::string_view, std::string_view> given;
  for (const auto& [key, value] : properties) {
    const Found found = find(key);
    if (!found.canonical.empty()) {
      const auto [it, inserted] = given.emplace(found.canonical, key);
      if (!inserted)
        throw ConfigError(key, "is the same property as \"" + std::string(it->second) + "\"; set only one of them");
    }
    config.set(key, value);
  }
  if (config.group_protocol == GroupProtocol::consumer) {
    // Java 4.x (and librdkafka) refuse them rather than ignore them
    // silently: under KIP-848 the broker's group.consumer.* settings rule.
    for (const auto classic_key : kClassicOnlyKeys)
      if (auto it = given.find(classic_key); it != given.end())
        throw ConfigError(std::string(it->second),
                          "is not supported with group.protocol=consumer (KIP-848: the broker sets it, see "
                          "group.consumer.* broker settings; use group.remote.assignor to pick an assignor)");
  }
  config.validate();
  return config;
}

void ConsumerConfig::validate() {
  ClientConfig::validate();
  for (const auto& k : key_defs)
    if (k.kind == Kind::checked) k.set(*this, k.name, k.get(*this));
  if (heartbeat_interval_ms >= session_timeout_ms)
    throw ConfigError(key_name("heartbeat.interval.ms"),
                      "must be lower than " + key_name("session.timeout.ms") + " (" +
                          std::to_string(session_timeout_ms) + ")");
  if (group_id.empty() && group_instance_id)
    throw ConfigError(key_name("group.instance.id"), "needs group.id");
  if (group_remote_assignor && group_protocol != GroupProtocol::consumer)
    throw ConfigError(key_name("group.remote.assignor"), "needs group.protocol=consumer");
}

std::string ConsumerConfig::describe() const {
  std::string out = ClientConfig::describe();
  describe_keys<ConsumerConfig>(key_defs, *this, out);
  return out;
}

}  // namespace kwire::consumer
