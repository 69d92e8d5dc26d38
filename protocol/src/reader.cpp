#include "kwire/protocol/reader.hpp"

#include <bit>
#include <cstring>
#include <limits>

namespace kwire::protocol {

void Reader::fail(client_errc why) noexcept {
  if (!error_) error_ = make_error_code(why);
  pos_ = size_;  // every later read now underflows and returns zero
}

bool Reader::need(std::size_t n) noexcept {
  if (error_) return false;
  if (size_ - pos_ < n) {
    fail(client_errc::truncated);
    return false;
  }
  return true;
}

std::span<const std::uint8_t> Reader::read_raw(std::size_t n) noexcept {
  if (!need(n)) return {};
  std::span<const std::uint8_t> out(data_ + pos_, n);
  pos_ += n;
  return out;
}

Reader Reader::sub_reader(std::size_t n) noexcept {
  if (!need(n)) {
    Reader failed;
    failed.fail(client_errc::truncated);
    return failed;
  }
  Reader sub(data_ + pos_, n);
  pos_ += n;
  return sub;
}

std::int8_t Reader::read_int8() noexcept {
  if (!need(1)) return 0;
  return static_cast<std::int8_t>(data_[pos_++]);
}

std::uint16_t Reader::read_uint16() noexcept {
  if (!need(2)) return 0;
  auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return v;
}

std::uint32_t Reader::read_uint32() noexcept {
  if (!need(4)) return 0;
  const std::uint8_t* p = data_ + pos_;
  pos_ += 4;
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::int16_t Reader::read_int16() noexcept { return static_cast<std::int16_t>(read_uint16()); }
std::int32_t Reader::read_int32() noexcept { return static_cast<std::int32_t>(read_uint32()); }

std::int64_t Reader::read_int64() noexcept {
  std::uint64_t hi = read_uint32();
  std::uint64_t lo = read_uint32();
  return static_cast<std::int64_t>((hi << 32) | lo);
}

double Reader::read_float64() noexcept { return std::bit_cast<double>(read_int64()); }

std::uint64_t Reader::read_uvarlong() noexcept {
  std::uint64_t value = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (!need(1)) return 0;
    std::uint8_t b = data_[pos_++];
    if (shift == 63 && b > 1) break;  // would overflow 64 bits
    value |= std::uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return value;
  }
  fail(client_errc::malformed);
  return 0;
}

std::uint32_t Reader::read_uvarint() noexcept {
  std::uint32_t value = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    if (!need(1)) return 0;
    std::uint8_t b = data_[pos_++];
    if (shift == 28 && b > 0x0f) break;  // would overflow 32 bits
    value |= std::uint32_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return value;
  }
  fail(client_errc::malformed);
  return 0;
}

std::int32_t Reader::read_varint() noexcept {
  std::uint32_t u = read_uvarint();
  return static_cast<std::int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

std::int64_t Reader::read_varlong() noexcept {
  std::uint64_t u = read_uvarlong();
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

Uuid Reader::read_uuid() noexcept {
  Uuid id;
  auto raw = read_raw(16);
  if (!raw.empty()) std::memcpy(id.bytes.data(), raw.data(), 16);
  return id;
}

std::int64_t Reader::read_length(bool compact, bool wide) noexcept {
  std::int64_t length;
  if (compact)
    length = static_cast<std::int64_t>(read_uvarint()) - 1;
  else
    length = wide ? read_int32() : read_int16();
  if (!ok()) return -1;
  if (length < -1) {
    fail(client_errc::malformed);
    return -1;
  }
  if (length > static_cast<std::int64_t>(remaining())) {
    fail(client_errc::length_exceeds_input);
    return -1;
  }
  return length;
}

std::string_view Reader::read_string_view(bool compact) noexcept {
  std::int64_t length = read_length(compact, false);
  if (length < 0) {
    if (ok()) fail(client_errc::malformed);  // null where a string is required
    return {};
  }
  auto raw = read_raw(static_cast<std::size_t>(length));
  return {reinterpret_cast<const char*>(raw.data()), raw.size()};
}

std::string Reader::read_string(bool compact) { return std::string(read_string_view(compact)); }

std::optional<std::string> Reader::read_nullable_string(bool compact) {
  std::int64_t length = read_length(compact, false);
  if (length < 0) return std::nullopt;
  auto raw = read_raw(static_cast<std::size_t>(length));
  return std::string(reinterpret_cast<const char*>(raw.data()), raw.size());
}

std::optional<std::span<const std::uint8_t>> Reader::read_bytes_view(bool compact) noexcept {
  std::int64_t length = read_length(compact, true);
  if (length < 0) return std::nullopt;
  return read_raw(static_cast<std::size_t>(length));
}

std::optional<std::vector<std::uint8_t>> Reader::read_nullable_bytes(bool compact) {
  auto view = read_bytes_view(compact);
  if (!view) return std::nullopt;
  return std::vector<std::uint8_t>(view->begin(), view->end());
}

std::vector<std::uint8_t> Reader::read_bytes(bool compact) {
  auto view = read_bytes_view(compact);
  if (!view) {
    if (ok()) fail(client_errc::malformed);
    return {};
  }
  return {view->begin(), view->end()};
}

std::int32_t Reader::read_array_length(bool compact, std::size_t min_element_size) noexcept {
  std::int64_t count = compact ? static_cast<std::int64_t>(read_uvarint()) - 1 : read_int32();
  if (!ok()) return 0;
  if (count < -1) {
    fail(client_errc::malformed);
    return 0;
  }
  if (count > 0 && static_cast<std::uint64_t>(count) * (min_element_size ? min_element_size : 1) > remaining()) {
    fail(client_errc::length_exceeds_input);
    return 0;
  }
  return static_cast<std::int32_t>(count);
}

}  // namespace kwire::protocol
