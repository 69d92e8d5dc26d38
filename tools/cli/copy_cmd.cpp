// kwire copy: an exactly-once copier of one topic to another, like Kafka's
// TransactionalMessageCopier. It reads every partition of the input with
// isolation.level=read_committed (kwire's PartitionReader: Fetch with
// aborted transactions dropped), produces each record to the same partition
// of the output inside a transaction, adds the consumed positions to that
// transaction with send_offsets_to_transaction() (TxnOffsetCommit for
// the group -G) and commits: output records and input positions become
// visible together or not at all. A restarted copier resumes from the
// group's committed offsets (OffsetFetch with RequireStable, KIP-447), so
// nothing is copied twice and nothing is skipped.
//
// kwire has no group consumer yet: the copier owns every partition of the
// input and uses the group only for its offsets (no JoinGroup; generation
// -1, so the broker does no generation fencing). Run one copier per group.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <kwire/producer/producer.hpp>
#include <kwire/protocol/find_coordinator.hpp>
#include <kwire/protocol/offset_fetch.hpp>

#include "broker_session.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "partition_reader.hpp"
#include "transaction_options.hpp"

namespace kwire::cli {
namespace {

using namespace std::chrono_literals;

bool busy(kwire::errc e) {
  return e == kwire::errc::coordinator_not_available || e == kwire::errc::coordinator_load_in_progress ||
         e == kwire::errc::not_coordinator || e == kwire::errc::unstable_offset_commit;
}

/// The group's committed offsets of `topic`'s partitions (-1: none), read
/// from the group coordinator with RequireStable (KIP-447: waits out a
/// transactional commit still pending). Empty `why` on success.
std::string committed_offsets(const cluster::ClientConfig& config, const std::string& group, const std::string& topic,
                              std::int32_t partitions, std::map<std::int32_t, std::int64_t>& out) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  net::BlockingClient bootstrap = make_client(config);
  if (auto ec = bootstrap.connect()) return "connecting: " + error_name(ec);
  while (true) {
    // The group coordinator (the first lookup may create __consumer_offsets).
    protocol::FindCoordinatorRequest find;
    find.key_type = 0;
    find.key = group;
    find.coordinator_keys = {group};
    const std::int16_t find_max = bootstrap.connection().negotiated_version(protocol::ApiKey::find_coordinator)
                                      .value_or(0) >= protocol::FindCoordinatorRequest::first_batched_version
                                      ? protocol::FindCoordinatorRequest::max_version
                                      : protocol::FindCoordinatorRequest::first_batched_version - 1;
    if (find_max >= protocol::FindCoordinatorRequest::first_batched_version)
      find.key.clear();
    else
      find.coordinator_keys.clear();
    protocol::FindCoordinatorResponse found;
    std::int16_t version = -1;
    if (auto ec = bootstrap.request(find, found, version, find_max)) return "FindCoordinator: " + error_name(ec);
    kwire::errc error = found.error_code;
    std::string host = found.host;
    std::int32_t port = found.port;
    if (version >= protocol::FindCoordinatorResponse::first_batched_version) {
      if (found.coordinators.empty()) return "FindCoordinator: empty answer";
      error = found.coordinators[0].error_code;
      host = found.coordinators[0].host;
      port = found.coordinators[0].port;
    }
    if (error == kwire::errc::none) {
      cluster::ClientConfig at = config;
      at.bootstrap_servers = {host + ":" + std::to_string(port)};
      net::BlockingClient coordinator = make_client(at);
      if (auto ec = coordinator.connect()) return "connecting to the group coordinator: " + error_name(ec);
      protocol::OffsetFetchRequest request;
      request.group_id = group;
      protocol::OffsetFetchRequest::Topic t;
      t.name = topic;
      for (std::int32_t p = 0; p < partitions; ++p) t.partition_indexes.push_back(p);
      request.topics = std::vector<protocol::OffsetFetchRequest::Topic>{t};
      request.require_stable = true;
      protocol::OffsetFetchResponse response;
      // v7: names, a single group and RequireStable.
      if (auto ec = coordinator.request(request, response, version, protocol::OffsetFetchRequest::first_require_stable_version))
        return "OffsetFetch: " + error_name(ec);
      error = response.error_code;
      for (const auto& rt : response.topics)
        for (const auto& rp : rt.partitions) {
          if (rp.error_code != kwire::errc::none) error = rp.error_code;
          out[rp.partition_index] = rp.committed_offset;
        }
      if (error == kwire::errc::none) return {};
    }
    if (!busy(error) || std::chrono::steady_clock::now() > deadline)
      return "group " + group + ": " + error_name(make_error_code(error));
    out.clear();
    std::this_thread::sleep_for(250ms);
  }
}

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_stop_signal(int) { stop_requested = 1; }

}  // namespace

int run_copy(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  TransactionOptions txn = take_transaction_options(args);
  bool exit_at_end = false;
  std::string from;
  std::string to;
  std::vector<char*> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string arg = args[i];
    if (arg == "-e") {
      exit_at_end = true;
    } else if (arg == "--from" || arg == "--to") {
      if (i + 1 >= args.size()) throw UsageError("option " + arg + " needs a value");
      (arg == "--from" ? from : to) = args[++i];
    } else {
      rest.push_back(args[i]);
    }
  }
  std::map<char, std::vector<std::string>> values;
  CommonOptions options = parse_options(static_cast<int>(rest.size()), rest.data(), "G", values);
  if (from.empty() || to.empty()) throw UsageError("copy needs --from TOPIC and --to TOPIC");
  if (from == to) throw UsageError("copy: --from and --to name the same topic");
  if (values['G'].size() != 1 || values['G'][0].empty()) throw UsageError("copy needs one group: -G GROUP");
  const std::string group = values['G'][0];
  if (txn.transactional_id) options.properties["transactional.id"] = *txn.transactional_id;
  if (!options.properties.count("transactional.id"))
    throw UsageError("copy needs a transactional id: --transactional-id ID (or -X transactional.id=ID)");
  if (txn.size == 0) txn.size = 1000;
  if (txn.abort_every > 0) throw UsageError("copy does not take --abort-every");

  // The readers take the connection settings only.
  CommonOptions reader_options = options;
  for (const char* key : {"transactional.id", "transaction.timeout.ms", "isolation.level", "linger.ms", "acks",
                          "compression.type", "batch.size", "enable.idempotence"})
    reader_options.properties.erase(key);
  const cluster::ClientConfig reader_config = client_config(reader_options);

  producer::ProducerConfig config = producer_config(options);
  Producer producer(config);
  const auto timeout = std::chrono::milliseconds(std::max<std::int64_t>(config.max_block_ms, 1));
  const producer::TransactionStatus init = producer.init_transactions(timeout);
  if (!init.ok()) {
    std::fprintf(stderr, "kwire copy: init_transactions failed: %s\n", init.message().c_str());
    return 1;
  }
  std::error_code ec;
  std::string why;
  const auto inputs = producer.partitions_for(from, ec, timeout, &why);
  if (ec || inputs.empty()) {
    std::fprintf(stderr, "kwire copy: input topic %s: %s %s\n", from.c_str(), ec.message().c_str(), why.c_str());
    return 1;
  }
  const auto outputs = producer.partitions_for(to, ec, timeout, &why);
  if (ec || outputs.empty()) {
    std::fprintf(stderr, "kwire copy: output topic %s: %s %s\n", to.c_str(), ec.message().c_str(), why.c_str());
    return 1;
  }
  const auto partitions = static_cast<std::int32_t>(inputs.size());
  const auto out_partitions = static_cast<std::int32_t>(outputs.size());

  std::map<std::int32_t, std::int64_t> committed;
  if (std::string failed = committed_offsets(reader_config, group, from, partitions, committed); !failed.empty()) {
    std::fprintf(stderr, "kwire copy: reading the group's offsets: %s\n", failed.c_str());
    return 1;
  }
  std::vector<std::unique_ptr<PartitionReader>> readers;
  std::map<std::int32_t, std::int64_t> position;
  for (std::int32_t p = 0; p < partitions; ++p) {
    auto reader = std::make_unique<PartitionReader>(reader_config, from, p);
    reader->set_isolation_level(protocol::IsolationLevel::read_committed);
    if (auto open = reader->open(&why)) {
      std::fprintf(stderr, "kwire copy: %s/%d: %s\n", from.c_str(), p, why.c_str());
      return 1;
    }
    std::int64_t start = committed.count(p) ? committed[p] : -1;
    if (start < 0 && reader->list_offset(protocol::list_offsets_timestamp::earliest, start, &why)) {
      std::fprintf(stderr, "kwire copy: %s/%d: %s\n", from.c_str(), p, why.c_str());
      return 1;
    }
    committed[p] = start;
    position[p] = start;
    readers.push_back(std::move(reader));
  }

  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::int64_t copied = 0;
  std::int64_t transactions = 0;
  std::int64_t in_transaction = 0;
  bool open = false;
  std::atomic<bool> failed_record{false};  // set on the producer's network thread
  auto end_transaction = [&]() -> bool {
    if (!open) return true;
    std::vector<producer::OffsetToCommit> offsets;
    for (const auto& [p, next] : position)
      if (next != committed[p]) offsets.push_back({{from, p}, next, -1, std::string()});
    producer::TransactionStatus status = producer.send_offsets_to_transaction(offsets, {group, -1, "", std::nullopt},
                                                                               timeout);
    if (status.ok()) status = producer.commit_transaction(timeout);
    open = false;
    if (status.ok() && !failed_record.load()) {
      committed = position;
      copied += in_transaction;
      ++transactions;
      in_transaction = 0;
      return true;
    }
    // Abortable: abort and copy the same records again from the last commit.
    std::fprintf(stderr, "kwire copy: transaction failed, aborting and retrying from the last commit: %s\n",
                 status.message().c_str());
    if (status.fatal()) return false;
    (void)producer.abort_transaction(timeout);
    position = committed;
    in_transaction = 0;
    failed_record.store(false);
    return true;
  };

  const auto started = std::chrono::steady_clock::now();
  while (!stop_requested) {
    bool at_end = true;
    for (std::int32_t p = 0; p < partitions && !stop_requested; ++p) {
      FetchRound round;
      if (auto fetch = readers[static_cast<std::size_t>(p)]->fetch(position[p], round, &why)) {
        std::fprintf(stderr, "kwire copy: fetch %s/%d: %s (retrying)\n", from.c_str(), p, why.c_str());
        readers[static_cast<std::size_t>(p)]->open(&why);
        at_end = false;
        continue;
      }
      bool rewound = false;
      for (const auto& batch : round.batches) {
        if (batch.is_control()) continue;
        for (const auto& r : batch.records) {
          if (r.offset < position[p]) continue;
          if (!open) {
            const auto begun = producer.begin_transaction();
            if (!begun.ok()) {
              std::fprintf(stderr, "kwire copy: begin_transaction: %s\n", begun.message().c_str());
              return 1;
            }
            open = true;
          }
          std::vector<producer::HeaderView> headers;
          for (const auto& h : r.headers)
            headers.emplace_back(h.key, h.value ? std::optional<std::span<const std::uint8_t>>(*h.value)
                                                : std::optional<std::span<const std::uint8_t>>());
          producer::RecordView record;
          record.topic = to;
          record.partition = p < out_partitions ? p : producer::RecordView::unassigned_partition;
          if (r.key) record.key = std::span<const std::uint8_t>(*r.key);
          if (r.value) record.value = std::span<const std::uint8_t>(*r.value);
          record.headers = headers;
          record.timestamp_ms = r.timestamp;
          producer.send(record, [&failed_record](const producer::DeliveryReport& report) {
            if (!report.ok()) failed_record.store(true);  // the commit then fails too (abortable)
          });
          position[p] = r.offset + 1;
          ++in_transaction;
          if (in_transaction >= txn.size) {
            const std::int64_t before = committed[p];
            if (!end_transaction()) return 1;
            if (position[p] == before && before <= r.offset) {
              rewound = true;  // aborted: fetch again from the last commit
              break;
            }
          }
        }
        if (rewound) break;
      }
      if (rewound) {
        at_end = false;
        continue;
      }
      // Control records and aborted data advance the position too.
      position[p] = std::max(position[p], round.next_offset);
      if (round.last_stable_offset < 0 || position[p] < round.last_stable_offset) at_end = false;
    }
    if (open && (at_end || in_transaction > 0) && !end_transaction()) return 1;
    if (at_end && exit_at_end) {
      // Positions past control records only: commit them too, so the
      // group's lag reaches 0 (librdkafka #4384).
      bool moved = false;
      for (const auto& [p, next] : position) moved = moved || next != committed[p];
      if (moved) {
        if (!producer.begin_transaction().ok()) return 1;
        open = true;
        if (!end_transaction()) return 1;
      }
      break;
    }
  }
  producer.close(timeout);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "kwire copy: copied %lld records from %s to %s in %lld transactions (%.3f s)\n",
               static_cast<long long>(copied), from.c_str(), to.c_str(), static_cast<long long>(transactions),
               seconds);
  return 0;
}

}  // namespace kwire::cli
