// The fetcher, sans-I/O: per-leader Fetch requests from the subscription
// state, records handed out as views max.poll.records at a time, offset
// resets, metadata errors, read_committed and corrupt data, driven with
// scripted responses and an injected clock.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kwire/consumer/fetcher.hpp"
#include "kwire/protocol/client_error.hpp"
#include "wire_batches.hpp"

using namespace kwire::consumer;
using namespace std::chrono_literals;
using kwire::errc;
using kwire::protocol::FetchRequest;
using kwire::protocol::FetchResponse;
using kwire::protocol::IsolationLevel;
using kwire::protocol::ListOffsetsResponse;
using kwire::protocol::Uuid;
using kwire::test::concat;
using kwire::test::wire_batch;
using kwire::test::wire_marker;
using kwire::test::WireRecord;

namespace {

using TimePoint = Fetcher::TimePoint;
const TimePoint t0 = TimePoint{} + 1h;

Uuid topic_uuid(std::uint8_t n) {
  Uuid u;
  u.bytes[0] = n;
  return u;
}

const TopicPartition a0{"a", 0};
const TopicPartition a1{"a", 1};

/// a/0 led by node 1, a/1 by node 2, topic id 7.
struct Harness {
  SubscriptionState subs{OffsetResetPolicy::latest};
  FetcherConfig config;
  std::unique_ptr<Fetcher> fetcher;
  std::map<TopicPartition, PartitionLeader> leaders{{a0, {.node_id = 1, .leader_epoch = 5, .topic_id = topic_uuid(7)}},
                                                    {a1, {.node_id = 2, .leader_epoch = 5, .topic_id = topic_uuid(7)}}};
  std::int16_t version = 13;

  explicit Harness(FetcherConfig c = {}) : config(c) {
    subs.assign({a0, a1});
    (void)subs.seek(a0, {.offset = 0, .leader_epoch = -1});
    (void)subs.seek(a1, {.offset = 0, .leader_epoch = -1});
    fetcher = std::make_unique<Fetcher>(config, subs);
  }

  std::vector<NodeFetch> prepare(TimePoint now = t0) {
    return fetcher->prepare_fetches(
        [this](const TopicPartition& tp) -> std::optional<PartitionLeader> {
          auto it = leaders.find(tp);
          if (it == leaders.end()) return std::nullopt;
          return it->second;
        },
        [this](std::int32_t) { return version; }, now);
  }

  NodeFetch prepare_for(std::int32_t node, TimePoint now = t0) {
    for (auto& f : prepare(now))
      if (f.node_id == node) return f;
    FAIL("no fetch for node " << node);
    return {};
  }

  std::vector<ConsumerRecord> collect() {
    std::vector<ConsumerRecord> out;
    fetcher->collect(out);
    return out;
  }
};

FetchResponse::Partition partition_with(std::int32_t index, const std::vector<std::uint8_t>& records,
                                        errc code = errc::none) {
  FetchResponse::Partition p;
  p.partition_index = index;
  p.error_code = code;
  p.high_watermark = 100;
  p.last_stable_offset = 100;
  p.log_start_offset = 0;
  if (!records.empty()) p.records = std::span<const std::uint8_t>(records);
  return p;
}

FetchResponse response_with(std::vector<FetchResponse::Partition> partitions, std::int32_t session_id = 0) {
  FetchResponse r;
  r.session_id = session_id;
  FetchResponse::Topic t;
  t.topic = "a";
  t.topic_id = topic_uuid(7);
  t.partitions = std::move(partitions);
  r.responses.push_back(std::move(t));
  return r;
}

std::vector<std::int64_t> offsets(const std::vector<ConsumerRecord>& records) {
  std::vector<std::int64_t> out;
  for (const auto& r : records) out.push_back(r.offset);
  return out;
}

std::string text(const std::optional<Bytes>& b) {
  if (!b) return "<null>";
  return {reinterpret_cast<const char*>(b->data()), b->size()};
}

std::vector<WireRecord> values(std::initializer_list<const char*> vs) {
  std::vector<WireRecord> out;
  for (const char* v : vs) out.push_back({.key = std::nullopt, .value = v, .headers = {}});
  return out;
}

}  // namespace

TEST_CASE("Fetcher: one Fetch per leader with the configured limits, records as views, positions advanced") {
  FetcherConfig config;
  config.params.max_wait_ms = 250;
  config.params.min_bytes = 10;
  config.params.max_bytes = 4096;
  config.params.rack_id = "r1";
  config.max_partition_fetch_bytes = 1024;
  Harness h(config);
  auto fetches = h.prepare();
  REQUIRE(fetches.size() == 2);
  const FetchRequest& req = fetches[0].request;
  CHECK(fetches[0].node_id == 1);
  CHECK(fetches[0].version == 13);
  CHECK(req.max_wait_ms == 250);
  CHECK(req.min_bytes == 10);
  CHECK(req.max_bytes == 4096);
  CHECK(req.rack_id == "r1");
  CHECK(req.session_epoch == 0);  // a full request opening a KIP-227 session
  REQUIRE(req.topics.size() == 1);
  CHECK(req.topics[0].topic_id == topic_uuid(7));
  REQUIRE(req.topics[0].partitions.size() == 1);
  CHECK(req.topics[0].partitions[0].partition == 0);
  CHECK(req.topics[0].partitions[0].current_leader_epoch == 5);
  CHECK(req.topics[0].partitions[0].partition_max_bytes == 1024);
  // In flight: nothing more for either node.
  CHECK(h.prepare().empty());

  auto buffer = std::make_shared<std::vector<std::uint8_t>>(
      wire_batch({{.key = "k0", .value = "v0", .headers = {{"h", "x"}}}, {.key = "k1", .value = "v1", .headers = {}}},
                 {.base_offset = 0, .leader_epoch = 5}));
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, *buffer)}, 99), buffer, t0);
  std::weak_ptr<std::vector<std::uint8_t>> alive = buffer;
  buffer.reset();  // the fetcher keeps the response alive while its records are out
  auto records = h.collect();
  REQUIRE(records.size() == 2);
  CHECK(records[0].topic == "a");
  CHECK(records[0].partition == 0);
  CHECK(records[0].offset == 0);
  CHECK(records[0].leader_epoch == 5);
  CHECK(text(records[0].key) == "k0");
  CHECK(text(records[0].value) == "v0");
  CHECK(text(records[0].headers.last("h")->value) == "x");
  CHECK(text(records[1].value) == "v1");
  CHECK(h.subs.position(a0) == FetchPosition{.offset = 2, .leader_epoch = 5});
  CHECK(h.fetcher->watermarks().at(a0).high_watermark == 100);
  CHECK_FALSE(alive.expired());
  // The next collect() retires what the previous one handed out.
  CHECK(h.collect().empty());
  CHECK(alive.expired());

  // The session is incremental now, from the new position.
  auto next = h.prepare_for(1);
  CHECK(next.request.session_id == 99);
  CHECK(next.request.session_epoch == 1);
  REQUIRE(next.request.topics.size() == 1);
  CHECK(next.request.topics[0].partitions[0].fetch_offset == 2);
}

const FetchRequest::Partition* find_partition(const FetchRequest& request, std::int32_t index) {
  for (const auto& topic : request.topics)
    for (const auto& p : topic.partitions)
      if (p.partition == index) return &p;
  return nullptr;
}

TEST_CASE("Fetcher: max.poll.records bounds each collect; buffered partitions are read ahead, two responses deep") {
  FetcherConfig config;
  config.max_poll_records = 2;
  Harness h(config);
  h.leaders[a1].node_id = 1;  // one broker leads both partitions
  auto first = h.prepare_for(1);
  REQUIRE(first.request.topics.size() == 1);
  CHECK(first.request.topics[0].partitions.size() == 2);
  // a/0 has five records, a/1 is at its end.
  const auto bytes = wire_batch(values({"0", "1", "2", "3", "4"}));
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, bytes), partition_with(1, {})}, 99), nullptr,
                               t0);  // copied
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{0, 1});
  CHECK(h.subs.position(a0)->offset == 2);

  // The next Fetch still covers a/0, from where its buffered data ends: one
  // that named only a/1 (at its end) would park for fetch.max.wait.ms.
  auto second = h.prepare_for(1);
  CHECK(second.request.session_epoch == 1);
  const auto* ahead = find_partition(second.request, 0);
  REQUIRE(ahead != nullptr);
  CHECK(ahead->fetch_offset == 5);
  CHECK(find_partition(second.request, 1) == nullptr);  // unchanged: stays in the session unlisted
  CHECK(second.request.forgotten_topics_data.empty());
  CHECK(h.prepare().empty());  // in flight

  const auto later = wire_batch(values({"5", "6"}), {.base_offset = 5});
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, later)}, 99), nullptr, t0);
  // Two responses buffered for a/0: it leaves the session until one is used up; a/1 is still fetched.
  auto third = h.prepare_for(1);
  CHECK(find_partition(third.request, 0) == nullptr);
  REQUIRE(third.request.forgotten_topics_data.size() == 1);
  CHECK(third.request.forgotten_topics_data[0].partitions == std::vector<std::int32_t>{0});
  h.fetcher->on_fetch_response(1, response_with({partition_with(1, {})}, 99), nullptr, t0);

  // The records come out in order across the two responses.
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{2, 3});
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{4, 5});
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{6});
  CHECK(h.subs.position(a0)->offset == 7);
  CHECK(find_partition(h.prepare_for(1).request, 0)->fetch_offset == 7);
}

TEST_CASE("Fetcher: no Fetch of only partitions at their end while a partition waits for its buffered data to drain") {
  FetcherConfig config;
  config.max_poll_records = 1;
  Harness h(config);
  h.leaders[a1].node_id = 1;  // one broker leads both partitions
  (void)h.prepare_for(1);
  auto at_end = partition_with(1, {});
  at_end.high_watermark = 0;
  at_end.last_stable_offset = 0;
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, wire_batch(values({"0", "1"}))), at_end}, 99),
                               nullptr, t0);
  REQUIRE(find_partition(h.prepare_for(1).request, 0) != nullptr);  // a/0 read ahead from 2
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, wire_batch(values({"2"}), {.base_offset = 2}))}, 99),
                               nullptr, t0);
  // a/0 holds two responses, a/1 is at its end: a Fetch of a/1 alone would
  // park for fetch.max.wait.ms while a/0 drains.
  CHECK(h.prepare().empty());
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{0});
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{1});
  CHECK(h.prepare().empty());  // the first response is not used up until the walk passes its end
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{2});
  const auto next = h.prepare_for(1);
  const auto* ahead = find_partition(next.request, 0);
  REQUIRE(ahead != nullptr);
  CHECK(ahead->fetch_offset == 3);
}

TEST_CASE("Fetcher: data read ahead is dropped with the buffered data it follows; errors there wait for the position") {
  FetcherConfig config;
  config.max_poll_records = 1;
  Harness h(config);
  (void)h.prepare();
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, wire_batch(values({"0", "1", "2"})))}), nullptr,
                               t0);
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{0});
  REQUIRE(find_partition(h.prepare_for(1).request, 0)->fetch_offset == 3);

  SUBCASE("a seek drops the buffered data: the answer read ahead of it is stale") {
    (void)h.subs.seek(a0, {.offset = 1, .leader_epoch = -1});
    h.fetcher->drop_buffered(a0);
    h.fetcher->on_fetch_response(1, response_with({partition_with(0, wire_batch(values({"3"}), {.base_offset = 3}))}),
                                 nullptr, t0);
    CHECK(h.collect().empty());
    CHECK(h.subs.position(a0)->offset == 1);
    CHECK(find_partition(h.prepare_for(1).request, 0)->fetch_offset == 1);
  }
  SUBCASE("OFFSET_OUT_OF_RANGE ahead of the position is not the application's error (yet)") {
    h.fetcher->on_fetch_response(1, response_with({partition_with(0, {}, errc::offset_out_of_range)}), nullptr, t0);
    CHECK(h.fetcher->take_errors().empty());
    CHECK(offsets(h.collect()) == std::vector<std::int64_t>{1});
    CHECK(h.subs.position(a0)->offset == 2);
    CHECK(h.subs.pending_resets().empty());
  }
}

TEST_CASE("Fetcher: a partition revoked and assigned again before the session forgot it is fetched in full") {
  Harness h;
  h.leaders[a1].node_id = 1;  // one broker, one session for both partitions
  (void)h.prepare_for(1);
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, {}), partition_with(1, {})}, 99), nullptr, t0);
  REQUIRE(h.fetcher->watermarks().contains(a0));
  REQUIRE(h.prepare_for(1).request.session_epoch == 1);  // incremental from now on
  h.fetcher->on_fetch_response(1, response_with({}, 99), nullptr, t0);

  // A rebalance takes a/0 away and gives it back between two requests: the
  // broker's session never forgot it, and an incremental answer would not
  // report its high watermark again (kwire consume -e waited for it forever).
  h.subs.assign({a1});
  h.fetcher->drop_unassigned();
  CHECK_FALSE(h.fetcher->watermarks().contains(a0));
  h.subs.assign({a0, a1});
  (void)h.subs.seek(a0, {.offset = 0, .leader_epoch = -1});
  auto again = h.prepare_for(1);
  CHECK(again.request.session_id == 99);
  CHECK(again.request.session_epoch == 0);
  CHECK(find_partition(again.request, 0) != nullptr);
  CHECK(find_partition(again.request, 1) != nullptr);
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, {}), partition_with(1, {})}, 99), nullptr, t0);
  CHECK(h.fetcher->watermarks().contains(a0));
}

TEST_CASE("Fetcher: records before the position in a compressed batch are skipped") {
  Harness h;
  (void)h.subs.seek(a0, {.offset = 12, .leader_epoch = -1});
  (void)h.prepare();
  const auto bytes = wire_batch(values({"10", "11", "12", "13"}),
                                {.base_offset = 10, .codec = kwire::compression::Codec::lz4});
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, bytes)}), nullptr, t0);
  const auto records = h.collect();
  CHECK(offsets(records) == std::vector<std::int64_t>{12, 13});
  CHECK(text(records[1].value) == "13");
}

TEST_CASE("Fetcher: a partial batch at the end of a response is left for the next fetch") {
  Harness h;
  (void)h.prepare();
  const auto first = wire_batch(values({"0", "1"}));
  const auto second = wire_batch(values({"2"}), {.base_offset = 2});
  auto bytes = concat({first, second});
  bytes.resize(first.size() + second.size() / 2);
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, bytes)}), nullptr, t0);
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{0, 1});
  CHECK(h.fetcher->take_errors().empty());
  CHECK(h.prepare_for(1).request.topics[0].partitions[0].fetch_offset == 2);
}

TEST_CASE("Fetcher: an answer to a position the application moved away from is dropped") {
  Harness h;
  (void)h.prepare();
  (void)h.subs.seek(a0, {.offset = 50, .leader_epoch = -1});
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, wire_batch(values({"0"})))}), nullptr, t0);
  CHECK(h.collect().empty());
  CHECK(h.subs.position(a0)->offset == 50);
  // Data buffered before a seek is dropped too.
  h.fetcher->on_fetch_response(1, {}, nullptr, t0);
  auto fetch = h.prepare_for(1);
  const auto bytes = wire_batch(values({"50"}), {.base_offset = 50});
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, bytes)}), nullptr, t0);
  (void)h.subs.seek(a0, {.offset = 7, .leader_epoch = -1});
  CHECK(h.collect().empty());
}

TEST_CASE("Fetcher: OFFSET_OUT_OF_RANGE resets through ListOffsets under auto.offset.reset") {
  Harness h;
  (void)h.prepare();
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, {}, errc::offset_out_of_range)}), nullptr, t0);
  CHECK_FALSE(h.subs.is_fetchable(a0));
  auto leaders = [&h](const TopicPartition& tp) -> std::optional<PartitionLeader> { return h.leaders.at(tp); };
  auto resets = h.fetcher->prepare_resets(leaders, t0);
  REQUIRE(resets.size() == 1);
  CHECK(resets[0].node_id == 1);
  REQUIRE(resets[0].request.topics.size() == 1);
  CHECK(resets[0].request.topics[0].partitions[0].timestamp == -1);  // latest
  CHECK(resets[0].request.topics[0].partitions[0].current_leader_epoch == 5);
  CHECK(h.fetcher->prepare_resets(leaders, t0).empty());  // in flight

  ListOffsetsResponse answer;
  answer.topics.push_back({.name = "a", .partitions = {{.partition_index = 0, .error_code = errc::none,
                                                        .timestamp = -1, .offset = 42, .leader_epoch = 5,
                                                        .unknown_tags = {}}},
                           .unknown_tags = {}});
  h.fetcher->on_list_offsets_response(1, resets[0].request, answer, t0);
  CHECK(h.subs.position(a0) == FetchPosition{.offset = 42, .leader_epoch = 5});
  CHECK(h.prepare_for(1).request.topics[0].partitions[0].fetch_offset == 42);
}

TEST_CASE("Fetcher: OFFSET_OUT_OF_RANGE with auto.offset.reset=none is the application's error") {
  Harness h;
  h.subs = SubscriptionState(OffsetResetPolicy::none);
  h.subs.assign({a0});
  (void)h.subs.seek(a0, {.offset = 3, .leader_epoch = -1});
  (void)h.prepare();
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, {}, errc::offset_out_of_range)}), nullptr, t0);
  auto errors = h.fetcher->take_errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].partition == a0);
  CHECK(errors[0].error == make_error_code(errc::offset_out_of_range));
  CHECK(errors[0].message.find("a/0") != std::string::npos);
  CHECK_FALSE(h.subs.position(a0).has_value());
  CHECK(h.prepare().empty());
}

TEST_CASE("Fetcher: NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH ask for metadata and keep the position") {
  for (errc code : {errc::not_leader_or_follower, errc::fenced_leader_epoch}) {
    Harness h;
    (void)h.subs.seek(a0, {.offset = 9, .leader_epoch = 4});
    (void)h.prepare();
    auto p = partition_with(0, {}, code);
    p.current_leader.leader_id = 2;
    p.current_leader.leader_epoch = 6;
    h.fetcher->on_fetch_response(1, response_with({p}), nullptr, t0);
    CHECK(h.fetcher->take_metadata_refresh());
    CHECK_FALSE(h.fetcher->take_metadata_refresh());
    auto hints = h.fetcher->take_leader_hints();
    REQUIRE(hints.size() == 1);
    CHECK(hints[0].leader_id == 2);
    CHECK(hints[0].leader_epoch == 6);
    CHECK(h.fetcher->take_errors().empty());
    CHECK(h.subs.position(a0) == FetchPosition{.offset = 9, .leader_epoch = 4});
    // The new leader is asked from the same position.
    h.leaders[a0].node_id = 2;
    h.fetcher->on_fetch_response(2, response_with({}), nullptr, t0);
    auto fetch = h.prepare_for(2);
    CHECK(fetch.request.topics[0].partitions.size() == 2);
  }
}

TEST_CASE("Fetcher: a partition without a leader asks for metadata and is not fetched") {
  Harness h;
  h.leaders.erase(a1);
  auto fetches = h.prepare();
  REQUIRE(fetches.size() == 1);
  CHECK(fetches[0].node_id == 1);
  CHECK(h.fetcher->take_metadata_refresh());
}

TEST_CASE("Fetcher: read_committed drops aborted transactions, never surfaces markers, moves past both") {
  FetcherConfig config;
  config.params.isolation_level = IsolationLevel::read_committed;
  Harness h(config);
  (void)h.prepare();
  const auto bytes = concat({
      wire_batch(values({"plain"}), {.base_offset = 0}),
      wire_batch(values({"aborted1", "aborted2"}), {.base_offset = 1, .producer_id = 77, .transactional = true}),
      wire_marker(3, 77, 0),  // ABORT
      wire_batch(values({"committed"}), {.base_offset = 4, .producer_id = 77, .transactional = true}),
      wire_marker(5, 77, 1),  // COMMIT
  });
  auto p = partition_with(0, bytes);
  p.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>{{.producer_id = 77, .first_offset = 1,
                                                                             .unknown_tags = {}}};
  h.fetcher->on_fetch_response(1, response_with({p}), nullptr, t0);
  const auto records = h.collect();
  REQUIRE(offsets(records) == std::vector<std::int64_t>{0, 4});
  CHECK(text(records[1].value) == "committed");
  CHECK(h.subs.position(a0)->offset == 6);

  // read_uncommitted (same bytes): the aborted records surface, markers still do not.
  Harness u;
  (void)u.prepare();
  u.fetcher->on_fetch_response(1, response_with({partition_with(0, bytes)}), nullptr, t0);
  CHECK(offsets(u.collect()) == std::vector<std::int64_t>{0, 1, 2, 4});
  CHECK(u.subs.position(a0)->offset == 6);
}

TEST_CASE("Fetcher: a fetch of only aborted data still advances the position") {
  FetcherConfig config;
  config.params.isolation_level = IsolationLevel::read_committed;
  Harness h(config);
  (void)h.prepare();
  const auto bytes = concat({wire_batch(values({"x"}), {.base_offset = 0, .producer_id = 3, .transactional = true}),
                             wire_marker(1, 3, 0)});
  auto p = partition_with(0, bytes);
  p.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>{{.producer_id = 3, .first_offset = 0,
                                                                             .unknown_tags = {}}};
  h.fetcher->on_fetch_response(1, response_with({p}), nullptr, t0);
  CHECK(h.collect().empty());
  CHECK(h.subs.position(a0)->offset == 2);
}

TEST_CASE("Fetcher: a corrupt batch is an error naming topic, partition and offset; no crash, no skip") {
  Harness h;
  (void)h.subs.seek(a0, {.offset = 20, .leader_epoch = -1});
  (void)h.prepare();
  auto good = wire_batch(values({"20"}), {.base_offset = 20});
  auto bad = wire_batch(values({"21"}), {.base_offset = 21});
  bad.back() ^= 0xff;
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, concat({good, bad}))}), nullptr, t0);
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{20});
  auto errors = h.fetcher->take_errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].error == make_error_code(kwire::client_errc::crc_mismatch));
  CHECK(errors[0].offset == 21);
  CHECK(errors[0].message.find("a/0 at offset 21") != std::string::npos);
  CHECK(h.subs.position(a0)->offset == 21);  // not skipped
  // Not fetched again at the corrupt offset (node 2 is still in flight) ...
  CHECK(h.prepare().empty());
  // ... until the application seeks past it.
  (void)h.subs.seek(a0, {.offset = 22, .leader_epoch = -1});
  CHECK(h.prepare_for(1).request.topics[0].partitions[0].fetch_offset == 22);
}

TEST_CASE("Fetcher: without topic ids the request stays at Fetch v12 and answers match by name") {
  Harness h;
  h.leaders[a0].topic_id = Uuid{};
  h.leaders[a1].topic_id = Uuid{};
  auto fetch = h.prepare_for(1);
  CHECK(fetch.version == 12);
  const auto bytes = wire_batch(values({"0"}));
  auto r = response_with({partition_with(0, bytes)});
  r.responses[0].topic_id = Uuid{};
  h.fetcher->on_fetch_response(1, r, nullptr, t0);
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{0});
}

TEST_CASE("Fetcher: a failed Fetch backs the broker off, resets its session and asks for metadata") {
  FetcherConfig config;
  config.retry_backoff = 100ms;
  Harness h(config);
  (void)h.prepare();
  h.fetcher->on_fetch_response(1, response_with({}, 5), nullptr, t0);
  CHECK(h.prepare_for(1).request.session_epoch == 1);
  h.fetcher->on_fetch_failed(1, make_error_code(kwire::client_errc::disconnected), t0);
  CHECK(h.fetcher->take_metadata_refresh());
  CHECK(h.prepare(t0 + 50ms).empty());
  CHECK(h.fetcher->next_wakeup(t0 + 50ms) == t0 + 100ms);
  auto retry = h.prepare_for(1, t0 + 100ms);
  CHECK(retry.request.session_id == 5);
  CHECK(retry.request.session_epoch == 0);  // full, under the same id
}

TEST_CASE("Fetcher: paused partitions keep their buffered data for resume()") {
  Harness h;
  (void)h.prepare();
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, wire_batch(values({"0", "1"})))}), nullptr, t0);
  h.subs.pause({a0});
  CHECK(h.collect().empty());
  h.subs.resume({a0});
  CHECK(offsets(h.collect()) == std::vector<std::int64_t>{0, 1});
}

TEST_CASE("Fetcher: KIP-392 preferred read replica is followed, and dropped on its error") {
  Harness h;
  (void)h.prepare();
  auto p = partition_with(0, {});
  p.preferred_read_replica = 3;
  h.fetcher->on_fetch_response(1, response_with({p}), nullptr, t0);
  auto fetch = h.prepare_for(3);
  CHECK(fetch.request.topics[0].partitions[0].partition == 0);
  h.fetcher->on_fetch_response(3, response_with({partition_with(0, {}, errc::not_leader_or_follower)}), nullptr, t0);
  CHECK(h.prepare_for(1).request.topics[0].partitions[0].partition == 0);
}

TEST_CASE("Fetcher: queued.max.messages.kbytes across partitions: no Fetch while the buffer is full, resumed by poll") {
  // Eight partitions over two brokers, room for three responses in all.
  const auto two = wire_batch(values({"x", "y"}));
  FetcherConfig config;
  config.max_poll_records = 3;
  config.max_buffered_bytes = 3 * two.size();
  Harness h(config);
  std::vector<TopicPartition> all;
  for (std::int32_t i = 0; i < 8; ++i) {
    all.push_back({"a", i});
    h.leaders[{"a", i}] = {.node_id = 1 + i % 2, .leader_epoch = 5, .topic_id = topic_uuid(7)};
  }
  h.subs.assign(all);
  for (const auto& tp : all) (void)h.subs.seek(tp, {.offset = 0, .leader_epoch = -1});

  auto first = h.prepare();
  REQUIRE(first.size() == 2);
  // A Fetch asks for no more than the room left.
  CHECK(first[0].request.max_bytes == static_cast<std::int32_t>(3 * two.size()));
  // Broker 1 answers for its four partitions: more than the bound.
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, two), partition_with(2, two), partition_with(4, two),
                                                 partition_with(6, two)}),
                               nullptr, t0);
  h.fetcher->on_fetch_response(2, response_with({}), nullptr, t0);
  CHECK(h.fetcher->buffered_bytes() == 4 * two.size());

  // Full: neither broker is asked, however long the application waits.
  CHECK(h.prepare(t0 + 1s).empty());
  CHECK(h.prepare(t0 + 10s).empty());
  CHECK(h.fetcher->held_by_buffer_cap());
  CHECK(h.fetcher->counters().buffer_full_rounds == 2);

  // poll() hands out a/0 whole and one record of a/2: still three responses held.
  CHECK(h.collect().size() == 3);
  CHECK(h.fetcher->buffered_bytes() == 3 * two.size());
  CHECK(h.prepare().empty());
  // The next poll() finishes a/2 and takes a/4: room for one response.
  CHECK(h.collect().size() == 3);
  CHECK(h.fetcher->buffered_bytes() == 2 * two.size());
  auto resumed = h.prepare();
  REQUIRE_FALSE(resumed.empty());
  CHECK_FALSE(h.fetcher->held_by_buffer_cap());
  for (const auto& f : resumed) CHECK(f.request.max_bytes == static_cast<std::int32_t>(two.size()));

  // Nothing was dropped: every record of the first answer comes out, in order per partition.
  CHECK(h.collect().size() == 2);
  for (std::int32_t i : {0, 2, 4, 6}) CHECK(h.subs.position({"a", i})->offset == 2);

  // Data of paused partitions does not hold the others back: it cannot
  // drain until resume().
  const auto next = wire_batch(values({"x", "y"}), {.base_offset = 2});
  h.fetcher->on_fetch_response(
      1, response_with({partition_with(0, next), partition_with(2, next), partition_with(4, next)}), nullptr, t0);
  h.fetcher->on_fetch_response(2, response_with({}), nullptr, t0);
  CHECK(h.prepare().empty());  // three responses buffered: full
  h.subs.pause({{"a", 0}, {"a", 2}});
  CHECK_FALSE(h.prepare().empty());
  CHECK(h.fetcher->buffered_bytes() == 3 * two.size());  // still held, for resume()
}

TEST_CASE("Fetcher: counters for statistics: requests, responses, latency, bytes fetched and handed out") {
  Harness h;
  const auto bytes = wire_batch(
      {{.key = "k", .value = "value", .headers = {}}, {.key = std::nullopt, .value = "v2", .headers = {}}});
  REQUIRE(h.prepare().size() == 2);
  h.fetcher->on_fetch_response(1, response_with({partition_with(0, bytes)}), nullptr, t0 + 30ms);
  h.fetcher->on_fetch_failed(2, make_error_code(errc::network_exception), t0 + 40ms);
  const FetchCounters& c = h.fetcher->counters();
  CHECK(c.fetch_requests == 2);
  CHECK(c.fetch_responses == 1);
  CHECK(c.fetch_failures == 1);
  CHECK(c.bytes_fetched == bytes.size());
  CHECK(c.latency_samples == 1);
  REQUIRE(c.latency_window_us.size() == 1);
  CHECK(c.latency_window_us[0] == 30000);
  const auto per_partition = h.fetcher->buffered();
  REQUIRE(per_partition.contains(a0));
  CHECK(per_partition.at(a0).bytes == bytes.size());
  CHECK(per_partition.at(a0).offsets == 2);
  CHECK(c.records_consumed == 0);

  CHECK(h.collect().size() == 2);
  CHECK(c.records_consumed == 2);
  CHECK(c.bytes_consumed == 1 + 5 + 2);  // keys and values
  CHECK(h.fetcher->buffered_bytes() == 0);  // walked to its end: no longer buffered

  // A lost fetch session (KIP-227) is counted, and the next Fetch is a full one.
  auto again = h.prepare_for(1, t0 + 1s);
  FetchResponse lost;
  lost.error_code = errc::fetch_session_id_not_found;
  h.fetcher->on_fetch_response(1, lost, nullptr, t0 + 1s);
  CHECK(c.fetch_session_resets == 1);
  CHECK(c.fetch_responses == 2);
}
