// The "transactions" group (issue 16 item 6): KIP-98 transactions driven
// request by request, each cell checked by reading the partition back with
// both isolation levels: init, commit and abort visibility, fencing by a
// second instance, every client version of the TV1 flow, TV2's implicit add
// and per-transaction epoch bump (KIP-890) where the cluster's finalized
// transaction.version is 2 or more, and send-offsets (AddOffsetsToTxn +
// TxnOffsetCommit, visible to OffsetFetch only once committed).
#include <algorithm>
#include <thread>

#include <kwire/protocol/add_offsets_to_txn.hpp>
#include <kwire/protocol/add_partitions_to_txn.hpp>
#include <kwire/protocol/end_txn.hpp>
#include <kwire/protocol/offset_fetch.hpp>
#include <kwire/protocol/txn_offset_commit.hpp>

#include "conformance_suite.hpp"

namespace kwire::cli::conformance {

using protocol::ApiKey;
using protocol::IsolationLevel;

namespace {

std::string errc_text(kwire::errc e) { return error_name(make_error_code(e)); }

std::vector<TestRecord> txn_records(const std::string& label, std::size_t n) {
  std::vector<TestRecord> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({"txn-" + std::to_string(i), label + " " + std::to_string(i), {{"txn", label}}});
  return out;
}

/// The data records of `batches` (control records left out).
std::vector<protocol::Record> data_records(const std::vector<protocol::RecordBatch>& batches, std::int64_t from,
                                           std::int64_t to) {
  std::vector<protocol::Record> out;
  for (const auto& b : batches)
    if (!b.is_control())
      for (const auto& r : b.records)
        if (r.offset >= from && r.offset < to) out.push_back(r);
  return out;
}

}  // namespace

void Suite::run_transactions() {
  const std::string group = "transactions";
  const std::string id_prefix = topic_ + "-txn-";
  auto not_offered = [&](const std::string& name, const std::string& why) {
    Cell c = cell(group, name);
    c.status = Status::not_offered;
    c.detail = why;
    add(std::move(c));
  };
  for (ApiKey key : {ApiKey::init_producer_id, ApiKey::add_partitions_to_txn, ApiKey::end_txn})
    if (!advertised(key)) {
      for (const char* name : {"init", "commit visibility", "abort visibility", "fencing", "TV2", "send offsets"})
        not_offered(name, advertised_text(key));
      return;
    }
  auto verdict = [&](Cell& c, const std::string& why) {
    if (!why.empty()) {
      c.status = Status::fail;
      c.detail = why;
    }
    add(std::move(c));
  };
  // Reads [from, to) back with both isolation levels: "" when
  // read_uncommitted shows `all` and read_committed shows `committed`.
  const auto fetch_max = std::min<std::int16_t>(advertised(ApiKey::fetch)->second, protocol::FetchRequest::max_version);
  auto read_back = [&](std::int64_t from, std::int64_t to, const std::vector<TestRecord>& all,
                       const std::vector<TestRecord>& committed) -> std::string {
    for (auto level : {IsolationLevel::read_uncommitted, IsolationLevel::read_committed}) {
      std::vector<protocol::RecordBatch> batches;
      const char* name = level == IsolationLevel::read_committed ? "read_committed" : "read_uncommitted";
      if (auto why = fetch_all(from, to, level, fetch_max, batches); !why.empty()) return std::string(name) + ": " + why;
      const auto got = data_records(batches, from, to);
      const auto& want = level == IsolationLevel::read_committed ? committed : all;
      if (got.size() != want.size())
        return std::string(name) + " returned " + std::to_string(got.size()) + " records, expected " +
               std::to_string(want.size());
      for (std::size_t i = 0; i < got.size(); ++i)
        if (!got[i].value || std::string(got[i].value->begin(), got[i].value->end()) != want[i].value.value_or(""))
          return std::string(name) + " record " + std::to_string(i) + " at offset " + std::to_string(got[i].offset) +
                 " is not the expected one";
    }
    return {};
  };
  std::int64_t end = -1;
  std::string why;

  // 1. init: InitProducerId with a transactional id at every common version;
  // each re-init of the same id keeps the producer id and bumps the epoch.
  {
    TxnProducer p{id_prefix + "init"};
    std::int64_t last_id = -1;
    std::int16_t last_epoch = -1;
    const auto range = *advertised(ApiKey::init_producer_id);
    for (std::int16_t v = std::max<std::int16_t>(range.first, protocol::InitProducerIdRequest::min_version);
         v <= std::min<std::int16_t>(range.second, protocol::InitProducerIdRequest::max_version); ++v) {
      Cell c = cell(group, "init InitProducerId v" + std::to_string(v));
      std::int16_t used = -1;
      why = txn_init(p, v, nullptr, &used);
      if (why.empty() && used != v) why = wrong_version("InitProducerId", v, used);
      if (why.empty() && (p.id < 0 || p.epoch < 0)) why = "producer id " + std::to_string(p.id) + " epoch " + std::to_string(p.epoch);
      if (why.empty() && last_id >= 0 && p.id == last_id && p.epoch <= last_epoch)
        why = "re-init kept epoch " + std::to_string(p.epoch) + " (was " + std::to_string(last_epoch) + ")";
      if (why.empty())
        c.detail = "producer id " + std::to_string(p.id) + ", epoch " + std::to_string(p.epoch) +
                   (last_id >= 0 ? " (re-init of the same transactional id)" : "");
      last_id = p.id;
      last_epoch = p.epoch;
      verdict(c, why);
    }
  }

  // 2./3. Commit and abort visibility (TV1 shapes).
  for (bool commit : {true, false}) {
    Cell c = cell(group, commit ? "commit visibility" : "abort visibility");
    c.topic = topic_;
    c.partition = partition_;
    TxnProducer p{id_prefix + (commit ? "commit" : "abort")};
    const auto records = txn_records(commit ? "committed" : "aborted", 3);
    std::int64_t base = -1;
    why = txn_init(p, protocol::InitProducerIdRequest::max_version);
    if (why.empty()) why = txn_write(p, records, commit, base);
    if (why.empty() && log_end_offset(end, why)) why = "log end offset: " + why;
    if (why.empty()) why = read_back(base, end, records, commit ? records : std::vector<TestRecord>{});
    if (why.empty())
      c.detail = std::string(commit ? "committed" : "aborted") + " records at " + std::to_string(base) + "-" +
                 std::to_string(base + 2) + ": read_uncommitted sees them, read_committed " +
                 (commit ? "sees them" : "does not");
    verdict(c, why);
  }

  // 4. Every client version of the TV1 flow: AddPartitionsToTxn v0-3 with
  // EndTxn v0-4 (commits), each transaction read back committed.
  {
    const auto add_range = *advertised(ApiKey::add_partitions_to_txn);
    const auto end_range = *advertised(ApiKey::end_txn);
    std::vector<std::int16_t> adds, ends;
    for (std::int16_t v = add_range.first; v <= std::min<std::int16_t>(add_range.second, 3); ++v) adds.push_back(v);
    for (std::int16_t v = end_range.first; v <= std::min<std::int16_t>(end_range.second, 4); ++v) ends.push_back(v);
    TxnProducer p{id_prefix + "tv1"};
    why = txn_init(p, protocol::InitProducerIdRequest::max_version);
    const std::size_t rounds = std::max(adds.size(), ends.size());
    for (std::size_t i = 0; i < rounds && !adds.empty() && !ends.empty(); ++i) {
      const auto a = adds[std::min(i, adds.size() - 1)];
      const auto e = ends[std::min(i, ends.size() - 1)];
      Cell c = cell(group, "TV1 AddPartitionsToTxn v" + std::to_string(a) + " EndTxn v" + std::to_string(e));
      const auto records = txn_records("tv1 round " + std::to_string(i), 2);
      std::int64_t base = -1;
      std::int16_t used = -1;
      std::string w = why;
      if (w.empty()) w = txn_add_partition(p, a);
      if (w.empty()) w = txn_produce(p, records, 11, base);
      if (w.empty()) w = txn_end(p, true, e, nullptr, &used);
      if (w.empty() && used != e) w = wrong_version("EndTxn", e, used);
      if (w.empty() && log_end_offset(end, w)) w = "log end offset: " + w;
      if (w.empty()) w = read_back(base, end, records, records);
      if (w.empty()) c.detail = "committed at " + std::to_string(base) + ", epoch " + std::to_string(p.epoch);
      verdict(c, w);
    }
  }

  // 5. Fencing: a second InitProducerId for the same transactional id bumps
  // the epoch and aborts the first instance's open transaction; the first
  // instance's next request is refused.
  {
    Cell c = cell(group, "fencing");
    TxnProducer first{id_prefix + "fenced"};
    const auto records = txn_records("zombie", 2);
    std::int64_t base = -1;
    why = txn_init(first, protocol::InitProducerIdRequest::max_version);
    if (why.empty()) why = txn_add_partition(first, std::min<std::int16_t>(advertised(ApiKey::add_partitions_to_txn)->second, 3));
    if (why.empty()) why = txn_produce(first, records, 11, base);
    TxnProducer second{first.transactional_id};
    if (why.empty()) why = txn_init(second, protocol::InitProducerIdRequest::max_version);
    if (why.empty() && second.epoch <= first.epoch && second.id == first.id)
      why = "the second instance got epoch " + std::to_string(second.epoch) + ", not above " + std::to_string(first.epoch);
    kwire::errc refused = kwire::errc::none;
    if (why.empty()) {
      std::string end_why = txn_end(first, true, 4, &refused);
      if (end_why.empty()) why = "the fenced instance's EndTxn commit was accepted";
      else if (refused != kwire::errc::producer_fenced && refused != kwire::errc::invalid_producer_epoch)
        why = "the fenced instance's EndTxn: " + end_why + ", expected PRODUCER_FENCED or INVALID_PRODUCER_EPOCH";
    }
    if (why.empty() && log_end_offset(end, why)) why = "log end offset: " + why;
    if (why.empty()) why = read_back(base, end, records, {});
    if (why.empty())
      c.detail = "epoch " + std::to_string(first.epoch) + " -> " + std::to_string(second.epoch) +
                 "; the first instance's EndTxn: " + errc_text(refused) + "; its open transaction aborted";
    verdict(c, why);
  }

  // 6. TV2 (KIP-890 part 2): no AddPartitionsToTxn (Produce v12+ adds the
  // partition), EndTxn v5 hands out the next epoch, which the next
  // transaction must use.
  {
    const std::int16_t tv = transaction_version();
    if (tv < 2) {
      not_offered("TV2", "finalized transaction.version is " + std::to_string(tv) + " (TV2 needs 2)");
    } else if (!advertises(ApiKey::end_txn, 5) || !advertises(ApiKey::produce, 12)) {
      not_offered("TV2", advertised_text(ApiKey::end_txn) + ", " + advertised_text(ApiKey::produce));
    } else {
      Cell c = cell(group, "TV2");
      TxnProducer p{id_prefix + "tv2"};
      why = txn_init(p, protocol::InitProducerIdRequest::max_version);
      std::string seen;
      for (int round = 0; round < 2 && why.empty(); ++round) {
        const auto records = txn_records("tv2 round " + std::to_string(round), 2);
        std::int64_t base = -1;
        const auto before = p.epoch;
        const auto before_id = p.id;
        why = txn_produce(p, records, protocol::ProduceRequest::max_version, base);
        std::int16_t used = -1;
        if (why.empty()) why = txn_end(p, true, 5, nullptr, &used);
        if (why.empty() && used != 5) why = wrong_version("EndTxn", 5, used);
        if (why.empty() && !(p.id == before_id && p.epoch == before + 1) && !(p.id != before_id && p.epoch == 0))
          why = "EndTxn v5 answered producer id " + std::to_string(p.id) + " epoch " + std::to_string(p.epoch) +
                " after epoch " + std::to_string(before) + ": no bump";
        if (why.empty() && log_end_offset(end, why)) why = "log end offset: " + why;
        if (why.empty()) why = read_back(base, end, records, records);
        if (why.empty()) seen += (seen.empty() ? "epoch " + std::to_string(before) : "") + " -> " + std::to_string(p.epoch);
      }
      if (why.empty()) c.detail = "two transactions without AddPartitionsToTxn, " + seen + " (transaction.version " + std::to_string(tv) + ")";
      verdict(c, why);
    }
  }

  // 7. Send offsets: AddOffsetsToTxn + TxnOffsetCommit; OffsetFetch shows
  // the offset only after the commit.
  if (!advertised(ApiKey::add_offsets_to_txn) || !advertised(ApiKey::txn_offset_commit) ||
      !advertised(ApiKey::offset_fetch)) {
    not_offered("send offsets", advertised_text(ApiKey::add_offsets_to_txn) + ", " +
                                    advertised_text(ApiKey::txn_offset_commit));
    return;
  }
  Cell c = cell(group, "send offsets");
  const std::string group_id = topic_ + "-txn-group";
  TxnProducer p{id_prefix + "offsets"};
  const std::int64_t offset = 42;
  std::int64_t base = -1;
  why = txn_init(p, protocol::InitProducerIdRequest::max_version);
  if (why.empty()) why = txn_add_partition(p, std::min<std::int16_t>(advertised(ApiKey::add_partitions_to_txn)->second, 3));
  if (why.empty()) why = txn_produce(p, txn_records("with offsets", 1), 11, base);
  std::int16_t offsets_version = -1, commit_version = -1;
  kwire::errc busy = kwire::errc::none;
  if (why.empty())
    why = retry_at_coordinator(p.transactional_id, 1, busy, [&](net::BlockingClient& txn_coordinator) -> std::string {
      protocol::AddOffsetsToTxnRequest request{p.transactional_id, p.id, p.epoch, group_id, {}};
      protocol::AddOffsetsToTxnResponse response;
      if (auto ec = txn_coordinator.request(request, response, offsets_version))
        return "AddOffsetsToTxn: " + error_name(ec);
      busy = response.error_code;
      if (response.error_code != kwire::errc::none)
        return "AddOffsetsToTxn v" + std::to_string(offsets_version) + ": " + errc_text(response.error_code);
      return {};
    });
  if (why.empty())
    why = retry_at_coordinator(group_id, 0, busy, [&](net::BlockingClient& group_coordinator) -> std::string {
      protocol::TxnOffsetCommitRequest request;
      request.transactional_id = p.transactional_id;
      request.group_id = group_id;
      request.producer_id = p.id;
      request.producer_epoch = p.epoch;
      protocol::TxnOffsetCommitRequest::Topic t;
      t.name = topic_;
      t.partitions.push_back({partition_, offset, -1, std::string("kwire-conformance"), {}});
      request.topics.push_back(t);
      protocol::TxnOffsetCommitResponse response;
      // v5+ is the TV2 shape (implicit AddOffsetsToTxn); v6 names topics by id.
      if (auto ec = group_coordinator.request(request, response, commit_version, 4))
        return "TxnOffsetCommit: " + error_name(ec);
      for (const auto& rt : response.topics)
        for (const auto& rp : rt.partitions)
          if (rp.error_code != kwire::errc::none) {
            busy = rp.error_code;
            return "TxnOffsetCommit v" + std::to_string(commit_version) + ": " + errc_text(rp.error_code);
          }
      return {};
    });
  std::int64_t before = -2, after = -2;
  kwire::errc pending = kwire::errc::none;
  if (why.empty()) {
    // Before the commit: nothing committed (RequireStable v7+ may answer
    // UNSTABLE_OFFSET_COMMIT instead, KIP-447).
    const auto range = *advertised(ApiKey::offset_fetch);
    why = fetch_committed(group_id, std::min<std::int16_t>(range.second, 6), false, before, nullptr, &pending);
    if (why.empty() && before != -1)
      why = "OffsetFetch shows offset " + std::to_string(before) + " before the transaction committed";
  }
  if (why.empty()) why = txn_end(p, true, 4);
  if (why.empty()) {
    const auto deadline = std::chrono::steady_clock::now() + options_.cell_timeout;
    while (why.empty()) {  // the markers reach the offsets partition asynchronously
      why = fetch_committed(group_id, protocol::OffsetFetchRequest::max_version, false, after);
      if (!why.empty() || after == offset || std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (why.empty() && after != offset)
      why = "OffsetFetch shows " + std::to_string(after) + " after the commit, expected " + std::to_string(offset);
  }
  if (why.empty())
    c.detail = "AddOffsetsToTxn v" + std::to_string(offsets_version) + ", TxnOffsetCommit v" +
               std::to_string(commit_version) + ": offset " + std::to_string(offset) +
               " invisible before EndTxn, visible after";
  verdict(c, why);
}

}  // namespace kwire::cli::conformance
