#pragma once
// One partition's data from one Fetch response, walked in place by
// Fetcher::collect() (Java CompletedFetch). Internal to the fetcher.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "kwire/consumer/fetcher.hpp"

namespace kwire::consumer {

struct Fetcher::CompletedFetch {
  TopicPartition partition;
  /// Owns the bytes `remaining` points into: the caller's response buffer,
  /// or `owned` (a copy of this partition's records).
  std::shared_ptr<const void> keepalive;
  std::vector<std::uint8_t> owned;
  /// Batches not yet walked.
  Bytes remaining;
  /// The record bytes this fetch brought (what it holds until retired;
  /// queued.max.messages.kbytes counts it).
  std::size_t bytes = 0;
  /// The position in SubscriptionState this data continues from; a
  /// position that moved elsewhere (seek) makes the data stale.
  std::int64_t position = 0;
  std::int32_t position_epoch = -1;
  /// Where the data after this fetch starts: one past the last complete
  /// batch in `remaining` (nullopt: no complete batch, or one that does not
  /// parse). The fetcher reads ahead from here while this data is drained.
  std::optional<std::int64_t> next_fetch_offset;
  /// read_committed only.
  std::optional<AbortedTransactionFilter> aborted;
  /// The batch being walked, and its decompressed records (if compressed).
  BatchHeader batch;
  std::vector<std::uint8_t> decompressed;
  std::optional<RecordCursor> cursor;
  bool done = false;
};

}  // namespace kwire::consumer
