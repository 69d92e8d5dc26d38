// Protocol hot paths: CRC-32C (every sealed batch), varints (every record
// field), RecordBatchBuilder::append (every send) and seal (every batch).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <kwire/protocol/crc32c.hpp>
#include <kwire/protocol/reader.hpp>
#include <kwire/protocol/record_batch.hpp>
#include <kwire/protocol/writer.hpp>

#include "payloads.hpp"

namespace {

using namespace kwire;

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::mt19937_64 rng(1);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

// --- CRC-32C ---------------------------------------------------------------------

template <auto Fn>
void BM_Crc32c(benchmark::State& state) {
  const auto data = random_bytes(static_cast<std::size_t>(state.range(0)));
  std::uint32_t crc = 0;
  for (auto _ : state) {
    crc = Fn(data, crc);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
std::uint32_t crc_dispatch(std::span<const std::uint8_t> d, std::uint32_t c) { return protocol::crc32c(d, c); }
std::uint32_t crc_hardware(std::span<const std::uint8_t> d, std::uint32_t c) { return protocol::crc32c_hardware(d, c); }
std::uint32_t crc_portable(std::span<const std::uint8_t> d, std::uint32_t c) { return protocol::crc32c_portable(d, c); }

BENCHMARK(BM_Crc32c<crc_hardware>)->Name("crc32c/hardware")->Arg(16 << 10)->Arg(1 << 20);
BENCHMARK(BM_Crc32c<crc_portable>)->Name("crc32c/portable")->Arg(16 << 10)->Arg(1 << 20);
BENCHMARK(BM_Crc32c<crc_dispatch>)->Name("crc32c/dispatch")->Arg(61)->Arg(16 << 10)->Arg(1 << 20);

// --- Varints -----------------------------------------------------------------------

/// Values with the size mix of record fields: mostly 1-2 byte lengths and
/// deltas, some large timestamps deltas and negatives.
std::vector<std::int64_t> varint_values() {
  std::mt19937_64 rng(3);
  std::vector<std::int64_t> v(4096);
  for (auto& x : v) {
    switch (rng() % 4) {
      case 0: x = static_cast<std::int64_t>(rng() % 64); break;
      case 1: x = static_cast<std::int64_t>(rng() % 8192); break;
      case 2: x = -static_cast<std::int64_t>(rng() % 1000); break;
      default: x = static_cast<std::int64_t>(rng() % (1ULL << 40)); break;
    }
  }
  return v;
}

void BM_VarlongEncode(benchmark::State& state) {
  const auto values = varint_values();
  std::vector<std::uint8_t> out;
  out.reserve(values.size() * 10);
  for (auto _ : state) {
    out.clear();
    protocol::Writer w(out);
    for (std::int64_t x : values) w.write_varlong(x);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values.size()));
}
BENCHMARK(BM_VarlongEncode)->Name("varint/encode_zigzag64");

void BM_VarlongDecode(benchmark::State& state) {
  const auto values = varint_values();
  std::vector<std::uint8_t> encoded;
  protocol::Writer w(encoded);
  for (std::int64_t x : values) w.write_varlong(x);
  for (auto _ : state) {
    protocol::Reader r(encoded);
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < values.size(); ++i) sum += r.read_varlong();
    benchmark::DoNotOptimize(sum);
    if (!r.ok()) state.SkipWithError("decode failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values.size()));
}
BENCHMARK(BM_VarlongDecode)->Name("varint/decode_zigzag64");

void BM_VarintSize(benchmark::State& state) {
  const auto values = varint_values();
  for (auto _ : state) {
    std::size_t total = 0;
    for (std::int64_t x : values) total += protocol::varint_size(x);
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values.size()));
}
BENCHMARK(BM_VarintSize)->Name("varint/size");

// --- Record append and batch seal -----------------------------------------------------

/// RecordBatchBuilder::try_append of `record_size`-byte values (null key), as
/// the producer's batches call it (size once, check batch.size, encode),
/// starting a new batch whenever batch.size (16 KiB) is reached; one item =
/// one record.
void BM_RecordAppend(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(5);
  std::vector<std::string> values;
  for (int i = 0; i < 64; ++i) values.push_back(bench::json_event(rng, size));
  constexpr std::size_t kBatch = 16384;
  protocol::RecordBatchBuilder builder(0, kBatch);
  std::int64_t ts = 1'700'000'000'000;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& s = values[i++ & 63];
    const std::span<const std::uint8_t> v(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    if (!builder.try_append(ts, std::nullopt, v, {}, kBatch)) {
      builder.reset(ts, kBatch);
      builder.try_append(ts, std::nullopt, v, {}, kBatch);
    }
    ++ts;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}
BENCHMARK(BM_RecordAppend)->Name("record_batch/append")->Arg(100)->Arg(1024);

/// seal() of a full batch of 100-byte records (header fields and CRC-32C;
/// no compression). Refilling the batch is outside the timed region (manual
/// timing around seal() alone).
void fill(protocol::RecordBatchBuilder& b, const std::vector<std::string>& values, std::size_t batch_bytes) {
  b.reset(1'700'000'000'000, batch_bytes);
  for (std::size_t i = 0;; ++i) {
    const std::string& s = values[i % values.size()];
    const std::span<const std::uint8_t> v(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    if (!b.has_room_for(b.next_record_size(1'700'000'000'000, std::nullopt, v, {}), batch_bytes)) return;
    b.append(1'700'000'000'000, std::nullopt, v);
  }
}

void BM_BatchSeal(benchmark::State& state) {
  const auto batch_bytes = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(5);
  std::vector<std::string> values;
  for (int i = 0; i < 64; ++i) values.push_back(bench::json_event(rng, 100));
  protocol::RecordBatchBuilder builder(0, batch_bytes);
  for (auto _ : state) {
    fill(builder, values, batch_bytes);
    const auto start = std::chrono::steady_clock::now();
    auto bytes = builder.seal();
    benchmark::DoNotOptimize(bytes.data());
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_BatchSeal)->Name("record_batch/seal")->Arg(16384)->Arg(1 << 20)->UseManualTime();

}  // namespace
