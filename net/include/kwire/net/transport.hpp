#pragma once
// The network as a client's sans-I/O core sees it: at most one connection
// per node id, request bodies in and response bodies out. ConnectionPool
// (connection_pool.hpp) puts a net::Connection behind each node; unit tests
// put a scripted fake behind it (tests/support/fake_transport.hpp) and drive
// the core with an injected clock, without sockets (docs/architecture.md,
// "Sans-I/O cores").
//
// Contract, shared with net::Connection:
//  * Everything runs on the network thread.
//  * Handlers never run inside connect() or send() (errors found at call
//    time are posted); they may run inside disconnect(), which fails what
//    is pending with client_errc::shutting_down before it returns.
//  * Each handler runs exactly once. A connection's response handlers run in
//    send order.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::net {

/// Where a broker listens. Bootstrap servers get node ids -1, -2, … (as in
/// Java's clients) until the first Metadata response names the real ones.
struct BrokerEndpoint {
  std::int32_t node_id = -1;
  std::string host;
  std::uint16_t port = 0;
  std::optional<std::string> rack;

  std::string address() const;  ///< "host:port" ("[::1]:9092" for IPv6)
  friend bool operator==(const BrokerEndpoint&, const BrokerEndpoint&) = default;
};

/// While a Transport::ResponseHandler runs, the buffer of the frame its
/// `body` points into, handed over by move: a handler that keeps views into
/// the body after it returns (the consumer's Fetch records, walked in place
/// later) takes it instead of copying them out. `points_into` must lie in
/// the frame (it guards against a caller that is not inside the handler of
/// the frame it thinks); nullptr when it does not, when there is no current
/// frame (outside a handler, scripted transports in tests) or once taken.
/// Network thread only (thread-local).
std::shared_ptr<const std::vector<std::uint8_t>> take_response_frame(const std::uint8_t* points_into);

namespace detail {
/// Makes `frame` the current response frame (take_response_frame) for the
/// scope's lifetime; the pipeline wraps each response handler's call in one.
class ResponseFrameScope {
 public:
  explicit ResponseFrameScope(std::vector<std::uint8_t>& frame) noexcept;
  ~ResponseFrameScope();
  ResponseFrameScope(const ResponseFrameScope&) = delete;
  ResponseFrameScope& operator=(const ResponseFrameScope&) = delete;

 private:
  std::vector<std::uint8_t>* previous_;
};
}  // namespace detail

class Transport {
 public:
  using ReadyHandler = std::function<void(std::error_code)>;
  /// `body` is the response after its header, valid only during the call;
  /// empty on error and for requests without a response (acks=0).
  using ResponseHandler = std::function<void(std::error_code, std::span<const std::uint8_t> body)>;
  using CloseHandler = std::function<void(std::error_code)>;

  virtual ~Transport() = default;

  /// Opens a connection to `node` at `endpoint` (replacing a closed one):
  /// connect, then ApiVersions negotiation, bounded by `setup_timeout`.
  /// `on_ready(error)` once. If it succeeded, `on_close(reason)` runs once
  /// when that connection later closes for any reason (after its pending
  /// response handlers), disconnect() included.
  virtual void connect(std::int32_t node, const BrokerEndpoint& endpoint, std::chrono::milliseconds setup_timeout,
                       ReadyHandler on_ready, CloseHandler on_close) = 0;

  /// The version of `api` negotiated on `node`'s open connection (highest
  /// common version, never below kwire's floor); nullopt if not open or none.
  virtual std::optional<std::int16_t> negotiated_version(std::int32_t node, protocol::ApiKey api) const = 0;

  /// Sends a request body already encoded at `version`. With
  /// `expect_response` false (Produce acks=0) the handler runs once the
  /// request is written. Errors: client_errc::disconnected when `node` has no
  /// open connection; the connection's own errors (timed_out after
  /// request.timeout.ms, disconnected, malformed, ...) fail every request
  /// pending on it.
  virtual void send(std::int32_t node, protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
                    bool expect_response, ResponseHandler on_response) = 0;

  /// A secret-free note on `node`'s connection for logs: once it is ready,
  /// how it authenticated (e.g. "SASL SCRAM-SHA-256"); after a failed
  /// setup, why (e.g. the broker's SASL error). Empty when there is nothing
  /// to add.
  virtual std::string connection_detail(std::int32_t /*node*/) const { return {}; }

  /// send() with scatter-gather: the body is `body` with every splice's
  /// bytes inserted at its offset (protocol::Splice), e.g. a Produce request
  /// whose record batches stay where they are. The spliced bytes stay valid
  /// and unchanged until `on_response` runs. The default joins them into
  /// one body and calls send() (a fake transport sees whole requests);
  /// ConnectionPool writes them as they lie.
  virtual void send_gathered(std::int32_t node, protocol::ApiKey api, std::int16_t version,
                             std::vector<std::uint8_t> body, std::vector<protocol::Splice> splices,
                             bool expect_response, ResponseHandler on_response) {
    if (splices.empty()) return send(node, api, version, std::move(body), expect_response, std::move(on_response));
    std::vector<std::uint8_t> whole;
    protocol::append_spliced(whole, body, splices);
    send(node, api, version, std::move(whole), expect_response, std::move(on_response));
  }

  /// What `node`'s open connection learnt from ApiVersions (API ranges,
  /// KIP-584 finalized features); nullptr when not open (the default).
  virtual const protocol::ApiVersionsResponse* api_versions(std::int32_t /*node*/) const { return nullptr; }

  /// Closes `node`'s connection (if any); its pending handlers get
  /// client_errc::shutting_down before this returns.
  virtual void disconnect(std::int32_t node) = 0;

  /// Why `node`'s latest connection failed or closed, when there is more to
  /// say than the error code: net::Connection::error_detail(), e.g. which
  /// certificate check or SASL step failed, on which broker, and the setting
  /// to check. Secret-free. Empty when unknown (the default).
  virtual std::string connection_error_detail(std::int32_t node) const {
    (void)node;
    return {};
  }
};

}  // namespace kwire::net

KWIRE_PUBLIC_END
