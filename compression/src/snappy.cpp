// snappy: raw snappy out; raw or xerial-framed snappy in.
//
// The Java client writes snappy-java's SnappyOutputStream framing ("xerial"):
//   magic "\x82SNAPPY\0" (8 bytes), int32 version, int32 compatible version,
//   then blocks of [int32 big-endian compressed length][raw snappy block].
// librdkafka and franz-go write one raw snappy buffer, which every reader
// (Java included) accepts. Like librdkafka we tell them apart by the 8-byte
// magic alone, ignoring the version fields.
#include <snappy.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>

#include "engines.hpp"
#include "kwire/compression/error.hpp"

namespace kwire::compression::detail {
namespace {

constexpr std::array<std::uint8_t, 8> kXerialMagic{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr std::size_t kXerialHeaderSize = 16;  // magic, version, compatible version

bool starts_with_magic(Bytes in) {
  return in.size() >= kXerialMagic.size() && std::memcmp(in.data(), kXerialMagic.data(), kXerialMagic.size()) == 0;
}

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

// One raw snappy buffer. Its header states the uncompressed length; we check
// it against the room left before allocating, and RawUncompress checks that
// the data decodes to exactly that many bytes.
std::error_code decode_raw(Bytes block, OutputWindow& out) {
  const char* data = reinterpret_cast<const char*>(block.data());
  std::size_t length = 0;
  if (!snappy::GetUncompressedLength(data, block.size(), &length)) return errc::corrupt_input;
  if (length > out.room()) return errc::output_limit_exceeded;
  const std::span<std::uint8_t> region = out.extend(length);
  if (!snappy::RawUncompress(data, block.size(), reinterpret_cast<char*>(region.data())))
    return errc::corrupt_input;
  out.commit(length);
  return {};
}

std::error_code decode_xerial(Bytes in, OutputWindow& out) {
  if (in.size() < kXerialHeaderSize) return errc::corrupt_input;
  in = in.subspan(kXerialHeaderSize);
  while (!in.empty()) {
    if (in.size() < 4) return errc::corrupt_input;
    // snappy-java's SnappyInputStream reads on through a second header when
    // two streams were concatenated; its first 4 bytes, read as a length, are
    // negative, so they cannot be a real block length.
    if (starts_with_magic(in)) {
      if (in.size() < kXerialHeaderSize) return errc::corrupt_input;
      in = in.subspan(kXerialHeaderSize);
      continue;
    }
    const std::uint32_t length = read_be32(in.data());
    in = in.subspan(4);
    if (length > in.size()) return errc::corrupt_input;  // also rejects "negative" lengths
    if (const std::error_code ec = decode_raw(in.first(length), out)) return ec;
    in = in.subspan(length);
  }
  return {};
}

}  // namespace

std::error_code snappy_compress(Bytes in, std::vector<std::uint8_t>& out) {
  // The snappy format stores lengths as 32-bit varints.
  if (in.size() > std::numeric_limits<std::uint32_t>::max()) return errc::library_error;
  const std::size_t base = out.size();
  out.resize(base + snappy::MaxCompressedLength(in.size()));
  std::size_t written = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(in.data()), in.size(),
                      reinterpret_cast<char*>(out.data() + base), &written);
  out.resize(base + written);
  return {};
}

std::error_code snappy_decompress(Bytes in, OutputWindow& out) {
  if (starts_with_magic(in)) return decode_xerial(in, out);
  return decode_raw(in, out);
}

}  // namespace kwire::compression::detail
