// admin::translate's retry verdicts: which per-item errors go back to the
// cluster layer's retry loop, and how a controller request shrinks to the
// topics still to do (a created topic is never created twice).
#include <doctest/doctest.h>

#include "kwire/admin/translate.hpp"

using namespace kwire::admin;
using kwire::errc;
using kwire::cluster::Retry;
namespace protocol = kwire::protocol;

TEST_CASE("retry_for: refresh for leader, controller and coordinator moves; backoff while loading; else final") {
  CHECK(translate::retry_for(errc::not_leader_or_follower) == Retry::after_refresh);
  CHECK(translate::retry_for(errc::leader_not_available) == Retry::after_refresh);
  CHECK(translate::retry_for(errc::fenced_leader_epoch) == Retry::after_refresh);
  CHECK(translate::retry_for(errc::not_controller) == Retry::after_refresh);
  CHECK(translate::retry_for(errc::not_coordinator) == Retry::after_refresh);
  CHECK(translate::retry_for(errc::coordinator_not_available) == Retry::after_refresh);
  CHECK(translate::retry_for(errc::coordinator_load_in_progress) == Retry::after_backoff);
  CHECK(translate::retry_for(errc::none) == Retry::no);
  CHECK(translate::retry_for(errc::topic_already_exists) == Retry::no);
  CHECK(translate::retry_for(errc::group_id_not_found) == Retry::no);
}

TEST_CASE("retry_verdict: the most urgent item wins") {
  protocol::DescribeGroupsResponse groups;
  groups.groups.emplace_back().error_code = errc::none;
  CHECK(translate::retry_verdict(groups) == Retry::no);
  groups.groups.emplace_back().error_code = errc::coordinator_load_in_progress;
  CHECK(translate::retry_verdict(groups) == Retry::after_backoff);
  groups.groups.emplace_back().error_code = errc::not_coordinator;
  CHECK(translate::retry_verdict(groups) == Retry::after_refresh);

  protocol::ListOffsetsResponse offsets;
  offsets.topics.push_back({"t", {{0, errc::none, -1, 5, 0, {}}, {1, errc::not_leader_or_follower, -1, -1, -1, {}}}, {}});
  CHECK(translate::retry_verdict(offsets) == Retry::after_refresh);

  protocol::OffsetFetchResponse fetched;  // v8+: per group, and per partition inside
  auto& g = fetched.groups.emplace_back();
  g.group_id = "g";
  CHECK(translate::retry_verdict(fetched) == Retry::no);
  g.error_code = errc::coordinator_load_in_progress;
  CHECK(translate::retry_verdict(fetched) == Retry::after_backoff);

  protocol::WriteTxnMarkersResponse markers;
  markers.markers.push_back({7, {{"t", {{0, errc::not_leader_or_follower, {}}}, {}}}, {}});
  CHECK(translate::retry_verdict(markers) == Retry::after_refresh);
}

TEST_CASE("retry_remaining: the next CreateTopics carries only the topics that asked for a retry") {
  const auto original = translate::create_topics_request({{"a", 1, 1, {}}, {"b", 1, 1, {}}, {"c", 1, 1, {}}}, {});
  protocol::CreateTopicsResponse response;
  response.topics.resize(3);
  response.topics[0].name = "a";  // created
  response.topics[1].name = "b";
  response.topics[1].error_code = errc::not_controller;
  response.topics[2].name = "c";
  response.topics[2].error_code = errc::topic_already_exists;

  auto next = original;
  CHECK(translate::retry_remaining(response, next) == Retry::after_refresh);
  REQUIRE(next.topics.size() == 1);
  CHECK(next.topics[0].name == "b");

  response.topics[1].error_code = errc::none;
  auto untouched = original;
  CHECK(translate::retry_remaining(response, untouched) == Retry::no);
  CHECK(untouched == original);

  protocol::DeleteTopicsResponse deleted;
  deleted.responses.push_back({"x", {}, errc::not_controller, std::nullopt, {}});
  deleted.responses.push_back({"y", {}, errc::none, std::nullopt, {}});
  auto next_delete = translate::delete_topics_request({"x", "y"}, 1000);
  CHECK(translate::retry_remaining(deleted, next_delete) == Retry::after_refresh);
  REQUIRE(next_delete.topics.size() == 1);
  CHECK(next_delete.topics[0].name == std::optional<std::string>("x"));
}
