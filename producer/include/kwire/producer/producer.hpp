#pragma once
// kwire::Producer — send records to Kafka, get one delivery report per record.
//
//   kwire::Producer producer({{"bootstrap.servers", "localhost:9092"}, {"acks", "all"}});
//   if (auto ec = producer.wait_for_cluster(std::chrono::seconds(10)))   // optional fail-fast
//     throw std::system_error(ec);
//   producer.send(kwire::producer::RecordView("orders", "customer-7", payload),
//                 [](const kwire::producer::DeliveryReport& r) {
//                   if (!r.ok()) std::fprintf(stderr, "lost: %s\n", r.error.message().c_str());
//                 });
//   std::future<kwire::producer::RecordMetadata> f = producer.send(record);  // or a future
//   producer.flush(std::chrono::seconds(30));
//   // the destructor closes: it waits up to delivery.timeout.ms for what is left
//
// The path of a record (ARCHITECTURE.md): send() picks a partition (Java's
// murmur2 for keys, sticky for null keys; partition counts come from
// metadata fetched on first use of a topic), appends the record in wire form
// to that partition's open batch in the RecordAccumulator, and returns. The
// network thread (Sender) sends batches when they are full or linger.ms has
// passed, one connection per broker, retries what can be retried, and runs
// each record's callback with its offset or its error.
//
// Threads:
//  * send(), flush(), close() and wait_for_cluster() may be called from any
//    number of threads concurrently.
//  * Delivery callbacks run on the network thread, in order per partition
//    for one batch; they must not block (no flush()/close() inside them: the
//    network thread would wait for itself). Callbacks for records refused
//    by send() itself (see below) run on the calling thread, before send()
//    returns — as the Java client does.
//  * The network thread is either an internal thread the producer owns, or
//    your own asio::io_context (see the constructors; boost::asio::io_context
//    when kwire is built with -DKWIRE_ASIO=boost, kwire/net/asio_fwd.hpp).
//    With your own, run it on exactly one thread; every flush()/close()/
//    wait_for_cluster()/destructor needs it running (they post work to it
//    and wait), or else stopped (then close fails what is left at once).
//  * Called ON the network thread (from a delivery callback, or from another
//    handler on your io_context) nothing can wait for the network: flush()
//    only reports whether everything is done already, close() fails what is
//    left at once, wait_for_cluster() returns
//    std::errc::operation_would_block, and send() does not wait for a
//    topic's first metadata (the record fails with unknown_topic) nor for
//    buffer memory (it fails with queue_full at once: nothing could free
//    memory meanwhile). try_send() says which instead of failing the
//    record. Never destroy the producer from its own callback.
//
// Errors — every record gets exactly one report (callback or future):
//  * refused by send(): client_errc::shutting_down (after close),
//    fatal_producer_state (see "Delivery semantics"), unknown_topic (the topic is not in metadata after
//    max.block.ms — Java's "Topic not present in metadata after
//    max.block.ms"), errc::unknown_topic_or_partition (an explicit or
//    user-chosen partition the topic does not have after max.block.ms),
//    record_too_large (> max.request.size), record_exceeds_buffer_memory
//    (> buffer.memory; `detail` has the sizes and the setting), queue_full
//    (buffer.memory exhausted for max.block.ms), or the topic's own error
//    from metadata (e.g. errc::topic_authorization_failed, invalid_topic_exception).
//  * after sending: the broker's error (kwire::errc) once retries are
//    exhausted or for non-retriable errors; client_errc::timed_out when
//    delivery.timeout.ms passed (`detail`: "Expiring 3 record(s) for
//    orders-0: 120000 ms has passed since batch creation ...; never sent /
//    in flight without a response / after N attempts; last error: ..."); shutting_down for records close() could not
//    deliver in time.
//  * client_errc::authentication_failed, from send() or after it, promptly
//    and not retried: a broker refused our TLS or SASL credentials (wrong
//    password, unknown user, a mechanism it does not enable, an untrusted
//    or mismatched certificate, no client certificate). Records that need
//    that broker (or, with none usable, any broker) fail with it while the
//    refusal lasts; a later successful connection ends it. The report's
//    `detail` (a future's what()) says what failed, where, and which setting
//    to check — never a secret. See sender.hpp.
//  A delivery callback that throws is caught (the other records still get
//  their reports) and logged at error level with the topic-partition, once
//  per exception type per minute.
//  The public API throws only for programmer errors and invalid
//  configuration (kwire::ConfigError from the constructors).
//
// Delivery semantics: with enable.idempotence (on by default, as in Java
// 3.x+: acks=all, at most 5 requests in flight, retries > 0; an explicit
// enable.idempotence=true with conflicting settings is a ConfigError, an
// implicit one is quietly turned off) the producer gets a producer id from
// InitProducerId before its first Produce and numbers each partition's
// batches: a retry after a timeout, a lost response, a broker restart or a
// leader move is written once, and each partition keeps send order
// (idempotence.hpp). INVALID_PRODUCER_EPOCH / PRODUCER_FENCED (or a refused
// InitProducerId) make the producer fatal: the batch that got it fails with
// that error, every other pending record and every later send() with
// client_errc::fatal_producer_state, and the cause is logged. Without
// idempotence, `acks` and `retries` apply as configured: a retry may write
// a record twice, and with max.in.flight.requests.per.connection > 1 a
// retried batch may land after a later one (as in Java); set it to 1 for
// strict per-partition order.
//
// Transactions (transactional.id set; KIP-98, KIP-447; both transaction
// protocols, KIP-890 TV2 when the cluster's transaction.version >= 2):
//
//   kwire::Producer producer({{"bootstrap.servers", "localhost:9092"}, {"transactional.id", "orders-1"}});
//   if (auto s = producer.init_transactions(30s); !s) throw std::runtime_error(s.message());
//   {
//     auto txn = producer.transaction();           // begin_transaction()
//     producer.send(record, callback);             // only inside a transaction
//     producer.send_offsets_to_transaction(offsets, group, 30s);   // consume-transform-produce
//     if (auto s = txn.commit(30s); !s) ...        // flushes, then EndTxn
//   }                                              // not committed: aborted here
//
// Every call returns a TransactionStatus (transaction.hpp) whose kind says
// what to do: timed_out — call the same method again (the call goes on and
// is picked up, as Java's); abortable — abort_transaction(), then go on;
// fatal — fenced by a newer instance (PRODUCER_FENCED) or otherwise unusable:
// close the producer; usage — wrong call for the state. `detail` names the
// transactional id, the coordinator and the cause. A record whose delivery
// failed makes the transaction abortable: it is never committed silently.
// send() outside a transaction is refused with transaction_errc::invalid_state.
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "kwire/producer/config.hpp"
#include "kwire/producer/log.hpp"
#include "kwire/producer/record.hpp"
#include "kwire/producer/statistics.hpp"
#include "kwire/producer/transaction.hpp"
// Every error a producer user handles, with this one include: the broker's
// kwire::errc and the client's kwire::client_errc.
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/net/asio_fwd.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

static_assert(__cplusplus >= 202002L, "kwire needs C++20 or later: compile with -std=c++20 (or newer)");

namespace kwire {

namespace producer {
/// One partition of a topic as metadata describes it (Producer::partitions_for).
struct PartitionMetadata {
  std::string topic;
  std::int32_t partition = -1;
  /// The leader's broker id; -1 while the partition has no leader.
  std::int32_t leader = -1;
  /// The partition's error in the last Metadata response (e.g.
  /// LEADER_NOT_AVAILABLE); none when it is fine.
  kwire::errc error = kwire::errc::none;
};

/// What Producer::try_send() did with a record.
enum class TrySendResult : unsigned char {
  /// Taken, exactly as send() would have: queued for sending, or refused
  /// with its report already delivered (callback run on the calling thread).
  /// Either way the callback was consumed and runs once.
  accepted,
  /// send() would have waited for the topic's metadata (its partitions are
  /// not known yet, or it has fewer than the record's partition). The
  /// metadata was asked for; the callback was not run and not kept.
  awaiting_metadata,
  /// send() would have waited for buffer.memory (a new batch was needed and
  /// the memory is held by records not yet acknowledged). The callback was
  /// not run and not kept.
  buffer_full,
};
}  // namespace producer

class Producer {
 public:
  using RecordView = producer::RecordView;
  using TrySendResult = producer::TrySendResult;
  using ProducerRecord = producer::ProducerRecord;
  using RecordMetadata = producer::RecordMetadata;
  using DeliveryReport = producer::DeliveryReport;
  using DeliveryCallback = producer::DeliveryCallback;

  /// With an internal network thread. `config` is validated (a copy);
  /// throws ConfigError. `log` receives diagnostics (log.hpp: level,
  /// category, message); empty: warnings and errors to stderr (and info and
  /// the chosen debug categories too when `debug` is set);
  /// producer::silent_log_handler() for nothing.
  explicit Producer(producer::ProducerConfig config, producer::LogHandler log = {});
  /// From Kafka property names (ProducerConfig::from_properties).
  explicit Producer(const std::map<std::string, std::string>& properties, producer::LogHandler log = {});
  /// The same from a braced list, so that one pair compiles too:
  /// `kwire::Producer p({{"bootstrap.servers", "localhost:9092"}});` (with a
  /// std::map parameter alone GCC finds that ambiguous: the pair's two
  /// strings also match map's iterator-range constructor).
  Producer(std::initializer_list<std::pair<const std::string, std::string>> properties,
           producer::LogHandler log = {});
  /// On the caller's io_context, which the caller runs (on one thread) for
  /// as long as the producer lives. See "Threads" above.
  Producer(producer::ProducerConfig config, asio::io_context& io, producer::LogHandler log = {});
  Producer(const std::map<std::string, std::string>& properties, asio::io_context& io,
           producer::LogHandler log = {});
  Producer(std::initializer_list<std::pair<const std::string, std::string>> properties, asio::io_context& io,
           producer::LogHandler log = {});

  /// close(delivery.timeout.ms) unless already closed: during an outage
  /// that is up to 120 s by default. Call close(timeout) first to choose.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  /// Movable (e.g. into a member or a container). A moved-from Producer
  /// holds nothing: only destroy it or assign to it. Assigning to a
  /// Producer first closes the one it held, as its destructor would.
  Producer(Producer&&) noexcept;
  Producer& operator=(Producer&&) noexcept;

  /// Queues one record; `callback` receives its report (see "Errors"). The
  /// record's memory need only be valid during the call (it is copied, in
  /// wire form, into its batch). May block up to max.block.ms in all (as
  /// Java): for the topic's first metadata — the first send() to a topic
  /// waits for a Metadata round trip, and for max.block.ms when no broker
  /// answers — and for buffer memory while buffer.memory is full.
  void send(const RecordView& record, DeliveryCallback callback);
  void send(const ProducerRecord& record, DeliveryCallback callback);
  /// As above; the future holds the metadata, or throws std::system_error
  /// with the record's error.
  std::future<RecordMetadata> send(const RecordView& record);
  std::future<RecordMetadata> send(const ProducerRecord& record);

  /// send() with its own bound on blocking: waits at most `max_block` in all
  /// (metadata, then memory) instead of max.block.ms, then refuses the
  /// record exactly as send() does after max.block.ms (unknown_topic,
  /// queue_full, ...). 0 never waits. Only this call is affected; the
  /// delivery itself is still bounded by delivery.timeout.ms.
  ///   producer.send(record, 10s).get();   // kafka-python's send(...).get(timeout=10)
  void send(const RecordView& record, DeliveryCallback callback, std::chrono::milliseconds max_block);
  void send(const ProducerRecord& record, DeliveryCallback callback, std::chrono::milliseconds max_block);
  std::future<RecordMetadata> send(const RecordView& record, std::chrono::milliseconds max_block);
  std::future<RecordMetadata> send(const ProducerRecord& record, std::chrono::milliseconds max_block);

  /// Never blocks: queues the record when that needs no waiting, else says
  /// what send() would have waited for (TrySendResult) and leaves the record
  /// and `callback` alone — nothing is reported for it; send it again later.
  /// Records send() refuses without waiting (closed producer, too large,
  /// fatal state, a topic metadata says is unauthorized ...) are refused
  /// here too: `accepted`, with the callback already run.
  ///
  /// `on_ready`, when set and the answer is awaiting_metadata or
  /// buffer_full, is called once when trying again may succeed: buffer
  /// memory came back, the topic's metadata changed, or the producer closed
  /// (the retry then gets shutting_down). Race-free: if that happened while
  /// try_send ran, on_ready runs at once, on the calling thread, before
  /// try_send returns. Otherwise it runs on the network thread (or on the
  /// thread calling close()): keep it short and non-blocking — post to your
  /// event loop, write an eventfd, notify a condition variable. It is a
  /// hint, not a reservation: another sender may take the memory first, and
  /// the retry may answer would-block again (register again). While an
  /// on_ready waits for memory, the producer sends every partition without
  /// waiting for linger.ms, so memory comes back.
  ///
  /// A topic that never appears keeps answering awaiting_metadata: bound the
  /// retries with your own deadline, then send(record, callback, 0ms) to get
  /// the record refused with the error send() reports (unknown_topic and
  /// the cause). The asyncio pattern:
  ///   while producer.try_send(record, callback, wake_my_loop) != accepted: await woken (or deadline)
  TrySendResult try_send(const RecordView& record, DeliveryCallback callback, std::function<void()> on_ready = {});
  TrySendResult try_send(const ProducerRecord& record, DeliveryCallback callback,
                         std::function<void()> on_ready = {});

  /// Makes every queued record sendable now (ignoring linger.ms) and waits
  /// until every record sent before the call has its report, or `timeout`.
  /// True when all of them completed (delivered or failed — the callbacks
  /// say which); false on timeout.
  bool flush(std::chrono::milliseconds timeout);

  /// Refuses new records, sends what is queued and waits up to `timeout`
  /// for their reports; then fails whatever is left with
  /// client_errc::shutting_down, closes the connections and stops the
  /// network thread (if internal). True if nothing had to be failed that
  /// way. Idempotent; later calls return true. When it has to wait it logs
  /// once (info) "close: waiting up to N ms for K record(s) in P
  /// partition(s) to B broker(s)".
  ///
  /// close(0ms) is the immediate path (a SIGINT handler's): everything
  /// queued or in flight is failed at once, each record reported.
  /// With your own io_context that nobody runs any more (not stopped, just
  /// not run), close() notices within 2 s (a posted handler never ran),
  /// logs a warning, and fails what is left from the calling thread — it
  /// never waits beyond its timeout for a loop that cannot answer.
  bool close(std::chrono::milliseconds timeout);

  /// Fail fast at start-up: connects to the cluster and fetches metadata.
  /// Returns {} when a broker answered; client_errc::no_broker_reachable
  /// when every bootstrap server refused or timed out, or none answered
  /// within `timeout`; client_errc::authentication_failed when a broker
  /// refused our credentials; client_errc::timed_out when your own
  /// io_context ran none of the producer's work meanwhile (it is not being
  /// run — not a cluster problem). `detail`, when given, receives the
  /// addresses tried and why each failed, or that explanation.
  std::error_code wait_for_cluster(std::chrono::milliseconds timeout, std::string* detail = nullptr);

  /// The partitions of `topic` and their leaders, from metadata (Java's
  /// partitionsFor): waits up to `max_block` (default max.block.ms) for the
  /// topic's first metadata, as send() does. Empty on failure, with `error`
  /// set as send() would report it (client_errc::unknown_topic, the topic's
  /// own error, authentication_failed, shutting_down); `detail`, when given,
  /// receives the explanation.
  std::vector<producer::PartitionMetadata> partitions_for(std::string_view topic, std::error_code& error,
                                                          std::optional<std::chrono::milliseconds> max_block = {},
                                                          std::string* detail = nullptr);

  /// A snapshot of the producer's statistics (statistics.hpp,
  /// docs/observability.md). Taken on the network thread: from any other
  /// thread this posts there and waits (briefly: no I/O is awaited); from a
  /// callback it runs inline. Costs nothing on send()'s path.
  producer::ProducerStatistics statistics() const;
  /// The same snapshot as JSON (producer::to_json).
  std::string statistics_json() const;

  /// The validated configuration in effect.
  const producer::ProducerConfig& config() const noexcept;

  // --- Transactions (see "Transactions" at the top) ------------------------
  /// Connects, registers the transactional id with its coordinator
  /// (InitProducerId: fences older instances and aborts what they left
  /// open), picks the transaction protocol. Once per producer.
  producer::TransactionStatus init_transactions(std::chrono::milliseconds timeout);
  /// Starts a transaction (local: nothing goes on the wire).
  producer::TransactionStatus begin_transaction();
  /// Adds the consumer's positions to the transaction (TxnOffsetCommit to
  /// the group's coordinator; TV1: AddOffsetsToTxn first): they are committed
  /// with it, atomically.
  producer::TransactionStatus send_offsets_to_transaction(const std::vector<producer::OffsetToCommit>& offsets,
                                                          const producer::ConsumerGroupMetadata& group,
                                                          std::chrono::milliseconds timeout);
  /// Flushes every record of the transaction, then commits it (EndTxn).
  producer::TransactionStatus commit_transaction(std::chrono::milliseconds timeout);
  /// Fails the records not sent yet, awaits those in flight, aborts (EndTxn).
  producer::TransactionStatus abort_transaction(std::chrono::milliseconds timeout);

  /// begin_transaction() as a scope: the transaction is aborted when the
  /// guard goes out of scope without commit() (Python's `with
  /// producer.transaction():`). status() says whether begin succeeded.
  class Transaction {
   public:
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    /// Aborts (waiting up to transaction.timeout.ms) unless committed or aborted.
    ~Transaction();
    /// begin_transaction()'s result.
    const producer::TransactionStatus& status() const noexcept { return begin_; }
    producer::TransactionStatus commit(std::chrono::milliseconds timeout);
    producer::TransactionStatus abort(std::chrono::milliseconds timeout);

   private:
    friend class Producer;
    explicit Transaction(Producer& producer);
    Producer* producer_ = nullptr;  ///< null once ended (or moved from, or begin failed)
    producer::TransactionStatus begin_;
  };
  Transaction transaction();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace kwire

KWIRE_PUBLIC_END
