// The transaction targets' real broker seeds (fuzz/corpus/<api>/*-real,
// written by fuzz/capture/capture_transactions.cpp from a Kafka 4.4 broker)
// replayed through the codecs: every request the broker accepted and every
// answer it gave decodes and re-encodes byte for byte. The bytes come from
// Kafka's encoder (responses) or ours (requests), both canonical, so any
// difference is a codec disagreeing with Kafka.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/protocol/add_offsets_to_txn.hpp"
#include "kwire/protocol/add_partitions_to_txn.hpp"
#include "kwire/protocol/describe_producers.hpp"
#include "kwire/protocol/describe_transactions.hpp"
#include "kwire/protocol/end_txn.hpp"
#include "kwire/protocol/list_transactions.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/txn_offset_commit.hpp"
#include "kwire/protocol/write_txn_markers.hpp"

using namespace kwire::protocol;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

fs::path corpus_dir() {
  // The seed corpus at the repository root (tests/CMakeLists.txt defines it).
  return fs::path(KWIRE_SOURCE_DIR) / "fuzz" / "corpus";
}

Bytes read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

template <KafkaMessage M>
void check_reencodes(const fs::path& path, std::span<const std::uint8_t> versioned) {
  CAPTURE(path.filename().string());
  REQUIRE(!versioned.empty());
  const auto version = static_cast<std::int16_t>(M::min_version + versioned[0] % (M::max_version - M::min_version + 1));
  const auto body = versioned.subspan(1);
  M message;
  REQUIRE_FALSE(decode_message(body, version, message));
  Bytes again;
  REQUIRE_FALSE(encode_message(message, version, again));
  CHECK(again == Bytes(body.begin(), body.end()));
}

/// Every `*-real` seed of a request-or-response target (message_pair.hpp's
/// format: a byte choosing the half, the version byte, the body). Returns
/// how many of each half were checked.
template <KafkaMessage Request, KafkaMessage Response>
std::pair<int, int> check_target(std::string_view target) {
  std::pair<int, int> counts{0, 0};
  const fs::path dir = corpus_dir() / target;
  REQUIRE_MESSAGE(fs::is_directory(dir), "no fuzz/corpus/" << target << " (run kwire_capture_seeds)");
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.path().filename().string().ends_with("-real")) continue;
    const Bytes seed = read_file(entry.path());
    REQUIRE(seed.size() >= 2);
    const std::span<const std::uint8_t> versioned(seed.data() + 1, seed.size() - 1);
    if (seed[0] % 2 == 0) {
      check_reencodes<Request>(entry.path(), versioned);
      ++counts.first;
    } else {
      check_reencodes<Response>(entry.path(), versioned);
      ++counts.second;
    }
  }
  return counts;
}

}  // namespace

TEST_CASE("transaction seeds: every real exchange re-encodes byte for byte") {
  // At least one request and one answer per version the capture exercises.
  auto at_least = [](std::pair<int, int> counts, int n) {
    CHECK(counts.first >= n);
    CHECK(counts.second >= n);
  };
  at_least(check_target<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>("add_partitions_to_txn"), 4);
  at_least(check_target<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>("add_offsets_to_txn"), 5);
  at_least(check_target<EndTxnRequest, EndTxnResponse>("end_txn"), 6);
  at_least(check_target<TxnOffsetCommitRequest, TxnOffsetCommitResponse>("txn_offset_commit"), 7);
  at_least(check_target<WriteTxnMarkersRequest, WriteTxnMarkersResponse>("write_txn_markers"), 1);
  at_least(check_target<DescribeProducersRequest, DescribeProducersResponse>("describe_producers"), 1);
  at_least(check_target<ListTransactionsRequest, ListTransactionsResponse>("list_transactions"), 3);
  at_least(check_target<DescribeTransactionsRequest, DescribeTransactionsResponse>("describe_transactions"), 1);
}
