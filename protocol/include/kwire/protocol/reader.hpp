#pragma once
// Bounds-checked reader for Kafka's wire primitives.
//
// The reader fails *stickily*: once a read runs past the end (or meets a
// malformed encoding), every later read returns a zero value and ok() is
// false. Decoders are therefore straight-line code that checks ok() once at
// the end. Nothing is ever read past the input, and nothing is allocated from
// a length before that length has been checked against the bytes present.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

class Reader {
 public:
  Reader() = default;
  explicit Reader(std::span<const std::uint8_t> input) noexcept : data_(input.data()), size_(input.size()) {}
  Reader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  bool ok() const noexcept { return !error_; }
  std::error_code error() const noexcept { return error_; }
  std::size_t remaining() const noexcept { return size_ - pos_; }
  std::size_t position() const noexcept { return pos_; }
  bool at_end() const noexcept { return pos_ == size_; }

  /// Marks the reader failed (first error wins); later reads return zero.
  void fail(client_errc why) noexcept;

  // Fixed-width big-endian integers.
  std::int8_t read_int8() noexcept;
  std::int16_t read_int16() noexcept;
  std::int32_t read_int32() noexcept;
  std::int64_t read_int64() noexcept;
  std::uint16_t read_uint16() noexcept;
  std::uint32_t read_uint32() noexcept;
  double read_float64() noexcept;
  bool read_bool() noexcept { return read_int8() != 0; }

  // Variable-length integers (protobuf style, little-endian groups of 7).
  std::uint32_t read_uvarint() noexcept;
  std::uint64_t read_uvarlong() noexcept;
  std::int32_t read_varint() noexcept;   ///< zigzag-encoded
  std::int64_t read_varlong() noexcept;  ///< zigzag-encoded

  Uuid read_uuid() noexcept;

  // Strings. `compact` selects the KIP-482 form (uvarint N+1) over int16 N.
  std::string read_string(bool compact);
  std::optional<std::string> read_nullable_string(bool compact);
  /// Zero-copy view of a non-null string (valid while the input lives).
  std::string_view read_string_view(bool compact) noexcept;

  // Bytes. `compact` selects uvarint N+1 over int32 N.
  std::vector<std::uint8_t> read_bytes(bool compact);
  std::optional<std::vector<std::uint8_t>> read_nullable_bytes(bool compact);
  /// Zero-copy view; nullopt for null.
  std::optional<std::span<const std::uint8_t>> read_bytes_view(bool compact) noexcept;

  /// Array element count; -1 means null. Fails (and returns 0) when the count
  /// times `min_element_size` exceeds the bytes left, so a caller may reserve
  /// the count without trusting the input.
  std::int32_t read_array_length(bool compact, std::size_t min_element_size) noexcept;

  /// The next `n` bytes as a view, advancing past them.
  std::span<const std::uint8_t> read_raw(std::size_t n) noexcept;
  void skip(std::size_t n) noexcept { (void)read_raw(n); }
  /// A reader over the next `n` bytes (advancing past them here). Fails both
  /// if fewer than `n` bytes remain.
  Reader sub_reader(std::size_t n) noexcept;

  /// Reads a tag buffer (KIP-482). For each field, calls
  /// `on_tag(tag, Reader& field)`; if it returns false the field is kept in
  /// `unknown`. Tags must be strictly ascending, as Kafka requires.
  template <class OnTag>
  void read_tagged_fields(TaggedFields& unknown, OnTag&& on_tag);
  void read_tagged_fields(TaggedFields& unknown) {
    read_tagged_fields(unknown, [](std::uint32_t, Reader&) { return false; });
  }

 private:
  bool need(std::size_t n) noexcept;
  /// Length of a string/bytes field: -1 for null, else checked against input.
  std::int64_t read_length(bool compact, bool wide) noexcept;

  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
  std::error_code error_;
};

template <class OnTag>
void Reader::read_tagged_fields(TaggedFields& unknown, OnTag&& on_tag) {
  std::uint32_t count = read_uvarint();
  if (count > remaining() / 2) {  // each field takes at least a tag and a size byte
    fail(client_errc::length_exceeds_input);
    return;
  }
  std::int64_t previous = -1;
  for (std::uint32_t i = 0; i < count && ok(); ++i) {
    std::uint32_t tag = read_uvarint();
    std::uint32_t size = read_uvarint();
    if (!ok()) return;
    if (static_cast<std::int64_t>(tag) <= previous) {
      fail(client_errc::malformed);
      return;
    }
    previous = tag;
    Reader field = sub_reader(size);
    if (!ok()) return;
    if (!on_tag(tag, field)) {
      auto bytes = field.read_raw(field.remaining());
      unknown.push_back(RawTaggedField{tag, {bytes.begin(), bytes.end()}});
    } else if (!field.ok() || !field.at_end()) {
      // A known tag must decode exactly its declared size.
      fail(field.ok() ? client_errc::trailing_bytes : client_errc::malformed);
      return;
    }
  }
}

/// Reads a non-nullable array into `out`, one element at a time through
/// `read_one(T&)`. The count is checked against the bytes left (at least
/// `min_element_size` per element) before anything is reserved; a null
/// array is malformed.
template <class T, class ReadOne>
void read_array(Reader& in, bool compact, std::size_t min_element_size, std::vector<T>& out, ReadOne&& read_one) {
  std::int32_t count = in.read_array_length(compact, min_element_size);
  out.clear();
  if (!in.ok()) return;
  if (count < 0) {
    in.fail(client_errc::malformed);
    return;
  }
  out.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count && in.ok(); ++i) read_one(out.emplace_back());
}

/// A non-nullable array of int32 (replica lists, node ids, ...).
inline void read_int32_array(Reader& in, bool compact, std::vector<std::int32_t>& out) {
  read_array(in, compact, 4, out, [&in](std::int32_t& v) { v = in.read_int32(); });
}

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
