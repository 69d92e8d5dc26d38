// Produce, as Kafka's broker handles it: ProduceRequest.validateRecords,
// ReplicaManager's leader check, LogValidator's batch checks and
// ProducerAppendInfo's idempotence rules (see cluster.hpp).
#include <algorithm>
#include <limits>

#include "cluster_state.hpp"
#include "kwire/protocol/produce.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::mock::detail {
namespace {

/// Upper bound on a batch's decompressed records (Kafka has none beyond
/// message.max.bytes on the compressed form; this only stops bombs).
constexpr std::size_t kMaxDecompressedBytes = std::size_t{256} << 20;

std::optional<std::string> to_string(const std::optional<std::vector<std::uint8_t>>& bytes) {
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

std::int32_t read_be32(const std::uint8_t* p) {
  return static_cast<std::int32_t>((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                   (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]});
}

std::int64_t read_be64(const std::uint8_t* p) {
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(static_cast<std::uint32_t>(read_be32(p))) << 32) |
                                   static_cast<std::uint32_t>(read_be32(p + 4)));
}

std::int16_t read_be16(const std::uint8_t* p) {
  return static_cast<std::int16_t>((std::uint16_t{p[0]} << 8) | std::uint16_t{p[1]});
}

/// The batch `first_seq`..`last_seq` of `producer_id` at `epoch`, if it is
/// among the last kRetainedBatches the partition wrote for it.
const BatchMeta* find_retained_batch(const PartitionState& partition, std::int64_t producer_id, std::int16_t epoch,
                                     std::int32_t first_seq, std::int32_t last_seq) {
  auto it = partition.producers.find(producer_id);
  if (it == partition.producers.end() || it->second.epoch != epoch) return nullptr;
  for (const BatchMeta& b : it->second.batches)
    if (b.first_seq == first_seq && b.last_seq == last_seq) return &b;
  return nullptr;
}

/// Blackhole mode: the records the batches claim, read from their headers
/// only (no CRC, no decoding).
std::int64_t count_records_unchecked(std::span<const std::uint8_t> records) {
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (records.size() - pos >= protocol::kRecordBatchHeaderSize) {
    const std::int32_t length = read_be32(records.data() + pos + protocol::batch_offsets::batch_length);
    const std::int32_t count = read_be32(records.data() + pos + protocol::batch_offsets::records_count);
    if (length < 0 || count < 0) break;
    total += count;
    pos += 12 + static_cast<std::size_t>(length);
    if (pos > records.size()) break;
  }
  return total;
}

}  // namespace

bool ClusterState::is_retained_duplicate(const PartitionState& partition,
                                         std::optional<std::span<const std::uint8_t>> records) {
  namespace at = protocol::batch_offsets;
  if (!records || records->size() < protocol::kRecordBatchHeaderSize) return false;
  const std::uint8_t* header = records->data();
  const std::int32_t first_seq = read_be32(header + at::base_sequence);
  const std::int32_t last_offset_delta = read_be32(header + at::last_offset_delta);
  if (first_seq < 0 || last_offset_delta < 0) return false;
  return find_retained_batch(partition, read_be64(header + at::producer_id), read_be16(header + at::producer_epoch),
                             first_seq, increment_sequence(first_seq, last_offset_delta)) != nullptr;
}

ClusterState::AppendResult ClusterState::append(PartitionState& partition,
                                                std::optional<std::span<const std::uint8_t>> records,
                                                std::int16_t produce_version) {
  using kwire::errc;
  AppendResult result;
  auto reject = [&result](errc error) {
    result.error = error;
    return result;
  };
  if (!records || records->empty()) return reject(errc::invalid_record);  // "at least one record batch"

  std::vector<protocol::RecordBatch> batches;
  std::size_t partial_tail = 0;
  auto decompress = [this](compression::Codec codec, std::span<const std::uint8_t> in,
                           std::vector<std::uint8_t>& out) {
    return decompressor_.decompress(codec, in, out, kMaxDecompressedBytes);
  };
  // ProduceRequest.validateRecords: v3+ carries record batches v2 only
  // (the magic byte sits at the same offset in message sets v0/v1).
  if (records->size() > protocol::batch_offsets::magic &&
      static_cast<std::int8_t>((*records)[protocol::batch_offsets::magic]) != protocol::kRecordBatchMagic)
    return reject(errc::invalid_record);
  if (protocol::decode_record_batches(*records, batches, nullptr, decompress, &partial_tail) || partial_tail != 0)
    return reject(errc::corrupt_message);  // CorruptRecordException: bad CRC, sizes or records
  // ... and exactly one batch per partition.
  if (batches.size() != 1) return reject(errc::invalid_record);
  const protocol::RecordBatch& batch = batches.front();

  // LogValidator.validateBatch.
  if (batch.is_control()) return reject(errc::invalid_record);  // clients may not write control batches
  if (batch.records_count <= 0 || static_cast<std::int64_t>(batch.last_offset_delta) + 1 != batch.records_count)
    return reject(errc::invalid_record);
  if (batch.codec() == compression::Codec::zstd && produce_version < 7)
    return reject(errc::unsupported_compression_type);  // KIP-110

  const bool idempotent = batch.producer_id >= 0;
  ProducerEntry* entry = nullptr;
  if (idempotent) {
    if (batch.base_sequence < 0) return reject(errc::invalid_record);
    const std::int32_t first_seq = batch.base_sequence;
    const std::int32_t last_seq = increment_sequence(first_seq, batch.last_offset_delta);
    auto it = partition.producers.find(batch.producer_id);
    if (it != partition.producers.end()) entry = &it->second;

    // Duplicate of one of the last 5 batches: already written (UnifiedLog's
    // findDuplicateBatch runs before any sequence check).
    if (const BatchMeta* dup =
            find_retained_batch(partition, batch.producer_id, batch.producer_epoch, first_seq, last_seq)) {
      if (config_.duplicate_sequence_error) return reject(errc::duplicate_sequence_number);
      result.base_offset = dup->first_offset;
      return result;
    }
    const std::int16_t current_epoch = entry != nullptr ? entry->epoch : std::int16_t{-1};
    if (entry != nullptr && batch.producer_epoch < current_epoch) return reject(errc::invalid_producer_epoch);
    if (batch.producer_epoch != current_epoch) {
      // A new epoch (or a producer this partition has no state for) must
      // start at 0 — unless there is no state at all, which Kafka accepts
      // at any sequence since KIP-360.
      if (first_seq != 0) {
        if (current_epoch != -1) return reject(errc::out_of_order_sequence_number);
        if (config_.legacy_unknown_producer_id) return reject(errc::unknown_producer_id);
      }
    } else {
      const std::int32_t last = entry->batches.empty() ? -1 : entry->batches.back().last_seq;
      const bool in_sequence = static_cast<std::int64_t>(first_seq) == static_cast<std::int64_t>(last) + 1 ||
                               (first_seq == 0 && last == std::numeric_limits<std::int32_t>::max());
      if (!in_sequence) return reject(errc::out_of_order_sequence_number);
    }
  }

  // Append: the broker assigns consecutive offsets from the log end.
  const std::int64_t base = partition.next_offset;
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const protocol::Record& r = batch.records[i];
    StoredRecord& s = partition.log.emplace_back();
    s.offset = base + static_cast<std::int64_t>(i);
    s.timestamp = r.timestamp;
    s.key = to_string(r.key);
    s.value = to_string(r.value);
    for (const protocol::DecodedHeader& h : r.headers) s.headers.push_back({h.key, to_string(h.value)});
    s.producer_id = batch.producer_id;
    s.producer_epoch = batch.producer_epoch;
    if (idempotent) s.sequence = increment_sequence(batch.base_sequence, static_cast<std::int32_t>(i));
    s.batch_base_offset = base;
    s.codec = batch.codec();
  }
  partition.next_offset = base + batch.records_count;
  ++partition.batches;
  store_batch(partition, *records, base);  // for Fetch

  if (idempotent) {
    if (entry == nullptr) entry = &partition.producers[batch.producer_id];
    if (entry->epoch != batch.producer_epoch) {
      entry->epoch = batch.producer_epoch;
      entry->batches.clear();
    }
    entry->batches.push_back({batch.base_sequence, increment_sequence(batch.base_sequence, batch.last_offset_delta),
                              base, partition.next_offset - 1});
    while (entry->batches.size() > kRetainedBatches) entry->batches.pop_front();
  }
  result.base_offset = base;
  return result;
}

Outcome ClusterState::handle_produce(std::int32_t broker_id, const protocol::RequestHeader& header,
                                     std::span<const std::uint8_t> body) {
  using kwire::errc;
  using protocol::ProduceRequest;
  using protocol::ProduceResponse;
  const std::int16_t version = header.api_version;
  const bool by_id = version >= ProduceRequest::first_topic_id_version;
  Outcome outcome;
  ProduceRequest request;
  if (protocol::decode_message(body, version, request)) return outcome;  // close

  // Resolve topic names first: fault rules name topics.
  std::vector<TopicState*> resolved;
  std::vector<std::pair<std::string, std::int32_t>> targets;
  std::vector<std::size_t> target_records;
  std::vector<PartitionState*> target_partitions;  // nullptr: unknown topic or partition
  std::vector<bool> target_duplicates;
  // Duplicates matter only to a pending producer-state rule (the usual case,
  // and the benchmarks' blackhole, has none).
  const bool sequence_rule_pending = std::any_of(fail_rules_.begin(), fail_rules_.end(),
                                                 [](const FailRule& r) { return r.raised_after_duplicate_check(); });
  for (const ProduceRequest::TopicData& t : request.topic_data) {
    TopicState* ts = by_id ? find_topic(t.topic_id) : find_topic(t.name);
    resolved.push_back(ts);
    const std::string name = ts != nullptr ? ts->name : t.name;
    for (const auto& p : t.partition_data) {
      targets.emplace_back(name, p.index);
      target_records.push_back(p.records ? static_cast<std::size_t>(count_records_unchecked(*p.records)) : 0);
      PartitionState* partition = nullptr;
      if (ts != nullptr && p.index >= 0 && static_cast<std::size_t>(p.index) < ts->partitions.size())
        partition = &ts->partitions[static_cast<std::size_t>(p.index)];
      target_partitions.push_back(partition);
      target_duplicates.push_back(sequence_rule_pending && partition != nullptr &&
                                  is_retained_duplicate(*partition, p.records));
    }
  }
  const auto injected = take_fail_rule(ApiKey::produce, targets, target_records, target_duplicates);
  std::size_t target = 0;  // index into the target_* vectors, in the loop below
  const bool valid_acks = request.acks == -1 || request.acks == 0 || request.acks == 1;

  ProduceResponse response;
  bool any_error = false;
  for (std::size_t ti = 0; ti < request.topic_data.size(); ++ti) {
    const ProduceRequest::TopicData& t = request.topic_data[ti];
    TopicState* topic = resolved[ti];
    ProduceResponse::TopicResponse& tr = response.responses.emplace_back();
    if (by_id)
      tr.topic_id = t.topic_id;
    else
      tr.name = t.name;
    const std::string name = topic != nullptr ? topic->name : t.name;

    for (const ProduceRequest::PartitionData& p : t.partition_data) {
      ProduceResponse::PartitionResponse& pr = tr.partition_responses.emplace_back();
      pr.index = p.index;
      const std::size_t this_target = target++;
      PartitionState* partition = target_partitions[this_target];
      if (injected &&
          injected->applies_to(name, p.index, target_records[this_target], target_duplicates[this_target])) {
        pr.error_code = injected->error;
      } else if (!valid_acks) {
        pr.error_code = errc::invalid_required_acks;
      } else if ((pr.error_code = leader_error(topic, partition, by_id, broker_id)) != errc::none) {
        if (pr.error_code == errc::not_leader_or_follower && version >= 10) {
          // KIP-951: name the new leader and its endpoint.
          pr.current_leader.leader_id = partition->leader;
          pr.current_leader.leader_epoch = partition->leader_epoch;
          const BrokerInfo* leader = broker(partition->leader);
          const bool listed = std::any_of(response.node_endpoints.begin(), response.node_endpoints.end(),
                                          [&](const auto& e) { return e.node_id == partition->leader; });
          if (leader != nullptr && !listed)
            response.node_endpoints.push_back({leader->id, "127.0.0.1", leader->port, std::nullopt, {}});
        }
      } else if (config_.blackhole) {
        pr.base_offset = partition->next_offset;
        partition->next_offset += p.records ? count_records_unchecked(*p.records) : 0;
      } else {
        AppendResult appended = append(*partition, p.records, version);
        pr.error_code = appended.error;
        pr.base_offset = appended.base_offset;
      }
      if (pr.error_code == errc::none) {
        if (version >= 5) pr.log_start_offset = 0;
      } else {
        pr.base_offset = -1;
        any_error = true;
      }
    }
  }
  changed_.notify_all();

  if (request.acks == 0) {
    // No response at all; on an error Kafka closes the connection so the
    // client notices something went wrong.
    outcome.action = any_error ? Outcome::Action::close : Outcome::Action::none;
    return outcome;
  }
  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

}  // namespace kwire::mock::detail
