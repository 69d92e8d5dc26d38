// The Sender's produce path, driven by hand (sender_harness.hpp): records to
// their leaders (Produce v13 with topic ids, v12 without), acks=0,
// max.in.flight.requests.per.connection (1: one batch per partition, muted;
// more: pipelined), KIP-219 throttling, and compression. Retries, connections
// and metadata are in the other sender_*_test.cpp files.
#include <doctest/doctest.h>

#include "kwire/compression/decompressor.hpp"

#include "sender_harness.hpp"

using kwire::NodeId;

using namespace kwire::producer;
using namespace kwire::producer::sender_testing;

TEST_CASE("records go to their leaders in Produce v13 and come back with offsets") {
  Harness h;
  h.setup(2, {{1, 0}, {2, 0}});
  h.append(1, {"t", 0}, "a", "k1");
  h.append(2, {"t", 0}, "b");
  h.append(3, {"t", 1}, "c");
  h.run();
  REQUIRE(h.net.pending_connect(1));
  REQUIRE(h.net.pending_connect(2));
  CHECK(h.net.pending_connect(2)->endpoint.address() == "b2:9002");
  CHECK(h.net.pending_connect(1)->timeout == std::chrono::milliseconds(10000));
  h.net.accept(1);
  h.net.accept(2);
  h.run();

  auto [r1, req1] = h.produce_to(1);
  CHECK(r1->version == 13);
  CHECK(r1->expect_response);
  CHECK(req1.acks == -1);
  CHECK(req1.timeout_ms == 30000);
  REQUIRE(req1.topic_data.size() == 1);
  CHECK(req1.topic_data[0].topic_id == uuid_for(7));
  auto batches = batches_of(req1);
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].producer_id == -1);
  CHECK(batches[0].producer_epoch == -1);
  CHECK(batches[0].base_sequence == -1);
  REQUIRE(batches[0].records.size() == 2);
  CHECK(text(batches[0].records[0].key) == "k1");
  CHECK(text(batches[0].records[0].value) == "a");
  CHECK(text(batches[0].records[1].key) == "<null>");
  CHECK(text(batches[0].records[1].value) == "b");

  h.net.reply(*r1, produce_response(req1, r1->version, errc::none, 100));
  REQUIRE(h.reports[1].size() == 1);
  REQUIRE(h.reports[2].size() == 1);
  CHECK(h.reports[1][0].ok());
  CHECK(h.reports[1][0].metadata.topic == "t");
  CHECK(h.reports[1][0].metadata.partition == 0);
  CHECK(h.reports[1][0].metadata.offset == 100);
  CHECK(h.reports[2][0].metadata.offset == 101);
  CHECK(h.reports[3].empty());

  auto [r2, req2] = h.produce_to(2);
  h.net.reply(*r2, produce_response(req2, r2->version, errc::none, 7));
  REQUIRE(h.reports[3].size() == 1);
  CHECK(h.reports[3][0].metadata.partition == 1);
  CHECK(h.reports[3][0].metadata.offset == 7);
  CHECK(h.report_count() == 3);
  CHECK_FALSE(h.accumulator.has_incomplete());
  CHECK(h.state.outcomes["complete"] == 2);
  CHECK(h.state.first_seals == 2);
  CHECK(h.wakes > 0);

  // The bootstrap connection is closed once a broker connection is up.
  h.run();
  CHECK(h.net.disconnects[-1] == 1);
}

TEST_CASE("without topic ids Produce stays at v12 and names the topic") {
  Harness h;
  h.setup(1, {{1, 0}}, kwire::protocol::Uuid{});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  CHECK(r->version == 12);
  CHECK(req.topic_data[0].name == "t");
  h.net.reply(*r, produce_response(req, r->version, errc::none, 5));
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].metadata.offset == 5);
}

TEST_CASE("acks=0: no response expected; records complete once written, offset -1") {
  Harness h(Props{{"acks", "0"}});
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  CHECK(req.acks == 0);
  CHECK_FALSE(r->expect_response);
  h.net.written(*r);
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].ok());
  CHECK(h.reports[1][0].metadata.offset == -1);
}

TEST_CASE("max.in.flight.requests.per.connection=1 keeps one batch per partition in flight, in order") {
  Harness h(Props{{"max.in.flight.requests.per.connection", "1"}, {"batch.size", "100"}});
  h.setup(1, {{1, 0}});
  const std::string value(70, 'x');
  for (int i = 0; i < 3; ++i) h.append(i, {"t", 0}, value);
  REQUIRE(h.accumulator.queued_batches({"t", 0}) == 3);
  h.run();
  h.net.accept(1);
  std::int64_t offset = 0;
  for (int i = 0; i < 3; ++i) {
    h.run();
    h.run();
    auto pending = h.net.pending(ApiKey::produce);
    REQUIRE(pending.size() == 1);
    auto req = pending[0]->decode<ProduceRequest>();
    if (i == 0) {
      // A retry must not be overtaken: fail the first attempt once.
      h.net.reply(*pending[0], produce_response(req, pending[0]->version, errc::not_enough_replicas));
      h.now += 100;
      h.run();
      pending = h.net.pending(ApiKey::produce);
      REQUIRE(pending.size() == 1);
      req = pending[0]->decode<ProduceRequest>();
    }
    h.net.reply(*pending[0], produce_response(req, pending[0]->version, errc::none, offset++));
  }
  for (int i = 0; i < 3; ++i) {
    REQUIRE(h.reports[i].size() == 1);
    CHECK(h.reports[i][0].metadata.offset == i);
  }
}

TEST_CASE("max.in.flight.requests.per.connection=1 mutes the partition: nothing overtakes it via a new leader") {
  Harness h(Props{{"max.in.flight.requests.per.connection", "1"}});
  h.setup(2, {{1, 0}});
  h.append(1, {"t", 0}, "first");
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  // The leader moves while "first" is in flight, and "second" arrives.
  CHECK(h.metadata.update_leader({"t", 0}, NodeId{2}, 1));
  h.append(2, {"t", 0}, "second");
  h.run();
  if (h.net.pending_connect(2)) h.net.accept(2);
  h.run();
  CHECK(h.net.pending(ApiKey::produce, 2).empty());  // muted: "second" waits
  // "first" bounces off the old leader and is retried on the new one first.
  h.net.reply(*r, produce_response(req, r->version, errc::not_leader_or_follower));
  h.now += 100;
  h.run();
  if (h.net.pending_connect(2)) h.net.accept(2);
  h.run();
  auto [r2, req2] = h.produce_to(2);
  auto batches = batches_of(req2);
  REQUIRE(batches.size() == 1);
  CHECK(text(batches[0].records[0].value) == "first");
  h.net.reply(*r2, produce_response(req2, r2->version, errc::none, 10));
  h.run();
  auto [r3, req3] = h.produce_to(2);
  CHECK(text(batches_of(req3)[0].records[0].value) == "second");
  h.net.reply(*r3, produce_response(req3, r3->version, errc::none, 11));
  CHECK(h.reports[1].at(0).metadata.offset == 10);
  CHECK(h.reports[2].at(0).metadata.offset == 11);
}

TEST_CASE("with max.in.flight > 1 a partition's batches are pipelined") {
  Harness h(Props{{"batch.size", "100"}});
  h.setup(1, {{1, 0}});
  const std::string value(70, 'x');
  for (int i = 0; i < 3; ++i) h.append(i, {"t", 0}, value);
  h.run();
  h.net.accept(1);
  h.run();
  CHECK(h.net.pending(ApiKey::produce).size() == 3);
  CHECK(h.sender.in_flight_requests(NodeId{1}) == 3);
}

TEST_CASE("KIP-219: a throttled broker gets nothing new until the throttle ends") {
  Harness h;
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  auto response = produce_response(req, r->version, errc::none, 0);
  response.throttle_time_ms = 500;
  h.net.reply(*r, response);
  CHECK(h.sender.throttled_until(NodeId{1}) == h.now + 500);
  h.append(2, {"t", 0}, "w");
  const std::int64_t next = h.run();
  CHECK(h.net.pending(ApiKey::produce).empty());
  CHECK(next <= h.now + 500);
  h.now += 500;
  h.run();
  CHECK(h.net.pending(ApiKey::produce).size() == 1);
}

TEST_CASE("zstd needs Produce v7: older brokers fail the batch with UNSUPPORTED_COMPRESSION_TYPE") {
  Harness h(Props{{"compression.type", "zstd"}});
  h.net.produce_version = 6;
  h.setup(1, {{1, 0}});
  h.append(1, {"t", 0}, "v");
  h.run();
  h.net.accept(1);
  h.run();
  CHECK(h.net.pending(ApiKey::produce).empty());
  REQUIRE(h.reports[1].size() == 1);
  CHECK(h.reports[1][0].error == make_error_code(errc::unsupported_compression_type));
}

TEST_CASE("compression.type=gzip compresses batches (readable back)") {
  Harness h(Props{{"compression.type", "gzip"}, {"linger.ms", "5"}});
  h.setup(1, {{1, 0}});
  const std::string value(200, 'z');
  for (int i = 0; i < 20; ++i) h.append(i, {"t", 0}, value);
  h.now += 5;
  h.run();
  h.net.accept(1);
  h.run();
  auto [r, req] = h.produce_to(1);
  const std::size_t wire = req.topic_data[0].partition_data[0].records->size();
  CHECK(wire < 20 * 200 / 4);
  kwire::compression::Decompressor d;
  auto batches = batches_of(req, [&](kwire::compression::Codec c, std::span<const std::uint8_t> in,
                                     std::vector<std::uint8_t>& out) { return d.decompress(c, in, out, 1 << 20); });
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].codec() == kwire::compression::Codec::gzip);
  REQUIRE(batches[0].records.size() == 20);
  CHECK(text(batches[0].records[19].value) == value);
}
