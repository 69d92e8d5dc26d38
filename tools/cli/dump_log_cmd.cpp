// kwire dump-log: decodes Kafka log segment files (<topic>-<partition>/*.log
// under a broker's log.dirs) with kwire's own record batch decoder, as
// kafka-dump-log does with Kafka's: one line per batch (offsets, count,
// codec, producer id/epoch/base sequence, CRC and whether it matches) and,
// with --records, one line per record.
//
//   kwire dump-log [--records] [--json [--base64]] FILE...
//
// No broker is involved: the segment's bytes are the batches exactly as the
// producer wrote them (topic compression.type=producer), so this is how
// batches written by other clients are checked against kwire's decoder.
// Exit status: 0 when every batch of every file decoded and every file ended
// on a batch boundary; 1 for a bad batch (CRC, magic, records,
// decompression), a truncated tail (a segment still being written, or cut),
// a corrupt length, or a file that cannot be read; 2 for a bad command line.
//
// --json: one object per batch per line ({"file","position","size",
// "base_offset","last_offset","count","codec",...,"crc_ok","error",
// "records":[...] with --records}), then one {"file","summary":{...}} line per
// file. Keys and values are JSON strings as in `kwire consume --json`
// (--base64: base64 strings, exact for any bytes).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <kwire/compression/decompressor.hpp>
#include <kwire/protocol/log_segment.hpp>

#include "commands.hpp"
#include "json.hpp"
#include "options.hpp"
#include "record_text.hpp"

namespace kwire::cli {
namespace {

/// A read-only view of a whole file: mapped, so a 1 GiB segment costs no
/// copy and no allocation. An empty file is an empty view.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }

  /// Empty string on success, else why not.
  std::string open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::strerror(errno);
    struct stat st {};
    std::string error;
    if (::fstat(fd, &st) != 0) {
      error = std::strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
      error = "not a regular file";
    } else if (st.st_size > 0) {
      size_ = static_cast<std::size_t>(st.st_size);
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        error = std::strerror(errno);
        size_ = 0;
      } else {
        data_ = p;
      }
    }
    ::close(fd);
    return error;
  }
  std::span<const std::uint8_t> bytes() const noexcept { return {static_cast<const std::uint8_t*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

struct DumpOptions {
  bool records = false;
  bool json = false;
  bool base64 = false;
  std::size_t max_decompressed = std::size_t{256} << 20;
};

std::string bytes_json(const std::optional<std::vector<std::uint8_t>>& v, bool base64) {
  if (!v) return "null";
  return base64 ? "\"" + base64_encode(*v) + "\"" : json_text(*v);
}

std::string i64(std::int64_t v) { return std::to_string(v); }

std::string crc_hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx32, v);
  return buf;
}

std::string codec_text(const protocol::RecordBatch& b) {
  const int codec = b.attributes & protocol::batch_attributes::codec_mask;
  if (codec > static_cast<int>(compression::Codec::zstd)) return "unknown(" + std::to_string(codec) + ")";
  return std::string(compression::codec_name(b.codec()));
}

void print_batch_text(std::string& out, const protocol::SegmentBatch& e, const DumpOptions& opts) {
  const protocol::RecordBatch& b = e.batch;
  const bool header = b.magic == protocol::kRecordBatchMagic && e.size >= protocol::kRecordBatchHeaderSize;
  out += "baseOffset: " + i64(b.base_offset);
  if (header) {
    out += " lastOffset: " + i64(b.base_offset + b.last_offset_delta) + " count: " + i64(b.records_count) +
           " baseSequence: " + i64(b.base_sequence) + " producerId: " + i64(b.producer_id) +
           " producerEpoch: " + i64(b.producer_epoch) + " partitionLeaderEpoch: " + i64(b.partition_leader_epoch) +
           " isTransactional: " + (b.is_transactional() ? "true" : "false") +
           " isControl: " + (b.is_control() ? "true" : "false");
  }
  out += " position: " + std::to_string(e.position) + " size: " + std::to_string(e.size) +
         " magic: " + std::to_string(b.magic);
  if (header) {
    out += std::string(" ") + (b.uses_log_append_time() ? "LogAppendTime" : "CreateTime") + ": " +
           i64(b.max_timestamp) + " compresscodec: " + codec_text(b) + " crc: " + crc_hex(b.crc) +
           " crcOk: " + (e.crc_ok ? "true" : "false");
  }
  out += " isvalid: ";
  out += e.error ? "false" : "true";
  if (e.error) out += " error: " + e.why;
  out += '\n';
  if (!opts.records || e.error) return;
  for (const protocol::Record& r : b.records) {
    out += "| offset: " + i64(r.offset) + " " + (b.uses_log_append_time() ? "LogAppendTime" : "CreateTime") + ": " +
           i64(r.timestamp) + " keySize: " + (r.key ? std::to_string(r.key->size()) : "-1") +
           " valueSize: " + (r.value ? std::to_string(r.value->size()) : "-1") + " headerKeys: [";
    for (std::size_t h = 0; h < r.headers.size(); ++h) {
      if (h) out += ',';
      out += json_escape(r.headers[h].key);
    }
    out += "] key: " + bytes_json(r.key, opts.base64) + " payload: " + bytes_json(r.value, opts.base64) +
           " headers: [";
    for (std::size_t h = 0; h < r.headers.size(); ++h) {
      if (h) out += ',';
      out += json_escape(r.headers[h].key) + "=" + bytes_json(r.headers[h].value, opts.base64);
    }
    out += "]\n";
  }
}

void print_batch_json(std::string& out, const std::string& file, const protocol::SegmentBatch& e,
                      const DumpOptions& opts) {
  const protocol::RecordBatch& b = e.batch;
  const bool header = b.magic == protocol::kRecordBatchMagic && e.size >= protocol::kRecordBatchHeaderSize;
  out += "{\"file\":" + json_escape(file) + ",\"position\":" + std::to_string(e.position) +
         ",\"size\":" + std::to_string(e.size) + ",\"base_offset\":" + i64(b.base_offset) +
         ",\"magic\":" + std::to_string(b.magic);
  if (header) {
    out += ",\"last_offset\":" + i64(b.base_offset + b.last_offset_delta) + ",\"count\":" + i64(b.records_count) +
           ",\"codec\":" + json_escape(codec_text(b)) + ",\"attributes\":" + i64(b.attributes) +
           ",\"producer_id\":" + i64(b.producer_id) + ",\"producer_epoch\":" + i64(b.producer_epoch) +
           ",\"base_sequence\":" + i64(b.base_sequence) +
           ",\"partition_leader_epoch\":" + i64(b.partition_leader_epoch) +
           ",\"transactional\":" + (b.is_transactional() ? "true" : "false") +
           ",\"control\":" + (b.is_control() ? "true" : "false") + ",\"timestamp_type\":\"" +
           (b.uses_log_append_time() ? "log_append" : "create") + "\",\"base_timestamp\":" + i64(b.base_timestamp) +
           ",\"max_timestamp\":" + i64(b.max_timestamp) + ",\"crc\":" + std::to_string(b.crc) +
           ",\"crc_ok\":" + (e.crc_ok ? "true" : "false");
  }
  out += ",\"error\":" + (e.error ? json_escape(e.why) : std::string("null"));
  if (opts.records && !e.error) {
    out += ",\"records\":[";
    for (std::size_t i = 0; i < b.records.size(); ++i) {
      const protocol::Record& r = b.records[i];
      if (i) out += ',';
      out += "{\"offset\":" + i64(r.offset) + ",\"timestamp\":" + i64(r.timestamp) +
             ",\"key\":" + bytes_json(r.key, opts.base64) + ",\"value\":" + bytes_json(r.value, opts.base64) +
             ",\"headers\":[";
      for (std::size_t h = 0; h < r.headers.size(); ++h) {
        if (h) out += ',';
        out += "{\"key\":" + json_escape(r.headers[h].key) +
               ",\"value\":" + bytes_json(r.headers[h].value, opts.base64) + "}";
      }
      out += "]}";
    }
    out += ']';
  }
  out += "}\n";
}

void flush(std::string& out) {
  if (out.empty()) return;
  std::fwrite(out.data(), 1, out.size(), stdout);
  out.clear();
}

/// Dumps one file; returns true if it was read whole and every batch decoded.
bool dump_file(const std::string& path, const DumpOptions& opts, compression::Decompressor& decompressor) {
  MappedFile file;
  if (std::string error = file.open(path); !error.empty()) {
    std::fprintf(stderr, "kwire dump-log: %s: %s\n", path.c_str(), error.c_str());
    return false;
  }
  const std::span<const std::uint8_t> bytes = file.bytes();
  std::string out;
  if (!opts.json) out = "Dumping " + path + " (" + std::to_string(bytes.size()) + " bytes)\n";
  const std::size_t limit = opts.max_decompressed;
  const protocol::RecordsDecompressor decompress = [&decompressor, limit](
                                                       compression::Codec codec, std::span<const std::uint8_t> in,
                                                       std::vector<std::uint8_t>& into) {
    return decompressor.decompress(codec, in, into, limit);
  };
  const protocol::SegmentSummary summary = protocol::walk_log_segment(
      bytes,
      [&](const protocol::SegmentBatch& e) {
        if (opts.json)
          print_batch_json(out, path, e, opts);
        else
          print_batch_text(out, e, opts);
        if (e.error)
          std::fprintf(stderr, "kwire dump-log: %s: the batch at byte %zu (base offset %" PRId64 "): %s\n",
                       path.c_str(), e.position, e.batch.base_offset, e.why.c_str());
        if (out.size() >= (std::size_t{1} << 16)) flush(out);
      },
      decompress);

  if (opts.json) {
    out += "{\"file\":" + json_escape(path) + ",\"summary\":{\"bytes\":" + std::to_string(bytes.size()) +
           ",\"bytes_walked\":" + std::to_string(summary.bytes_walked) +
           ",\"batches\":" + std::to_string(summary.batches) +
           ",\"bad_batches\":" + std::to_string(summary.bad_batches) +
           ",\"records\":" + std::to_string(summary.records) + ",\"end\":\"" +
           protocol::segment_end_name(summary.end) + "\",\"error\":" +
           (summary.why.empty() ? std::string("null") : json_escape(summary.why)) + "}}\n";
  } else {
    out += "Summary: " + std::to_string(summary.batches) + " batches (" + std::to_string(summary.bad_batches) +
           " bad), " + std::to_string(summary.records) + " records, " + std::to_string(summary.bytes_walked) +
           " of " + std::to_string(bytes.size()) + " bytes: " + protocol::segment_end_name(summary.end) + "\n";
  }
  flush(out);
  std::fflush(stdout);
  if (summary.end != protocol::SegmentEnd::complete)
    std::fprintf(stderr, "kwire dump-log: %s: %s\n", path.c_str(), summary.why.c_str());
  return summary.ok();
}

}  // namespace

int run_dump_log(int argc, char** argv) {
  DumpOptions opts;
  std::vector<std::string> files;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--records" || arg == "--print-data-log") {
      opts.records = true;
    } else if (arg == "--json") {
      opts.json = true;
    } else if (arg == "--base64") {
      opts.base64 = true;
    } else if (arg == "--files") {
      // kafka-dump-log's spelling: the files follow.
    } else if (arg.size() > 1 && arg[0] == '-') {
      throw UsageError("unknown option " + std::string(arg));
    } else {
      files.emplace_back(arg);
    }
  }
  if (files.empty()) throw UsageError("dump-log needs at least one segment file (<topic>-<partition>/*.log)");
  compression::Decompressor decompressor;
  bool ok = true;
  for (const std::string& file : files) ok = dump_file(file, opts, decompressor) && ok;
  return ok ? 0 : 1;
}

}  // namespace kwire::cli
