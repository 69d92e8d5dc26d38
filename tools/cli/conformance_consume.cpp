// The "consume" group (issue 15 item 7): Fetch at every version both sides
// speak, with read_uncommitted and read_committed, over a range of the
// suite's partition holding plain records, a committed and an aborted
// transaction (written here by hand with the transaction codecs); then an
// open transaction, which must hold back the last stable offset (LSO) for
// Fetch and for ListOffsets with read_committed until it is closed.
//
// What read_committed means on the wire (KIP-98): the broker returns data up
// to the LSO and lists the aborted transactions in the range; the client
// drops their batches (consumer::drop_aborted_transactions); control batches
// (the COMMIT/ABORT markers) come back too and are recognised by their key.
#include <algorithm>
#include <thread>

#include "conformance_suite.hpp"

namespace kwire::cli::conformance {

using protocol::ApiKey;
using protocol::IsolationLevel;

namespace {

std::vector<TestRecord> labelled(const std::string& label, std::size_t n) {
  std::vector<TestRecord> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back({"consume-" + label, label + " " + std::to_string(i), {}});
  return out;
}

std::string value_of(const protocol::Record& r) {
  return r.value ? std::string(r.value->begin(), r.value->end()) : std::string("<null>");
}

/// The control record type of a control batch (0 ABORT, 1 COMMIT), -1 when
/// its key is not a control key.
int control_type(const protocol::RecordBatch& b) {
  if (b.records.size() != 1 || !b.records[0].key || b.records[0].key->size() < 4) return -1;
  const auto& k = *b.records[0].key;
  if (k[0] != 0 || k[1] != 0) return -1;  // version 0
  return (k[2] << 8) | k[3];
}

}  // namespace

void Suite::run_consume() {
  const std::string group = "consume";
  auto fail_all = [&](const std::string& why) {
    Cell c = cell(group, "setup");
    c.status = Status::fail;
    c.detail = why;
    add(std::move(c));
  };
  for (ApiKey key : {ApiKey::init_producer_id, ApiKey::add_partitions_to_txn, ApiKey::end_txn, ApiKey::fetch})
    if (!advertised(key)) {
      Cell c = cell(group, "setup");
      c.status = Status::not_offered;
      c.detail = advertised_text(key) + ": no transactional data can be written";
      add(std::move(c));
      return;
    }

  // Set-up: plain, committed, aborted, plain.
  std::string why;
  const auto plain1 = labelled("plain-before", 2), committed = labelled("committed", 3),
             aborted = labelled("aborted", 2), plain2 = labelled("plain-after", 1);
  std::int64_t from = -1, base = -1, aborted_base = -1, end = -1;
  TxnProducer p{topic_ + "-consume-txn"};
  const auto& topic_id = reader_->location().topic_id;
  auto plain = [&](const std::vector<TestRecord>& records, std::int64_t& at) -> std::string {
    protocol::ProduceResponse::PartitionResponse answer;
    std::int16_t used = -1;
    std::string w;
    if (produce_raw(leader(), topic_, topic_id, partition_, build_batch(records, now_ms()), -1,
                    protocol::ProduceRequest::max_version, answer, used, w))
      return w;
    if (answer.error_code != kwire::errc::none) return "Produce: " + error_name(make_error_code(answer.error_code));
    at = answer.base_offset;
    return {};
  };
  why = plain(plain1, from);
  if (why.empty()) why = txn_init(p, protocol::InitProducerIdRequest::max_version);
  if (why.empty()) why = txn_write(p, committed, true, base);
  if (why.empty()) why = txn_write(p, aborted, false, aborted_base);
  std::int64_t last = -1;
  if (why.empty()) why = plain(plain2, last);
  // The coordinator writes the markers after EndTxn answered: wait until
  // they are in (LSO = HW), then read up to there.
  if (why.empty()) {
    const auto deadline = std::chrono::steady_clock::now() + options_.cell_timeout;
    while (why.empty()) {
      FetchRound round;
      if (committed_reader().fetch(last, round, &why)) break;
      if (round.last_stable_offset == round.high_watermark && round.high_watermark > last) {
        end = round.high_watermark;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) why = "the LSO never reached the high watermark";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (!why.empty()) return fail_all(why);
  std::vector<std::string> all_values, committed_values;
  for (const auto* set : {&plain1, &committed, &aborted, &plain2})
    for (const auto& r : *set) {
      all_values.push_back(*r.value);
      if (set != &aborted) committed_values.push_back(*r.value);
    }

  const auto fetch_range = *advertised(ApiKey::fetch);
  for (std::int16_t version = std::max(fetch_range.first, protocol::FetchRequest::min_version);
       version <= std::min(fetch_range.second, protocol::FetchRequest::max_version); ++version) {
    if (version >= 13 && topic_id.is_zero()) continue;
    for (auto level : {IsolationLevel::read_uncommitted, IsolationLevel::read_committed}) {
      const bool rc = level == IsolationLevel::read_committed;
      Cell c = cell(group, "Fetch v" + std::to_string(version) + (rc ? " read_committed" : " read_uncommitted"));
      c.topic = topic_;
      c.partition = partition_;
      std::vector<protocol::RecordBatch> batches;
      std::vector<protocol::FetchResponse::AbortedTransaction> aborted_list;
      FetchRound round;
      std::string w = fetch_all(from, end, level, version, batches, &aborted_list, &round);
      std::vector<std::string> got;
      std::vector<int> markers;
      for (const auto& b : batches) {
        if (b.is_control()) {
          markers.push_back(control_type(b));
          continue;
        }
        for (const auto& r : b.records)
          if (r.offset >= from && r.offset < end) got.push_back(value_of(r));
      }
      const auto& want = rc ? committed_values : all_values;
      if (w.empty() && got != want)
        w = "read " + std::to_string(got.size()) + " records, expected " + std::to_string(want.size()) +
            (rc ? " (aborted data surfaced?)" : "");
      // The COMMIT and the ABORT marker (the abort's may follow the last plain
      // record: markers are written after EndTxn answers).
      std::sort(markers.begin(), markers.end());
      if (w.empty() && markers != std::vector<int>{0, 1})
        w = "control batches: " + std::to_string(markers.size()) + " seen, expected one COMMIT and one ABORT marker";
      if (w.empty() && rc) {
        const bool listed = std::any_of(aborted_list.begin(), aborted_list.end(), [&](const auto& a) {
          return a.producer_id == p.id && a.first_offset == aborted_base;
        });
        if (!listed) w = "AbortedTransactions lacks producer " + std::to_string(p.id) + " from offset " + std::to_string(aborted_base);
      }
      if (w.empty() && round.last_stable_offset != round.high_watermark)
        w = "LSO " + std::to_string(round.last_stable_offset) + " != high watermark " +
            std::to_string(round.high_watermark) + " with every transaction closed";
      c.status = w.empty() ? Status::pass : Status::fail;
      c.detail = w.empty() ? std::to_string(got.size()) + " records" + (rc ? " (the aborted transaction listed and dropped)" : "") +
                                 ", COMMIT and ABORT markers, LSO = HW = " + std::to_string(round.high_watermark)
                           : w;
      c.first_offset = from;
      c.end_offset = end;
      add(std::move(c));
    }
  }

  // An open transaction holds back the LSO.
  Cell open = cell(group, "open transaction holds back the LSO");
  std::int64_t open_base = -1;
  const auto fetch_max = std::min(fetch_range.second, protocol::FetchRequest::max_version);
  why = txn_add_partition(p, std::min<std::int16_t>(advertised(ApiKey::add_partitions_to_txn)->second, 3));
  if (why.empty()) why = txn_produce(p, labelled("open", 1), 11, open_base);
  FetchRound round;
  std::vector<protocol::RecordBatch> batches;
  if (why.empty()) why = fetch_all(open_base, open_base + 1, IsolationLevel::read_committed, fetch_max, batches, nullptr, &round);
  if (why.empty() && (round.last_stable_offset != open_base || round.high_watermark != open_base + 1))
    why = "with a transaction open at " + std::to_string(open_base) + ": LSO " +
          std::to_string(round.last_stable_offset) + ", HW " + std::to_string(round.high_watermark);
  if (why.empty() && std::any_of(batches.begin(), batches.end(), [](const auto& b) { return !b.records.empty(); }))
    why = "read_committed returned data past the LSO";
  open.status = why.empty() ? Status::pass : Status::fail;
  open.detail = why.empty() ? "LSO " + std::to_string(open_base) + " < HW " + std::to_string(open_base + 1) : why;
  const bool is_open = why.empty();
  add(std::move(open));

  // ListOffsets latest: the LSO under read_committed, HW otherwise (v2+).
  if (auto range = advertised(ApiKey::list_offsets)) {
    for (std::int16_t version = std::max<std::int16_t>(range->first, 2);
         version <= std::min(range->second, protocol::ListOffsetsRequest::max_version); ++version) {
      Cell c = cell(group, "ListOffsets v" + std::to_string(version) + " isolation levels");
      std::int64_t rc = -1, ru = -1;
      std::int16_t used = -1;
      std::string w = is_open ? "" : "no open transaction to measure";
      if (w.empty() && committed_reader().list_offset(protocol::list_offsets_timestamp::latest, rc, &w, version, &used))
        w = "read_committed: " + w;
      if (w.empty() && used != version) w = wrong_version("ListOffsets", version, used);
      if (w.empty() && reader_->list_offset(protocol::list_offsets_timestamp::latest, ru, &w, version, &used))
        w = "read_uncommitted: " + w;
      if (w.empty() && (rc != open_base || ru != open_base + 1))
        w = "latest: read_committed " + std::to_string(rc) + " (expected the LSO " + std::to_string(open_base) +
            "), read_uncommitted " + std::to_string(ru) + " (expected " + std::to_string(open_base + 1) + ")";
      c.status = w.empty() ? Status::pass : Status::fail;
      c.detail = w.empty() ? "latest read_committed " + std::to_string(rc) + ", read_uncommitted " + std::to_string(ru) : w;
      add(std::move(c));
    }
  }

  // Closing the transaction releases the LSO.
  Cell closed = cell(group, "LSO = HW once closed");
  why = txn_end(p, false, 4);
  if (why.empty()) {
    const auto deadline = std::chrono::steady_clock::now() + options_.cell_timeout;
    while (true) {
      batches.clear();
      if (why = fetch_all(open_base, open_base + 1, IsolationLevel::read_committed, fetch_max, batches, nullptr, &round);
          !why.empty())
        break;
      if (round.last_stable_offset == round.high_watermark && round.high_watermark == open_base + 2) break;
      if (std::chrono::steady_clock::now() > deadline) {
        why = "after the abort: LSO " + std::to_string(round.last_stable_offset) + ", HW " +
              std::to_string(round.high_watermark) + ", expected both " + std::to_string(open_base + 2);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  closed.status = why.empty() ? Status::pass : Status::fail;
  closed.detail = why.empty() ? "aborted: LSO = HW = " + std::to_string(round.high_watermark) : why;
  add(std::move(closed));
}

}  // namespace kwire::cli::conformance
