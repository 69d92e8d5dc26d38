// The Sender's metadata: no refresh storm for a leaderless partition, topics
// still being auto-created, rebootstrap from bootstrap.servers when every
// known broker is unreachable (KIP-899), and KIP-584 finalized features.
#include <doctest/doctest.h>

#include "sender_harness.hpp"

using kwire::NodeId;

using namespace kwire::producer;
using namespace kwire::producer::sender_testing;

TEST_CASE("a leaderless partition cannot cause a metadata refresh storm") {
  Harness h;
  h.setup(1, {{-1, 0}});
  h.append(1, {"t", 0}, "v");
  int metadata_requests = 0;
  const std::int64_t start = h.now;
  while (h.now < start + 2000) {
    h.run();
    if (h.net.pending_connect(1)) h.net.accept(1);
    for (auto* m : h.net.pending(ApiKey::metadata)) {
      ++metadata_requests;
      h.net.reply(*m, metadata_response(1, "t", {{-1, 0}}));
    }
    h.now += 5;
  }
  // retry.backoff.ms = 100: at most one refresh per 100 ms.
  CHECK(metadata_requests >= 10);
  CHECK(metadata_requests <= 21);
  CHECK(h.reports[1].empty());
}

TEST_CASE("a topic still being auto-created is asked for again") {
  Harness h;
  h.sender.add_topic("new", h.now);
  h.run();
  h.net.accept(-1);
  h.run();
  auto response = metadata_response(1, "", {});
  kwire::protocol::MetadataResponse::Topic t;
  t.name = "new";
  t.error_code = errc::unknown_topic_or_partition;
  response.topics.push_back(t);
  h.net.reply(h.net.only_pending(ApiKey::metadata), response);
  h.now += 100;
  h.run();
  h.run();
  // Either the bootstrap connection or the broker's carries the next one.
  if (h.net.pending_connect(1)) {
    h.net.accept(1);
    h.run();
  }
  CHECK(h.net.pending(ApiKey::metadata).size() == 1);
}

// --- Rebootstrap (KIP-899) ---------------------------------------------------------------

namespace {

/// Refuses every pending connection attempt to a known broker until none is
/// left, within the reconnect backoff (50 ms); returns how many were refused.
int refuse_known_brokers(Harness& h) {
  int refused = 0;
  for (int round = 0; round < 10; ++round) {
    bool any = false;
    for (std::int32_t id : {1, 2})
      if (h.net.pending_connect(id)) {
        h.net.refuse(id);
        ++refused;
        any = true;
      }
    if (!any) break;
    h.now += 1;
    h.run();
  }
  return refused;
}

}  // namespace

TEST_CASE("every known broker unreachable: the sender rebootstraps from bootstrap.servers (KIP-899)") {
  Harness h;
  h.setup(2, {{1, 0}, {2, 0}});
  REQUIRE(h.metadata.brokers().size() == 2);
  h.net.drop(-1);  // the bootstrap connection goes too
  h.metadata.request_update();
  h.now += 1000;
  h.run();
  CHECK(refuse_known_brokers(h) >= 2);  // each known broker failed its last attempt
  CHECK(h.metadata.rebootstraps() == 1);
  CHECK(h.metadata.brokers().empty());
  CHECK_FALSE(h.metadata.leader_of("t", 0).has_value());
  // The next connection goes to a bootstrap server, which names the cluster anew.
  const std::int32_t seed = h.net.pending_connect(-1) ? -1 : -2;
  REQUIRE(h.net.pending_connect(seed));
  h.net.accept(seed);
  h.run();
  h.net.reply(h.net.only_pending(ApiKey::metadata, seed), metadata_response(2, "t", {{2, 1}, {1, 1}}));
  CHECK(h.metadata.brokers().size() == 2);
  CHECK(h.metadata.leader_of("t", 0) == NodeId{2});
}

TEST_CASE("metadata.recovery.strategy=none keeps to the known brokers") {
  Harness h(Props{{"metadata.recovery.strategy", "none"}});
  h.setup(2, {{1, 0}, {2, 0}});
  h.net.drop(-1);
  h.metadata.request_update();
  h.now += 1000;
  h.run();
  for (int round = 0; round < 4; ++round) {
    CHECK(refuse_known_brokers(h) >= 1);
    h.now += 60;
    h.run();
  }
  CHECK(h.metadata.rebootstraps() == 0);
  CHECK(h.metadata.brokers().size() == 2);
  CHECK_FALSE(h.net.pending_connect(-1));
  CHECK_FALSE(h.net.pending_connect(-2));
}

TEST_CASE("KIP-1102: the periodic metadata.max.age.ms refresh is not a rebootstrap (both 300000 ms by default)") {
  Harness h;
  REQUIRE(h.config.metadata_max_age_ms == h.config.metadata_recovery_rebootstrap_trigger_ms);
  h.setup(2, {{1, 0}, {2, 0}});
  const std::int64_t answered = h.now;
  h.now = answered + h.config.metadata_max_age_ms;
  h.metadata.touch_topic("t", h.now);  // still produced to (metadata.max.idle.ms)
  h.run();  // the refresh is due: a request, not a reset
  CHECK(h.metadata.rebootstraps() == 0);
  CHECK(h.metadata.brokers().size() == 2);
  CHECK(h.metadata.leader_of("t", 0) == NodeId{1});
  h.net.reply(h.net.only_pending(ApiKey::metadata, -1), metadata_response(2, "t", {{1, 0}, {2, 0}}));
  h.now += h.config.metadata_max_age_ms;  // and the next one
  h.metadata.touch_topic("t", h.now);
  h.run();
  CHECK(h.metadata.rebootstraps() == 0);
  CHECK(h.metadata.leader_of("t", 1) == NodeId{2});
}

TEST_CASE("KIP-1102: a broker that takes Metadata requests and never answers leads to a rebootstrap after the trigger") {
  Harness h(Props{{"metadata.recovery.rebootstrap.trigger.ms", "5000"}});
  h.setup(2, {{1, 0}, {2, 0}});
  h.net.drop(-1);  // from now on only the known brokers
  h.metadata.request_update();
  h.now += 200;
  h.run();
  const std::int32_t known = h.net.pending_connect(1) ? 1 : 2;
  h.net.accept(known);  // reachable, so KIP-899's "every broker unreachable" never applies
  std::optional<std::int64_t> first_sent;
  int timeouts = 0;
  for (int round = 0; round < 50 && h.metadata.rebootstraps() == 0; ++round) {
    h.run();
    for (FakeTransport::Request* r : h.net.pending(ApiKey::metadata, known)) {
      if (!first_sent) first_sent = h.now;
      h.now += 1000;  // request.timeout.ms, shortened
      h.net.fail(*r, make_error_code(client_errc::timed_out));
      ++timeouts;
    }
    h.now += 200;
  }
  REQUIRE(first_sent);
  CHECK(h.metadata.rebootstraps() == 1);
  CHECK(h.now - *first_sent >= 5000);
  CHECK(timeouts >= 4);
  CHECK(h.metadata.brokers().empty());
  h.run();  // the next attempt goes to a bootstrap server
  CHECK((h.net.pending_connect(-1) || h.net.pending_connect(-2)));
}

TEST_CASE("KIP-584: the sender keeps the newest finalized features from each connection's ApiVersions") {
  Harness h;
  kwire::protocol::ApiVersionsResponse versions;
  versions.finalized_features_epoch = 3;
  versions.finalized_features = {{"transaction.version", 2, 0, {}}};
  h.net.versions[-1] = versions;
  h.setup(1, {{1, 0}});
  CHECK(h.sender.features().current().epoch == 3);
  CHECK(h.sender.features().current().level("transaction.version") == 2);
  CHECK_FALSE(h.sender.features().current().level("group.version").has_value());
}
