// Admin: topics, the cluster and configs.
#include <algorithm>

#include "channel.hpp"
#include "kwire/admin/translate.hpp"

namespace kwire::admin {

namespace {

/// A whole-request failure, copied into each item of a per-item answer.
template <class Item>
void fail_all(std::vector<Item>& items, const AdminError& e) {
  for (auto& item : items) item.error = {e.code(), e.what()};
}

}  // namespace

Admin::Admin(cluster::ClientConfig config) : channel_(std::make_unique<Channel>(config)), config_(std::move(config)) {}
Admin::~Admin() = default;

std::vector<TopicResult> Admin::create_topics(const std::vector<NewTopic>& topics, const CreateTopicsOptions& options) {
  protocol::CreateTopicsResponse response;
  try {
    channel_->call({}, translate::create_topics_request(topics, options), response);
  } catch (const AdminError& e) {
    std::vector<TopicResult> results(topics.size());
    for (std::size_t i = 0; i < topics.size(); ++i) results[i].name = topics[i].name;
    fail_all(results, e);
    return results;
  }
  return translate::create_topics_results(response, topics);
}

std::vector<TopicResult> Admin::delete_topics(const std::vector<std::string>& names, std::int32_t timeout_ms) {
  protocol::DeleteTopicsResponse response;
  try {
    channel_->call({}, translate::delete_topics_request(names, timeout_ms), response);
  } catch (const AdminError& e) {
    std::vector<TopicResult> results(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) results[i].name = names[i];
    fail_all(results, e);
    return results;
  }
  return translate::delete_topics_results(response, names);
}

std::vector<TopicResult> Admin::create_partitions(const std::vector<NewPartitions>& topics,
                                                  const CreateTopicsOptions& options) {
  protocol::CreatePartitionsResponse response;
  try {
    channel_->call({}, translate::create_partitions_request(topics, options), response);
  } catch (const AdminError& e) {
    std::vector<TopicResult> results(topics.size());
    for (std::size_t i = 0; i < topics.size(); ++i) results[i].name = topics[i].topic;
    fail_all(results, e);
    return results;
  }
  return translate::create_partitions_results(response, topics);
}

std::vector<TopicDescription> Admin::list_topics(bool include_internal) {
  protocol::MetadataResponse response;
  channel_->call({}, translate::metadata_request({}), response);
  return translate::topic_descriptions(response, include_internal);
}

std::vector<TopicDescription> Admin::describe_topics(const std::vector<std::string>& names) {
  protocol::MetadataResponse response;
  try {
    channel_->call({}, translate::metadata_request(names), response);
  } catch (const AdminError& e) {
    std::vector<TopicDescription> results(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) results[i].name = names[i];
    fail_all(results, e);
    return results;
  }
  return translate::topic_descriptions(response, true);
}

ClusterDescription Admin::describe_cluster() {
  using Req = protocol::DescribeClusterRequest;
  using Resp = protocol::DescribeClusterResponse;
  if (channel_->version_for<Req, Resp>({})) {
    Resp response;
    channel_->call({}, Req{}, response);
    if (response.error_code != kwire::errc::none)
      throw AdminError(make_error_code(response.error_code),
                       "DescribeCluster: " + translate::item_error(response.error_code, response.error_message).message());
    return translate::cluster_description(response);
  }
  protocol::MetadataResponse response;  // before KIP-700 (Kafka 2.8)
  protocol::MetadataRequest request;
  request.topics.emplace();  // no topics, only brokers
  channel_->call({}, request, response);
  return translate::cluster_description(response);
}

std::vector<ConfigDescription> Admin::describe_configs(const std::vector<ConfigResource>& resources,
                                                       const std::vector<std::string>& keys) {
  protocol::DescribeConfigsResponse response;
  try {
    channel_->call({}, translate::describe_configs_request(resources, keys), response);
  } catch (const AdminError& e) {
    std::vector<ConfigDescription> results(resources.size());
    for (std::size_t i = 0; i < resources.size(); ++i) results[i].resource = resources[i];
    fail_all(results, e);
    return results;
  }
  return translate::config_descriptions(response);
}

std::vector<ResourceResult> Admin::alter_configs(const std::vector<ResourceChanges>& changes, bool validate_only) {
  protocol::IncrementalAlterConfigsResponse response;
  try {
    channel_->call({}, translate::alter_configs_request(changes, validate_only), response);
  } catch (const AdminError& e) {
    std::vector<ResourceResult> results(changes.size());
    for (std::size_t i = 0; i < changes.size(); ++i) results[i].resource = changes[i].resource;
    fail_all(results, e);
    return results;
  }
  return translate::alter_configs_results(response);
}

}  // namespace kwire::admin
