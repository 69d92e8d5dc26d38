#pragma once
// A blocking wrapper around one Connection, for one-shot tools and tests
// (the CLI's api-versions/metadata, conformance checks): connect to the
// first of several brokers that answers, negotiate versions, send typed
// requests and wait for their answers. It owns a private io_context and runs
// it on the calling thread; the producer does not use it.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/net/connection.hpp"

namespace kwire::net {

class BlockingClient {
 public:
  /// `candidates` are tried in order by connect(); each carries its own
  /// timeouts. `wait_limit` bounds every blocking call.
  BlockingClient(std::vector<ConnectionOptions> candidates, std::chrono::milliseconds wait_limit);
  ~BlockingClient();
  BlockingClient(BlockingClient&&) noexcept;
  BlockingClient& operator=(BlockingClient&&) noexcept;

  /// Connects to the first candidate that answers and negotiates versions
  /// (and runs TLS and SASL when the candidates' options ask for them);
  /// returns the last error if none does. Stops at once on
  /// client_errc::authentication_failed: trying the next broker with the
  /// same credentials would only repeat the refusal.
  std::error_code connect();

  /// Why the last connect() failed, in words, when the connection had more to
  /// say than the error code (TLS verification, SASL rejection, ...); empty
  /// otherwise. Secret-free.
  const std::string& error_detail() const noexcept { return error_detail_; }

  /// Sends `req` at the negotiated version (at most `max_version`) and
  /// waits for the response; `version` receives the version used.
  template <protocol::KafkaMessage Resp, protocol::KafkaMessage Req>
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

  /// The connected Connection (after a successful connect()).
  Connection& connection() { return *connection_; }

 private:
  /// Runs the io_context until `done()` or wait_limit passes.
  std::error_code run_until(const std::function<bool()>& done);

  struct Io;
  std::unique_ptr<Io> io_;
  std::vector<ConnectionOptions> candidates_;
  std::shared_ptr<Connection> connection_;
  std::chrono::milliseconds wait_limit_;
  std::string error_detail_;
};

}  // namespace kwire::net
