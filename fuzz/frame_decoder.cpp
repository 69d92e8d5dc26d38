// net::FrameDecoder fed a byte stream in chunks of fuzzer-chosen sizes,
// checked against a one-shot reference parse of the same stream.
//
// Input: byte 0 chooses the maximum frame size (from a table, so small
// limits are reached), byte 1 the chunking (0: the whole stream at once;
// n: chunks of 1..n bytes from a PRNG seeded by the input), then the
// stream: [int32 size][payload]...
//
// Checked: the frames come out whole and in order, exactly as the reference
// parse finds them; the first bad size gives the reference's error
// (malformed for a negative size, frame_too_large above the maximum) and
// stops the decoder; bytes of an incomplete frame are buffered(); and the
// payload buffer never holds more than the frame's announced size, nor more
// than one kGrowChunk beyond the bytes that arrived (no allocation from the
// untrusted size).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/net/frame_decoder.hpp"
#include "kwire/protocol/client_error.hpp"

using kwire::net::FrameDecoder;

namespace {

constexpr std::size_t kMaxFrameChoices[] = {0, 1, 7, 64, 4096, 65536, 1u << 20, kwire::net::kDefaultMaxFrameBytes};

struct Reference {
  std::vector<std::span<const std::uint8_t>> frames;
  std::error_code error;    ///< the stream's first bad size
  std::size_t partial = 0;  ///< bytes of a trailing incomplete frame
};

Reference parse_all(std::span<const std::uint8_t> s, std::size_t max_frame) {
  Reference ref;
  std::size_t at = 0;
  while (at < s.size()) {
    if (s.size() - at < 4) {
      ref.partial = s.size() - at;
      break;
    }
    const auto size = static_cast<std::int32_t>((std::uint32_t{s[at]} << 24) | (std::uint32_t{s[at + 1]} << 16) |
                                                (std::uint32_t{s[at + 2]} << 8) | s[at + 3]);
    if (size < 0) {
      ref.error = kwire::client_errc::malformed;
      break;
    }
    if (static_cast<std::size_t>(size) > max_frame) {
      ref.error = kwire::client_errc::frame_too_large;
      break;
    }
    if (s.size() - at - 4 < static_cast<std::size_t>(size)) {
      ref.partial = s.size() - at;
      break;
    }
    ref.frames.push_back(s.subspan(at + 4, static_cast<std::size_t>(size)));
    at += 4 + static_cast<std::size_t>(size);
  }
  return ref;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_frame = kMaxFrameChoices[data[0] % std::size(kMaxFrameChoices)];
  const unsigned max_chunk = data[1];
  const std::span<const std::uint8_t> stream(data + 2, size - 2);
  const Reference ref = parse_all(stream, max_frame);

  FrameDecoder decoder(max_frame);
  std::uint32_t rng = 0x9e3779b9u ^ static_cast<std::uint32_t>(size) ^ (std::uint32_t{data[1]} << 8);
  std::size_t frames_seen = 0;
  std::size_t retained = 0;  // the buffer an earlier frame left for the next one
  std::size_t at = 0;
  while (at < stream.size() && !decoder.error()) {
    std::size_t n = stream.size() - at;
    if (max_chunk != 0) {
      rng ^= rng << 13;
      rng ^= rng >> 17;
      rng ^= rng << 5;
      n = std::min<std::size_t>(n, 1 + rng % max_chunk);
    }
    auto chunk = stream.subspan(at, n);
    at += n;
    while (!chunk.empty()) {
      const std::size_t used = decoder.put(chunk);
      KWIRE_FUZZ_CHECK(used <= chunk.size(), "put() used more than it was given");
      chunk = chunk.subspan(used);
      KWIRE_FUZZ_CHECK(decoder.payload_capacity() <= max_frame, "payload buffer larger than the maximum frame");
      if (decoder.has_frame()) {
        KWIRE_FUZZ_CHECK(decoder.put(chunk) == 0, "put() consumed while a frame waits");
        KWIRE_FUZZ_CHECK(frames_seen < ref.frames.size(), "more frames than the stream holds");
        const auto expected = ref.frames[frames_seen++];
        const auto frame = decoder.frame();
        KWIRE_FUZZ_CHECK(std::equal(frame.begin(), frame.end(), expected.begin(), expected.end()), "frame differs");
        const std::vector<std::uint8_t> taken = decoder.take_frame();
        KWIRE_FUZZ_CHECK(std::equal(taken.begin(), taken.end(), expected.begin(), expected.end()),
                         "taken frame differs");
        KWIRE_FUZZ_CHECK(!decoder.has_frame() && decoder.buffered() == 0, "take_frame() did not start afresh");
        retained = decoder.payload_capacity();
        KWIRE_FUZZ_CHECK(retained <= FrameDecoder::kMaxRetainedBytes, "kept a buffer over the retention cap");
        continue;
      }
      if (decoder.error()) break;
      KWIRE_FUZZ_CHECK(chunk.empty(), "put() stopped early without a frame or an error");
      // An incomplete frame: the buffer holds at most one chunk beyond what arrived.
      const std::size_t buffered = decoder.buffered();
      const std::size_t payload = buffered > 4 ? buffered - 4 : 0;
      KWIRE_FUZZ_CHECK(decoder.payload_capacity() <= std::max(retained, payload + FrameDecoder::kGrowChunk),
                       "payload buffer grew more than one chunk past the bytes received");
    }
  }

  KWIRE_FUZZ_CHECK(frames_seen == ref.frames.size(), "frames missing");
  KWIRE_FUZZ_CHECK(decoder.error() == ref.error, "error differs from the reference parse");
  if (decoder.error()) {
    KWIRE_FUZZ_CHECK(decoder.put(stream) == 0, "put() consumed after an error");
  } else {
    KWIRE_FUZZ_CHECK(decoder.buffered() == ref.partial, "buffered() differs from the incomplete frame's bytes");
  }
  decoder.reset();
  KWIRE_FUZZ_CHECK(!decoder.error() && decoder.buffered() == 0 && !decoder.has_frame(), "reset() forgot nothing");
  return 0;
}
