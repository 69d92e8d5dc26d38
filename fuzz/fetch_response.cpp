// FetchResponse v4-v18 decoder, then the records of every partition through
// decode_record_batches (1 MiB decompression limit), as a consumer reads
// them. Input: version byte, then the body (see fuzz_check.hpp).
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "kwire/protocol/fetch.hpp"
#include "message_round_trip.hpp"
#include "record_batch_support.hpp"

using namespace kwire::protocol;

namespace {

bool lacks_topic_key(const FetchResponse& response, std::int16_t version) {
  return std::any_of(response.responses.begin(), response.responses.end(), [version](const auto& t) {
    return version >= FetchResponse::first_topic_id_version ? t.topic_id.is_zero() : t.topic.empty();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = kwire::fuzz::split_version(data, size, FetchResponse::min_version, FetchResponse::max_version);
  if (!in) return 0;
  FetchResponse response;
  if (decode_message(in->body, in->version, response)) return 0;
  kwire::fuzz::check_round_trip(in->body, in->version, response, lacks_topic_key(response, in->version));

  static const RecordsDecompressor decompress = kwire::fuzz::limited_decompressor();
  for (const auto& topic : response.responses) {
    for (const auto& partition : topic.partitions) {
      if (!partition.records) continue;
      std::vector<RecordBatch> batches;
      std::string why;
      std::size_t tail = 0;
      if (decode_record_batches(*partition.records, batches, &why, decompress, &tail)) {
        KWIRE_FUZZ_CHECK(!why.empty(), "a failed decode must say why");
        continue;
      }
      KWIRE_FUZZ_CHECK(tail <= partition.records->size(), "partial tail larger than the records");
    }
  }
  return 0;
}
