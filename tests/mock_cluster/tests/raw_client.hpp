#pragma once
// A blocking, poll()-bounded Kafka client for driving the mock with raw
// protocol requests (no Asio, no kwire::net: the mock is tested on its own).
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kwire/compression/codec.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/produce.hpp"

namespace kwire::mock::test {

using namespace std::chrono_literals;

class RawClient {
 public:
  explicit RawClient(std::uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  /// Writes `bytes` as they are (no size prefix added).
  bool send_raw(std::span<const std::uint8_t> bytes);

  /// Encodes header + body and sends the frame; returns the correlation id
  /// used (or -1 when the body cannot be encoded / the send fails).
  template <protocol::KafkaMessage M>
  std::int32_t send(const M& body, std::int16_t version) {
    std::vector<std::uint8_t> frame(4);
    protocol::Writer writer(frame);
    protocol::RequestHeader header;
    header.api_key = M::api_key;
    header.api_version = version;
    header.correlation_id = next_correlation_++;
    header.client_id = "raw-test";
    header.encode(writer);
    if (protocol::encode_message(body, version, frame)) return -1;
    writer.patch_int32(0, static_cast<std::int32_t>(frame.size() - 4));
    return send_raw(frame) ? header.correlation_id : -1;
  }

  /// The next response frame's payload; nullopt on timeout, EOF or error.
  std::optional<std::vector<std::uint8_t>> receive(std::chrono::milliseconds timeout = 5s);

  /// Sends `request` and decodes the response at `version` (response header
  /// per protocol::response_header_version). nullopt if the connection
  /// closed, timed out, or the response did not decode or match.
  template <class Response, protocol::KafkaMessage Request>
  std::optional<Response> call(const Request& request, std::int16_t version,
                               std::chrono::milliseconds timeout = 5s) {
    const std::int32_t correlation = send(request, version);
    if (correlation < 0) return std::nullopt;
    return receive_response<Response>(Request::api_key, version, correlation, timeout);
  }

  template <class Response>
  std::optional<Response> receive_response(protocol::ApiKey api, std::int16_t version, std::int32_t correlation,
                                           std::chrono::milliseconds timeout = 5s) {
    auto frame = receive(timeout);
    if (!frame) return std::nullopt;
    protocol::Reader in(*frame);
    protocol::ResponseHeader header;
    if (header.decode(in, protocol::response_header_version(api, version)) || header.correlation_id != correlation)
      return std::nullopt;
    Response response;
    if (protocol::decode_message(std::span(*frame).subspan(in.position()), version, response)) return std::nullopt;
    return response;
  }

  /// True when the peer closes the connection within `timeout` (any bytes
  /// arriving first are discarded).
  bool wait_closed(std::chrono::milliseconds timeout = 5s);

 private:
  bool read_exact(std::uint8_t* out, std::size_t n, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::int32_t next_correlation_ = 1;
};

/// A record to put in a test batch.
struct TestRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers = {};
  std::int64_t timestamp = 1700000000000;
};

/// Producer state written into a test batch.
struct TestProducer {
  std::int64_t producer_id = -1;
  std::int16_t epoch = -1;
  std::int32_t base_sequence = -1;
};

/// A sealed record batch v2 holding `records` (uncompressed).
std::vector<std::uint8_t> make_batch(const std::vector<TestRecord>& records, TestProducer producer = {});
/// A batch of `count` records with values "v0", "v1", ...
std::vector<std::uint8_t> make_batch(int count, TestProducer producer = {});

/// A Produce request for one partition, pointing at `records` (which must
/// outlive the request).
protocol::ProduceRequest produce_request(const std::string& topic, std::int32_t partition,
                                         std::span<const std::uint8_t> records, std::int16_t acks = -1);

/// The single partition response of a one-partition Produce response.
const protocol::ProduceResponse::PartitionResponse* only_partition(const protocol::ProduceResponse& response);

}  // namespace kwire::mock::test
