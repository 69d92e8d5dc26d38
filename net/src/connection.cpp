// The only translation unit of the plaintext connection that includes Asio
// (ARCHITECTURE.md "Build cost"): only the headers it needs, not asio.hpp.
#include "kwire/net/connection.hpp"

#include <algorithm>
#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <deque>
#include <limits>
#include <stdexcept>

#include "kwire/net/version_negotiation.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/writer.hpp"

namespace kwire::net {

namespace {
using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

/// Largest number of queued requests gathered into one write.
constexpr std::size_t kMaxRequestsPerWrite = 64;
constexpr std::size_t kReadBufferBytes = 64 * 1024;

enum class State { idle, resolving, connecting, negotiating, ready, closed };
}  // namespace

struct Connection::Impl {
  Impl(Connection& owner, asio::io_context& io_context, ConnectionOptions opts)
      : self(owner),
        io(io_context),
        options(std::move(opts)),
        address(options.host + ":" + std::to_string(options.port)),
        resolver(io_context),
        socket(io_context),
        connect_timer(io_context),
        request_timer(io_context),
        decoder(options.max_frame_bytes),
        read_buffer(kReadBufferBytes) {
    header.client_id = options.client_id;
  }

  // A request not yet written (or being written). The size prefix and header
  // live in `prefix`, the caller's encoded body in `body`: one gather write
  // sends both, so the body is never copied again.
  struct Outgoing {
    std::uint64_t seq = 0;
    std::vector<std::uint8_t> prefix;
    std::vector<std::uint8_t> body;
    ResponseHandler on_written;  ///< set only for requests without a response
    Clock::time_point deadline;
  };
  // A request written (or queued) that awaits its response, in send order.
  struct Awaiting {
    std::uint64_t seq = 0;
    std::int32_t correlation_id = 0;
    protocol::ApiKey api{};
    std::int16_t version = 0;
    ResponseHandler on_response;
    Clock::time_point deadline;
  };

  std::shared_ptr<Connection> keep_alive() { return self.shared_from_this(); }

  // ---- connect -----------------------------------------------------------

  void start_connect(ReadyHandler handler) {
    on_ready = std::move(handler);
    state = State::resolving;
    arm_connect_timer();
    resolver.async_resolve(options.host, std::to_string(options.port),
                           [this, keep = keep_alive()](std::error_code ec, const tcp::resolver::results_type& results) {
                             if (state != State::resolving) return;
                             if (ec) return fail(make_error_code(client_errc::resolve_failed));
                             endpoints.clear();
                             for (const auto& entry : results) endpoints.push_back(entry.endpoint());
                             try_endpoint(0);
                           });
  }

  // One timer bounds each setup phase; `phase` tells a stale expiry (the
  // phase already moved on) from a live one.
  void arm_connect_timer() {
    const unsigned current = ++phase;
    connect_timer.expires_after(options.connect_timeout);
    connect_timer.async_wait([this, keep = keep_alive(), current](std::error_code ec) {
      if (ec || current != phase) return;
      switch (state) {
        case State::resolving:
        case State::negotiating:
          fail(make_error_code(client_errc::timed_out));
          break;
        case State::connecting: {
          // Abandon this address: closing the socket completes the pending
          // async_connect with operation_aborted, which tries the next one.
          attempt_timed_out = true;
          std::error_code ignored;
          socket.close(ignored);
          break;
        }
        default:
          break;
      }
    });
  }

  void try_endpoint(std::size_t index) {
    if (index >= endpoints.size()) {
      // Every address failed. Only timeouts: say so; any refusal: connect_failed.
      bool all_timed_out = !endpoints.empty() && timed_out_attempts == endpoints.size();
      return fail(make_error_code(all_timed_out ? client_errc::timed_out : client_errc::connect_failed));
    }
    state = State::connecting;
    attempt_timed_out = false;
    std::error_code ec;
    socket.close(ec);
    socket.open(endpoints[index].protocol(), ec);
    if (ec) return try_endpoint(index + 1);
    arm_connect_timer();
    socket.async_connect(endpoints[index], [this, keep = keep_alive(), index](std::error_code connect_ec) {
      if (state != State::connecting) return;
      if (attempt_timed_out) {
        ++timed_out_attempts;
        return try_endpoint(index + 1);
      }
      if (connect_ec) return try_endpoint(index + 1);
      on_connected();
    });
  }

  void on_connected() {
    std::error_code ignored;
    // Requests are small and latency matters; Kafka's clients disable Nagle too.
    socket.set_option(tcp::no_delay(true), ignored);
    state = State::negotiating;
    arm_connect_timer();
    start_read();
    send_api_versions(initial_api_versions_version(), false);
  }

  void send_api_versions(std::int16_t version, bool retried) {
    std::vector<std::uint8_t> body;
    if (std::error_code ec = encode_api_versions_request(version, options.client_software_name,
                                                         options.client_software_version, body))
      return fail(ec);
    enqueue(protocol::ApiKey::api_versions, version, std::move(body), true,
            [this, version, retried](std::error_code ec, std::span<const std::uint8_t> response) {
              // On error fail() has already told on_ready.
              if (ec || state != State::negotiating) return;
              protocol::ApiVersionsResponse decoded;
              NegotiationStep step = evaluate_api_versions_response(response, version, retried, decoded);
              switch (step.action) {
                case NegotiationStep::Action::retry:
                  return send_api_versions(step.retry_version, true);
                case NegotiationStep::Action::fail:
                  return fail(step.error);
                case NegotiationStep::Action::ready:
                  break;
              }
              negotiated = NegotiatedVersions(decoded);
              broker_versions = std::move(decoded);
              api_versions_version = version;
              state = State::ready;
              ++phase;  // retire the setup timer
              connect_timer.cancel();
              if (auto handler = std::exchange(on_ready, nullptr)) handler({});
            });
  }

  // ---- requests ----------------------------------------------------------

  std::int32_t next_correlation_id() {
    std::int32_t id = correlation_counter;
    correlation_counter = correlation_counter == std::numeric_limits<std::int32_t>::max() ? 0 : correlation_counter + 1;
    return id;
  }

  /// Queues one request; the caller has checked the state.
  void enqueue(protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body, bool expect_response,
               ResponseHandler handler) {
    Outgoing out;
    const std::int32_t correlation_id = next_correlation_id();
    header.api_key = api;
    header.api_version = version;
    header.correlation_id = correlation_id;
    protocol::Writer writer(out.prefix);
    const std::size_t size_at = writer.reserve_int32();
    header.encode(writer);
    const std::size_t frame_size = out.prefix.size() - 4 + body.size();
    if (frame_size > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      self.post_error(make_error_code(client_errc::frame_too_large),
                      [h = std::move(handler)](std::error_code ec) { h(ec, {}); });
      return;
    }
    writer.patch_int32(size_at, static_cast<std::int32_t>(frame_size));
    out.body = std::move(body);
    out.seq = next_seq++;
    out.deadline = Clock::now() + options.request_timeout;
    if (expect_response) {
      awaiting.push_back(Awaiting{out.seq, correlation_id, api, version, std::move(handler), out.deadline});
    } else {
      out.on_written = std::move(handler);
      ++unanswered_pending;
    }
    write_queue.push_back(std::move(out));
    start_write();
    arm_request_timer();
  }

  void start_write() {
    if (writing_now || write_queue.empty() || state == State::closed) return;
    writing.clear();
    write_buffers.clear();
    while (!write_queue.empty() && writing.size() < kMaxRequestsPerWrite) {
      writing.push_back(std::move(write_queue.front()));
      write_queue.pop_front();
    }
    for (const Outgoing& out : writing) {
      write_buffers.push_back(asio::buffer(out.prefix));
      if (!out.body.empty()) write_buffers.push_back(asio::buffer(out.body));
    }
    writing_now = true;
    asio::async_write(socket, write_buffers, [this, keep = keep_alive()](std::error_code ec, std::size_t) {
      writing_now = false;
      if (state == State::closed) {
        writing.clear();  // fail() already took the callbacks; the buffers were kept for this write
        return;
      }
      if (ec) return fail(make_error_code(client_errc::disconnected));
      std::vector<Outgoing> done = std::move(writing);
      writing.clear();
      std::vector<ResponseHandler> written;
      for (Outgoing& out : done)
        if (out.on_written) written.push_back(std::move(out.on_written));
      unanswered_pending -= written.size();
      start_write();
      // Written successfully: they succeed even if a callback closes the connection.
      for (auto& handler : written) handler({}, {});
    });
  }

  /// The oldest pending request's deadline (deadlines grow with send order).
  std::optional<Clock::time_point> earliest_deadline() const {
    std::optional<Clock::time_point> earliest;
    auto consider = [&earliest](Clock::time_point t) {
      if (!earliest || t < *earliest) earliest = t;
    };
    if (!awaiting.empty()) consider(awaiting.front().deadline);
    if (!write_queue.empty()) consider(write_queue.front().deadline);
    for (const Outgoing& out : writing)
      if (out.on_written) {
        consider(out.deadline);
        break;
      }
    return earliest;
  }

  // One timer serves every request: it waits for the oldest deadline and,
  // on expiry, re-checks (that request may have completed meanwhile).
  void arm_request_timer() {
    if (request_timer_armed || state == State::closed) return;
    std::optional<Clock::time_point> deadline = earliest_deadline();
    if (!deadline) return;
    request_timer_armed = true;
    request_timer.expires_at(*deadline);
    request_timer.async_wait([this, keep = keep_alive()](std::error_code) {
      request_timer_armed = false;
      if (state == State::closed) return;
      std::optional<Clock::time_point> oldest = earliest_deadline();
      if (!oldest) return;
      if (*oldest <= Clock::now()) return fail(make_error_code(client_errc::timed_out));
      arm_request_timer();
    });
  }

  // ---- responses ---------------------------------------------------------

  void start_read() {
    socket.async_read_some(asio::buffer(read_buffer), [this, keep = keep_alive()](std::error_code ec, std::size_t n) {
      if (state == State::closed) return;
      if (ec) return fail(make_error_code(client_errc::disconnected));
      on_bytes(std::span<const std::uint8_t>(read_buffer.data(), n));
      if (state != State::closed) start_read();
    });
  }

  void on_bytes(std::span<const std::uint8_t> data) {
    while (state != State::closed) {
      data = data.subspan(decoder.put(data));
      if (decoder.error()) return fail(decoder.error());
      if (!decoder.has_frame()) return;  // all of `data` consumed; wait for more
      std::vector<std::uint8_t> frame = decoder.take_frame();
      on_frame(frame);
    }
  }

  void on_frame(std::span<const std::uint8_t> frame) {
    // Kafka answers requests on one connection in order, so a response
    // belongs to the oldest request; anything else means we lost sync.
    if (awaiting.empty()) return fail(make_error_code(client_errc::correlation_mismatch));
    Awaiting& oldest = awaiting.front();
    protocol::Reader reader(frame);
    protocol::ResponseHeader response_header;
    // ApiVersions responses always use header v0 (KIP-511): api.hpp knows.
    if (response_header.decode(reader, protocol::response_header_version(oldest.api, oldest.version)))
      return fail(make_error_code(client_errc::malformed));
    if (response_header.correlation_id != oldest.correlation_id)
      return fail(make_error_code(client_errc::correlation_mismatch));
    ResponseHandler handler = std::move(oldest.on_response);
    awaiting.pop_front();
    handler({}, frame.subspan(reader.position()));
  }

  // ---- failure -----------------------------------------------------------

  /// Closes the connection and delivers `ec` once to every pending callback
  /// (connect's first, then requests in send order). Safe to re-enter.
  void fail(std::error_code ec) {
    if (state == State::closed) return;
    state = State::closed;
    close_reason = ec;
    std::error_code ignored;
    resolver.cancel();
    connect_timer.cancel();
    request_timer.cancel();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);

    ReadyHandler ready = std::exchange(on_ready, nullptr);
    std::vector<std::pair<std::uint64_t, ResponseHandler>> pending;
    for (Awaiting& a : awaiting) pending.emplace_back(a.seq, std::move(a.on_response));
    for (Outgoing& out : write_queue)
      if (out.on_written) pending.emplace_back(out.seq, std::move(out.on_written));
    // `writing` keeps its buffers until the aborted write completes.
    for (Outgoing& out : writing)
      if (out.on_written) pending.emplace_back(out.seq, std::move(out.on_written));
    awaiting.clear();
    write_queue.clear();
    unanswered_pending = 0;
    decoder.reset();
    std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    std::function<void(std::error_code)> closed = std::exchange(on_close, nullptr);
    if (ready) ready(ec);
    for (auto& [seq, handler] : pending)
      if (handler) handler(ec, {});
    if (closed) closed(ec);
  }

  Connection& self;
  asio::io_context& io;
  ConnectionOptions options;
  std::string address;
  tcp::resolver resolver;
  tcp::socket socket;
  asio::steady_timer connect_timer;
  asio::steady_timer request_timer;
  State state = State::idle;
  std::error_code close_reason;
  std::function<void(std::error_code)> on_close;

  // Setup.
  ReadyHandler on_ready;
  std::vector<tcp::endpoint> endpoints;
  std::size_t timed_out_attempts = 0;
  bool attempt_timed_out = false;
  unsigned phase = 0;
  protocol::ApiVersionsResponse broker_versions;
  NegotiatedVersions negotiated;
  std::int16_t api_versions_version = -1;

  // Requests.
  protocol::RequestHeader header;  ///< reused: only key, version and id change
  std::int32_t correlation_counter = 0;
  std::uint64_t next_seq = 0;
  std::deque<Outgoing> write_queue;
  std::vector<Outgoing> writing;  ///< the requests of the write in progress
  std::vector<asio::const_buffer> write_buffers;
  bool writing_now = false;
  std::deque<Awaiting> awaiting;
  std::size_t unanswered_pending = 0;  ///< requests without a response, not yet written
  bool request_timer_armed = false;

  // Responses.
  FrameDecoder decoder;
  std::vector<std::uint8_t> read_buffer;
};

std::shared_ptr<Connection> Connection::create(asio::io_context& io, ConnectionOptions options) {
  return std::make_shared<Connection>(Passkey{}, io, std::move(options));
}

Connection::Connection(Passkey, asio::io_context& io, ConnectionOptions options)
    : impl_(std::make_unique<Impl>(*this, io, std::move(options))) {}

Connection::~Connection() {
  // Only reached with callbacks pending when the io_context was destroyed
  // with our handlers still queued: they must still hear about it once.
  impl_->fail(make_error_code(client_errc::shutting_down));
}

void Connection::connect(ReadyHandler on_ready) {
  if (impl_->state == State::closed) {
    std::error_code reason = impl_->close_reason;
    return post_error(reason, std::move(on_ready));
  }
  if (impl_->state != State::idle) throw std::logic_error("kwire::net::Connection::connect called twice");
  impl_->start_connect(std::move(on_ready));
}

void Connection::send_raw(protocol::ApiKey api, std::int16_t version, std::vector<std::uint8_t> body,
                          bool expect_response, ResponseHandler on_response) {
  if (impl_->state != State::ready) {
    std::error_code reason = impl_->state == State::closed && impl_->close_reason
                                 ? impl_->close_reason
                                 : make_error_code(client_errc::disconnected);
    return post_error(reason, [h = std::move(on_response)](std::error_code ec) { h(ec, {}); });
  }
  impl_->enqueue(api, version, std::move(body), expect_response, std::move(on_response));
}

void Connection::post_error(std::error_code ec, std::function<void(std::error_code)> fn) {
  asio::post(impl_->io, [ec, fn = std::move(fn)] { fn(ec); });
}

std::optional<std::int16_t> Connection::negotiated_version(protocol::ApiKey key) const noexcept {
  if (impl_->api_versions_version < 0) return std::nullopt;
  return impl_->negotiated.version(key);
}

const protocol::ApiVersionsResponse& Connection::broker_versions() const noexcept { return impl_->broker_versions; }
std::int16_t Connection::api_versions_version() const noexcept { return impl_->api_versions_version; }

void Connection::close() { impl_->fail(make_error_code(client_errc::shutting_down)); }

void Connection::set_close_handler(std::function<void(std::error_code)> on_close) {
  if (impl_->state != State::closed) impl_->on_close = std::move(on_close);
}

bool Connection::is_open() const noexcept { return impl_->state == State::ready; }

std::size_t Connection::in_flight() const noexcept { return impl_->awaiting.size() + impl_->unanswered_pending; }

const std::string& Connection::address() const noexcept { return impl_->address; }

std::error_code Connection::close_reason() const noexcept { return impl_->close_reason; }

const ConnectionOptions& Connection::options() const noexcept { return impl_->options; }

}  // namespace kwire::net
