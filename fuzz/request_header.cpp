// Request header v1/v2 decoder (what a broker, or the mock cluster, reads
// first in every request frame). Input: one mode byte, then the frame:
//   mode % 3 == 0: the header version follows from the frame's own api key
//                  and version, exactly as the mock cluster picks it;
//   mode % 3 == 1 / 2: header v1 / v2 whatever the api.
// The header is a prefix: bytes after it (the body) are not an error.
#include <algorithm>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/protocol/api.hpp"
#include "kwire/protocol/header.hpp"

using namespace kwire::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::span<const std::uint8_t> frame(data + 1, size - 1);
  std::int16_t header_version = static_cast<std::int16_t>(data[0] % 3);
  if (header_version == 0) {
    if (frame.size() < 4) return 0;
    const auto api = static_cast<ApiKey>(static_cast<std::int16_t>((frame[0] << 8) | frame[1]));
    const auto version = static_cast<std::int16_t>((frame[2] << 8) | frame[3]);
    header_version = request_header_version(api, version);
  }

  Reader in(frame);
  RequestHeader header;
  if (header.decode(in, header_version)) return 0;
  KWIRE_FUZZ_CHECK(in.ok(), "decode succeeded on a failed reader");
  const auto consumed = frame.first(in.position());

  // encode() picks the header version from api_key/api_version; the round
  // trip is only defined when that is the version we read. When it is not,
  // encode() writes the other layout, and must refuse (writing nothing) tags
  // that a v1 layout cannot carry.
  std::vector<std::uint8_t> canonical;
  Writer w(canonical);
  if (request_header_version(header.api_key, header.api_version) != header_version) {
    const bool refused = static_cast<bool>(header.encode(w));
    KWIRE_FUZZ_CHECK(refused == (header_version == 2 && !header.unknown_tags.empty()),
                     "encode() to a v1 layout must refuse exactly the headers that carry tags");
    KWIRE_FUZZ_CHECK(!refused || canonical.empty(), "a refused encode wrote bytes");
    return 0;
  }
  KWIRE_FUZZ_CHECK(!header.encode(w), "encode() refused a header read in its own layout");
  Reader back(canonical);
  RequestHeader again;
  KWIRE_FUZZ_CHECK(!again.decode(back, header_version) && back.at_end(), "decode(encode(header)) failed");
  KWIRE_FUZZ_CHECK(again == header, "decode(encode(header)) != header");
  // Only the tag buffer's varints can be non-canonical (no booleans here).
  KWIRE_FUZZ_CHECK(canonical.size() <= consumed.size(), "re-encoding made the header longer");
  if (canonical.size() == consumed.size())
    KWIRE_FUZZ_CHECK(std::equal(canonical.begin(), canonical.end(), consumed.begin()),
                     "a same-size re-encoding of the header differs");
  return 0;
}
