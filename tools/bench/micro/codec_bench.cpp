// Each codec inside kwire (compression::Compressor / Decompressor, as the
// sender uses them) beside the raw library's own speed on the same data, with
// the same settings (issue 5: "each codec's throughput inside kwire beside
// the raw library's own speed"). The input is the records section of a
// 64 KiB batch of 100-byte and 1 KiB JSON events; the compression ratio is
// reported as the `ratio` counter (input / output).
//
// Raw settings mirror kwire's: gzip = deflate level 6 (Z_DEFAULT), windowBits
// 15+16 (gzip wrapper), memLevel 8; lz4 = LZ4F frame, 64 KiB independent
// blocks, no checksums, fast compressor (level 0); zstd = ZSTD_compressCCtx
// level 3; snappy = snappy::RawCompress.
#include <benchmark/benchmark.h>

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <kwire/compression/compressor.hpp>
#include <kwire/compression/decompressor.hpp>

#include "payloads.hpp"

namespace {

using kwire::compression::Codec;

const std::vector<std::uint8_t>& input(std::int64_t record_size) {
  static const std::vector<std::uint8_t> small = kwire::bench::records_section(65536, 100);
  static const std::vector<std::uint8_t> large = kwire::bench::records_section(65536, 1024);
  return record_size == 100 ? small : large;
}

void finish(benchmark::State& state, std::size_t in_bytes, std::size_t out_bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in_bytes));
  state.counters["ratio"] = out_bytes ? static_cast<double>(in_bytes) / static_cast<double>(out_bytes) : 0.0;
}

// --- kwire ------------------------------------------------------------------------

void BM_KwireCompress(benchmark::State& state, Codec codec) {
  const auto& in = input(state.range(0));
  kwire::compression::Compressor compressor;
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    out.clear();
    if (compressor.compress(codec, in, out)) state.SkipWithError("compress failed");
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, in.size(), out.size());
}

void BM_KwireDecompress(benchmark::State& state, Codec codec) {
  const auto& in = input(state.range(0));
  std::vector<std::uint8_t> compressed, out;
  if (kwire::compression::compress(codec, in, compressed)) return state.SkipWithError("compress failed");
  kwire::compression::Decompressor decompressor;
  out.reserve(in.size());
  for (auto _ : state) {
    out.clear();
    if (decompressor.decompress(codec, compressed, out, in.size())) state.SkipWithError("decompress failed");
    benchmark::DoNotOptimize(out.data());
  }
  // Throughput in uncompressed bytes, as for compression.
  finish(state, in.size(), compressed.size());
}

// --- raw libraries -------------------------------------------------------------------

struct Raw {
  virtual ~Raw() = default;
  virtual std::size_t compress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) = 0;
  virtual void decompress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) = 0;
};

struct RawGzip : Raw {
  z_stream def{}, inf{};
  RawGzip() {
    deflateInit2(&def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    inflateInit2(&inf, 15 + 16);
  }
  ~RawGzip() override {
    deflateEnd(&def);
    inflateEnd(&inf);
  }
  std::size_t compress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) override {
    deflateReset(&def);
    out.resize(deflateBound(&def, static_cast<uLong>(in.size())) + 32);
    def.next_in = const_cast<Bytef*>(in.data());
    def.avail_in = static_cast<uInt>(in.size());
    def.next_out = out.data();
    def.avail_out = static_cast<uInt>(out.size());
    deflate(&def, Z_FINISH);
    return out.size() - def.avail_out;
  }
  void decompress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) override {
    inflateReset(&inf);
    inf.next_in = const_cast<Bytef*>(in.data());
    inf.avail_in = static_cast<uInt>(in.size());
    inf.next_out = out.data();
    inf.avail_out = static_cast<uInt>(out.size());
    inflate(&inf, Z_FINISH);
  }
};

struct RawLz4 : Raw {
  LZ4F_cctx* c = nullptr;
  LZ4F_dctx* d = nullptr;
  LZ4F_preferences_t prefs;
  RawLz4() {
    LZ4F_createCompressionContext(&c, LZ4F_VERSION);
    LZ4F_createDecompressionContext(&d, LZ4F_VERSION);
    std::memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.compressionLevel = 0;
  }
  ~RawLz4() override {
    LZ4F_freeCompressionContext(c);
    LZ4F_freeDecompressionContext(d);
  }
  std::size_t compress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) override {
    out.resize(LZ4F_HEADER_SIZE_MAX + LZ4F_compressBound(in.size(), &prefs));
    std::size_t n = LZ4F_compressBegin(c, out.data(), out.size(), &prefs);
    n += LZ4F_compressUpdate(c, out.data() + n, out.size() - n, in.data(), in.size(), nullptr);
    n += LZ4F_compressEnd(c, out.data() + n, out.size() - n, nullptr);
    return n;
  }
  void decompress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) override {
    LZ4F_resetDecompressionContext(d);
    std::size_t out_size = out.size(), in_size = in.size();
    LZ4F_decompress(d, out.data(), &out_size, in.data(), &in_size, nullptr);
  }
};

struct RawZstd : Raw {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~RawZstd() override {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
  std::size_t compress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) override {
    out.resize(ZSTD_compressBound(in.size()));
    return ZSTD_compressCCtx(c, out.data(), out.size(), in.data(), in.size(), 3);
  }
  void decompress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) override {
    ZSTD_decompressDCtx(d, out.data(), out.size(), in.data(), in.size());
  }
};

struct RawSnappy : Raw {
  std::size_t compress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) override {
    out.resize(snappy::MaxCompressedLength(in.size()));
    std::size_t n = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(in.data()), in.size(), reinterpret_cast<char*>(out.data()), &n);
    return n;
  }
  void decompress(const std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out) override {
    snappy::RawUncompress(reinterpret_cast<const char*>(in.data()), in.size(), reinterpret_cast<char*>(out.data()));
  }
};

template <class R>
void BM_RawCompress(benchmark::State& state) {
  const auto& in = input(state.range(0));
  R raw;
  std::vector<std::uint8_t> out;
  std::size_t n = 0;
  for (auto _ : state) {
    n = raw.compress(in, out);
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, in.size(), n);
}

template <class R>
void BM_RawDecompress(benchmark::State& state) {
  const auto& in = input(state.range(0));
  R raw;
  std::vector<std::uint8_t> compressed;
  compressed.resize(raw.compress(in, compressed));
  std::vector<std::uint8_t> out(in.size());
  raw.decompress(compressed, out);
  if (out != in) return state.SkipWithError("raw round trip differs");
  for (auto _ : state) {
    raw.decompress(compressed, out);
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, in.size(), compressed.size());
}

#define KWIRE_CODEC_BENCH(name, codec, RawType)                                                          \
  BENCHMARK_CAPTURE(BM_KwireCompress, name, codec)->Name("codec/" #name "/compress/kwire")->Arg(100)->Arg(1024); \
  BENCHMARK(BM_RawCompress<RawType>)->Name("codec/" #name "/compress/raw")->Arg(100)->Arg(1024);                \
  BENCHMARK_CAPTURE(BM_KwireDecompress, name, codec)->Name("codec/" #name "/decompress/kwire")->Arg(100)->Arg(1024); \
  BENCHMARK(BM_RawDecompress<RawType>)->Name("codec/" #name "/decompress/raw")->Arg(100)->Arg(1024)

KWIRE_CODEC_BENCH(gzip, Codec::gzip, RawGzip);
KWIRE_CODEC_BENCH(snappy, Codec::snappy, RawSnappy);
KWIRE_CODEC_BENCH(lz4, Codec::lz4, RawLz4);
KWIRE_CODEC_BENCH(zstd, Codec::zstd, RawZstd);

}  // namespace
