// KIP-227 fetch session bookkeeping: full vs incremental requests, epochs,
// forgotten partitions, and the fall-backs to a full request.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "kwire/consumer/fetch_session.hpp"
#include "kwire/protocol/message.hpp"

using namespace kwire::consumer;
using kwire::errc;
using kwire::protocol::FetchRequest;
using kwire::protocol::FetchResponse;
using kwire::protocol::Uuid;

namespace {

Uuid id(std::uint8_t n) {
  Uuid u;
  u.bytes[15] = n;
  return u;
}

PartitionFetch at(std::int64_t offset, Uuid topic_id = id(1), std::int32_t leader_epoch = 3) {
  return {.topic_id = topic_id, .fetch_offset = offset, .current_leader_epoch = leader_epoch,
          .partition_max_bytes = 1 << 20};
}

/// topic-partition -> offset, as listed in the request.
std::map<TopicPartition, std::int64_t> listed(const FetchRequest& r) {
  std::map<TopicPartition, std::int64_t> out;
  for (const auto& t : r.topics)
    for (const auto& p : t.partitions) out[{t.topic, p.partition}] = p.fetch_offset;
  return out;
}

std::vector<TopicPartition> forgotten(const FetchRequest& r) {
  std::vector<TopicPartition> out;
  for (const auto& t : r.forgotten_topics_data)
    for (auto p : t.partitions) out.push_back({t.topic, p});
  return out;
}

FetchResponse ok(std::int32_t session_id) {
  FetchResponse r;
  r.session_id = session_id;
  return r;
}

FetchResponse failed(errc e) {
  FetchResponse r;
  r.error_code = e;
  return r;
}

/// A full request (epoch 0) under `session_id` listing `count` partitions.
void check_full(const FetchRequest& r, std::int32_t session_id, std::size_t count) {
  CHECK(r.session_id == session_id);
  CHECK(r.session_epoch == 0);
  CHECK(listed(r).size() == count);
}

const FetchParams params{.max_wait_ms = 100, .min_bytes = 1, .max_bytes = 1 << 24,
                         .isolation_level = kwire::protocol::IsolationLevel::read_committed, .rack_id = "r1"};

}  // namespace

TEST_CASE("before Fetch v7 every request is full and sessionless") {
  FetchSession session;
  FetchTargets targets{{{"a", 0}, at(10)}, {{"a", 1}, at(20)}};
  for (int i = 0; i < 2; ++i) {
    auto r = session.build_request(targets, 6, params);
    CHECK(r.session_id == 0);
    CHECK(r.session_epoch == -1);
    CHECK(listed(r).size() == 2);
    CHECK_FALSE(session.handle_response(ok(0)));
  }
}

TEST_CASE("a session: one full request, then only what changed, epochs counting up") {
  FetchSession session;
  FetchTargets targets{{{"a", 0}, at(10)}, {{"a", 1}, at(20)}, {{"b", 0}, at(5, id(2))}};
  auto full = session.build_request(targets, 12, params);
  check_full(full, 0, 3);
  CHECK(full.isolation_level == kwire::protocol::IsolationLevel::read_committed);
  CHECK(full.rack_id == "r1");
  CHECK(full.max_wait_ms == 100);
  REQUIRE(full.topics.size() == 2);  // grouped by topic
  CHECK(full.topics[0].partitions.size() == 2);
  CHECK_FALSE(session.handle_response(ok(77)));
  CHECK(session.session_id() == 77);
  CHECK(session.next_epoch() == 1);

  // Nothing changed: an empty incremental request.
  auto idle = session.build_request(targets, 12, params);
  CHECK(idle.session_id == 77);
  CHECK(idle.session_epoch == 1);
  CHECK(idle.topics.empty());
  CHECK(idle.forgotten_topics_data.empty());
  CHECK_FALSE(session.handle_response(ok(77)));

  // a-0 moved on, b-1 is new, a-1 is no longer wanted, b-0 got a new leader epoch.
  targets[{"a", 0}] = at(15);
  targets[{"b", 1}] = at(0, id(2));
  targets.erase({"a", 1});
  targets[{"b", 0}].current_leader_epoch = 4;
  auto changes = session.build_request(targets, 12, params);
  CHECK(changes.session_epoch == 2);
  CHECK(listed(changes) == std::map<TopicPartition, std::int64_t>{{{"a", 0}, 15}, {{"b", 0}, 5}, {{"b", 1}, 0}});
  CHECK(forgotten(changes) == std::vector<TopicPartition>{{"a", 1}});
  CHECK_FALSE(session.handle_response(ok(77)));
  CHECK(session.next_epoch() == 3);

  // The requests encode at the version they were built for.
  std::vector<std::uint8_t> bytes;
  CHECK_FALSE(kwire::protocol::encode_message(changes, 12, bytes));
}

TEST_CASE("the broker giving no session (id 0) keeps every request full") {
  FetchSession session;
  FetchTargets targets{{{"a", 0}, at(1)}};
  (void)session.build_request(targets, 13, params);
  CHECK_FALSE(session.handle_response(ok(0)));
  auto again = session.build_request(targets, 13, params);
  check_full(again, 0, 1);
}

TEST_CASE("session errors fall back to a full request") {
  FetchSession session;
  FetchTargets targets{{{"a", 0}, at(1)}, {{"a", 1}, at(2)}};
  (void)session.build_request(targets, 12, params);
  REQUIRE_FALSE(session.handle_response(ok(9)));
  (void)session.build_request(targets, 12, params);
  REQUIRE_FALSE(session.handle_response(ok(9)));
  REQUIRE(session.next_epoch() == 2);

  SUBCASE("FETCH_SESSION_ID_NOT_FOUND: a new session, id 0") {
    (void)session.build_request(targets, 12, params);
    CHECK(session.handle_response(failed(errc::fetch_session_id_not_found)) == errc::fetch_session_id_not_found);
    auto full = session.build_request(targets, 12, params);
    check_full(full, 0, 2);
  }
  SUBCASE("INVALID_FETCH_SESSION_EPOCH: full under the same id (closes the old session)") {
    (void)session.build_request(targets, 12, params);
    CHECK(session.handle_response(failed(errc::invalid_fetch_session_epoch)) == errc::invalid_fetch_session_epoch);
    auto full = session.build_request(targets, 12, params);
    check_full(full, 9, 2);
    CHECK_FALSE(session.handle_response(ok(10)));
    CHECK(session.session_id() == 10);
    CHECK(session.next_epoch() == 1);
  }
  SUBCASE("FETCH_SESSION_TOPIC_ID_ERROR behaves the same") {
    (void)session.build_request(targets, 13, params);
    CHECK(session.handle_response(failed(errc::fetch_session_topic_id_error)) == errc::fetch_session_topic_id_error);
    CHECK(session.build_request(targets, 13, params).session_epoch == 0);
  }
  SUBCASE("no response at all: full, and the epoch did not advance before") {
    auto lost = session.build_request(targets, 12, params);
    CHECK(lost.session_epoch == 2);
    session.handle_failure();
    auto full = session.build_request(targets, 12, params);
    check_full(full, 9, 2);
  }
}

TEST_CASE("request_full(): the next request is full under the same id, even with a response still in flight") {
  FetchSession session;
  FetchTargets targets{{{"a", 0}, at(1)}};
  (void)session.build_request(targets, 12, params);
  REQUIRE_FALSE(session.handle_response(ok(9)));
  (void)session.build_request(targets, 12, params);  // epoch 1, in flight
  session.request_full();
  REQUIRE_FALSE(session.handle_response(ok(9)));  // its answer would make the next epoch 2
  auto full = session.build_request(targets, 12, params);
  check_full(full, 9, 1);
  REQUIRE_FALSE(session.handle_response(ok(9)));
  CHECK(session.build_request(targets, 12, params).session_epoch == 1);  // asked once, not forever
}

TEST_CASE("v13+: a topic whose id changed is forgotten under the old id and added under the new") {
  FetchSession session;
  FetchTargets targets{{{"t", 0}, at(50, id(1))}};
  (void)session.build_request(targets, 13, params);
  REQUIRE_FALSE(session.handle_response(ok(5)));
  targets[{"t", 0}] = at(0, id(2));
  auto r = session.build_request(targets, 13, params);
  REQUIRE(r.forgotten_topics_data.size() == 1);
  CHECK(r.forgotten_topics_data[0].topic_id == id(1));
  REQUIRE(r.topics.size() == 1);
  CHECK(r.topics[0].topic_id == id(2));
  std::vector<std::uint8_t> bytes;
  CHECK_FALSE(kwire::protocol::encode_message(r, 13, bytes));
}

TEST_CASE("epochs wrap from INT32_MAX to 1, never 0 or -1") {
  CHECK(FetchSession::epoch_after(1) == 2);
  CHECK(FetchSession::epoch_after(std::numeric_limits<std::int32_t>::max()) == 1);
}

TEST_CASE("closing a session sends epoch -1 under its id, once") {
  FetchSession session;
  FetchTargets targets{{{"a", 0}, at(1)}};
  CHECK_FALSE(session.close_request(12, params).has_value());  // nothing to close
  (void)session.build_request(targets, 12, params);
  REQUIRE_FALSE(session.handle_response(ok(31)));
  auto close = session.close_request(12, params);
  REQUIRE(close.has_value());
  CHECK(close->session_id == 31);
  CHECK(close->session_epoch == -1);
  CHECK(close->topics.empty());
  CHECK_FALSE(session.close_request(12, params).has_value());
  CHECK(session.build_request(targets, 12, params).session_epoch == 0);
}
