#include "kwire/net/frame_decoder.hpp"

#include <algorithm>
#include <utility>

#include "kwire/protocol/client_error.hpp"

namespace kwire::net {

std::size_t FrameDecoder::put(std::span<const std::uint8_t> input) {
  if (complete_ || error_) return 0;
  std::size_t used = 0;

  if (header_filled_ < 4) {
    std::size_t n = std::min(input.size(), 4 - header_filled_);
    std::copy_n(input.begin(), n, header_ + header_filled_);
    header_filled_ += n;
    used += n;
    if (header_filled_ < 4) return used;

    auto raw = static_cast<std::uint32_t>(header_[0]) << 24 | static_cast<std::uint32_t>(header_[1]) << 16 |
               static_cast<std::uint32_t>(header_[2]) << 8 | static_cast<std::uint32_t>(header_[3]);
    auto size = static_cast<std::int32_t>(raw);
    if (size < 0) {
      error_ = make_error_code(client_errc::malformed);
      return used;
    }
    if (static_cast<std::size_t>(size) > max_frame_bytes_) {
      error_ = make_error_code(client_errc::frame_too_large);
      return used;
    }
    frame_size_ = static_cast<std::size_t>(size);
    payload_.clear();
  }

  std::size_t want = frame_size_ - payload_.size();
  std::size_t n = std::min(input.size() - used, want);
  if (n > 0) {
    std::size_t needed = payload_.size() + n;
    if (needed > payload_.capacity()) {
      // Grow geometrically for amortised O(1) appends (a 3 MiB Fetch
      // response read 64 KiB at a time is copied a handful of times, not
      // ~50), but never past the announced size, and never beyond twice
      // what arrived (or one chunk, while that is less): the allocation
      // follows the bytes present, never the untrusted size alone.
      std::size_t grown = std::max(needed, payload_.capacity() * 2);
      grown = std::min({grown, std::max(needed + kGrowChunk, 2 * needed), frame_size_});
      payload_.reserve(grown);
    }
    auto first = input.begin() + static_cast<std::ptrdiff_t>(used);
    payload_.insert(payload_.end(), first, first + static_cast<std::ptrdiff_t>(n));
    used += n;
  }
  if (payload_.size() == frame_size_) complete_ = true;
  return used;
}

std::vector<std::uint8_t> FrameDecoder::take_frame() {
  const std::size_t size = payload_.size();
  const std::size_t capacity = payload_.capacity();
  std::vector<std::uint8_t> out;
  if (capacity - size <= size / 4) {
    // The buffer fits the frame (within a quarter): it leaves as the frame,
    // uncopied, and the next frame starts in a new buffer as large as this
    // one needed (what arrived justified it, never the next frame's
    // untrusted size), so it is not regrown step by step either.
    out = std::move(payload_);
    payload_ = std::vector<std::uint8_t>();
    if (capacity <= kMaxRetainedBytes) payload_.reserve(capacity);
  } else {
    // A small frame in a buffer a larger one grew: copy it out exactly and
    // keep the buffer (up to kMaxRetainedBytes).
    out.assign(payload_.begin(), payload_.end());
    payload_.clear();
    // (`payload_ = {}` would assign an empty list and keep the capacity.)
    if (capacity > kMaxRetainedBytes) std::vector<std::uint8_t>().swap(payload_);
  }
  header_filled_ = 0;
  frame_size_ = 0;
  complete_ = false;
  return out;
}

void FrameDecoder::reset() noexcept {
  std::vector<std::uint8_t>().swap(payload_);
  header_filled_ = 0;
  frame_size_ = 0;
  complete_ = false;
  error_ = {};
}

}  // namespace kwire::net
