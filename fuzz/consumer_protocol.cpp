// ConsumerProtocol subscription and assignment decoders (the blobs other
// group members send through JoinGroup/SyncGroup). Input: one mode byte
// (even: subscription, odd: assignment), then the version-prefixed blob.
//
// Checked, for a blob that decodes to x with wire version w, read as
// v = min(w, 3) (newer versions are read as 3, trailing bytes ignored):
//   1. c = encode(x, v) decodes back to x, with wire version v;
//   2. encode(decode(c)) == c (canonical, a fixed point);
//   3. c is exactly the bytes the decoder read (trailing bytes excepted),
//      but for the prefix of a newer version, which becomes 3.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/protocol/consumer_protocol.hpp"

namespace {

template <class M>
void check(std::span<const std::uint8_t> blob) {
  M decoded;
  std::int16_t wire_version = -1;
  kwire::protocol::Reader in(blob);
  if (decoded.decode(in, &wire_version)) return;
  KWIRE_FUZZ_CHECK(wire_version >= M::min_version, "a negative version decoded");
  const std::size_t consumed = in.position();
  const auto version = std::min(wire_version, M::max_version);

  std::vector<std::uint8_t> canonical;
  KWIRE_FUZZ_CHECK(!kwire::protocol::encode_consumer_protocol(decoded, version, canonical),
                   "encode refused a value its own decoder accepted");
  M again;
  std::int16_t again_version = -1;
  KWIRE_FUZZ_CHECK(!kwire::protocol::decode_consumer_protocol(canonical, again, &again_version),
                   "decode(encode(x)) failed");
  KWIRE_FUZZ_CHECK(again == decoded, "decode(encode(x)) != x");
  KWIRE_FUZZ_CHECK(again_version == version, "the version prefix changed");

  std::vector<std::uint8_t> twice;
  KWIRE_FUZZ_CHECK(!kwire::protocol::encode_consumer_protocol(again, version, twice), "re-encoding failed");
  KWIRE_FUZZ_CHECK(twice == canonical, "encode(decode(encode(x))) != encode(x)");

  // The fields read re-encode to exactly the bytes they came from; only the
  // version prefix of a newer version changes (to 3).
  KWIRE_FUZZ_CHECK(canonical.size() == consumed, "re-encoding changed the size of the fields read");
  KWIRE_FUZZ_CHECK(std::equal(canonical.begin() + 2, canonical.end(), blob.begin() + 2),
                   "re-encoding changed the bytes of the fields read");
  if (wire_version <= M::max_version)
    KWIRE_FUZZ_CHECK(canonical[0] == blob[0] && canonical[1] == blob[1], "the version prefix changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::span<const std::uint8_t> blob(data + 1, size - 1);
  if (data[0] % 2 == 0)
    check<kwire::protocol::ConsumerProtocolSubscription>(blob);
  else
    check<kwire::protocol::ConsumerProtocolAssignment>(blob);
  return 0;
}
