// Record batch v2 builder: records are encoded in wire form straight into the
// batch buffer; the header is a placeholder until seal() fills it and the CRC.
#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "kwire/protocol/crc32c.hpp"
#include "kwire/protocol/record_batch.hpp"
#include "kwire/protocol/writer.hpp"

namespace kwire::protocol {
namespace {

// batch_length is an int32 counting from byte 12, so a batch can be at most
// this long.
constexpr std::size_t kMaxBatchBytes = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()) + 12;

inline std::uint64_t zigzag(std::int64_t v) noexcept {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

// Varint lengths, inline: a record's size takes up to a dozen of them and
// the producer sizes every record it appends (writer.hpp's out-of-line
// varint_size() was ~5% of the producer's instructions per record).
inline std::size_t uvarint_len(std::uint64_t v) noexcept {
  return (static_cast<std::size_t>(std::bit_width(v | 1)) + 6) / 7;
}
inline std::size_t varint_len(std::int64_t v) noexcept { return uvarint_len(zigzag(v)); }

inline std::uint8_t* put_uvarint(std::uint8_t* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<std::uint8_t>(v);
  return p;
}

inline std::uint8_t* put_varint(std::uint8_t* p, std::int64_t v) noexcept { return put_uvarint(p, zigzag(v)); }

inline std::uint8_t* put_raw(std::uint8_t* p, const void* data, std::size_t n) noexcept {
  if (n != 0) std::memcpy(p, data, n);  // memcpy with a null source is UB even for n == 0
  return p + n;
}

// A nullable byte field inside a record: zigzag length (-1 = null), bytes.
inline std::size_t nullable_field_size(const std::optional<std::span<const std::uint8_t>>& b) noexcept {
  return b ? varint_len(static_cast<std::int64_t>(b->size())) + b->size() : 1;
}

inline std::uint8_t* put_nullable_field(std::uint8_t* p, const std::optional<std::span<const std::uint8_t>>& b) noexcept {
  if (!b) return put_varint(p, -1);
  p = put_varint(p, static_cast<std::int64_t>(b->size()));
  return put_raw(p, b->data(), b->size());
}

inline void put_be16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void put_be32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
inline void put_be64(std::uint8_t* p, std::uint64_t v) noexcept {
  put_be32(p, static_cast<std::uint32_t>(v >> 32));
  put_be32(p + 4, static_cast<std::uint32_t>(v));
}
inline std::uint32_t get_be32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// Bytes after the record's length prefix.
std::size_t record_body_size(std::int32_t offset_delta, std::int64_t timestamp_delta,
                             const std::optional<std::span<const std::uint8_t>>& key,
                             const std::optional<std::span<const std::uint8_t>>& value,
                             std::span<const RecordHeader> headers) noexcept {
  std::size_t size = 1;  // attributes
  size += varint_len(timestamp_delta);
  size += varint_len(offset_delta);
  size += nullable_field_size(key);
  size += nullable_field_size(value);
  size += varint_len(static_cast<std::int64_t>(headers.size()));
  for (const auto& h : headers) {
    size += varint_len(static_cast<std::int64_t>(h.key.size())) + h.key.size();
    size += nullable_field_size(h.value);
  }
  return size;
}

// Writes producer id/epoch/base sequence and the CRC over attributes..end.
void patch_producer_state_and_crc(std::uint8_t* batch, std::size_t size, std::int64_t producer_id,
                                  std::int16_t producer_epoch, std::int32_t base_sequence) noexcept {
  put_be64(batch + batch_offsets::producer_id, static_cast<std::uint64_t>(producer_id));
  put_be16(batch + batch_offsets::producer_epoch, static_cast<std::uint16_t>(producer_epoch));
  put_be32(batch + batch_offsets::base_sequence, static_cast<std::uint32_t>(base_sequence));
  const std::uint32_t crc =
      crc32c(std::span<const std::uint8_t>(batch + batch_offsets::attributes, size - batch_offsets::attributes));
  put_be32(batch + batch_offsets::crc, crc);
}

}  // namespace

RecordBatchBuilder::RecordBatchBuilder(std::int64_t base_timestamp_ms, std::size_t reserve_bytes) {
  reset(base_timestamp_ms, reserve_bytes);
}

void RecordBatchBuilder::reset(std::int64_t base_timestamp_ms, std::size_t reserve_bytes) {
  if (reserve_bytes > buffer_.capacity()) buffer_.reserve(reserve_bytes);
  // The header placeholder; seal() overwrites every byte of it.
  buffer_.assign(kRecordBatchHeaderSize, 0);
  base_timestamp_ = base_timestamp_ms;
  max_timestamp_ = base_timestamp_ms;
  record_count_ = 0;
  sealed_ = false;
  records_codec_ = compression::Codec::none;
  records_finished_ = false;
  records_crc_ = 0;
}

std::size_t RecordBatchBuilder::record_size(std::int32_t offset_delta, std::int64_t timestamp_delta,
                                            std::optional<std::span<const std::uint8_t>> key,
                                            std::optional<std::span<const std::uint8_t>> value,
                                            std::span<const RecordHeader> headers) noexcept {
  const std::size_t body = record_body_size(offset_delta, timestamp_delta, key, value, headers);
  return varint_len(static_cast<std::int64_t>(body)) + body;
}

std::size_t RecordBatchBuilder::next_record_size(std::int64_t timestamp_ms,
                                                 std::optional<std::span<const std::uint8_t>> key,
                                                 std::optional<std::span<const std::uint8_t>> value,
                                                 std::span<const RecordHeader> headers) const noexcept {
  // Wrapping subtraction: the wire carries whatever delta the two give.
  const auto delta = static_cast<std::int64_t>(static_cast<std::uint64_t>(timestamp_ms) -
                                               static_cast<std::uint64_t>(base_timestamp_));
  return record_size(record_count_, delta, key, value, headers);
}

void RecordBatchBuilder::append(std::int64_t timestamp_ms, std::optional<std::span<const std::uint8_t>> key,
                                std::optional<std::span<const std::uint8_t>> value,
                                std::span<const RecordHeader> headers) {
  if (sealed_) throw std::logic_error("RecordBatchBuilder::append called after seal");
  if (records_finished_) throw std::logic_error("RecordBatchBuilder::append called after finish_records");
  if (record_count_ == std::numeric_limits<std::int32_t>::max())
    throw std::length_error("RecordBatchBuilder: record count would overflow int32");

  const auto timestamp_delta = static_cast<std::int64_t>(static_cast<std::uint64_t>(timestamp_ms) -
                                                         static_cast<std::uint64_t>(base_timestamp_));
  // Size first, so the length prefix is written once and nothing moves.
  const std::size_t body = record_body_size(record_count_, timestamp_delta, key, value, headers);
  const std::size_t total = varint_len(static_cast<std::int64_t>(body)) + body;
  if (total > kMaxBatchBytes - buffer_.size())
    throw std::length_error("RecordBatchBuilder: batch would exceed the int32 batch_length");
  append_sized(timestamp_ms, timestamp_delta, body, total, key, value, headers);
}

bool RecordBatchBuilder::try_append(std::int64_t timestamp_ms, std::optional<std::span<const std::uint8_t>> key,
                                    std::optional<std::span<const std::uint8_t>> value,
                                    std::span<const RecordHeader> headers, std::size_t max_batch_bytes) {
  if (sealed_) throw std::logic_error("RecordBatchBuilder::append called after seal");
  if (records_finished_) throw std::logic_error("RecordBatchBuilder::append called after finish_records");
  if (record_count_ == std::numeric_limits<std::int32_t>::max())
    throw std::length_error("RecordBatchBuilder: record count would overflow int32");

  const auto timestamp_delta = static_cast<std::int64_t>(static_cast<std::uint64_t>(timestamp_ms) -
                                                         static_cast<std::uint64_t>(base_timestamp_));
  const std::size_t body = record_body_size(record_count_, timestamp_delta, key, value, headers);
  const std::size_t total = varint_len(static_cast<std::int64_t>(body)) + body;
  if (!has_room_for(total, max_batch_bytes)) return false;
  if (total > kMaxBatchBytes - buffer_.size())
    throw std::length_error("RecordBatchBuilder: batch would exceed the int32 batch_length");
  append_sized(timestamp_ms, timestamp_delta, body, total, key, value, headers);
  return true;
}

void RecordBatchBuilder::append_sized(std::int64_t timestamp_ms, std::int64_t timestamp_delta, std::size_t body,
                                      std::size_t total, const std::optional<std::span<const std::uint8_t>>& key,
                                      const std::optional<std::span<const std::uint8_t>>& value,
                                      std::span<const RecordHeader> headers) {
  const std::int32_t offset_delta = record_count_;
  const std::size_t at = buffer_.size();
  buffer_.resize(at + total);  // no allocation while within capacity
  std::uint8_t* p = buffer_.data() + at;
  p = put_varint(p, static_cast<std::int64_t>(body));
  *p++ = 0;  // record attributes: unused in v2, must be 0
  p = put_varint(p, timestamp_delta);
  p = put_varint(p, offset_delta);
  p = put_nullable_field(p, key);
  p = put_nullable_field(p, value);
  p = put_varint(p, static_cast<std::int64_t>(headers.size()));
  for (const auto& h : headers) {
    p = put_varint(p, static_cast<std::int64_t>(h.key.size()));
    p = put_raw(p, h.key.data(), h.key.size());
    p = put_nullable_field(p, h.value);
  }

  if (record_count_ == 0 || timestamp_ms > max_timestamp_) max_timestamp_ = timestamp_ms;
  ++record_count_;
}

std::span<const std::uint8_t> RecordBatchBuilder::seal(const BatchSealParams& params,
                                                       const RecordsCompressor& compress) {
  if (sealed_) throw std::logic_error("RecordBatchBuilder::seal called twice");

  std::int16_t attributes = 0;
  if (params.is_transactional) attributes |= batch_attributes::transactional;

  // Compression seam (STYLE lesson 9): only the records section is
  // compressed, and the result is kept only when it is smaller. Without a
  // compressor the batch goes out uncompressed with codec bits 0, which every
  // broker accepts. Records finished ahead (finish_records) stay as they are.
  if (!records_finished_ && compress && params.codec != compression::Codec::none && record_count_ > 0)
    compress_in_place(params.codec, compress);
  if (records_codec_ != compression::Codec::none)
    attributes = static_cast<std::int16_t>(attributes | (static_cast<std::int16_t>(records_codec_) &
                                                         batch_attributes::codec_mask));

  std::uint8_t* h = buffer_.data();
  put_be64(h + batch_offsets::base_offset, 0);  // the broker assigns offsets
  put_be32(h + batch_offsets::batch_length, static_cast<std::uint32_t>(buffer_.size() - 12));
  put_be32(h + batch_offsets::partition_leader_epoch, static_cast<std::uint32_t>(params.partition_leader_epoch));
  h[batch_offsets::magic] = static_cast<std::uint8_t>(kRecordBatchMagic);
  put_be16(h + batch_offsets::attributes, static_cast<std::uint16_t>(attributes));
  put_be32(h + batch_offsets::last_offset_delta, static_cast<std::uint32_t>(record_count_ - 1));
  put_be64(h + batch_offsets::base_timestamp, static_cast<std::uint64_t>(base_timestamp_));
  put_be64(h + batch_offsets::max_timestamp, static_cast<std::uint64_t>(max_timestamp_));
  put_be32(h + batch_offsets::records_count, static_cast<std::uint32_t>(record_count_));
  // Producer state last: it shares the CRC step with rewrite_producer_state.
  if (records_finished_) {
    // The records' CRC is known: checksum only the header from attributes on.
    put_be64(h + batch_offsets::producer_id, static_cast<std::uint64_t>(params.producer_id));
    put_be16(h + batch_offsets::producer_epoch, static_cast<std::uint16_t>(params.producer_epoch));
    put_be32(h + batch_offsets::base_sequence, static_cast<std::uint32_t>(params.base_sequence));
    const std::uint32_t header_crc = crc32c(std::span<const std::uint8_t>(
        h + batch_offsets::attributes, kRecordBatchHeaderSize - batch_offsets::attributes));
    put_be32(h + batch_offsets::crc,
             crc32c_combine(header_crc, records_crc_, buffer_.size() - kRecordBatchHeaderSize));
  } else {
    patch_producer_state_and_crc(h, buffer_.size(), params.producer_id, params.producer_epoch,
                                 params.base_sequence);
  }

  sealed_ = true;
  return buffer_;
}

void RecordBatchBuilder::compress_in_place(compression::Codec codec, const RecordsCompressor& compress) {
  const std::span<const std::uint8_t> records(buffer_.data() + kRecordBatchHeaderSize,
                                              buffer_.size() - kRecordBatchHeaderSize);
  scratch_.clear();
  if (!compress(codec, records, scratch_) || scratch_.empty() || scratch_.size() >= records.size()) return;
  std::memcpy(buffer_.data() + kRecordBatchHeaderSize, scratch_.data(), scratch_.size());
  buffer_.resize(kRecordBatchHeaderSize + scratch_.size());
  records_codec_ = codec;
}

bool RecordBatchBuilder::finish_records(compression::Codec codec, const RecordsCompressor& compress) {
  if (sealed_ || records_finished_ || record_count_ == 0) return false;
  if (codec != compression::Codec::none && compress) compress_in_place(codec, compress);
  records_crc_ = crc32c(std::span<const std::uint8_t>(buffer_.data() + kRecordBatchHeaderSize,
                                                      buffer_.size() - kRecordBatchHeaderSize));
  records_finished_ = true;
  return true;
}

void RecordBatchBuilder::rewrite_producer_state(std::int64_t producer_id, std::int16_t producer_epoch,
                                                std::int32_t base_sequence) {
  if (!sealed_) throw std::logic_error("RecordBatchBuilder::rewrite_producer_state called before seal");
  patch_producer_state_and_crc(buffer_.data(), buffer_.size(), producer_id, producer_epoch, base_sequence);
}

std::error_code rewrite_producer_state(std::span<std::uint8_t> batch, std::int64_t producer_id,
                                       std::int16_t producer_epoch, std::int32_t base_sequence) noexcept {
  if (batch.size() < kRecordBatchHeaderSize || batch[batch_offsets::magic] != kRecordBatchMagic ||
      get_be32(batch.data() + batch_offsets::batch_length) != batch.size() - 12)
    return make_error_code(client_errc::malformed);
  patch_producer_state_and_crc(batch.data(), batch.size(), producer_id, producer_epoch, base_sequence);
  return {};
}

}  // namespace kwire::protocol
