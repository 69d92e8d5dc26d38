#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "kwire/net/frame_decoder.hpp"
#include "kwire/protocol/client_error.hpp"

using kwire::client_errc;
using kwire::net::FrameDecoder;

namespace {

std::vector<std::uint8_t> frame_of(const std::vector<std::uint8_t>& payload) {
  auto n = static_cast<std::uint32_t>(payload.size());
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                                static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<std::uint8_t> payload(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7);
  return out;
}

/// Feeds `chunks` one after another, draining every frame as it completes.
std::vector<std::vector<std::uint8_t>> feed(FrameDecoder& decoder,
                                            const std::vector<std::span<const std::uint8_t>>& chunks) {
  std::vector<std::vector<std::uint8_t>> frames;
  for (auto chunk : chunks) {
    while (true) {
      std::size_t used = decoder.put(chunk);
      REQUIRE(used <= chunk.size());
      chunk = chunk.subspan(used);
      REQUIRE_FALSE(decoder.error());
      if (!decoder.has_frame()) {
        REQUIRE(chunk.empty());  // without a complete frame, put() takes everything
        break;
      }
      frames.push_back(decoder.take_frame());
    }
  }
  return frames;
}

const std::vector<std::vector<std::uint8_t>> kPayloads = {payload(0, 0), payload(1, 9), payload(37, 3),
                                                          payload(4, 1), payload(300, 5)};

std::vector<std::uint8_t> stream_of(const std::vector<std::vector<std::uint8_t>>& payloads) {
  std::vector<std::uint8_t> stream;
  for (const auto& p : payloads) {
    auto f = frame_of(p);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  return stream;
}

}  // namespace

TEST_CASE("frames split at every byte offset decode identically") {
  const std::vector<std::uint8_t> stream = stream_of(kPayloads);
  const std::span<const std::uint8_t> all(stream);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    FrameDecoder decoder;
    auto frames = feed(decoder, {all.first(cut), all.subspan(cut)});
    CHECK(frames == kPayloads);
    CHECK(decoder.buffered() == 0);
  }
}

TEST_CASE("frames split at every pair of offsets decode identically") {
  const std::vector<std::vector<std::uint8_t>> payloads = {payload(0, 0), payload(3, 1), payload(11, 2),
                                                           payload(1, 4)};
  const std::vector<std::uint8_t> stream = stream_of(payloads);
  const std::span<const std::uint8_t> all(stream);
  for (std::size_t a = 0; a <= stream.size(); ++a)
    for (std::size_t b = a; b <= stream.size(); ++b) {
      CAPTURE(a);
      CAPTURE(b);
      FrameDecoder decoder;
      auto frames = feed(decoder, {all.first(a), all.subspan(a, b - a), all.subspan(b)});
      REQUIRE(frames == payloads);
    }
}

TEST_CASE("frames fed one byte at a time decode identically") {
  const std::vector<std::uint8_t> stream = stream_of(kPayloads);
  std::vector<std::span<const std::uint8_t>> chunks;
  for (std::size_t i = 0; i < stream.size(); ++i) chunks.emplace_back(stream.data() + i, 1);
  FrameDecoder decoder;
  CHECK(feed(decoder, chunks) == kPayloads);
}

TEST_CASE("put stops at the end of a complete frame and waits for take_frame") {
  const std::vector<std::uint8_t> stream = stream_of({payload(5, 1), payload(2, 2)});
  FrameDecoder decoder;
  CHECK(decoder.put(stream) == 9);
  REQUIRE(decoder.has_frame());
  CHECK(decoder.frame().size() == 5);
  // A ready frame blocks further input until it is taken.
  CHECK(decoder.put(std::span(stream).subspan(9)) == 0);
  CHECK(decoder.take_frame() == payload(5, 1));
  CHECK_FALSE(decoder.has_frame());
  CHECK(decoder.put(std::span(stream).subspan(9)) == 6);
  REQUIRE(decoder.has_frame());
  CHECK(decoder.take_frame() == payload(2, 2));
}

TEST_CASE("a negative frame size is malformed and sticky") {
  const std::vector<std::uint8_t> bad = {0xff, 0xff, 0xff, 0xfe, 1, 2, 3};
  FrameDecoder decoder;
  CHECK(decoder.put(bad) == 4);
  CHECK(decoder.error() == client_errc::malformed);
  CHECK_FALSE(decoder.has_frame());
  CHECK(decoder.put(bad) == 0);
  CHECK(decoder.payload_capacity() == 0);
  decoder.reset();
  CHECK_FALSE(decoder.error());
  const auto good = frame_of(payload(2, 0));
  CHECK(decoder.put(good) == good.size());
  CHECK(decoder.has_frame());
}

TEST_CASE("a frame larger than the maximum is refused before allocating") {
  SUBCASE("0x7fffffff with the default maximum") {
    const std::vector<std::uint8_t> absurd = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    FrameDecoder decoder;
    CHECK(decoder.put(absurd) == 4);
    CHECK(decoder.error() == client_errc::frame_too_large);
    CHECK(decoder.payload_capacity() == 0);
  }
  SUBCASE("one byte over a configured maximum; exactly the maximum is fine") {
    FrameDecoder over(16);
    const auto big = frame_of(payload(17, 0));
    over.put(big);
    CHECK(over.error() == client_errc::frame_too_large);
    FrameDecoder exact(16);
    const auto ok = frame_of(payload(16, 0));
    CHECK(exact.put(ok) == ok.size());
    CHECK(exact.has_frame());
  }
  SUBCASE("the error is detected as soon as the 4 size bytes arrive") {
    FrameDecoder decoder(100);
    const std::vector<std::uint8_t> prefix = {0, 0, 1, 0};
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(decoder.put(std::span(prefix).subspan(i, 1)) == 1);
      CHECK_FALSE(decoder.error());
    }
    CHECK(decoder.put(std::span(prefix).subspan(3)) == 1);
    CHECK(decoder.error() == client_errc::frame_too_large);
  }
}

TEST_CASE("an announced size under the maximum is not allocated until bytes arrive") {
  FrameDecoder decoder;  // 100 MiB maximum
  const std::uint32_t announced = (100u << 20) - 1;
  const std::vector<std::uint8_t> start = {static_cast<std::uint8_t>(announced >> 24),
                                           static_cast<std::uint8_t>(announced >> 16),
                                           static_cast<std::uint8_t>(announced >> 8),
                                           static_cast<std::uint8_t>(announced), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(decoder.put(start) == start.size());
  CHECK_FALSE(decoder.error());
  CHECK_FALSE(decoder.has_frame());
  CHECK(decoder.buffered() == start.size());
  CHECK(decoder.payload_capacity() <= 10 + FrameDecoder::kGrowChunk);
}

TEST_CASE("the payload buffer grows with the bytes and never past the frame") {
  const std::size_t size = 1000 * 1000 + 3;
  const auto frame = frame_of(payload(size, 3));
  FrameDecoder decoder;
  std::span<const std::uint8_t> rest(frame);
  while (!rest.empty()) {
    auto chunk = rest.first(std::min<std::size_t>(rest.size(), 4093));
    rest = rest.subspan(decoder.put(chunk));
    const std::size_t have = decoder.has_frame() ? size : decoder.buffered() - 4;
    CHECK(decoder.payload_capacity() <= size);
    CHECK(decoder.payload_capacity() <= 2 * have + FrameDecoder::kGrowChunk);
  }
  REQUIRE(decoder.has_frame());
  CHECK(decoder.take_frame() == payload(size, 3));
}

TEST_CASE("a large frame read in socket-sized pieces is reallocated a few times, not once per chunk") {
  const std::size_t size = std::size_t{8} << 20;  // an 8 MiB Fetch response
  const auto frame = frame_of(payload(size, 7));
  FrameDecoder decoder;
  std::span<const std::uint8_t> rest(frame);
  std::size_t reallocations = 0;
  std::size_t capacity = decoder.payload_capacity();
  while (!rest.empty()) {
    rest = rest.subspan(decoder.put(rest.first(std::min<std::size_t>(rest.size(), 65536))));
    if (decoder.payload_capacity() != capacity) ++reallocations;
    capacity = decoder.payload_capacity();
  }
  REQUIRE(decoder.has_frame());
  // Doubling from one chunk: log2(8 MiB / 64 KiB) + 1 = 8. Growing by one
  // chunk at a time would be 128 (each copying everything so far).
  CHECK(reallocations <= 10);
  CHECK(decoder.take_frame() == payload(size, 7));
}

TEST_CASE("the payload buffer is kept for the next frame: a second large frame is not reallocated") {
  const std::size_t size = std::size_t{3} << 20;  // a 3 MiB Fetch response
  FrameDecoder decoder;
  const auto feed = [&decoder](const std::vector<std::uint8_t>& frame) {
    std::size_t reallocations = 0;
    std::size_t capacity = decoder.payload_capacity();
    std::span<const std::uint8_t> rest(frame);
    while (!rest.empty()) {
      rest = rest.subspan(decoder.put(rest.first(std::min<std::size_t>(rest.size(), 65536))));
      if (decoder.payload_capacity() != capacity) ++reallocations;
      capacity = decoder.payload_capacity();
    }
    REQUIRE(decoder.has_frame());
    return reallocations;
  };
  CHECK(feed(frame_of(payload(size, 1))) > 0);
  CHECK(decoder.take_frame() == payload(size, 1));
  CHECK(decoder.payload_capacity() >= size);
  CHECK(feed(frame_of(payload(size - 100, 2))) == 0);
  CHECK(decoder.take_frame() == payload(size - 100, 2));
  CHECK(feed(frame_of(payload(5, 3))) == 0);
  CHECK(decoder.take_frame() == payload(5, 3));

  // Past the retention cap the buffer goes with the frame.
  const std::size_t huge = FrameDecoder::kMaxRetainedBytes + 1;
  (void)feed(frame_of(payload(huge, 4)));
  CHECK(decoder.take_frame().size() == huge);
  CHECK(decoder.payload_capacity() == 0);
}

TEST_CASE("a frame that fills its buffer leaves in it, uncopied; a small frame after a large one is copied out") {
  const std::size_t size = std::size_t{1} << 20;
  FrameDecoder decoder;
  const auto whole = frame_of(payload(size, 1));
  std::span<const std::uint8_t> rest(whole);
  while (!rest.empty()) rest = rest.subspan(decoder.put(rest.first(std::min<std::size_t>(rest.size(), 65536))));
  REQUIRE(decoder.has_frame());
  const std::uint8_t* assembled = decoder.frame().data();
  const auto large = decoder.take_frame();
  CHECK(large.data() == assembled);  // the buffer itself, no copy
  CHECK(large == payload(size, 1));
  CHECK(decoder.payload_capacity() >= size);  // the next one starts as large

  const auto small = frame_of(payload(5, 2));
  REQUIRE(decoder.put(small) == small.size());
  const std::uint8_t* kept = decoder.frame().data();
  const auto copied = decoder.take_frame();
  CHECK(copied == payload(5, 2));
  CHECK(copied.data() != kept);
  CHECK(copied.capacity() < 64);  // an exact copy, not the 1 MiB buffer
  CHECK(decoder.payload_capacity() >= size);  // kept for the next large one
}
