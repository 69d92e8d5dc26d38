// Fetcher::collect(): walks buffered Fetch data in place and hands records
// out as views (see fetcher.hpp).
#include <algorithm>
#include <string>
#include <utility>

#include "completed_fetch.hpp"
#include "kwire/consumer/fetcher.hpp"
#include "kwire/protocol/client_error.hpp"

namespace kwire::consumer {
namespace {

std::string where(const TopicPartition& tp, std::int64_t offset) {
  return tp.topic + "/" + std::to_string(tp.partition) + " at offset " + std::to_string(offset);
}

}  // namespace

std::size_t Fetcher::collect(std::vector<ConsumerRecord>& out) { return collect(out, config_.max_poll_records); }

std::size_t Fetcher::collect(std::vector<ConsumerRecord>& out, std::size_t max_records) {
  // What the previous call handed out is no longer referenced.
  retired_fetches_.clear();
  retired_buffers_.clear();
  std::size_t added = 0;
  for (auto it = completed_.begin(); it != completed_.end() && added < max_records;) {
    CompletedFetch& fetch = **it;
    const auto position = subscriptions_.position(fetch.partition);
    // A position awaiting a leader epoch check (KIP-320) may sit past a
    // truncation: what was fetched for it goes, as in Java, and is fetched
    // again once the position is known good.
    const bool stale = !subscriptions_.is_assigned(fetch.partition) || !position ||
                       position->offset != fetch.position || subscriptions_.position_unchecked(fetch.partition);
    if (stale || fetch.done) {
      retired_fetches_.push_back(std::move(*it));
      it = completed_.erase(it);
      continue;
    }
    if (subscriptions_.is_paused(fetch.partition)) {  // kept for resume(), as Java does
      ++it;
      continue;
    }
    const std::int64_t before = fetch.position;
    added += drain(fetch, out, max_records - added);
    if (fetch.position != before)
      (void)subscriptions_.seek(fetch.partition, {.offset = fetch.position, .leader_epoch = fetch.position_epoch});
    if (fetch.done) {
      retired_fetches_.push_back(std::move(*it));
      it = completed_.erase(it);
    } else {
      ++it;
    }
  }
  counters_.records_consumed += added;
  return added;
}

std::size_t Fetcher::drain(CompletedFetch& fetch, std::vector<ConsumerRecord>& out, std::size_t max_records) {
  std::size_t added = 0;
  RecordView record;
  while (added < max_records) {
    if (!fetch.cursor && !next_batch(fetch)) return added;
    if (!fetch.cursor->next(record)) {
      if (fetch.cursor->error()) {
        add_error(fetch.partition, fetch.position, fetch.cursor->error(),
                  where(fetch.partition, fetch.position) + ": " + fetch.cursor->why());
        corrupt_at_[fetch.partition] = fetch.position;
        fetch.done = true;
        return added;
      }
      // The batch is used up: the position moves past its last offset
      // (compaction may have removed the records at its end).
      fetch.position = std::max(fetch.position, fetch.batch.last_offset() + 1);
      fetch.position_epoch = fetch.batch.partition_leader_epoch;
      fetch.cursor.reset();
      if (!fetch.decompressed.empty()) retired_buffers_.push_back(std::move(fetch.decompressed));
      fetch.decompressed = {};
      continue;
    }
    if (record.offset < fetch.position) continue;  // a compressed batch that starts before the position
    out.push_back(ConsumerRecord{
        .topic = fetch.partition.topic,
        .partition = fetch.partition.partition,
        .offset = record.offset,
        .timestamp = record.timestamp,
        .timestamp_type =
            fetch.batch.uses_log_append_time() ? TimestampType::log_append_time : TimestampType::create_time,
        .leader_epoch = fetch.batch.partition_leader_epoch,
        .key = record.key,
        .value = record.value,
        .headers = record.headers,
    });
    fetch.position = record.offset + 1;
    fetch.position_epoch = fetch.batch.partition_leader_epoch;
    counters_.bytes_consumed += (record.key ? record.key->size() : 0) + (record.value ? record.value->size() : 0);
    ++added;
  }
  return added;
}

bool Fetcher::next_batch(CompletedFetch& fetch) {
  while (!fetch.remaining.empty()) {
    BatchHeader batch;
    std::string why;
    const BatchParseResult parsed = parse_batch_header(fetch.remaining, batch, config_.check_crcs, &why);
    if (parsed.status == BatchParseStatus::partial) break;  // KIP-74: a fetch may end inside a batch
    if (parsed.status == BatchParseStatus::error) {
      add_error(fetch.partition, fetch.position, parsed.error, where(fetch.partition, fetch.position) + ": " + why);
      corrupt_at_[fetch.partition] = fetch.position;
      fetch.done = true;
      return false;
    }
    fetch.remaining = fetch.remaining.subspan(parsed.consumed);

    // Control batches are never compressed; their first record says commit
    // or abort, which the aborted-transaction filter needs.
    std::optional<std::int16_t> control_type;
    if (batch.is_control()) {
      RecordCursor first(batch, batch.records);
      RecordView record;
      if (first.next(record)) control_type = control_type_of(record);
    }
    // Every batch goes through the filter, in order, even those before the
    // position: an ABORT marker there ends its producer's aborted range.
    const bool aborted =
        fetch.aborted && fetch.aborted->is_aborted(batch.producer_id, batch.last_offset(), batch.is_transactional(),
                                                   batch.is_control(), control_type);
    if (batch.last_offset() < fetch.position) continue;
    if (batch.is_control() || aborted) {
      // Never delivered, but the position moves past them (librdkafka
      // #2993: a fetch of only aborted or control data still advances).
      fetch.position = batch.last_offset() + 1;
      fetch.position_epoch = batch.partition_leader_epoch;
      continue;
    }
    Bytes records = batch.records;
    if (batch.codec() != compression::Codec::none) {
      fetch.decompressed.clear();
      if (auto ec = decompressor_.decompress(batch.codec(), batch.records, fetch.decompressed,
                                             config_.max_decompressed_batch_bytes)) {
        add_error(fetch.partition, fetch.position, ec,
                  where(fetch.partition, batch.base_offset) + ": the " +
                      std::string(compression::codec_name(batch.codec())) + " batch does not decompress (" +
                      ec.message() + ")");
        corrupt_at_[fetch.partition] = fetch.position;
        fetch.done = true;
        return false;
      }
      records = fetch.decompressed;
    }
    fetch.batch = batch;
    fetch.cursor.emplace(fetch.batch, records);
    return true;
  }
  fetch.done = true;
  return false;
}

void Fetcher::drop_buffered(const TopicPartition& tp) {
  for (auto it = completed_.begin(); it != completed_.end();) {
    if ((*it)->partition == tp) {
      retired_fetches_.push_back(std::move(*it));
      it = completed_.erase(it);
    } else {
      ++it;
    }
  }
  corrupt_at_.erase(tp);
}

void Fetcher::drop_errors(const TopicPartition& tp) {
  std::erase_if(errors_, [&tp](const FetchError& e) { return e.partition == tp; });
  corrupt_at_.erase(tp);
}

void Fetcher::drop_unassigned() {
  for (auto it = completed_.begin(); it != completed_.end();) {
    if (!subscriptions_.is_assigned((*it)->partition)) {
      retired_fetches_.push_back(std::move(*it));
      it = completed_.erase(it);
    } else {
      ++it;
    }
  }
  std::erase_if(corrupt_at_, [this](const auto& entry) { return !subscriptions_.is_assigned(entry.first); });
  std::erase_if(watermarks_, [this](const auto& entry) { return !subscriptions_.is_assigned(entry.first); });
  // A session still holding a dropped partition starts over with a full
  // request: should the partition come back before the session forgot it,
  // only a full response reports its watermarks again (FetchSession::request_full).
  for (auto& [node, state] : nodes_) {
    const auto& held = state.session.session_partitions();
    if (std::any_of(held.begin(), held.end(), [this](const auto& entry) { return !subscriptions_.is_assigned(entry.first); }))
      state.session.request_full();
  }
}

}  // namespace kwire::consumer
