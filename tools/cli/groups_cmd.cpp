// kwire groups list|describe|delete|reset-offsets: kafka-consumer-groups
// without the JVM. describe shows state, members and, per partition, the
// committed offset, log end offset and lag.
#include <cstdio>
#include <ctime>

#include "admin_args.hpp"
#include "commands.hpp"

namespace kwire::cli {
namespace {

int groups_list(const AdminArgs& args) {
  const auto groups = make_admin(args.common)->list_groups();
  if (args.common.json) {
    JsonWriter json;
    json.begin_array();
    for (const auto& g : groups)
      json.begin_object().key("group").value(g.group_id).key("protocol_type").value(g.protocol_type)
          .key("state").value(g.state).key("type").value(g.type).end_object();
    json.end_array();
    std::printf("%s\n", json.str().c_str());
  } else {
    for (const auto& g : groups) std::printf("%s\n", g.group_id.c_str());
  }
  return 0;
}

void write_lag_json(JsonWriter& json, const std::vector<admin::PartitionLag>& rows) {
  json.key("offsets").begin_array();
  for (const auto& r : rows) {
    json.begin_object().key("topic").value(r.partition.topic)
        .key("partition").value(static_cast<std::int64_t>(r.partition.partition)).key("committed");
    r.committed >= 0 ? json.value(r.committed) : json.null();
    json.key("end_offset");
    r.end_offset >= 0 ? json.value(r.end_offset) : json.null();
    json.key("lag");
    r.lag ? json.value(*r.lag) : json.null();
    json.key("member_id").value(r.member_id).key("client_id").value(r.client_id).key("host").value(r.host);
    write_error(json, r.error);
    json.end_object();
  }
  json.end_array();
}

int groups_describe(const AdminArgs& args) {
  if (args.common.positional.empty()) throw UsageError("groups describe needs a group id");
  auto admin = make_admin(args.common);
  const bool read_committed = args.has("--read-committed");
  int code = 0;
  JsonWriter json;
  json.begin_array();
  for (const auto& d : admin->describe_groups(args.common.positional)) {
    std::vector<admin::PartitionLag> lag;
    admin::ItemError lag_error;
    if (d.error.ok()) {
      try {
        lag = admin->group_lag(d.group_id, read_committed);
      } catch (const admin::AdminError& e) {
        lag_error = {e.code(), e.what()};
      }
    }
    if (!d.error.ok() || !lag_error.ok()) code = 1;
    if (args.common.json) {
      json.begin_object().key("group").value(d.group_id).key("state").value(d.state)
          .key("protocol_type").value(d.protocol_type).key("assignor").value(d.assignor)
          .key("consumer_protocol").value(d.consumer_protocol);
      write_error(json, d.error.ok() ? lag_error : d.error);
      json.key("members").begin_array();
      for (const auto& m : d.members) {
        json.begin_object().key("member_id").value(m.member_id).key("instance_id");
        m.instance_id ? json.value(*m.instance_id) : json.null();
        json.key("client_id").value(m.client_id).key("host").value(m.client_host).key("assignment").begin_array();
        for (const auto& tp : m.assignment)
          json.begin_object().key("topic").value(tp.topic)
              .key("partition").value(static_cast<std::int64_t>(tp.partition)).end_object();
        json.end_array().end_object();
      }
      json.end_array();
      write_lag_json(json, lag);
      json.end_object();
      continue;
    }
    if (!d.error.ok()) {
      std::fprintf(stderr, "Error for group %s: %s\n", d.group_id.c_str(), d.error.message().c_str());
      continue;
    }
    std::printf("GROUP %s  state %s  protocol %s%s  assignor %s  members %zu\n", d.group_id.c_str(), d.state.c_str(),
                d.protocol_type.empty() ? "-" : d.protocol_type.c_str(), d.consumer_protocol ? " (KIP-848)" : "",
                d.assignor.empty() ? "-" : d.assignor.c_str(), d.members.size());
    for (const auto& m : d.members) {
      std::string assignment;
      for (const auto& tp : m.assignment)
        assignment += (assignment.empty() ? "" : ",") + tp.topic + "-" + std::to_string(tp.partition);
      std::printf("  member %s client %s host %s: %s\n", m.member_id.c_str(), m.client_id.c_str(),
                  m.client_host.c_str(), assignment.empty() ? "(no partitions)" : assignment.c_str());
    }
    if (!lag_error.ok()) {
      std::fprintf(stderr, "Error for group %s offsets: %s\n", d.group_id.c_str(), lag_error.message().c_str());
      continue;
    }
    std::printf("\n%-24s %-9s %-14s %-14s %-8s %s\n", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                "CONSUMER-ID");
    for (const auto& r : lag) {
      auto number = [](std::int64_t n) { return n >= 0 ? std::to_string(n) : std::string("-"); };
      std::printf("%-24s %-9d %-14s %-14s %-8s %s%s%s\n", r.partition.topic.c_str(), r.partition.partition,
                  number(r.committed).c_str(), number(r.end_offset).c_str(), r.lag ? number(*r.lag).c_str() : "-",
                  r.member_id.empty() ? "-" : r.member_id.c_str(), r.error.ok() ? "" : "  error: ",
                  r.error.message().c_str());
    }
    std::printf("\n");
  }
  json.end_array();
  if (args.common.json) std::printf("%s\n", json.str().c_str());
  return code;
}

int groups_delete(const AdminArgs& args) {
  if (args.common.positional.empty()) throw UsageError("groups delete needs a group id");
  const auto results = make_admin(args.common)->delete_groups(args.common.positional);
  int code = 0;
  JsonWriter json;
  json.begin_array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& group = args.common.positional[i];
    if (!results[i].ok()) code = 1;
    if (args.common.json) {
      json.begin_object().key("group").value(group);
      write_error(json, results[i]);
      json.end_object();
    } else if (results[i].ok()) {
      std::printf("Deleted group %s.\n", group.c_str());
    } else {
      std::fprintf(stderr, "Error for group %s: %s\n", group.c_str(), results[i].message().c_str());
    }
  }
  json.end_array();
  if (args.common.json) std::printf("%s\n", json.str().c_str());
  return code;
}

/// "2024-05-01T12:00:00" (UTC, optional ".sss" and "Z") → ms since the epoch.
std::int64_t parse_datetime(const std::string& text) {
  std::tm tm{};
  int millis = 0;
  char rest[8] = {};
  const int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%7s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis, rest);
  if (n < 6) throw UsageError("--to-datetime expects YYYY-MM-DDTHH:MM:SS[.sss] (UTC), got '" + text + "'");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + (n >= 7 ? millis : 0);
}

admin::ResetSpec reset_spec(const AdminArgs& args) {
  using Kind = admin::ResetSpec::Kind;
  std::vector<admin::ResetSpec> given;
  if (args.has("--to-earliest")) given.push_back({Kind::to_earliest, 0});
  if (args.has("--to-latest")) given.push_back({Kind::to_latest, 0});
  if (args.value("--to-offset")) given.push_back({Kind::to_offset, args.integer("--to-offset")});
  if (args.value("--shift-by")) given.push_back({Kind::shift_by, args.integer("--shift-by")});
  if (args.value("--to-timestamp")) given.push_back({Kind::to_timestamp, args.integer("--to-timestamp")});
  if (auto dt = args.value("--to-datetime")) given.push_back({Kind::to_timestamp, parse_datetime(*dt)});
  if (given.size() != 1)
    throw UsageError("give exactly one of --to-earliest, --to-latest, --to-offset N, --shift-by N, "
                     "--to-timestamp MS, --to-datetime YYYY-MM-DDTHH:MM:SS");
  return given.front();
}

/// --topic T (every partition) or --topic T:0,2 (those); --all-topics: every
/// partition the group committed.
std::vector<admin::TopicPartition> reset_partitions(const AdminArgs& args) {
  std::vector<admin::TopicPartition> partitions;
  for (const auto& spec : args.all("--topic")) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos) {
      partitions.push_back({spec, -1});
      continue;
    }
    const std::string topic = spec.substr(0, colon);
    std::size_t pos = colon + 1;
    while (pos <= spec.size()) {
      const auto comma = spec.find(',', pos);
      const std::string number = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      try {
        partitions.push_back({topic, std::stoi(number)});
      } catch (const std::exception&) {
        throw UsageError("--topic expects TOPIC or TOPIC:P,P,..., got '" + spec + "'");
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  if (partitions.empty() && !args.has("--all-topics")) throw UsageError("name partitions: --topic T[:P,P] or --all-topics");
  return partitions;
}

int groups_reset_offsets(const AdminArgs& args) {
  if (args.common.positional.size() != 1) throw UsageError("groups reset-offsets needs one group id");
  const std::string& group = args.common.positional.front();
  // As kafka-consumer-groups: a plan only, unless --execute.
  const bool execute = args.has("--execute");
  const auto plan =
      make_admin(args.common)->reset_offsets(group, reset_partitions(args), reset_spec(args), !execute);
  int code = 0;
  JsonWriter json;
  json.begin_object().key("group").value(group).key("executed").value(execute).key("partitions").begin_array();
  if (!args.common.json) std::printf("%-24s %-24s %-9s %-14s %s\n", "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
                                     "NEW-OFFSET");
  for (const auto& e : plan) {
    if (!e.error.ok()) code = 1;
    if (args.common.json) {
      json.begin_object().key("topic").value(e.partition.topic)
          .key("partition").value(static_cast<std::int64_t>(e.partition.partition)).key("current");
      e.current >= 0 ? json.value(e.current) : json.null();
      json.key("target").value(e.target);
      write_error(json, e.error);
      json.end_object();
    } else {
      std::printf("%-24s %-24s %-9d %-14s %lld%s%s\n", group.c_str(), e.partition.topic.c_str(), e.partition.partition,
                  e.current >= 0 ? std::to_string(e.current).c_str() : "-", static_cast<long long>(e.target),
                  e.error.ok() ? "" : "  error: ", e.error.message().c_str());
    }
  }
  json.end_array().end_object();
  if (args.common.json)
    std::printf("%s\n", json.str().c_str());
  else if (!execute)
    std::printf("(dry run: nothing committed; add --execute to commit)\n");
  return code;
}

}  // namespace

int run_groups(int argc, char** argv) {
  if (argc < 1) throw UsageError("groups needs an action: list, describe, delete, reset-offsets");
  const std::string action = argv[0];
  const AdminArgs args = parse_admin_args(
      argc - 1, argv + 1, {"--topic", "--to-offset", "--shift-by", "--to-timestamp", "--to-datetime"},
      {"--to-earliest", "--to-latest", "--all-topics", "--execute", "--dry-run", "--read-committed"});
  if (action == "list") return groups_list(args);
  if (action == "describe") return groups_describe(args);
  if (action == "delete") return groups_delete(args);
  if (action == "reset-offsets") return groups_reset_offsets(args);
  throw UsageError("unknown groups action '" + action + "'");
}

}  // namespace kwire::cli
