// The consumer's statistics and log lines, sans-I/O: ConsumerCore after
// scripted answers — positions, watermarks, lag, committed offsets, the
// totals, the group's state — and their JSON (valid, the documented field
// names); the `consumer`, `group` and `fetch` lines a group cycle logs.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "kwire/consumer/consumer_core.hpp"
#include "core_requests.hpp"
#include "sole_leader.hpp"
#include "unit/producer/json_check.hpp"
#include "wire_batches.hpp"

using namespace kwire::consumer;
using namespace std::chrono_literals;
using kwire::errc;
namespace protocol = kwire::protocol;
using kwire::cluster::LogCategory;
using kwire::cluster::LogLevel;
using kwire::test::Json;
using kwire::test::of_type;
using kwire::test::parse_json;
using kwire::test::wire_batch;
using kwire::test::WireRecord;

namespace {

using TimePoint = ConsumerCore::TimePoint;

ConsumerConfig config_for(std::string group_id) {
  ConsumerConfig c;
  c.bootstrap_servers = {"localhost:9092"};
  c.group_id = std::move(group_id);
  c.enable_auto_commit = false;
  c.auto_offset_reset = OffsetResetPolicy::earliest;
  c.partition_assignment_strategy = {"range"};
  c.queued_max_messages_kbytes = 1024;
  c.validate();
  return c;
}

/// Topic "a", two partitions led by node 1 (Fetch v12).
ClusterView one_broker() {
  return {.leader = [](const TopicPartition&) -> std::optional<PartitionLeader> {
            return PartitionLeader{.node_id = 1, .leader_epoch = 0, .topic_id = {}};
          },
          .fetch_version = [](std::int32_t) -> std::int16_t { return 12; },
          .partition_count = [](const std::string& t) -> std::optional<std::int32_t> { return t == "a" ? 2 : 0; },
          .topic_name = {},
          .cluster_topics = {}};
}

/// Lines logged, as "<category> <text>".
struct CapturedLog {
  std::vector<std::string> lines;
  kwire::cluster::Logger logger() {
    return {[this](LogLevel, LogCategory category, std::string_view text) {
              lines.push_back(std::string(kwire::cluster::to_string(category)) + " " + std::string(text));
            },
            kwire::cluster::kAllLogCategories};
  }
  bool has(std::string_view prefix, std::string_view part) const {
    for (const auto& l : lines)
      if (l.starts_with(prefix) && l.find(part) != std::string::npos) return true;
    return false;
  }
};

}  // namespace

TEST_CASE("consumer statistics: position, watermarks, lag and totals after a scripted fetch; JSON well formed") {
  TimePoint now = TimePoint{} + 10h;
  CapturedLog log;
  ConsumerCore core(config_for(""), now, log.logger());
  const ClusterView view = one_broker();
  core.assign({{"a", 0}});
  CHECK(log.has("consumer", "assign: 1 partition"));

  auto out = core.run_once(now, view);
  auto lists = of_type<protocol::ListOffsetsRequest>(out);
  REQUIRE(lists.size() == 1);
  protocol::ListOffsetsResponse reset;
  reset.topics.push_back({.name = "a", .partitions = {{.partition_index = 0, .error_code = errc::none, .timestamp = -1,
                                                       .offset = 10, .leader_epoch = 0, .unknown_tags = {}}},
                          .unknown_tags = {}});
  core.on_response(lists[0].first, std::move(reset), now);
  CHECK(log.has("fetch", "a/0: position reset to offset 10"));

  auto fetches = of_type<protocol::FetchRequest>(core.run_once(now, view));
  REQUIRE(fetches.size() == 1);
  std::vector<WireRecord> records;
  for (int i = 0; i < 4; ++i) records.push_back({.key = std::nullopt, .value = "vvvv", .headers = {}});
  const auto bytes = wire_batch(records, {.base_offset = 10});
  protocol::FetchResponse answer;
  protocol::FetchResponse::Partition p;
  p.partition_index = 0;
  p.high_watermark = 20;
  p.last_stable_offset = 18;
  p.log_start_offset = 3;
  p.records = std::span<const std::uint8_t>(bytes);
  answer.responses.push_back({.topic = "a", .topic_id = {}, .partitions = {p}, .unknown_tags = {}});
  core.on_response(fetches[0].first, std::move(answer), nullptr, now + 25ms);

  ConsumerStatistics before;
  core.collect_statistics(before);
  REQUIRE(before.partitions.size() == 1);
  CHECK(before.partitions[0].buffered_bytes == bytes.size());
  CHECK(before.partitions[0].buffered_offsets == 4);
  CHECK(before.buffered_bytes == bytes.size());
  CHECK(before.buffered_bytes_max == 1024 * 1024);

  std::vector<ConsumerRecord> got;
  REQUIRE(core.collect(got) == 4);
  ConsumerStatistics s;
  core.collect_statistics(s);
  CHECK(s.group_id.empty());
  CHECK(s.group_state.empty());
  CHECK(s.generation == -1);
  CHECK(s.records_consumed == 4);
  CHECK(s.bytes_consumed == 16);
  CHECK(s.fetch_requests == 1);
  CHECK(s.fetch_responses == 1);
  CHECK(s.bytes_fetched == bytes.size());
  CHECK(s.fetch_latency.samples == 1);
  CHECK(s.fetch_latency.max_us == 25000);
  CHECK(s.offset_resets == 1);
  CHECK(s.assignment_size == 1);
  REQUIRE(s.partitions.size() == 1);
  const ConsumerPartitionStatistics& a0 = s.partitions[0];
  CHECK(a0.topic == "a");
  CHECK(a0.partition == 0);
  CHECK(a0.position == 14);
  CHECK(a0.high_watermark == 20);
  CHECK(a0.last_stable_offset == 18);
  CHECK(a0.log_start_offset == 3);
  CHECK(a0.lag == 6);
  CHECK(a0.lso_lag == 4);
  CHECK(a0.committed_offset == -1);
  CHECK_FALSE(a0.paused);

  core.pause({{"a", 0}});
  s = {};
  core.collect_statistics(s);
  CHECK(s.partitions[0].paused);

  s.client_id = "c\"1";  // escaped in the JSON
  const Json j = parse_json(to_json(s));
  CHECK(j.at("client_id").string == "c\"1");
  for (const char* field : {"group_id", "timestamp_ms", "age_ms", "records_consumed", "bytes_consumed",
                            "fetch_requests", "fetch_responses", "fetch_failures", "fetch_session_resets",
                            "bytes_fetched", "offset_resets", "buffer_full_rounds", "buffered_bytes",
                            "buffered_bytes_max", "group_state", "generation", "member_id", "rebalances",
                            "assignment_size", "brokers"})
    CHECK_MESSAGE(j.find(field) != nullptr, field);
  CHECK(j.u64("records_consumed") == 4);
  CHECK(j.at("fetch_latency").u64("max_us") == 25000);
  const Json& partition = j.at("partitions").array.at(0);
  CHECK(partition.at("topic").string == "a");
  CHECK(partition.u64("position") == 14);
  CHECK(partition.u64("high_watermark") == 20);
  CHECK(partition.u64("lag") == 6);
  CHECK(partition.u64("lso_lag") == 4);
  CHECK(partition.at("committed_offset").number == -1);
  CHECK(partition.at("paused").type == Json::Type::boolean);
  CHECK(partition.at("paused").boolean);
  for (const char* field : {"leader", "last_stable_offset", "log_start_offset", "buffered_bytes", "buffered_offsets"})
    CHECK_MESSAGE(partition.find(field) != nullptr, field);
  // The empty snapshot is valid JSON too.
  CHECK(parse_json(to_json(ConsumerStatistics{})).at("partitions").array.empty());
}

TEST_CASE("consumer statistics and logs of the group: join, assignment, committed offsets, revocation at close") {
  TimePoint now = TimePoint{} + 10h;
  CapturedLog log;
  ConsumerCore core(config_for("g"), now, log.logger());
  const ClusterView view = one_broker();
  core.subscribe({"a"});
  CHECK(log.has("consumer", "subscribe: group g, topics [a]"));

  core.begin_poll(now);
  auto joins = of_type<protocol::JoinGroupRequest>(core.run_once(now, view));
  REQUIRE(joins.size() == 1);
  core.on_response(joins[0].first, kwire::test::sole_leader_join({"a"}), now);
  auto syncs = of_type<protocol::SyncGroupRequest>(core.run_once(now, view));
  REQUIRE(syncs.size() == 1);
  CHECK(log.has("group", "joined, generation 1, member id m1"));
  protocol::SyncGroupResponse synced;
  synced.protocol_name = "range";
  synced.assignment = syncs[0].second.assignments.at(0).assignment;
  core.on_response(syncs[0].first, std::move(synced), now);
  REQUIRE(core.next_event().has_value());
  core.events_handled();
  CHECK(log.has("group", "group g: assigned 2 partition(s) [a/0, a/1]"));

  // The committed offsets the assignment starts from are the last known ones.
  auto offset_fetches = of_type<protocol::OffsetFetchRequest>(core.run_once(now, view));
  REQUIRE(offset_fetches.size() == 1);
  protocol::OffsetFetchResponse committed;
  committed.topics.push_back({.name = "a", .topic_id = {},
                              .partitions = {{.partition_index = 0, .committed_offset = 7, .committed_leader_epoch = -1,
                                              .metadata = "", .error_code = errc::none, .unknown_tags = {}}},
                              .unknown_tags = {}});
  core.on_response(offset_fetches[0].first, std::move(committed), now);

  ConsumerStatistics s;
  core.collect_statistics(s);
  CHECK(s.group_id == "g");
  CHECK(s.group_state == "stable");
  CHECK(s.generation == 1);
  CHECK(s.member_id == "m1");
  CHECK(s.rebalances == 1);
  CHECK(s.assignment_size == 2);
  REQUIRE(s.partitions.size() == 2);
  CHECK(s.partitions[0].committed_offset == 7);
  CHECK(s.partitions[0].position == 7);
  CHECK(s.partitions[1].committed_offset == -1);
  const Json j = parse_json(to_json(s));
  CHECK(j.at("group_state").string == "stable");
  CHECK(j.at("member_id").string == "m1");

  core.close(now);
  CHECK(log.has("consumer", "close: leaving group g"));
  (void)core.run_once(now, view);
  while (auto event = core.next_event()) CHECK(event->kind == RebalanceEvent::Kind::revoked);
  CHECK(log.has("group", "group g: revoked 2 partition(s)"));
}

TEST_CASE("queued.max.messages.kbytes: librdkafka's default and range, in bytes for the fetcher") {
  const std::map<std::string, std::string> base{{"bootstrap.servers", "localhost:9092"}};
  CHECK(ConsumerConfig::from_properties(base).queued_max_messages_kbytes == 65536);
  auto with = [&](const char* value) {
    auto properties = base;
    properties["queued.max.messages.kbytes"] = value;
    return ConsumerConfig::from_properties(properties);
  };
  const ConsumerConfig small = with("16");
  CHECK(small.queued_max_messages_kbytes == 16);
  CHECK(ConsumerCore(small, TimePoint{}).fetcher().config().max_buffered_bytes == 16 * 1024);
  CHECK_THROWS_AS(with("0"), kwire::ConfigError);
  CHECK_THROWS_AS(with("2097152"), kwire::ConfigError);
  CHECK_THROWS_AS(with("lots"), kwire::ConfigError);
}
