#pragma once
// Record batches in wire form for the consumer's tests: built with the
// producer's RecordBatchBuilder, then given the base offset, leader epoch
// and flags a broker's log would hold (the CRC recomputed).
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "kwire/compression/compressor.hpp"
#include "kwire/protocol/crc32c.hpp"
#include "kwire/protocol/record_batch.hpp"

namespace kwire::test {

struct WireRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

struct WireBatchOptions {
  std::int64_t base_offset = 0;
  std::int32_t leader_epoch = 0;
  std::int64_t producer_id = -1;
  bool transactional = false;
  bool control = false;
  compression::Codec codec = compression::Codec::none;
  std::int64_t timestamp = 1000;
};

inline std::optional<std::span<const std::uint8_t>> bytes_of(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s->data()), s->size());
}

inline void put_be(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i, v >>= 8) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
}

inline std::vector<std::uint8_t> wire_batch(const std::vector<WireRecord>& records, const WireBatchOptions& o = {}) {
  protocol::RecordBatchBuilder builder(o.timestamp);
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::vector<protocol::RecordHeader> headers;
    for (const auto& [k, v] : records[i].headers) headers.push_back({k, bytes_of(v)});
    builder.append(o.timestamp + static_cast<std::int64_t>(i), bytes_of(records[i].key), bytes_of(records[i].value),
                   headers);
  }
  protocol::BatchSealParams params;
  params.producer_id = o.producer_id;
  params.producer_epoch = o.producer_id >= 0 ? 0 : -1;
  params.base_sequence = o.producer_id >= 0 ? 0 : -1;
  params.is_transactional = o.transactional;
  params.codec = o.codec;
  auto sealed = builder.seal(params, [](compression::Codec codec, std::span<const std::uint8_t> in,
                                        std::vector<std::uint8_t>& out) {
    out.clear();
    return !compression::compress(codec, in, out);
  });
  std::vector<std::uint8_t> b(sealed.begin(), sealed.end());
  namespace off = protocol::batch_offsets;
  put_be(b, off::base_offset, static_cast<std::uint64_t>(o.base_offset), 8);
  put_be(b, off::partition_leader_epoch, static_cast<std::uint32_t>(o.leader_epoch), 4);
  if (o.control) {
    const std::uint16_t attributes = static_cast<std::uint16_t>((b[off::attributes] << 8) | b[off::attributes + 1]) |
                                     static_cast<std::uint16_t>(protocol::batch_attributes::control);
    put_be(b, off::attributes, attributes, 2);
  }
  const std::uint32_t crc = protocol::crc32c(std::span<const std::uint8_t>(b).subspan(off::attributes));
  put_be(b, off::crc, crc, 4);
  return b;
}

/// A transaction marker (control batch) at `offset`: type 0 abort, 1 commit.
inline std::vector<std::uint8_t> wire_marker(std::int64_t offset, std::int64_t producer_id, int type) {
  WireRecord r;
  r.key = std::string{'\0', '\0', '\0', static_cast<char>(type)};
  r.value = std::string{'\0', '\0', '\0', '\0', '\0', '\5'};
  return wire_batch({r}, {.base_offset = offset, .producer_id = producer_id, .transactional = true, .control = true});
}

inline std::vector<std::uint8_t> concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace kwire::test
