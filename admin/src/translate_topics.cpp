// Topics, cluster and configs: request building and per-item results.
#include <algorithm>
#include <stdexcept>

#include "kwire/admin/translate.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::admin {

std::string ItemError::message() const {
  if (!error) return {};
  std::string text = error_name(error);
  if (!detail.empty()) text += ": " + detail;
  return text;
}

namespace translate {

ItemError item_error(kwire::errc code, const std::optional<std::string>& message) {
  ItemError error;
  if (code != kwire::errc::none) error.error = make_error_code(code);
  if (message) error.detail = *message;
  return error;
}

namespace {

ItemError missing(const std::string& what) {
  return {make_error_code(client_errc::malformed), "the broker's answer does not mention " + what};
}

/// One TopicResult per requested topic, in request order: `fill` copies the
/// answer that `matches` it; a topic the broker left out gets an error.
template <class Requested, class Answers, class Name, class Matches, class Fill>
std::vector<TopicResult> per_topic(const std::vector<Requested>& requested, Name name, const Answers& answers,
                                   Matches matches, Fill fill) {
  std::vector<TopicResult> results;
  for (const auto& item : requested) {
    TopicResult& result = results.emplace_back();
    result.name = name(item);
    const auto it = std::find_if(answers.begin(), answers.end(), [&](const auto& a) { return matches(a, result.name); });
    if (it == answers.end())
      result.error = missing("topic " + result.name);
    else
      fill(*it, result);
  }
  return results;
}

}  // namespace

protocol::CreateTopicsRequest create_topics_request(const std::vector<NewTopic>& topics,
                                                    const CreateTopicsOptions& options) {
  protocol::CreateTopicsRequest request;
  request.timeout_ms = options.timeout_ms;
  request.validate_only = options.validate_only;
  for (const auto& topic : topics) {
    auto& out = request.topics.emplace_back();
    out.name = topic.name;
    out.num_partitions = topic.partitions;
    out.replication_factor = topic.replication_factor;
    for (const auto& [name, value] : topic.configs) out.configs.push_back({name, value, {}});
  }
  return request;
}

std::vector<TopicResult> create_topics_results(const protocol::CreateTopicsResponse& response,
                                               const std::vector<NewTopic>& requested) {
  return per_topic(
      requested, [](const NewTopic& t) { return t.name; }, response.topics,
      [](const auto& answer, const std::string& name) { return answer.name == name; },
      [](const auto& answer, TopicResult& result) {
        result.topic_id = answer.topic_id;
        result.partitions = answer.num_partitions;
        result.replication_factor = answer.replication_factor;
        result.error = item_error(answer.error_code, answer.error_message);
      });
}

protocol::DeleteTopicsRequest delete_topics_request(const std::vector<std::string>& names, std::int32_t timeout_ms) {
  protocol::DeleteTopicsRequest request;
  request.timeout_ms = timeout_ms;
  for (const auto& name : names) request.topics.push_back({name, {}, {}});
  return request;
}

std::vector<TopicResult> delete_topics_results(const protocol::DeleteTopicsResponse& response,
                                               const std::vector<std::string>& requested) {
  return per_topic(
      requested, [](const std::string& n) { return n; }, response.responses,
      [](const auto& answer, const std::string& name) { return answer.name && *answer.name == name; },
      [](const auto& answer, TopicResult& result) {
        result.topic_id = answer.topic_id;
        result.error = item_error(answer.error_code, answer.error_message);
      });
}

protocol::CreatePartitionsRequest create_partitions_request(const std::vector<NewPartitions>& topics,
                                                            const CreateTopicsOptions& options) {
  protocol::CreatePartitionsRequest request;
  request.timeout_ms = options.timeout_ms;
  request.validate_only = options.validate_only;
  for (const auto& topic : topics) {
    auto& out = request.topics.emplace_back();
    out.name = topic.topic;
    out.count = topic.total_partitions;
  }
  return request;
}

std::vector<TopicResult> create_partitions_results(const protocol::CreatePartitionsResponse& response,
                                                   const std::vector<NewPartitions>& requested) {
  return per_topic(
      requested, [](const NewPartitions& t) { return t.topic; }, response.results,
      [](const auto& answer, const std::string& name) { return answer.name == name; },
      [&](const auto& answer, TopicResult& result) {
        result.error = item_error(answer.error_code, answer.error_message);
        for (const auto& t : requested)
          if (t.topic == result.name) result.partitions = t.total_partitions;
      });
}

protocol::MetadataRequest metadata_request(const std::vector<std::string>& names) {
  protocol::MetadataRequest request;
  request.allow_auto_topic_creation = false;
  if (!names.empty()) {
    request.topics.emplace();
    for (const auto& name : names) request.topics->push_back({{}, name, {}});
  }  // else null: every topic
  return request;
}

std::vector<TopicDescription> topic_descriptions(const protocol::MetadataResponse& response,
                                                 bool include_internal) {
  std::vector<TopicDescription> topics;
  for (const auto& t : response.topics) {
    if (t.is_internal && !include_internal) continue;
    TopicDescription& out = topics.emplace_back();
    out.name = t.name.value_or(std::string());
    out.topic_id = t.topic_id;
    out.internal = t.is_internal;
    out.error = item_error(t.error_code, std::nullopt);
    for (const auto& p : t.partitions) {
      PartitionDescription& partition = out.partitions.emplace_back();
      partition.partition = p.partition_index;
      partition.leader = p.leader_id;
      partition.leader_epoch = p.leader_epoch;
      partition.replicas = p.replica_nodes;
      partition.isr = p.isr_nodes;
      partition.offline_replicas = p.offline_replicas;
      partition.error = item_error(p.error_code, std::nullopt);
    }
    std::sort(out.partitions.begin(), out.partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
  }
  std::sort(topics.begin(), topics.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return topics;
}

ClusterDescription cluster_description(const protocol::DescribeClusterResponse& response) {
  ClusterDescription cluster;
  cluster.cluster_id = response.cluster_id;
  cluster.controller_id = response.controller_id;
  for (const auto& b : response.brokers) cluster.brokers.push_back({b.broker_id, b.host, b.port, b.rack, b.is_fenced});
  std::sort(cluster.brokers.begin(), cluster.brokers.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return cluster;
}

ClusterDescription cluster_description(const protocol::MetadataResponse& response) {
  ClusterDescription cluster;
  cluster.cluster_id = response.cluster_id.value_or(std::string());
  cluster.controller_id = response.controller_id;
  for (const auto& b : response.brokers) cluster.brokers.push_back({b.node_id, b.host, b.port, b.rack, false});
  std::sort(cluster.brokers.begin(), cluster.brokers.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return cluster;
}

protocol::DescribeConfigsRequest describe_configs_request(const std::vector<ConfigResource>& resources,
                                                          const std::vector<std::string>& keys) {
  protocol::DescribeConfigsRequest request;
  for (const auto& resource : resources) {
    auto& out = request.resources.emplace_back();
    out.resource_type = resource.type;
    out.resource_name = resource.name;
    if (!keys.empty()) out.configuration_keys = keys;
  }
  return request;
}

std::vector<ConfigDescription> config_descriptions(const protocol::DescribeConfigsResponse& response) {
  std::vector<ConfigDescription> descriptions;
  for (const auto& r : response.results) {
    ConfigDescription& out = descriptions.emplace_back();
    out.resource = {r.resource_type, r.resource_name};
    out.error = item_error(r.error_code, r.error_message);
    for (const auto& c : r.configs) {
      ConfigEntry& entry = out.entries.emplace_back();
      entry.name = c.name;
      entry.value = c.value;
      entry.read_only = c.read_only;
      entry.sensitive = c.is_sensitive;
      // v0 says "default" with a flag; v1+ with the source.
      entry.source = c.config_source == ConfigSource::unspecified
                         ? (c.is_default ? ConfigSource::default_config : ConfigSource::unknown)
                         : c.config_source;
      entry.is_default = entry.source == ConfigSource::default_config;
    }
  }
  return descriptions;
}

protocol::IncrementalAlterConfigsRequest alter_configs_request(const std::vector<ResourceChanges>& changes,
                                                               bool validate_only) {
  protocol::IncrementalAlterConfigsRequest request;
  request.validate_only = validate_only;
  for (const auto& resource : changes) {
    auto& out = request.resources.emplace_back();
    out.resource_type = resource.resource.type;
    out.resource_name = resource.resource.name;
    for (const auto& change : resource.changes)
      out.configs.push_back({change.name, change.operation,
                             change.operation == ConfigOperation::remove ? std::nullopt : change.value, {}});
  }
  return request;
}

std::vector<ResourceResult> alter_configs_results(const protocol::IncrementalAlterConfigsResponse& response) {
  std::vector<ResourceResult> results;
  for (const auto& r : response.responses)
    results.push_back({{r.resource_type, r.resource_name}, item_error(r.error_code, r.error_message)});
  return results;
}

ConfigChange parse_config_change(const std::string& text) {
  ConfigChange change;
  const auto eq = text.find('=');
  if (eq == std::string::npos) {
    change.name = text;
    change.operation = ConfigOperation::remove;
  } else {
    change.name = text.substr(0, eq);
    change.value = text.substr(eq + 1);
    if (!change.name.empty() && (change.name.back() == '+' || change.name.back() == '-')) {
      change.operation = change.name.back() == '+' ? ConfigOperation::append : ConfigOperation::subtract;
      change.name.pop_back();
    }
  }
  if (change.name.empty()) throw std::invalid_argument("config change '" + text + "' has no name");
  return change;
}

}  // namespace translate
}  // namespace kwire::admin
