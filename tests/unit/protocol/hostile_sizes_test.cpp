// Hostile sizes (issue 7, item 5): array counts, string and bytes lengths,
// record counts and decompressed sizes larger than the input can hold are
// rejected before anything is allocated from them, and memory stays bounded
// by the input (and the decompression limit), not by what a length claims.
//
// Memory is measured two ways:
//  - a counting global operator new (on this thread, while a flag is set):
//    every byte the decoders allocate through new, i.e. all of kwire's own
//    allocations (vectors, strings);
//  - the heap in use (ASan's allocator statistics, or glibc's mallinfo2()
//    without sanitizers), for what the compression libraries malloc
//    themselves (zstd's window, zlib's state).
//
// unit_protocol is the only executable with this operator new; the
// replacement only counts, so the other tests linked with it are unaffected.
#include <doctest/doctest.h>
#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "kwire/compression/compressor.hpp"
#include "kwire/compression/decompressor.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/consumer_group_describe.hpp"
#include "kwire/protocol/consumer_group_heartbeat.hpp"
#include "kwire/protocol/crc32c.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/join_group.hpp"
#include "kwire/protocol/leave_group.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/offset_commit.hpp"
#include "kwire/protocol/offset_fetch.hpp"
#include "kwire/protocol/offset_for_leader_epoch.hpp"
#include "kwire/protocol/produce.hpp"
#include "kwire/protocol/record_batch.hpp"
#include "kwire/protocol/sasl_authenticate.hpp"
#include "kwire/protocol/sasl_handshake.hpp"
#include "kwire/protocol/sync_group.hpp"
#include "unit/compression/vectors.hpp"

// --- Allocation counting ----------------------------------------------------
// Only the plain and nothrow forms (and their deletes) are replaced; the
// array forms call them, the aligned forms keep the runtime's own pairs.
namespace kwire_hostile_alloc {
thread_local bool counting = false;
thread_local std::size_t bytes = 0;    ///< total requested while counting
thread_local std::size_t largest = 0;  ///< largest single request while counting
inline void note(std::size_t size) noexcept {
  if (!counting) return;
  bytes += size;
  if (size > largest) largest = size;
}
}  // namespace kwire_hostile_alloc

void* operator new(std::size_t size) {
  kwire_hostile_alloc::note(size);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  kwire_hostile_alloc::note(size);
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

// ASan's and LSan's allocator statistics, when a sanitizer runtime is linked.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes() __attribute__((weak));

using namespace kwire::protocol;
using kwire::client_errc;
using kwire::compression::Codec;
namespace kc = kwire::compression;

namespace {

using Bytes = std::vector<std::uint8_t>;

/// What one call allocated through operator new.
struct Allocated {
  std::size_t bytes = 0;
  std::size_t largest = 0;
};

template <class F>
Allocated count_allocations(F&& f) {
  kwire_hostile_alloc::bytes = 0;
  kwire_hostile_alloc::largest = 0;
  kwire_hostile_alloc::counting = true;
  f();
  kwire_hostile_alloc::counting = false;
  return {kwire_hostile_alloc::bytes, kwire_hostile_alloc::largest};
}

/// Heap bytes in use (all allocators: new and the C libraries' malloc).
std::size_t heap_in_use() {
  if (__sanitizer_get_current_allocated_bytes != nullptr) return __sanitizer_get_current_allocated_bytes();
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

void put_be32(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 24);
  b[at + 1] = static_cast<std::uint8_t>(v >> 16);
  b[at + 2] = static_cast<std::uint8_t>(v >> 8);
  b[at + 3] = static_cast<std::uint8_t>(v);
}

/// What a decoder may allocate for an input of `n` bytes: the decoded
/// structs are at most a small multiple of the bytes they came from (a
/// Metadata partition's 18 wire bytes become a ~130-byte struct), plus a
/// constant for small-string and tag-buffer slack. Anything a hostile length
/// could cause is orders of magnitude beyond.
std::size_t bound_for(std::size_t n) { return 16 * n + 8192; }

/// Overwrites every position of `body` with huge lengths of every width
/// the protocol uses, decodes each variant, and checks the allocations
/// stayed within bound_for(body.size()). Returns how many variants failed
/// to decode (most do; the point is that none allocates).
template <KafkaMessage M>
int sweep(const Bytes& body, std::int16_t version) {
  struct Pattern {
    const char* name;
    std::vector<std::uint8_t> bytes;
  };
  const Pattern patterns[] = {
      {"int32 0x7fffffff", {0x7f, 0xff, 0xff, 0xff}},           // array count, bytes length
      {"int32 0x7ffffffe", {0x7f, 0xff, 0xff, 0xfe}},
      {"int16 0x7fff", {0x7f, 0xff}},                           // string length
      {"uvarint 0xffffffff", {0xff, 0xff, 0xff, 0xff, 0x0f}},  // compact count / length, tag size
      {"uvarint 0x7fffffff", {0xff, 0xff, 0xff, 0xff, 0x07}},
      {"uvarint 2^21", {0x80, 0x80, 0x80, 0x01}},
  };
  int failed = 0;
  for (const auto& pattern : patterns) {
    for (std::size_t at = 0; at + pattern.bytes.size() <= body.size(); ++at) {
      Bytes hostile = body;
      std::copy(pattern.bytes.begin(), pattern.bytes.end(), hostile.begin() + static_cast<std::ptrdiff_t>(at));
      M decoded;
      std::error_code ec;
      const Allocated a = count_allocations([&] { ec = decode_message(hostile, version, decoded); });
      if (ec) ++failed;
      if (a.bytes > bound_for(body.size())) {
        CAPTURE(pattern.name);
        CAPTURE(at);
        CAPTURE(a.bytes);
        CAPTURE(a.largest);
        FAIL_CHECK("decoding allocated more than the input can justify");
      }
    }
  }
  return failed;
}

template <KafkaMessage M>
Bytes encode(const M& m, std::int16_t version) {
  Bytes out;
  REQUIRE_FALSE(encode_message(m, version, out));
  return out;
}

/// Two brokers, two topics of three partitions, every field the version has.
MetadataResponse sample_metadata(std::int16_t version) {
  MetadataResponse m;
  if (version >= 3) m.throttle_time_ms = 1;
  m.brokers.push_back({1, "broker-1", 9092, std::string("rack-a"), {}});
  m.brokers.push_back({2, "broker-2", 9092, std::nullopt, {}});
  if (version >= 2) m.cluster_id = "cluster";
  m.controller_id = 1;
  for (int t = 0; t < 2; ++t) {
    auto& topic = m.topics.emplace_back();
    topic.name = "topic-" + std::to_string(t);
    if (version >= 10) topic.topic_id.bytes.fill(static_cast<std::uint8_t>(t + 1));
    for (int p = 0; p < 3; ++p) {
      auto& partition = topic.partitions.emplace_back();
      partition.partition_index = p;
      partition.leader_id = 1;
      if (version >= 7) partition.leader_epoch = 4;
      partition.replica_nodes = {1, 2};
      partition.isr_nodes = {1, 2};
      if (version >= 5) partition.offline_replicas = {3};
    }
  }
  return m;
}

}  // namespace

TEST_CASE("hostile sizes: the counting allocator sees allocations") {
  const Allocated a = count_allocations([] { std::vector<std::uint8_t> v(1000); });
  CHECK(a.bytes >= 1000);
  CHECK(a.largest >= 1000);
}

TEST_CASE("hostile sizes: huge array counts and lengths allocate nothing beyond the input") {
  SUBCASE("Metadata responses, classic and compact") {
    for (std::int16_t v : {std::int16_t{1}, std::int16_t{8}, std::int16_t{9}, std::int16_t{12}}) {
      CAPTURE(v);
      const Bytes body = encode(sample_metadata(v), v);
      CHECK(sweep<MetadataResponse>(body, v) > 0);
    }
  }
  SUBCASE("Metadata requests") {
    MetadataRequest q;
    q.topics = std::vector<MetadataRequest::Topic>{{Uuid{}, std::string("a"), {}}, {Uuid{}, std::string("b"), {}}};
    for (std::int16_t v : {std::int16_t{1}, std::int16_t{9}, std::int16_t{12}}) sweep<MetadataRequest>(encode(q, v), v);
  }
  SUBCASE("ApiVersions responses with features") {
    ApiVersionsResponse r;
    for (std::int16_t k = 0; k < 5; ++k) r.api_keys.push_back({k, 0, 9, {}});
    sweep<ApiVersionsResponse>(encode(r, 0), 0);
    r.supported_features.push_back({"metadata.version", 1, 27, {}});
    r.finalized_features_epoch = 3;
    r.finalized_features.push_back({"metadata.version", 27, 27, {}});
    sweep<ApiVersionsResponse>(encode(r, 3), 3);
  }
  SUBCASE("Produce requests: the records bytes length") {
    const Bytes records(200, 0xab);
    ProduceRequest q;
    auto& t = q.topic_data.emplace_back();
    t.name = "topic";
    t.topic_id.bytes.fill(1);
    t.partition_data.push_back({0, std::span<const std::uint8_t>(records), {}});
    for (std::int16_t v : {std::int16_t{3}, std::int16_t{9}, std::int16_t{13}}) sweep<ProduceRequest>(encode(q, v), v);
  }
  SUBCASE("Produce responses with record errors and leader hints") {
    ProduceResponse r;
    auto& t = r.responses.emplace_back();
    t.name = "topic";
    auto& p = t.partition_responses.emplace_back();
    p.record_errors.push_back({1, std::string("bad"), {}});
    p.error_message = "message";
    sweep<ProduceResponse>(encode(r, 8), 8);
    r.responses[0].partition_responses[0].current_leader = {2, 3, {}};
    r.node_endpoints.push_back({2, "broker-2", 9092, std::nullopt, {}});
    sweep<ProduceResponse>(encode(r, 10), 10);
  }
  SUBCASE("InitProducerId and SASL") {
    InitProducerIdRequest q;
    q.transactional_id = "txn";
    sweep<InitProducerIdRequest>(encode(q, 1), 1);
    sweep<InitProducerIdRequest>(encode(q, 4), 4);
    SaslHandshakeResponse hs{kwire::errc::none, {"PLAIN", "SCRAM-SHA-256"}};
    sweep<SaslHandshakeResponse>(encode(hs, 1), 1);
    SaslAuthenticateResponse auth;
    auth.error_message = "no";
    auth.auth_bytes = {1, 2, 3, 4};
    sweep<SaslAuthenticateResponse>(encode(auth, 0), 0);
    sweep<SaslAuthenticateResponse>(encode(auth, 2), 2);
  }
}

TEST_CASE("hostile sizes: group protocol codecs allocate nothing beyond the input") {
  const Uuid id{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
  SUBCASE("JoinGroup, SyncGroup, LeaveGroup") {
    JoinGroupResponse join;
    join.members = {{"m-1", "pod-1", {0, 1, 2, 3}, {}}, {"m-2", std::nullopt, {4, 5}, {}}};
    for (std::int16_t v : {std::int16_t{5}, std::int16_t{9}}) sweep<JoinGroupResponse>(encode(join, v), v);
    JoinGroupRequest join_request;
    join_request.protocols = {{"range", {0, 1, 2}, {}}, {"roundrobin", {}, {}}};
    for (std::int16_t v : {std::int16_t{5}, std::int16_t{9}}) sweep<JoinGroupRequest>(encode(join_request, v), v);
    SyncGroupRequest sync;
    sync.assignments = {{"m-1", {0, 1, 2}, {}}, {"m-2", {3}, {}}};
    for (std::int16_t v : {std::int16_t{3}, std::int16_t{5}}) sweep<SyncGroupRequest>(encode(sync, v), v);
    LeaveGroupResponse leave;
    leave.members = {{"m-1", "pod-1", kwire::errc::none, {}}, {"m-2", std::nullopt, kwire::errc::none, {}}};
    for (std::int16_t v : {std::int16_t{3}, std::int16_t{5}}) sweep<LeaveGroupResponse>(encode(leave, v), v);
  }
  SUBCASE("OffsetCommit, OffsetFetch, OffsetForLeaderEpoch") {
    OffsetCommitRequest commit;
    commit.topics = {{"t", {}, {{0, 1, 2, -1, "md", {}}, {1, 2, 3, -1, std::nullopt, {}}}, {}}};
    sweep<OffsetCommitRequest>(encode(commit, 7), 7);
    commit.topics[0].name.clear();
    commit.topics[0].topic_id = id;
    sweep<OffsetCommitRequest>(encode(commit, 10), 10);
    OffsetFetchResponse fetch;
    fetch.topics = {{"t", {}, {{0, 42, 3, "md", kwire::errc::none, {}}, {1, -1, -1, std::nullopt, {}, {}}}, {}}};
    sweep<OffsetFetchResponse>(encode(fetch, 7), 7);
    OffsetFetchResponse groups;
    groups.groups = {{"g", {{"", id, {{0, 42, 3, "md", kwire::errc::none, {}}}, {}}}, kwire::errc::none, {}}};
    sweep<OffsetFetchResponse>(encode(groups, 10), 10);
    OffsetFetchRequest fetch_request;
    fetch_request.groups = {{"g", "m", 3, std::vector<OffsetFetchRequest::Topic>{{"t", {}, {0, 1, 2}, {}}}, {}}};
    sweep<OffsetFetchRequest>(encode(fetch_request, 9), 9);
    OffsetForLeaderEpochResponse epochs;
    epochs.topics = {{"t", {{kwire::errc::none, 0, 3, 100, {}}, {kwire::errc::none, 1, 3, 7, {}}}, {}}};
    for (std::int16_t v : {std::int16_t{3}, std::int16_t{4}}) sweep<OffsetForLeaderEpochResponse>(encode(epochs, v), v);
  }
  SUBCASE("ConsumerGroupHeartbeat and ConsumerGroupDescribe") {
    ConsumerGroupHeartbeatRequest beat;
    beat.subscribed_topic_names = std::vector<std::string>{"a", "b"};
    beat.topic_partitions = std::vector<ConsumerGroupTopicPartitions>{{id, {0, 1, 2}, {}}};
    sweep<ConsumerGroupHeartbeatRequest>(encode(beat, 1), 1);
    ConsumerGroupHeartbeatResponse answer;
    answer.assignment = ConsumerGroupHeartbeatResponse::Assignment{{{id, {0, 1}, {}}, {id, {2}, {}}}, {}};
    sweep<ConsumerGroupHeartbeatResponse>(encode(answer, 1), 1);
    ConsumerGroupDescribeResponse describe;
    ConsumerGroupDescribeResponse::Member m;
    m.subscribed_topic_names = {"t"};
    m.assignment.topic_partitions = {{id, "t", {0, 1}, {}}};
    describe.groups = {{kwire::errc::none, std::nullopt, "g", "Stable", 1, 1, "uniform", {m, m}, 0, {}}};
    sweep<ConsumerGroupDescribeResponse>(encode(describe, 1), 1);
  }
}

TEST_CASE("hostile sizes: a claimed count is refused before reserving") {
  // Metadata v1: throttle-less; brokers count INT32_MAX in a 10-byte body.
  const Bytes body = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0};
  MetadataResponse m;
  std::error_code ec;
  const Allocated a = count_allocations([&] { ec = decode_message(body, 1, m); });
  CHECK(ec == client_errc::length_exceeds_input);
  CHECK(a.bytes == 0);
}

// ----------------------------------------------------------------------------
// Record batches

namespace {

Bytes one_record_batch() {
  RecordBatchBuilder builder(1000);
  const Bytes key = {'k'};
  const Bytes value(20, 'v');
  const Bytes hv = {'x'};
  const RecordHeader headers[] = {{"h", std::span<const std::uint8_t>(hv)}};
  builder.append(1000, std::span<const std::uint8_t>(key), std::span<const std::uint8_t>(value), headers);
  builder.append(1001, std::nullopt, std::span<const std::uint8_t>(value));
  const auto sealed = builder.seal();
  return {sealed.begin(), sealed.end()};
}

void fix_crc(Bytes& b) {
  put_be32(b, batch_offsets::crc, crc32c(std::span<const std::uint8_t>(b).subspan(batch_offsets::attributes)));
}

}  // namespace

TEST_CASE("hostile sizes: record batch counts and lengths") {
  const Bytes batch = one_record_batch();

  SUBCASE("records_count INT32_MAX") {
    Bytes b = batch;
    put_be32(b, batch_offsets::records_count, 0x7fffffff);
    fix_crc(b);
    Reader in(b);
    RecordBatch out;
    std::error_code ec;
    const Allocated a = count_allocations([&] { ec = decode_record_batch(in, out); });
    CHECK(ec == client_errc::length_exceeds_input);
    CHECK(a.bytes <= 512);  // the error message only: no Records reserved
  }
  SUBCASE("batch_length INT32_MAX") {
    Bytes b = batch;
    put_be32(b, batch_offsets::batch_length, 0x7fffffff);
    Reader in(b);
    RecordBatch out;
    std::error_code ec;
    const Allocated a = count_allocations([&] { ec = decode_record_batch(in, out); });
    CHECK(ec == client_errc::length_exceeds_input);
    CHECK(a.bytes <= 512);  // the error message only
  }
  SUBCASE("every position: a huge varint or int32, CRC fixed") {
    const std::vector<std::vector<std::uint8_t>> patterns = {
        {0xfe, 0xff, 0xff, 0xff, 0x0f},  // zigzag varint INT32_MAX: record / key / value length, header count
        {0x7f, 0xff, 0xff, 0xff},        // int32: records_count, batch_length
    };
    int failed = 0;
    for (const auto& pattern : patterns) {
      for (std::size_t at = batch_offsets::attributes; at + pattern.size() <= batch.size(); ++at) {
        Bytes b = batch;
        std::copy(pattern.begin(), pattern.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
        if (at >= batch_offsets::batch_length + 4) fix_crc(b);
        Reader in(b);
        RecordBatch out;
        std::error_code ec;
        const Allocated a = count_allocations([&] { ec = decode_record_batch(in, out); });
        if (ec) ++failed;
        CAPTURE(at);
        CHECK(a.bytes <= bound_for(batch.size()) + 2 * sizeof(Record));
      }
    }
    CHECK(failed > 0);
  }
}

TEST_CASE("hostile sizes: a compressed bomb claiming many records") {
  // 1 MiB of zeros compresses to a few hundred bytes; the batch claims the
  // most records 1 MiB can hold (7 bytes each). The first record fails
  // (length 0 leaves no room for its fields), and the decoder must not have
  // reserved 150k Records (~17 MB) on the strength of the claim.
  const Bytes zeros(1 << 20, 0);
  for (Codec codec : {Codec::gzip, Codec::lz4, Codec::zstd, Codec::snappy}) {
    CAPTURE(kwire::compression::codec_name(codec));
    Bytes compressed;
    REQUIRE_FALSE(kwire::compression::compress(codec, zeros, compressed));
    CHECK(compressed.size() < zeros.size() / 16);

    Bytes b = one_record_batch();
    b.resize(kRecordBatchHeaderSize);
    b.insert(b.end(), compressed.begin(), compressed.end());
    put_be32(b, batch_offsets::batch_length, static_cast<std::uint32_t>(b.size() - 12));
    b[batch_offsets::attributes + 1] = static_cast<std::uint8_t>(codec);
    put_be32(b, batch_offsets::records_count, static_cast<std::uint32_t>(zeros.size() / kMinRecordSize));
    fix_crc(b);

    kwire::compression::Decompressor decompressor;
    const RecordsDecompressor decompress = [&](Codec c, std::span<const std::uint8_t> in, Bytes& out) {
      return decompressor.decompress(c, in, out, zeros.size());
    };
    Reader in(b);
    RecordBatch out;
    std::error_code ec;
    const Allocated a = count_allocations([&] { ec = decode_record_batch(in, out, nullptr, decompress); });
    CHECK(ec);
    // The decompressed records (1 MiB, grown geometrically: at most ~2 MiB
    // requested in all) and a bounded reservation of Records.
    CHECK(a.bytes <= 2 * zeros.size() + 1024 * sizeof(Record) + 65536);
  }
}

// ----------------------------------------------------------------------------
// Decompressed sizes

namespace {

constexpr std::size_t kLimit = 1 << 20;

struct Outcome {
  std::error_code ec;
  Allocated allocated;
  std::size_t capacity = 0;
};

Outcome decompress_counted(kwire::compression::Decompressor& d, Codec codec, const Bytes& in,
                           std::size_t limit = kLimit) {
  Outcome o;
  Bytes out;
  o.allocated = count_allocations([&] { o.ec = d.decompress(codec, in, out, limit); });
  o.capacity = out.capacity();
  return o;
}

}  // namespace

TEST_CASE("hostile sizes: sizes claimed by compressed headers are not trusted") {
  kwire::compression::Decompressor d;

  SUBCASE("snappy: a raw preamble claiming 4 GiB") {
    const Bytes in = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 'a'};
    const Outcome o = decompress_counted(d, Codec::snappy, in);
    CHECK(o.ec);
    CHECK(o.allocated.bytes <= 65536);
  }
  SUBCASE("snappy: a xerial block claiming 2 GiB") {
    Bytes in(std::begin(kwire::compression::test::kXerial), std::begin(kwire::compression::test::kXerial) + 16);
    in.insert(in.end(), {0x7f, 0xff, 0xff, 0xff, 0x05, 0x10, 'h', 'e', 'l', 'l', 'o'});
    const Outcome o = decompress_counted(d, Codec::snappy, in);
    CHECK(o.ec == kc::errc::corrupt_input);
    CHECK(o.allocated.bytes <= 65536);
  }
  SUBCASE("zstd: a frame declaring 1 TiB of content") {
    // Frame header: magic, FHD 0xe0 (8-byte content size, single segment),
    // the size, then a raw block of 5 bytes.
    Bytes in = {0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0x29, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    const Outcome o = decompress_counted(d, Codec::zstd, in);
    CHECK(o.ec == kc::errc::output_limit_exceeded);
    CHECK(o.allocated.bytes <= 4096);
    CHECK(o.capacity == 0);
  }
  SUBCASE("lz4: a frame declaring 1 TiB of content") {
    // FLG 0x68: version 01, independent blocks, content size; BD 0x40; the
    // 8-byte size 2^40 (little-endian); header checksum 0xb7 (second byte of
    // XXH32 of FLG..size); one uncompressed block "hello"; end mark. Valid
    // up to the content size, which the end mark contradicts.
    const Bytes in = {0x04, 0x22, 0x4d, 0x18, 0x68, 0x40, 0, 0, 0, 0, 0, 1, 0, 0, 0xb7,
                      0x05, 0, 0, 0x80, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0};
    const Outcome o = decompress_counted(d, Codec::lz4, in);
    CHECK(o.ec == kc::errc::corrupt_input);
    CHECK(o.allocated.bytes <= kLimit);
    // The same frame with a truthful content size (5; checksum 0x61) decodes:
    // the refusal above is about the size, not the layout.
    Bytes honest = in;
    honest[6] = 5;
    honest[11] = 0;
    honest[14] = 0x61;
    const Outcome ok = decompress_counted(d, Codec::lz4, honest);
    CHECK_FALSE(ok.ec);
  }
  SUBCASE("gzip: a trailer claiming 4 GiB") {
    Bytes in(std::begin(kwire::compression::test::kGzipCli), std::end(kwire::compression::test::kGzipCli));
    put_be32(in, in.size() - 4, 0xffffffff);  // ISIZE (byte order does not matter: it is wrong)
    const Outcome o = decompress_counted(d, Codec::gzip, in);
    CHECK(o.ec == kc::errc::corrupt_input);
    CHECK(o.allocated.bytes <= kLimit);
  }
}

TEST_CASE("hostile sizes: real decompression bombs stop at the limit") {
  // 16 MiB of zeros in every codec, decompressed with a 1 MiB limit: the
  // output vector never holds more than the limit, and kwire allocates
  // little beyond it.
  const Bytes zeros(16 << 20, 0);
  kwire::compression::Decompressor d;
  for (Codec codec : {Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd}) {
    CAPTURE(kwire::compression::codec_name(codec));
    Bytes compressed;
    REQUIRE_FALSE(kwire::compression::compress(codec, zeros, compressed));
    const Outcome o = decompress_counted(d, codec, compressed);
    CHECK(o.ec == kc::errc::output_limit_exceeded);
    CHECK(o.capacity <= kLimit);
    CHECK(o.allocated.largest <= kLimit);
    CHECK(o.allocated.bytes <= 2 * kLimit + 65536);
  }
}

TEST_CASE("hostile sizes: zstd windows are capped at zstd's default limit") {
  // A zstd frame without a content size makes the decoder stream through a
  // window buffer of the size the frame header declares, up to zstd's
  // default ZSTD_d_windowLogMax (2^27, what every Kafka client accepts, see
  // decompressor.hpp). That buffer is malloc'd by libzstd (not counted by
  // operator new) and kept by the Decompressor for the next call. A 50-byte
  // frame can therefore pin 128 MiB — bounded, and documented, but far
  // above a 1 MiB output limit; anything larger is refused.
  Bytes frame(std::begin(kwire::compression::test::kZstdCliStream), std::end(kwire::compression::test::kZstdCliStream));
  REQUIRE(frame[4] == 0x04);  // FHD: checksum, no content size, not single-segment: a window descriptor follows
  const std::size_t before = heap_in_use();
  {
    kwire::compression::Decompressor d;
    frame[5] = 0x88;  // window descriptor: exponent 17 -> 2^27 bytes
    Bytes out;
    CHECK_FALSE(d.decompress(Codec::zstd, frame, out, kLimit));
    CHECK(out.size() == kwire::compression::test::kText.size());
    const std::size_t held = heap_in_use() - before;
    MESSAGE("zstd window of 2^27 declared by a " << frame.size() << "-byte frame: the decoder holds " << held
                                                 << " bytes");
    CHECK(held <= (std::size_t{1} << 27) + (std::size_t{4} << 20));

    frame[5] = 0x90;  // 2^28: above zstd's default maximum
    out.clear();
    const std::size_t before_refusal = heap_in_use();
    CHECK(d.decompress(Codec::zstd, frame, out, kLimit) == kc::errc::corrupt_input);
    CHECK(heap_in_use() <= before_refusal + (std::size_t{1} << 20));
  }
}
