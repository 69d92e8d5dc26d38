#include "kwire/protocol/writer.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace kwire::protocol {

void Writer::write_uint16(std::uint16_t v) {
  const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  out_->insert(out_->end(), b, b + 2);
}

void Writer::write_uint32(std::uint32_t v) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                             static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  out_->insert(out_->end(), b, b + 4);
}

void Writer::write_int64(std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  write_uint32(static_cast<std::uint32_t>(u >> 32));
  write_uint32(static_cast<std::uint32_t>(u));
}

void Writer::write_float64(double v) { write_int64(std::bit_cast<std::int64_t>(v)); }

void Writer::write_uvarlong(std::uint64_t v) {
  std::uint8_t b[10];
  std::size_t n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<std::uint8_t>(v);
  out_->insert(out_->end(), b, b + n);
}

void Writer::write_varint(std::int32_t v) {
  write_uvarlong((static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31));
}

void Writer::write_varlong(std::int64_t v) {
  write_uvarlong((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void Writer::write_string(std::string_view s, bool compact) {
  if (compact)
    write_uvarint(static_cast<std::uint32_t>(s.size() + 1));
  else
    write_int16(static_cast<std::int16_t>(s.size()));
  out_->insert(out_->end(), s.begin(), s.end());
}

void Writer::write_null_string(bool compact) {
  if (compact)
    write_uvarint(0);
  else
    write_int16(-1);
}

void Writer::write_nullable_string(const std::optional<std::string>& s, bool compact) {
  if (s)
    write_string(*s, compact);
  else
    write_null_string(compact);
}

void Writer::write_bytes(std::span<const std::uint8_t> b, bool compact) {
  if (compact)
    write_uvarint(static_cast<std::uint32_t>(b.size() + 1));
  else
    write_int32(static_cast<std::int32_t>(b.size()));
  write_raw(b);
}

void Writer::write_bytes_spliced(std::span<const std::uint8_t> b, bool compact, std::vector<Splice>& splices) {
  if (compact)
    write_uvarint(static_cast<std::uint32_t>(b.size() + 1));
  else
    write_int32(static_cast<std::int32_t>(b.size()));
  if (!b.empty()) splices.push_back(Splice{out_->size(), b});
}

void append_spliced(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> body,
                    std::span<const Splice> splices) {
  out.reserve(out.size() + spliced_size(body, splices));
  std::size_t at = 0;
  for (const Splice& s : splices) {
    out.insert(out.end(), body.begin() + static_cast<std::ptrdiff_t>(at),
               body.begin() + static_cast<std::ptrdiff_t>(s.offset));
    out.insert(out.end(), s.bytes.begin(), s.bytes.end());
    at = s.offset;
  }
  out.insert(out.end(), body.begin() + static_cast<std::ptrdiff_t>(at), body.end());
}

std::size_t spliced_size(std::span<const std::uint8_t> body, std::span<const Splice> splices) noexcept {
  std::size_t size = body.size();
  for (const Splice& s : splices) size += s.bytes.size();
  return size;
}

void Writer::write_null_bytes(bool compact) {
  if (compact)
    write_uvarint(0);
  else
    write_int32(-1);
}

void Writer::write_nullable_bytes(const std::optional<std::vector<std::uint8_t>>& b, bool compact) {
  if (b)
    write_bytes(*b, compact);
  else
    write_null_bytes(compact);
}

void Writer::write_array_length(std::int32_t count, bool compact) {
  if (compact)
    write_uvarint(static_cast<std::uint32_t>(count + 1));  // -1 (null) becomes 0
  else
    write_int32(count);
}

void Writer::write_tagged_fields(const TaggedFields& unknown, TaggedFields known) {
  known.insert(known.end(), unknown.begin(), unknown.end());
  std::stable_sort(known.begin(), known.end(),
                   [](const RawTaggedField& a, const RawTaggedField& b) { return a.tag < b.tag; });
  write_uvarint(static_cast<std::uint32_t>(known.size()));
  for (const auto& field : known) {
    write_uvarint(field.tag);
    write_uvarint(static_cast<std::uint32_t>(field.data.size()));
    write_raw(field.data);
  }
}

std::size_t Writer::reserve_int32() {
  std::size_t at = out_->size();
  out_->resize(at + 4);
  return at;
}

void Writer::patch_int32(std::size_t offset, std::int32_t v) noexcept {
  auto u = static_cast<std::uint32_t>(v);
  std::uint8_t* p = out_->data() + offset;
  p[0] = static_cast<std::uint8_t>(u >> 24);
  p[1] = static_cast<std::uint8_t>(u >> 16);
  p[2] = static_cast<std::uint8_t>(u >> 8);
  p[3] = static_cast<std::uint8_t>(u);
}

std::size_t uvarint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

std::size_t varint_size(std::int64_t v) noexcept {
  return uvarint_size((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

}  // namespace kwire::protocol
