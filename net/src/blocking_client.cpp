#include "kwire/net/blocking_client.hpp"

#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(io_context.hpp)

namespace kwire::net {

struct BlockingClient::Io {
  asio::io_context context;
};

BlockingClient::BlockingClient(std::vector<ConnectionOptions> candidates, std::chrono::milliseconds wait_limit)
    : io_(std::make_unique<Io>()), candidates_(std::move(candidates)), wait_limit_(wait_limit) {}

BlockingClient::BlockingClient(BlockingClient&&) noexcept = default;
BlockingClient& BlockingClient::operator=(BlockingClient&&) noexcept = default;

BlockingClient::~BlockingClient() {
  if (!io_) return;  // moved from
  if (connection_) connection_->close();
  io_->context.poll();  // let the connection deliver its shutdown callbacks
}

std::error_code BlockingClient::connect() {
  std::error_code last = make_error_code(client_errc::no_broker_reachable);
  error_detail_.clear();
  for (const auto& options : candidates_) {
    if (connection_) connection_->close();
    connection_ = Connection::create(io_->context, options);
    bool done = false;
    connection_->connect([&](std::error_code ec) {
      last = ec;
      done = true;
    });
    if (auto ec = run_until([&] { return done; })) last = ec;
    if (!last) return {};
    error_detail_ = connection_->error_detail();
    if (is_authentication_error(last)) break;
  }
  return last;
}

void BlockingClient::poll() {
  io_->context.restart();
  io_->context.poll();
}

std::error_code BlockingClient::run_until(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + wait_limit_;
  io_->context.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return make_error_code(client_errc::timed_out);
    io_->context.run_one_for(std::chrono::milliseconds(100));
  }
  return {};
}

}  // namespace kwire::net
