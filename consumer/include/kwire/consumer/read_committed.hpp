#pragma once
// Which fetched records a consumer hands to the application (KIP-98).
//
// Under isolation.level=read_committed the broker returns data up to the
// last stable offset, plus the list of aborted transactions overlapping it
// ({ProducerId, FirstOffset} per partition). The client drops the batches of
// aborted transactions itself, as Java's CompletedFetch does: walking the
// batches in offset order, a producer's transaction counts as aborted from
// the walk reaching its FirstOffset until that producer's ABORT marker.
// Control batches (transaction markers) never reach the application under
// either isolation level, but the position still moves past them and past
// aborted batches, so a fetch holding only aborted or control data still
// advances (librdkafka #2993) and the committed offset can reach the end of
// the partition (librdkafka #4384).
//
// Thread: any; these are pure functions over one partition's batches.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kwire/protocol/fetch.hpp"
#include "kwire/protocol/record_batch.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

/// The type of a control record (ControlRecordType.java): the key's second
/// int16. Types other than abort and commit (KRaft's) are ignored.
enum class ControlRecordType : std::int16_t { abort = 0, commit = 1 };

/// The control type of a control batch's first record; nullopt when the batch
/// is not a control batch or its key is shorter than version + type.
std::optional<std::int16_t> control_record_type(const protocol::RecordBatch& batch) noexcept;

/// Decides batch by batch, in offset order, which batches belong to aborted
/// transactions. One filter per partition per fetch response.
class AbortedTransactionFilter {
 public:
  explicit AbortedTransactionFilter(std::vector<protocol::FetchResponse::AbortedTransaction> aborted);

  /// True when `batch` is a data batch of an aborted transaction. Must be
  /// called for every batch (control ones too: an ABORT marker ends its
  /// producer's aborted range), in offset order.
  bool is_aborted(const protocol::RecordBatch& batch);
  /// The same decision from a batch's header fields alone (the fetcher's
  /// zero-copy walk): `control_type` is the control record type of a control
  /// batch's first record, nullopt when unknown or not a control batch.
  bool is_aborted(std::int64_t producer_id, std::int64_t last_offset, bool transactional, bool control,
                  std::optional<std::int16_t> control_type);

 private:
  std::vector<protocol::FetchResponse::AbortedTransaction> aborted_;  // by first offset
  std::size_t next_ = 0;                                              // first not yet reached
  std::vector<std::int64_t> aborted_producers_;                       // reached, marker not yet seen
};

/// Removes the batches of aborted transactions from `batches` (in offset
/// order). Control batches are kept, for callers that advance past them.
void drop_aborted_transactions(std::vector<protocol::RecordBatch>& batches,
                               std::vector<protocol::FetchResponse::AbortedTransaction> aborted);

/// What one partition's fetched batches give the application.
struct DeliverableRecords {
  /// The records to hand out, in offset order: views into the batches.
  std::vector<const protocol::Record*> records;
  /// Where the next fetch starts: past every batch walked, delivered or not
  /// (aborted and control batches included). Never below the position given.
  std::int64_t next_offset = 0;
  /// partitionLeaderEpoch of the last batch walked (-1 if none): committed
  /// with next_offset as CommittedLeaderEpoch (KIP-320).
  std::int32_t last_leader_epoch = -1;
};

/// Selects what to deliver from `batches` (decoded, in offset order) fetched
/// at `position`: records below `position` (a compressed batch starting
/// earlier) are skipped, control batches never delivered and, when
/// `aborted` is given (read_committed), aborted transactions dropped.
DeliverableRecords deliverable_records(
    std::span<const protocol::RecordBatch> batches, std::int64_t position,
    const std::optional<std::vector<protocol::FetchResponse::AbortedTransaction>>& aborted);

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
