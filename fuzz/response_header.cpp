// Response header v0/v1 decoder (correlation id, and a tag buffer from v1).
// Input: one byte choosing the header version (even: v0, odd: v1), then the
// frame; the header is a prefix, the body may follow.
#include <algorithm>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/protocol/header.hpp"

using namespace kwire::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto header_version = static_cast<std::int16_t>(data[0] % 2);
  const std::span<const std::uint8_t> frame(data + 1, size - 1);
  Reader in(frame);
  ResponseHeader header;
  if (header.decode(in, header_version)) return 0;
  const auto consumed = frame.first(in.position());

  std::vector<std::uint8_t> canonical;
  Writer w(canonical);
  header.encode(w, header_version);
  Reader back(canonical);
  ResponseHeader again;
  KWIRE_FUZZ_CHECK(!again.decode(back, header_version) && back.at_end(), "decode(encode(header)) failed");
  KWIRE_FUZZ_CHECK(again == header, "decode(encode(header)) != header");
  KWIRE_FUZZ_CHECK(canonical.size() <= consumed.size(), "re-encoding made the header longer");
  if (canonical.size() == consumed.size())
    KWIRE_FUZZ_CHECK(std::equal(canonical.begin(), canonical.end(), consumed.begin()),
                     "a same-size re-encoding of the header differs");
  return 0;
}
