#include "producer_batch.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"

namespace kwire::producer {
namespace {

/// Sequence numbers wrap from INT32_MAX to 0 (PITFALLS "Idempotence";
/// Kafka's DefaultRecordBatch.incrementSequence).
std::int32_t increment_sequence(std::int32_t sequence, std::int32_t increment) noexcept {
  if (sequence > std::numeric_limits<std::int32_t>::max() - increment)
    return increment - (std::numeric_limits<std::int32_t>::max() - sequence) - 1;
  return sequence + increment;
}

}  // namespace

ProducerBatch::~ProducerBatch() {
  // A batch still on the accumulator's incomplete list being destroyed means
  // a drained batch was dropped instead of handed back (deallocate/reenqueue):
  // its records would never be reported, and the list would dangle.
  assert(!in_incomplete_ && "ProducerBatch destroyed while the accumulator still tracks it");
}

void ProducerBatch::reset(const TopicPartition& tp, std::int64_t now_ms, std::size_t max_batch_bytes,
                          std::size_t reserve_bytes) {
  tp_ = tp;  // copy-assignment reuses the string's capacity
  records_.clear();
  builder_.reset(now_ms, reserve_bytes);
  max_batch_bytes_ = max_batch_bytes;
  created_ms_ = now_ms;
  last_append_ms_ = now_ms;
  last_attempt_ms_ = now_ms;
  drained_ms_ = 0;
  retry_ready_ms_ = 0;
  attempts_ = 0;
  producer_id_ = -1;
  producer_epoch_ = -1;
  base_sequence_ = no_sequence;
  transactional_ = false;
  state_ = BatchState::pending;
  final_error_.clear();
  retry_cause_.clear();
  retry_cause_detail_.clear();
  closed_for_appends_ = false;
  split_batch_ = false;
  preparing_ = false;
  uncompressed_records_bytes_ = 0;
  id_ = 0;
  counted_sent_ = false;
}

std::size_t ProducerBatch::next_record_size(std::int64_t timestamp_ms,
                                            std::optional<std::span<const std::uint8_t>> key,
                                            std::optional<std::span<const std::uint8_t>> value,
                                            std::span<const protocol::RecordHeader> headers) const noexcept {
  if (builder_.empty()) return protocol::RecordBatchBuilder::record_size(0, 0, key, value, headers);
  return builder_.next_record_size(timestamp_ms, key, value, headers);
}

bool ProducerBatch::try_append(std::int64_t timestamp_ms, std::optional<std::span<const std::uint8_t>> key,
                               std::optional<std::span<const std::uint8_t>> value,
                               std::span<const protocol::RecordHeader> headers, DeliveryCallback& callback,
                               std::int64_t now_ms) {
  if (closed_for_appends_ || state_ != BatchState::pending || builder_.sealed()) return false;
  // The first record's timestamp becomes the base, so its delta is 0 and
  // later deltas stay small. reset() keeps the reserved capacity.
  if (builder_.empty()) builder_.reset(timestamp_ms);
  // Grow the slot vector before touching the builder, so a bad_alloc leaves
  // the batch consistent (record bytes and slots always match).
  if (records_.size() == records_.capacity()) records_.reserve(std::max<std::size_t>(8, records_.capacity() * 2));
  // Sizes the record once (has_room_for's rule: the first always fits).
  if (!builder_.try_append(timestamp_ms, key, value, headers, max_batch_bytes_)) {
    closed_for_appends_ = true;
    return false;
  }
  records_.push_back(RecordSlot{timestamp_ms, std::move(callback)});
  last_append_ms_ = std::max(last_append_ms_, now_ms);
  return true;
}

void ProducerBatch::set_producer_state(std::int64_t producer_id, std::int16_t producer_epoch,
                                       std::int32_t base_sequence, bool is_transactional) noexcept {
  producer_id_ = producer_id;
  producer_epoch_ = producer_epoch;
  base_sequence_ = base_sequence;
  transactional_ = is_transactional;
}

std::span<const std::uint8_t> ProducerBatch::seal(const protocol::BatchSealParams& params,
                                                  const protocol::RecordsCompressor& compress) {
  closed_for_appends_ = true;
  if (!builder_.sealed()) {
    set_producer_state(params.producer_id, params.producer_epoch, params.base_sequence, params.is_transactional);
    if (!builder_.records_finished())
      uncompressed_records_bytes_ = builder_.size_in_bytes() - protocol::kRecordBatchHeaderSize;
    return builder_.seal(params, compress);
  }
  if (params.producer_id != producer_id_ || params.producer_epoch != producer_epoch_ ||
      params.base_sequence != base_sequence_)
    rewrite_producer_state(params.producer_id, params.producer_epoch, params.base_sequence);
  return builder_.bytes();
}

bool ProducerBatch::finish_records(compression::Codec codec, const protocol::RecordsCompressor& compress) {
  // Written only if needed: the accumulator's claimed batches are closed
  // already, and other threads may read the flag meanwhile.
  if (!closed_for_appends_) closed_for_appends_ = true;
  if (builder_.sealed()) return false;
  const std::size_t records_bytes = builder_.size_in_bytes() - protocol::kRecordBatchHeaderSize;
  if (!builder_.finish_records(codec, compress)) return false;
  uncompressed_records_bytes_ = records_bytes;
  return true;
}

void ProducerBatch::rewrite_producer_state(std::int64_t producer_id, std::int16_t producer_epoch,
                                           std::int32_t base_sequence) {
  builder_.rewrite_producer_state(producer_id, producer_epoch, base_sequence);
  producer_id_ = producer_id;
  producer_epoch_ = producer_epoch;
  base_sequence_ = base_sequence;
}

bool ProducerBatch::complete(std::int64_t base_offset, std::int64_t log_append_time_ms, std::error_code error,
                             std::string_view detail) {
  if (is_done()) {
    // FAILED -> anything: expected (delivery timeout or abort raced the
    // response), ignored. SUCCEEDED -> anything: the sender completed one
    // batch twice, which Java treats as an IllegalStateException.
    assert(state_ != BatchState::succeeded && "a succeeded batch was completed again");
    return false;
  }
  state_ = error ? BatchState::failed : BatchState::succeeded;
  final_error_ = error;
  closed_for_appends_ = true;

  DeliveryReport report;
  report.metadata.topic = tp_.topic;
  report.metadata.partition = tp_.partition;
  report.error = error;
  if (error) report.detail = detail;
  const bool known_offset = !error && base_offset >= 0;
  const bool log_append_time = !error && log_append_time_ms != -1;
  for (std::size_t i = 0; i < records_.size(); ++i) {
    RecordSlot& slot = records_[i];
    report.metadata.offset = known_offset ? base_offset + static_cast<std::int64_t>(i) : -1;
    report.metadata.timestamp_ms = log_append_time ? log_append_time_ms : slot.timestamp_ms;
    if (!slot.callback) continue;
    try {
      slot.callback(report);
    } catch (...) {
      // A user callback's exception must not cost the other records their
      // report; Java catches and logs it too (completeFutureAndFireCallbacks).
      if (callback_errors_) callback_errors_->report_current_exception(tp_.topic, tp_.partition);
    }
  }
  // Destroy the callbacks now (they may hold resources); keep the capacity.
  records_.clear();
  return true;
}

std::vector<BatchPtr> ProducerBatch::split(std::size_t max_batch_bytes, std::error_code& error,
                                           const protocol::RecordsDecompressor& decompress) {
  error.clear();
  std::vector<BatchPtr> out;
  if (is_done() || records_.size() < 2) return out;
  if (!builder_.sealed()) {
    // Sealing with the producer state we hold keeps it consistent; the bytes
    // are only read back below.
    protocol::BatchSealParams params;
    params.producer_id = producer_id_;
    params.producer_epoch = producer_epoch_;
    params.base_sequence = base_sequence_;
    params.is_transactional = transactional_;
    seal(params);
  }
  // At most half the records per piece, so there are always at least two:
  // the first piece re-encodes its records exactly as they were (same
  // offset and timestamp deltas), so it cannot hold them all.
  const std::size_t half = (uncompressed_records_bytes_ + 1) / 2;
  const std::size_t piece_bytes = std::min(max_batch_bytes, protocol::kRecordBatchHeaderSize + half);

  protocol::Reader reader(builder_.bytes());
  protocol::RecordBatch decoded;
  if (std::error_code ec = protocol::decode_record_batch(reader, decoded, nullptr, decompress)) {
    error = ec;
    return out;
  }
  if (decoded.records.size() != records_.size()) {
    error = client_errc::malformed;
    return out;
  }

  std::vector<protocol::RecordHeader> headers;
  BatchPtr current;
  for (std::size_t i = 0; i < decoded.records.size(); ++i) {
    const protocol::Record& record = decoded.records[i];
    headers.clear();
    for (const protocol::DecodedHeader& h : record.headers) {
      std::optional<std::span<const std::uint8_t>> v;
      if (h.value) v = std::span<const std::uint8_t>(*h.value);
      headers.push_back(protocol::RecordHeader{h.key, v});
    }
    std::optional<std::span<const std::uint8_t>> key, value;
    if (record.key) key = std::span<const std::uint8_t>(*record.key);
    if (record.value) value = std::span<const std::uint8_t>(*record.value);
    // Our own CreateTime (identical to the decoded one, which is absolute).
    const std::int64_t timestamp = records_[i].timestamp_ms;
    DeliveryCallback& callback = records_[i].callback;
    if (!current || !current->try_append(timestamp, key, value, headers, callback, last_append_ms_)) {
      if (current) out.push_back(std::move(current));
      current = std::make_unique<ProducerBatch>();
      current->callback_errors_ = callback_errors_;
      current->reset(tp_, created_ms_, piece_bytes);
      current->split_batch_ = true;
      [[maybe_unused]] bool appended = current->try_append(timestamp, key, value, headers, callback, last_append_ms_);
      assert(appended && "the first record always fits a new batch");
    }
  }
  if (current) out.push_back(std::move(current));
  // Closed for appends, as Java's split does: the last piece can end up at
  // the back of its partition's queue, and records appended to it there
  // would fall outside the sequence range assigned below (idempotence).
  for (BatchPtr& b : out) b->close_for_appends();

  if (has_sequence()) {
    // Java: split batches inherit consecutive sequences from the original, so
    // the broker sees the same sequence range, just in smaller pieces.
    std::int32_t sequence = base_sequence_;
    for (BatchPtr& b : out) {
      b->set_producer_state(producer_id_, producer_epoch_, sequence, transactional_);
      sequence = increment_sequence(sequence, b->record_count());
    }
  }
  // The callbacks moved to the new batches; this one is finished and
  // reports nothing more.
  records_.clear();
  state_ = BatchState::failed;
  final_error_ = make_error_code(errc::message_too_large);
  closed_for_appends_ = true;
  return out;
}

void ProducerBatch::mark_drained(std::int64_t now_ms) noexcept {
  state_ = BatchState::in_flight;
  closed_for_appends_ = true;
  drained_ms_ = std::max(drained_ms_, now_ms);
}

void ProducerBatch::mark_reenqueued(std::int64_t now_ms, std::int64_t backoff_ms) noexcept {
  ++attempts_;
  last_attempt_ms_ = std::max(last_append_ms_, now_ms);
  last_append_ms_ = last_attempt_ms_;
  retry_ready_ms_ = now_ms + backoff_ms;
  state_ = BatchState::pending;
  closed_for_appends_ = true;
}

}  // namespace kwire::producer
