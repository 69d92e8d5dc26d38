#pragma once
// The request side of one Kafka connection, without a socket or a timer
// (STYLE lesson 8): framing and correlating requests, batching them for
// writes, matching response frames to them, their deadlines, and failing
// them all in send order. Connection (connection.cpp) moves the bytes and
// runs the timer; tests feed bytes and a clock directly
// (tests/unit/net/request_pipeline_test.cpp).
//
// Kafka answers the requests of one connection in the order it received them
// (protocol guide, "Network"), so a response always belongs to the oldest
// request that awaits one, and any other correlation id means the
// connection lost sync: it must close, since later responses cannot be
// matched either.
//
// Threading: not thread-safe; Connection calls it on its io_context's thread
// only. Response and write handlers run inside on_bytes()/complete_write();
// a handler may submit more requests, or fail_all() the pipeline (on_bytes
// then stops at once).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/net/frame_decoder.hpp"
#include "kwire/protocol/api.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/writer.hpp"

namespace kwire::net {

class RequestPipeline {
 public:
  using Clock = std::chrono::steady_clock;
  /// The same signature as Connection::ResponseHandler.
  using ResponseHandler = std::function<void(std::error_code, std::span<const std::uint8_t> response_body)>;

  /// Largest number of queued requests gathered into one write.
  static constexpr std::size_t kMaxRequestsPerWrite = 64;

  /// One request as the caller hands it over: its body already encoded at
  /// `version`; the pipeline adds the size and request header.
  struct Request {
    protocol::ApiKey api{};
    std::int16_t version = 0;
    std::vector<std::uint8_t> body;
    /// Bytes written from where they lie, inside `body` (scatter-gather).
    std::vector<protocol::Splice> splices;
    /// false for Produce acks=0: `handler` runs once the request is written.
    bool expect_response = true;
    ResponseHandler handler;
  };

  RequestPipeline(std::string client_id, std::chrono::milliseconds request_timeout, std::size_t max_frame_bytes);

  // ---- sending -------------------------------------------------------------

  /// Queues a caller's request for writing, due `request_timeout` after
  /// `now`; while holding() (a KIP-368 re-authentication is running) it is
  /// held instead, to be queued by stop_holding(). Fails with
  /// client_errc::frame_too_large, leaving `request` (and its handler) with
  /// the caller, when the frame would exceed the int32 size.
  std::error_code submit(Request& request, Clock::time_point now);
  /// Queues kwire's own request (ApiVersions, SaslHandshake,
  /// SaslAuthenticate): never held, not counted by in_flight().
  std::error_code submit_internal(Request& request, Clock::time_point now);
  /// Queues a SaslHandshake v0 token: an int32 size and the token, no header
  /// (KIP-43). With `expect_reply` the broker's reply is a bare frame too,
  /// handed to `handler` as it is.
  void submit_raw_token(std::vector<std::uint8_t> token, bool expect_reply, ResponseHandler handler,
                        Clock::time_point now);

  /// KIP-368: from start_holding() until stop_holding() the broker must see
  /// only the re-authentication, so submit() holds the caller's requests.
  void start_holding() noexcept { holding_ = true; }
  /// Queues the held requests in their order, keeping their send order
  /// and deadlines. Returns those refused as frame_too_large, for the caller
  /// to fail.
  std::vector<Request> stop_holding();
  bool holding() const noexcept { return holding_; }

  // ---- writing -------------------------------------------------------------

  /// True when requests wait to be written and no write is in progress.
  bool write_ready() const noexcept { return !writing_now_ && !write_queue_.empty() && !failed_; }
  /// Moves up to kMaxRequestsPerWrite queued requests into the write in
  /// progress and returns its pieces in order (each request's prefix, then
  /// its body with the spliced bytes in place). The pieces stay valid until
  /// complete_write(), even after fail_all(): the aborted write still
  /// points into them.
  std::vector<std::span<const std::uint8_t>> start_write();
  /// Ends the write in progress (successfully: an error fails the whole
  /// connection instead). Returns the handlers of the requests without a
  /// response, now complete; the caller runs them with no error.
  std::vector<ResponseHandler> complete_write();
  bool writing() const noexcept { return writing_now_; }

  // ---- reading -------------------------------------------------------------

  /// Feeds bytes read from the socket: frames are cut out and each goes to
  /// the oldest awaiting request's handler (response header stripped,
  /// header version from protocol::response_header_version, so
  /// ApiVersions's is v0 as KIP-511 requires). Returns the error that must
  /// fail the connection — the FrameDecoder's, client_errc::malformed for a
  /// frame too short for its header, client_errc::correlation_mismatch for
  /// a response nobody awaits or with another correlation id — or {} once
  /// `data` is consumed (or a handler called fail_all()).
  std::error_code on_bytes(std::span<const std::uint8_t> data);

  // ---- time and failure ----------------------------------------------------

  /// The oldest pending request's deadline: responses, writes of requests
  /// without one, held requests. Deadlines grow with send order within each
  /// queue, so the front of each is enough. nullopt with nothing pending.
  std::optional<Clock::time_point> earliest_deadline() const;

  /// Takes every pending handler (awaiting, queued, being written, held) in
  /// send order and forgets the requests, for the caller to run with the
  /// connection's error. Afterwards the pipeline accepts nothing more and
  /// on_bytes() stops; the pieces of a write in progress stay valid until
  /// its complete_write().
  std::vector<ResponseHandler> fail_all();
  bool failed() const noexcept { return failed_; }

  /// Requests sent and not yet complete: awaiting a response, not yet written
  /// (without a response) and held; kwire's own (submit_internal,
  /// submit_raw_token) not counted.
  std::size_t in_flight() const noexcept {
    return awaiting_.size() - internal_awaiting_ + unanswered_pending_ + held_.size();
  }

 private:
  struct Outgoing {
    std::uint64_t seq = 0;
    std::vector<std::uint8_t> prefix;  ///< size and request header
    std::vector<std::uint8_t> body;
    std::vector<protocol::Splice> splices;
    ResponseHandler on_written;  ///< set only for requests without a response
    Clock::time_point deadline;
  };
  struct Awaiting {
    std::uint64_t seq = 0;
    std::int32_t correlation_id = 0;
    protocol::ApiKey api{};
    std::int16_t version = 0;
    ResponseHandler on_response;
    Clock::time_point deadline;
    bool raw = false;       ///< a SaslHandshake v0 token: the reply is a bare frame
    bool internal = false;  ///< kwire's own request, not counted by in_flight()
  };
  struct Held {
    std::uint64_t seq = 0;
    Clock::time_point deadline;
    Request request;
  };

  std::error_code enqueue(Request& request, bool internal, Clock::time_point deadline, std::uint64_t seq);
  std::int32_t next_correlation_id() noexcept;
  /// One response frame for the oldest awaiting request.
  std::error_code on_frame(std::span<const std::uint8_t> frame);

  protocol::RequestHeader header_;  ///< reused: only key, version and id change
  std::chrono::milliseconds request_timeout_;
  std::int32_t correlation_counter_ = 0;
  std::uint64_t next_seq_ = 0;
  bool holding_ = false;
  bool failed_ = false;

  std::deque<Held> held_;
  std::deque<Outgoing> write_queue_;
  std::vector<Outgoing> writing_;  ///< the requests of the write in progress
  bool writing_now_ = false;
  std::deque<Awaiting> awaiting_;
  std::size_t internal_awaiting_ = 0;
  std::size_t unanswered_pending_ = 0;  ///< requests without a response, not yet written

  FrameDecoder decoder_;
};

}  // namespace kwire::net
