#include "kwire/consumer/read_committed.hpp"

#include <algorithm>

namespace kwire::consumer {

std::optional<std::int16_t> control_record_type(const protocol::RecordBatch& batch) noexcept {
  if (!batch.is_control() || batch.records.empty() || !batch.records.front().key) return std::nullopt;
  // Key: int16 version, int16 type. Newer key versions only append, so
  // only the first four bytes are read (ControlRecordType.parse).
  const auto& key = *batch.records.front().key;
  if (key.size() < 4) return std::nullopt;
  return static_cast<std::int16_t>((key[2] << 8) | key[3]);
}

AbortedTransactionFilter::AbortedTransactionFilter(std::vector<protocol::FetchResponse::AbortedTransaction> aborted)
    : aborted_(std::move(aborted)) {
  std::stable_sort(aborted_.begin(), aborted_.end(),
                   [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
}

bool AbortedTransactionFilter::is_aborted(const protocol::RecordBatch& batch) {
  return is_aborted(batch.producer_id, batch.base_offset + batch.last_offset_delta, batch.is_transactional(),
                    batch.is_control(), control_record_type(batch));
}

bool AbortedTransactionFilter::is_aborted(std::int64_t producer_id, std::int64_t last_offset, bool transactional,
                                          bool control, std::optional<std::int16_t> control_type) {
  // Only batches written by a producer id take part (Java: hasProducerId()).
  if (producer_id < 0) return false;
  while (next_ < aborted_.size() && aborted_[next_].first_offset <= last_offset)
    aborted_producers_.push_back(aborted_[next_++].producer_id);
  auto producer = std::find(aborted_producers_.begin(), aborted_producers_.end(), producer_id);
  if (control) {
    // The ABORT marker ends the producer's aborted transaction; its next
    // transaction (after the marker) is judged afresh.
    if (control_type == static_cast<std::int16_t>(ControlRecordType::abort) && producer != aborted_producers_.end())
      aborted_producers_.erase(producer);
    return false;
  }
  return transactional && producer != aborted_producers_.end();
}

void drop_aborted_transactions(std::vector<protocol::RecordBatch>& batches,
                               std::vector<protocol::FetchResponse::AbortedTransaction> aborted) {
  AbortedTransactionFilter filter(std::move(aborted));
  std::erase_if(batches, [&filter](const protocol::RecordBatch& batch) { return filter.is_aborted(batch); });
}

DeliverableRecords deliverable_records(
    std::span<const protocol::RecordBatch> batches, std::int64_t position,
    const std::optional<std::vector<protocol::FetchResponse::AbortedTransaction>>& aborted) {
  DeliverableRecords out;
  out.next_offset = position;
  std::optional<AbortedTransactionFilter> filter;
  if (aborted) filter.emplace(*aborted);
  for (const auto& batch : batches) {
    const bool skip = (filter && filter->is_aborted(batch)) || batch.is_control();
    const std::int64_t batch_end = batch.base_offset + batch.last_offset_delta + 1;
    if (batch_end <= position) continue;  // entirely before the position
    out.next_offset = std::max(out.next_offset, batch_end);
    out.last_leader_epoch = batch.partition_leader_epoch;
    if (skip) continue;
    for (const auto& record : batch.records)
      if (record.offset >= position) out.records.push_back(&record);
  }
  return out;
}

}  // namespace kwire::consumer
