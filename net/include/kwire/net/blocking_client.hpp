#pragma once
// A blocking wrapper around one Connection, for one-shot tools and tests
// (the CLI's api-versions/metadata, conformance checks): connect to the
// first of several brokers that answers, negotiate versions, send typed
// requests and wait for their answers. It owns a private io_context and runs
// it on the calling thread; the producer does not use it.
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/net/connection.hpp"
#include "kwire/net/version_negotiation.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

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
  /// waits for the response; `version` receives the version used. The
  /// response is decoded from a copy of its bytes that the client keeps
  /// until the next request, so views inside it (Fetch and Produce records)
  /// stay valid until then.
  template <protocol::KafkaMessage Resp, protocol::KafkaMessage Req>
  std::error_code request(const Req& req, Resp& resp, std::int16_t& version,
                          std::int16_t max_version = Req::max_version) {
    static_assert(Req::api_key == Resp::api_key, "request and response types belong to different APIs");
    const std::optional<std::int16_t> chosen =
        request_version<Req, Resp>(connection_->negotiated_version(Req::api_key), max_version);
    if (!chosen) return make_error_code(client_errc::unsupported_version);
    version = *chosen;
    std::vector<std::uint8_t> body;
    if (auto ec = protocol::encode_message(req, version, body)) return ec;
    const bool expect_response = detail::expects_response(req);
    bool done = false;
    std::error_code result;
    // Between calls nothing runs the io_context, so a KIP-368
    // re-authentication due meanwhile has not started: let its timer fire
    // first, so the request waits for it instead of reaching a broker whose
    // session expired (which closes the connection; a SaslHandshake after
    // expiry is still accepted).
    poll();
    connection_->send_raw(Req::api_key, version, std::move(body), expect_response,
                          [&](std::error_code ec, std::span<const std::uint8_t> bytes) {
                            result = ec;
                            last_response_.assign(bytes.begin(), bytes.end());
                            done = true;
                          });
    if (auto ec = run_until([&] { return done; })) return ec;
    if (result || !expect_response) return result;
    resp = Resp{};
    return protocol::decode_message(last_response_, version, resp);
  }

  /// The connected Connection (after a successful connect()).
  Connection& connection() { return *connection_; }

 private:
  /// Runs the io_context until `done()` or wait_limit passes.
  std::error_code run_until(const std::function<bool()>& done);
  /// Runs whatever handlers are ready (expired timers), without waiting.
  void poll();

  struct Io;
  std::unique_ptr<Io> io_;
  std::vector<ConnectionOptions> candidates_;
  std::shared_ptr<Connection> connection_;
  std::chrono::milliseconds wait_limit_;
  std::string error_detail_;
  std::vector<std::uint8_t> last_response_;  ///< bytes the last response decoded from
};

}  // namespace kwire::net

KWIRE_PUBLIC_END
