#pragma once
// Admin::Channel: how an admin request reaches the broker that must answer
// it. STOPGAP until the cluster facade of issue 14 (cluster::Cluster with
// Route and request<Req>) lands: then every call() below becomes one
// Cluster::request(route, ...) and this file goes. Until then it is
// deliberately simple — blocking connections, no retry loop: a bootstrap
// connection for Route-any requests, FindCoordinator / Metadata lookups for
// coordinator and leader requests, one connection per broker address.
#include <map>
#include <memory>
#include <string>
#include <variant>

#include "kwire/admin/admin.hpp"
#include "kwire/net/blocking_client.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/metadata.hpp"

namespace kwire::admin {

/// Where a request goes (the facade's Route, by another name until it lands).
struct Destination {
  enum class Kind { any, group_coordinator, transaction_coordinator, leader };
  Kind kind = Kind::any;
  std::string key;           ///< group id / transactional id
  TopicPartition partition;  ///< for leader
};

class Admin::Channel {
 public:
  explicit Channel(const cluster::ClientConfig& config) : config_(config) {}

  /// The version of `Req` the destination's broker would be sent (at most
  /// `max_version`), for requests whose shape depends on it; nullopt when
  /// the broker does not offer the API. Throws AdminError when the
  /// destination cannot be reached.
  template <class Req, class Resp>
  std::optional<std::int16_t> version_for(const Destination& to, std::int16_t max_version = Req::max_version) {
    net::BlockingClient& client = client_for(to);
    return net::request_version<Req, Resp>(client.connection().negotiated_version(Req::api_key), max_version);
  }

  /// Sends `request` to `to` and decodes the answer into `response`.
  /// Throws AdminError when the destination cannot be reached or the request
  /// fails as a whole (timeout, disconnect, unsupported version).
  template <class Resp, class Req>
  void call(const Destination& to, const Req& request, Resp& response, std::int16_t max_version = Req::max_version) {
    send(client_for(to), request, response, max_version);
  }

  /// Sends `request` to every broker Metadata lists (ListGroups and
  /// ListTransactions: each coordinator knows only its own); the answers by
  /// broker id.
  template <class Resp, class Req>
  std::vector<std::pair<std::int32_t, Resp>> call_every_broker(const Req& request) {
    std::vector<std::pair<std::int32_t, Resp>> answers;
    for (const auto& broker : brokers()) {
      Resp& response = answers.emplace_back(broker.node_id, Resp{}).second;
      send(connect_to(broker.host, broker.port), request, response, Req::max_version);
    }
    return answers;
  }

 private:
  template <class Resp, class Req>
  static void send(net::BlockingClient& client, const Req& request, Resp& response, std::int16_t max_version) {
    std::int16_t used = -1;
    if (auto ec = client.request(request, response, used, max_version))
      throw AdminError(ec, std::string(protocol::api_name(Req::api_key)) + ": " + ec.message());
  }

  net::BlockingClient& bootstrap();
  std::vector<protocol::MetadataResponse::Broker> brokers();
  net::BlockingClient& client_for(const Destination& to);
  net::BlockingClient& connect_to(const std::string& host, std::int32_t port);
  /// FindCoordinator for `key`: the coordinator's host and port.
  std::pair<std::string, std::int32_t> find_coordinator(protocol::CoordinatorType type, const std::string& key);
  std::pair<std::string, std::int32_t> find_leader(const TopicPartition& partition);

  cluster::ClientConfig config_;
  std::unique_ptr<net::BlockingClient> bootstrap_;
  std::map<std::string, std::unique_ptr<net::BlockingClient>> by_address_;  ///< "host:port"
};

}  // namespace kwire::admin
