// OffsetLookups, sans-I/O: offsets_for_times / beginning_offsets /
// end_offsets grouped into one ListOffsets per leader, answers mapped
// (-1 -> no record), retriable errors retried from fresh metadata after the
// backoff, non-retriable ones and the deadline ending the lookup with a
// message naming the partitions; and ConsumerCore routing the requests and
// answers (apart from the fetcher's offset resets).
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <variant>

#include "kwire/consumer/consumer_core.hpp"
#include "kwire/consumer/offset_lookup.hpp"
#include "kwire/protocol/client_error.hpp"

using namespace kwire::consumer;
using namespace std::chrono_literals;
using kwire::errc;
namespace protocol = kwire::protocol;
using protocol::IsolationLevel;
using protocol::ListOffsetsRequest;
using protocol::ListOffsetsResponse;

namespace {

using TimePoint = OffsetLookups::TimePoint;
const TimePoint t0 = TimePoint{} + 1h;

const TopicPartition a0{"a", 0};
const TopicPartition a1{"a", 1};
const TopicPartition b0{"b", 0};

/// a/0 and a/1 led by node 1 (epoch 4), b/0 by node 2 (epoch 7); `leaders`
/// may be changed by a test (a leader moving, or unknown).
struct Harness {
  std::map<TopicPartition, PartitionLeader> leaders{{a0, {.node_id = 1, .leader_epoch = 4, .topic_id = {}}},
                                                    {a1, {.node_id = 1, .leader_epoch = 4, .topic_id = {}}},
                                                    {b0, {.node_id = 2, .leader_epoch = 7, .topic_id = {}}}};
  OffsetLookups lookups;

  explicit Harness(IsolationLevel isolation = IsolationLevel::read_uncommitted) : lookups(isolation, 100ms, 30000) {}

  LeaderLookup lookup() {
    return [this](const TopicPartition& tp) -> std::optional<PartitionLeader> {
      auto it = leaders.find(tp);
      if (it == leaders.end()) return std::nullopt;
      return it->second;
    };
  }
  std::vector<LookupRequest> prepare(TimePoint now = t0) { return lookups.prepare(lookup(), now); }
};

const LookupRequest& to_node(const std::vector<LookupRequest>& out, std::int32_t node) {
  for (const auto& r : out)
    if (r.node_id == node) return r;
  FAIL("no request to node " << node);
  return out.front();
}

struct Answer {
  TopicPartition tp;
  errc error = errc::none;
  std::int64_t offset = -1;
  std::int64_t timestamp = -1;
  std::int32_t leader_epoch = -1;
};

ListOffsetsResponse answer(std::initializer_list<Answer> answers) {
  ListOffsetsResponse r;
  for (const auto& a : answers) {
    if (r.topics.empty() || r.topics.back().name != a.tp.topic) r.topics.push_back({.name = a.tp.topic, .partitions = {}, .unknown_tags = {}});
    r.topics.back().partitions.push_back({.partition_index = a.tp.partition, .error_code = a.error,
                                          .timestamp = a.timestamp, .offset = a.offset, .leader_epoch = a.leader_epoch,
                                          .unknown_tags = {}});
  }
  return r;
}

OffsetLookupResult only_result(OffsetLookups& lookups) {
  auto results = lookups.take_results();
  REQUIRE(results.size() == 1);
  return std::move(results.front());
}

}  // namespace

TEST_CASE("OffsetLookups: one ListOffsets per leader, the answers mapped per partition") {
  Harness h;
  h.lookups.start(7, {{a0, 1500}, {a1, 99999}, {b0, 1500}}, t0 + 60s);
  CHECK(h.lookups.topics() == std::set<std::string>{"a", "b"});
  const auto out = h.prepare();
  REQUIRE(out.size() == 2);
  const LookupRequest& one = to_node(out, 1);
  CHECK(one.lookup_id == 7);
  CHECK(one.request.isolation_level == IsolationLevel::read_uncommitted);
  CHECK(one.request.timeout_ms == 30000);
  REQUIRE(one.request.topics.size() == 1);
  CHECK(one.request.topics[0].name == "a");
  REQUIRE(one.request.topics[0].partitions.size() == 2);
  CHECK(one.request.topics[0].partitions[0].partition_index == 0);
  CHECK(one.request.topics[0].partitions[0].timestamp == 1500);
  CHECK(one.request.topics[0].partitions[0].current_leader_epoch == 4);  // KIP-320 fencing
  CHECK(one.request.topics[0].partitions[1].timestamp == 99999);
  const LookupRequest& two = to_node(out, 2);
  REQUIRE(two.request.topics.size() == 1);
  CHECK(two.request.topics[0].name == "b");
  CHECK(two.request.topics[0].partitions[0].current_leader_epoch == 7);
  CHECK(h.prepare(t0 + 1s).empty());  // nothing sent twice while in flight

  h.lookups.on_response(7, one.request, answer({{a0, errc::none, 1, 2000, 3}, {a1, errc::none, -1, -1, -1}}), t0);
  CHECK(h.lookups.take_results().empty());  // b/0 still out
  h.lookups.on_response(7, two.request, answer({{b0, errc::none, 5, 1600, -1}}), t0);
  const OffsetLookupResult result = only_result(h.lookups);
  CHECK(result.id == 7);
  CHECK_FALSE(result.error);
  REQUIRE(result.offsets.size() == 3);
  CHECK(result.offsets.at(a0) == OffsetAndTimestamp{.offset = 1, .timestamp = 2000, .leader_epoch = 3});
  CHECK_FALSE(result.offsets.at(a1).has_value());  // no record at or after 99999
  CHECK(result.offsets.at(b0) == OffsetAndTimestamp{.offset = 5, .timestamp = 1600, .leader_epoch = std::nullopt});
  CHECK(h.lookups.empty());
  CHECK(h.lookups.topics().empty());
}

TEST_CASE("OffsetLookups: end offsets under read_committed ask for the LSO; an empty lookup ends at once") {
  Harness h(IsolationLevel::read_committed);
  h.lookups.start(1, {{a0, protocol::list_offsets_timestamp::latest}}, t0 + 60s);
  const auto out = h.prepare();
  REQUIRE(out.size() == 1);
  CHECK(out[0].request.isolation_level == IsolationLevel::read_committed);
  CHECK(out[0].request.topics[0].partitions[0].timestamp == protocol::list_offsets_timestamp::latest);

  h.lookups.start(2, {}, t0 + 60s);
  const OffsetLookupResult empty = only_result(h.lookups);
  CHECK(empty.id == 2);
  CHECK_FALSE(empty.error);
  CHECK(empty.offsets.empty());
}

TEST_CASE("OffsetLookups: a moved leader is asked again after the backoff; answered partitions stay answered") {
  for (const errc retriable : {errc::not_leader_or_follower, errc::leader_not_available,
                               errc::unknown_topic_or_partition, errc::fenced_leader_epoch, errc::unknown_leader_epoch}) {
    CAPTURE(kwire::error_name(make_error_code(retriable)));
    Harness h;
    h.lookups.start(3, {{a0, 1500}, {a1, 1500}}, t0 + 60s);
    auto out = h.prepare();
    REQUIRE(out.size() == 1);
    h.lookups.on_response(3, out[0].request, answer({{a0, errc::none, 1, 2000, 0}, {a1, retriable}}), t0);
    CHECK(h.lookups.take_results().empty());
    CHECK(h.lookups.take_metadata_refresh());
    CHECK(h.prepare(t0 + 50ms).empty());  // backing off
    CHECK(h.lookups.next_wakeup(t0) == t0 + 100ms);
    h.leaders[a1].node_id = 3;  // the refresh found the new leader
    h.leaders[a1].leader_epoch = 5;
    out = h.prepare(t0 + 100ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].node_id == 3);
    REQUIRE(out[0].request.topics.size() == 1);
    REQUIRE(out[0].request.topics[0].partitions.size() == 1);  // only a/1
    CHECK(out[0].request.topics[0].partitions[0].partition_index == 1);
    CHECK(out[0].request.topics[0].partitions[0].current_leader_epoch == 5);
    h.lookups.on_response(3, out[0].request, answer({{a1, errc::none, 8, 1700, 5}}), t0 + 110ms);
    const OffsetLookupResult result = only_result(h.lookups);
    CHECK_FALSE(result.error);
    CHECK(result.offsets.at(a0)->offset == 1);
    CHECK(result.offsets.at(a1)->offset == 8);
  }
}

TEST_CASE("OffsetLookups: OFFSET_NOT_AVAILABLE is retried without a refresh; a partition left out is asked again") {
  Harness h;
  h.lookups.start(3, {{a0, 1500}, {a1, 1500}}, t0 + 60s);
  auto out = h.prepare();
  h.lookups.on_response(3, out[0].request, answer({{a0, errc::offset_not_available}}), t0);
  CHECK_FALSE(h.lookups.take_metadata_refresh());
  out = h.prepare(t0 + 100ms);
  REQUIRE(out.size() == 1);
  CHECK(out[0].request.topics[0].partitions.size() == 2);  // a/0 after its error, a/1 the answer lacked
}

TEST_CASE("OffsetLookups: an unknown leader (a topic still being created) waits for metadata") {
  Harness h;
  h.leaders.erase(b0);
  h.lookups.start(4, {{b0, protocol::list_offsets_timestamp::earliest}}, t0 + 60s);
  CHECK(h.prepare().empty());
  CHECK(h.lookups.take_metadata_refresh());
  CHECK(h.lookups.topics() == std::set<std::string>{"b"});  // the owner tracks it in metadata
  h.leaders[b0] = {.node_id = 2, .leader_epoch = 0, .topic_id = {}};
  CHECK(h.prepare(t0 + 50ms).empty());
  const auto out = h.prepare(t0 + 100ms);
  REQUIRE(out.size() == 1);
  CHECK(out[0].node_id == 2);
  h.lookups.on_response(4, out[0].request, answer({{b0, errc::none, 0, -1, 0}}), t0 + 100ms);
  const OffsetLookupResult result = only_result(h.lookups);
  CHECK(result.offsets.at(b0) == OffsetAndTimestamp{.offset = 0, .timestamp = -1, .leader_epoch = 0});
}

TEST_CASE("OffsetLookups: a non-retriable answer ends the lookup, naming the partition") {
  Harness h;
  h.lookups.start(5, {{a0, 1500}, {b0, 1500}}, t0 + 60s);
  const auto out = h.prepare();
  h.lookups.on_response(5, to_node(out, 1).request, answer({{a0, errc::topic_authorization_failed}}), t0);
  const OffsetLookupResult result = only_result(h.lookups);
  CHECK(result.error == make_error_code(errc::topic_authorization_failed));
  CHECK(result.message.find("a/0") != std::string::npos);
  CHECK(result.message.find("TOPIC_AUTHORIZATION_FAILED") != std::string::npos);
  CHECK(result.offsets.empty());
  // The other leader's late answer changes nothing.
  h.lookups.on_response(5, to_node(out, 2).request, answer({{b0, errc::none, 1, 2000, 0}}), t0);
  CHECK(h.lookups.take_results().empty());
  CHECK(h.lookups.empty());
}

TEST_CASE("OffsetLookups: UNSUPPORTED_FOR_MESSAGE_FORMAT means no record (pre-0.10 logs keep no timestamps)") {
  Harness h;
  h.lookups.start(6, {{a0, 1500}}, t0 + 60s);
  const auto out = h.prepare();
  h.lookups.on_response(6, out[0].request, answer({{a0, errc::unsupported_for_message_format}}), t0);
  const OffsetLookupResult result = only_result(h.lookups);
  CHECK_FALSE(result.error);
  CHECK_FALSE(result.offsets.at(a0).has_value());
}

TEST_CASE("OffsetLookups: a lost connection is retried from fresh metadata; an authentication refusal is final") {
  Harness h;
  h.lookups.start(8, {{a0, 1500}}, t0 + 60s);
  auto out = h.prepare();
  h.lookups.on_failure(8, out[0].request, make_error_code(kwire::client_errc::disconnected), t0);
  CHECK(h.lookups.take_metadata_refresh());
  CHECK(h.lookups.take_results().empty());
  out = h.prepare(t0 + 100ms);
  REQUIRE(out.size() == 1);
  h.lookups.on_failure(8, out[0].request, make_error_code(kwire::client_errc::authentication_failed), t0 + 100ms);
  const OffsetLookupResult result = only_result(h.lookups);
  CHECK(result.error == kwire::client_errc::authentication_failed);
  CHECK(result.message.find("a/0") != std::string::npos);
}

TEST_CASE("OffsetLookups: the deadline ends the lookup, naming what is unanswered and why") {
  Harness h;
  h.leaders.erase(b0);
  h.lookups.start(9, {{a0, 1500}, {b0, 1500}}, t0 + 5s);
  CHECK(h.lookups.next_wakeup(t0) <= t0 + 5s);
  auto out = h.prepare();
  REQUIRE(out.size() == 1);
  h.lookups.on_response(9, out[0].request, answer({{a0, errc::not_leader_or_follower}}), t0);
  CHECK(h.prepare(t0 + 4s).size() == 1);  // a/0 asked again, never answered
  CHECK(h.prepare(t0 + 5s).empty());
  const OffsetLookupResult result = only_result(h.lookups);
  CHECK(result.error == kwire::client_errc::timed_out);
  CHECK(result.message.find("a/0") != std::string::npos);
  CHECK(result.message.find("b/0 (leader unknown)") != std::string::npos);
  CHECK(h.lookups.empty());
  CHECK_FALSE(h.lookups.next_wakeup(t0 + 5s).has_value());
}

TEST_CASE("OffsetLookups: expire() ends a lookup the caller stopped waiting for") {
  Harness h;
  h.lookups.start(10, {{a0, 1500}}, t0 + 60s);
  const auto out = h.prepare();
  const auto expired = h.lookups.expire(10);
  REQUIRE(expired.has_value());
  CHECK(expired->id == 10);
  CHECK(expired->error == kwire::client_errc::timed_out);
  CHECK(expired->message.find("a/0 (not asked yet)") == std::string::npos);  // it was asked
  CHECK(expired->message.find("a/0") != std::string::npos);
  CHECK(h.lookups.take_results().empty());
  CHECK_FALSE(h.lookups.expire(10).has_value());
  h.lookups.on_response(10, out[0].request, answer({{a0, errc::none, 1, 2000, 0}}), t0);  // too late
  CHECK(h.lookups.take_results().empty());
}

TEST_CASE("ConsumerCore: offset lookups go to the leaders and come back apart from the offset resets") {
  ConsumerConfig config;
  config.bootstrap_servers = {"localhost:9092"};
  config.auto_offset_reset = OffsetResetPolicy::earliest;
  config.isolation_level = IsolationLevel::read_committed;
  config.validate();
  const auto now = ConsumerCore::Clock::now();
  ConsumerCore core(config, now);
  // a/0 is assigned (its position comes from an offset reset); b/0 is not.
  core.assign({a0});
  const ClusterView view{
      .leader = [](const TopicPartition& tp) -> std::optional<PartitionLeader> {
        return PartitionLeader{.node_id = tp.topic == "a" ? 1 : 2, .leader_epoch = 0, .topic_id = {}};
      },
      .fetch_version = [](std::int32_t) -> std::int16_t { return 12; },
      .partition_count = [](const std::string&) -> std::optional<std::int32_t> { return 1; },
      .topic_name = {},
      .cluster_topics = {}};
  const std::uint64_t id = core.lookup_offsets({{b0, protocol::list_offsets_timestamp::latest}}, now + 60s);
  CHECK(core.metadata_topics().contains("b"));
  const auto out = core.run_once(now, view);
  std::vector<std::pair<std::uint64_t, ListOffsetsRequest>> lookups;
  std::vector<std::pair<std::uint64_t, ListOffsetsRequest>> resets;
  for (const auto& o : out) {
    if (!std::holds_alternative<ListOffsetsRequest>(o.request)) continue;
    const auto& request = std::get<ListOffsetsRequest>(o.request);
    CHECK(o.route.kind == CoreRoute::Kind::node);
    CHECK(o.max_version == ListOffsetsRequest::max_version);  // the cluster layer picks min(ours, the broker's)
    (request.topics[0].name == "b" ? lookups : resets).emplace_back(o.id, request);
  }
  REQUIRE(lookups.size() == 1);
  REQUIRE(resets.size() == 1);
  CHECK(lookups[0].second.isolation_level == IsolationLevel::read_committed);

  core.on_response(lookups[0].first, answer({{b0, errc::none, 42, -1, 0}}), now);
  auto results = core.take_offset_lookups();
  REQUIRE(results.size() == 1);
  CHECK(results[0].id == id);
  CHECK(results[0].offsets.at(b0)->offset == 42);
  CHECK_FALSE(core.position(b0).has_value());  // a lookup moves no position

  core.on_response(resets[0].first, answer({{a0, errc::none, 3, -1, 0}}), now);
  CHECK(core.position(a0)->offset == 3);
  CHECK(core.take_offset_lookups().empty());

  // A lookup whose request fails for good reports it.
  const std::uint64_t failing = core.lookup_offsets({{b0, 1000}}, now + 60s);
  const auto again = core.run_once(now, view);
  for (const auto& o : again)
    if (std::holds_alternative<ListOffsetsRequest>(o.request))
      core.on_failure(o.id, make_error_code(kwire::client_errc::authentication_failed), now);
  results = core.take_offset_lookups();
  REQUIRE(results.size() == 1);
  CHECK(results[0].id == failing);
  CHECK(results[0].error == kwire::client_errc::authentication_failed);
}
