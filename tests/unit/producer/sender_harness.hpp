#pragma once
// Shared by the Sender unit tests (sender_*test.cpp): the Sender driven by
// hand — an injected clock (`now`), a scripted transport (FakeTransport: the
// test opens connections and answers requests with real encoded responses),
// a real RecordAccumulator and MetadataCache — and a recording stand-in for
// the idempotence seam.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "support/fake_transport.hpp"
#include "sender.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::producer::sender_testing {

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

inline ProducerConfig make_config(const std::map<std::string, std::string>& extra) {
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

inline AccumulatorConfig accumulator_config(const ProducerConfig& config) {
  AccumulatorConfig c = AccumulatorConfig::from(config);
  c.jitter_seed = 1;
  return c;
}

inline MetadataCache::Options metadata_options(const ProducerConfig& config) {
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

inline std::string text(const std::optional<std::vector<std::uint8_t>>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : std::string("<null>");
}

}  // namespace kwire::producer::sender_testing
