#include "broker_session.hpp"

#include "options.hpp"

namespace kwire::cli {

producer::ProducerConfig client_config(const CommonOptions& options) {
  auto properties = options.properties;
  properties["bootstrap.servers"] = options.bootstrap;
  return producer::ProducerConfig::from_properties(properties);
}

net::BlockingClient make_client(const producer::ProducerConfig& config) {
  std::vector<net::ConnectionOptions> candidates;
  for (const auto& address : config.bootstrap_addresses()) {
    net::ConnectionOptions options;
    options.host = address.host;
    options.port = address.port;
    options.client_id = config.client_id;
    options.connect_timeout = std::chrono::milliseconds(config.socket_connection_setup_timeout_ms);
    options.request_timeout = std::chrono::milliseconds(config.request_timeout_ms);
    candidates.push_back(std::move(options));
  }
  auto limit = std::chrono::milliseconds(config.socket_connection_setup_timeout_ms + config.request_timeout_ms);
  return net::BlockingClient(std::move(candidates), limit);
}

}  // namespace kwire::cli
