#include "capture_admin.hpp"

#include <cstdio>
#include <map>
#include <string>

#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/create_partitions.hpp"
#include "kwire/protocol/create_topics.hpp"
#include "kwire/protocol/delete_topics.hpp"
#include "kwire/protocol/describe_cluster.hpp"
#include "kwire/protocol/describe_configs.hpp"
#include "kwire/protocol/incremental_alter_configs.hpp"

namespace kwire::capture {
namespace {

/// What the broker advertises, by API.
using Ranges = std::map<ApiKey, std::pair<std::int16_t, std::int16_t>>;

Ranges broker_ranges(Broker& broker) {
  const auto x = broker.call(ApiKey::api_versions, 3, encode(ApiVersionsRequest{"kwire-capture", "0.1.0", {}}, 3));
  ApiVersionsResponse response;
  if (decode_message(x.response_body, 3, response)) throw std::runtime_error("ApiVersions v3: cannot decode");
  Ranges ranges;
  for (const auto& k : response.api_keys)
    ranges[static_cast<ApiKey>(k.api_key)] = {k.min_version, k.max_version};
  return ranges;
}

/// The target name for an API: its snake_case codec file name.
std::string target_of(ApiKey api) {
  switch (api) {
    case ApiKey::create_topics: return "create_topics";
    case ApiKey::delete_topics: return "delete_topics";
    case ApiKey::create_partitions: return "create_partitions";
    case ApiKey::describe_configs: return "describe_configs";
    case ApiKey::incremental_alter_configs: return "incremental_alter_configs";
    case ApiKey::describe_cluster: return "describe_cluster";
    default: throw std::runtime_error("no admin fuzz target for " + std::string(api_name(api)));
  }
}

/// The versions both the broker and kwire's codec speak, ascending.
template <class Request>
std::vector<std::int16_t> versions(const Ranges& ranges) {
  std::vector<std::int16_t> out;
  const auto it = ranges.find(Request::api_key);
  if (it == ranges.end()) return out;
  for (auto v = std::max(it->second.first, Request::min_version); v <= std::min(it->second.second, Request::max_version);
       ++v)
    out.push_back(v);
  return out;
}

/// Sends `request` at `version`, stores request and response as seeds and
/// returns the decoded response.
template <class Response, class Request>
Response exchange(Broker& broker, const Request& request, std::int16_t version) {
  const Bytes body = encode(request, version);
  const auto x = broker.call(Request::api_key, version, body);
  const std::string name = std::string(api_name(Request::api_key)) + "-v" + std::to_string(version);
  const std::uint8_t vb = version_byte(version, Request::min_version);
  write_seed(target_of(Request::api_key), name + "-request-real", {0, vb}, body);
  write_seed(target_of(Request::api_key), name + "-response-real", {1, vb}, x.response_body);
  Response response;
  if (auto ec = decode_message(x.response_body, version, response))
    throw std::runtime_error(name + " response: " + ec.message());
  return response;
}

enum class Half : std::uint8_t { request = 0, response = 1 };

template <class M>
void hand_seed(Half half, const M& message, std::int16_t version, const std::string& what) {
  write_seed(target_of(M::api_key), std::string(api_name(M::api_key)) + "-v" + std::to_string(version) + "-" + what +
                 "-hand",
             {static_cast<std::uint8_t>(half), version_byte(version, M::min_version)},
             encode(message, version));
}

std::string topic_name(std::int16_t version) { return "kwire-capture-admin-v" + std::to_string(version); }

// ------------------------------------------------------------------ topics

void capture_create_topics(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<CreateTopicsRequest>(ranges)) {
    CreateTopicsRequest request;
    auto& topic = request.topics.emplace_back();
    topic.name = topic_name(v);
    topic.num_partitions = 2;
    topic.replication_factor = 1;
    topic.configs.push_back({"retention.ms", std::string("3600000"), {}});
    request.timeout_ms = 30000;
    exchange<CreateTopicsResponse>(broker, request, v);
    // An invalid one: the broker's error path (INVALID_CONFIG).
    CreateTopicsRequest bad = request;
    bad.topics[0].name += "-bad";
    bad.topics[0].configs = {{"cleanup.policy", std::string("no-such-policy"), {}}};
    if (v >= 1) bad.validate_only = true;
    const auto x = broker.call(ApiKey::create_topics, v, encode(bad, v));
    write_seed("create_topics", "CreateTopics-v" + std::to_string(v) + "-invalid-response-real",
               {1, version_byte(v, CreateTopicsResponse::min_version)}, x.response_body);
  }
  CreateTopicsResponse tagged;
  auto& t = tagged.topics.emplace_back();
  t.name = "t";
  t.topic_id.bytes.fill(4);
  t.topic_config_error_code = kwire::errc::topic_authorization_failed;
  t.configs.reset();
  t.unknown_tags = {{1, {1}}};
  tagged.unknown_tags = {{0, {}}};
  hand_seed(Half::response, tagged, 7, "tags");
  CreateTopicsRequest assignment;
  auto& a = assignment.topics.emplace_back();
  a.name = "manual";
  a.num_partitions = -1;
  a.replication_factor = -1;
  a.assignments = {{0, {1, 2, 3}, {{2, {}}}}, {1, {2, 3, 1}, {}}};
  a.configs = {{"x", std::nullopt, {{0, {9}}}}};
  hand_seed(Half::request, assignment, 5, "assignment");
}

/// The first topic capture_create_topics made (the broker's lowest version).
std::string first_topic(const Ranges& ranges) {
  const auto created = versions<CreateTopicsRequest>(ranges);
  if (created.empty()) throw std::runtime_error("the broker offers no CreateTopics version kwire speaks");
  return topic_name(created.front());
}

void capture_create_partitions(Broker& broker, const Ranges& ranges) {
  // Each version adds one partition to the first topic (created with 2);
  // a second entry asks for fewer partitions than there are (INVALID_PARTITIONS).
  std::int32_t count = 2;
  for (std::int16_t v : versions<CreatePartitionsRequest>(ranges)) {
    CreatePartitionsRequest request;
    request.topics.push_back({first_topic(ranges), ++count, std::nullopt, {}});
    request.topics.push_back({"kwire-capture-no-such-topic", 1, std::vector<CreatePartitionsRequest::Assignment>{{{1}, {}}}, {}});
    request.timeout_ms = 30000;
    exchange<CreatePartitionsResponse>(broker, request, v);
  }
}

void capture_describe_configs(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<DescribeConfigsRequest>(ranges)) {
    DescribeConfigsRequest request;
    request.resources.push_back({ConfigResourceType::topic, first_topic(ranges), std::nullopt, {}});
    request.resources.push_back(
        {ConfigResourceType::broker, "1", std::vector<std::string>{"log.retention.hours", "num.partitions"}, {}});
    request.resources.push_back({ConfigResourceType::topic, "kwire-capture-no-such-topic", std::nullopt, {}});
    request.include_synonyms = v >= 1;
    request.include_documentation = v >= 3;
    exchange<DescribeConfigsResponse>(broker, request, v);
  }
  DescribeConfigsResponse tagged;
  auto& r = tagged.results.emplace_back();
  r.resource_type = ConfigResourceType::group;
  r.resource_name = "g";
  r.configs.push_back({"consumer.session.timeout.ms", std::string("45000"), false, false, ConfigSource::group_config,
                       false, {{"group.consumer.session.timeout.ms", std::nullopt, ConfigSource::static_broker_config, {{1, {}}}}},
                       3, std::nullopt, {{0, {1}}}});
  r.unknown_tags = {{5, {}}};
  hand_seed(Half::response, tagged, 4, "tags");
}

void capture_incremental_alter_configs(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<IncrementalAlterConfigsRequest>(ranges)) {
    IncrementalAlterConfigsRequest request;
    request.resources.push_back({ConfigResourceType::topic,
                                 first_topic(ranges),
                                 {{"retention.ms", ConfigOperation::set, std::to_string(7200000 + v), {}},
                                  {"segment.ms", ConfigOperation::remove, std::nullopt, {}}},
                                 {}});
    // Errors: a missing topic, and appending to a config that is not a list.
    request.resources.push_back({ConfigResourceType::topic,
                                 "kwire-capture-no-such-topic",
                                 {{"retention.ms", ConfigOperation::set, std::string("1000"), {}}},
                                 {}});
    request.resources.push_back({ConfigResourceType::broker,
                                 "1",
                                 {{"log.retention.ms", ConfigOperation::append, std::string("5"), {}}},
                                 {}});
    request.validate_only = true;
    exchange<IncrementalAlterConfigsResponse>(broker, request, v);
  }
}

void capture_describe_cluster(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<DescribeClusterRequest>(ranges)) {
    DescribeClusterRequest request;
    request.include_cluster_authorized_operations = true;
    if (v >= 2) request.include_fenced_brokers = true;
    exchange<DescribeClusterResponse>(broker, request, v);
  }
}

void capture_delete_topics(Broker& broker, const Ranges& ranges) {
  // One topic made per CreateTopics version; each DeleteTopics version
  // deletes one, plus a missing topic for the error path.
  const auto created = versions<CreateTopicsRequest>(ranges);
  std::size_t next = 0;
  for (std::int16_t v : versions<DeleteTopicsRequest>(ranges)) {
    DeleteTopicsRequest request;
    request.timeout_ms = 30000;
    if (next < created.size()) request.topics.push_back({topic_name(created[next++]), {}, {}});
    request.topics.push_back({std::string("kwire-capture-no-such-topic"), {}, {}});
    if (v >= DeleteTopicsRequest::first_topic_id_version) {
      Uuid unknown;
      unknown.bytes.fill(0x5a);
      request.topics.push_back({std::nullopt, unknown, {}});
    }
    exchange<DeleteTopicsResponse>(broker, request, v);
  }
  DeleteTopicsRequest rest;
  while (next < created.size()) rest.topics.push_back({topic_name(created[next++]), {}, {}});
  if (!rest.topics.empty()) broker.call(ApiKey::delete_topics, 4, encode(rest, 4));
}

}  // namespace

void capture_admin(Broker& broker) {
  const Ranges ranges = broker_ranges(broker);
  capture_create_topics(broker, ranges);
  capture_create_partitions(broker, ranges);
  capture_describe_configs(broker, ranges);
  capture_incremental_alter_configs(broker, ranges);
  capture_describe_cluster(broker, ranges);
  capture_delete_topics(broker, ranges);
}

}  // namespace kwire::capture
