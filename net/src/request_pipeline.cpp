#include "request_pipeline.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "kwire/net/transport.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/reader.hpp"

namespace kwire::net {

RequestPipeline::RequestPipeline(std::string client_id, std::chrono::milliseconds request_timeout,
                                 std::size_t max_frame_bytes)
    : request_timeout_(request_timeout), decoder_(max_frame_bytes) {
  header_.client_id = std::move(client_id);
}

// ---- sending -----------------------------------------------------------------

std::error_code RequestPipeline::submit(Request& request, Clock::time_point now) {
  if (holding_) {
    held_.push_back(Held{next_seq_++, now + request_timeout_, std::move(request)});
    return {};
  }
  return enqueue(request, false, now + request_timeout_, next_seq_++);
}

std::error_code RequestPipeline::submit_internal(Request& request, Clock::time_point now) {
  return enqueue(request, true, now + request_timeout_, next_seq_++);
}

std::vector<RequestPipeline::Request> RequestPipeline::stop_holding() {
  holding_ = false;
  std::deque<Held> waiting = std::move(held_);
  held_.clear();
  std::vector<Request> refused;
  for (Held& h : waiting)
    if (enqueue(h.request, false, h.deadline, h.seq)) refused.push_back(std::move(h.request));
  return refused;
}

std::int32_t RequestPipeline::next_correlation_id() noexcept {
  const std::int32_t id = correlation_counter_;
  // Wraps to 0 after INT32_MAX, as Kafka's clients do: ids only need to be
  // unique among the requests in flight.
  correlation_counter_ =
      correlation_counter_ == std::numeric_limits<std::int32_t>::max() ? 0 : correlation_counter_ + 1;
  return id;
}

std::error_code RequestPipeline::enqueue(Request& request, bool internal, Clock::time_point deadline,
                                         std::uint64_t seq) {
  Outgoing out;
  header_.api_key = request.api;
  header_.api_version = request.version;
  protocol::Writer writer(out.prefix);
  const std::size_t size_at = writer.reserve_int32();
  const std::size_t header_at = out.prefix.size();
  header_.correlation_id = correlation_counter_;  // the id is spent only once the request is accepted
  header_.encode(writer);
  const std::size_t frame_size =
      out.prefix.size() - header_at + protocol::spliced_size(request.body, request.splices);
  if (frame_size > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    return make_error_code(client_errc::frame_too_large);
  const std::int32_t correlation_id = next_correlation_id();
  writer.patch_int32(size_at, static_cast<std::int32_t>(frame_size));
  out.body = std::move(request.body);
  out.splices = std::move(request.splices);
  out.seq = seq;
  out.deadline = deadline;
  if (request.expect_response) {
    awaiting_.push_back(Awaiting{seq, correlation_id, request.api, request.version, std::move(request.handler),
                                 deadline, false, internal});
    if (internal) ++internal_awaiting_;
  } else {
    out.on_written = std::move(request.handler);
    ++unanswered_pending_;
  }
  write_queue_.push_back(std::move(out));
  return {};
}

void RequestPipeline::submit_raw_token(std::vector<std::uint8_t> token, bool expect_reply, ResponseHandler handler,
                                       Clock::time_point now) {
  Outgoing out;
  protocol::Writer(out.prefix).write_int32(static_cast<std::int32_t>(token.size()));
  out.body = std::move(token);
  out.seq = next_seq_++;
  out.deadline = now + request_timeout_;
  if (expect_reply) {
    awaiting_.push_back(Awaiting{out.seq, -1, protocol::ApiKey::sasl_handshake, 0, std::move(handler), out.deadline,
                                 true, true});
    ++internal_awaiting_;
  }
  write_queue_.push_back(std::move(out));
}

// ---- writing -----------------------------------------------------------------

std::vector<std::span<const std::uint8_t>> RequestPipeline::start_write() {
  std::vector<std::span<const std::uint8_t>> pieces;
  if (!write_ready()) return pieces;
  writing_.clear();
  while (!write_queue_.empty() && writing_.size() < kMaxRequestsPerWrite) {
    writing_.push_back(std::move(write_queue_.front()));
    write_queue_.pop_front();
  }
  for (const Outgoing& out : writing_) {
    pieces.emplace_back(out.prefix);
    // The body, with the spliced bytes (record batches) between its pieces.
    const std::span<const std::uint8_t> body(out.body);
    std::size_t at = 0;
    for (const protocol::Splice& s : out.splices) {
      if (s.offset > at) pieces.push_back(body.subspan(at, s.offset - at));
      if (!s.bytes.empty()) pieces.push_back(s.bytes);
      at = s.offset;
    }
    if (body.size() > at) pieces.push_back(body.subspan(at));
  }
  writing_now_ = true;
  return pieces;
}

std::vector<RequestPipeline::ResponseHandler> RequestPipeline::complete_write() {
  writing_now_ = false;
  std::vector<Outgoing> done = std::move(writing_);
  writing_.clear();
  std::vector<ResponseHandler> written;
  if (failed_) return written;  // fail_all() took the handlers; the buffers were kept for this write
  for (Outgoing& out : done)
    if (out.on_written) written.push_back(std::move(out.on_written));
  unanswered_pending_ -= written.size();
  return written;
}

// ---- reading -----------------------------------------------------------------

std::error_code RequestPipeline::on_bytes(std::span<const std::uint8_t> data) {
  while (!failed_) {
    data = data.subspan(decoder_.put(data));
    if (decoder_.error()) return decoder_.error();
    if (!decoder_.has_frame()) return {};  // all of `data` consumed; wait for more
    std::vector<std::uint8_t> frame = decoder_.take_frame();
    const detail::ResponseFrameScope current(frame);  // a handler may take it (take_response_frame)
    if (std::error_code ec = on_frame(frame)) return ec;
  }
  return {};
}

std::error_code RequestPipeline::on_frame(std::span<const std::uint8_t> frame) {
  if (awaiting_.empty()) return make_error_code(client_errc::correlation_mismatch);
  Awaiting& oldest = awaiting_.front();
  if (oldest.raw) {
    // SaslHandshake v0 token reply: a bare frame, no response header.
    ResponseHandler handler = std::move(oldest.on_response);
    awaiting_.pop_front();
    --internal_awaiting_;
    handler({}, frame);
    return {};
  }
  protocol::Reader reader(frame);
  protocol::ResponseHeader response_header;
  if (response_header.decode(reader, protocol::response_header_version(oldest.api, oldest.version)))
    return make_error_code(client_errc::malformed);
  if (response_header.correlation_id != oldest.correlation_id)
    return make_error_code(client_errc::correlation_mismatch);
  ResponseHandler handler = std::move(oldest.on_response);
  if (oldest.internal) --internal_awaiting_;
  awaiting_.pop_front();
  handler({}, frame.subspan(reader.position()));
  return {};
}

// ---- time and failure ----------------------------------------------------------

std::optional<RequestPipeline::Clock::time_point> RequestPipeline::earliest_deadline() const {
  std::optional<Clock::time_point> earliest;
  auto consider = [&earliest](Clock::time_point t) {
    if (!earliest || t < *earliest) earliest = t;
  };
  if (!awaiting_.empty()) consider(awaiting_.front().deadline);
  if (!write_queue_.empty()) consider(write_queue_.front().deadline);
  if (!held_.empty()) consider(held_.front().deadline);
  for (const Outgoing& out : writing_)
    if (out.on_written) {
      consider(out.deadline);
      break;
    }
  return earliest;
}

std::vector<RequestPipeline::ResponseHandler> RequestPipeline::fail_all() {
  failed_ = true;
  holding_ = false;
  std::vector<std::pair<std::uint64_t, ResponseHandler>> pending;
  for (Awaiting& a : awaiting_) pending.emplace_back(a.seq, std::move(a.on_response));
  for (Outgoing& out : write_queue_)
    if (out.on_written) pending.emplace_back(out.seq, std::move(out.on_written));
  // `writing_` keeps its buffers until the aborted write completes.
  for (Outgoing& out : writing_)
    if (out.on_written) pending.emplace_back(out.seq, std::move(out.on_written));
  for (Held& h : held_) pending.emplace_back(h.seq, std::move(h.request.handler));
  awaiting_.clear();
  write_queue_.clear();
  held_.clear();
  unanswered_pending_ = 0;
  internal_awaiting_ = 0;
  decoder_.reset();
  std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ResponseHandler> handlers;
  handlers.reserve(pending.size());
  for (auto& [seq, handler] : pending)
    if (handler) handlers.push_back(std::move(handler));
  return handlers;
}

}  // namespace kwire::net
