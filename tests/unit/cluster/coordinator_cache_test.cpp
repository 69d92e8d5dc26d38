// CoordinatorCache: batched and single lookups, retriable and final errors,
// invalidation on NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / disconnect.
#include <doctest/doctest.h>

#include "kwire/cluster/coordinator_cache.hpp"

using namespace kwire::cluster;
using kwire::errc;
using kwire::protocol::FindCoordinatorResponse;

namespace {

CoordinatorCache cache() { return CoordinatorCache({100, 100, 1}); }  // constant backoff: no jitter

FindCoordinatorResponse batched(std::vector<FindCoordinatorResponse::Coordinator> coordinators) {
  FindCoordinatorResponse r;
  r.coordinators = std::move(coordinators);
  return r;
}

}  // namespace

TEST_CASE("v4+: every due key of one type goes in one lookup; answers fill the cache") {
  CoordinatorCache c = cache();
  c.want(CoordinatorType::group, "g1");
  c.want(CoordinatorType::group, "g2");
  c.want(CoordinatorType::transaction, "tx");
  const auto keys = c.lookups_due(CoordinatorType::group, 0, true);
  CHECK(keys == std::vector<std::string>{"g1", "g2"});
  const auto request = c.begin_lookup(CoordinatorType::group, keys, 4);
  CHECK(request.coordinator_keys == keys);
  CHECK(request.key.empty());
  CHECK(c.lookups_due(CoordinatorType::group, 0, true).empty());  // in flight
  CHECK(c.lookups_due(CoordinatorType::transaction, 0, true) == std::vector<std::string>{"tx"});

  c.on_response(CoordinatorType::group, keys, 4,
                batched({{"g1", 2, "b2", 9092, errc::none, std::nullopt, {}},
                         {"g2", -1, "", -1, errc::coordinator_load_in_progress, std::nullopt, {}}}),
                10);
  REQUIRE(c.coordinator(CoordinatorType::group, "g1"));
  CHECK(c.coordinator(CoordinatorType::group, "g1")->address() == "b2:9092");
  CHECK(c.coordinator(CoordinatorType::transaction, "g1") == nullptr);  // types are separate
  // A coordinator still loading: asked again after retry.backoff.ms.
  CHECK(c.coordinator(CoordinatorType::group, "g2") == nullptr);
  CHECK_FALSE(c.error(CoordinatorType::group, "g2"));
  CHECK(c.lookups_due(CoordinatorType::group, 109, true).empty());
  CHECK(c.next_lookup_ms(CoordinatorType::group, 50) == 110);
  CHECK(c.lookups_due(CoordinatorType::group, 110, true) == std::vector<std::string>{"g2"});
}

TEST_CASE("before v4: one key per lookup, the single answer") {
  CoordinatorCache c = cache();
  c.want(CoordinatorType::transaction, "a");
  c.want(CoordinatorType::transaction, "b");
  const auto keys = c.lookups_due(CoordinatorType::transaction, 0, false);
  REQUIRE(keys == std::vector<std::string>{"a"});
  const auto request = c.begin_lookup(CoordinatorType::transaction, keys, 3);
  CHECK(request.key == "a");
  CHECK(request.coordinator_keys.empty());
  FindCoordinatorResponse r;
  r.node_id = 5;
  r.host = "b5";
  r.port = 9095;
  c.on_response(CoordinatorType::transaction, keys, 3, r, 1);
  CHECK(c.coordinator(CoordinatorType::transaction, "a")->node_id == 5);
  CHECK(c.lookups_due(CoordinatorType::transaction, 1, false) == std::vector<std::string>{"b"});
}

TEST_CASE("final lookup errors are kept with the broker's message; failed lookups back off") {
  CoordinatorCache c = cache();
  c.want(CoordinatorType::group, "secret");
  c.want(CoordinatorType::group, "lost");
  const auto keys = c.lookups_due(CoordinatorType::group, 0, true);
  c.begin_lookup(CoordinatorType::group, keys, 6);
  // "lost" is missing from the answer: treated as a failed lookup.
  c.on_response(CoordinatorType::group, keys, 6,
                batched({{"secret", -1, "", -1, errc::group_authorization_failed, "denied", {}}}), 0);
  std::string message;
  CHECK(c.error(CoordinatorType::group, "secret", &message) == make_error_code(errc::group_authorization_failed));
  CHECK(message == "denied");
  CHECK(c.lookups_due(CoordinatorType::group, 1000, true) == std::vector<std::string>{"lost"});

  c.begin_lookup(CoordinatorType::group, {"lost"}, 6);
  c.on_lookup_failed(CoordinatorType::group, {"lost"}, 1000);
  CHECK(c.lookups_due(CoordinatorType::group, 1099, true).empty());
  CHECK(c.lookups_due(CoordinatorType::group, 1100, true) == std::vector<std::string>{"lost"});
}

TEST_CASE("NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and a disconnect invalidate; other errors do not") {
  CoordinatorCache c = cache();
  for (const char* key : {"g1", "g2", "g3"}) c.want(CoordinatorType::group, key);
  const auto keys = c.lookups_due(CoordinatorType::group, 0, true);
  c.begin_lookup(CoordinatorType::group, keys, 4);
  c.on_response(CoordinatorType::group, keys, 4,
                batched({{"g1", 1, "b1", 9091, errc::none, std::nullopt, {}},
                         {"g2", 1, "b1", 9091, errc::none, std::nullopt, {}},
                         {"g3", 2, "b2", 9092, errc::none, std::nullopt, {}}}),
                0);
  CHECK_FALSE(c.on_error(CoordinatorType::group, "g3", errc::rebalance_in_progress, 5));
  CHECK(c.coordinator(CoordinatorType::group, "g3"));
  CHECK(c.on_error(CoordinatorType::group, "g3", errc::not_coordinator, 5));
  CHECK(c.coordinator(CoordinatorType::group, "g3") == nullptr);
  CHECK(c.lookups_due(CoordinatorType::group, 5, true) == std::vector<std::string>{"g3"});  // at once

  CHECK(c.on_disconnect(1, 6) == 2);
  CHECK(c.coordinator(CoordinatorType::group, "g1") == nullptr);
  CHECK(c.coordinator(CoordinatorType::group, "g2") == nullptr);
  CHECK(c.lookups_due(CoordinatorType::group, 6, true).size() == 3);
  CHECK(c.on_disconnect(1, 7) == 0);
  CHECK_FALSE(c.on_error(CoordinatorType::group, "g1", errc::coordinator_not_available, 8));  // already gone
}
