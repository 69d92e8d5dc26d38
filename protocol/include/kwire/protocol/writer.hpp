#pragma once
// Writer for Kafka's wire primitives, appending to a caller-owned byte
// vector (so one buffer can be reused across requests without reallocating).
//
// Lengths that are only known later (frame size, batch length) are written
// as placeholders and patched in place: reserve_int32() / patch_int32().
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "kwire/protocol/types.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

/// Bytes left out of an encoded message for scatter-gather I/O: they belong
/// at `offset` of the encoded buffer. The whole message is the buffer with
/// every splice's bytes inserted at its offset, splices in ascending offset
/// order. `bytes` is a view: it must outlive the write (e.g. a produce
/// request's record batches, which then are never copied into the request).
struct Splice {
  std::size_t offset = 0;
  std::span<const std::uint8_t> bytes;
};

/// Appends `body` with `splices` inserted to `out`: the message in one piece.
void append_spliced(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> body,
                    std::span<const Splice> splices);
/// Size of `body` with `splices` inserted.
std::size_t spliced_size(std::span<const std::uint8_t> body, std::span<const Splice> splices) noexcept;

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) noexcept : out_(&out) {}

  std::vector<std::uint8_t>& buffer() noexcept { return *out_; }
  std::size_t size() const noexcept { return out_->size(); }

  void write_int8(std::int8_t v) { out_->push_back(static_cast<std::uint8_t>(v)); }
  void write_int16(std::int16_t v) { write_uint16(static_cast<std::uint16_t>(v)); }
  void write_int32(std::int32_t v) { write_uint32(static_cast<std::uint32_t>(v)); }
  void write_int64(std::int64_t v);
  void write_uint16(std::uint16_t v);
  void write_uint32(std::uint32_t v);
  void write_float64(double v);
  void write_bool(bool v) { write_int8(v ? 1 : 0); }

  void write_uvarint(std::uint32_t v) { write_uvarlong(v); }
  void write_uvarlong(std::uint64_t v);
  void write_varint(std::int32_t v);   ///< zigzag
  void write_varlong(std::int64_t v);  ///< zigzag

  void write_uuid(const Uuid& id) { write_raw(id.bytes); }

  /// `compact` selects uvarint N+1 (KIP-482) over int16 N.
  void write_string(std::string_view s, bool compact);
  void write_nullable_string(const std::optional<std::string>& s, bool compact);
  void write_null_string(bool compact);

  /// `compact` selects uvarint N+1 over int32 N.
  void write_bytes(std::span<const std::uint8_t> b, bool compact);
  void write_nullable_bytes(const std::optional<std::vector<std::uint8_t>>& b, bool compact);
  void write_null_bytes(bool compact);
  /// Writes only the length prefix of bytes field `b` and records in
  /// `splices` that `b` belongs right after it (see Splice): the caller
  /// writes `b` from where it lies, with scatter-gather I/O.
  void write_bytes_spliced(std::span<const std::uint8_t> b, bool compact, std::vector<Splice>& splices);

  /// Array count; pass -1 for a null array.
  void write_array_length(std::int32_t count, bool compact);

  void write_raw(std::span<const std::uint8_t> b) { out_->insert(out_->end(), b.begin(), b.end()); }

  /// Writes the tag buffer: `known` fields (already encoded) merged with
  /// `unknown` ones, in ascending tag order as Kafka requires.
  void write_tagged_fields(const TaggedFields& unknown, TaggedFields known = {});
  /// An empty tag buffer (the common case).
  void write_empty_tagged_fields() { out_->push_back(0); }

  /// Placeholder for an int32 filled in later; returns its offset.
  std::size_t reserve_int32();
  void patch_int32(std::size_t offset, std::int32_t v) noexcept;

 private:
  std::vector<std::uint8_t>* out_;
};

/// Bytes a value takes as an unsigned / zigzag varint.
std::size_t uvarint_size(std::uint64_t v) noexcept;
std::size_t varint_size(std::int64_t v) noexcept;

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
