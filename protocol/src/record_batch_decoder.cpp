// Record batch v2 decoder. Input is untrusted (a broker's Fetch response, a
// client's Produce request in the mock broker, a fuzzer): every length and
// count is checked against the bytes present before anything is allocated.
#include <algorithm>
#include <string>

#include "kwire/protocol/crc32c.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::protocol {
namespace {

// Fails the reader, records the reason when the caller asked for one, and
// returns the error. The message is only built on this error path.
class Failure {
 public:
  Failure(Reader& in, std::string* why) noexcept : in_(in), why_(why) {}

  std::error_code operator()(client_errc code, std::string reason) const {
    if (why_ != nullptr) *why_ = std::move(reason);
    in_.fail(code);
    return make_error_code(code);
  }
  /// For errors of another category (a decompressor's).
  std::error_code operator()(std::error_code code, std::string reason) const {
    if (why_ != nullptr) *why_ = std::move(reason);
    in_.fail(client_errc::malformed);
    return code;
  }

 private:
  Reader& in_;
  std::string* why_;
};

std::string hex32(std::uint32_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s = "0x00000000";
  for (int i = 0; i < 8; ++i) s[static_cast<std::size_t>(9 - i)] = digits[(v >> (4 * i)) & 0xf];
  return s;
}

std::string reader_problem(const Reader& r) {
  return r.error() == client_errc::malformed ? "a malformed varint" : "the record ends early";
}

// The error code for a reader that ran out or met a bad varint.
client_errc reader_errc(const Reader& r) {
  return r.error() == client_errc::malformed ? client_errc::malformed : client_errc::truncated;
}

// A nullable byte field inside a record: zigzag length, -1 for null. `what`
// names the field; it is only called (and a string built) on failure.
template <class What>
bool read_nullable_field(Reader& r, std::optional<std::vector<std::uint8_t>>& out, const Failure& fail,
                         const What& what, std::error_code& ec) {
  const std::int32_t length = r.read_varint();
  if (!r.ok()) {
    ec = fail(reader_errc(r), what() + " length: " + reader_problem(r));
    return false;
  }
  if (length < -1) {
    ec = fail(client_errc::malformed, what() + " length " + std::to_string(length) + " is negative");
    return false;
  }
  if (length == -1) {
    out.reset();
    return true;
  }
  if (static_cast<std::size_t>(length) > r.remaining()) {
    ec = fail(client_errc::length_exceeds_input, what() + " length " + std::to_string(length) + " exceeds the " +
                                                     std::to_string(r.remaining()) + " bytes left in the record");
    return false;
  }
  auto bytes = r.read_raw(static_cast<std::size_t>(length));
  out.emplace(bytes.begin(), bytes.end());
  return true;
}

std::error_code decode_record(Reader& records, std::size_t index, const RecordBatch& batch, Record& out,
                              const Failure& fail) {
  const auto where = [index] { return "record " + std::to_string(index); };
  const std::int32_t length = records.read_varint();
  if (!records.ok()) return fail(reader_errc(records), where() + ": length: " + reader_problem(records));
  if (length < 0)
    return fail(client_errc::malformed, where() + ": length " + std::to_string(length) + " is negative");
  if (static_cast<std::size_t>(length) > records.remaining())
    return fail(client_errc::length_exceeds_input, where() + ": length " + std::to_string(length) +
                                                       " exceeds the " + std::to_string(records.remaining()) +
                                                       " bytes left");
  Reader r = records.sub_reader(static_cast<std::size_t>(length));

  out.attributes = r.read_int8();
  const std::int64_t timestamp_delta = r.read_varlong();
  const std::int32_t offset_delta = r.read_varint();
  if (!r.ok()) return fail(reader_errc(r), where() + ": attributes/timestamp/offset: " + reader_problem(r));
  // Wrapping arithmetic: a hostile delta must not be signed overflow (UB).
  out.timestamp = batch.uses_log_append_time()
                      ? batch.max_timestamp
                      : static_cast<std::int64_t>(static_cast<std::uint64_t>(batch.base_timestamp) +
                                                  static_cast<std::uint64_t>(timestamp_delta));
  out.offset = static_cast<std::int64_t>(static_cast<std::uint64_t>(batch.base_offset) +
                                         static_cast<std::uint64_t>(static_cast<std::int64_t>(offset_delta)));

  std::error_code ec;
  if (!read_nullable_field(r, out.key, fail, [&] { return where() + ": key"; }, ec)) return ec;
  if (!read_nullable_field(r, out.value, fail, [&] { return where() + ": value"; }, ec)) return ec;

  const std::int32_t header_count = r.read_varint();
  if (!r.ok()) return fail(reader_errc(r), where() + ": header count: " + reader_problem(r));
  if (header_count < 0)
    return fail(client_errc::malformed, where() + ": header count " + std::to_string(header_count) + " is negative");
  // Each header takes at least two bytes (key length, value length).
  if (static_cast<std::size_t>(header_count) > r.remaining() / 2)
    return fail(client_errc::length_exceeds_input, where() + ": header count " + std::to_string(header_count) +
                                                       " cannot fit in " + std::to_string(r.remaining()) + " bytes");
  out.headers.clear();
  out.headers.reserve(static_cast<std::size_t>(header_count));
  std::optional<std::vector<std::uint8_t>> key;
  for (std::int32_t h = 0; h < header_count; ++h) {
    const auto header_where = [&] { return where() + ": header " + std::to_string(h); };
    if (!read_nullable_field(r, key, fail, [&] { return header_where() + " key"; }, ec)) return ec;
    if (!key) return fail(client_errc::malformed, header_where() + ": null key (header keys must not be null)");
    DecodedHeader& header = out.headers.emplace_back();
    header.key.assign(key->begin(), key->end());
    if (!read_nullable_field(r, header.value, fail, [&] { return header_where() + " value"; }, ec)) return ec;
  }
  if (!r.at_end())
    return fail(client_errc::trailing_bytes,
                where() + ": " + std::to_string(r.remaining()) + " bytes left after its headers");
  return {};
}

std::error_code decode_records(std::span<const std::uint8_t> bytes, RecordBatch& out, const Failure& fail) {
  Reader records(bytes);
  const auto count = static_cast<std::size_t>(out.records_count);
  // Never allocate from an untrusted count: each record takes >= 7 bytes.
  if (count > records.remaining() / kMinRecordSize)
    return fail(client_errc::length_exceeds_input,
                "records_count " + std::to_string(out.records_count) + " cannot fit in the " +
                    std::to_string(records.remaining()) + " bytes of records (each takes at least 7)");
  // The count is checked, but a decoded Record takes ~16 times its smallest
  // wire form: reserving all of it up front let a small compressed bomb (1 MiB
  // of zeros claiming 150k records) cost ~17 MB before its first record
  // failed — 4 GB under the mock broker's 256 MiB limit. So reserve a bounded
  // amount and let the vector grow with the records actually decoded. (Found
  // while writing tests/unit/protocol/hostile_sizes_test.cpp.)
  constexpr std::size_t kMaxUpfrontRecords = 1024;
  out.records.clear();
  out.records.reserve(std::min(count, kMaxUpfrontRecords));
  for (std::size_t i = 0; i < count; ++i) {
    if (records.at_end())
      return fail(client_errc::truncated, "records_count says " + std::to_string(count) +
                                              " records but the batch holds only " + std::to_string(i));
    if (auto ec = decode_record(records, i, out, out.records.emplace_back(), fail)) return ec;
  }
  if (!records.at_end())
    return fail(client_errc::trailing_bytes, std::to_string(records.remaining()) + " bytes left after the " +
                                                 std::to_string(count) + " records that records_count declares");
  return {};
}

}  // namespace

std::error_code decode_record_batch(Reader& in, RecordBatch& out, std::string* why,
                                    const RecordsDecompressor& decompress) {
  const Failure fail(in, why);
  if (!in.ok()) {
    if (why != nullptr) *why = "the reader had already failed";
    return in.error();
  }
  // batch_length is checked before the rest of the header is required, so a
  // short input with a nonsensical length is reported as such.
  if (in.remaining() < 12)
    return fail(client_errc::truncated, "a record batch starts with base_offset and batch_length (12 bytes), " +
                                            std::to_string(in.remaining()) + " left");

  out.base_offset = in.read_int64();
  out.batch_length = in.read_int32();
  constexpr std::int32_t kMinBatchLength = static_cast<std::int32_t>(kRecordBatchHeaderSize - 12);
  if (out.batch_length < kMinBatchLength)
    return fail(client_errc::malformed, "batch_length " + std::to_string(out.batch_length) +
                                            " is smaller than the 49 header bytes it must count");
  if (static_cast<std::size_t>(out.batch_length) > in.remaining())
    return fail(client_errc::length_exceeds_input, "batch_length " + std::to_string(out.batch_length) +
                                                       " exceeds the " + std::to_string(in.remaining()) +
                                                       " bytes left");
  Reader batch = in.sub_reader(static_cast<std::size_t>(out.batch_length));

  out.partition_leader_epoch = batch.read_int32();
  out.magic = batch.read_int8();
  // Magic before CRC: message sets v0/v1 keep their CRC elsewhere.
  if (out.magic != kRecordBatchMagic)
    return fail(client_errc::malformed, "magic byte " + std::to_string(out.magic) +
                                            ": only record batch v2 (magic 2) is supported");
  out.crc = batch.read_uint32();
  {
    Reader covered = batch;  // the CRC covers attributes..end
    const std::uint32_t actual = crc32c(covered.read_raw(covered.remaining()));
    if (actual != out.crc)
      return fail(client_errc::crc_mismatch, "CRC-32C mismatch: the batch says " + hex32(out.crc) +
                                                 ", its bytes give " + hex32(actual));
  }
  out.attributes = batch.read_int16();
  out.last_offset_delta = batch.read_int32();
  out.base_timestamp = batch.read_int64();
  out.max_timestamp = batch.read_int64();
  out.producer_id = batch.read_int64();
  out.producer_epoch = batch.read_int16();
  out.base_sequence = batch.read_int32();
  out.records_count = batch.read_int32();
  if (!batch.ok()) return fail(client_errc::truncated, "record batch header cut short");
  if (out.records_count < 0)
    return fail(client_errc::malformed, "records_count " + std::to_string(out.records_count) + " is negative");

  const std::span<const std::uint8_t> records_bytes = batch.read_raw(batch.remaining());
  const compression::Codec codec = out.codec();
  if (codec == compression::Codec::none) return decode_records(records_bytes, out, fail);

  if (static_cast<int>(codec) > static_cast<int>(compression::Codec::zstd))
    return fail(client_errc::malformed, "unknown compression codec " + std::to_string(static_cast<int>(codec)));
  if (!decompress) return fail(client_errc::malformed, "compressed batches need the compression module");
  std::vector<std::uint8_t> decompressed;
  if (auto ec = decompress(codec, records_bytes, decompressed))
    return fail(ec, std::string("decompressing the records (") + std::string(compression::codec_name(codec)) +
                        ") failed: " + ec.message());
  return decode_records(decompressed, out, fail);
}

std::error_code decode_record_batches(std::span<const std::uint8_t> input, std::vector<RecordBatch>& out,
                                      std::string* why, const RecordsDecompressor& decompress,
                                      std::size_t* partial_tail_bytes) {
  if (partial_tail_bytes != nullptr) *partial_tail_bytes = 0;
  Reader in(input);
  while (!in.at_end()) {
    const std::size_t left = in.remaining();
    // A batch whose header (up to batch_length) or body is cut off is the
    // partial tail a Fetch response may end with: stop without error.
    bool partial = left < 12;
    if (!partial) {
      const std::uint8_t* p = input.data() + in.position() + batch_offsets::batch_length;
      const auto batch_length =
          static_cast<std::int32_t>((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                    (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]});
      // A negative or too-small length is not "partial": let the decoder
      // report it. (Found by fuzz/record_batches: a length below the 49
      // header bytes it must count was taken for a cut-off batch and the
      // bogus tail skipped silently.)
      constexpr std::int32_t kMinBatchLength = static_cast<std::int32_t>(kRecordBatchHeaderSize - 12);
      partial = batch_length >= kMinBatchLength && static_cast<std::size_t>(batch_length) > left - 12;
    }
    if (partial) {
      if (partial_tail_bytes != nullptr) *partial_tail_bytes = left;
      break;
    }
    RecordBatch& batch = out.emplace_back();
    if (auto ec = decode_record_batch(in, batch, why, decompress)) {
      out.pop_back();
      return ec;
    }
  }
  return {};
}

}  // namespace kwire::protocol
