// kwire configs describe|alter (kafka-configs) and kwire cluster describe.
#include <cstdio>

#include "admin_args.hpp"
#include "commands.hpp"

namespace kwire::cli {

int alter_configs(const AdminArgs& args, const std::vector<admin::ConfigResource>& resources);  // topics_cmd.cpp

namespace {

using admin::ConfigResourceType;
using admin::ConfigSource;

const char* source_name(ConfigSource source) {
  switch (source) {
    case ConfigSource::dynamic_topic_config: return "DYNAMIC_TOPIC_CONFIG";
    case ConfigSource::dynamic_broker_config: return "DYNAMIC_BROKER_CONFIG";
    case ConfigSource::dynamic_default_broker_config: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case ConfigSource::static_broker_config: return "STATIC_BROKER_CONFIG";
    case ConfigSource::default_config: return "DEFAULT_CONFIG";
    case ConfigSource::dynamic_broker_logger_config: return "DYNAMIC_BROKER_LOGGER_CONFIG";
    case ConfigSource::client_metrics_config: return "CLIENT_METRICS_CONFIG";
    case ConfigSource::group_config: return "GROUP_CONFIG";
    default: return "UNKNOWN";
  }
}

/// --topic T / --broker ID / --broker-defaults (repeatable, mixed).
std::vector<admin::ConfigResource> resources_of(const AdminArgs& args) {
  std::vector<admin::ConfigResource> resources;
  for (const auto& t : args.all("--topic")) resources.push_back({ConfigResourceType::topic, t});
  for (const auto& b : args.all("--broker")) resources.push_back({ConfigResourceType::broker, b});
  if (args.has("--broker-defaults")) resources.push_back({ConfigResourceType::broker, ""});
  if (resources.empty()) throw UsageError("name what to configure: --topic NAME, --broker ID or --broker-defaults");
  return resources;
}

int configs_describe(const AdminArgs& args) {
  const auto descriptions = make_admin(args.common)->describe_configs(resources_of(args), args.all("--key"));
  const bool all = args.has("--all");
  int code = 0;
  JsonWriter json;
  json.begin_array();
  for (const auto& d : descriptions) {
    if (!d.error.ok()) code = 1;
    const char* type = d.resource.type == ConfigResourceType::topic ? "topic" : "broker";
    if (args.common.json) {
      json.begin_object().key("type").value(type).key("name").value(d.resource.name);
      write_error(json, d.error);
      json.key("configs").begin_array();
      for (const auto& e : d.entries) {
        if (!all && e.is_default) continue;
        json.begin_object().key("name").value(e.name).key("value");
        e.value ? json.value(*e.value) : json.null();
        json.key("source").value(source_name(e.source)).key("read_only").value(e.read_only)
            .key("sensitive").value(e.sensitive).end_object();
      }
      json.end_array().end_object();
      continue;
    }
    if (!d.error.ok()) {
      std::fprintf(stderr, "Error for %s %s: %s\n", type, d.resource.name.c_str(), d.error.message().c_str());
      continue;
    }
    std::printf("%s configs for %s %s are:\n", all ? "All" : "Non-default", type, d.resource.name.c_str());
    for (const auto& e : d.entries) {
      if (!all && e.is_default) continue;
      std::printf("  %s=%s sensitive=%s source=%s\n", e.name.c_str(),
                  e.sensitive ? "<sensitive>" : e.value.value_or("null").c_str(), e.sensitive ? "true" : "false",
                  source_name(e.source));
    }
  }
  json.end_array();
  if (args.common.json) std::printf("%s\n", json.str().c_str());
  return code;
}

}  // namespace

int run_configs(int argc, char** argv) {
  if (argc < 1) throw UsageError("configs needs an action: describe, alter");
  const std::string action = argv[0];
  const AdminArgs args = parse_admin_args(argc - 1, argv + 1,
                                          {"--topic", "--broker", "--key", "--config", "--delete-config",
                                           "--append-config", "--subtract-config"},
                                          {"--broker-defaults", "--all", "--validate-only"});
  if (action == "describe") return configs_describe(args);
  if (action == "alter") return alter_configs(args, resources_of(args));
  throw UsageError("unknown configs action '" + action + "'");
}

int run_cluster(int argc, char** argv) {
  if (argc < 1 || std::string(argv[0]) != "describe") throw UsageError("cluster needs an action: describe");
  const AdminArgs args = parse_admin_args(argc - 1, argv + 1, {}, {});
  const auto cluster = make_admin(args.common)->describe_cluster();
  if (args.common.json) {
    JsonWriter json;
    json.begin_object().key("cluster_id").value(cluster.cluster_id)
        .key("controller_id").value(static_cast<std::int64_t>(cluster.controller_id)).key("brokers").begin_array();
    for (const auto& b : cluster.brokers) {
      json.begin_object().key("id").value(static_cast<std::int64_t>(b.id)).key("host").value(b.host)
          .key("port").value(static_cast<std::int64_t>(b.port)).key("rack");
      b.rack ? json.value(*b.rack) : json.null();
      json.key("fenced").value(b.fenced).end_object();
    }
    json.end_array().end_object();
    std::printf("%s\n", json.str().c_str());
    return 0;
  }
  std::printf("Cluster ID: %s\nController: %d\nBrokers:\n", cluster.cluster_id.c_str(), cluster.controller_id);
  for (const auto& b : cluster.brokers)
    std::printf("  %d at %s:%d%s%s%s\n", b.id, b.host.c_str(), b.port, b.rack ? " rack " : "",
                b.rack.value_or("").c_str(), b.fenced ? " (fenced)" : "");
  return 0;
}

}  // namespace kwire::cli
