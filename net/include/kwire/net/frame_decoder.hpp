#pragma once
// Sans-I/O decoder for Kafka's framing: every message on the wire is an
// int32 big-endian size followed by that many bytes (Kafka protocol guide,
// "Protocol Framing"). Bytes go in as they arrive from the socket; whole
// frames come out. No socket, no timer: unit tested by splitting frames at
// every byte offset (STYLE lesson 10, after Beast's parser).
//
// The announced size is untrusted. It is checked against a maximum before
// anything is allocated, and even a size under the maximum is never
// allocated up front: the payload buffer grows with the bytes that actually
// arrived (to at most twice them, or one chunk while that is more), so a
// peer announcing 100 MiB and sending 10 bytes costs about one chunk, not
// 100 MiB, and a large frame is still reallocated only a few times.
//
// A frame that fills its buffer (within a quarter) leaves in that buffer,
// uncopied, and the next frame starts in a new one of the same capacity,
// allocated once: a connection that receives large responses — a
// consumer's Fetch answers — neither copies each one nor regrows (and
// faults in) a buffer step by step for every frame. A small frame in a
// buffer a larger one grew leaves as an exact-size copy and the buffer
// stays (up to kMaxRetainedBytes).
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::net {

/// Default largest response frame accepted (Kafka's own socket.request.max.bytes
/// default is 100 MiB; Java's client has no response cap, librdkafka's
/// receive.message.max.bytes defaults to 100 MB).
inline constexpr std::size_t kDefaultMaxFrameBytes = std::size_t{100} << 20;

class FrameDecoder {
 public:
  /// The payload buffer holds at most max(this, the bytes present) beyond
  /// them, or what an earlier frame needed (kept up to kMaxRetainedBytes).
  static constexpr std::size_t kGrowChunk = 64 * 1024;
  /// Largest payload buffer kept for the next frame after take_frame().
  static constexpr std::size_t kMaxRetainedBytes = std::size_t{16} << 20;

  explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes) noexcept
      : max_frame_bytes_(max_frame_bytes) {}

  /// Consumes bytes from `input` and returns how many were used. Stops as
  /// soon as one frame is complete (has_frame() becomes true; the rest of
  /// `input` is left for the next call, after take_frame()), when the input
  /// is exhausted, or on error. While a frame is waiting to be taken, or
  /// after an error, consumes nothing and returns 0.
  ///
  /// Errors (sticky, see error()): a negative size is client_errc::malformed;
  /// a size above the maximum is client_errc::frame_too_large.
  std::size_t put(std::span<const std::uint8_t> input);

  /// True when a complete frame is ready to be taken.
  bool has_frame() const noexcept { return complete_; }
  /// The payload of the ready frame (without its size prefix). Only valid
  /// while has_frame().
  std::span<const std::uint8_t> frame() const noexcept { return payload_; }
  /// The ready frame's payload (its buffer when that fits it, else an
  /// exact-size copy) and starts the next frame.
  std::vector<std::uint8_t> take_frame();

  /// The first error met, if any; once set, put() consumes nothing.
  std::error_code error() const noexcept { return error_; }
  /// Bytes of the current, incomplete frame received so far (prefix included).
  std::size_t buffered() const noexcept { return header_filled_ + payload_.size(); }
  /// Capacity currently held for the payload (for tests of the no-preallocation rule).
  /// After a frame was taken: what it needed, if at most kMaxRetainedBytes.
  std::size_t payload_capacity() const noexcept { return payload_.capacity(); }
  std::size_t max_frame_bytes() const noexcept { return max_frame_bytes_; }

  /// Forgets everything (partial frame, ready frame, error).
  void reset() noexcept;

 private:
  std::size_t max_frame_bytes_;
  std::uint8_t header_[4] = {};
  std::size_t header_filled_ = 0;
  std::size_t frame_size_ = 0;  ///< valid once header_filled_ == 4
  std::vector<std::uint8_t> payload_;
  bool complete_ = false;
  std::error_code error_;
};

}  // namespace kwire::net

KWIRE_PUBLIC_END
