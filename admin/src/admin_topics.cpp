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

/// A check for the controller requests (many topics in one): keeps each
/// topic's latest answer in `all` across the retry loop's attempts and
/// shrinks the next attempt to the topics that asked for a retry.
/// A broker resource goes to that broker; the rest to `otherwise`.
Route route_for(const ConfigResource& resource, Route otherwise = Route::any_broker()) {
  if (resource.type == ConfigResourceType::broker && !resource.name.empty()) {
    try {
      return Route::node(NodeId{std::stoi(resource.name)});
    } catch (const std::exception&) {
      // not a broker id: let the broker say so
    }
  }
  return otherwise;
}

template <class Req, class Resp, class Items>
cluster::ResponseCheck<Req, Resp> collecting(std::shared_ptr<Resp> all, Items items) {
  return [all, items](const Resp& response, Req& next) {
    auto& kept = items(*all);
    for (const auto& answer : items(response)) {
      auto it = std::find_if(kept.begin(), kept.end(), [&](const auto& k) { return k.name == answer.name; });
      if (it == kept.end())
        kept.push_back(answer);
      else
        *it = answer;
    }
    return translate::retry_remaining(response, next);
  };
}

/// Sends a controller request with collecting(); the per-topic results come
/// from every attempt's answers, and a whole-request failure reaches only the
/// topics no attempt answered.
template <class Req, class Resp = cluster::response_t<Req>, class Items, class Translate>
std::vector<TopicResult> controller_call(Admin::Channel& channel, Req request, Items items, Translate translate_results) {
  auto all = std::make_shared<Resp>();
  try {
    channel.call<Req, Resp>(Route::controller(), std::move(request), collecting<Req, Resp>(all, items));
  } catch (const AdminError& e) {
    // Topics no attempt answered are "not mentioned": they get the failure.
    auto results = translate_results(*all);
    for (auto& r : results)
      if (r.error.error == client_errc::malformed) r.error = {e.code(), e.what()};
    return results;
  }
  return translate_results(*all);
}

}  // namespace

Admin::Admin(cluster::ClientConfig config) : channel_(std::make_unique<Channel>(config)), config_(std::move(config)) {}
Admin::~Admin() = default;

std::vector<TopicResult> Admin::create_topics(const std::vector<NewTopic>& topics, const CreateTopicsOptions& options) {
  return controller_call(
      *channel_, translate::create_topics_request(topics, options), [](auto& r) -> auto& { return r.topics; },
      [&](const protocol::CreateTopicsResponse& r) { return translate::create_topics_results(r, topics); });
}

std::vector<TopicResult> Admin::delete_topics(const std::vector<std::string>& names, std::int32_t timeout_ms) {
  return controller_call(
      *channel_, translate::delete_topics_request(names, timeout_ms), [](auto& r) -> auto& { return r.responses; },
      [&](const protocol::DeleteTopicsResponse& r) { return translate::delete_topics_results(r, names); });
}

std::vector<TopicResult> Admin::create_partitions(const std::vector<NewPartitions>& topics,
                                                  const CreateTopicsOptions& options) {
  return controller_call(
      *channel_, translate::create_partitions_request(topics, options), [](auto& r) -> auto& { return r.results; },
      [&](const protocol::CreatePartitionsResponse& r) { return translate::create_partitions_results(r, topics); });
}

std::vector<TopicDescription> Admin::list_topics(bool include_internal) {
  return translate::topic_descriptions(channel_->call(Route::any_broker(), translate::metadata_request({})),
                                       include_internal);
}

std::vector<TopicDescription> Admin::describe_topics(const std::vector<std::string>& names) {
  return or_fail_each<TopicDescription>(
      names, [](const std::string& n, TopicDescription& d) { d.name = n; },
      [&] {
        return translate::topic_descriptions(channel_->call(Route::any_broker(), translate::metadata_request(names)),
                                             true);
      });
}

ClusterDescription Admin::describe_cluster() {
  try {
    const auto response = channel_->call(Route::any_broker(), protocol::DescribeClusterRequest{});
    return translate::cluster_description(response);
  } catch (const AdminError& e) {
    if (e.code() != client_errc::unsupported_version) throw;
  }
  protocol::MetadataRequest request;  // before KIP-700 (Kafka 2.8): Metadata's brokers
  request.topics.emplace();
  return translate::cluster_description(channel_->call(Route::any_broker(), request));
}

std::vector<ConfigDescription> Admin::describe_configs(const std::vector<ConfigResource>& resources,
                                                       const std::vector<std::string>& keys) {
  return or_fail_each<ConfigDescription>(
      resources, [](const ConfigResource& c, ConfigDescription& d) { d.resource = c; },
      [&] {
        // A broker's own configs are only that broker's to describe; topics
        // and the cluster-wide defaults any broker answers.
        std::vector<std::future<cluster::Result<protocol::DescribeConfigsResponse>>> pending;
        for (const auto& resource : resources)
          pending.push_back(channel_->submit(route_for(resource), translate::describe_configs_request({resource}, keys)));
        std::vector<ConfigDescription> out;
        for (auto& f : pending)
          for (auto& d : translate::config_descriptions(Channel::wait(f, protocol::ApiKey::describe_configs)))
            out.push_back(std::move(d));
        return out;
      });
}

std::vector<ResourceResult> Admin::alter_configs(const std::vector<ResourceChanges>& changes, bool validate_only) {
  return or_fail_each<ResourceResult>(
      changes, [](const ResourceChanges& c, ResourceResult& r) { r.resource = c.resource; },
      [&] {
        std::vector<std::future<cluster::Result<protocol::IncrementalAlterConfigsResponse>>> pending;
        for (const auto& change : changes)
          pending.push_back(
              channel_->submit(route_for(change.resource, Route::controller()),
                               translate::alter_configs_request({change}, validate_only)));
        std::vector<ResourceResult> out;
        for (auto& f : pending)
          for (auto& r : translate::alter_configs_results(Channel::wait(f, protocol::ApiKey::incremental_alter_configs)))
            out.push_back(std::move(r));
        return out;
      });
}

}  // namespace kwire::admin
