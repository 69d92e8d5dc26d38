// The Sender driven by hand: an injected clock (`now`), a scripted transport
// (FakeTransport: the test opens connections and answers requests with real
// encoded responses), a real RecordAccumulator and MetadataCache.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "support/fake_transport.hpp"
#include "kwire/compression/decompressor.hpp"
#include "kwire/producer/sender.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace kwire::producer;
using kwire::client_errc;
using kwire::errc;
using kwire::protocol::ApiKey;
using kwire::protocol::MetadataRequest;
using kwire::protocol::ProduceRequest;
using kwire::protocol::ProduceResponse;
using kwire::test::batches_of;
using kwire::test::FakeTransport;
using kwire::test::metadata_response;
using kwire::test::PartitionSpec;
using kwire::test::produce_response;
using kwire::test::uuid_for;

namespace {

/// Counts what the sender tells the idempotence seam.
class RecordingState final : public ProducerStateManager {
 public:
  bool ready_to_send(std::int64_t) override { return true; }
  bool may_drain(const ProducerBatch&) override { return true; }
  kwire::protocol::BatchSealParams seal_params(const ProducerBatch& batch) override {
    ++seals;
    if (!batch.sealed()) ++first_seals;
    return {};
  }
  void on_batch_outcome(const ProducerBatch&, const BatchOutcome& outcome) override {
    ++outcomes[std::string(to_string(outcome.action))];
  }
  void on_batch_expired(const ProducerBatch&) override { ++expired; }
  std::error_code fatal_error() const override { return {}; }

  int seals = 0;
  int first_seals = 0;
  int expired = 0;
  std::map<std::string, int> outcomes;
};

ProducerConfig make_config(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> props{
      {"bootstrap.servers", "seed1:9092,seed2:9093"},
      {"linger.ms", "0"},
      {"retry.backoff.ms", "100"},
      {"retry.backoff.max.ms", "100"},  // constant: no jitter, deterministic tests
      {"reconnect.backoff.ms", "50"},
      {"reconnect.backoff.max.ms", "50"},
      {"request.timeout.ms", "30000"},
  };
  for (const auto& [k, v] : extra) props[k] = v;
  return ProducerConfig::from_properties(props);
}

AccumulatorConfig accumulator_config(const ProducerConfig& config) {
  AccumulatorConfig c = AccumulatorConfig::from(config);
  c.jitter_seed = 1;
  return c;
}

MetadataCache::Options metadata_options(const ProducerConfig& config) {
  auto o = MetadataCache::Options::from(config);
  o.jitter_seed = 1;
  return o;
}

using Props = std::map<std::string, std::string>;

struct Harness {
  explicit Harness(const std::map<std::string, std::string>& extra = {})
      : config(make_config(extra)),
        accumulator(accumulator_config(config)),
        metadata(metadata_options(config), config.bootstrap_addresses()),
        sender(config, accumulator, metadata, net, state, hooks()) {}

  SenderHooks hooks() {
    SenderHooks h;
    h.clock = [this] { return now; };
    h.wake = [this] { ++wakes; };
    h.on_authentication = [this](std::error_code ec, const std::string& detail) { auth_calls.emplace_back(ec, detail); };
    return h;
  }

  std::int64_t run() { return sender.run_once(now); }

  void append(int tag, const TopicPartition& tp, std::string_view value, std::optional<std::string_view> key = {}) {
    DeliveryCallback cb = [this, tag](const DeliveryReport& r) { reports[tag].push_back(r); };
    std::optional<std::span<const std::uint8_t>> k;
    if (key) k = bytes_of(*key);
    const AppendResult result =
        accumulator.append(tp, 1700000000000 + now, k, bytes_of(value), std::span<const HeaderView>(), cb, now);
    REQUIRE(result.ok());
  }

  /// Bootstrap connection, first Metadata with `partitions` of topic "t"
  /// over `brokers` brokers.
  void setup(int brokers, std::vector<PartitionSpec> partitions, kwire::protocol::Uuid id = uuid_for(7)) {
    sender.add_topic("t", now);
    run();
    REQUIRE(net.pending_connect(-1));
    CHECK(net.pending_connect(-1)->endpoint.address() == "seed1:9092");
    net.accept(-1);
    run();
    auto& request = net.only_pending(ApiKey::metadata, -1);
    const auto decoded = request.decode<MetadataRequest>();
    CHECK(decoded.allow_auto_topic_creation);
    REQUIRE(decoded.topics.has_value());
    REQUIRE(decoded.topics->size() == 1);
    CHECK((*decoded.topics)[0].name == "t");
    net.reply(request, metadata_response(brokers, "t", std::move(partitions), id));
  }

  /// The only pending Produce request to `node`, decoded.
  std::pair<FakeTransport::Request*, ProduceRequest> produce_to(std::int32_t node) {
    auto& r = net.only_pending(ApiKey::produce, node);
    return {&r, r.decode<ProduceRequest>()};
  }

  int report_count() const {
    int n = 0;
    for (const auto& [tag, list] : reports) n += static_cast<int>(list.size());
    return n;
  }

  // First: the sender's destructor still reports what is left into these.
  std::map<int, std::vector<DeliveryReport>> reports;
  int wakes = 0;
  std::vector<std::pair<std::error_code, std::string>> auth_calls;  ///< hooks.on_authentication
  std::int64_t now = 1000;
  ProducerConfig config;
  RecordAccumulator accumulator;
  MetadataCache metadata;
  FakeTransport net;
  RecordingState state;
  Sender sender;
};

std::string text(const std::optional<std::vector<std::uint8_t>>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : std::string("<null>");
}

}  // namespace

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
  CHECK(h.metadata.leader_of({"t", 0}) == 2);
  CHECK(h.metadata.endpoint(2)->address() == "moved:9102");

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
  CHECK_FALSE(h.sender.is_connected(1));
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
  CHECK(h.metadata.update_leader({"t", 0}, 2, 1));
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
  CHECK(h.sender.in_flight_requests(1) == 3);
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
  CHECK(h.sender.throttled_until(1) == h.now + 500);
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
  CHECK_FALSE(h.sender.is_connected(1));
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
  CHECK_FALSE(h.sender.is_connected(1));
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
  CHECK(h.metadata.leader_of("t", 0) == 2);
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
