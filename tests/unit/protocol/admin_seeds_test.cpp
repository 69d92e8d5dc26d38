// The admin fuzz targets' real broker seeds (fuzz/corpus/<api>/*-real,
// written by kwire_capture_seeds from a Kafka 4.4 broker) replayed through
// the codecs: each request and response decodes and re-encodes byte for
// byte. The responses come from Kafka's own encoder, so any difference is a
// codec disagreeing with Kafka.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/protocol/alter_user_scram_credentials.hpp"
#include "kwire/protocol/create_partitions.hpp"
#include "kwire/protocol/create_topics.hpp"
#include "kwire/protocol/delete_groups.hpp"
#include "kwire/protocol/delete_records.hpp"
#include "kwire/protocol/delete_topics.hpp"
#include "kwire/protocol/describe_cluster.hpp"
#include "kwire/protocol/describe_configs.hpp"
#include "kwire/protocol/describe_groups.hpp"
#include "kwire/protocol/describe_user_scram_credentials.hpp"
#include "kwire/protocol/incremental_alter_configs.hpp"
#include "kwire/protocol/list_groups.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/offset_delete.hpp"

using namespace kwire::protocol;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

/// fuzz/corpus at the repository root (KWIRE_SOURCE_DIR: ccache makes
/// __FILE__ relative, so it cannot say where the sources are).
fs::path corpus_dir() { return fs::path(KWIRE_SOURCE_DIR) / "fuzz" / "corpus"; }

/// Decodes `body` as M at `version` and checks kwire writes it back unchanged.
template <KafkaMessage M>
void check_canonical(std::span<const std::uint8_t> body, std::int16_t version) {
  M message;
  REQUIRE_FALSE(decode_message(body, version, message));
  Bytes again;
  REQUIRE_FALSE(encode_message(message, version, again));
  CHECK(std::equal(again.begin(), again.end(), body.begin(), body.end()));
}

/// Every *-real seed of `target` (message_pair.hpp's format: request or
/// response byte, version byte, body). Returns how many were checked.
template <KafkaMessage Request, KafkaMessage Response>
int check_real_pair_seeds(std::string_view target) {
  int checked = 0;
  const fs::path dir = corpus_dir() / target;
  REQUIRE_MESSAGE(fs::is_directory(dir), "no seeds in " << dir.string() << " (run kwire_capture_seeds)");
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with("-real")) continue;
    CAPTURE(name);
    std::ifstream f(entry.path(), std::ios::binary);
    const Bytes seed{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    REQUIRE(seed.size() >= 2);
    const auto version = static_cast<std::int16_t>(Request::min_version + seed[1]);
    REQUIRE(version <= Request::max_version);  // the capture writes the exact version
    const std::span<const std::uint8_t> body(seed.data() + 2, seed.size() - 2);
    if (seed[0] == 0)
      check_canonical<Request>(body, version);
    else
      check_canonical<Response>(body, version);
    ++checked;
  }
  return checked;
}

}  // namespace

TEST_CASE("admin seeds captured from Kafka 4.4 re-encode byte for byte") {
  // At least one request and one response per API.
  CHECK(check_real_pair_seeds<CreateTopicsRequest, CreateTopicsResponse>("create_topics") >= 2);
  CHECK(check_real_pair_seeds<DeleteTopicsRequest, DeleteTopicsResponse>("delete_topics") >= 2);
  CHECK(check_real_pair_seeds<CreatePartitionsRequest, CreatePartitionsResponse>("create_partitions") >= 2);
  CHECK(check_real_pair_seeds<DescribeConfigsRequest, DescribeConfigsResponse>("describe_configs") >= 2);
  CHECK(check_real_pair_seeds<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(
            "incremental_alter_configs") >= 2);
  CHECK(check_real_pair_seeds<DescribeClusterRequest, DescribeClusterResponse>("describe_cluster") >= 2);
  CHECK(check_real_pair_seeds<ListGroupsRequest, ListGroupsResponse>("list_groups") >= 2);
  CHECK(check_real_pair_seeds<DescribeGroupsRequest, DescribeGroupsResponse>("describe_groups") >= 2);
  CHECK(check_real_pair_seeds<DeleteGroupsRequest, DeleteGroupsResponse>("delete_groups") >= 2);
  CHECK(check_real_pair_seeds<OffsetDeleteRequest, OffsetDeleteResponse>("offset_delete") >= 2);
  CHECK(check_real_pair_seeds<DeleteRecordsRequest, DeleteRecordsResponse>("delete_records") >= 2);
  CHECK(check_real_pair_seeds<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>(
            "describe_user_scram_credentials") >= 2);
  CHECK(check_real_pair_seeds<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>(
            "alter_user_scram_credentials") >= 2);
}
