// MetadataCache: applying Metadata responses (brokers, leaders, topic ids,
// availability, KIP-320 stale epochs, KIP-951 hints) and the refresh
// bookkeeping (backoff floor, exponential growth, max age, new topics).
#include <doctest/doctest.h>

#include "support/fake_transport.hpp"
#include "kwire/cluster/metadata_cache.hpp"

using kwire::NodeId;

using namespace kwire::cluster;
using kwire::net::BrokerEndpoint;
namespace protocol = kwire::protocol;
using kwire::test::metadata_response;
using kwire::test::PartitionSpec;
using kwire::test::uuid_for;

namespace {

MetadataCache::Options options(std::int64_t backoff = 100, std::int64_t backoff_max = 1000) {
  MetadataCache::Options o;
  o.refresh_backoff_ms = backoff;
  o.refresh_backoff_max_ms = backoff_max;
  o.max_age_ms = 300000;
  o.max_idle_ms = 300000;
  o.jitter_seed = 42;
  return o;
}

std::vector<BrokerAddress> bootstrap() { return {{"seed1", 9092}, {"::1", 9093}}; }

}  // namespace

TEST_CASE("bootstrap servers are nodes -1, -2, ... until a response names the brokers") {
  MetadataCache md(options(), bootstrap());
  REQUIRE(md.bootstrap().size() == 2);
  CHECK(md.bootstrap()[0].node_id == -1);
  CHECK(md.bootstrap()[1].node_id == -2);
  CHECK(md.endpoint(NodeId{-1})->address() == "seed1:9092");
  CHECK(md.endpoint(NodeId{-2})->address() == "[::1]:9093");
  CHECK(md.endpoint(NodeId{-3}) == nullptr);
  CHECK(md.endpoint(NodeId{1}) == nullptr);
  CHECK_FALSE(md.has_cluster());
  // The first refresh is due at once.
  CHECK(md.update_due(0));
}

TEST_CASE("a response sets brokers, partitions, leaders, availability and topic ids") {
  MetadataCache md(options(), bootstrap());
  md.add_topic("t", 0);
  md.on_request_sent(0);
  auto response = metadata_response(3, "t", {{1, 5}, {2, 5}, {-1, 5}, {1, 5}});
  const MetadataUpdateResult r = md.update(response, 10);
  CHECK(r.brokers_changed);
  CHECK(r.topics_changed);
  CHECK(md.has_cluster());
  REQUIRE(md.brokers().size() == 3);
  CHECK(md.endpoint(NodeId{2})->address() == "b2:9002");
  CHECK(md.partition_count("t") == 4);
  CHECK(md.leader_of({"t", 0}) == NodeId{1});
  CHECK(md.leader_of({"t", 1}) == NodeId{2});
  CHECK_FALSE(md.leader_of({"t", 2}).has_value());  // leaderless
  CHECK_FALSE(md.leader_of({"t", 4}).has_value());  // no such partition
  CHECK_FALSE(md.leader_of({"other", 0}).has_value());
  auto available = md.available_partitions("t");
  CHECK(std::vector<std::int32_t>(available.begin(), available.end()) == std::vector<std::int32_t>{0, 1, 3});
  auto led = md.partitions_led_by(NodeId{1});
  REQUIRE(led.size() == 2);
  CHECK(led[0] == TopicPartition{"t", 0});
  CHECK(led[1] == TopicPartition{"t", 3});
  CHECK(md.partitions_led_by(NodeId{3}).empty());
  CHECK(md.topic_id("t") == uuid_for(7));
  REQUIRE(md.topic_name(uuid_for(7)) != nullptr);
  CHECK(*md.topic_name(uuid_for(7)) == "t");

  // The same answer again changes nothing.
  md.on_request_sent(20);
  const MetadataUpdateResult again = md.update(response, 30);
  CHECK_FALSE(again.brokers_changed);
  CHECK_FALSE(again.topics_changed);
}

TEST_CASE("topics we do not track are ignored; an empty request asks for brokers only") {
  MetadataCache md(options(), bootstrap());
  CHECK(md.build_request().topics.has_value());
  CHECK(md.build_request().topics->empty());
  CHECK(md.build_request().allow_auto_topic_creation);
  md.on_request_sent(0);
  md.update(metadata_response(1, "not-ours", {{1, 0}}), 1);
  CHECK(md.topic("not-ours") == nullptr);
  CHECK(md.partition_count("not-ours") == 0);

  md.add_topic("b", 2);
  md.add_topic("a", 2);
  auto request = md.build_request();
  REQUIRE(request.topics->size() == 2);
  CHECK((*request.topics)[0].name == "a");
  CHECK((*request.topics)[1].name == "b");
}

TEST_CASE("allow.auto.create.topics=false: requests naming topics do not let the broker create them") {
  MetadataCache md(options(), bootstrap());
  md.add_topic("t", 0);
  CHECK(md.build_request().allow_auto_topic_creation);
  md.set_allow_auto_topic_creation(false);
  CHECK_FALSE(md.build_request().allow_auto_topic_creation);
  REQUIRE(md.build_request().topics.has_value());
  CHECK(md.build_request().topics->size() == 1);
}

TEST_CASE("KIP-320: an older leader epoch from a lagging broker does not replace a newer one") {
  MetadataCache md(options(), bootstrap());
  md.add_topic("t", 0);
  md.on_request_sent(0);
  md.update(metadata_response(3, "t", {{2, 8}}), 1);
  md.on_request_sent(2);
  md.update(metadata_response(3, "t", {{1, 7}}), 3);
  CHECK(md.leader_of({"t", 0}) == NodeId{2});
  md.on_request_sent(4);
  md.update(metadata_response(3, "t", {{3, 9}}), 5);
  CHECK(md.leader_of({"t", 0}) == NodeId{3});
  // A recreated topic (new id) starts over.
  md.on_request_sent(6);
  md.update(metadata_response(3, "t", {{1, 0}}, uuid_for(99)), 7);
  CHECK(md.leader_of({"t", 0}) == NodeId{1});
}

TEST_CASE("KIP-951: a newer leader hint moves the partition at once; an older one is ignored") {
  MetadataCache md(options(), bootstrap());
  md.add_topic("t", 0);
  md.on_request_sent(0);
  md.update(metadata_response(2, "t", {{1, 4}, {2, 4}}), 1);
  CHECK_FALSE(md.update_leader({"t", 0}, NodeId{2}, 3));  // older epoch
  CHECK(md.leader_of({"t", 0}) == NodeId{1});
  CHECK_FALSE(md.update_leader({"t", 0}, NodeId{2}, 4));  // same epoch
  // A broker the last response did not list comes with its endpoint.
  BrokerEndpoint endpoint{7, "b7", 9007, std::nullopt};
  CHECK(md.update_leader({"t", 0}, NodeId{7}, 5, &endpoint));
  CHECK(md.leader_of({"t", 0}) == NodeId{7});
  REQUIRE(md.endpoint(NodeId{7}) != nullptr);
  CHECK(md.endpoint(NodeId{7})->address() == "b7:9007");
  auto led = md.partitions_led_by(NodeId{7});
  REQUIRE(led.size() == 1);
  CHECK(led[0] == TopicPartition{"t", 0});
  CHECK(md.partitions_led_by(NodeId{1}).empty());
  CHECK_FALSE(md.update_leader({"t", 9}, NodeId{2}, 10));  // no such partition
  CHECK_FALSE(md.update_leader({"u", 0}, NodeId{2}, 10));  // not tracked
}

TEST_CASE("refresh floor: a requested refresh waits for retry.backoff.ms after the previous one") {
  MetadataCache md(options(100, 1000), bootstrap());
  md.add_topic("t", 0);
  CHECK(md.update_due(0));
  md.on_request_sent(0);
  CHECK_FALSE(md.update_due(0));  // one in flight
  md.update(metadata_response(1, "t", {{-1, 0}}), 10);
  // A leaderless partition asks again and again: never more often than the
  // backoff (100 ms ± 20%).
  md.request_update();
  CHECK(md.time_to_next_update(10) >= 80);
  CHECK(md.time_to_next_update(10) <= 120);
  CHECK_FALSE(md.update_due(50));
  CHECK(md.update_due(10 + 120));
  // Nothing requested: the next refresh is metadata.max.age.ms away.
  MetadataCache idle(options(), bootstrap());
  idle.on_request_sent(0);
  idle.update(metadata_response(1, "", {}), 0);
  CHECK(idle.time_to_next_update(0) == 300000);
  CHECK(idle.update_due(300000));
}

TEST_CASE("failed refreshes back off exponentially up to retry.backoff.max.ms; success resets") {
  MetadataCache md(options(100, 1000), bootstrap());
  CHECK(md.backoff_ms(0) == 100);
  CHECK(md.backoff_ms(1) == 200);
  CHECK(md.backoff_ms(2) == 400);
  CHECK(md.backoff_ms(3) == 800);
  CHECK(md.backoff_ms(4) == 1000);
  CHECK(md.backoff_ms(20) == 1000);

  std::int64_t now = 0;
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 5; ++i) {
    md.on_request_sent(now);
    md.on_request_failed(now);
    waits.push_back(md.time_to_next_update(now));
    now += waits.back();
  }
  CHECK(waits[0] >= 160);
  CHECK(waits[0] <= 240);
  CHECK(waits[2] >= 640);
  CHECK(waits[4] <= 1000);
  CHECK(waits[4] >= 800);
  md.on_request_sent(now);
  md.update(metadata_response(1, "", {}), now);
  md.request_update();
  CHECK(md.time_to_next_update(now) <= 120);
}

TEST_CASE("a new topic skips the backoff once; a known one does not") {
  MetadataCache md(options(100, 1000), bootstrap());
  md.on_request_sent(0);
  md.update(metadata_response(1, "", {}), 0);
  CHECK(md.add_topic("fresh", 1));
  CHECK(md.update_due(1));
  md.on_request_sent(1);
  md.update(metadata_response(1, "fresh", {{1, 0}}), 2);
  CHECK_FALSE(md.add_topic("fresh", 3));
  md.request_update();
  CHECK_FALSE(md.update_due(3));
}

TEST_CASE("topic errors: still being created asks again, a final error does not") {
  MetadataCache md(options(), bootstrap());
  md.add_topic("creating", 0);
  md.add_topic("forbidden", 0);
  md.on_request_sent(0);
  auto response = metadata_response(1, "", {});
  protocol::MetadataResponse::Topic creating;
  creating.name = "creating";
  creating.error_code = kwire::errc::leader_not_available;
  response.topics.push_back(creating);
  md.update(response, 1);
  CHECK(md.update_requested());
  CHECK(md.topic("creating")->error == kwire::errc::leader_not_available);
  CHECK(md.partition_count("creating") == 0);

  md.on_request_sent(200);
  response.topics.clear();
  protocol::MetadataResponse::Topic forbidden;
  forbidden.name = "forbidden";
  forbidden.error_code = kwire::errc::topic_authorization_failed;
  response.topics.push_back(forbidden);
  md.update(response, 201);
  CHECK_FALSE(md.update_requested());
  CHECK(md.topic("forbidden")->error == kwire::errc::topic_authorization_failed);
}

TEST_CASE("metadata.max.idle.ms forgets topics nobody produced to") {
  auto o = options();
  o.max_idle_ms = 1000;
  MetadataCache md(o, bootstrap());
  md.add_topic("used", 0);
  md.add_topic("idle", 0);
  md.on_request_sent(0);
  md.update(metadata_response(1, "used", {{1, 0}}), 0);
  md.touch_topic("used", 900);
  CHECK(md.expire_idle_topics(1000) == 1);
  CHECK(md.wants("used"));
  CHECK_FALSE(md.wants("idle"));
  CHECK(md.expire_idle_topics(1899) == 0);
  CHECK(md.expire_idle_topics(1900) == 1);
  CHECK(md.partitions_led_by(NodeId{1}).empty());
}

TEST_CASE("KIP-1102: REBOOTSTRAP_REQUIRED forgets the brokers") {
  MetadataCache md(options(), bootstrap());
  md.on_request_sent(0);
  md.update(metadata_response(3, "", {}), 0);
  REQUIRE(md.brokers().size() == 3);
  md.on_request_sent(500);
  protocol::MetadataResponse response;
  response.error_code = kwire::errc::rebootstrap_required;
  const auto result = md.update(response, 501);
  CHECK(result.rebootstrap);
  CHECK(md.brokers().empty());
  CHECK(md.update_requested());
  CHECK(md.endpoint(NodeId{-1}) != nullptr);
}

// --- Rebootstrap (KIP-899, KIP-1102) ---------------------------------------------------

TEST_CASE("rebootstrap forgets the brokers and leaders, keeps partition counts, and asks at once") {
  MetadataCache md(options(), bootstrap());
  md.add_topic("t", 0);
  md.on_request_sent(0);
  md.update(metadata_response(2, "t", {PartitionSpec{1, 0}, PartitionSpec{2, 0}}), 10);
  REQUIRE(md.brokers().size() == 2);
  REQUIRE(md.leader_of("t", 1) == NodeId{2});
  CHECK(md.time_to_next_update(20) > 0);

  CHECK(md.rebootstrap(20));
  CHECK(md.brokers().empty());
  CHECK(md.endpoint(NodeId{1}) == nullptr);
  CHECK(md.endpoint(NodeId{-1})->address() == "seed1:9092");  // the bootstrap servers remain
  CHECK(md.partition_count("t") == 2);
  CHECK_FALSE(md.leader_of("t", 0).has_value());
  CHECK(md.partitions_led_by(NodeId{1}).empty());
  CHECK(md.time_to_next_update(20) == 0);  // past the backoff floor: the client is stuck
  CHECK(md.rebootstraps() == 1);
  CHECK_FALSE(md.rebootstrap(21));  // nothing left to forget
}

TEST_CASE("metadata.recovery.strategy=none never rebootstraps") {
  MetadataCache::Options o = options();
  o.rebootstrap = false;
  MetadataCache md(o, bootstrap());
  md.on_request_sent(0);
  md.update(metadata_response(1, "", {}), 10);
  CHECK_FALSE(md.rebootstrap(20));
  CHECK(md.brokers().size() == 1);
  CHECK_FALSE(md.rebootstrap_due(10 + 10'000'000));
}

namespace {

/// A Metadata request sent at `sent_ms`, answered 1 ms later with the
/// top-level REBOOTSTRAP_REQUIRED (Metadata v13+, KIP-1102).
MetadataUpdateResult answer_rebootstrap_required(MetadataCache& md, std::int64_t sent_ms) {
  md.on_request_sent(sent_ms);
  protocol::MetadataResponse response;
  response.error_code = kwire::errc::rebootstrap_required;
  return md.update(response, sent_ms + 1);
}

}  // namespace

TEST_CASE("KIP-1102: rebootstrap is due after metadata.recovery.rebootstrap.trigger.ms of unanswered requests") {
  MetadataCache::Options o = options();
  o.rebootstrap_trigger_ms = 5000;
  MetadataCache md(o, bootstrap());
  CHECK_FALSE(md.rebootstrap_due(100000));  // nothing known yet: bootstrap is all there is
  md.on_request_sent(0);
  md.update(metadata_response(1, "", {}), 1000);
  // Answered, and nothing asked since: however old the answer, nothing is
  // overdue (the clock is not the last answer's age).
  CHECK_FALSE(md.rebootstrap_due(1000 + 10'000'000));
  md.on_request_sent(20000);  // a refresh goes unanswered,
  md.on_request_failed(22000);
  md.on_request_sent(22100);  // and so does its retry
  CHECK_FALSE(md.rebootstrap_due(24999));
  CHECK(md.rebootstrap_due(25000));  // since the first unanswered request
  md.update(metadata_response(1, "", {}), 25500);  // an answer stops the clock
  CHECK_FALSE(md.rebootstrap_due(40000));
  md.on_request_failed(41000);  // a request that could not even be sent starts it too
  CHECK_FALSE(md.rebootstrap_due(45999));
  CHECK(md.rebootstrap_due(46000));
}

TEST_CASE("KIP-1102: a metadata.max.age.ms refresh answered in time is never a rebootstrap, however long the run") {
  MetadataCache::Options o = options();
  o.max_age_ms = 300000;
  o.rebootstrap_trigger_ms = 300000;  // both Java's defaults
  MetadataCache md(o, bootstrap());
  md.on_request_sent(0);
  md.update(metadata_response(2, "", {}), 10);
  std::int64_t now = 10;
  for (int refresh = 0; refresh < 5; ++refresh) {
    now += md.time_to_next_update(now);
    CHECK(md.update_due(now));
    CHECK_FALSE(md.rebootstrap_due(now));
    md.on_request_sent(now);
    md.update(metadata_response(2, "", {}), now + 20);
    now += 20;
  }
  CHECK(md.rebootstraps() == 0);
}

TEST_CASE("KIP-1102: the trigger clock restarts at a rebootstrap, for the bootstrap servers' turn") {
  MetadataCache::Options o = options();
  o.rebootstrap_trigger_ms = 5000;
  MetadataCache md(o, bootstrap());
  md.on_request_sent(0);
  md.update(metadata_response(1, "", {}), 10);
  md.on_request_sent(100);
  REQUIRE(md.rebootstrap(5100));
  md.on_request_sent(5200);
  md.update(metadata_response(1, "", {}), 5300);  // the bootstrap servers answer
  md.on_request_sent(9000);
  CHECK_FALSE(md.rebootstrap_due(13999));
  CHECK(md.rebootstrap_due(14000));
}

TEST_CASE("KIP-1102: REBOOTSTRAP_REQUIRED forgets the leaders too and does not count as an answer") {
  MetadataCache md(options(), bootstrap());
  md.add_topic("t", 0);
  md.on_request_sent(0);
  md.update(metadata_response(2, "t", {PartitionSpec{1, 0}, PartitionSpec{2, 0}}), 10);
  REQUIRE(md.leader_of("t", 1) == NodeId{2});
  const MetadataUpdateResult result = answer_rebootstrap_required(md, 500);
  CHECK(result.rebootstrap);
  CHECK(result.brokers_changed);
  CHECK(md.rebootstraps() == 1);
  CHECK_FALSE(md.request_in_flight());
  CHECK(md.last_success_ms() == 10);
  CHECK(md.partition_count("t") == 2);
  CHECK_FALSE(md.leader_of("t", 1).has_value());
  CHECK(md.partitions_led_by(NodeId{2}).empty());
  CHECK(md.time_to_next_update(501) == 0);  // straight to a bootstrap server
}

TEST_CASE("KIP-1102: with metadata.recovery.strategy=none REBOOTSTRAP_REQUIRED is a failed attempt") {
  MetadataCache::Options o = options();
  o.rebootstrap = false;
  MetadataCache md(o, bootstrap());
  md.add_topic("t", 0);
  md.on_request_sent(0);
  md.update(metadata_response(2, "t", {PartitionSpec{1, 0}}), 10);
  const MetadataUpdateResult result = answer_rebootstrap_required(md, 500);
  CHECK_FALSE(result.rebootstrap);
  CHECK_FALSE(result.brokers_changed);
  CHECK(md.rebootstraps() == 0);
  CHECK(md.brokers().size() == 2);
  CHECK(md.leader_of("t", 0) == NodeId{1});
  CHECK_FALSE(md.request_in_flight());
  CHECK(md.update_requested());
  CHECK(md.time_to_next_update(501) > 0);  // after the retry backoff
  CHECK(md.last_success_ms() == 10);
}

TEST_CASE("pattern subscriptions: listing every topic asks with a null list and records each answer's names") {
  MetadataCache md(options(), bootstrap());
  md.add_topic("orders-1", 0);
  md.on_request_sent(0);
  md.update(metadata_response(1, "orders-1", {{1, 0}}), 1);
  CHECK_FALSE(md.cluster_topics().has_value());
  CHECK(md.cluster_topics_generation() == 0);

  // A request for the tracked topics is in flight when the mode is turned
  // on: its answer lists only those and must not be taken for the cluster.
  md.on_request_sent(2);
  md.set_list_all_topics(true);
  auto request = md.build_request();
  CHECK_FALSE(request.topics.has_value());  // null: every topic
  CHECK_FALSE(request.allow_auto_topic_creation);
  md.update(metadata_response(1, "orders-1", {{1, 0}}), 3);
  CHECK_FALSE(md.cluster_topics().has_value());
  CHECK(md.update_due(3));  // asked again at once, past the backoff floor

  md.on_request_sent(4);
  auto all = metadata_response(1, "orders-2", {{1, 0}});
  all.topics.push_back(metadata_response(1, "orders-1", {{1, 0}}).topics.front());
  protocol::MetadataResponse::Topic internal;
  internal.name = "__consumer_offsets";
  internal.is_internal = true;
  all.topics.push_back(internal);
  protocol::MetadataResponse::Topic failed;
  failed.name = "being-deleted";
  failed.error_code = kwire::errc::unknown_topic_or_partition;
  all.topics.push_back(failed);
  const auto result = md.update(all, 5);
  CHECK(result.topics_changed);
  REQUIRE(md.cluster_topics().has_value());
  REQUIRE(md.cluster_topics()->size() == 3);  // sorted by name; the failed one left out
  CHECK((*md.cluster_topics())[0].name == "__consumer_offsets");
  CHECK((*md.cluster_topics())[0].is_internal);
  CHECK((*md.cluster_topics())[1].name == "orders-1");
  CHECK((*md.cluster_topics())[2].name == "orders-2");
  CHECK(md.topic("orders-2") == nullptr);  // details stay for tracked topics only
  CHECK(md.partition_count("orders-1") == 1);
  const auto generation = md.cluster_topics_generation();
  CHECK(generation > 0);

  // The same names again: no new generation.
  md.on_request_sent(6);
  md.update(all, 7);
  CHECK(md.cluster_topics_generation() == generation);

  md.set_list_all_topics(false);
  CHECK_FALSE(md.cluster_topics().has_value());
  CHECK(md.build_request().topics.has_value());
}
