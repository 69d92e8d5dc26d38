// The Sender when a Produce goes wrong: KIP-951 leader hints and refreshes
// after NOT_LEADER_OR_FOLLOWER, retries (and their limits: retries,
// delivery.timeout.ms), MESSAGE_TOO_LARGE splits, dropped connections, late
// answers, and shutdown — each record reported once.
#include <doctest/doctest.h>

#include "sender_harness.hpp"

using kwire::NodeId;

using namespace kwire::producer;
using namespace kwire::producer::sender_testing;

TEST_CASE("KIP-951: NOT_LEADER_OR_FOLLOWER with a leader hint retries on the new leader without a metadata round trip") {
  Harness h;
  h.setup(2, {{1, 1}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  auto response = produce_response(req, r->version, errc::not_leader_or_follower);
  response.responses[0].partition_responses[0].current_leader.leader_id = 2;
  response.responses[0].partition_responses[0].current_leader.leader_epoch = 2;
  response.node_endpoints.push_back({2, "moved", 9102, std::nullopt, {}});
  h.net.reply(*r, response);
  CHECK(h.reports[1].empty());
  CHECK(h.metadata.leader_of({"t", 0}) == NodeId{2});
  CHECK(h.metadata.endpoint(NodeId{2})->address() == "moved:9102");

  h.now += 100;  // the retry backoff
  h.run();
  REQUIRE(h.net.pending_connect(2));
  h.net.accept(2);
  h.run();
  CHECK(h.net.pending(ApiKey::metadata).empty());
  auto [r2, req2] = h.produce_to(2);
  h.net.reply(*r2, produce_response(req2, r2->version, errc::none, 9));
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].ok());
  CHECK(h.reports[1][0].metadata.offset == 9);
  CHECK(h.state.outcomes["retry"] == 1);
  CHECK(h.state.first_seals == 1);  // the retry resends the sealed bytes
  CHECK(h.state.seals == 2);
}

TEST_CASE("NOT_LEADER_OR_FOLLOWER without a hint refreshes metadata, then retries on the new leader") {
  Harness h;
  h.setup(2, {{1, 0}});
  h.now = 1050;
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  h.net.reply(*r, produce_response(req, r->version, errc::not_leader_or_follower));
  CHECK(h.metadata.update_requested());

  h.now = 1100;  // metadata floor: 100 ms after the previous refresh (at 1000)
  h.run();
  auto& md = h.net.only_pending(ApiKey::metadata);
  h.net.reply(md, metadata_response(2, "t", {{2, 1}}));
  h.now = 1150;  // the batch's retry backoff
  h.run();
  h.net.accept(2);
  h.run();
  auto [r2, req2] = h.produce_to(2);
  h.net.reply(*r2, produce_response(req2, r2->version, errc::none, 1));
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].ok());
}

TEST_CASE("retries=0 fails a retriable error at once; non-retriable errors never retry") {
  SUBCASE("retries=0") {
    Harness h(Props{{"retries", "0"}, {"enable.idempotence", "false"}});
    h.setup(1, {{1, 0}});
    h.append(1, {"t", 0}, "v");
    h.run();
    h.net.accept(1);
    h.run();
    auto [r, req] = h.produce_to(1);
    h.net.reply(*r, produce_response(req, r->version, errc::not_enough_replicas));
    REQUIRE(h.reports[1].size() == 1);
    CHECK(h.reports[1][0].error == make_error_code(errc::not_enough_replicas));
    CHECK(h.reports[1][0].metadata.offset == -1);
  }
  SUBCASE("TOPIC_AUTHORIZATION_FAILED") {
    Harness h;
    h.setup(1, {{1, 0}});
    h.append(1, {"t", 0}, "v");
    h.append(2, {"t", 0}, "w");
    h.run();
    h.net.accept(1);
    h.run();
    auto [r, req] = h.produce_to(1);
    h.net.reply(*r, produce_response(req, r->version, errc::topic_authorization_failed));
    REQUIRE(h.reports[1].size() == 1);
    REQUIRE(h.reports[2].size() == 1);
    CHECK(h.reports[2][0].error == make_error_code(errc::topic_authorization_failed));
    CHECK(h.state.outcomes["fail"] == 1);
  }
  CHECK(true);
}

TEST_CASE("retries stop at delivery.timeout.ms: one report, an error") {
  Harness h(Props{{"request.timeout.ms", "1000"}, {"delivery.timeout.ms", "1500"}});
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  int attempts = 0;
  for (int step = 0; step < 100 && h.reports[1].empty(); ++step) {
    h.run();
    for (auto* r : h.net.pending(ApiKey::produce)) {
      ++attempts;
      auto req = r->decode<ProduceRequest>();
      h.net.reply(*r, produce_response(req, r->version, errc::not_enough_replicas));
    }
    for (auto* m : h.net.pending(ApiKey::metadata)) h.net.reply(*m, metadata_response(1, "t", {{1, 0}}));
    h.now += 50;
  }
  REQUIRE(h.reports[1].size() == 1);
  CHECK_FALSE(h.reports[1][0].ok());
  CHECK(attempts >= 5);
  CHECK(h.now - 1000 >= 1500 - 50);
  CHECK_FALSE(h.accumulator.has_incomplete());
}

TEST_CASE("MESSAGE_TOO_LARGE splits the batch and delivers every record once, in order") {
  Harness h;
  h.setup(1, {{1, 0}});
  for (int i = 0; i < 4; ++i) h.append(i, {"t", 0}, "record-" + std::to_string(i));
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  REQUIRE(batches_of(req)[0].records.size() == 4);
  h.net.reply(*r, produce_response(req, r->version, errc::message_too_large));
  CHECK(h.report_count() == 0);
  CHECK(h.state.outcomes["split"] == 1);

  std::int64_t offset = 50;
  std::vector<std::size_t> piece_sizes;
  for (int round = 0; round < 10 && h.report_count() < 4; ++round) {
    h.run();
    for (auto* p : h.net.pending(ApiKey::produce)) {
      auto preq = p->decode<ProduceRequest>();
      const auto pieces = batches_of(preq);
      REQUIRE(pieces.size() == 1);
      piece_sizes.push_back(pieces[0].records.size());
      h.net.reply(*p, produce_response(preq, p->version, errc::none, offset));
      offset += static_cast<std::int64_t>(pieces[0].records.size());
    }
  }
  CHECK(piece_sizes.size() >= 2);
  for (std::size_t s : piece_sizes) CHECK(s < 4);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(h.reports[i].size() == 1);
    CHECK(h.reports[i][0].ok());
    CHECK(h.reports[i][0].metadata.offset == 50 + i);
  }
}

TEST_CASE("a dropped connection retries its batches after reconnecting") {
  Harness h;
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  REQUIRE(h.net.pending(ApiKey::produce).size() == 1);
  h.net.drop(1);
  CHECK(h.reports[1].empty());
  CHECK_FALSE(h.sender.is_connected(NodeId{1}));
  CHECK(h.metadata.update_requested());  // a disconnect may mean a moved leader

  h.now += 100;
  h.run();
  REQUIRE(h.net.pending_connect(1));
  h.net.accept(1);
  h.run();
  for (auto* m : h.net.pending(ApiKey::metadata)) h.net.reply(*m, metadata_response(1, "t", {{1, 0}}));
  auto [r, req] = h.produce_to(1);
  h.net.reply(*r, produce_response(req, r->version, errc::none, 3));
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].ok());
  CHECK(h.reports[1][0].metadata.offset == 3);
}

TEST_CASE("delivery.timeout.ms fails an in-flight batch once; its late answer changes nothing") {
  Harness h(Props{{"request.timeout.ms", "1000"}, {"delivery.timeout.ms", "1000"}});
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  h.now += 1000;
  h.run();
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].error == make_error_code(client_errc::timed_out));
  CHECK(h.state.expired == 1);
  CHECK(h.accumulator.has_incomplete());  // the sender still holds it
  h.net.reply(*r, produce_response(req, r->version, errc::none, 3));
  CHECK(h.reports[1].size() == 1);
  CHECK_FALSE(h.accumulator.has_incomplete());
}

TEST_CASE("shutdown fails queued and in-flight batches, one report per record") {
  Harness h;
  h.setup(2, {{1, 0}, {2, 0}});
  h.append(1, {"t", 0}, "in flight");
  h.append(2, {"t", 1}, "queued");
  h.run();
  h.net.accept(1);  // node 2 never connects
  h.run();
  REQUIRE(h.net.pending(ApiKey::produce).size() == 1);
  h.append(3, {"t", 0}, "queued behind");
  const std::size_t failed = h.sender.shutdown(make_error_code(client_errc::shutting_down));
  CHECK(failed >= 3);
  for (int tag : {1, 2, 3}) {
    REQUIRE(h.reports[tag].size() == 1);
    CHECK(h.reports[tag][0].error == make_error_code(client_errc::shutting_down));
  }
  CHECK_FALSE(h.accumulator.has_incomplete());
  CHECK(h.run() == kNoDeadline);
  CHECK(h.report_count() == 3);
}

TEST_CASE("a batch retried after NOT_ENOUGH_REPLICAS that then expires names that last cause (issue 19 item 3)") {
  Harness h(Props{{"request.timeout.ms", "1000"}, {"delivery.timeout.ms", "1500"}, {"retry.backoff.ms", "100"}});
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  h.net.reply(*r, produce_response(req, r->version, errc::not_enough_replicas));
  REQUIRE(h.reports[1].empty());  // retried, not failed
  // The retry goes out after the backoff and is never answered: the batch
  // expires in flight, and its report says why it was being retried.
  h.now += 200;
  h.run();
  REQUIRE(h.net.pending(ApiKey::produce).size() == 1);
  h.now += 1500;
  h.run();
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].error == make_error_code(client_errc::timed_out));
  const std::string& detail = h.reports[1][0].detail;
  CHECK(detail.find("Expiring 1 record(s) for t-0") != std::string::npos);
  CHECK(detail.find("last error: " + make_error_code(errc::not_enough_replicas).message()) != std::string::npos);
}
