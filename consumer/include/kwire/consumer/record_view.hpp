#pragma once
// Zero-copy reading of record batch v2 for the consumer: batch headers and
// records as views into the fetched bytes (or into the batch's decompressed
// records section), so handing a record to the application allocates
// nothing. protocol::decode_record_batch builds owned Records (a vector per
// key, value and header) and stays the codec of record; this is the fast
// path the fetcher walks.
//
// The checks match decode_record_batch's: the batch must lie within the
// input (a partial batch at the end of a Fetch response is not an error,
// KIP-74), magic 2, the CRC-32C over attributes..end when asked
// (check.crcs), records_count non-negative; each record within its own
// length prefix, its key/value/headers within the record, and no bytes left
// over after the last counted record. Errors name the offending field.
//
// Thread: any; pure functions over caller-owned bytes.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "kwire/compression/codec.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/record_batch.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

using Bytes = std::span<const std::uint8_t>;

/// The 61-byte header of one record batch, plus where its records lie.
struct BatchHeader {
  std::int64_t base_offset = 0;
  std::int32_t batch_length = 0;
  std::int32_t partition_leader_epoch = -1;
  std::uint32_t crc = 0;
  std::int16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp = 0;
  std::int64_t max_timestamp = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  std::int32_t records_count = 0;
  /// The records section as stored (compressed when codec() != none).
  Bytes records;

  std::int64_t last_offset() const noexcept { return base_offset + last_offset_delta; }
  compression::Codec codec() const noexcept {
    return static_cast<compression::Codec>(attributes & protocol::batch_attributes::codec_mask);
  }
  bool is_transactional() const noexcept { return (attributes & protocol::batch_attributes::transactional) != 0; }
  bool is_control() const noexcept { return (attributes & protocol::batch_attributes::control) != 0; }
  bool uses_log_append_time() const noexcept {
    return (attributes & protocol::batch_attributes::log_append_time) != 0;
  }
};

enum class BatchParseStatus {
  ok,       ///< one batch parsed; `consumed` bytes belong to it
  partial,  ///< the input ends inside a batch (a truncated tail: not an error)
  error,    ///< not a valid v2 batch (see the error code and `why`)
};

struct BatchParseResult {
  BatchParseStatus status = BatchParseStatus::error;
  std::size_t consumed = 0;
  std::error_code error;
};

/// Parses the batch at the start of `input`. With `check_crc` the CRC-32C
/// is verified (client_errc::crc_mismatch otherwise).
BatchParseResult parse_batch_header(Bytes input, BatchHeader& out, bool check_crc, std::string* why = nullptr);

struct HeaderView {
  std::string_view key;
  std::optional<Bytes> value;  ///< nullopt: null value
};

/// A record's headers, decoded on demand (already validated when the record
/// was read, so iteration cannot fail).
class HeadersView {
 public:
  HeadersView() = default;
  HeadersView(Bytes raw, std::int32_t count) noexcept : raw_(raw), count_(count) {}
  std::int32_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  /// Calls f(HeaderView) for each header, in order.
  template <class F>
  void for_each(F&& f) const {
    protocol::Reader in(raw_);
    for (std::int32_t i = 0; i < count_; ++i) f(read_one(in));
  }
  /// The value of the last header named `key` (Kafka's lastHeader), if any.
  std::optional<HeaderView> last(std::string_view key) const;

 private:
  static HeaderView read_one(protocol::Reader& in) noexcept;
  Bytes raw_;
  std::int32_t count_ = 0;
};

/// One record, as views into the bytes it was read from.
struct RecordView {
  std::int64_t offset = 0;
  /// base_timestamp + delta, or the batch's max_timestamp under
  /// LogAppendTime (as Kafka's consumer reports it).
  std::int64_t timestamp = 0;
  std::optional<Bytes> key;    ///< nullopt: null key
  std::optional<Bytes> value;  ///< nullopt: null value (a tombstone)
  HeadersView headers;
};

/// Walks the records of one batch's (decompressed) records section.
class RecordCursor {
 public:
  RecordCursor(const BatchHeader& batch, Bytes records) noexcept;
  /// Reads the next record into `out`. Returns false at the end or on an
  /// error (then error() says which and why() names the field).
  bool next(RecordView& out);
  std::error_code error() const noexcept { return error_; }
  const std::string& why() const noexcept { return why_; }
  /// Records read so far.
  std::int32_t index() const noexcept { return index_; }

 private:
  bool fail(std::string why);
  protocol::Reader in_;
  std::int64_t base_offset_;
  std::int64_t base_timestamp_;
  std::int64_t max_timestamp_;
  bool log_append_time_;
  std::int32_t count_;
  std::int32_t index_ = 0;
  std::error_code error_;
  std::string why_;
};

/// The control record type (ControlRecordType: 0 abort, 1 commit) of a
/// control batch's first record key, or nullopt.
std::optional<std::int16_t> control_type_of(const RecordView& first_record) noexcept;

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
