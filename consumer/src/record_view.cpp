#include "kwire/consumer/record_view.hpp"

#include <limits>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/crc32c.hpp"
#include "kwire/protocol/reader.hpp"

namespace kwire::consumer {
namespace {

namespace off = protocol::batch_offsets;

void set_why(std::string* why, std::string text) {
  if (why) *why = std::move(text);
}

/// Reads a varint-length-prefixed byte field of a record (-1: null).
/// False when the length is below -1 or runs past the input.
bool read_nullable_field(protocol::Reader& in, std::optional<Bytes>& out) {
  const std::int32_t length = in.read_varint();
  if (!in.ok() || length < -1) return false;
  if (length == -1) {
    out.reset();
    return true;
  }
  if (static_cast<std::size_t>(length) > in.remaining()) return false;
  out = in.read_raw(static_cast<std::size_t>(length));
  return in.ok();
}

}  // namespace

BatchParseResult parse_batch_header(Bytes input, BatchHeader& out, bool check_crc, std::string* why) {
  BatchParseResult result;
  if (input.size() < off::magic + 1) {
    result.status = BatchParseStatus::partial;
    return result;
  }
  protocol::Reader in(input);
  out.base_offset = in.read_int64();
  out.batch_length = in.read_int32();
  constexpr std::int32_t min_length = static_cast<std::int32_t>(protocol::kRecordBatchHeaderSize - off::partition_leader_epoch);
  if (out.batch_length < min_length) {
    set_why(why, "batch at offset " + std::to_string(out.base_offset) + " has batch_length " +
                     std::to_string(out.batch_length) + ", below the header's " + std::to_string(min_length));
    result.error = make_error_code(client_errc::malformed);
    return result;
  }
  const std::size_t total = off::partition_leader_epoch + static_cast<std::size_t>(out.batch_length);
  out.partition_leader_epoch = in.read_int32();
  const std::int8_t magic = in.read_int8();
  if (magic != protocol::kRecordBatchMagic) {
    set_why(why, "batch at offset " + std::to_string(out.base_offset) + " has magic " + std::to_string(magic) +
                     " (only record batch v2 is supported)");
    result.error = make_error_code(client_errc::malformed);
    return result;
  }
  if (total > input.size()) {
    result.status = BatchParseStatus::partial;  // KIP-74: a fetch may end inside a batch
    return result;
  }
  out.crc = in.read_uint32();
  out.attributes = in.read_int16();
  out.last_offset_delta = in.read_int32();
  out.base_timestamp = in.read_int64();
  out.max_timestamp = in.read_int64();
  out.producer_id = in.read_int64();
  out.producer_epoch = in.read_int16();
  out.base_sequence = in.read_int32();
  out.records_count = in.read_int32();
  if (check_crc) {
    const std::uint32_t actual = protocol::crc32c(input.subspan(off::attributes, total - off::attributes));
    if (actual != out.crc) {
      set_why(why, "batch at offset " + std::to_string(out.base_offset) + " fails its CRC-32C check");
      result.error = make_error_code(client_errc::crc_mismatch);
      return result;
    }
  }
  if (out.records_count < 0 || out.last_offset_delta < 0) {
    set_why(why, "batch at offset " + std::to_string(out.base_offset) + " has records_count " +
                     std::to_string(out.records_count) + " and last_offset_delta " +
                     std::to_string(out.last_offset_delta));
    result.error = make_error_code(client_errc::malformed);
    return result;
  }
  if (out.base_offset > std::numeric_limits<std::int64_t>::max() - out.last_offset_delta) {
    set_why(why, "batch at offset " + std::to_string(out.base_offset) + ": last offset overflows");
    result.error = make_error_code(client_errc::malformed);
    return result;
  }
  out.records = input.subspan(protocol::kRecordBatchHeaderSize, total - protocol::kRecordBatchHeaderSize);
  result.status = BatchParseStatus::ok;
  result.consumed = total;
  return result;
}

HeaderView HeadersView::read_one(protocol::Reader& in) noexcept {
  HeaderView h;
  const std::int32_t key_length = in.read_varint();
  const Bytes key = in.read_raw(static_cast<std::size_t>(key_length < 0 ? 0 : key_length));
  h.key = std::string_view(reinterpret_cast<const char*>(key.data()), key.size());
  std::optional<Bytes> value;
  (void)read_nullable_field(in, value);
  h.value = value;
  return h;
}

std::optional<HeaderView> HeadersView::last(std::string_view key) const {
  std::optional<HeaderView> found;
  for_each([&](const HeaderView& h) {
    if (h.key == key) found = h;
  });
  return found;
}

RecordCursor::RecordCursor(const BatchHeader& batch, Bytes records) noexcept
    : in_(records),
      base_offset_(batch.base_offset),
      base_timestamp_(batch.base_timestamp),
      max_timestamp_(batch.max_timestamp),
      log_append_time_(batch.uses_log_append_time()),
      count_(batch.records_count) {}

bool RecordCursor::fail(std::string why) {
  error_ = make_error_code(client_errc::malformed);
  why_ = "record " + std::to_string(index_) + " of the batch at offset " + std::to_string(base_offset_) + ": " +
         std::move(why);
  return false;
}

bool RecordCursor::next(RecordView& out) {
  if (error_) return false;
  if (index_ >= count_) {
    if (!in_.at_end()) {
      error_ = make_error_code(client_errc::trailing_bytes);
      why_ = "batch at offset " + std::to_string(base_offset_) + " has " + std::to_string(in_.remaining()) +
             " bytes after its " + std::to_string(count_) + " records";
    }
    return false;
  }
  if (in_.at_end()) {
    error_ = make_error_code(client_errc::truncated);
    why_ = "batch at offset " + std::to_string(base_offset_) + " holds " + std::to_string(index_) + " of its " +
           std::to_string(count_) + " records";
    return false;
  }
  const std::int32_t length = in_.read_varint();
  if (!in_.ok() || length < 0 || static_cast<std::size_t>(length) > in_.remaining())
    return fail("length prefix runs past the batch");
  const Bytes raw = in_.read_raw(static_cast<std::size_t>(length));
  protocol::Reader body(raw);
  (void)body.read_int8();  // record attributes: unused since v2
  const std::int64_t timestamp_delta = body.read_varlong();
  const std::int32_t offset_delta = body.read_varint();
  if (!body.ok()) return fail("header fields do not decode");
  if (!read_nullable_field(body, out.key)) return fail("key runs past the record");
  if (!read_nullable_field(body, out.value)) return fail("value runs past the record");
  const std::int32_t header_count = body.read_varint();
  if (!body.ok() || header_count < 0 || static_cast<std::size_t>(header_count) > body.remaining())
    return fail("header count is invalid");
  const std::size_t headers_start = body.position();
  for (std::int32_t i = 0; i < header_count; ++i) {
    const std::int32_t key_length = body.read_varint();
    if (!body.ok() || key_length < 0 || static_cast<std::size_t>(key_length) > body.remaining())
      return fail("header " + std::to_string(i) + "'s key runs past the record");
    body.skip(static_cast<std::size_t>(key_length));
    std::optional<Bytes> ignored;
    if (!read_nullable_field(body, ignored)) return fail("header " + std::to_string(i) + "'s value runs past the record");
  }
  if (!body.at_end()) return fail(std::to_string(body.remaining()) + " bytes after its headers");
  out.headers = HeadersView(raw.subspan(headers_start), header_count);
  out.offset = base_offset_ + offset_delta;
  out.timestamp = log_append_time_ ? max_timestamp_ : base_timestamp_ + timestamp_delta;
  ++index_;
  return true;
}

std::optional<std::int16_t> control_type_of(const RecordView& first_record) noexcept {
  // Key: int16 version, int16 type; newer key versions only append
  // (ControlRecordType.parse reads the first four bytes).
  if (!first_record.key || first_record.key->size() < 4) return std::nullopt;
  const auto& key = *first_record.key;
  return static_cast<std::int16_t>((key[2] << 8) | key[3]);
}

}  // namespace kwire::consumer
