#include "broker_session.hpp"

#include <asio/io_context.hpp>

#include "options.hpp"

namespace kwire::cli {

producer::ProducerConfig client_config(const CommonOptions& options) {
  auto properties = options.properties;
  properties["bootstrap.servers"] = options.bootstrap;
  return producer::ProducerConfig::from_properties(properties);
}

struct BrokerSession::Io {
  asio::io_context context;
};

BrokerSession::BrokerSession(const producer::ProducerConfig& config)
    : io_(std::make_unique<Io>()),
      config_(config),
      timeout_(config.request_timeout_ms + config.socket_connection_setup_timeout_ms) {}

BrokerSession::~BrokerSession() {
  if (connection_) connection_->close();
  io_->context.poll();  // let the connection deliver its shutdown callbacks
}

std::error_code BrokerSession::connect() {
  // Like a client's bootstrap: try each address in turn, keep the first
  // that connects and negotiates.
  std::error_code last;
  for (const auto& address : config_.bootstrap_addresses()) {
    net::ConnectionOptions options;
    options.host = address.host;
    options.port = address.port;
    options.client_id = config_.client_id;
    options.connect_timeout = std::chrono::milliseconds(config_.socket_connection_setup_timeout_ms);
    options.request_timeout = std::chrono::milliseconds(config_.request_timeout_ms);
    connection_ = net::Connection::create(io_->context, options);
    bool done = false;
    connection_->connect([&](std::error_code ec) {
      last = ec;
      done = true;
    });
    if (auto ec = run_until([&] { return done; })) last = ec;
    if (!last) return {};
    connection_->close();
  }
  return last;
}

std::error_code BrokerSession::run_until(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  io_->context.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return make_error_code(client_errc::timed_out);
    io_->context.run_one_for(std::chrono::milliseconds(100));
  }
  return {};
}

}  // namespace kwire::cli
