// kwire topics list|describe|create|delete|alter|alter-config: kafka-topics
// without the JVM. Exit 0 when every topic succeeded, 1 when any failed.
#include <cstdio>

#include <kwire/protocol/delete_records.hpp>
#include <kwire/protocol/list_offsets.hpp>

#include "admin_args.hpp"
#include "commands.hpp"

namespace kwire::cli {
namespace {

using admin::ConfigResourceType;

std::string join(const std::vector<std::int32_t>& ids) {
  std::string out;
  for (auto id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

void write_ids(JsonWriter& json, const std::vector<std::int32_t>& ids) {
  json.begin_array();
  for (auto id : ids) json.value(static_cast<std::int64_t>(id));
  json.end_array();
}

/// Prints per-topic results of create / delete / alter; returns the exit code.
int print_results(const std::vector<admin::TopicResult>& results, bool as_json, const char* verb) {
  int code = 0;
  JsonWriter json;
  json.begin_array();
  for (const auto& r : results) {
    if (!r.error.ok()) code = 1;
    if (as_json) {
      json.begin_object().key("topic").value(r.name);
      json.key("topic_id");
      r.topic_id.is_zero() ? json.null() : json.value(r.topic_id.to_base64());
      json.key("partitions").value(static_cast<std::int64_t>(r.partitions));
      json.key("replication_factor").value(static_cast<std::int64_t>(r.replication_factor));
      write_error(json, r.error);
      json.end_object();
    } else if (r.error.ok()) {
      std::printf("%s topic %s.\n", verb, r.name.c_str());
    } else {
      std::fprintf(stderr, "Error for topic %s: %s\n", r.name.c_str(), r.error.message().c_str());
    }
  }
  json.end_array();
  if (as_json) std::printf("%s\n", json.str().c_str());
  return code;
}

int topics_list(const AdminArgs& args) {
  auto admin = make_admin(args.common);
  const auto topics = admin->list_topics(args.has("--include-internal"));
  if (args.common.json) {
    JsonWriter json;
    json.begin_array();
    for (const auto& t : topics)
      json.begin_object().key("topic").value(t.name).key("topic_id").value(t.topic_id.to_base64())
          .key("partitions").value(static_cast<std::int64_t>(t.partitions.size())).key("internal").value(t.internal)
          .end_object();
    json.end_array();
    std::printf("%s\n", json.str().c_str());
  } else {
    for (const auto& t : topics) std::printf("%s\n", t.name.c_str());
  }
  return 0;
}

/// Configs set on the topic itself (kafka-topics --describe's "Configs:").
std::vector<admin::ConfigEntry> topic_overrides(admin::Admin& admin, const std::string& topic) {
  std::vector<admin::ConfigEntry> set;
  for (const auto& d : admin.describe_configs({{ConfigResourceType::topic, topic}}))
    for (const auto& e : d.entries)
      if (e.source == admin::ConfigSource::dynamic_topic_config) set.push_back(e);
  return set;
}

int topics_describe(const AdminArgs& args) {
  auto admin = make_admin(args.common);
  const auto topics = args.common.positional.empty() ? admin->list_topics(args.has("--include-internal"))
                                                     : admin->describe_topics(args.common.positional);
  int code = 0;
  JsonWriter json;
  json.begin_array();
  for (const auto& t : topics) {
    if (!t.error.ok()) code = 1;
    const auto overrides = t.error.ok() ? topic_overrides(*admin, t.name) : std::vector<admin::ConfigEntry>{};
    const std::size_t rf = t.partitions.empty() ? 0 : t.partitions.front().replicas.size();
    if (args.common.json) {
      json.begin_object().key("topic").value(t.name).key("topic_id").value(t.topic_id.to_base64())
          .key("internal").value(t.internal).key("replication_factor").value(static_cast<std::int64_t>(rf));
      write_error(json, t.error);
      json.key("configs").begin_object();
      for (const auto& e : overrides) {
        json.key(e.name);
        e.value ? json.value(*e.value) : json.null();
      }
      json.end_object().key("partitions").begin_array();
      for (const auto& p : t.partitions) {
        json.begin_object().key("partition").value(static_cast<std::int64_t>(p.partition))
            .key("leader").value(static_cast<std::int64_t>(p.leader))
            .key("leader_epoch").value(static_cast<std::int64_t>(p.leader_epoch));
        json.key("replicas");
        write_ids(json, p.replicas);
        json.key("isr");
        write_ids(json, p.isr);
        json.key("offline");
        write_ids(json, p.offline_replicas);
        write_error(json, p.error);
        json.end_object();
      }
      json.end_array().end_object();
      continue;
    }
    if (!t.error.ok()) {
      std::fprintf(stderr, "Error for topic %s: %s\n", t.name.c_str(), t.error.message().c_str());
      continue;
    }
    std::string configs;
    for (const auto& e : overrides) configs += (configs.empty() ? "" : ",") + e.name + "=" + e.value.value_or("");
    std::printf("Topic: %s\tTopicId: %s\tPartitionCount: %zu\tReplicationFactor: %zu\tConfigs: %s\n", t.name.c_str(),
                t.topic_id.to_base64().c_str(), t.partitions.size(), rf, configs.c_str());
    for (const auto& p : t.partitions) {
      std::printf("\tTopic: %s\tPartition: %d\tLeader: %d\tReplicas: %s\tIsr: %s", t.name.c_str(), p.partition,
                  p.leader, join(p.replicas).c_str(), join(p.isr).c_str());
      if (!p.offline_replicas.empty()) std::printf("\tOffline: %s", join(p.offline_replicas).c_str());
      if (!p.error.ok()) std::printf("\tError: %s", p.error.message().c_str());
      std::printf("\n");
    }
  }
  json.end_array();
  if (args.common.json) std::printf("%s\n", json.str().c_str());
  return code;
}

int topics_create(const AdminArgs& args) {
  if (args.common.positional.empty()) throw UsageError("topics create needs a topic name");
  std::vector<admin::NewTopic> topics;
  const auto configs = parse_configs(args.all("--config"));
  for (const auto& name : args.common.positional) {
    admin::NewTopic& topic = topics.emplace_back();
    topic.name = name;
    topic.partitions = static_cast<std::int32_t>(args.integer("--partitions", -1));
    topic.replication_factor = static_cast<std::int16_t>(args.integer("--replication-factor", -1));
    topic.configs = configs;
  }
  admin::CreateTopicsOptions options;
  options.validate_only = args.has("--validate-only");
  auto results = make_admin(args.common)->create_topics(topics, options);
  // As kafka-topics: an existing topic is no error, and no news.
  if (args.has("--if-not-exists"))
    std::erase_if(results, [](const auto& r) { return r.error.error == kwire::errc::topic_already_exists; });
  return print_results(results, args.common.json, options.validate_only ? "Validated" : "Created");
}

int topics_delete(const AdminArgs& args) {
  if (args.common.positional.empty()) throw UsageError("topics delete needs a topic name");
  auto results = make_admin(args.common)->delete_topics(args.common.positional);
  if (args.has("--if-exists"))
    std::erase_if(results, [](const auto& r) { return r.error.error == kwire::errc::unknown_topic_or_partition; });
  return print_results(results, args.common.json, "Deleted");
}

int topics_alter(const AdminArgs& args) {
  if (args.common.positional.empty()) throw UsageError("topics alter needs a topic name");
  std::vector<admin::NewPartitions> grow;
  for (const auto& name : args.common.positional)
    grow.push_back({name, static_cast<std::int32_t>(args.integer("--partitions"))});
  admin::CreateTopicsOptions options;
  options.validate_only = args.has("--validate-only");
  return print_results(make_admin(args.common)->create_partitions(grow, options), args.common.json,
                       options.validate_only ? "Validated" : "Altered");
}

/// The partitions of `topic` (--partition P, repeatable; default all).
std::vector<admin::TopicPartition> partitions_of(admin::Admin& admin, const std::string& topic, const AdminArgs& args) {
  std::vector<admin::TopicPartition> partitions;
  for (const auto& p : args.all("--partition")) {
    try {
      partitions.push_back({topic, std::stoi(p)});
    } catch (const std::exception&) {
      throw UsageError("--partition expects a number, got '" + p + "'");
    }
  }
  if (!partitions.empty()) return partitions;
  for (const auto& t : admin.describe_topics({topic})) {
    if (!t.error.ok()) throw admin::AdminError(t.error.error, "topic " + topic + ": " + t.error.message());
    for (const auto& p : t.partitions) partitions.push_back({topic, p.partition});
  }
  return partitions;
}

int print_offsets(const std::vector<admin::PartitionOffset>& offsets, bool as_json) {
  int code = 0;
  JsonWriter json;
  json.begin_array();
  for (const auto& o : offsets) {
    if (!o.error.ok()) code = 1;
    if (as_json) {
      json.begin_object().key("topic").value(o.partition.topic)
          .key("partition").value(static_cast<std::int64_t>(o.partition.partition)).key("offset").value(o.offset);
      write_error(json, o.error);
      json.end_object();
    } else if (o.error.ok()) {
      std::printf("%s:%d:%lld\n", o.partition.topic.c_str(), o.partition.partition, static_cast<long long>(o.offset));
    } else {
      std::fprintf(stderr, "Error for %s-%d: %s\n", o.partition.topic.c_str(), o.partition.partition,
                   o.error.message().c_str());
    }
  }
  json.end_array();
  if (as_json) std::printf("%s\n", json.str().c_str());
  return code;
}

/// kafka-get-offsets: --time earliest | latest | max-timestamp | MS.
int topics_offsets(const AdminArgs& args) {
  if (args.common.positional.size() != 1) throw UsageError("topics offsets needs one topic name");
  const std::string time = args.value("--time").value_or("latest");
  std::int64_t timestamp = 0;
  if (time == "latest") {
    timestamp = protocol::list_offsets_timestamp::latest;
  } else if (time == "earliest") {
    timestamp = protocol::list_offsets_timestamp::earliest;
  } else if (time == "max-timestamp") {
    timestamp = protocol::list_offsets_timestamp::max_timestamp;
  } else {
    timestamp = args.integer("--time");
  }
  auto admin = make_admin(args.common);
  const auto partitions = partitions_of(*admin, args.common.positional.front(), args);
  return print_offsets(admin->list_offsets(partitions, timestamp, args.has("--read-committed")), args.common.json);
}

/// kafka-delete-records: records before --offset go (default: all of them).
int topics_delete_records(const AdminArgs& args) {
  if (args.common.positional.size() != 1) throw UsageError("topics delete-records needs one topic name");
  const std::int64_t offset = args.integer("--offset", protocol::DeleteRecordsRequest::high_watermark);
  auto admin = make_admin(args.common);
  std::vector<admin::PartitionOffset> before;
  for (const auto& tp : partitions_of(*admin, args.common.positional.front(), args)) before.push_back({tp, offset, {}});
  return print_offsets(admin->delete_records(before), args.common.json);
}

}  // namespace

/// Shared by `topics alter-config` and `configs alter`: applies --config
/// k=v (set), --delete-config k (back to default), --append-config k=v and
/// --subtract-config k=v to each resource; prints per-resource results.
int alter_configs(const AdminArgs& args, const std::vector<admin::ConfigResource>& resources) {
  std::vector<admin::ConfigChange> changes;
  for (const auto& [name, value] : parse_configs(args.all("--config")))
    changes.push_back({name, admin::ConfigOperation::set, value});
  for (const auto& name : args.all("--delete-config")) changes.push_back({name, admin::ConfigOperation::remove, {}});
  for (const auto& [name, value] : parse_configs(args.all("--append-config")))
    changes.push_back({name, admin::ConfigOperation::append, value});
  for (const auto& [name, value] : parse_configs(args.all("--subtract-config")))
    changes.push_back({name, admin::ConfigOperation::subtract, value});
  if (changes.empty()) throw UsageError("nothing to change: give --config k=v or --delete-config k");
  std::vector<admin::ResourceChanges> request;
  for (const auto& resource : resources) request.push_back({resource, changes});
  const auto results = make_admin(args.common)->alter_configs(request, args.has("--validate-only"));
  int code = 0;
  JsonWriter json;
  json.begin_array();
  for (const auto& r : results) {
    if (!r.error.ok()) code = 1;
    const char* type = r.resource.type == ConfigResourceType::topic ? "topic" : "broker";
    if (args.common.json) {
      json.begin_object().key("type").value(type).key("name").value(r.resource.name);
      write_error(json, r.error);
      json.end_object();
    } else if (r.error.ok()) {
      std::printf("Completed updating config for %s %s.\n", type, r.resource.name.c_str());
    } else {
      std::fprintf(stderr, "Error for %s %s: %s\n", type, r.resource.name.c_str(), r.error.message().c_str());
    }
  }
  json.end_array();
  if (args.common.json) std::printf("%s\n", json.str().c_str());
  return code;
}

int run_topics(int argc, char** argv) {
  if (argc < 1) throw UsageError("topics needs an action: list, describe, create, delete, alter, alter-config, offsets, delete-records");
  const std::string action = argv[0];
  const AdminArgs args = parse_admin_args(
      argc - 1, argv + 1,
      {"--partitions", "--replication-factor", "--config", "--partition", "--time", "--offset", "--delete-config", "--append-config", "--subtract-config"},
      {"--validate-only", "--if-not-exists", "--if-exists", "--include-internal", "--read-committed"});
  if (action == "list") return topics_list(args);
  if (action == "describe") return topics_describe(args);
  if (action == "create") return topics_create(args);
  if (action == "delete") return topics_delete(args);
  if (action == "alter") return topics_alter(args);
  if (action == "offsets") return topics_offsets(args);
  if (action == "delete-records") return topics_delete_records(args);
  if (action == "alter-config") {
    std::vector<admin::ConfigResource> resources;
    for (const auto& name : args.common.positional) resources.push_back({ConfigResourceType::topic, name});
    if (resources.empty()) throw UsageError("topics alter-config needs a topic name");
    return alter_configs(args, resources);
  }
  throw UsageError("unknown topics action '" + action + "'");
}

}  // namespace kwire::cli
