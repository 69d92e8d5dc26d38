// Proof that the mock speaks real Kafka: librdkafka (through kcat) produces
// to it, idempotently or not, compressed or not, keyed over several
// partitions, and through injected faults, and consumes (alone and in a
// classic group). Skipped when kcat is missing.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kwire/mock/cluster.hpp"
#include "raw_client.hpp"

extern char** environ;

using namespace kwire::mock;
using kwire::errc;

namespace {

const std::string kKcat = KWIRE_KCAT;

bool have_kcat() {
  if (kKcat.empty()) MESSAGE("kcat not found at configure time: skipping");
  return !kKcat.empty();
}

/// A temporary file removed on destruction.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content = "") {
    char name[] = "/tmp/kwire-mock-kcat-XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path) << content;
  }
  ~TempFile() { std::remove(path.c_str()); }
  std::string read() const {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

/// Runs kcat in producer mode with `lines` on stdin; returns its exit status
/// (non-zero also when `timeout` killed it). Its stderr goes to the test log
/// on failure.
int kcat_produce(const MockCluster& cluster, const std::string& args, const std::vector<std::string>& lines,
                 std::string bootstrap = "") {
  if (bootstrap.empty()) bootstrap = cluster.bootstrap_servers();
  TempFile input(join_lines(lines));
  TempFile errors;
  // Bounded: librdkafka gives up on a message after message.timeout.ms, and
  // `timeout` stops kcat whatever happens.
  const std::string command = "timeout 30 " + kKcat + " -b " + bootstrap +
                              " -P -X message.timeout.ms=10000 -X linger.ms=5 " + args + " < " + input.path +
                              " 2> " + errors.path;
  const int status = std::system(command.c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  if (code != 0) MESSAGE(command << "\nexit " << code << ", stderr:\n" << errors.read());
  return code;
}

/// Runs kcat as a consumer (`args` choose -C or -G, with -e to exit at the
/// end of the partitions) printing `offset:value` lines; returns its stdout,
/// nullopt if it failed.
std::optional<std::string> kcat_consume(const MockCluster& cluster, const std::string& args) {
  TempFile output;
  TempFile errors;
  const std::string command = "timeout 30 " + kKcat + " -b " + cluster.bootstrap_servers() + " " + args +
                              " -e -f '%o:%s\\n' > " + output.path + " 2> " + errors.path;
  const int status = std::system(command.c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  if (code != 0) {
    MESSAGE(command << "\nexit " << code << ", stderr:\n" << errors.read());
    return std::nullopt;
  }
  return output.read();
}

std::vector<std::string> values(const std::vector<StoredRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.value.value_or("<null>"));
  return out;
}

}  // namespace

TEST_SUITE("kcat") {

TEST_CASE("kcat produces idempotently to one partition") {
  if (!have_kcat()) return;
  ClusterConfig config;
  config.topics = {{"test", 1}};
  MockCluster cluster(config);
  const std::vector<std::string> lines{"one", "two", "three", "four"};
  REQUIRE(kcat_produce(cluster, "-t test -p 0 -X enable.idempotence=true", lines) == 0);
  REQUIRE(cluster.wait_for_records("test", 0, lines.size(), std::chrono::seconds(5)));
  auto records = cluster.records("test", 0);
  CHECK(values(records) == lines);
  for (std::size_t i = 0; i < records.size(); ++i) {
    CAPTURE(i);
    CHECK_FALSE(records[i].key);
    CHECK(records[i].offset == static_cast<std::int64_t>(i));
    CHECK(records[i].producer_id >= 1000);
    CHECK(records[i].producer_epoch == 0);
    CHECK(records[i].sequence == static_cast<std::int32_t>(i));
  }
  CHECK(cluster.request_count(ApiKey::init_producer_id) >= 1);
  CHECK(cluster.request_count(ApiKey::api_versions) >= 1);
  // librdkafka sends ApiVersions v3 with its software name (KIP-511).
  bool named = false;
  for (const auto& entry : cluster.request_log()) named = named || entry.client_id == "rdkafka";
  CHECK(named);
}

TEST_CASE("kcat produces with acks=1 without idempotence") {
  if (!have_kcat()) return;
  ClusterConfig config;
  config.topics = {{"test", 1}};
  MockCluster cluster(config);
  const std::vector<std::string> lines{"a", "b", "c"};
  REQUIRE(kcat_produce(cluster, "-t test -p 0 -X acks=1 -X enable.idempotence=false", lines) == 0);
  REQUIRE(cluster.wait_for_records("test", 0, lines.size(), std::chrono::seconds(5)));
  auto records = cluster.records("test", 0);
  CHECK(values(records) == lines);
  for (const auto& r : records) {
    CHECK(r.producer_id == -1);
    CHECK(r.sequence == -1);
  }
  CHECK(cluster.request_count(ApiKey::init_producer_id) == 0);
}

TEST_CASE("kcat produces keyed records over 3 partitions on 3 brokers") {
  if (!have_kcat()) return;
  ClusterConfig config;
  config.brokers = 3;
  config.topics = {{"keyed", 3}};
  MockCluster cluster(config);
  std::vector<std::string> lines;
  for (int i = 0; i < 30; ++i) lines.push_back("key" + std::to_string(i % 7) + ":value" + std::to_string(i));
  REQUIRE(kcat_produce(cluster, "-t keyed -K: -X enable.idempotence=true", lines) == 0);
  REQUIRE(cluster.record_count() == lines.size());

  std::map<std::string, std::set<std::int32_t>> partitions_of_key;
  std::multiset<std::string> seen;
  std::set<std::int32_t> used;
  for (std::int32_t p = 0; p < 3; ++p) {
    for (const auto& r : cluster.records("keyed", p)) {
      REQUIRE(r.key);
      REQUIRE(r.value);
      seen.insert(*r.key + ":" + *r.value);
      partitions_of_key[*r.key].insert(p);
      used.insert(p);
    }
  }
  CHECK(seen == std::multiset<std::string>(lines.begin(), lines.end()));
  for (const auto& [key, partitions] : partitions_of_key) {
    CAPTURE(key);
    CHECK(partitions.size() == 1);  // one key, one partition
  }
  CHECK(used.size() > 1);  // 7 keys spread over more than one partition
  // Each partition was written through its own leader.
  for (std::int32_t id : cluster.broker_ids())
    if (used.count(id - 1) != 0) CHECK(cluster.request_count(ApiKey::produce, cluster.leader("keyed", id - 1)) > 0);
}

TEST_CASE("kcat produces compressed batches the mock decompresses") {
  if (!have_kcat()) return;
  for (const std::string codec : {"gzip", "snappy", "lz4", "zstd"}) {
    CAPTURE(codec);
    ClusterConfig config;
    config.topics = {{"z", 1}};
    MockCluster cluster(config);
    std::vector<std::string> lines;
    for (int i = 0; i < 50; ++i) lines.push_back("compressible line number " + std::to_string(i));
    REQUIRE(kcat_produce(cluster, std::string("-t z -p 0 -X enable.idempotence=true -z ") + codec, lines) == 0);
    auto records = cluster.records("z", 0);
    CHECK(values(records) == lines);
    REQUIRE_FALSE(records.empty());
    // librdkafka sends a batch uncompressed when compression does not
    // shrink it (a lone first record, say): at least one batch must be.
    const auto expected = *kwire::compression::parse_codec(codec);
    CAPTURE(cluster.batch_count("z", 0));
    CAPTURE(static_cast<int>(records.front().codec));
    CHECK(std::any_of(records.begin(), records.end(), [&](const StoredRecord& r) { return r.codec == expected; }));
  }
}

TEST_CASE("kcat retries through a lost Produce response without duplicating records") {
  if (!have_kcat()) return;
  // Two brokers, bootstrap through broker 1 and the partition led by broker
  // 2: kcat gives up when *all* its connections are down, so the dropped
  // one must not be its only connection.
  ClusterConfig config;
  config.brokers = 2;
  config.topics = {{"test", 1}};
  MockCluster cluster(config);
  cluster.move_leader("test", 0, 2);
  cluster.drop_connection_after(ApiKey::produce, 1);
  cluster.fail_next(ApiKey::produce, errc::not_enough_replicas, 1);
  const std::vector<std::string> lines{"x", "y", "z"};
  REQUIRE(kcat_produce(cluster, "-t test -p 0 -X enable.idempotence=true -X retry.backoff.ms=10", lines,
                       "127.0.0.1:" + std::to_string(cluster.port(1))) == 0);
  // The first attempt was written and its response lost; librdkafka resent
  // the same sequence and the mock answered it as a duplicate.
  CHECK(values(cluster.records("test", 0)) == lines);
  CHECK(cluster.request_count(ApiKey::produce) >= 2);
}

TEST_CASE("kcat consumes what it produced: by partition, read_committed, and in a classic group that commits") {
  if (!have_kcat()) return;
  ClusterConfig config;
  config.topics = {{"test", 1}};
  MockCluster cluster(config);
  REQUIRE(kcat_produce(cluster, "-t test -p 0", {"one", "two", "three"}) == 0);
  REQUIRE(cluster.wait_for_records("test", 0, 3, std::chrono::seconds(5)));
  CHECK(kcat_consume(cluster, "-C -t test -p 0 -o beginning") == "0:one\n1:two\n2:three\n");
  CHECK(kcat_consume(cluster, "-C -t test -p 0 -o 1 -X isolation.level=read_committed") == "1:two\n2:three\n");
  // librdkafka's group consumer: JoinGroup, SyncGroup, OffsetFetch, Fetch,
  // OffsetCommit, LeaveGroup — and a second run resumes where it committed.
  CHECK(kcat_consume(cluster, "-G grp test -X auto.offset.reset=earliest") == "0:one\n1:two\n2:three\n");
  CHECK(cluster.committed_offsets("grp").at({"test", 0}) == 3);
  CHECK(cluster.request_count(ApiKey::sync_group) >= 1);
  REQUIRE(kcat_produce(cluster, "-t test -p 0", {"four"}) == 0);
  CHECK(kcat_consume(cluster, "-G grp test -X auto.offset.reset=earliest") == "3:four\n");
}

TEST_CASE("kwire-mock-cluster runs as a process and reports what it stored") {
  if (!have_kcat()) return;
  int out_pipe[2];
  REQUIRE(::pipe(out_pipe) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  std::string exe = KWIRE_MOCK_CLUSTER_EXE;
  std::vector<std::string> args{exe, "--brokers", "2", "--partitions", "2", "--topic", "proc:1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  FILE* out = ::fdopen(out_pipe[0], "r");
  REQUIRE(out != nullptr);

  char line[512] = {};
  REQUIRE(std::fgets(line, sizeof line, out) != nullptr);
  std::string first = line;
  REQUIRE(first.rfind("bootstrap=127.0.0.1:", 0) == 0);
  std::string bootstrap = first.substr(10);
  bootstrap.erase(bootstrap.find_last_not_of("\r\n") + 1);
  CHECK(std::count(bootstrap.begin(), bootstrap.end(), ',') == 1);

  TempFile input("p1\np2\np3\n");
  const std::string command = "timeout 30 " + kKcat + " -b " + bootstrap +
                              " -P -t proc -p 0 -X message.timeout.ms=10000 < " + input.path + " 2>/dev/null";
  CHECK(std::system(command.c_str()) == 0);

  REQUIRE(::kill(pid, SIGTERM) == 0);
  std::string rest;
  while (std::fgets(line, sizeof line, out) != nullptr) rest += line;
  std::fclose(out);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(rest == "records proc 0 3\n");
}

}  // TEST_SUITE
