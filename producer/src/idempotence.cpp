#include "idempotence.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "kwire/producer/config.hpp"
#include "record_accumulator.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::producer {
namespace {

constexpr std::int16_t kMaxEpoch = std::numeric_limits<std::int16_t>::max();
constexpr std::int64_t kSequenceRing = std::int64_t{std::numeric_limits<std::int32_t>::max()} + 1;

std::string describe(std::error_code ec) { return error_name(ec); }

/// How far `to` is ahead of `from` on the sequence ring [0, INT32_MAX].
std::int64_t sequence_distance(std::int32_t from, std::int32_t to) noexcept {
  return ((std::int64_t{to} - from) % kSequenceRing + kSequenceRing) % kSequenceRing;
}

/// `a` comes after `b` (within half the ring: sequences in use are close).
bool sequence_after(std::int32_t a, std::int32_t b) noexcept {
  const std::int64_t d = sequence_distance(b, a);
  return d != 0 && d < kSequenceRing / 2;
}

std::int32_t last_sequence(std::int32_t base, std::int32_t count) noexcept {
  return add_to_sequence(base, std::max(0, count - 1));
}

bool is_sequence_error(std::error_code ec) noexcept {
  return ec == kwire::errc::out_of_order_sequence_number || ec == kwire::errc::unknown_producer_id;
}

/// Errors after which InitProducerId is simply tried again (Java's
/// InitProducerIdHandler retries coordinator errors; network errors and
/// anything retriable too). The rest (CLUSTER_AUTHORIZATION_FAILED,
/// UNSUPPORTED_VERSION: a broker older than 0.11, ...) is fatal.
bool init_error_is_retriable(std::error_code ec) noexcept {
  if (ec.category() == client_category()) {
    switch (static_cast<client_errc>(ec.value())) {
      case client_errc::unsupported_version:
      case client_errc::fatal_producer_state:
        return false;
      // authentication_failed (a KIP-368 re-authentication refused while
      // InitProducerId was in flight) is retried: the sender fails records
      // with it while the refusal lasts and it clears on the next successful
      // connection (sender.hpp). Java turns it into a fatal state instead
      // (TransactionManager.authenticationFailed).
      default:
        return true;  // disconnected, timed_out, malformed, shutting_down, ...
    }
  }
  if (ec.category() != kafka_category()) return false;
  const auto code = static_cast<kwire::errc>(ec.value());
  switch (code) {
    case kwire::errc::coordinator_load_in_progress:
    case kwire::errc::coordinator_not_available:
    case kwire::errc::not_coordinator:
    case kwire::errc::concurrent_transactions:
      return true;
    default:
      return error_traits(code).retriable;
  }
}

}  // namespace

// --- Free functions -------------------------------------------------------------------

std::string_view to_string(IdempotenceState state) noexcept {
  switch (state) {
    case IdempotenceState::uninitialized: return "uninitialized";
    case IdempotenceState::initializing: return "initializing";
    case IdempotenceState::assigned: return "assigned";
    case IdempotenceState::bumping_epoch: return "bumping_epoch";
    case IdempotenceState::fatal: return "fatal";
  }
  return "?";
}

bool is_legal_transition(IdempotenceState from, IdempotenceState to) noexcept {
  using S = IdempotenceState;
  if (from == S::fatal) return false;  // final
  if (to == S::fatal) return true;     // from anywhere else
  switch (from) {
    case S::uninitialized: return to == S::initializing;
    case S::initializing: return to == S::assigned || to == S::uninitialized;
    case S::assigned: return to == S::bumping_epoch;
    // Bumped locally; or the epoch is exhausted and a new id is needed.
    case S::bumping_epoch: return to == S::assigned || to == S::uninitialized;
    case S::fatal: return false;
  }
  return false;
}

std::string_view to_string(SequenceAction action) noexcept {
  switch (action) {
    case SequenceAction::keep: return "keep";
    case SequenceAction::wait: return "wait";
    case SequenceAction::bump_epoch: return "bump_epoch";
    case SequenceAction::fatal: return "fatal";
  }
  return "?";
}

namespace {

/// OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the next one
/// expected: an earlier batch is missing and goes first (no gap).
bool earlier_batch_pending(const SequenceContext& context) noexcept {
  return !context.partition_unresolved && (context.sequence_reset || !context.is_next);
}

}  // namespace

IdempotentErrorClass classify_idempotent_error(std::error_code error, std::int32_t record_count,
                                               const SequenceContext& context) noexcept {
  using A = ProduceAction;
  if (error == kwire::errc::out_of_order_sequence_number) {
    // Java's TransactionManager.canRetry for the idempotent producer.
    const ProduceErrorClass retry{A::retry, false, Persisted::no};
    if (earlier_batch_pending(context)) return {retry, SequenceAction::wait};
    if (!context.partition_unresolved || context.follows_unresolved)
      return {retry, SequenceAction::bump_epoch};  // a real gap at the head of the line
    return {retry, SequenceAction::wait};  // wait for the expired batch's fate
  }
  if (error == kwire::errc::unknown_producer_id) {
    // The broker lost our state (retention, pre-2.5 brokers): a new epoch
    // starting at 0 is accepted. After a bump the old incarnations of the
    // rewritten batches get it too: those just go again.
    return {{A::retry, false, Persisted::no}, context.sequence_reset ? SequenceAction::keep : SequenceAction::bump_epoch};
  }
  const ProduceErrorClass base = classify_produce_error(error, record_count);
  return {base, base.action == A::fatal ? SequenceAction::fatal : SequenceAction::keep};
}

IdempotentProducerState::Options IdempotentProducerState::Options::from(const ProducerConfig& config) {
  Options o;
  o.retry_backoff_ms = config.retry_backoff_ms;
  o.retry_backoff_max_ms = config.retry_backoff_max_ms;
  o.debug = contains(config.debug_categories(), LogCategory::idempotence);
  return o;
}

// --- State machine ----------------------------------------------------------------------

IdempotentProducerState::IdempotentProducerState() : IdempotentProducerState(Options{}) {}

IdempotentProducerState::IdempotentProducerState(Options options, LogHandler log)
    : options_(options), log_(std::move(log)) {}

void IdempotentProducerState::log(LogLevel level, const std::string& message) const {
  if (!log_) return;
  if (level == LogLevel::debug && !options_.debug) return;
  log_(level, LogCategory::idempotence, message);
}

std::string IdempotentProducerState::name(const TopicPartition& tp) {
  return tp.topic + "/" + std::to_string(tp.partition);
}

bool IdempotentProducerState::transition_to(IdempotenceState next, std::string_view reason) {
  if (!is_legal_transition(state_, next)) {
    log(LogLevel::error, "idempotent producer: illegal transition " + std::string(to_string(state_)) + " -> " +
                             std::string(to_string(next)) + " refused (" + std::string(reason) + ")");
    return false;
  }
  log(next == IdempotenceState::fatal ? LogLevel::error : LogLevel::info,
      "idempotent producer: " + std::string(to_string(state_)) + " -> " + std::string(to_string(next)) + ": " +
          std::string(reason));
  state_ = next;
  return true;
}

void IdempotentProducerState::enter_fatal(std::error_code cause, const std::string& detail) {
  if (state_ == IdempotenceState::fatal) return;
  fatal_cause_ = cause;
  fatal_detail_ = detail;
  fatal_.store(true, std::memory_order_release);
  transition_to(IdempotenceState::fatal,
                detail + "; every pending and future record fails with fatal_producer_state");
  // Nothing is sent any more: the batches still referenced are failed by
  // the sender and must not be touched.
  partitions_.clear();
}

std::error_code IdempotentProducerState::fatal_error() const {
  if (!fatal_.load(std::memory_order_acquire)) return {};
  return fatal_cause_;
}

std::string IdempotentProducerState::fatal_detail() const {
  if (!fatal_.load(std::memory_order_acquire)) return {};
  return fatal_detail_;
}

// --- Producer id ----------------------------------------------------------------------------

bool IdempotentProducerState::wants_producer_id(std::int64_t now_ms, std::int64_t& next_ms) {
  if (state_ != IdempotenceState::uninitialized) return false;
  if (now_ms >= next_init_ms_) return true;
  next_ms = std::min(next_ms, next_init_ms_);
  return false;
}

protocol::InitProducerIdRequest IdempotentProducerState::begin_producer_id_request(std::int64_t) {
  transition_to(IdempotenceState::initializing, "sending InitProducerId (no transactional id)");
  protocol::InitProducerIdRequest request;
  request.transactional_id = std::nullopt;  // idempotent, not transactional
  // As the Java producer: the broker ignores it without a transactional id.
  request.transaction_timeout_ms = std::numeric_limits<std::int32_t>::max();
  return request;  // producer id/epoch -1: "give me a new id" (see the header on local bumps)
}

void IdempotentProducerState::on_producer_id_response(std::error_code error,
                                                      const protocol::InitProducerIdResponse& response,
                                                      std::int64_t now_ms) {
  if (state_ != IdempotenceState::initializing) return;
  std::error_code ec = error ? error : kafka_error(static_cast<std::int16_t>(response.error_code));
  if (!ec && (response.producer_id < 0 || response.producer_epoch < 0)) ec = make_error_code(client_errc::malformed);
  if (!ec) {
    current_ = {ProducerId{response.producer_id}, ProducerEpoch{response.producer_epoch}};
    initial_epoch_ = current_.epoch;
    init_attempts_ = 0;
    transition_to(IdempotenceState::assigned, "producer id " + to_string(current_.producer_id) + ", epoch " +
                                                  to_string(current_.epoch));
    bool pending = false;
    bool ranges = false;
    for (const auto& [tp, p] : partitions_) {
      if (!p.bump_requested) continue;
      pending = true;
      for (const Entry& e : p.unresolved) ranges = ranges || e.batch == nullptr;
    }
    if (ranges) {
      // Split pieces are waiting to be sealed with their old sequences:
      // rewrite those partitions once the pieces went out (next epoch).
      transition_to(IdempotenceState::bumping_epoch, "partitions waiting for a sequence reset hold split batches");
    } else if (pending) {
      ++epoch_bumps_;
      rewrite_requested_partitions();
    }
    return;
  }
  if (init_error_is_retriable(ec)) {
    ++init_attempts_;
    const std::int64_t backoff = cluster::exponential_backoff_ms(init_attempts_, options_.retry_backoff_ms,
                                                                 options_.retry_backoff_max_ms, 1.0);
    next_init_ms_ = now_ms + backoff;
    transition_to(IdempotenceState::uninitialized,
                  "InitProducerId failed: " + describe(ec) + "; retrying in " + std::to_string(backoff) + " ms");
    return;
  }
  enter_fatal(ec, "InitProducerId failed: " + describe(ec));
}

// --- Rounds --------------------------------------------------------------------------------

void IdempotentProducerState::on_round_start(std::int64_t) {
  if (state_ == IdempotenceState::fatal) return;
  maybe_resolve_sequences();
  maybe_bump_epoch();
}

void IdempotentProducerState::maybe_resolve_sequences() {
  for (auto& [tp, p] : partitions_) {
    if (!p.unresolved_next || !p.unresolved.empty()) continue;
    // Everything sent to the partition is resolved. If the acknowledged
    // sequences reach the next one, the expired batch was written after all
    // (or later batches covered it); else there is a gap only a new epoch
    // can close (Java's maybeResolveSequences).
    if (add_to_sequence(p.last_acked, 1) == p.next_sequence) {
      log(LogLevel::debug, "idempotent producer: " + name(tp) + ": unresolved sequence resolved (last acked " +
                               std::to_string(p.last_acked) + ")");
    } else {
      request_bump(p, tp,
                   "an expired batch left its sequence unresolved (last acked " + std::to_string(p.last_acked) +
                       ", next " + std::to_string(p.next_sequence) + ")");
    }
    p.unresolved_next.reset();
  }
}

void IdempotentProducerState::request_bump(Partition& p, const TopicPartition& tp, std::string_view why) {
  if (state_ == IdempotenceState::fatal) return;
  if (!p.bump_requested)
    log(LogLevel::info, "idempotent producer: " + name(tp) + ": epoch bump needed: " + std::string(why));
  p.bump_requested = true;
  if (state_ == IdempotenceState::assigned)
    transition_to(IdempotenceState::bumping_epoch, name(tp) + ": " + std::string(why));
  // uninitialized / initializing: the new producer id restarts it.
}

void IdempotentProducerState::maybe_bump_epoch() {
  if (state_ != IdempotenceState::bumping_epoch) return;
  std::string partitions;
  std::size_t count = 0;
  for (const auto& [tp, p] : partitions_) {
    if (!p.bump_requested) continue;
    for (const Entry& e : p.unresolved) {
      // Pieces of a split batch are queued with sequences the accumulator
      // orders retries by, and a bump cannot reach them there: rewriting the
      // rest of the partition now would mix numberings. They are sealed (and
      // so tracked) as soon as they are drained, which may_drain allows even
      // now; the bump waits for that.
      if (e.batch == nullptr) return;
    }
    if (++count <= 8) partitions += (partitions.empty() ? "" : ", ") + name(tp);
  }
  if (count > 8) partitions += ", ... (" + std::to_string(count) + " partitions)";
  if (current_.epoch.value() >= kMaxEpoch) {
    // KIP-360: the epoch cannot go further; a new producer id starts at 0.
    transition_to(IdempotenceState::uninitialized, "epoch of producer id " + to_string(current_.producer_id) +
                                                      " exhausted; fetching a new producer id for " + partitions);
    current_ = {};
    next_init_ms_ = 0;
    init_attempts_ = 0;
    return;
  }
  const ProducerIdAndEpoch old = current_;
  current_.epoch = ProducerEpoch{static_cast<std::int16_t>(current_.epoch.value() + 1)};
  ++epoch_bumps_;
  transition_to(IdempotenceState::assigned, "producer id " + to_string(current_.producer_id) + ": epoch " +
                                                to_string(old.epoch) + " -> " + to_string(current_.epoch) +
                                                " (local bump, KIP-360); sequences restart at 0 for " + partitions);
  rewrite_requested_partitions();
}

void IdempotentProducerState::rewrite_requested_partitions() {
  for (auto& [tp, p] : partitions_) {
    if (!p.bump_requested) continue;
    // Java's TxnPartitionEntry.startSequencesAtBeginning: the unresolved
    // batches, in order, get sequences 0, n1, n1+n2, ... under the new
    // epoch; their bytes are patched now (CRC included), so a batch already
    // queued for a retry goes out rewritten, and one on the wire answers for
    // its old incarnation (sequence_reset).
    std::int32_t sequence = 0;
    for (Entry& e : p.unresolved) {
      assert(e.batch != nullptr && "a partition holding split ranges is not rewritten");
      e.id = current_;
      e.base = sequence;
      e.reset = true;
      if (e.writable) e.writable->rewrite_producer_state(current_.producer_id.value(), current_.epoch.value(), sequence);
      sequence = add_to_sequence(sequence, e.count);
    }
    if (!p.unresolved.empty())
      log(LogLevel::debug, "idempotent producer: " + name(tp) + ": " + std::to_string(p.unresolved.size()) +
                               " unresolved batch(es) rewritten to epoch " + to_string(current_.epoch) +
                               ", sequences 0.." + std::to_string(sequence));
    p.id = current_;
    p.next_sequence = sequence;
    p.last_acked = -1;
    p.unresolved_next.reset();
    p.bump_requested = false;
  }
}

// --- Partitions --------------------------------------------------------------------------------

IdempotentProducerState::Partition* IdempotentProducerState::find(const TopicPartition& tp) {
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? nullptr : &it->second;
}

const IdempotentProducerState::Partition* IdempotentProducerState::find(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? nullptr : &it->second;
}

const IdempotentProducerState::Entry* IdempotentProducerState::find_entry(const Partition& p,
                                                                          const ProducerBatch& batch) const {
  for (const Entry& e : p.unresolved)
    if (e.batch == &batch) return &e;
  if (!batch.has_sequence()) return nullptr;
  const ProducerIdAndEpoch carried{ProducerId{batch.producer_id()}, ProducerEpoch{batch.producer_epoch()}};
  for (const Entry& e : p.unresolved)
    if (e.batch == nullptr && e.id == carried && sequence_distance(e.base, batch.base_sequence()) < e.count) return &e;
  return nullptr;
}

IdempotentProducerState::Entry* IdempotentProducerState::find_entry(Partition& p, const ProducerBatch& batch) {
  return const_cast<Entry*>(std::as_const(*this).find_entry(std::as_const(p), batch));
}

void IdempotentProducerState::remove_entry(Partition& p, const ProducerBatch& batch, const Entry* piece) {
  Entry* e = find_entry(p, batch);
  if (!e) return;
  auto it = p.unresolved.begin();
  while (&*it != e) ++it;  // a deque is not contiguous: no pointer arithmetic
  if (e->batch == &batch) {
    p.unresolved.erase(it);
    return;
  }
  // A piece of a split range: cut it out (replaced by `piece` if given),
  // keeping what is before and after it in place.
  const Entry range = *e;
  const std::int64_t offset = sequence_distance(range.base, batch.base_sequence());
  const std::int64_t taken = std::min<std::int64_t>(batch.record_count(), range.count - offset);
  const std::int64_t tail = range.count - offset - taken;
  it = p.unresolved.erase(it);
  if (tail > 0) {
    Entry after = range;
    after.base = add_to_sequence(range.base, static_cast<std::int32_t>(offset + taken));
    after.count = static_cast<std::int32_t>(tail);
    it = p.unresolved.insert(it, after);
  }
  if (piece) it = p.unresolved.insert(it, *piece);
  if (offset > 0) {
    Entry before = range;
    before.count = static_cast<std::int32_t>(offset);
    p.unresolved.insert(it, before);
  }
}

SequenceContext IdempotentProducerState::context_for(const Partition& p, const Entry* entry,
                                                     const ProducerBatch& batch) const {
  SequenceContext c;
  if (!batch.has_sequence()) return c;
  c.is_next = add_to_sequence(p.last_acked, 1) == batch.base_sequence();
  c.sequence_reset = entry != nullptr && entry->reset;
  c.partition_unresolved = p.unresolved_next.has_value();
  c.follows_unresolved = c.partition_unresolved && *p.unresolved_next == batch.base_sequence();
  return c;
}

void IdempotentProducerState::note_acked(Partition& p, const ProducerBatch& batch) {
  if (!batch.has_sequence()) return;
  // An older epoch's batch (the partition restarted since) says nothing
  // about the current numbering.
  if (ProducerIdAndEpoch{ProducerId{batch.producer_id()}, ProducerEpoch{batch.producer_epoch()}} != p.id) return;
  const std::int32_t last = last_sequence(batch.base_sequence(), batch.record_count());
  if (p.last_acked < 0 || sequence_after(last, p.last_acked)) p.last_acked = last;
}

void IdempotentProducerState::mark_unresolved(Partition& p, const TopicPartition& tp, const ProducerBatch& batch) {
  const std::int32_t next = add_to_sequence(batch.base_sequence(), batch.record_count());
  if (!p.unresolved_next || sequence_after(next, *p.unresolved_next)) p.unresolved_next = next;
  log(LogLevel::info, "idempotent producer: " + name(tp) + ": sequences " + std::to_string(batch.base_sequence()) +
                          ".." + std::to_string(last_sequence(batch.base_sequence(), batch.record_count())) +
                          " unresolved (the batch failed with its fate unknown); no new batch until the partition's "
                          "in-flight batches resolve");
}

// --- The seam ------------------------------------------------------------------------------------

bool IdempotentProducerState::ready_to_send(std::int64_t) {
  return state_ == IdempotenceState::assigned || state_ == IdempotenceState::bumping_epoch;
}

bool IdempotentProducerState::may_drain(const ProducerBatch& batch) {
  if (!ready_to_send(0)) return false;
  const Partition* p = find(batch.topic_partition());
  if (!batch.has_sequence()) {
    // A new batch. It waits while the partition's numbering is in doubt
    // (bump pending, an expired batch's fate unknown), while batches of an
    // older epoch are unresolved there (a new epoch's sequence 0 must not
    // overtake them: Java's hasStaleProducerIdAndEpoch), and while 5 are
    // unresolved (KAFKA-5494). Until the partition acknowledged a batch of
    // this epoch, one goes at a time: a broker that does not know the
    // producer id yet accepts ANY first sequence (Kafka's checkSequence, so
    // that a producer whose state was deleted can go on), so had the first
    // batch met a transient error (a leader still creating the partition)
    // and the second not, the second would be written and the first's
    // retry refused with OUT_OF_ORDER_SEQUENCE_NUMBER until it expired.
    if (!p) return true;
    if (p->bump_requested || p->unresolved_next) return false;
    if (p->id != current_) return p->unresolved.empty();
    const std::size_t limit =
        p->last_acked < 0 ? options_.max_unresolved_before_first_ack : options_.max_unresolved_per_partition;
    return p->unresolved.size() < limit;
  }
  if (!p || p->unresolved.empty()) return true;
  const Entry* e = find_entry(*p, batch);
  if (!e) return true;  // not tracked (cannot happen): send it as it is
  if (e->batch == nullptr) {
    // A piece of a split batch, never sent: like a new batch it may follow
    // batches in flight, in order (the range's first piece only). Anything
    // earlier waiting for a retry has a lower sequence, so the accumulator
    // queues it before the pieces. No per-partition limit here: a pending
    // epoch bump waits for the pieces to be sealed, so they must not wait
    // for batches that may need that bump.
    return batch.base_sequence() == e->base;
  }
  // A retry: only the first unresolved batch goes, so resends keep sequence
  // order (Java's firstInFlightSequence check; it reduces the partition to
  // one request in flight until it recovers).
  return e == &p->unresolved.front();
}

protocol::BatchSealParams IdempotentProducerState::seal_params(const ProducerBatch& batch) {
  protocol::BatchSealParams params;
  if (!current_.valid() || state_ == IdempotenceState::fatal) {
    // ready_to_send()/may_drain() keep this from happening.
    log(LogLevel::error, "idempotent producer: a batch is being sealed without a producer id");
    assert(false && "seal_params without a producer id");
    return params;
  }
  const TopicPartition& tp = batch.topic_partition();
  Partition& p = partitions_[tp];
  auto to_params = [&params](const Entry& e) {
    params.producer_id = e.id.producer_id.value();
    params.producer_epoch = e.id.epoch.value();
    params.base_sequence = e.base;
    return params;
  };

  if (!batch.sealed() && !batch.has_sequence()) {
    // First seal: the partition's next sequence (PITFALLS: assigned once).
    if (p.id != current_) {
      // First batch of a new epoch here (may_drain waited for the old
      // epoch's batches): restart at 0 (Java's maybeUpdateProducerIdAndEpoch).
      assert(p.unresolved.empty());
      p.id = current_;
      p.next_sequence = current_.epoch == initial_epoch_ ? options_.initial_sequence : 0;
      p.last_acked = -1;
      p.unresolved_next.reset();
    }
    Entry e;
    e.batch = &batch;
    e.id = current_;
    e.base = p.next_sequence;
    e.count = batch.record_count();
    p.next_sequence = add_to_sequence(p.next_sequence, e.count);
    p.unresolved.push_back(e);
    if (options_.debug)
      log(LogLevel::debug, "idempotent producer: " + name(tp) + ": sequence " + std::to_string(e.base) + " (" +
                               std::to_string(e.count) + " records), epoch " + to_string(e.id.epoch));
    return to_params(e);
  }

  Entry* e = find_entry(p, batch);
  if (!e) {
    // Not tracked (cannot happen): resend as it is rather than renumber.
    log(LogLevel::warning, "idempotent producer: " + name(tp) + ": untracked batch with sequence " +
                               std::to_string(batch.base_sequence()) + " resent unchanged");
    params.producer_id = batch.producer_id();
    params.producer_epoch = batch.producer_epoch();
    params.base_sequence = batch.base_sequence();
    return params;
  }
  if (e->batch == &batch) return to_params(*e);  // a resend: same state (rewritten if a bump happened)

  // The first seal of a piece of a split batch: it gets its own entry in
  // the range's place, with the sequences the split gave it.
  Entry piece = *e;
  piece.batch = &batch;
  piece.base = batch.base_sequence();
  piece.count = batch.record_count();
  remove_entry(p, batch, &piece);
  return to_params(piece);
}

void IdempotentProducerState::on_batch_sealed(ProducerBatch& batch) {
  Partition* p = find(batch.topic_partition());
  if (!p) return;
  for (Entry& e : p->unresolved)
    if (e.batch == &batch) e.writable = &batch;
}

ProduceErrorClass IdempotentProducerState::classify(const ProducerBatch& batch, std::error_code error,
                                                    const ProduceErrorClass& base) const {
  if (state_ == IdempotenceState::fatal) {
    // Written is written; anything else ends here.
    if (base.action == ProduceAction::complete) return base;
    return {ProduceAction::fatal, false, Persisted::no};
  }
  const Partition* p = find(batch.topic_partition());
  const Entry* e = p ? find_entry(*p, batch) : nullptr;
  const SequenceContext context = p ? context_for(*p, e, batch) : SequenceContext{};
  return classify_idempotent_error(error, batch.record_count(), context).produce;
}

bool IdempotentProducerState::out_of_order_waits_for_earlier(const ProducerBatch& batch) const {
  if (state_ == IdempotenceState::fatal) return false;
  const Partition* p = find(batch.topic_partition());
  if (p == nullptr) return false;
  return earlier_batch_pending(context_for(*p, find_entry(*p, batch), batch));
}

void IdempotentProducerState::on_batch_outcome(const ProducerBatch& batch, const BatchOutcome& outcome) {
  if (state_ == IdempotenceState::fatal) return;
  const TopicPartition& tp = batch.topic_partition();
  if (outcome.action == ProduceAction::fatal) {
    enter_fatal(outcome.error, name(tp) + ": " + describe(outcome.error) + " for producer id " +
                                   std::to_string(batch.producer_id()) + ", epoch " +
                                   std::to_string(batch.producer_epoch()));
    return;
  }
  Partition* p = find(tp);
  if (!p) return;  // never sealed here (failed before it was sent)

  switch (outcome.action) {
    case ProduceAction::complete:
      note_acked(*p, batch);
      remove_entry(*p, batch);
      return;

    case ProduceAction::retry: {
      const Entry* e = find_entry(*p, batch);
      const IdempotentErrorClass c =
          classify_idempotent_error(outcome.error, batch.record_count(), context_for(*p, e, batch));
      if (c.sequence == SequenceAction::bump_epoch) {
        request_bump(*p, tp,
                     describe(outcome.error) + " for sequence " + std::to_string(batch.base_sequence()) +
                         " (last acked " + std::to_string(p->last_acked) + ")");
      } else if (is_sequence_error(outcome.error)) {
        log(LogLevel::debug, "idempotent producer: " + name(tp) + ": " + describe(outcome.error) + " for sequence " +
                                 std::to_string(batch.base_sequence()) + ": " + std::string(to_string(c.sequence)) +
                                 " (last acked " + std::to_string(p->last_acked) + ")");
      }
      return;  // the same sequence goes again (rewritten if a bump happens first)
    }

    case ProduceAction::split: {
      // The pieces keep this batch's sequences (ProducerBatch::split); they
      // are sealed later, one by one, from the range left here.
      Entry* e = find_entry(*p, batch);
      if (e && e->batch == &batch) {
        e->batch = nullptr;
        e->writable = nullptr;
      }
      return;
    }

    case ProduceAction::fail:
    case ProduceAction::fatal: {
      if (!find_entry(*p, batch)) return;  // never sealed with a sequence
      remove_entry(*p, batch);
      if (outcome.persisted == Persisted::no) {
        // Not in the log: later sequences would hit a gap (Java's
        // adjustSequenceNumbers → requestEpochBumpForPartition).
        request_bump(*p, tp, "a batch with sequence " + std::to_string(batch.base_sequence()) + " failed (" +
                                 describe(outcome.error) + ")");
      } else {
        mark_unresolved(*p, tp, batch);  // may or may not be in the log
      }
      return;
    }
  }
}

void IdempotentProducerState::on_batch_expired(const ProducerBatch& batch) {
  if (state_ == IdempotenceState::fatal || !batch.has_sequence()) return;
  Partition* p = find(batch.topic_partition());
  if (!p || !find_entry(*p, batch)) return;
  remove_entry(*p, batch);
  // Java's Sender.failBatch on expiry + markSequenceUnresolved: it may have
  // been written; decide once the partition's in-flight batches resolve.
  mark_unresolved(*p, batch.topic_partition(), batch);
}

// --- Introspection ------------------------------------------------------------------------------

ProducerIdAndEpoch IdempotentProducerState::partition_producer_id_and_epoch(const TopicPartition& tp) const {
  const Partition* p = find(tp);
  return p ? p->id : ProducerIdAndEpoch{};
}

std::int32_t IdempotentProducerState::next_sequence(const TopicPartition& tp) const {
  const Partition* p = find(tp);
  if (!p || p->id != current_) return 0;
  return p->next_sequence;
}

std::optional<std::int32_t> IdempotentProducerState::last_acked_sequence(const TopicPartition& tp) const {
  const Partition* p = find(tp);
  if (!p || p->last_acked < 0) return std::nullopt;
  return p->last_acked;
}

std::size_t IdempotentProducerState::unresolved_batches(const TopicPartition& tp) const {
  const Partition* p = find(tp);
  return p ? p->unresolved.size() : 0;
}

bool IdempotentProducerState::has_unresolved_sequence(const TopicPartition& tp) const {
  const Partition* p = find(tp);
  return p && p->unresolved_next.has_value();
}

bool IdempotentProducerState::epoch_bump_pending(const TopicPartition& tp) const {
  const Partition* p = find(tp);
  return p && p->bump_requested;
}

}  // namespace kwire::producer
