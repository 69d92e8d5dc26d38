#pragma once
// Record batch v2 (magic 2, KIP-98): the only record format Produce v3+
// carries. A batch is a 61-byte header followed by the records:
//
//   offset  field                   type
//    0      base_offset             int64
//    8      batch_length            int32   bytes after this field (from partition_leader_epoch)
//   12      partition_leader_epoch  int32
//   16      magic                   int8    = 2
//   17      crc                     uint32  CRC-32C of bytes 21..end
//   21      attributes              int16   bits 0-2 codec, 3 timestamp type (1 = LogAppendTime),
//                                           4 transactional, 5 control, 6 delete horizon (KIP-534)
//   23      last_offset_delta       int32
//   27      base_timestamp          int64
//   35      max_timestamp           int64
//   43      producer_id             int64
//   51      producer_epoch          int16
//   53      base_sequence           int32
//   57      records_count           int32
//   61      records...              (only this part is compressed)
//
// and each record is
//   length varint (bytes after itself), attributes int8 (unused, 0),
//   timestamp_delta varlong, offset_delta varint,
//   key_length varint (-1 = null), key, value_length varint (-1 = null), value,
//   header_count varint, headers: [key_length varint, key, value_length varint (-1 = null), value]
// where "varint" is zigzag-encoded. Kafka's DefaultRecord / DefaultRecordBatch
// define it; the protocol guide's "Record Batch" section describes it.
//
// The builder writes records in wire form straight into one reusable buffer
// (STYLE lesson 9, as franz-go's sink does): no per-record heap node, and no
// allocation per record once the buffer has grown to its working size.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "kwire/compression/codec.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

namespace detail {
/// std::allocator whose value-less construct() default-initialises: a
/// vector<uint8_t> using it grows by resize() without zero-filling bytes
/// that are about to be overwritten (the record builder's per-record
/// resize() + memset was ~3-5% of the producer's CPU per 100-byte record).
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() noexcept = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
}  // namespace detail

/// Byte size of the record batch v2 header (everything before the records).
inline constexpr std::size_t kRecordBatchHeaderSize = 61;
/// The smallest possible record: length, attributes, timestamp delta, offset
/// delta, null key, null value and header count, one byte each.
inline constexpr std::size_t kMinRecordSize = 7;
inline constexpr std::int8_t kRecordBatchMagic = 2;

/// Bits of a record batch's `attributes`.
namespace batch_attributes {
inline constexpr std::int16_t codec_mask = 0x07;
inline constexpr std::int16_t log_append_time = 0x08;  ///< timestamp type: broker's append time
inline constexpr std::int16_t transactional = 0x10;
inline constexpr std::int16_t control = 0x20;           ///< transaction markers (commit/abort)
inline constexpr std::int16_t delete_horizon = 0x40;    ///< KIP-534, set by the log cleaner
}  // namespace batch_attributes

/// Byte offsets of the header fields, for code that patches a sealed batch.
namespace batch_offsets {
inline constexpr std::size_t base_offset = 0;
inline constexpr std::size_t batch_length = 8;
inline constexpr std::size_t partition_leader_epoch = 12;
inline constexpr std::size_t magic = 16;
inline constexpr std::size_t crc = 17;
inline constexpr std::size_t attributes = 21;  ///< the CRC covers from here to the end
inline constexpr std::size_t last_offset_delta = 23;
inline constexpr std::size_t base_timestamp = 27;
inline constexpr std::size_t max_timestamp = 35;
inline constexpr std::size_t producer_id = 43;
inline constexpr std::size_t producer_epoch = 51;
inline constexpr std::size_t base_sequence = 53;
inline constexpr std::size_t records_count = 57;
}  // namespace batch_offsets

// ---------------------------------------------------------------------------
// Building

/// A record header to append: a view, valid only during the append call.
/// `value` nullopt is a null header value, which Kafka allows (an empty span
/// is an empty, non-null value).
struct RecordHeader {
  std::string_view key;
  std::optional<std::span<const std::uint8_t>> value;
};

/// Compresses the records section of a batch into `out` (cleared by the
/// callee); returns false to leave the batch uncompressed. The seam for the
/// compression module: the sender passes a callback that runs the configured
/// codec (with its level) and the protocol layer stays codec-agnostic.
using RecordsCompressor =
    std::function<bool(compression::Codec codec, std::span<const std::uint8_t> records, std::vector<std::uint8_t>& out)>;

/// Producer state and flags written when a batch is sealed. The defaults are
/// those of a non-idempotent producer (Kafka requires -1/-1/-1 then).
struct BatchSealParams {
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  bool is_transactional = false;
  /// Clients send -1; brokers overwrite it when they append the batch.
  std::int32_t partition_leader_epoch = -1;
  /// The codec to ask the compressor for; ignored (batch left uncompressed)
  /// when seal() is given no compressor or compression does not shrink the
  /// records.
  compression::Codec codec = compression::Codec::none;
};

/// Builds one record batch v2 in place.
///
/// Usage: construct (or reset()) with the base timestamp, append() records
/// while has_room_for() says so, then seal() once and send the returned
/// bytes. Not thread-safe: the accumulator's per-partition lock guards it.
///
/// Memory: the builder owns one byte vector; reset() keeps its capacity, so a
/// builder reused for batch after batch stops allocating once it has grown to
/// batch.size. Records are encoded directly into it; their length prefix is
/// computed up front, so nothing is ever moved.
class RecordBatchBuilder {
 public:
  /// `base_timestamp_ms` is the batch's base timestamp; record timestamps are
  /// stored as (possibly negative) deltas from it. Usually the first record's
  /// timestamp. `reserve_bytes` pre-sizes the buffer (e.g. batch.size).
  explicit RecordBatchBuilder(std::int64_t base_timestamp_ms = 0, std::size_t reserve_bytes = 0);

  /// Starts a new, empty batch; keeps the buffer's capacity.
  void reset(std::int64_t base_timestamp_ms, std::size_t reserve_bytes = 0);

  /// Bytes one record takes in wire form, including its length prefix, for
  /// the given offset and timestamp deltas. Never allocates.
  static std::size_t record_size(std::int32_t offset_delta, std::int64_t timestamp_delta,
                                 std::optional<std::span<const std::uint8_t>> key,
                                 std::optional<std::span<const std::uint8_t>> value,
                                 std::span<const RecordHeader> headers) noexcept;

  /// Bytes the record would take if appended next to this batch.
  std::size_t next_record_size(std::int64_t timestamp_ms, std::optional<std::span<const std::uint8_t>> key,
                               std::optional<std::span<const std::uint8_t>> value,
                               std::span<const RecordHeader> headers) const noexcept;

  /// Appends one record in wire form. Throws std::logic_error after seal()
  /// and std::length_error if the batch would exceed INT32_MAX bytes (the
  /// producer rejects such records earlier, by max.request.size).
  void append(std::int64_t timestamp_ms, std::optional<std::span<const std::uint8_t>> key,
              std::optional<std::span<const std::uint8_t>> value, std::span<const RecordHeader> headers = {});

  /// Appends the record if it fits within `max_batch_bytes` (the rule of
  /// has_room_for: the first record always fits) and returns true; else
  /// appends nothing and returns false. Sizes the record once, where
  /// next_record_size() + append() would size it twice (the producer's hot
  /// path). Throws as append() does.
  bool try_append(std::int64_t timestamp_ms, std::optional<std::span<const std::uint8_t>> key,
                  std::optional<std::span<const std::uint8_t>> value, std::span<const RecordHeader> headers,
                  std::size_t max_batch_bytes);

  /// Current size of the batch in bytes, header included.
  std::size_t size_in_bytes() const noexcept { return buffer_.size(); }
  std::int32_t record_count() const noexcept { return record_count_; }
  bool empty() const noexcept { return record_count_ == 0; }
  std::int64_t base_timestamp() const noexcept { return base_timestamp_; }
  std::int64_t max_timestamp() const noexcept { return max_timestamp_; }

  /// Whether a record of `record_bytes` (see record_size) fits within
  /// `max_batch_bytes` (batch.size). The first record always fits: a record
  /// bigger than batch.size gets a batch of its own, as in Kafka's producer.
  bool has_room_for(std::size_t record_bytes, std::size_t max_batch_bytes) const noexcept {
    return record_count_ == 0 || buffer_.size() + record_bytes <= max_batch_bytes;
  }

  /// Finishes the batch: optionally compresses the records (keeping the
  /// result only if it is smaller), fills every header field (base_offset 0,
  /// batch_length, magic 2, attributes, last_offset_delta = count - 1,
  /// timestamps, producer state, count) and finally the CRC-32C. Returns the
  /// finished bytes, valid until the builder is reset or destroyed. Throws
  /// std::logic_error when called twice.
  std::span<const std::uint8_t> seal(const BatchSealParams& params = {}, const RecordsCompressor& compress = {});

  /// Finishes the records ahead of seal(), e.g. on another thread than the
  /// one that will seal (the producer's application threads help its
  /// network thread this way when buffer.memory runs out): compresses them
  /// when `codec` is not none and `compress` is given (keeping the result
  /// only if it is smaller, as seal() does), then computes the CRC-32C of
  /// the records section as it will be sent, so that seal() only checksums
  /// the header bytes it fills (crc32c_combine). No record can be appended
  /// afterwards (append throws std::logic_error); seal() uses these bytes
  /// and their codec, whatever its params and compressor say. Returns false,
  /// changing nothing, when sealed or finished already, or empty.
  bool finish_records(compression::Codec codec, const RecordsCompressor& compress);
  bool records_finished() const noexcept { return records_finished_; }
  /// The codec the records are compressed with (none until compressed).
  compression::Codec records_codec() const noexcept { return records_codec_; }

  bool sealed() const noexcept { return sealed_; }
  /// The sealed batch (empty before seal()).
  std::span<const std::uint8_t> bytes() const noexcept {
    return sealed_ ? std::span<const std::uint8_t>(buffer_) : std::span<const std::uint8_t>();
  }

  /// Rewrites producer id, epoch and base sequence of the sealed batch and
  /// recomputes its CRC in place. For idempotent retries after an epoch bump
  /// or a sequence reset (KIP-360): the records themselves never change, so
  /// there is no need to re-encode or re-compress. Throws std::logic_error
  /// before seal().
  void rewrite_producer_state(std::int64_t producer_id, std::int16_t producer_epoch, std::int32_t base_sequence);

 private:
  /// Writes one record of `body` bytes after its length prefix (`total`
  /// bytes in all); the checks are the caller's.
  void append_sized(std::int64_t timestamp_ms, std::int64_t timestamp_delta, std::size_t body, std::size_t total,
                    const std::optional<std::span<const std::uint8_t>>& key,
                    const std::optional<std::span<const std::uint8_t>>& value, std::span<const RecordHeader> headers);

  std::vector<std::uint8_t, detail::DefaultInitAllocator<std::uint8_t>> buffer_;
  std::vector<std::uint8_t> scratch_;  ///< compression output, reused across batches
  std::int64_t base_timestamp_ = 0;
  std::int64_t max_timestamp_ = 0;
  std::int32_t record_count_ = 0;
  bool sealed_ = false;
  /// Compresses the records section in place when that shrinks it.
  void compress_in_place(compression::Codec codec, const RecordsCompressor& compress);

  /// The records section holds compressed bytes of this codec.
  compression::Codec records_codec_ = compression::Codec::none;
  /// Set by finish_records(): records_crc_ is the records section's CRC.
  bool records_finished_ = false;
  std::uint32_t records_crc_ = 0;
};

/// Patches producer id/epoch/base sequence of any sealed batch v2 in `batch`
/// and recomputes its CRC. Returns malformed if `batch` is not a whole batch
/// v2 (too short, wrong magic, or batch_length disagreeing with its size).
std::error_code rewrite_producer_state(std::span<std::uint8_t> batch, std::int64_t producer_id,
                                       std::int16_t producer_epoch, std::int32_t base_sequence) noexcept;

// ---------------------------------------------------------------------------
// Decoding

struct DecodedHeader {
  std::string key;
  std::optional<std::vector<std::uint8_t>> value;  ///< nullopt: null value
  friend bool operator==(const DecodedHeader&, const DecodedHeader&) = default;
};

struct Record {
  std::int8_t attributes = 0;
  /// Absolute: base_timestamp + delta, or the batch's max_timestamp when the
  /// batch uses LogAppendTime (as Kafka's consumer reports it).
  std::int64_t timestamp = 0;
  /// Absolute: base_offset + offset_delta.
  std::int64_t offset = 0;
  std::optional<std::vector<std::uint8_t>> key;    ///< nullopt: null key
  std::optional<std::vector<std::uint8_t>> value;  ///< nullopt: null value (a tombstone)
  std::vector<DecodedHeader> headers;
  friend bool operator==(const Record&, const Record&) = default;
};

struct RecordBatch {
  std::int64_t base_offset = 0;
  std::int32_t batch_length = 0;
  std::int32_t partition_leader_epoch = -1;
  std::int8_t magic = kRecordBatchMagic;
  std::uint32_t crc = 0;
  std::int16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp = 0;
  std::int64_t max_timestamp = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  std::int32_t records_count = 0;
  std::vector<Record> records;

  compression::Codec codec() const noexcept {
    return static_cast<compression::Codec>(attributes & batch_attributes::codec_mask);
  }
  bool is_transactional() const noexcept { return (attributes & batch_attributes::transactional) != 0; }
  bool is_control() const noexcept { return (attributes & batch_attributes::control) != 0; }
  bool uses_log_append_time() const noexcept { return (attributes & batch_attributes::log_append_time) != 0; }
  friend bool operator==(const RecordBatch&, const RecordBatch&) = default;
};

/// Decompresses a batch's records section into `out`. Should enforce its own
/// output limit (decompression bombs) and return an error code on failure.
using RecordsDecompressor = std::function<std::error_code(
    compression::Codec codec, std::span<const std::uint8_t> compressed, std::vector<std::uint8_t>& out)>;

/// Decodes exactly one record batch v2 from `in`, advancing past it.
///
/// Checks, in order: base_offset and batch_length are present (truncated),
/// batch_length covers at least the rest of the 61-byte header (malformed)
/// and lies within the input (length_exceeds_input), magic == 2 (malformed;
/// legacy message sets v0/v1 are not supported), the CRC-32C
/// (crc_mismatch), records_count is non-negative and no larger than the bytes
/// left allow at 7 bytes a record (length_exceeds_input), then every record;
/// a batch holding fewer records than records_count is `truncated`, one with
/// bytes after the last counted record is `trailing_bytes`.
///
/// Compressed batches need `decompress`; without it they fail with
/// `malformed` ("compressed batches need the compression module").
///
/// On error `in` is failed too, `out` is unspecified, and `*why` (when given)
/// receives a human-readable reason naming the field at fault.
std::error_code decode_record_batch(Reader& in, RecordBatch& out, std::string* why = nullptr,
                                    const RecordsDecompressor& decompress = {});

/// Decodes the batches of a `records` field (Produce, Fetch), appending them
/// to `out`.
///
/// A partial batch at the end is *not* an error: a Fetch response may stop in
/// the middle of a batch when it reaches max_bytes, and Kafka's consumer
/// ignores such a tail. It is skipped (`*partial_tail_bytes`, when given,
/// receives its size, 0 if there was none) — callers that need whole input,
/// such as a broker checking a Produce request, must check that it is 0.
/// A batch whose header is complete but is not a valid v2 batch still fails.
std::error_code decode_record_batches(std::span<const std::uint8_t> input, std::vector<RecordBatch>& out,
                                      std::string* why = nullptr, const RecordsDecompressor& decompress = {},
                                      std::size_t* partial_tail_bytes = nullptr);

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
