#pragma once
// Admin::Channel: Admin's requests through the cluster layer (issue 14's
// facade): a ClusterRuntime owns the network thread, the connections, the
// routing (Route: any broker, node, partition leader, group / transaction
// coordinator, controller) and the one retry loop. Admin's calls block
// the calling thread on the runtime's answer; per-item errors that mean
// "ask again" are handed to that retry loop through ResponseCheck (see
// translate::retry_verdict).
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kwire/admin/admin.hpp"
#include "kwire/admin/translate.hpp"
#include "kwire/cluster/cluster_runtime.hpp"
#include "kwire/protocol/api.hpp"
#include "kwire/protocol/metadata.hpp"

namespace kwire::admin {

using cluster::Route;

/// A ResponseCheck that hands per-item errors to the retry loop as
/// translate::retry_verdict judges them.
template <class Req, class Resp = cluster::response_t<Req>>
cluster::ResponseCheck<Req, Resp> by_verdict() {
  return [](const Resp& response, Req&) { return translate::retry_verdict(response); };
}

class Admin::Channel {
 public:
  explicit Channel(const cluster::ClientConfig& config)
      : timeout_(std::chrono::milliseconds(std::max<std::int64_t>(config.request_timeout_ms, 1000) * 2)),
        runtime_(config) {}

  /// Sends `request` to `route` without waiting (calls may run in parallel).
  template <class Req, class Resp = cluster::response_t<Req>>
  std::future<cluster::Result<Resp>> submit(Route route, Req request, cluster::ResponseCheck<Req, Resp> check = {},
                                            std::int16_t max_version = Req::max_version) {
    auto promise = std::make_shared<std::promise<cluster::Result<Resp>>>();
    auto future = promise->get_future();
    const std::int64_t deadline = cluster::saturating_add(cluster::ClusterRuntime::now_ms(), timeout_.count());
    runtime_.post(
        [route = std::move(route), request = std::move(request), check = std::move(check), max_version, deadline,
         promise](cluster::Cluster& cluster) mutable {
          cluster.request<Req, Resp>(
              std::move(route), std::move(request), deadline,
              [promise](cluster::Result<Resp> result) { promise->set_value(std::move(result)); }, std::move(check),
              max_version);
        },
        [promise] {
          cluster::Result<Resp> result;
          result.error = make_error_code(client_errc::shutting_down);
          result.detail = "the admin client is closed";
          promise->set_value(std::move(result));
        });
    return future;
  }

  /// The response of a submitted request; AdminError when it failed as a
  /// whole (no answer by the deadline, a top-level error, ...).
  template <class Resp>
  static Resp wait(std::future<cluster::Result<Resp>>& future, protocol::ApiKey api) {
    cluster::Result<Resp> result = future.get();
    if (!result.ok() || !result.response)
      throw AdminError(result.error ? result.error : make_error_code(client_errc::malformed),
                       std::string(protocol::api_name(api)) + ": " +
                           (result.detail.empty() ? result.error.message() : result.detail));
    return std::move(*result.response);
  }

  /// submit() and wait().
  template <class Req, class Resp = cluster::response_t<Req>>
  Resp call(Route route, Req request, cluster::ResponseCheck<Req, Resp> check = {},
            std::int16_t max_version = Req::max_version) {
    auto future = submit<Req, Resp>(std::move(route), std::move(request), std::move(check), max_version);
    return wait(future, Req::api_key);
  }

  /// Sends `request` to every broker Metadata lists (ListGroups and
  /// ListTransactions: each coordinator knows only its own); the answers by
  /// broker id.
  template <class Req, class Resp = cluster::response_t<Req>>
  std::vector<std::pair<std::int32_t, Resp>> call_every_broker(const Req& request) {
    protocol::MetadataRequest brokers_only;
    brokers_only.topics.emplace();  // no topics: brokers only
    const auto metadata = call(Route::any_broker(), brokers_only);
    std::vector<std::pair<std::int32_t, std::future<cluster::Result<Resp>>>> pending;
    for (const auto& broker : metadata.brokers)
      pending.emplace_back(broker.node_id, submit<Req, Resp>(Route::node(NodeId{broker.node_id}), request));
    std::vector<std::pair<std::int32_t, Resp>> answers;
    for (auto& [node, future] : pending) answers.emplace_back(node, wait(future, Req::api_key));
    return answers;
  }

 private:
  std::chrono::milliseconds timeout_;  ///< each call's deadline: two request timeouts (retries included)
  cluster::ClusterRuntime runtime_;
};

}  // namespace kwire::admin
