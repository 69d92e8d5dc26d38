// The "admin" group: CreateTopics, CreatePartitions, DescribeConfigs,
// IncrementalAlterConfigs, DescribeCluster and DeleteTopics at every version
// the endpoint offers, each on topics of the group's own and checked through
// another API (issue 17 item 4). Also the suite's own topic: made with
// CreateTopics when the endpoint offers it, deleted at the end unless --keep.
//
// A KRaft cluster applies admin changes through its metadata log, so a
// broker may show them a moment after the controller answered: every
// read-back polls until it sees the change or the cell times out.
#include <algorithm>
#include <thread>

#include <kwire/protocol/create_partitions.hpp>
#include <kwire/protocol/delete_topics.hpp>
#include <kwire/protocol/describe_cluster.hpp>
#include <kwire/protocol/describe_configs.hpp>
#include <kwire/protocol/incremental_alter_configs.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/metadata.hpp>

#include "conformance_suite.hpp"

namespace kwire::cli::conformance {

using protocol::ApiKey;

namespace {

constexpr std::int32_t kAdminTimeoutMs = 30000;
/// The config the admin topics are made with, and changed and read back.
constexpr const char* kConfigName = "retention.ms";
constexpr std::int64_t kCreatedRetentionMs = 3600000;

std::string errc_text(kwire::errc e) { return error_name(make_error_code(e)); }

/// Polls `attempt` ("" = done) every 200 ms until it succeeds or `timeout`
/// passes; returns its last answer.
std::string poll(std::chrono::milliseconds timeout, const std::function<std::string()>& attempt) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::string why = attempt();
    if (why.empty() || std::chrono::steady_clock::now() > deadline) return why;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

// ------------------------------------------------------------------ helpers

std::string Suite::create_topic(const std::string& name, std::int32_t partitions, std::int16_t max_version,
                                std::int16_t& used, protocol::CreateTopicsResponse::Topic* result,
                                const std::vector<protocol::CreateTopicsRequest::Config>& configs) {
  protocol::CreateTopicsRequest request;
  auto& topic = request.topics.emplace_back();
  topic.name = name;
  topic.num_partitions = partitions;
  topic.replication_factor = 1;  // valid on every cluster; v0-3 need explicit values (KIP-464)
  topic.configs = configs;
  request.timeout_ms = kAdminTimeoutMs;
  protocol::CreateTopicsResponse response;
  used = -1;
  if (auto ec = bootstrap().request(request, response, used, max_version))
    return "CreateTopics v" + std::to_string(used) + ": " + error_name(ec);
  const auto it = std::find_if(response.topics.begin(), response.topics.end(),
                               [&](const auto& t) { return t.name == name; });
  if (it == response.topics.end()) return "CreateTopics v" + std::to_string(used) + " answered without " + name;
  if (result) *result = *it;
  if (it->error_code != kwire::errc::none)
    return "CreateTopics v" + std::to_string(used) + ": " + errc_text(it->error_code) +
           (it->error_message ? " (" + *it->error_message + ")" : "");
  return {};
}

std::string Suite::wait_for_topic(const std::string& name, std::int32_t partitions, protocol::Uuid* id) {
  return poll(options_.cell_timeout, [&]() -> std::string {
    protocol::MetadataRequest request;
    request.topics.emplace();
    request.topics->push_back({.topic_id = {}, .name = name, .unknown_tags = {}});
    request.allow_auto_topic_creation = false;
    protocol::MetadataResponse response;
    std::int16_t used = -1;
    if (auto ec = bootstrap().request(request, response, used)) return "Metadata: " + error_name(ec);
    if (response.topics.size() != 1 || response.topics[0].name != name) return "Metadata answered without " + name;
    const auto& t = response.topics[0];
    if (t.error_code != kwire::errc::none) return "Metadata: " + name + ": " + errc_text(t.error_code);
    if (static_cast<std::int32_t>(t.partitions.size()) != partitions)
      return "Metadata shows " + std::to_string(t.partitions.size()) + " partitions, expected " +
             std::to_string(partitions);
    for (const auto& p : t.partitions)
      if (p.leader_id < 0) return "partition " + std::to_string(p.partition_index) + " has no leader";
    if (id) *id = t.topic_id;
    return {};
  });
}

std::string Suite::wait_for_topic_gone(const std::string& name) {
  return poll(options_.cell_timeout, [&]() -> std::string {
    protocol::MetadataRequest request;
    request.topics.emplace();
    request.topics->push_back({.topic_id = {}, .name = name, .unknown_tags = {}});
    request.allow_auto_topic_creation = false;
    protocol::MetadataResponse response;
    std::int16_t used = -1;
    if (auto ec = bootstrap().request(request, response, used)) return "Metadata: " + error_name(ec);
    for (const auto& t : response.topics)
      if (t.name == name && t.error_code != kwire::errc::unknown_topic_or_partition)
        return "Metadata still lists " + name + " (" + errc_text(t.error_code) + ")";
    return {};
  });
}

namespace {

/// DeleteTopics for `topics` (by name) at the highest common version; "" on
/// success. Used for clean-up, not as a cell.
std::string delete_by_name(net::BlockingClient& client, const std::vector<std::string>& names) {
  protocol::DeleteTopicsRequest request;
  for (const auto& n : names) request.topics.push_back({n, {}, {}});
  request.timeout_ms = kAdminTimeoutMs;
  protocol::DeleteTopicsResponse response;
  std::int16_t used = -1;
  // v6 names topics as {Name, TopicId}; by name any version works.
  if (auto ec = client.request(request, response, used)) return "DeleteTopics v" + std::to_string(used) + ": " + error_name(ec);
  for (const auto& r : response.responses)
    if (r.error_code != kwire::errc::none)
      return "DeleteTopics v" + std::to_string(used) + ": " + r.name.value_or("?") + ": " + errc_text(r.error_code);
  return {};
}

}  // namespace

void Suite::delete_own_topic() {
  if (!created_topic_ || options_.keep_topic) return;
  Cell c = cell("connect", "delete topic");
  c.topic = topic_;
  if (!advertised(ApiKey::delete_topics)) {
    c.status = Status::not_offered;
    c.detail = advertised_text(ApiKey::delete_topics) + "; " + topic_ + " stays";
  } else if (std::string why = delete_by_name(bootstrap(), {topic_}); !why.empty()) {
    c.status = Status::fail;
    c.detail = why;
  } else if (why = wait_for_topic_gone(topic_); !why.empty()) {
    c.status = Status::fail;
    c.detail = "deleted, but " + why;
  } else {
    c.detail = "deleted " + topic_ + " (--keep keeps it)";
  }
  add(std::move(c));
}

// ------------------------------------------------------------------ group

void Suite::run_admin() {
  const std::string base = topic_ + "-admin";
  struct Made {
    std::string name;
    protocol::Uuid id;
  };
  std::vector<Made> made;  // topics still to delete
  std::string work;        // the topic the partition and config cells use
  std::int32_t work_partitions = 0;
  std::int64_t work_retention = kCreatedRetentionMs;
  auto needs_work_topic = [&]() -> std::string {
    return work.empty() ? "no topic to work on: CreateTopics made none" : "";
  };

  // ------------------------------------------------------- CreateTopics
  exercise("admin", ApiKey::create_topics, protocol::CreateTopicsRequest::min_version,
           protocol::CreateTopicsRequest::max_version, [&](std::int16_t version) -> std::string {
             const std::string name = base + "-v" + std::to_string(version);
             protocol::CreateTopicsResponse::Topic result;
             std::int16_t used = -1;
             std::string why = create_topic(name, 2, version, used, &result,
                                            {{kConfigName, std::to_string(kCreatedRetentionMs), {}}});
             if (!why.empty()) return why;
             if (used != version) return wrong_version("CreateTopics", version, used);
             made.push_back({name, result.topic_id});
             // KIP-525 (v5+): the answer describes the topic made.
             if (version >= 5) {
               if (result.num_partitions != 2 || result.replication_factor != 1)
                 return "answered " + std::to_string(result.num_partitions) + " partitions, replication factor " +
                        std::to_string(result.replication_factor) + "; asked 2 and 1";
               if (!result.configs) return "answered no configs (" + errc_text(result.topic_config_error_code) + ")";
               const auto c = std::find_if(result.configs->begin(), result.configs->end(),
                                           [](const auto& x) { return x.name == kConfigName; });
               if (c == result.configs->end() || c->value != std::to_string(kCreatedRetentionMs))
                 return std::string("the answer's configs lack ") + kConfigName + "=" +
                        std::to_string(kCreatedRetentionMs);
             }
             if (version >= 7 && result.topic_id.is_zero()) return "answered no topic id (KIP-516)";
             protocol::Uuid seen;
             if (why = wait_for_topic(name, 2, &seen); !why.empty()) return why;
             if (version >= 7 && seen != result.topic_id)
               return "Metadata's topic id " + seen.to_base64() + " is not the created " + result.topic_id.to_base64();
             made.back().id = seen;
             if (work.empty()) {
               work = name;
               work_partitions = 2;
             }
             return {};
           });

  // --------------------------------------------------- CreatePartitions
  exercise("admin", ApiKey::create_partitions, protocol::CreatePartitionsRequest::min_version,
           protocol::CreatePartitionsRequest::max_version, [&](std::int16_t version) -> std::string {
             if (auto why = needs_work_topic(); !why.empty()) return why;
             protocol::CreatePartitionsRequest request;
             request.topics.push_back({work, work_partitions + 1, std::nullopt, {}});
             request.timeout_ms = kAdminTimeoutMs;
             protocol::CreatePartitionsResponse response;
             std::int16_t used = -1;
             if (auto ec = bootstrap().request(request, response, used, version)) return error_name(ec);
             if (used != version) return wrong_version("CreatePartitions", version, used);
             if (response.results.size() != 1 || response.results[0].name != work) return "answered without " + work;
             if (response.results[0].error_code != kwire::errc::none)
               return errc_text(response.results[0].error_code) + " " + response.results[0].error_message.value_or("");
             ++work_partitions;
             return wait_for_topic(work, work_partitions);
           });

  // ---------------------------------------------------- DescribeConfigs
  // The config value `work` should have, read at `version`: "" when it does.
  auto check_config = [&](std::int16_t version, std::int64_t expected) -> std::string {
    protocol::DescribeConfigsRequest request;
    request.resources.push_back(
        {protocol::ConfigResourceType::topic, work, std::vector<std::string>{kConfigName}, {}});
    request.include_synonyms = version >= 1;
    protocol::DescribeConfigsResponse response;
    std::int16_t used = -1;
    if (auto ec = bootstrap().request(request, response, used, version)) return error_name(ec);
    if (used != version) return wrong_version("DescribeConfigs", version, used);
    if (response.results.size() != 1 || response.results[0].resource_name != work) return "answered without " + work;
    const auto& result = response.results[0];
    if (result.error_code != kwire::errc::none)
      return errc_text(result.error_code) + " " + result.error_message.value_or("");
    if (result.configs.size() != 1 || result.configs[0].name != kConfigName)
      return "answered " + std::to_string(result.configs.size()) + " configs for the one key asked";
    const auto& c = result.configs[0];
    if (c.value != std::to_string(expected))
      return std::string(kConfigName) + "=" + c.value.value_or("null") + ", expected " + std::to_string(expected);
    if (version == 0 && c.is_default) return "a topic override reported as a default";
    if (version >= 1) {
      if (c.config_source != protocol::ConfigSource::dynamic_topic_config)
        return "source " + std::to_string(static_cast<int>(c.config_source)) + ", expected DYNAMIC_TOPIC_CONFIG (1)";
      if (c.synonyms.empty() || c.synonyms[0].source != protocol::ConfigSource::dynamic_topic_config)
        return "the synonyms do not start with the topic override (KIP-226)";
    }
    return {};
  };
  exercise("admin", ApiKey::describe_configs, protocol::DescribeConfigsRequest::min_version,
           protocol::DescribeConfigsRequest::max_version, [&](std::int16_t version) -> std::string {
             if (auto why = needs_work_topic(); !why.empty()) return why;
             return poll(options_.cell_timeout, [&] { return check_config(version, work_retention); });
           });

  // -------------------------------------------- IncrementalAlterConfigs
  exercise("admin", ApiKey::incremental_alter_configs, protocol::IncrementalAlterConfigsRequest::min_version,
           protocol::IncrementalAlterConfigsRequest::max_version, [&](std::int16_t version) -> std::string {
             if (auto why = needs_work_topic(); !why.empty()) return why;
             const std::int64_t value = kCreatedRetentionMs + 1000 * (version + 1);
             protocol::IncrementalAlterConfigsRequest request;
             request.resources.push_back({protocol::ConfigResourceType::topic,
                                          work,
                                          {{kConfigName, protocol::ConfigOperation::set, std::to_string(value), {}}},
                                          {}});
             protocol::IncrementalAlterConfigsResponse response;
             std::int16_t used = -1;
             if (auto ec = bootstrap().request(request, response, used, version)) return error_name(ec);
             if (used != version) return wrong_version("IncrementalAlterConfigs", version, used);
             if (response.responses.size() != 1 || response.responses[0].resource_name != work)
               return "answered without " + work;
             if (response.responses[0].error_code != kwire::errc::none)
               return errc_text(response.responses[0].error_code) + " " +
                      response.responses[0].error_message.value_or("");
             work_retention = value;
             // Read back through DescribeConfigs at the newest common version.
             if (!advertised(ApiKey::describe_configs)) return {};
             const auto range = *advertised(ApiKey::describe_configs);
             const auto read_version =
                 std::min<std::int16_t>(range.second, protocol::DescribeConfigsRequest::max_version);
             std::string why = poll(options_.cell_timeout, [&] { return check_config(read_version, value); });
             return why.empty() ? "" : "read back with DescribeConfigs: " + why;
           });

  // ---------------------------------------------------- DescribeCluster
  exercise("admin", ApiKey::describe_cluster, protocol::DescribeClusterRequest::min_version,
           protocol::DescribeClusterRequest::max_version, [&](std::int16_t version) -> std::string {
             protocol::DescribeClusterRequest request;
             request.include_fenced_brokers = version >= 2;
             protocol::DescribeClusterResponse response;
             std::int16_t used = -1;
             if (auto ec = bootstrap().request(request, response, used, version)) return error_name(ec);
             if (used != version) return wrong_version("DescribeCluster", version, used);
             if (response.error_code != kwire::errc::none)
               return errc_text(response.error_code) + " " + response.error_message.value_or("");
             // The same cluster as Metadata describes.
             protocol::MetadataRequest mr;
             mr.topics.emplace();
             protocol::MetadataResponse metadata;
             std::int16_t metadata_version = -1;
             if (auto ec = bootstrap().request(mr, metadata, metadata_version)) return "Metadata: " + error_name(ec);
             if (metadata.cluster_id && response.cluster_id != *metadata.cluster_id)
               return "cluster id " + response.cluster_id + ", Metadata says " + *metadata.cluster_id;
             std::vector<std::int32_t> ids, metadata_ids;
             for (const auto& b : response.brokers)
               if (!b.is_fenced) ids.push_back(b.broker_id);
             for (const auto& b : metadata.brokers) metadata_ids.push_back(b.node_id);
             std::sort(ids.begin(), ids.end());
             std::sort(metadata_ids.begin(), metadata_ids.end());
             if (ids != metadata_ids)
               return std::to_string(ids.size()) + " live brokers, Metadata lists " +
                      std::to_string(metadata_ids.size());
             if (version >= 1 && response.endpoint_type != protocol::EndpointType::brokers)
               return "endpoint type " + std::to_string(static_cast<int>(response.endpoint_type)) + ", asked brokers";
             return {};
           });

  // -------------------------------------------------------- DeleteTopics
  exercise("admin", ApiKey::delete_topics, protocol::DeleteTopicsRequest::min_version,
           protocol::DeleteTopicsRequest::max_version, [&](std::int16_t version) -> std::string {
             if (made.empty()) {
               // More DeleteTopics versions than topics made: make one more.
               const std::string name = base + "-delete-v" + std::to_string(version);
               std::int16_t used = -1;
               protocol::CreateTopicsResponse::Topic result;
               if (auto why = create_topic(name, 1, protocol::CreateTopicsRequest::max_version, used, &result);
                   !why.empty())
                 return "cannot make a topic to delete: " + why;
               protocol::Uuid id;
               if (auto why = wait_for_topic(name, 1, &id); !why.empty()) return why;
               made.push_back({name, id});
             }
             const Made target = made.back();
             made.pop_back();
             // v6+ deletes by topic id (KIP-516) when the endpoint has ids.
             const bool by_id = version >= protocol::DeleteTopicsRequest::first_topic_id_version && !target.id.is_zero();
             protocol::DeleteTopicsRequest request;
             if (by_id)
               request.topics.push_back({std::nullopt, target.id, {}});
             else
               request.topics.push_back({target.name, {}, {}});
             request.timeout_ms = kAdminTimeoutMs;
             protocol::DeleteTopicsResponse response;
             std::int16_t used = -1;
             if (auto ec = bootstrap().request(request, response, used, version)) return error_name(ec);
             if (used != version) return wrong_version("DeleteTopics", version, used);
             if (response.responses.size() != 1) return "answered " + std::to_string(response.responses.size()) + " results for one topic";
             const auto& r = response.responses[0];
             if (r.error_code != kwire::errc::none) return errc_text(r.error_code) + " " + r.error_message.value_or("");
             if (by_id && r.topic_id != target.id) return "answered for topic id " + r.topic_id.to_base64();
             if (!by_id && r.name != target.name) return "answered for " + r.name.value_or("null");
             if (target.name == work) work.clear();
             return wait_for_topic_gone(target.name);
           });

  // Whatever is left (DeleteTopics not offered, or cells that failed).
  std::vector<std::string> left;
  for (const auto& m : made) left.push_back(m.name);
  if (!left.empty() && advertised(ApiKey::delete_topics)) (void)delete_by_name(bootstrap(), left);
}

}  // namespace kwire::cli::conformance
