#pragma once
// ConnectionPool: the Transport every client runs on, one Connection
// per node id on an Asio io_context (Asio stays out of this header).
//
// Every handler handed to a Connection is wrapped with the shared `alive`
// flag (NetworkLoop::alive_flag()): once the client's network side has shut
// down (flag false, set on the io thread), late callbacks — posted errors, or
// those a Connection runs from its destructor when the io_context goes away —
// do nothing, so they never reach a destroyed client core.
#include <memory>
#include <unordered_map>

#include "kwire/net/connection.hpp"
#include "kwire/net/transport.hpp"
#include "kwire/net/asio_fwd.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::net {

class ConnectionPool final : public Transport {
 public:
  /// `base` supplies client id, request timeout and frame limits; host, port
  /// and connect timeout are set per connection.
  ConnectionPool(asio::io_context& io, ConnectionOptions base, std::shared_ptr<bool> alive);
  ~ConnectionPool() override;

  void connect(std::int32_t node, const BrokerEndpoint& endpoint, std::chrono::milliseconds setup_timeout,
               ReadyHandler on_ready, CloseHandler on_close) override;
  std::optional<std::int16_t> negotiated_version(std::int32_t node, protocol::ApiKey api) const override;
  void send(std::int32_t node, protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
            bool expect_response, ResponseHandler on_response) override;
  void send_gathered(std::int32_t node, protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
                     std::vector<protocol::Splice> splices, bool expect_response,
                     ResponseHandler on_response) override;
  void disconnect(std::int32_t node) override;
  std::string connection_error_detail(std::int32_t node) const override;
  std::string connection_detail(std::int32_t node) const override;
  const protocol::ApiVersionsResponse* api_versions(std::int32_t node) const override;
  /// Closes every connection (pending handlers run now).
  void disconnect_all();

 private:
  asio::io_context& io_;
  ConnectionOptions base_;
  std::shared_ptr<bool> alive_;
  std::unordered_map<std::int32_t, std::shared_ptr<Connection>> connections_;
};

}  // namespace kwire::net

KWIRE_PUBLIC_END
