// Admin: topics, the cluster and configs.
#include <algorithm>

#include "channel.hpp"
#include "kwire/admin/translate.hpp"

namespace kwire::admin {

namespace {

/// Runs `send` (a whole request and its per-item translation); when the
/// request fails as a whole, every item gets that failure, named by `name`.
template <class Result, class Item, class Name, class Send>
std::vector<Result> or_fail_each(const std::vector<Item>& items, Name name, Send send) {
  try {
    return send();
  } catch (const AdminError& e) {
    std::vector<Result> results(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      name(items[i], results[i]);
      results[i].error = {e.code(), e.what()};
    }
    return results;
  }
}

}  // namespace

Admin::Admin(cluster::ClientConfig config) : channel_(std::make_unique<Channel>(config)), config_(std::move(config)) {}
Admin::~Admin() = default;

std::vector<TopicResult> Admin::create_topics(const std::vector<NewTopic>& topics, const CreateTopicsOptions& options) {
  return or_fail_each<TopicResult>(
      topics, [](const NewTopic& t, TopicResult& r) { r.name = t.name; },
      [&] {
        protocol::CreateTopicsResponse response;
        channel_->call({}, translate::create_topics_request(topics, options), response);
        return translate::create_topics_results(response, topics);
      });
}

std::vector<TopicResult> Admin::delete_topics(const std::vector<std::string>& names, std::int32_t timeout_ms) {
  return or_fail_each<TopicResult>(
      names, [](const std::string& n, TopicResult& r) { r.name = n; },
      [&] {
        protocol::DeleteTopicsResponse response;
        channel_->call({}, translate::delete_topics_request(names, timeout_ms), response);
        return translate::delete_topics_results(response, names);
      });
}

std::vector<TopicResult> Admin::create_partitions(const std::vector<NewPartitions>& topics,
                                                  const CreateTopicsOptions& options) {
  return or_fail_each<TopicResult>(
      topics, [](const NewPartitions& t, TopicResult& r) { r.name = t.topic; },
      [&] {
        protocol::CreatePartitionsResponse response;
        channel_->call({}, translate::create_partitions_request(topics, options), response);
        return translate::create_partitions_results(response, topics);
      });
}

std::vector<TopicDescription> Admin::list_topics(bool include_internal) {
  protocol::MetadataResponse response;
  channel_->call({}, translate::metadata_request({}), response);
  return translate::topic_descriptions(response, include_internal);
}

std::vector<TopicDescription> Admin::describe_topics(const std::vector<std::string>& names) {
  return or_fail_each<TopicDescription>(
      names, [](const std::string& n, TopicDescription& d) { d.name = n; },
      [&] {
        protocol::MetadataResponse response;
        channel_->call({}, translate::metadata_request(names), response);
        return translate::topic_descriptions(response, true);
      });
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
  return or_fail_each<ConfigDescription>(
      resources, [](const ConfigResource& c, ConfigDescription& d) { d.resource = c; },
      [&] {
        protocol::DescribeConfigsResponse response;
        channel_->call({}, translate::describe_configs_request(resources, keys), response);
        return translate::config_descriptions(response);
      });
}

std::vector<ResourceResult> Admin::alter_configs(const std::vector<ResourceChanges>& changes, bool validate_only) {
  return or_fail_each<ResourceResult>(
      changes, [](const ResourceChanges& c, ResourceResult& r) { r.resource = c.resource; },
      [&] {
        protocol::IncrementalAlterConfigsResponse response;
        channel_->call({}, translate::alter_configs_request(changes, validate_only), response);
        return translate::alter_configs_results(response);
      });
}

}  // namespace kwire::admin
