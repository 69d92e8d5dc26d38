#include "broker_session.hpp"

#include <cstdio>
#include <string_view>

#include <kwire/cluster/security_options.hpp>

#include "options.hpp"

namespace kwire::cli {

cluster::ClientConfig client_config(const CommonOptions& options) {
  auto properties = options.properties;
  properties["bootstrap.servers"] = options.bootstrap;
  return cluster::ClientConfig::from_properties(properties);
}

producer::ProducerConfig producer_config(const CommonOptions& options) {
  auto properties = options.properties;
  properties["bootstrap.servers"] = options.bootstrap;
  return producer::ProducerConfig::from_properties(properties);
}

net::BlockingClient make_client(const cluster::ClientConfig& config) {
  // TLS and SASL from -X security.protocol / sasl.* / ssl.*: one TLS context
  // for every candidate (bad certificate files fail here, as ConfigError).
  const net::ConnectionSecurity security = cluster::make_security_options(config);
  std::vector<net::ConnectionOptions> candidates;
  for (const auto& address : config.bootstrap_addresses()) {
    net::ConnectionOptions options;
    options.host = address.host;
    options.port = address.port;
    options.client_id = config.client_id;
    options.connect_timeout = std::chrono::milliseconds(config.socket_connection_setup_timeout_ms);
    options.request_timeout = std::chrono::milliseconds(config.request_timeout_ms);
    options.security = security;
    // The error code alone says "authentication failed"; the detail says
    // which certificate or credential and what the broker answered.
    options.diagnostics = [](std::string_view line) {
      std::fprintf(stderr, "kwire: %.*s\n", static_cast<int>(line.size()), line.data());
    };
    candidates.push_back(std::move(options));
  }
  auto limit = std::chrono::milliseconds(config.socket_connection_setup_timeout_ms + config.request_timeout_ms);
  return net::BlockingClient(std::move(candidates), limit);
}

std::string connect_failure(const net::BlockingClient& client, std::error_code ec) {
  std::string text = error_name(ec);
  if (!client.error_detail().empty()) text += ": " + client.error_detail();
  return text;
}

}  // namespace kwire::cli
