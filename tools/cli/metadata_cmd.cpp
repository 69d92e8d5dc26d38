// kwire metadata: brokers, topics, partitions, leaders, replicas and ISR, as
// the broker reports them (all topics, or the ones named).
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/metadata.hpp>

#include "broker_session.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "options.hpp"

namespace kwire::cli {
namespace {

std::string join(const std::vector<std::int32_t>& ids) {
  std::string out;
  for (auto id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out.empty() ? "-" : out;
}

void write_ids(JsonWriter& json, const std::vector<std::int32_t>& ids) {
  json.begin_array();
  for (auto id : ids) json.value(static_cast<std::int64_t>(id));
  json.end_array();
}

std::string error_text(kwire::errc code) {
  return code == kwire::errc::none ? std::string() : std::string(kafka_error_name(code).empty()
                                                                     ? make_error_code(code).message()
                                                                     : std::string(kafka_error_name(code)));
}

void print_json(const protocol::MetadataResponse& md, std::int16_t version) {
  JsonWriter json;
  json.begin_object().key("version").value(static_cast<int>(version));
  json.key("cluster_id");
  md.cluster_id ? json.value(*md.cluster_id) : json.null();
  json.key("controller_id").value(static_cast<std::int64_t>(md.controller_id));
  json.key("brokers").begin_array();
  for (const auto& b : md.brokers) {
    json.begin_object().key("id").value(static_cast<std::int64_t>(b.node_id)).key("host").value(b.host)
        .key("port").value(static_cast<std::int64_t>(b.port)).key("rack");
    b.rack ? json.value(*b.rack) : json.null();
    json.end_object();
  }
  json.end_array().key("topics").begin_array();
  for (const auto& t : md.topics) {
    json.begin_object().key("name");
    t.name ? json.value(*t.name) : json.null();
    json.key("topic_id").value(t.topic_id.to_base64()).key("error").value(error_text(t.error_code))
        .key("is_internal").value(t.is_internal).key("partitions").begin_array();
    for (const auto& p : t.partitions) {
      json.begin_object().key("partition").value(static_cast<std::int64_t>(p.partition_index))
          .key("leader").value(static_cast<std::int64_t>(p.leader_id))
          .key("leader_epoch").value(static_cast<std::int64_t>(p.leader_epoch))
          .key("error").value(error_text(p.error_code));
      json.key("replicas");
      write_ids(json, p.replica_nodes);
      json.key("isr");
      write_ids(json, p.isr_nodes);
      json.key("offline");
      write_ids(json, p.offline_replicas);
      json.end_object();
    }
    json.end_array().end_object();
  }
  json.end_array().end_object();
  std::printf("%s\n", json.str().c_str());
}

void print_table(const protocol::MetadataResponse& md, std::int16_t version, const std::string& address) {
  std::printf("metadata from %s (Metadata v%d), cluster %s, controller %d\n\n", address.c_str(), version,
              md.cluster_id.value_or("-").c_str(), md.controller_id);
  std::printf("%zu broker%s:\n", md.brokers.size(), md.brokers.size() == 1 ? "" : "s");
  for (const auto& b : md.brokers)
    std::printf("  broker %d at %s:%d%s%s\n", b.node_id, b.host.c_str(), b.port, b.rack ? " rack " : "",
                b.rack.value_or("").c_str());
  auto topics = md.topics;
  std::sort(topics.begin(), topics.end(),
            [](const auto& a, const auto& b) { return a.name.value_or("") < b.name.value_or(""); });
  std::printf("\n%zu topic%s:\n", topics.size(), topics.size() == 1 ? "" : "s");
  for (auto& t : topics) {
    std::printf("  topic \"%s\" with %zu partition%s%s%s%s\n", t.name.value_or("<null>").c_str(), t.partitions.size(),
                t.partitions.size() == 1 ? "" : "s", t.is_internal ? " (internal)" : "",
                t.error_code == kwire::errc::none ? "" : ", error: ", error_text(t.error_code).c_str());
    std::sort(t.partitions.begin(), t.partitions.end(),
              [](const auto& a, const auto& b) { return a.partition_index < b.partition_index; });
    for (const auto& p : t.partitions) {
      std::printf("    partition %d, leader %d, epoch %d, replicas: %s, isr: %s", p.partition_index, p.leader_id,
                  p.leader_epoch, join(p.replica_nodes).c_str(), join(p.isr_nodes).c_str());
      if (!p.offline_replicas.empty()) std::printf(", offline: %s", join(p.offline_replicas).c_str());
      if (p.error_code != kwire::errc::none) std::printf(", error: %s", error_text(p.error_code).c_str());
      std::printf("\n");
    }
  }
}

}  // namespace

int run_metadata(int argc, char** argv) {
  std::map<char, std::vector<std::string>> values;
  CommonOptions options = parse_options(argc, argv, "", values);

  protocol::MetadataRequest request;
  if (!options.positional.empty()) {
    request.topics.emplace();
    for (const auto& name : options.positional) request.topics->push_back({.topic_id = {}, .name = name, .unknown_tags = {}});
  }
  request.allow_auto_topic_creation = false;  // looking must not create topics

  auto session = make_client(client_config(options));
  if (auto ec = session.connect()) {
    std::fprintf(stderr, "kwire metadata: cannot reach a broker in %s: %s\n", options.bootstrap.c_str(),
                 connect_failure(session, ec).c_str());
    return 1;
  }
  protocol::MetadataResponse response;
  std::int16_t version = -1;
  if (auto ec = session.request(request, response, version)) {
    std::fprintf(stderr, "kwire metadata: request to %s failed: %s\n", session.connection().address().c_str(),
                 ec.message().c_str());
    return 1;
  }
  if (options.json)
    print_json(response, version);
  else
    print_table(response, version, session.connection().address());

  bool any_error = response.error_code != kwire::errc::none;
  for (const auto& t : response.topics) any_error |= t.error_code != kwire::errc::none;
  return any_error ? 1 : 0;
}

}  // namespace kwire::cli
