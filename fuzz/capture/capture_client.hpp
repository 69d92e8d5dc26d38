#pragma once
// The capture tool's shared pieces (kwire_capture_seeds, capture_seeds.cpp
// and capture_admin.cpp): writing seed files, and a plain blocking POSIX
// socket client that sends exactly the version asked, which the real
// client's negotiation would not.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/message.hpp"

namespace kwire::capture {

namespace fs = std::filesystem;
using namespace kwire::protocol;
using Bytes = std::vector<std::uint8_t>;

// ------------------------------------------------------------------ output

inline fs::path g_out = "fuzz/corpus";
inline std::size_t g_written = 0;

inline void write_seed(const std::string& target, const std::string& name, std::initializer_list<std::uint8_t> prefix,
                std::span<const std::uint8_t> bytes) {
  const fs::path dir = g_out / target;
  fs::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
  for (std::uint8_t b : prefix) f.put(static_cast<char>(b));
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + (dir / name).string());
  ++g_written;
}

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::uint8_t version_byte(std::int16_t version, std::int16_t min_version) {
  return static_cast<std::uint8_t>(version - min_version);
}

template <KafkaMessage M>
Bytes encode(const M& message, std::int16_t version) {
  Bytes out;
  if (auto ec = encode_message(message, version, out))
    throw std::runtime_error(std::string(api_name(M::api_key)) + " v" + std::to_string(version) +
                             ": encode failed: " + ec.message());
  return out;
}

// ------------------------------------------------------------------ broker

class Broker {
 public:
  Broker(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr)
      throw std::runtime_error("cannot resolve " + host);
    fd_ = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    const int rc = fd_ < 0 ? -1 : ::connect(fd_, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    if (rc != 0) {
      const std::string why = std::strerror(errno);
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("cannot connect to " + host + ":" + port + ": " + why);
    }
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Broker() {
    if (fd_ >= 0) ::close(fd_);
  }
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  struct Exchange {
    Bytes request_frame;   ///< size prefix, header, body
    Bytes request_header;  ///< header bytes only
    Bytes response_frame;  ///< size prefix, header, body
    Bytes response_body;   ///< after the response header
  };

  /// Sends `body` as (api, version) and returns the exchange.
  Exchange call(ApiKey api, std::int16_t version, std::span<const std::uint8_t> body) {
    try {
      return call_unchecked(api, version, body);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string(api_name(api)) + " v" + std::to_string(version) + ": " + e.what());
    }
  }

 private:
  Exchange call_unchecked(ApiKey api, std::int16_t version, std::span<const std::uint8_t> body) {
    Exchange x;
    RequestHeader header{api, version, ++correlation_id_, std::string("kwire-capture"), {}};
    Writer hw(x.request_header);
    header.encode(hw);
    Writer w(x.request_frame);
    w.write_int32(static_cast<std::int32_t>(x.request_header.size() + body.size()));
    w.write_raw(x.request_header);
    w.write_raw(body);
    send_all(x.request_frame);

    std::uint8_t size_bytes[4];
    recv_all(size_bytes, 4);
    const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24) | (std::uint32_t{size_bytes[1]} << 16) |
                               (std::uint32_t{size_bytes[2]} << 8) | size_bytes[3];
    if (size > (64u << 20)) throw std::runtime_error("response frame too large");
    x.response_frame.assign(size_bytes, size_bytes + 4);
    x.response_frame.resize(4 + size);
    recv_all(x.response_frame.data() + 4, size);

    Reader in(std::span<const std::uint8_t>(x.response_frame).subspan(4));
    ResponseHeader response_header;
    if (response_header.decode(in, response_header_version(api, version)) ||
        response_header.correlation_id != correlation_id_)
      throw std::runtime_error(std::string(api_name(api)) + " v" + std::to_string(version) + ": bad response header");
    x.response_body.assign(x.response_frame.begin() + 4 + static_cast<std::ptrdiff_t>(in.position()),
                           x.response_frame.end());
    return x;
  }

  void send_all(std::span<const std::uint8_t> b) {
    while (!b.empty()) {
      const ssize_t n = ::send(fd_, b.data(), b.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      b = b.subspan(static_cast<std::size_t>(n));
    }
  }
  void recv_all(std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      const ssize_t got = ::recv(fd_, p, n, 0);
      if (got <= 0) throw std::runtime_error("connection closed or timed out while reading a response");
      p += got;
      n -= static_cast<std::size_t>(got);
    }
  }

  int fd_ = -1;
  std::int32_t correlation_id_ = 0;
};

}  // namespace kwire::capture
