// RequestPipeline without a socket: bytes in, handlers out, a clock passed
// in. Every response stream is fed split at every byte offset (STYLE lesson
// 10), so framing never depends on how reads happen to cut the bytes.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kwire/net/transport.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/writer.hpp"
#include "request_pipeline.hpp"
#include "support/responses.hpp"

using namespace std::chrono_literals;
using kwire::client_errc;
using kwire::net::RequestPipeline;
using kwire::protocol::ApiKey;
using kwire::test::int32_body;
using kwire::test::Recorder;

namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = RequestPipeline::Clock;
const Clock::time_point t0 = Clock::time_point{} + 1000h;

/// A response frame: size, response header in the version `api`/`version`
/// call for (tagged fields from v1), then `body`.
Bytes response_frame(ApiKey api, std::int16_t version, std::int32_t correlation_id, const Bytes& body) {
  Bytes frame;
  kwire::protocol::Writer w(frame);
  const std::size_t at = w.reserve_int32();
  kwire::protocol::ResponseHeader header;
  header.correlation_id = correlation_id;
  header.encode(w, kwire::protocol::response_header_version(api, version));
  w.write_raw(body);
  w.patch_int32(at, static_cast<std::int32_t>(frame.size() - 4));
  return frame;
}

RequestPipeline::Request request(ApiKey api, std::int16_t version, Bytes body, RequestPipeline::ResponseHandler h,
                                 bool expect_response = true) {
  return RequestPipeline::Request{api, version, std::move(body), {}, expect_response, std::move(h)};
}

void submit(RequestPipeline& p, RequestPipeline::Request r, Clock::time_point now = t0) {
  REQUIRE_FALSE(p.submit(r, now));
}

/// Everything start_write() hands over, in one piece.
Bytes written_bytes(RequestPipeline& p) {
  Bytes out;
  for (auto piece : p.start_write()) out.insert(out.end(), piece.begin(), piece.end());
  return out;
}

/// The request frames in `bytes`: headers and bodies.
struct SentRequest {
  kwire::protocol::RequestHeader header;
  Bytes body;
};
std::vector<SentRequest> parse_requests(const Bytes& bytes) {
  std::vector<SentRequest> out;
  kwire::protocol::Reader r(bytes);
  while (r.remaining() > 0) {
    const auto size = static_cast<std::size_t>(r.read_int32());
    auto frame = r.read_raw(size);
    REQUIRE(r.ok());
    kwire::protocol::Reader peek(frame);
    auto key = static_cast<ApiKey>(peek.read_int16());
    const std::int16_t version = peek.read_int16();
    kwire::protocol::Reader fr(frame);
    SentRequest s;
    REQUIRE_FALSE(s.header.decode(fr, kwire::protocol::request_header_version(key, version)));
    auto body = fr.read_raw(fr.remaining());
    s.body.assign(body.begin(), body.end());
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

TEST_CASE("requests are framed with a header and increasing correlation ids, bodies as given") {
  RequestPipeline p("my-client", 30s, 1 << 20);
  Recorder rec(3);
  submit(p, request(ApiKey::metadata, 12, int32_body(1), rec.handler(0)));
  submit(p, request(ApiKey::produce, 9, int32_body(2), rec.handler(1), false));
  submit(p, request(ApiKey::api_versions, 3, {}, rec.handler(2)));
  CHECK(p.write_ready());
  const std::vector<SentRequest> sent = parse_requests(written_bytes(p));
  CHECK_FALSE(p.write_ready());  // one write at a time
  REQUIRE(sent.size() == 3);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    CAPTURE(i);
    CHECK(sent[i].header.correlation_id == static_cast<std::int32_t>(i));
    CHECK(sent[i].header.client_id == "my-client");
  }
  CHECK(sent[0].header.api_key == ApiKey::metadata);
  CHECK(sent[0].header.api_version == 12);
  CHECK(sent[0].body == int32_body(1));
  CHECK(sent[1].header.api_key == ApiKey::produce);
  CHECK(sent[1].body == int32_body(2));
  CHECK(sent[2].body.empty());
  // The acks=0 request completes when written, the others wait.
  auto written = p.complete_write();
  REQUIRE(written.size() == 1);
  written[0]({}, {});
  CHECK(rec.outcomes[1].error == std::error_code{});
  CHECK_FALSE(rec.outcomes[0].error.has_value());
}

TEST_CASE("splices are written from where they lie, in place inside the body") {
  RequestPipeline p("kwire", 30s, 1 << 20);
  const Bytes a(300, 0xaa), b(3, 0xbb);
  const Bytes body = {1, 2, 3, 4, 5};
  RequestPipeline::Request r = request(ApiKey::produce, 9, body, [](std::error_code, auto) {});
  r.splices = {{0, a}, {2, b}, {5, b}};
  REQUIRE_FALSE(p.submit(r, t0));
  const auto pieces = p.start_write();
  // The spliced bytes are not copied: a piece points at them.
  bool points_at_a = false;
  for (auto piece : pieces) points_at_a = points_at_a || piece.data() == a.data();
  CHECK(points_at_a);
  Bytes all;
  for (auto piece : pieces) all.insert(all.end(), piece.begin(), piece.end());
  Bytes expected;
  kwire::protocol::append_spliced(expected, body, std::vector<kwire::protocol::Splice>{{0, a}, {2, b}, {5, b}});
  const auto sent = parse_requests(all);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body == expected);
}

TEST_CASE("a request over the int32 frame size is refused and stays with the caller") {
  RequestPipeline p("kwire", 30s, 1 << 20);
  // 2048 splices of one 1 MiB buffer announce 2 GiB without allocating it.
  const Bytes chunk(std::size_t{1} << 20, 0);
  bool called = false;
  RequestPipeline::Request r = request(ApiKey::produce, 9, {}, [&](std::error_code, auto) { called = true; });
  for (int i = 0; i < 2048; ++i) r.splices.push_back({0, chunk});
  CHECK(p.submit(r, t0) == client_errc::frame_too_large);
  REQUIRE(r.handler);  // the caller reports it
  CHECK_FALSE(called);
  CHECK(p.in_flight() == 0);
  CHECK_FALSE(p.write_ready());
  // The refused request spent no correlation id.
  submit(p, request(ApiKey::metadata, 12, {}, [](std::error_code, auto) {}));
  CHECK(parse_requests(written_bytes(p))[0].header.correlation_id == 0);
}

TEST_CASE("every response stream split at every byte offset reaches the right handlers") {
  // Header versions differ: Metadata v12 answers with header v1 (tagged
  // fields), Metadata v8 with v0, ApiVersions v3 with v0 although the
  // request is flexible (KIP-511); a SaslHandshake v0 token reply is a bare
  // frame; an acks=0 Produce gets no response at all.
  struct Expected {
    ApiKey api;
    std::int16_t version;
    Bytes body;
  };
  const std::vector<Expected> expected = {{ApiKey::metadata, 12, int32_body(100)},
                                          {ApiKey::api_versions, 3, Bytes(300, 0x5a)},
                                          {ApiKey::metadata, 8, {}},
                                          {ApiKey::sasl_handshake, 0, int32_body(7)}};
  // Correlation ids in send order; the acks=0 Produce (sent second) spends id 1.
  const std::int32_t correlation_ids[] = {0, 2, 3};
  Bytes stream;
  for (std::size_t i = 0; i < 3; ++i)
    for (std::uint8_t b : response_frame(expected[i].api, expected[i].version, correlation_ids[i], expected[i].body))
      stream.push_back(b);
  kwire::protocol::Writer raw(stream);
  raw.write_int32(static_cast<std::int32_t>(expected[3].body.size()));
  raw.write_raw(expected[3].body);

  auto run = [&](const std::vector<std::size_t>& cuts) {
    RequestPipeline p("kwire", 30s, 1 << 20);
    Recorder rec(5);
    submit(p, request(expected[0].api, expected[0].version, {}, rec.handler(0)));
    submit(p, request(ApiKey::produce, 9, {}, rec.handler(4), false));
    submit(p, request(expected[1].api, expected[1].version, {}, rec.handler(1)));
    submit(p, request(expected[2].api, expected[2].version, {}, rec.handler(2)));
    p.submit_raw_token(int32_body(1), true, rec.handler(3), t0);
    CHECK(p.in_flight() == 4);  // the SASL token is kwire's own
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
      REQUIRE_FALSE(p.on_bytes(std::span<const std::uint8_t>(stream).subspan(from, cut - from)));
      from = cut;
    }
    REQUIRE_FALSE(p.on_bytes(std::span<const std::uint8_t>(stream).subspan(from)));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CAPTURE(i);
      REQUIRE(rec.outcomes[i].error.has_value());
      CHECK_FALSE(*rec.outcomes[i].error);
      CHECK(rec.outcomes[i].body == expected[i].body);
      CHECK(rec.outcomes[i].order == static_cast<int>(i));
    }
    CHECK_FALSE(rec.outcomes[4].error.has_value());  // not written yet
    CHECK(p.in_flight() == 1);
  };
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    run({cut});
  }
  // Two cuts at every pair of offsets near the frame boundaries, and one byte at a time.
  for (std::size_t a = 0; a < 12; ++a)
    for (std::size_t b = a; b < stream.size(); b += 7) run({a, b});
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < stream.size(); ++i) every.push_back(i);
  run(every);
}

TEST_CASE("responses that match no request are a clear error") {
  RequestPipeline p("kwire", 30s, 1 << 20);
  Recorder rec(2);
  std::error_code expected = make_error_code(client_errc::correlation_mismatch);
  Bytes bytes;
  SUBCASE("nothing awaits a response") {
    bytes = response_frame(ApiKey::metadata, 12, 0, int32_body(1));
    CHECK(p.on_bytes(bytes) == expected);
    return;
  }
  submit(p, request(ApiKey::metadata, 12, {}, rec.handler(0)));
  submit(p, request(ApiKey::metadata, 12, {}, rec.handler(1)));
  SUBCASE("an unknown correlation id") { bytes = response_frame(ApiKey::metadata, 12, 1000, int32_body(1)); }
  SUBCASE("the second request's response first") { bytes = response_frame(ApiKey::metadata, 12, 1, int32_body(1)); }
  SUBCASE("a frame too short for its header") {
    bytes = {0, 0, 0, 2, 0, 0};
    expected = make_error_code(client_errc::malformed);
  }
  SUBCASE("a negative frame size") {
    bytes = {0xff, 0xff, 0xff, 0xf0};
    expected = make_error_code(client_errc::malformed);
  }
  SUBCASE("a frame over the maximum") {
    bytes = {0x00, 0x20, 0x00, 0x00};  // 2 MiB > 1 MiB
    expected = make_error_code(client_errc::frame_too_large);
  }
  CHECK(p.on_bytes(bytes) == expected);
  CHECK(rec.completed == 0);  // the caller fails the connection: fail_all() tells them
  auto pending = p.fail_all();
  CHECK(pending.size() == 2);
}

TEST_CASE("fail_all hands back every pending handler in send order, wherever it waits") {
  RequestPipeline p("kwire", 30s, 1 << 20);
  Recorder rec(6);
  submit(p, request(ApiKey::metadata, 12, {}, rec.handler(0)));         // awaiting, being written
  submit(p, request(ApiKey::produce, 9, {1}, rec.handler(1), false));  // being written, no response
  auto pieces = p.start_write();
  const Bytes first_piece(pieces[0].begin(), pieces[0].end());
  submit(p, request(ApiKey::produce, 9, {2}, rec.handler(2), false));  // queued, no response
  submit(p, request(ApiKey::metadata, 12, {}, rec.handler(3)));         // queued, awaiting
  p.start_holding();                                                    // KIP-368 re-authentication
  submit(p, request(ApiKey::metadata, 12, {}, rec.handler(4)));         // held
  submit(p, request(ApiKey::produce, 9, {}, rec.handler(5), false));   // held
  CHECK(p.in_flight() == 6);

  auto pending = p.fail_all();
  REQUIRE(pending.size() == 6);
  for (auto& h : pending) h(make_error_code(client_errc::disconnected), {});
  for (std::size_t i = 0; i < 6; ++i) {
    CAPTURE(i);
    CHECK(rec.outcomes[i].order == static_cast<int>(i));
    CHECK(*rec.outcomes[i].error == client_errc::disconnected);
  }
  CHECK(p.in_flight() == 0);
  CHECK(p.failed());
  CHECK_FALSE(p.write_ready());
  // The aborted write's buffers stay valid until it completes; its handlers were taken.
  CHECK(Bytes(pieces[0].begin(), pieces[0].end()) == first_piece);
  CHECK(p.complete_write().empty());
  // Bytes after the failure are ignored.
  CHECK_FALSE(p.on_bytes(response_frame(ApiKey::metadata, 12, 0, {})));
  CHECK(p.fail_all().empty());
}

TEST_CASE("a handler that fails the pipeline stops the frames after it") {
  RequestPipeline p("kwire", 30s, 1 << 20);
  Recorder rec(2);
  std::vector<RequestPipeline::ResponseHandler> taken;
  submit(p, request(ApiKey::metadata, 12, {}, [&](std::error_code, auto) { taken = p.fail_all(); }));
  submit(p, request(ApiKey::metadata, 12, {}, rec.handler(1)));
  Bytes both = response_frame(ApiKey::metadata, 12, 0, {});
  Bytes second = response_frame(ApiKey::metadata, 12, 1, int32_body(2));
  both.insert(both.end(), second.begin(), second.end());
  CHECK_FALSE(p.on_bytes(both));
  CHECK_FALSE(rec.outcomes[1].error.has_value());  // not answered: failed instead
  CHECK(taken.size() == 1);
}

TEST_CASE("a handler may submit more requests while responses are read") {
  RequestPipeline p("kwire", 30s, 1 << 20);
  Recorder rec(2);
  submit(p, request(ApiKey::metadata, 12, {}, [&](std::error_code, auto) {
    submit(p, request(ApiKey::metadata, 12, {}, rec.handler(1)));
  }));
  written_bytes(p);
  p.complete_write();
  REQUIRE_FALSE(p.on_bytes(response_frame(ApiKey::metadata, 12, 0, {})));
  CHECK(p.in_flight() == 1);
  REQUIRE_FALSE(p.on_bytes(response_frame(ApiKey::metadata, 12, 1, int32_body(5))));
  CHECK(rec.outcomes[1].body == int32_body(5));
}

TEST_CASE("the earliest deadline follows the oldest pending request in every queue") {
  RequestPipeline p("kwire", 1000ms, 1 << 20);
  Recorder rec(4);
  CHECK_FALSE(p.earliest_deadline().has_value());
  submit(p, request(ApiKey::produce, 9, {}, rec.handler(0), false), t0);
  CHECK(p.earliest_deadline() == t0 + 1000ms);  // queued, unwritten
  written_bytes(p);
  CHECK(p.earliest_deadline() == t0 + 1000ms);  // being written
  submit(p, request(ApiKey::metadata, 12, {}, rec.handler(1)), t0 + 100ms);
  for (auto& h : p.complete_write()) h({}, {});
  CHECK(p.earliest_deadline() == t0 + 1100ms);  // queued
  written_bytes(p);
  p.complete_write();
  CHECK(p.earliest_deadline() == t0 + 1100ms);  // awaiting its response
  p.start_holding();
  submit(p, request(ApiKey::metadata, 12, {}, rec.handler(2)), t0 + 200ms);
  CHECK(p.earliest_deadline() == t0 + 1100ms);
  REQUIRE_FALSE(p.on_bytes(response_frame(ApiKey::metadata, 12, 1, {})));
  CHECK(p.earliest_deadline() == t0 + 1200ms);  // the held one
  // Held requests keep their deadline (and send order) once released.
  submit(p, request(ApiKey::metadata, 12, {}, rec.handler(3)), t0 + 900ms);
  CHECK(p.stop_holding().empty());
  CHECK(p.earliest_deadline() == t0 + 1200ms);
  const auto sent = parse_requests(written_bytes(p));
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].header.correlation_id < sent[1].header.correlation_id);
}

TEST_CASE("in-flight count and write batches") {
  RequestPipeline p("kwire", 30s, 1 << 20);
  constexpr std::size_t n = RequestPipeline::kMaxRequestsPerWrite + 36;
  std::vector<std::size_t> answered;
  for (std::size_t i = 0; i < n; ++i)
    submit(p, request(ApiKey::metadata, 12, {}, [&answered, i](std::error_code, auto) { answered.push_back(i); }));
  Recorder internal(1);
  RequestPipeline::Request own = request(ApiKey::sasl_handshake, 1, {}, internal.handler(0));
  REQUIRE_FALSE(p.submit_internal(own, t0));
  CHECK(p.in_flight() == n);  // kwire's own request not counted
  // At most kMaxRequestsPerWrite requests go into one write.
  CHECK(parse_requests(written_bytes(p)).size() == RequestPipeline::kMaxRequestsPerWrite);
  CHECK(p.complete_write().empty());
  CHECK(parse_requests(written_bytes(p)).size() == 37);
  p.complete_write();
  CHECK_FALSE(p.write_ready());
  for (std::size_t i = 0; i < n; ++i)
    REQUIRE_FALSE(p.on_bytes(response_frame(ApiKey::metadata, 12, static_cast<std::int32_t>(i), {})));
  CHECK(p.in_flight() == 0);
  REQUIRE(answered.size() == n);
  for (std::size_t i = 0; i < n; ++i) CHECK(answered[i] == i);
  REQUIRE_FALSE(p.on_bytes(response_frame(ApiKey::sasl_handshake, 1, static_cast<std::int32_t>(n), {})));
  CHECK(internal.completed == 1);
}

TEST_CASE("a response handler may take the frame its body points into, by move, once") {
  RequestPipeline p("kwire", 30s, 1 << 20);
  CHECK(kwire::net::take_response_frame(nullptr) == nullptr);  // no handler running
  std::shared_ptr<const std::vector<std::uint8_t>> taken;
  std::shared_ptr<const std::vector<std::uint8_t>> again;
  std::shared_ptr<const std::vector<std::uint8_t>> elsewhere;
  Bytes seen;
  const Bytes outside(8, 1);
  const auto handler = [&](std::error_code ec, std::span<const std::uint8_t> body) {
    REQUIRE_FALSE(ec);
    elsewhere = kwire::net::take_response_frame(outside.data());  // not this frame's bytes
    taken = kwire::net::take_response_frame(body.data());
    again = kwire::net::take_response_frame(body.data());
    seen.assign(body.begin(), body.end());  // still readable after the take
  };
  submit(p, request(ApiKey::metadata, 12, {}, handler));
  (void)written_bytes(p);
  (void)p.complete_write();
  const Bytes body = int32_body(4242);
  REQUIRE_FALSE(p.on_bytes(response_frame(ApiKey::metadata, 12, 0, body)));
  CHECK(elsewhere == nullptr);
  CHECK(again == nullptr);
  CHECK(seen == body);
  REQUIRE(taken != nullptr);
  // The whole frame (response header, then the body), the body at its end.
  REQUIRE(taken->size() >= body.size());
  CHECK(Bytes(taken->end() - static_cast<std::ptrdiff_t>(body.size()), taken->end()) == body);
  CHECK(kwire::net::take_response_frame(taken->data()) == nullptr);  // after the handler: none current
}
