// Admin::Channel (see channel.hpp: a stopgap until issue 14's facade).
#include "channel.hpp"

#include <algorithm>

#include "kwire/admin/translate.hpp"
#include "kwire/cluster/security_options.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/metadata.hpp"

namespace kwire::admin {

namespace {

net::ConnectionOptions connection_options(const cluster::ClientConfig& config, const net::ConnectionSecurity& security,
                                          std::string host, std::uint16_t port) {
  net::ConnectionOptions options;
  options.host = std::move(host);
  options.port = port;
  options.client_id = config.client_id;
  options.connect_timeout = std::chrono::milliseconds(config.socket_connection_setup_timeout_ms);
  options.request_timeout = std::chrono::milliseconds(config.request_timeout_ms);
  options.security = security;
  return options;
}

std::unique_ptr<net::BlockingClient> connected(std::vector<net::ConnectionOptions> candidates,
                                               const cluster::ClientConfig& config, const std::string& what) {
  auto limit = std::chrono::milliseconds(config.socket_connection_setup_timeout_ms + config.request_timeout_ms);
  auto client = std::make_unique<net::BlockingClient>(std::move(candidates), limit);
  if (auto ec = client->connect()) {
    std::string text = "cannot connect to " + what + ": " + ec.message();
    if (!client->error_detail().empty()) text += " (" + client->error_detail() + ")";
    throw AdminError(ec, text);
  }
  return client;
}

}  // namespace

net::BlockingClient& Admin::Channel::bootstrap() {
  if (!bootstrap_) {
    const net::ConnectionSecurity security = cluster::make_security_options(config_);
    std::vector<net::ConnectionOptions> candidates;
    for (const auto& address : config_.bootstrap_addresses())
      candidates.push_back(connection_options(config_, security, address.host, address.port));
    bootstrap_ = connected(std::move(candidates), config_, "bootstrap.servers");
  }
  return *bootstrap_;
}

std::vector<protocol::MetadataResponse::Broker> Admin::Channel::brokers() {
  protocol::MetadataRequest request;
  request.topics.emplace();  // no topics: brokers only
  protocol::MetadataResponse response;
  send(bootstrap(), request, response, protocol::MetadataRequest::max_version);
  return response.brokers;
}

net::BlockingClient& Admin::Channel::connect_to(const std::string& host, std::int32_t port) {
  const std::string address = host + ":" + std::to_string(port);
  auto& slot = by_address_[address];
  if (!slot) {
    const net::ConnectionSecurity security = cluster::make_security_options(config_);
    slot = connected({connection_options(config_, security, host, static_cast<std::uint16_t>(port))}, config_, address);
  }
  return *slot;
}

std::pair<std::string, std::int32_t> Admin::Channel::find_coordinator(protocol::CoordinatorType type,
                                                                       const std::string& key) {
  using Req = protocol::FindCoordinatorRequest;
  using Resp = protocol::FindCoordinatorResponse;
  const auto version = net::request_version<Req, Resp>(bootstrap().connection().negotiated_version(Req::api_key));
  if (!version) throw AdminError(make_error_code(client_errc::unsupported_version), "FindCoordinator not offered");
  Req request;
  request.key_type = static_cast<std::int8_t>(type);
  if (*version >= Req::first_batched_version)
    request.coordinator_keys = {key};
  else
    request.key = key;
  Resp response;
  std::int16_t used = -1;
  if (auto ec = bootstrap().request(request, response, used))
    throw AdminError(ec, "FindCoordinator: " + ec.message());
  if (used >= Resp::first_batched_version) {
    if (response.coordinators.empty())
      throw AdminError(make_error_code(client_errc::malformed), "FindCoordinator answered without " + key);
    const auto& c = response.coordinators.front();
    if (c.error_code != kwire::errc::none)
      throw AdminError(make_error_code(c.error_code), "FindCoordinator for " + key + ": " +
                                                          translate::item_error(c.error_code, c.error_message).message());
    return {c.host, c.port};
  }
  if (response.error_code != kwire::errc::none)
    throw AdminError(make_error_code(response.error_code),
                     "FindCoordinator for " + key + ": " +
                         translate::item_error(response.error_code, response.error_message).message());
  return {response.host, response.port};
}

std::pair<std::string, std::int32_t> Admin::Channel::find_leader(const TopicPartition& partition) {
  protocol::MetadataResponse response;
  std::int16_t used = -1;
  if (auto ec = bootstrap().request(translate::metadata_request({partition.topic}), response, used))
    throw AdminError(ec, "Metadata: " + ec.message());
  for (const auto& t : response.topics) {
    if (t.error_code != kwire::errc::none)
      throw AdminError(make_error_code(t.error_code), "Metadata for " + partition.topic + ": " +
                                                          std::string(kafka_error_name(t.error_code)));
    for (const auto& p : t.partitions) {
      if (p.partition_index != partition.partition) continue;
      for (const auto& b : response.brokers)
        if (b.node_id == p.leader_id) return {b.host, b.port};
      throw AdminError(make_error_code(kwire::errc::leader_not_available),
                       partition.topic + "-" + std::to_string(partition.partition) + " has no leader");
    }
  }
  throw AdminError(make_error_code(kwire::errc::unknown_topic_or_partition),
                   partition.topic + "-" + std::to_string(partition.partition) + " does not exist");
}

net::BlockingClient& Admin::Channel::client_for(const Destination& to) {
  switch (to.kind) {
    case Destination::Kind::any: return bootstrap();
    case Destination::Kind::group_coordinator: {
      auto [host, port] = find_coordinator(protocol::CoordinatorType::group, to.key);
      return connect_to(host, port);
    }
    case Destination::Kind::transaction_coordinator: {
      auto [host, port] = find_coordinator(protocol::CoordinatorType::transaction, to.key);
      return connect_to(host, port);
    }
    case Destination::Kind::leader: {
      auto [host, port] = find_leader(to.partition);
      return connect_to(host, port);
    }
  }
  return bootstrap();
}

}  // namespace kwire::admin
