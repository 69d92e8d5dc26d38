#include "kwire/net/connection_pool.hpp"

#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(io_context.hpp)
#include KWIRE_ASIO_INCLUDE(post.hpp)

#include "kwire/protocol/client_error.hpp"

namespace kwire::net {

ConnectionPool::ConnectionPool(asio::io_context& io, ConnectionOptions base, std::shared_ptr<bool> alive)
    : io_(io), base_(std::move(base)), alive_(std::move(alive)) {}

ConnectionPool::~ConnectionPool() {
  // Normally empty by now (the client disconnected everything on shutdown).
  for (auto& [node, connection] : connections_) connection->close();
}

void ConnectionPool::connect(std::int32_t node, const BrokerEndpoint& endpoint, std::chrono::milliseconds setup_timeout,
                            ReadyHandler on_ready, CloseHandler on_close) {
  if (auto it = connections_.find(node); it != connections_.end()) {
    std::shared_ptr<Connection> old = std::move(it->second);
    connections_.erase(it);
    old->close();
  }
  ConnectionOptions options = base_;
  options.host = endpoint.host;
  options.port = endpoint.port;
  options.connect_timeout = setup_timeout;
  std::shared_ptr<Connection> connection = Connection::create(io_, std::move(options));
  connections_[node] = connection;
  std::weak_ptr<Connection> weak = connection;
  connection->connect([alive = alive_, weak, on_ready = std::move(on_ready),
                       on_close = std::move(on_close)](std::error_code ec) mutable {
    if (!*alive) return;
    if (!ec) {
      if (std::shared_ptr<Connection> c = weak.lock())
        c->set_close_handler([alive, on_close = std::move(on_close)](std::error_code reason) {
          if (*alive) on_close(reason);
        });
    }
    on_ready(ec);
  });
}

std::optional<std::int16_t> ConnectionPool::negotiated_version(std::int32_t node, protocol::ApiKey api) const {
  auto it = connections_.find(node);
  if (it == connections_.end() || !it->second->is_open()) return std::nullopt;
  return it->second->negotiated_version(api);
}

void ConnectionPool::send(std::int32_t node, protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
                         bool expect_response, ResponseHandler on_response) {
  send_gathered(node, api, version, std::move(body), {}, expect_response, std::move(on_response));
}

void ConnectionPool::send_gathered(std::int32_t node, protocol::ApiKey api, std::int16_t version,
                                  std::vector<std::uint8_t> body, std::vector<protocol::Splice> splices,
                                  bool expect_response, ResponseHandler on_response) {
  auto it = connections_.find(node);
  if (it == connections_.end()) {
    // Never call back from inside send() (Transport contract).
    asio::post(io_, [alive = alive_, h = std::move(on_response)] {
      if (*alive) h(make_error_code(client_errc::disconnected), {});
    });
    return;
  }
  it->second->send_gathered(api, version, std::move(body), std::move(splices), expect_response,
                       [alive = alive_, h = std::move(on_response)](std::error_code ec,
                                                                    std::span<const std::uint8_t> response) {
                         if (*alive) h(ec, response);
                       });
}

std::string ConnectionPool::connection_detail(std::int32_t node) const {
  auto it = connections_.find(node);
  if (it == connections_.end()) return {};
  const Connection& c = *it->second;
  if (c.is_open()) {
    std::string detail = "ApiVersions v" + std::to_string(c.api_versions_version());
    if (c.options().security.tls) detail += ", TLS";
    if (!c.sasl_mechanism().empty()) detail += ", SASL " + c.sasl_mechanism();
    return detail;
  }
  return c.error_detail();
}

const protocol::ApiVersionsResponse* ConnectionPool::api_versions(std::int32_t node) const {
  auto it = connections_.find(node);
  if (it == connections_.end() || !it->second->is_open()) return nullptr;
  return &it->second->broker_versions();
}

void ConnectionPool::disconnect(std::int32_t node) {
  auto it = connections_.find(node);
  if (it == connections_.end()) return;
  std::shared_ptr<Connection> connection = std::move(it->second);
  connections_.erase(it);
  connection->close();
}

std::string ConnectionPool::connection_error_detail(std::int32_t node) const {
  // A failed connection stays in the map until the next connect() replaces it.
  auto it = connections_.find(node);
  return it == connections_.end() ? std::string() : it->second->error_detail();
}

void ConnectionPool::disconnect_all() {
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [node, connection] : connections) connection->close();
}

}  // namespace kwire::net
