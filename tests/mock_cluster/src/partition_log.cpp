// The wire half of a partition log: the batches Fetch serves, as Kafka's log
// holds them (base offset and partition leader epoch assigned on append),
// the log start offset, and the transaction index read_committed fetches
// need (Kafka's AbortedTxn entries). Produce stores what it appended here
// (not in blackhole mode, which keeps nothing); tests append raw batches —
// corrupt ones, transactions and their markers — with append_raw_batch.
#include <stdexcept>

#include "cluster_state.hpp"
#include "kwire/protocol/crc32c.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::mock::detail {
namespace {

namespace off = protocol::batch_offsets;

void put_be(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i, v >>= 8) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
}

std::uint64_t get_be(std::span<const std::uint8_t> b, std::size_t at, int width) {
  std::uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = (v << 8) | b[at + static_cast<std::size_t>(i)];
  return v;
}

/// A control batch's marker type (0 abort, 1 commit) from its first record's
/// key (version int16, type int16; Kafka's ControlRecordType), or -1.
int marker_type(std::span<const std::uint8_t> batch) {
  protocol::Reader in(batch.subspan(protocol::kRecordBatchHeaderSize));
  (void)in.read_varint();   // record length
  (void)in.read_int8();     // attributes
  (void)in.read_varlong();  // timestamp delta
  (void)in.read_varint();   // offset delta
  const std::int32_t key_length = in.read_varint();
  if (key_length < 4) return -1;
  (void)in.read_int16();  // version
  const std::int16_t type = in.read_int16();
  return in.ok() ? type : -1;
}

}  // namespace

kwire::errc ClusterState::leader_error(const TopicState* topic, const PartitionState* partition, bool by_id,
                                       std::int32_t broker_id, std::int32_t current_leader_epoch) {
  using kwire::errc;
  if (topic == nullptr) return by_id ? errc::unknown_topic_id : errc::unknown_topic_or_partition;
  if (partition == nullptr) return errc::unknown_topic_or_partition;
  if (partition->leader != broker_id) return errc::not_leader_or_follower;
  if (current_leader_epoch >= 0 && current_leader_epoch < partition->leader_epoch) return errc::fenced_leader_epoch;
  if (current_leader_epoch > partition->leader_epoch) return errc::unknown_leader_epoch;
  return errc::none;
}

kwire::errc ClusterState::partition_request_error(ApiKey api, const std::string& topic, std::int32_t partition,
                                                  std::int32_t broker_id, std::int32_t current_leader_epoch) {
  if (auto rule = take_fail_rule(api, {{topic, partition}})) return rule->error;
  return leader_error(find_topic(topic), find_partition(topic, partition), false, broker_id, current_leader_epoch);
}

void ClusterState::store_batch(PartitionState& partition, std::span<const std::uint8_t> batch,
                               std::int64_t base_offset) {
  LogBatch& stored = partition.wire_log.emplace_back();
  stored.bytes.assign(batch.begin(), batch.end());
  // Neither field is covered by the CRC (it starts at the attributes).
  put_be(stored.bytes, off::base_offset, static_cast<std::uint64_t>(base_offset), 8);
  put_be(stored.bytes, off::partition_leader_epoch, static_cast<std::uint32_t>(partition.leader_epoch), 4);
  stored.base_offset = base_offset;
  stored.last_offset = base_offset + static_cast<std::int32_t>(get_be(batch, off::last_offset_delta, 4));

  const auto attributes = static_cast<std::int16_t>(get_be(batch, off::attributes, 2));
  if ((attributes & protocol::batch_attributes::transactional) == 0) return;
  const auto producer_id = static_cast<std::int64_t>(get_be(batch, off::producer_id, 8));
  if ((attributes & protocol::batch_attributes::control) == 0) {
    partition.open_txns.try_emplace(producer_id, base_offset);
    return;
  }
  // A marker closes the producer's transaction; an ABORT one is indexed.
  auto open = partition.open_txns.find(producer_id);
  if (open == partition.open_txns.end()) return;
  if (marker_type(batch) == 0) partition.aborted_txns.push_back({producer_id, open->second, base_offset});
  partition.open_txns.erase(open);
}

void ClusterState::write_markers(std::int64_t producer_id, std::int16_t epoch, bool commit) {
  // One control record: key (version 0, type 0 abort / 1 commit), value
  // (version 0, coordinator epoch 0), as Kafka's EndTransactionMarker.
  const std::uint8_t key[] = {0, 0, 0, static_cast<std::uint8_t>(commit ? 1 : 0)};
  const std::uint8_t value[] = {0, 0, 0, 0, 0, 0};
  for (auto& [name, topic] : topics_) {
    for (PartitionState& partition : topic.partitions) {
      if (!partition.open_txns.contains(producer_id)) continue;
      protocol::RecordBatchBuilder builder(0);
      builder.append(0, std::span<const std::uint8_t>(key), std::span<const std::uint8_t>(value));
      protocol::BatchSealParams params;
      params.producer_id = producer_id;
      params.producer_epoch = epoch;
      params.is_transactional = true;
      const auto sealed = builder.seal(params);
      std::vector<std::uint8_t> marker(sealed.begin(), sealed.end());
      const auto attributes = static_cast<std::uint16_t>(get_be(marker, off::attributes, 2)) |
                              static_cast<std::uint16_t>(protocol::batch_attributes::control);
      put_be(marker, off::attributes, attributes, 2);
      put_be(marker, off::crc, protocol::crc32c(std::span<const std::uint8_t>(marker).subspan(off::attributes)), 4);
      store_batch(partition, marker, partition.next_offset);
      ++partition.next_offset;
      ++partition.batches;
    }
  }
  changed_.notify_all();
}

std::int64_t ClusterState::append_raw_batch(const std::string& topic, std::int32_t partition,
                                            std::vector<std::uint8_t> batch) {
  if (batch.size() < protocol::kRecordBatchHeaderSize)
    throw std::invalid_argument("a record batch needs its 61-byte header");
  Lock lock(mutex_);
  PartitionState* p = find_partition(topic, partition);
  if (p == nullptr) throw std::invalid_argument("no partition " + topic + "-" + std::to_string(partition));
  const std::int64_t base = p->next_offset;
  store_batch(*p, batch, base);
  p->next_offset = p->wire_log.back().last_offset + 1;
  ++p->batches;
  changed_.notify_all();
  return base;
}

void ClusterState::set_log_start_offset(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  Lock lock(mutex_);
  PartitionState* p = find_partition(topic, partition);
  if (p == nullptr) throw std::invalid_argument("no partition " + topic + "-" + std::to_string(partition));
  if (offset < 0 || offset > p->next_offset) throw std::invalid_argument("log start offset beyond the log end");
  p->log_start_offset = offset;
  // Retention deletes whole segments; the mock drops whole batches below
  // the new start (a batch straddling it stays, as in a segment).
  std::erase_if(p->wire_log, [offset](const LogBatch& b) { return b.last_offset < offset; });
}

}  // namespace kwire::mock::detail
