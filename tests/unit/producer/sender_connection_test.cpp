// The Sender's connections: reconnect.backoff.ms, the cluster check
// (wait_for_cluster), connections.max.idle.ms, and authentication failures
// (Java's AuthenticationException, KIP-152; KIP-368 re-authentication).
#include <doctest/doctest.h>

#include "sender_harness.hpp"

using kwire::NodeId;

using namespace kwire::producer;
using namespace kwire::producer::sender_testing;

TEST_CASE("a failed connection is retried after reconnect.backoff.ms") {
  Harness h;
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.refuse(1);
  const std::int64_t next = h.run();
  CHECK_FALSE(h.net.pending_connect(1));
  CHECK(next <= h.now + 50);
  h.now += 49;
  h.run();
  CHECK_FALSE(h.net.pending_connect(1));
  h.now += 1;
  h.run();
  CHECK(h.net.pending_connect(1));
}

TEST_CASE("cluster check: no_broker_reachable once every bootstrap server failed, naming them") {
  Harness h;
  std::optional<std::error_code> result;
  std::string detail;
  h.sender.check_cluster([&](std::error_code ec, const std::string& d) {
    result = ec;
    detail = d;
  });
  h.run();
  h.net.refuse(-1);
  CHECK_FALSE(result.has_value());
  h.run();
  h.net.refuse(-2, make_error_code(client_errc::timed_out));
  REQUIRE(result.has_value());
  CHECK(*result == make_error_code(client_errc::no_broker_reachable));
  CHECK(detail.find("seed1:9092") != std::string::npos);
  CHECK(detail.find("seed2:9093") != std::string::npos);
}

TEST_CASE("cluster check: success once metadata arrives") {
  Harness h;
  std::optional<std::error_code> result;
  h.sender.check_cluster([&](std::error_code ec, const std::string&) { result = ec; });
  h.run();
  h.net.refuse(-1);
  h.run();
  h.net.accept(-2);
  h.run();
  h.net.reply(h.net.only_pending(ApiKey::metadata, -2), metadata_response(1, "", {}));
  REQUIRE(result.has_value());
  CHECK_FALSE(*result);
}

TEST_CASE("idle connections close after connections.max.idle.ms") {
  Harness h(Props{{"connections.max.idle.ms", "1000"}});
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  h.net.reply(*r, produce_response(req, r->version));
  const std::int64_t next = h.run();
  CHECK(next <= h.now + 1000);
  CHECK(h.net.disconnects[1] == 0);
  h.now += 1000;
  h.run();
  CHECK(h.net.disconnects[1] == 1);
  CHECK_FALSE(h.sender.is_connected(NodeId{1}));
}

TEST_CASE("cluster check: refused credentials end it at once with authentication_failed") {
  Harness h;
  std::optional<std::error_code> result;
  h.sender.check_cluster([&](std::error_code ec, const std::string&) { result = ec; });
  h.run();
  h.net.refuse(-1, make_error_code(client_errc::authentication_failed));
  REQUIRE(result.has_value());
  CHECK(*result == make_error_code(client_errc::authentication_failed));
}

// --- Authentication failures (Java's AuthenticationException, KIP-152) -----------------

namespace {

const std::string kRefusal =
    "SASL authentication failed for user alice on b1:9001 (SCRAM-SHA-256): Authentication failed during "
    "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256; check sasl.username / "
    "sasl.password";

}  // namespace

TEST_CASE("a leader refusing our credentials fails its queued records at once, with the detail; backoff applies") {
  Harness h;
  Sender& sender = h.sender;
  auto& calls = h.auth_calls;
  h.setup(1, {{1, 0}});

  h.append(1, {"t", 0}, "v1");
  sender.run_once(h.now);
  REQUIRE(h.net.pending_connect(1));
  h.net.details[1] = kRefusal;
  h.net.refuse(1, make_error_code(client_errc::authentication_failed));
  // Failed now, not after delivery.timeout.ms or as unknown topic.
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].error == make_error_code(client_errc::authentication_failed));
  CHECK(h.reports[1][0].detail == kRefusal);
  std::string detail;
  CHECK(sender.authentication_error(&detail) == make_error_code(client_errc::authentication_failed));
  CHECK(detail == kRefusal);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].first == make_error_code(client_errc::authentication_failed));
  CHECK(calls[0].second == kRefusal);

  // New records during the backoff fail at once too, without a new attempt.
  h.now += 10;
  h.append(2, {"t", 0}, "v2");
  sender.run_once(h.now);
  REQUIRE(h.reports[2].size() == 1);
  CHECK(h.reports[2][0].error == make_error_code(client_errc::authentication_failed));
  CHECK(h.reports[2][0].detail == kRefusal);
  CHECK_FALSE(h.net.pending_connect(1));

  // When the backoff ends, a queued record asks for one new attempt and waits for it.
  h.now += 40;
  h.append(3, {"t", 0}, "v3");
  sender.run_once(h.now);
  REQUIRE(h.net.pending_connect(1));
  CHECK(h.reports[3].empty());
  h.net.refuse(1, make_error_code(client_errc::authentication_failed));
  REQUIRE(h.reports[3].size() == 1);
  CHECK(h.reports[3][0].error == make_error_code(client_errc::authentication_failed));

  // Credentials fixed (say, the user was created): the next attempt works,
  // the condition clears, records flow.
  h.now += 50;
  h.append(4, {"t", 0}, "v4");
  sender.run_once(h.now);
  h.net.accept(1);
  CHECK_FALSE(sender.authentication_error());
  REQUIRE(calls.size() == 2);
  CHECK_FALSE(calls[1].first);
  sender.run_once(h.now);
  auto [r, req] = h.produce_to(1);
  h.net.reply(*r, produce_response(req, r->version, errc::none, 7));
  REQUIRE(h.reports[4].size() == 1);
  CHECK(h.reports[4][0].ok());
  CHECK(h.reports[4][0].detail.empty());
}

TEST_CASE("no reconnect storm: a refusing broker is tried once per reconnect backoff however much is sent") {
  Harness h;
  h.setup(1, {{1, 0}});
  h.net.details[1] = kRefusal;
  int attempts = 0;
  int tag = 0;
  // 2 simulated seconds of a record every 5 ms: 400 records, 50 ms backoff.
  for (int step = 0; step < 400; ++step) {
    h.append(tag++, {"t", 0}, "v");
    h.run();
    if (h.net.pending_connect(1)) {
      ++attempts;
      h.net.refuse(1, make_error_code(client_errc::authentication_failed));
    }
    h.now += 5;
  }
  CHECK(attempts >= 2);
  CHECK(attempts <= 2000 / 50 + 1);
  // Every record got exactly one report, each the authentication failure.
  CHECK(h.report_count() == 400);
  for (const auto& [t, list] : h.reports) {
    REQUIRE(list.size() == 1);
    CHECK(list[0].error == make_error_code(client_errc::authentication_failed));
    CHECK(list[0].detail == kRefusal);
  }
  CHECK(h.net.pending(ApiKey::produce).empty());
}

TEST_CASE("refused at bootstrap: records waiting for a leader fail with authentication_failed, not unknown topic") {
  Harness h;
  h.net.details[-1] = kRefusal;
  h.sender.add_topic("t", h.now);
  h.append(1, {"t", 0}, "v");  // as if the partition were known; its leader is not
  h.run();
  REQUIRE(h.net.pending_connect(-1));
  CHECK(h.reports[1].empty());
  h.net.refuse(-1, make_error_code(client_errc::authentication_failed));
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].error == make_error_code(client_errc::authentication_failed));
  CHECK(h.reports[1][0].detail == kRefusal);

  // Other connection failures do not do that: the record waits (for a
  // broker, or delivery.timeout.ms).
  Harness other;
  other.sender.add_topic("t", other.now);
  other.append(1, {"t", 0}, "v");
  other.run();
  other.net.refuse(-1, make_error_code(client_errc::connect_failed));
  other.run();
  other.net.refuse(-2, make_error_code(client_errc::timed_out));
  other.now += 100;
  other.run();
  CHECK(other.reports[1].empty());
  CHECK_FALSE(other.sender.authentication_error());
}

TEST_CASE("a refused re-authentication (KIP-368) fails the requests it cut off, with the detail") {
  Harness h;
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  REQUIRE(h.net.pending(ApiKey::produce).size() == 1);
  h.net.details[1] = kRefusal;
  h.net.drop(1, make_error_code(client_errc::authentication_failed));
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].error == make_error_code(client_errc::authentication_failed));
  CHECK(h.reports[1][0].detail == kRefusal);
  CHECK(h.sender.authentication_error() == make_error_code(client_errc::authentication_failed));
  CHECK_FALSE(h.sender.is_connected(NodeId{1}));
}
