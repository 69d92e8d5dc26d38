// read_committed filtering (KIP-98) and what a fetch hands out: aborted
// transactions dropped, control batches never delivered, the position moved
// past both.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "kwire/consumer/read_committed.hpp"

using namespace kwire::consumer;
using kwire::protocol::FetchResponse;
using kwire::protocol::Record;
using kwire::protocol::RecordBatch;
namespace attributes = kwire::protocol::batch_attributes;

namespace {

RecordBatch data_batch(std::int64_t base, int count, std::int64_t producer_id, bool transactional,
                       std::int32_t leader_epoch = 0) {
  RecordBatch b;
  b.base_offset = base;
  b.last_offset_delta = count - 1;
  b.producer_id = producer_id;
  b.partition_leader_epoch = leader_epoch;
  if (transactional) b.attributes = attributes::transactional;
  for (int i = 0; i < count; ++i) {
    Record r;
    r.offset = base + i;
    r.value = std::vector<std::uint8_t>{static_cast<std::uint8_t>(base + i)};
    b.records.push_back(r);
  }
  b.records_count = count;
  return b;
}

RecordBatch marker(std::int64_t offset, std::int64_t producer_id, std::int16_t type, std::int32_t leader_epoch = 0) {
  RecordBatch b;
  b.base_offset = offset;
  b.producer_id = producer_id;
  b.partition_leader_epoch = leader_epoch;
  b.attributes = static_cast<std::int16_t>(attributes::transactional | attributes::control);
  Record r;
  r.offset = offset;
  r.key = std::vector<std::uint8_t>{0, 0, 0, static_cast<std::uint8_t>(type)};
  r.value = std::vector<std::uint8_t>{0, 0, 0, 0, 0, 5};
  b.records.push_back(r);
  b.records_count = 1;
  return b;
}

std::vector<std::int64_t> offsets(const DeliverableRecords& d) {
  std::vector<std::int64_t> out;
  for (const Record* r : d.records) out.push_back(r->offset);
  return out;
}

using Aborted = std::vector<FetchResponse::AbortedTransaction>;
FetchResponse::AbortedTransaction aborted(std::int64_t producer_id, std::int64_t first_offset) {
  return {producer_id, first_offset, {}};
}

}  // namespace

TEST_CASE("control_record_type reads the key's type and ignores short keys and data batches") {
  CHECK(control_record_type(marker(0, 1, 0)) == std::int16_t{0});
  CHECK(control_record_type(marker(0, 1, 1)) == std::int16_t{1});
  auto short_key = marker(0, 1, 0);
  short_key.records[0].key->resize(3);
  CHECK_FALSE(control_record_type(short_key).has_value());
  CHECK_FALSE(control_record_type(data_batch(0, 1, 1, true)).has_value());
}

TEST_CASE("read_committed drops aborted transactions and markers; the position passes them") {
  // pid 7: aborted transaction at 0-1, ABORT marker 2, then a new committed
  // transaction at 6 (must not be dropped: the marker ended the abort).
  // pid 8: committed at 3-4, COMMIT marker 5. pid -1: plain batch at 7.
  std::vector<RecordBatch> batches{data_batch(0, 2, 7, true),  marker(2, 7, 0), data_batch(3, 2, 8, true),
                                   marker(5, 8, 1),            data_batch(6, 1, 7, true),
                                   data_batch(7, 1, -1, false, 4)};
  const auto d = deliverable_records(batches, 0, Aborted{aborted(7, 0)});
  CHECK(offsets(d) == std::vector<std::int64_t>{3, 4, 6, 7});
  CHECK(d.next_offset == 8);
  CHECK(d.last_leader_epoch == 4);

  SUBCASE("read_uncommitted keeps the aborted data but still never delivers markers") {
    const auto all = deliverable_records(batches, 0, std::nullopt);
    CHECK(offsets(all) == std::vector<std::int64_t>{0, 1, 3, 4, 6, 7});
    CHECK(all.next_offset == 8);
  }
}

TEST_CASE("read_committed: interleaved producers, aborted list out of order") {
  // pid 1 aborted from 0, pid 2 aborted from 3, pid 3 committed, interleaved.
  std::vector<RecordBatch> batches{data_batch(0, 1, 1, true), data_batch(1, 1, 3, true), data_batch(2, 1, 1, true),
                                   data_batch(3, 1, 2, true), marker(4, 1, 0),           data_batch(5, 1, 3, true),
                                   marker(6, 3, 1),           data_batch(7, 1, 2, true), marker(8, 2, 0)};
  const auto d = deliverable_records(batches, 0, Aborted{aborted(2, 3), aborted(1, 0)});
  CHECK(offsets(d) == std::vector<std::int64_t>{1, 5});
  CHECK(d.next_offset == 9);
}

TEST_CASE("read_committed: a fetch of only aborted and control data delivers nothing but advances") {
  std::vector<RecordBatch> batches{data_batch(100, 5, 9, true), data_batch(105, 5, 9, true), marker(110, 9, 0)};
  const auto d = deliverable_records(batches, 100, Aborted{aborted(9, 100)});
  CHECK(d.records.empty());
  CHECK(d.next_offset == 111);
}

TEST_CASE("read_committed: only transactional batches of an aborted producer are dropped, from its first offset") {
  // pid 4 committed a transaction at 0 (marker 1) before the aborted one at
  // 2; a non-transactional batch of pid 4 (idempotent only) is never dropped.
  std::vector<RecordBatch> batches{data_batch(0, 1, 4, true), marker(1, 4, 1), data_batch(2, 2, 4, true),
                                   data_batch(4, 1, 4, false)};
  const auto d = deliverable_records(batches, 0, Aborted{aborted(4, 2)});
  CHECK(offsets(d) == std::vector<std::int64_t>{0, 4});
}

TEST_CASE("read_committed: markers of unknown control types do not end an aborted transaction") {
  std::vector<RecordBatch> batches{data_batch(0, 1, 5, true), marker(1, 5, 3), data_batch(2, 1, 5, true),
                                   marker(3, 5, 0)};
  const auto d = deliverable_records(batches, 0, Aborted{aborted(5, 0)});
  CHECK(d.records.empty());
  CHECK(d.next_offset == 4);
}

TEST_CASE("records below the fetch position are not delivered again") {
  std::vector<RecordBatch> batches{data_batch(10, 5, -1, false), data_batch(15, 2, -1, false)};
  CHECK(offsets(deliverable_records(batches, 13, std::nullopt)) == std::vector<std::int64_t>{13, 14, 15, 16});
  const auto past = deliverable_records(batches, 20, std::nullopt);
  CHECK(past.records.empty());
  CHECK(past.next_offset == 20);  // never moves backwards
  CHECK(past.last_leader_epoch == -1);
}

TEST_CASE("drop_aborted_transactions keeps committed data and every control batch") {
  std::vector<RecordBatch> batches{data_batch(0, 2, 7, true), marker(2, 7, 0), data_batch(3, 1, 8, true),
                                   marker(4, 8, 1)};
  drop_aborted_transactions(batches, Aborted{aborted(7, 0)});
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].base_offset == 2);
  CHECK(batches[1].base_offset == 3);
  CHECK(batches[2].base_offset == 4);
}
