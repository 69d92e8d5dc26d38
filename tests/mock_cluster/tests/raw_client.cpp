#include "raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "kwire/protocol/record_batch.hpp"

namespace kwire::mock::test {

RawClient::RawClient(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send_raw(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) return false;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawClient::read_exact(std::uint8_t* out, std::size_t n, std::chrono::steady_clock::time_point deadline) {
  std::size_t got = 0;
  while (got < n) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t r = ::recv(fd_, out + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;  // EOF or error
    got += static_cast<std::size_t>(r);
  }
  return true;
}

std::optional<std::vector<std::uint8_t>> RawClient::receive(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint8_t size_bytes[4];
  if (!read_exact(size_bytes, 4, deadline)) return std::nullopt;
  const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24) | (std::uint32_t{size_bytes[1]} << 16) |
                             (std::uint32_t{size_bytes[2]} << 8) | std::uint32_t{size_bytes[3]};
  if (size > (64u << 20)) return std::nullopt;
  std::vector<std::uint8_t> payload(size);
  if (!read_exact(payload.data(), size, deadline)) return std::nullopt;
  return payload;
}

bool RawClient::wait_closed(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint8_t sink[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t r = ::recv(fd_, sink, sizeof sink, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return true;  // EOF or reset
  }
}

std::vector<std::uint8_t> make_batch(const std::vector<TestRecord>& records, TestProducer producer) {
  protocol::RecordBatchBuilder builder(records.empty() ? 0 : records.front().timestamp);
  auto bytes_of = [](const std::optional<std::string>& s) -> std::optional<std::span<const std::uint8_t>> {
    if (!s) return std::nullopt;
    return std::span(reinterpret_cast<const std::uint8_t*>(s->data()), s->size());
  };
  for (const TestRecord& r : records) {
    std::vector<protocol::RecordHeader> headers;
    for (const auto& [k, v] : r.headers) headers.push_back({k, bytes_of(v)});
    builder.append(r.timestamp, bytes_of(r.key), bytes_of(r.value), headers);
  }
  protocol::BatchSealParams params;
  params.producer_id = producer.producer_id;
  params.producer_epoch = producer.epoch;
  params.base_sequence = producer.base_sequence;
  auto sealed = builder.seal(params);
  return {sealed.begin(), sealed.end()};
}

std::vector<std::uint8_t> make_batch(int count, TestProducer producer) {
  std::vector<TestRecord> records;
  for (int i = 0; i < count; ++i) records.push_back({std::nullopt, "v" + std::to_string(i)});
  return make_batch(records, producer);
}

protocol::ProduceRequest produce_request(const std::string& topic, std::int32_t partition,
                                         std::span<const std::uint8_t> records, std::int16_t acks) {
  protocol::ProduceRequest request;
  request.acks = acks;
  request.timeout_ms = 5000;
  auto& t = request.topic_data.emplace_back();
  t.name = topic;
  auto& p = t.partition_data.emplace_back();
  p.index = partition;
  p.records = records;
  return request;
}

const protocol::ProduceResponse::PartitionResponse* only_partition(const protocol::ProduceResponse& response) {
  if (response.responses.size() != 1 || response.responses[0].partition_responses.size() != 1) return nullptr;
  return &response.responses[0].partition_responses[0];
}

}  // namespace kwire::mock::test
