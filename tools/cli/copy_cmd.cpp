// kwire copy: an exactly-once copier of one topic to another, like Kafka's
// TransactionalMessageCopier. A kwire::consumer::Consumer, member of the
// group -G (group.protocol classic by default), reads the input with
// isolation.level=read_committed; each record goes to the same partition of
// the output inside a transaction of the -X transactional.id producer, with
// the consumed positions added by send_offsets_to_transaction() and the
// consumer's group metadata (KIP-447: generation and member id, so the group
// coordinator refuses the offsets of a copier the group has rebalanced away),
// then commit_transaction(): output records and input positions become
// visible together or not at all. A copier that takes over partitions starts
// from the group's committed offsets (OffsetFetch RequireStable, KIP-447).
//
// Rebalances: the open transaction is committed before partitions are
// revoked (while this member still owns them, as Java's exactly-once
// examples do) and aborted when they are lost (the member was removed: its
// generation is gone, the offsets would be refused). An abortable error
// aborts the transaction and seeks every partition back to where the
// transaction began; a fatal one (fenced by a newer copier with the same
// transactional id) ends the copier with status 1.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <kwire/admin/admin.hpp>
#include <kwire/consumer/consumer.hpp>
#include <kwire/producer/producer.hpp>

#include "broker_session.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "stop_signal.hpp"
#include "transaction_options.hpp"

namespace kwire::cli {
namespace {

using namespace std::chrono_literals;
using consumer::TopicPartition;

/// The -X properties split between the consumer and the producer: a key
/// goes to every side that knows it (connection and security keys to both);
/// one neither knows is a ConfigError (the side's own message).
void split_properties(const std::map<std::string, std::string>& properties,
                      std::map<std::string, std::string>& consumer_properties,
                      std::map<std::string, std::string>& producer_properties,
                      std::map<std::string, std::string>& client_properties) {
  for (const auto& [key, value] : properties) {
    try {
      cluster::ClientConfig().set(key, value);
      client_properties[key] = value;
    } catch (const ConfigError&) {
      // not a connection key
    }
    std::optional<ConfigError> consumer_error;
    std::optional<ConfigError> producer_error;
    try {
      consumer::ConsumerConfig().set(key, value);
      consumer_properties[key] = value;
    } catch (const ConfigError& e) {
      consumer_error = e;
    }
    try {
      producer::ProducerConfig().set(key, value);
      producer_properties[key] = value;
    } catch (const ConfigError& e) {
      producer_error = e;
    }
    if (consumer_error && producer_error) {
      // The side that knows the key says what is wrong with its value.
      const bool consumer_knows = std::string(consumer_error->what()).find("unknown configuration key") ==
                                  std::string::npos;
      throw consumer_knows ? *consumer_error : *producer_error;
    }
  }
}

producer::ConsumerGroupMetadata for_producer(const consumer::ConsumerGroupMetadata& m) {
  return {m.group_id, m.generation_id, m.member_id, m.group_instance_id};
}

class Copier {
 public:
  Copier(Producer& producer, std::string output, std::int32_t output_partitions, std::int64_t transaction_size,
         std::chrono::milliseconds timeout)
      : producer_(producer),
        output_(std::move(output)),
        output_partitions_(output_partitions),
        transaction_size_(transaction_size),
        timeout_(timeout) {}

  /// Copies the records of one poll(); false once the copier must stop (fatal()).
  bool copy(consumer::Consumer& consumer, std::span<const consumer::ConsumerRecord> records) {
    // A rewind by a rebalance callback happened inside poll(), before these
    // records were collected: they are already the ones after the seek.
    skip_.clear();
    for (const auto& r : records) {
      const TopicPartition tp{std::string(r.topic), r.partition};
      if (skip_.contains(tp)) continue;  // rewound after an abort: this poll's rest is stale
      if (!open_) {
        const auto begun = producer_.begin_transaction();
        if (!begun.ok()) return fail("begin_transaction: " + begun.message());
        open_ = true;
      }
      start_.try_emplace(tp, r.offset);
      send(r);
      next_[tp] = {.partition = {tp.topic, tp.partition}, .offset = r.offset + 1, .leader_epoch = r.leader_epoch};
      ++in_transaction_;
      if (in_transaction_ >= transaction_size_ && !end_transaction(consumer)) return false;
    }
    skip_.clear();
    return true;
  }

  /// Commits the open transaction with its offsets (nothing when none is
  /// open); on an abortable error aborts it and seeks back. False: fatal.
  bool end_transaction(consumer::Consumer& consumer) {
    if (!fatal_.empty()) return false;
    if (!open_) return true;
    producer::TransactionStatus status;
    if (failed_record_) {
      status.error = make_error_code(producer::transaction_errc::aborted);
      status.kind = producer::TransactionErrorKind::abortable;
      status.detail = "a record's delivery failed";
    } else {
      std::vector<producer::OffsetToCommit> offsets;
      for (const auto& [tp, next] : next_) offsets.push_back(next);
      status = repeat_while_timed_out([&] {
        return producer_.send_offsets_to_transaction(offsets, for_producer(consumer.group_metadata()), timeout_);
      });
      if (status.ok()) status = repeat_while_timed_out([&] { return producer_.commit_transaction(timeout_); });
    }
    if (status.ok()) {
      for (const auto& [tp, next] : next_) committed_[tp] = next.offset;
      copied_ += in_transaction_;
      ++transactions_;
      clear();
      return true;
    }
    if (status.fatal() || status.kind == producer::TransactionErrorKind::usage) return fail(status.message());
    std::fprintf(stderr, "kwire copy: transaction failed, aborting it and copying again from its start: %s\n",
                 status.message().c_str());
    return abort_and_rewind(consumer);
  }

  /// Aborts the open transaction and seeks the partitions it read (those
  /// still assigned) back to where it began. False: fatal.
  bool abort_and_rewind(consumer::Consumer& consumer) {
    if (!fatal_.empty()) return false;
    if (!open_) return true;
    const auto aborted = repeat_while_timed_out([&] { return producer_.abort_transaction(timeout_); });
    if (!aborted.ok()) return fail("abort_transaction: " + aborted.message());
    ++aborted_;
    const auto assigned = consumer.assignment();
    const std::set<TopicPartition> owned(assigned.begin(), assigned.end());
    for (const auto& [tp, offset] : start_) {
      if (!owned.contains(tp)) continue;
      consumer.seek(tp, offset);
      skip_.insert(tp);
    }
    clear();
    return true;
  }

  /// Commits, in a transaction without records, positions that moved past
  /// what was committed without a copied record (control records of the
  /// input's transactions), so the group's lag reaches 0 (librdkafka #4384).
  bool commit_positions(consumer::Consumer& consumer) {
    if (open_) return end_transaction(consumer);
    for (const auto& tp : consumer.assignment()) {
      const auto position = consumer.position(tp);
      auto it = committed_.find(tp);
      if (!position || (it != committed_.end() && it->second == *position)) continue;
      next_[tp] = {.partition = {tp.topic, tp.partition}, .offset = *position, .leader_epoch = -1};
    }
    if (next_.empty()) return true;
    const auto begun = producer_.begin_transaction();
    if (!begun.ok()) return fail("begin_transaction: " + begun.message());
    open_ = true;
    return end_transaction(consumer);
  }

  bool open() const noexcept { return open_; }
  std::int64_t copied() const noexcept { return copied_; }
  std::int64_t transactions() const noexcept { return transactions_; }
  std::int64_t aborted() const noexcept { return aborted_; }
  const std::string& fatal() const noexcept { return fatal_; }

 private:
  void send(const consumer::ConsumerRecord& r) {
    headers_.clear();
    r.headers.for_each([&](const consumer::HeaderView& h) { headers_.emplace_back(h.key, h.value); });
    producer::RecordView record;
    record.topic = output_;
    record.partition = r.partition < output_partitions_ ? r.partition : producer::RecordView::unassigned_partition;
    record.key = r.key;
    record.value = r.value;
    record.headers = headers_;
    record.timestamp_ms = r.timestamp;
    // The commit fails too then (a failed record is never committed); the
    // flag lets the copier abort without waiting for that.
    producer_.send(record, [this](const producer::DeliveryReport& report) {
      if (!report.ok()) failed_record_ = true;
    });
  }

  /// A transactional call that timed out is repeated (the producer picks
  /// up the one in flight) a few times before it counts as failed: a
  /// coordinator moving after a SIGKILL takes a while.
  template <class Call>
  producer::TransactionStatus repeat_while_timed_out(Call call) {
    producer::TransactionStatus status = call();
    for (int attempt = 0; status.timed_out() && attempt < 4; ++attempt) status = call();
    return status;
  }

  bool fail(std::string why) {
    fatal_ = std::move(why);
    return false;
  }

  void clear() {
    open_ = false;
    in_transaction_ = 0;
    start_.clear();
    next_.clear();
    failed_record_ = false;
  }

  Producer& producer_;
  std::string output_;
  std::int32_t output_partitions_;
  std::int64_t transaction_size_;
  std::chrono::milliseconds timeout_;
  std::vector<producer::HeaderView> headers_;
  bool open_ = false;
  std::int64_t in_transaction_ = 0;
  std::map<TopicPartition, std::int64_t> start_;  ///< first offset the open transaction read, per partition
  std::map<TopicPartition, producer::OffsetToCommit> next_;  ///< its offsets to commit
  std::map<TopicPartition, std::int64_t> committed_;         ///< what this copier committed
  std::set<TopicPartition> skip_;                             ///< rewound: ignore the rest of this poll
  std::atomic<bool> failed_record_{false};                    // set on the producer's network thread
  std::int64_t copied_ = 0;
  std::int64_t transactions_ = 0;
  std::int64_t aborted_ = 0;
  std::string fatal_;
};

/// For -e: whether every assigned partition is read to its last stable
/// offset. The LSO comes from the consumer's last fetch, else from
/// ListOffsets(latest, read_committed), asked at most once a second: an
/// incremental fetch session (KIP-227) leaves out partitions without news,
/// so a partition assigned again after a rebalance may get no watermarks
/// until new data arrives.
class EndCheck {
 public:
  explicit EndCheck(std::map<std::string, std::string> properties) : properties_(std::move(properties)) {}

  bool at_end(const consumer::Consumer& consumer) {
    const auto assigned = consumer.assignment();
    if (assigned.empty()) return false;
    std::vector<cluster::TopicPartition> unknown;
    for (const auto& tp : assigned) {
      const auto position = consumer.position(tp);
      if (!position) return false;
      const auto marks = consumer.watermarks(tp);
      if (marks && marks->last_stable_offset >= 0) {
        if (*position < marks->last_stable_offset) return false;
        continue;
      }
      auto listed = listed_.find(tp);
      if (listed == listed_.end() || *position < listed->second) unknown.push_back({tp.topic, tp.partition});
    }
    if (unknown.empty()) return true;
    if (std::chrono::steady_clock::now() - last_listed_ < 1s) return false;
    last_listed_ = std::chrono::steady_clock::now();
    try {
      if (!admin_) admin_ = std::make_unique<admin::Admin>(cluster::ClientConfig::from_properties(properties_));
      for (const auto& listed : admin_->list_offsets(unknown, protocol::list_offsets_timestamp::latest, true))
        if (listed.error.ok()) listed_[{listed.partition.topic, listed.partition.partition}] = listed.offset;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kwire copy: listing the input's end offsets: %s\n", e.what());
    }
    return false;  // decided at the next call, with the answers
  }

 private:
  std::map<std::string, std::string> properties_;  ///< the connection keys
  std::unique_ptr<admin::Admin> admin_;
  std::map<TopicPartition, std::int64_t> listed_;
  std::chrono::steady_clock::time_point last_listed_{};
};

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

  std::map<std::string, std::string> consumer_properties;
  std::map<std::string, std::string> producer_properties;
  std::map<std::string, std::string> client_properties;
  split_properties(options.properties, consumer_properties, producer_properties, client_properties);
  client_properties["bootstrap.servers"] = options.bootstrap;
  consumer_properties["bootstrap.servers"] = options.bootstrap;
  producer_properties["bootstrap.servers"] = options.bootstrap;
  if (consumer_properties.contains("group.id") && consumer_properties["group.id"] != group)
    throw UsageError("copy: -X group.id differs from -G");
  consumer_properties["group.id"] = group;
  // Exactly once needs the input's committed records only, and offsets
  // committed by the transactions alone.
  for (const auto& [key, needed] : {std::pair<std::string, std::string>{"isolation.level", "read_committed"},
                                    {"enable.auto.commit", "false"}}) {
    auto it = consumer_properties.find(key);
    if (it != consumer_properties.end() && it->second != needed)
      throw UsageError("copy needs " + key + "=" + needed + " (got " + it->second + ")");
    consumer_properties[key] = needed;
  }
  consumer_properties.try_emplace("auto.offset.reset", "earliest");
  consumer::ConsumerConfig consumer_config = consumer::ConsumerConfig::from_properties(consumer_properties);
  producer::ProducerConfig producer_config = producer::ProducerConfig::from_properties(producer_properties);

  Producer producer(producer_config);
  const auto timeout = std::chrono::milliseconds(std::max<std::int64_t>(producer_config.max_block_ms, 1));
  const producer::TransactionStatus init = producer.init_transactions(timeout);
  if (!init.ok()) {
    std::fprintf(stderr, "kwire copy: init_transactions failed: %s\n", init.message().c_str());
    return 1;
  }
  std::error_code ec;
  std::string why;
  const auto outputs = producer.partitions_for(to, ec, timeout, &why);
  if (ec || outputs.empty()) {
    std::fprintf(stderr, "kwire copy: output topic %s: %s %s\n", to.c_str(), ec.message().c_str(), why.c_str());
    return 1;
  }
  Copier copier(producer, to, static_cast<std::int32_t>(outputs.size()), txn.size, timeout);

  // Callbacks run inside poll(), between two batches of records: the open
  // transaction holds everything copied so far.
  consumer::RebalanceCallbacks callbacks;
  callbacks.on_assigned = [](consumer::Consumer&, const std::vector<TopicPartition>& parts) {
    for (const auto& tp : parts) std::fprintf(stderr, "%% Assigned %s [%d]\n", tp.topic.c_str(), tp.partition);
  };
  // Still the owner (the generation is current): commit what was copied.
  callbacks.on_revoked = [&copier](consumer::Consumer& c, const std::vector<TopicPartition>& parts) {
    for (const auto& tp : parts) std::fprintf(stderr, "%% Revoked %s [%d]\n", tp.topic.c_str(), tp.partition);
    (void)copier.end_transaction(c);  // a fatal error shows in copier.fatal()
  };
  // No longer a member: the offsets would be refused, another copier may
  // already own the partitions. Abort; the new owner copies them again.
  callbacks.on_lost = [&copier](consumer::Consumer& c, const std::vector<TopicPartition>& parts, std::error_code reason) {
    for (const auto& tp : parts)
      std::fprintf(stderr, "%% Lost %s [%d]: %s\n", tp.topic.c_str(), tp.partition, reason.message().c_str());
    (void)copier.abort_and_rewind(c);
  };
  consumer::Consumer consumer(std::move(consumer_config), std::move(callbacks));
  consumer.subscribe({from});
  install_stop_signals();

  EndCheck end(client_properties);
  int status = 0;
  const auto started = std::chrono::steady_clock::now();
  try {
    while (!stop_requested() && copier.fatal().empty()) {
      const auto records = consumer.poll(200ms);
      for (const auto& e : consumer.errors()) std::fprintf(stderr, "kwire copy: %s\n", e.message.c_str());
      if (!copier.fatal().empty()) break;
      if (!copier.copy(consumer, records)) break;
      // Nothing more for now: commit what the open transaction holds.
      if (records.empty() && !copier.end_transaction(consumer)) break;
      if (exit_at_end && !copier.open() && end.at_end(consumer)) {
        if (!copier.commit_positions(consumer)) break;
        if (!copier.open() && end.at_end(consumer)) break;
      }
    }
    if (copier.fatal().empty() && !copier.end_transaction(consumer)) status = 1;
  } catch (const std::system_error& e) {  // the group membership failed for good
    std::fprintf(stderr, "kwire copy: %s\n", e.what());
    status = 1;
  }
  if (!copier.fatal().empty()) {
    std::fprintf(stderr, "kwire copy: %s\n", copier.fatal().c_str());
    status = 1;
  }
  consumer.close();
  producer.close(timeout);
  restore_default_stop_signals();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "kwire copy: copied %lld records from %s to %s in %lld transactions (%lld aborted) (%.3f s)\n",
               static_cast<long long>(copier.copied()), from.c_str(), to.c_str(),
               static_cast<long long>(copier.transactions()), static_cast<long long>(copier.aborted()), seconds);
  return status;
}

}  // namespace kwire::cli
