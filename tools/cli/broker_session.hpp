#pragma once
// A blocking wrapper around one net::Connection for the CLI's one-shot
// commands: connect to the first bootstrap broker, negotiate versions, send
// typed requests and wait for their answers. The producer does not use it.
#include <chrono>
#include <functional>
#include <memory>
#include <system_error>

#include <kwire/net/connection.hpp>
#include <kwire/producer/config.hpp>

namespace kwire::cli {

struct CommonOptions;

/// The client configuration a command runs with: every -X property, with
/// -b as bootstrap.servers. Unknown keys and bad values throw ConfigError.
producer::ProducerConfig client_config(const CommonOptions& options);

class BrokerSession {
 public:
  explicit BrokerSession(const producer::ProducerConfig& config);
  ~BrokerSession();
  BrokerSession(const BrokerSession&) = delete;
  BrokerSession& operator=(const BrokerSession&) = delete;

  /// Connects to the first bootstrap broker that answers and negotiates
  /// versions; returns the last error if none does.
  std::error_code connect();

  /// Sends `request` at the negotiated version (at most `max_version`) and
  /// waits for the response.
  template <class Resp, class Req>
  std::error_code request(const Req& req, Resp& resp, std::int16_t& version,
                          std::int16_t max_version = Req::max_version) {
    bool done = false;
    std::error_code result;
    connection_->request<Resp>(
        req,
        [&](std::error_code ec, Resp& r, std::int16_t v) {
          result = ec;
          if (!ec) resp = std::move(r);
          version = v;
          done = true;
        },
        max_version);
    if (auto ec = run_until([&] { return done; })) return ec;
    return result;
  }

  net::Connection& connection() { return *connection_; }

 private:
  /// Runs the io_context until `done()` or the request timeout passes.
  std::error_code run_until(const std::function<bool()>& done);

  struct Io;
  std::unique_ptr<Io> io_;
  producer::ProducerConfig config_;
  std::shared_ptr<net::Connection> connection_;
  std::chrono::milliseconds timeout_;
};

}  // namespace kwire::cli
