// Cluster::request<> driven sans-I/O over FakeTransport with a scripted
// clock: routing to any broker, a leader, a coordinator (on its own lane)
// and the controller; the one retry loop (NOT_LEADER via a caller's check,
// NOT_COORDINATOR, NOT_CONTROLLER, disconnects) with refresh and backoff;
// deadlines with a detail naming the route and the last cause; final
// authentication refusals; shutdown.
#include <doctest/doctest.h>

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kwire/cluster/cluster.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/create_topics.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/heartbeat.hpp"
#include "kwire/protocol/list_offsets.hpp"
#include "kwire/protocol/metadata.hpp"
#include "support/fake_transport.hpp"

using kwire::NodeId;

using namespace kwire::cluster;
using kwire::client_errc;
using kwire::errc;
using kwire::protocol::ApiKey;
using kwire::test::FakeTransport;
namespace protocol = kwire::protocol;

namespace {

constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();

ClientConfig test_config() {
  ClientConfig c;
  c.bootstrap_servers = {"boot:9092"};
  c.retry_backoff_ms = 100;
  c.retry_backoff_max_ms = 1000;
  c.reconnect_backoff_ms = 50;
  c.reconnect_backoff_max_ms = 1000;
  c.validate();
  return c;
}

/// Brokers 1..3; topic "t" with partition 0 led by `leader`; controller 3.
protocol::MetadataResponse cluster_metadata(std::int32_t leader = 1, std::int32_t epoch = 0) {
  protocol::MetadataResponse r = kwire::test::metadata_response(3, "t", {{leader, epoch}});
  r.controller_id = 3;
  return r;
}

struct Harness {
  std::int64_t now = 10000;
  ClientConfig config = test_config();
  FakeTransport transport;
  Cluster cluster;

  Harness() : cluster(config, transport, Cluster::Hooks{[this] { return now; }, nullptr, nullptr, {}}, 11) {
    transport.other_versions[ApiKey::find_coordinator] = 4;
    transport.other_versions[ApiKey::heartbeat] = 4;
    transport.other_versions[ApiKey::list_offsets] = 7;
    transport.other_versions[ApiKey::create_topics] = 7;
  }

  /// One round plus whatever the transport posted.
  std::int64_t round() {
    transport.run_posted();
    return cluster.run_once(now);
  }

  /// Bootstrap connection up, first Metadata answered with `metadata`.
  void bootstrap(const protocol::MetadataResponse& metadata = cluster_metadata()) {
    round();
    transport.accept(-1);
    round();
    transport.reply(transport.only_pending(ApiKey::metadata, -1), metadata);
    round();
    auto_metadata = metadata;
  }

  /// Answers a pending Metadata request (if any) with `metadata`.
  void answer_metadata(const protocol::MetadataResponse& metadata) {
    for (FakeTransport::Request* r : transport.pending(ApiKey::metadata)) transport.reply(*r, metadata);
  }

  /// Rounds for `by` ms in 10 ms steps, accepting every connection attempt
  /// and answering Metadata requests with `auto_metadata` (when set).
  void advance(std::int64_t by) {
    const std::int64_t until = now + by;
    while (now < until) {
      now = std::min(until, now + 10);
      round();
      while (!transport.connects.empty()) transport.accept(transport.connects.front().node);
      if (auto_metadata) answer_metadata(*auto_metadata);
      round();
    }
  }
  std::optional<protocol::MetadataResponse> auto_metadata;
};

/// What a handler got. Shared with the handler, which may outlive the test's
/// variables (the Cluster fails what is left when the harness goes).
template <class Resp>
struct Captured {
  struct State {
    std::optional<Result<Resp>> result;
    int calls = 0;
  };
  std::shared_ptr<State> state = std::make_shared<State>();
  std::optional<Result<Resp>>& result = state->result;
  auto handler() {
    return [state = state](Result<Resp> r) {
      ++state->calls;
      state->result = std::move(r);
    };
  }
  int calls() const { return state->calls; }
};

protocol::ListOffsetsRequest list_offsets_for(const std::string& topic, std::int32_t partition) {
  protocol::ListOffsetsRequest req;
  protocol::ListOffsetsRequest::Topic t;
  t.name = topic;
  protocol::ListOffsetsRequest::Partition p;
  p.partition_index = partition;
  p.timestamp = -1;
  t.partitions.push_back(p);
  req.topics.push_back(t);
  return req;
}

protocol::ListOffsetsResponse list_offsets_answer(errc error, std::int64_t offset) {
  protocol::ListOffsetsResponse r;
  protocol::ListOffsetsResponse::Topic t;
  t.name = "t";
  protocol::ListOffsetsResponse::Partition p;
  p.partition_index = 0;
  p.error_code = error;
  p.offset = offset;
  t.partitions.push_back(p);
  r.topics.push_back(t);
  return r;
}

protocol::FindCoordinatorResponse coordinator_answer(const std::string& key, std::int32_t node) {
  protocol::FindCoordinatorResponse r;
  r.coordinators.push_back({key, node, "b" + std::to_string(node), 9000 + node, errc::none, std::nullopt, {}});
  return r;
}

/// A Heartbeat for group "g" through the cluster; FindCoordinator answered
/// with `coordinator`.
void heartbeat_via(Harness& h, Captured<protocol::HeartbeatResponse>& got, std::int32_t coordinator) {
  protocol::HeartbeatRequest hb;
  hb.group_id = "g";
  h.cluster.request(Route::group_coordinator("g"), hb, h.now + 30000, got.handler());
  h.round();
  h.round();
  h.transport.reply(h.transport.only_pending(ApiKey::find_coordinator), coordinator_answer("g", coordinator));
}

}  // namespace

TEST_CASE("Cluster: a request to any broker bootstraps, then goes to the least loaded connection") {
  Harness h;
  Captured<protocol::MetadataResponse> got;
  h.cluster.request(Route::any_broker(), protocol::MetadataRequest{}, h.now + 30000, got.handler());
  CHECK(got.calls() == 0);  // never inside request()
  h.round();
  REQUIRE(h.transport.connects.size() == 1);
  CHECK(h.transport.connects[0].node == -1);
  h.transport.accept(-1);
  h.round();
  // The cluster's own Metadata refresh and ours, both on the bootstrap connection.
  auto pending = h.transport.pending(ApiKey::metadata, -1);
  REQUIRE(pending.size() == 2);
  for (FakeTransport::Request* r : pending) h.transport.reply(*r, cluster_metadata());
  REQUIRE(got.result);
  CHECK(got.result->ok());
  REQUIRE(got.result->response);
  CHECK(got.result->response->brokers.size() == 3);
  CHECK(got.result->node == NodeId{-1});
  CHECK(got.result->version == 12);
  CHECK(got.result->attempts == 1);
  CHECK(h.cluster.pending_requests() == 0);
  CHECK(h.cluster.metadata().controller() == NodeId{3});
}

TEST_CASE("Cluster: leader route; a NOT_LEADER_OR_FOLLOWER judged by the caller refreshes metadata and retries on the new leader") {
  Harness h;
  h.bootstrap();
  Captured<protocol::ListOffsetsResponse> got;
  int checks = 0;
  h.cluster.request(
      Route::leader({"t", 0}), list_offsets_for("t", 0), h.now + 30000, got.handler(),
      [&](const protocol::ListOffsetsResponse& r, protocol::ListOffsetsRequest&) {
        ++checks;
        return r.topics.at(0).partitions.at(0).error_code == errc::not_leader_or_follower ? Retry::after_refresh
                                                                                          : Retry::no;
      });
  // "t" becomes a tracked topic: its first Metadata names leader 1.
  h.advance(50);
  CHECK(h.cluster.metadata().wants("t"));
  h.transport.reply(h.transport.only_pending(ApiKey::list_offsets, 1), list_offsets_answer(errc::not_leader_or_follower, -1));
  CHECK_FALSE(got.result);
  CHECK(h.cluster.metadata().update_requested());
  // The refresh names broker 2 as the new leader; the retry waits for it.
  h.auto_metadata = cluster_metadata(2, 1);
  h.advance(300);
  h.transport.reply(h.transport.only_pending(ApiKey::list_offsets, 2), list_offsets_answer(errc::none, 42));
  REQUIRE(got.result);
  CHECK(got.result->ok());
  CHECK(got.result->node == NodeId{2});
  CHECK(got.result->attempts == 2);
  CHECK(got.result->response->topics.at(0).partitions.at(0).offset == 42);
  CHECK(checks == 2);
}

TEST_CASE("Cluster: group coordinator route looks up the coordinator, uses its own lane, and re-looks it up after NOT_COORDINATOR") {
  Harness h;
  h.bootstrap();
  Captured<protocol::HeartbeatResponse> got;
  protocol::HeartbeatRequest hb;
  hb.group_id = "g";
  hb.generation_id = 5;
  hb.member_id = "m";
  h.cluster.request(Route::group_coordinator("g"), hb, h.now + 30000, got.handler());
  h.round();
  h.round();
  // FindCoordinator goes to a ready data connection (the bootstrap one, or a broker's).
  auto& find = h.transport.only_pending(ApiKey::find_coordinator);
  const auto asked = find.decode<protocol::FindCoordinatorRequest>();
  CHECK(asked.coordinator_keys == std::vector<std::string>{"g"});
  h.transport.reply(find, coordinator_answer("g", 2));
  h.round();
  // The coordinator lane of broker 2: transport id INT32_MAX - 2.
  REQUIRE(h.transport.pending_connect(kMax - 2));
  CHECK(h.transport.pending_connect(kMax - 2)->endpoint.host == "b2");
  h.transport.accept(kMax - 2);
  h.round();
  protocol::HeartbeatResponse not_coordinator;
  not_coordinator.error_code = errc::not_coordinator;
  h.transport.reply(h.transport.only_pending(ApiKey::heartbeat, kMax - 2), not_coordinator);
  CHECK_FALSE(got.result);
  CHECK_FALSE(h.cluster.coordinators().find({CoordinatorType::group, "g"}));
  // Following only the deadlines run_once returns (as the runtime's timer
  // does), the new lookup goes out when the backoff ends: 100 ms ±20%.
  const std::int64_t failed_at = h.now;
  std::int64_t next = h.round();
  for (int i = 0; i < 4 && h.transport.pending(ApiKey::find_coordinator).empty(); ++i) {
    h.now = next;
    next = h.round();
  }
  REQUIRE(h.transport.pending(ApiKey::find_coordinator).size() == 1);
  CHECK(h.now - failed_at >= 80);
  CHECK(h.now - failed_at <= 120);
  h.transport.reply(h.transport.only_pending(ApiKey::find_coordinator), coordinator_answer("g", 3));
  h.advance(20);
  h.transport.reply(h.transport.only_pending(ApiKey::heartbeat, kMax - 3), protocol::HeartbeatResponse{});
  REQUIRE(got.result);
  CHECK(got.result->ok());
  CHECK(got.result->node == NodeId{3});
  CHECK(got.result->attempts == 2);
}

TEST_CASE("Cluster: a coordinator request on the coordinator lane does not hold up a data request to the same broker") {
  Harness h;
  h.bootstrap();
  Captured<protocol::HeartbeatResponse> hb_got;
  Captured<protocol::ListOffsetsResponse> lo_got;
  heartbeat_via(h, hb_got, 1);
  h.cluster.request(Route::leader({"t", 0}), list_offsets_for("t", 0), h.now + 30000, lo_got.handler());
  h.advance(50);
  // Both in flight at once, on two connections to broker 1.
  auto& heartbeat = h.transport.only_pending(ApiKey::heartbeat);
  auto& offsets = h.transport.only_pending(ApiKey::list_offsets);
  CHECK(heartbeat.node == kMax - 1);
  CHECK(offsets.node == 1);
  h.transport.reply(offsets, list_offsets_answer(errc::none, 7));
  REQUIRE(lo_got.result);
  CHECK(lo_got.result->ok());
  CHECK_FALSE(hb_got.result);  // still held by the coordinator, not in the data lane's way
  h.transport.reply(heartbeat, protocol::HeartbeatResponse{});
  CHECK(hb_got.result);
}

TEST_CASE("Cluster: controller route; a per-topic NOT_CONTROLLER refreshes metadata and goes to the new controller") {
  Harness h;
  h.bootstrap();
  Captured<protocol::CreateTopicsResponse> got;
  protocol::CreateTopicsRequest create;
  protocol::CreateTopicsRequest::Topic topic;
  topic.name = "new";
  topic.num_partitions = 3;
  topic.replication_factor = 1;
  create.topics.push_back(topic);
  h.cluster.request(Route::controller(), create, h.now + 30000, got.handler(),
                    [](const protocol::CreateTopicsResponse& r, protocol::CreateTopicsRequest&) {
                      for (const auto& t : r.topics)
                        if (t.error_code == errc::not_controller) return Retry::after_refresh;
                      return Retry::no;
                    });
  h.advance(20);
  auto& first = h.transport.only_pending(ApiKey::create_topics);
  CHECK(first.node == 3);
  protocol::CreateTopicsResponse moved;
  moved.topics.push_back({});
  moved.topics[0].name = "new";
  moved.topics[0].error_code = errc::not_controller;
  h.transport.reply(first, moved);
  CHECK(h.cluster.metadata().update_requested());
  // The retry waits for the refresh, which names controller 2 (sent after
  // the refresh floor, retry.backoff.ms).
  protocol::MetadataResponse md = cluster_metadata();
  md.controller_id = 2;
  h.auto_metadata = md;
  h.advance(300);
  auto& second = h.transport.only_pending(ApiKey::create_topics);
  CHECK(second.node == 2);
  protocol::CreateTopicsResponse created;
  created.topics.push_back({});
  created.topics[0].name = "new";
  h.transport.reply(second, created);
  REQUIRE(got.result);
  CHECK(got.result->ok());
  CHECK(got.result->attempts == 2);
}

TEST_CASE("Cluster: a dropped connection is retried after the backoff; a non-routing top-level error goes to the caller") {
  Harness h;
  h.bootstrap();
  Captured<protocol::HeartbeatResponse> got;
  heartbeat_via(h, got, 2);
  h.advance(20);
  h.transport.drop(kMax - 2);
  CHECK_FALSE(got.result);
  // A disconnect forgets the coordinator: looked up again, then resent.
  h.advance(300);
  h.transport.reply(h.transport.only_pending(ApiKey::find_coordinator), coordinator_answer("g", 2));
  h.advance(100);
  protocol::HeartbeatResponse rebalance;
  rebalance.error_code = errc::rebalance_in_progress;
  h.transport.reply(h.transport.only_pending(ApiKey::heartbeat), rebalance);
  REQUIRE(got.result);
  CHECK(got.result->error == errc::rebalance_in_progress);
  REQUIRE(got.result->response);  // the decoded answer comes along
  CHECK(got.result->response->error_code == errc::rebalance_in_progress);
  CHECK(got.result->attempts == 2);
}

TEST_CASE("Cluster: at the deadline the handler gets timed_out naming the route and the last cause") {
  Harness h;
  protocol::MetadataResponse md = cluster_metadata();
  h.bootstrap(md);
  Captured<protocol::ListOffsetsResponse> got;
  const std::int64_t deadline = h.now + 2000;
  h.cluster.request(Route::leader({"missing", 0}), list_offsets_for("missing", 0), deadline, got.handler());
  h.round();
  // Metadata says the topic does not exist (yet).
  protocol::MetadataResponse unknown = md;
  unknown.topics.push_back({});
  unknown.topics.back().name = "missing";
  unknown.topics.back().error_code = errc::unknown_topic_or_partition;
  h.auto_metadata = unknown;
  for (int i = 0; i < 50 && !got.result; ++i) h.advance(100);
  REQUIRE(got.result);
  CHECK(got.result->error == client_errc::timed_out);
  CHECK(got.result->attempts == 0);
  CHECK(h.now >= deadline);
  CHECK(h.now <= deadline + 100);
  const std::string& detail = got.result->detail;
  CHECK(detail.find("ListOffsets to the leader of missing-0") != std::string::npos);
  CHECK(detail.find("last cause: no known leader for missing-0") != std::string::npos);
  CHECK(detail.find("UNKNOWN_TOPIC_OR_PARTITION") != std::string::npos);
}

TEST_CASE("Cluster: a request that keeps failing retries with growing backoff until its deadline") {
  Harness h;
  h.bootstrap();
  Captured<protocol::HeartbeatResponse> got;
  protocol::HeartbeatRequest hb;
  hb.group_id = "g";
  h.cluster.request(Route::group_coordinator("g"), hb, h.now + 3000, got.handler());
  int heartbeats = 0;
  for (int i = 0; i < 400 && !got.result; ++i) {
    for (auto* f : h.transport.pending(ApiKey::find_coordinator)) h.transport.reply(*f, coordinator_answer("g", 1));
    for (auto* r : h.transport.pending(ApiKey::heartbeat)) {
      protocol::HeartbeatResponse loading;
      loading.error_code = errc::coordinator_load_in_progress;
      h.transport.reply(*r, loading);
      ++heartbeats;
    }
    h.advance(10);
  }
  REQUIRE(got.result);
  CHECK(got.result->error == client_errc::timed_out);
  // 100, 200, 400, 800, 1000 ms (±20%) fit about 5 attempts in 3 s, not 300.
  CHECK(heartbeats >= 3);
  CHECK(heartbeats <= 7);
  CHECK(got.result->detail.find("COORDINATOR_LOAD_IN_PROGRESS") != std::string::npos);
  CHECK(got.result->detail.find("the group coordinator of 'g'") != std::string::npos);
}

TEST_CASE("Cluster: an authentication refusal is final, with the connection's detail, not a timeout later") {
  Harness h;
  h.transport.details[-1] = "SASL SCRAM-SHA-256 authentication failed on boot:9092: invalid credentials";
  Captured<protocol::MetadataResponse> got;
  h.cluster.request(Route::any_broker(), protocol::MetadataRequest{}, h.now + 30000, got.handler());
  h.round();
  h.transport.refuse(-1, make_error_code(client_errc::authentication_failed));
  h.round();
  REQUIRE(got.result);
  CHECK(got.result->error == client_errc::authentication_failed);
  CHECK(got.result->detail.find("invalid credentials") != std::string::npos);
  CHECK(got.result->attempts == 0);
  CHECK(h.cluster.pending_requests() == 0);
}

TEST_CASE("Cluster: no common version fails at once with unsupported_version") {
  Harness h;
  h.bootstrap();
  h.transport.other_versions.erase(ApiKey::list_offsets);
  Captured<protocol::ListOffsetsResponse> got;
  h.cluster.request(Route::node(NodeId{1}), list_offsets_for("t", 0), h.now + 30000, got.handler());
  h.advance(20);
  REQUIRE(got.result);
  CHECK(got.result->error == client_errc::unsupported_version);
  CHECK(got.result->detail.find("ListOffsets") != std::string::npos);
}

TEST_CASE("Cluster: shutdown fails pending requests with shutting_down and later ones at once") {
  Harness h;
  Captured<protocol::MetadataResponse> pending, late;
  h.cluster.request(Route::any_broker(), protocol::MetadataRequest{}, h.now + 30000, pending.handler());
  h.round();
  h.cluster.shutdown(make_error_code(client_errc::shutting_down));
  REQUIRE(pending.result);
  CHECK(pending.result->error == client_errc::shutting_down);
  h.cluster.request(Route::any_broker(), protocol::MetadataRequest{}, h.now + 30000, late.handler());
  REQUIRE(late.result);
  CHECK(late.result->error == client_errc::shutting_down);
  CHECK(h.cluster.run_once(h.now) == kNoDeadline);
}
