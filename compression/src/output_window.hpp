#pragma once
// Where decoders write: the tail of the caller's vector, never allowed to grow
// past `limit` bytes beyond what the vector held on entry. Internal.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kwire::compression::detail {

class OutputWindow {
 public:
  OutputWindow(std::vector<std::uint8_t>& out, std::size_t limit) noexcept
      : out_(out), base_(out.size()), written_(base_), end_(base_ + std::min(limit, out.max_size() - base_)) {}

  /// Bytes that may still be produced before the limit.
  std::size_t room() const noexcept { return end_ - written_; }
  std::size_t produced() const noexcept { return written_ - base_; }

  /// Exposes `n` (<= room()) writable bytes right after the data written so
  /// far. Capacity grows geometrically (so block-by-block callers stay linear)
  /// but never past the limit. May throw std::bad_alloc.
  std::span<std::uint8_t> extend(std::size_t n) {
    const std::size_t target = written_ + n;
    if (target > out_.capacity()) {
      const std::size_t doubled = out_.capacity() > end_ / 2 ? end_ : out_.capacity() * 2;
      out_.reserve(std::clamp(doubled, target, end_));
    }
    out_.resize(target);
    return {out_.data() + written_, n};
  }

  /// A region for a streaming decoder: at least `min_chunk`, else as much as has
  /// been produced so far (doubling) or the spare capacity, whichever is larger;
  /// capped by room(). Empty when the limit is reached.
  std::span<std::uint8_t> extend_streaming(std::size_t min_chunk) {
    std::size_t n = std::max(min_chunk, produced());
    if (out_.capacity() > written_) n = std::max(n, out_.capacity() - written_);
    return extend(std::min(n, room()));
  }

  /// Marks `n` bytes of the last region as output.
  void commit(std::size_t n) noexcept { written_ += n; }

  /// Trims the vector to the output committed.
  void finish() noexcept { out_.resize(written_); }
  /// Drops everything produced: the vector's size is what it was on entry.
  void discard() noexcept { out_.resize(base_); }

 private:
  std::vector<std::uint8_t>& out_;
  std::size_t base_;
  std::size_t written_;
  std::size_t end_;
};

/// Scratch space to learn whether a decoder would produce more once the limit
/// is reached: any byte written there means the limit is exceeded.
inline constexpr std::size_t kProbeSize = 64;

/// Decoders ask for at least this much room at a time (one Kafka lz4 block).
inline constexpr std::size_t kMinChunk = 64 * 1024;

}  // namespace kwire::compression::detail
