// kwire's ConsumerCore (membership + fetcher + offsets) against a real
// broker. The test moves the core's requests over plain BlockingClient
// connections (a single-node cluster: its broker leads every partition and
// coordinates every group), so what is checked is the core's decisions on
// Kafka's real answers: every record read exactly once by a group, commits
// that Kafka's own kafka-consumer-groups reads back, a new member resuming
// from them, and two members splitting the partitions and taking them over
// when one leaves. Records are written with kwire's producer (the CLI).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <variant>

#include <kwire/consumer/consumer.hpp>
#include <kwire/cluster/request_traits.hpp>
#include <kwire/consumer/consumer_core.hpp>
#include <kwire/net/blocking_client.hpp>
#include <kwire/protocol/add_partitions_to_txn.hpp>
#include <kwire/protocol/end_txn.hpp>
#include <kwire/protocol/find_coordinator.hpp>
#include <kwire/protocol/init_producer_id.hpp>
#include <kwire/protocol/produce.hpp>
#include <kwire/protocol/record_batch.hpp>
#include <kwire/protocol/metadata.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::consumer::ConsumerConfig;
using kwire::consumer::ConsumerCore;
using kwire::consumer::OutgoingRequest;
using kwire::consumer::RebalanceEvent;
using kwire::consumer::TopicPartition;
using kwire::test::broker_env;
using kwire::test::run_command;
using kwire::test::shell_quote;
using kwire::test::committed_by_kafka;
namespace protocol = kwire::protocol;

namespace {

kwire::net::BlockingClient connect_broker(std::chrono::seconds limit) {
  std::string first = broker_env().bootstrap();
  first = first.substr(0, first.find(','));
  kwire::net::ConnectionOptions options;
  options.host = first.substr(0, first.rfind(':'));
  options.port = static_cast<std::uint16_t>(std::stoi(first.substr(first.rfind(':') + 1)));
  options.client_id = "kwire-consumer-core-test";
  kwire::net::BlockingClient client({options}, limit);
  auto ec = client.connect();
  REQUIRE_MESSAGE(!ec, "connect: " << ec.message());
  return client;
}

/// Writes "k<i>:v<i>" for i in [from, to) with kwire's producer (keys spread them).
void produce(const std::string& topic, int from, int to) {
  std::string lines;
  for (int i = from; i < to; ++i) lines += "k" + std::to_string(i) + ":v" + std::to_string(i) + "\n";
  auto result = run_command("printf " + shell_quote(lines) + " | " + kwire::test::kwire_cli() + " produce -b " +
                            shell_quote(broker_env().bootstrap()) + " -t " + shell_quote(topic) + " -k : 2>&1");
  REQUIRE_MESSAGE(result.exit_code == 0, result.output);
}

ConsumerConfig member_config(const std::string& group, bool auto_commit) {
  ConsumerConfig c;
  c.bootstrap_servers = {broker_env().bootstrap()};
  c.group_id = group;
  c.auto_offset_reset = kwire::consumer::OffsetResetPolicy::earliest;
  c.enable_auto_commit = auto_commit;
  c.auto_commit_interval_ms = 200;
  c.session_timeout_ms = 10000;
  c.heartbeat_interval_ms = 500;
  c.max_poll_interval_ms = 30000;
  c.fetch_max_wait_ms = 100;
  c.partition_assignment_strategy = {"range"};
  c.validate();
  return c;
}

/// A ConsumerCore and the test's side of its conversation with the broker.
struct Member {
  ConsumerConfig config;
  ConsumerCore core;
  kwire::net::BlockingClient client;
  std::map<std::string, std::int32_t> partition_counts;
  std::vector<std::string> values;  ///< every value handed out, in order
  std::set<TopicPartition> owned;

  explicit Member(ConsumerConfig c)
      : config(std::move(c)), core(config, std::chrono::steady_clock::now()), client(connect_broker(60s)) {
    find_coordinator();
  }

  void learn_metadata() {
    for (const auto& topic : core.metadata_topics()) {
      if (partition_counts.contains(topic)) continue;
      protocol::MetadataRequest request;
      request.topics.emplace();
      request.topics->push_back({.topic_id = {}, .name = topic, .unknown_tags = {}});
      protocol::MetadataResponse response;
      std::int16_t version = -1;
      REQUIRE_FALSE(client.request(request, response, version));
      for (const auto& t : response.topics)
        if (t.name == topic && t.error_code == kwire::errc::none)
          partition_counts[topic] = static_cast<std::int32_t>(t.partitions.size());
    }
  }

  /// What the cluster layer does before a group request: FindCoordinator
  /// (its first call also creates __consumer_offsets), until it answers.
  void find_coordinator() {
    for (int attempt = 0; attempt < 100; ++attempt) {
      protocol::FindCoordinatorRequest request;
      request.coordinator_keys = {config.group_id};
      protocol::FindCoordinatorResponse response;
      std::int16_t version = -1;
      REQUIRE_FALSE(client.request(request, response, version, 4));
      if (!response.coordinators.empty() && response.coordinators[0].error_code == kwire::errc::none) return;
      std::this_thread::sleep_for(100ms);
    }
    FAIL("no group coordinator for " << config.group_id);
  }

  kwire::consumer::ClusterView view() {
    return {.leader = [](const TopicPartition&) -> std::optional<kwire::consumer::PartitionLeader> {
              // One node: it leads everything (its id is 1 in the harness;
              // the id only keys the fetch session here).
              return kwire::consumer::PartitionLeader{.node_id = 1, .leader_epoch = -1, .topic_id = {}};
            },
            .fetch_version = [](std::int32_t) -> std::int16_t { return 12; },
            .partition_count = [this](const std::string& topic) -> std::optional<std::int32_t> {
              auto it = partition_counts.find(topic);
              if (it == partition_counts.end()) return std::nullopt;
              return it->second;
            },
            .topic_name = {},
            .cluster_topics = {}};
  }

  template <class Resp, class Req>
  void exchange(std::uint64_t id, const Req& request, std::int16_t max_version) {
    Resp response;
    std::int16_t version = -1;
    const auto now = std::chrono::steady_clock::now();
    if (auto ec = client.request(request, response, version, max_version)) {
      if (std::getenv("KWIRE_TEST_DEBUG")) std::fprintf(stderr, "api %d failed: %s\n", static_cast<int>(Req::api_key), ec.message().c_str());
      core.on_failure(id, ec, now);
      return;
    }
    if (std::getenv("KWIRE_TEST_DEBUG")) {
      int code = 0;
      if constexpr (requires { response.error_code; }) code = static_cast<int>(response.error_code);
      std::fprintf(stderr, "api %d v%d -> %d\n", static_cast<int>(Req::api_key), version, code);
    }
    if constexpr (std::is_same_v<Resp, protocol::FetchResponse>)
      core.on_response(id, std::move(response), nullptr, now);
    else
      core.on_response(id, std::move(response), now);
  }

  /// One application poll and one network round.
  void step() {
    const auto now = std::chrono::steady_clock::now();
    core.begin_poll(now);
    while (auto event = core.next_event()) {
      for (const auto& tp : event->partitions) {
        if (event->kind == RebalanceEvent::Kind::assigned) owned.insert(tp);
        else owned.erase(tp);
      }
    }
    core.events_handled();
    learn_metadata();
    for (auto& o : core.run_once(now, view())) {
      std::visit(
          [&](const auto& r) {
            using Req = std::decay_t<decltype(r)>;
            exchange<kwire::cluster::response_t<Req>>(o.id, r, o.max_version);
          },
          o.request);
    }
    std::vector<kwire::consumer::ConsumerRecord> records;
    core.collect(records);
    for (const auto& r : records) values.emplace_back(reinterpret_cast<const char*>(r.value->data()), r.value->size());
    auto errors = core.take_errors();
    for (const auto& e : errors) FAIL_CHECK("consumer error: " << e.message);
  }

  template <class Done>
  void run_until(Done done, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "timed out; read " << values.size());
      step();
    }
  }

  std::error_code commit_all() {
    const std::uint64_t id = core.commit();
    for (int i = 0; i < 100; ++i) {
      for (const auto& r : core.take_commit_results())
        if (r.id == id) return r.error;
      step();
    }
    return make_error_code(kwire::client_errc::timed_out);
  }

  void close() {
    core.close(std::chrono::steady_clock::now());
    for (int i = 0; i < 100 && !core.closed(); ++i) step();
    CHECK(core.closed());
  }
};

std::int64_t total(const std::map<int, std::int64_t>& offsets) {
  std::int64_t sum = 0;
  for (const auto& [p, o] : offsets) sum += o;
  return sum;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

std::set<std::string> expected_values(int from, int to) {
  std::set<std::string> out;
  for (int i = from; i < to; ++i) out.insert("v" + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("ConsumerCore on a real broker: a group reads every record once, commits, and a new member resumes") {
  const std::string topic = kwire::test::unique_topic("core-group");
  const std::string group = topic + "-g";
  kwire::test::create_topic(topic, 3);
  produce(topic, 0, 30);

  {
    Member a(member_config(group, /*auto_commit=*/false));
    a.core.subscribe({topic});
    a.run_until([&] { return a.values.size() >= 30; }, 60s);
    for (int i = 0; i < 5; ++i) a.step();  // nothing more arrives
    CHECK(a.values.size() == 30);
    CHECK(as_set(a.values) == expected_values(0, 30));
    CHECK(a.owned.size() == 3);
    REQUIRE_FALSE(a.commit_all());
    a.close();
  }
  // Kafka's own tool reads the commits back: 30 records over 3 partitions.
  const auto offsets = committed_by_kafka(group, topic);
  CHECK(offsets.size() == 3);
  CHECK(total(offsets) == 30);

  produce(topic, 30, 40);
  Member b(member_config(group, /*auto_commit=*/true));
  b.core.subscribe({topic});
  b.run_until([&] { return b.values.size() >= 10; }, 60s);
  for (int i = 0; i < 5; ++i) b.step();
  CHECK(as_set(b.values) == expected_values(30, 40));  // resumed at the commits: nothing old again
  CHECK(b.values.size() == 10);
  b.close();  // auto-commit at close
  CHECK(total(committed_by_kafka(group, topic)) == 40);
}

TEST_CASE("ConsumerCore on a real broker: two members split the partitions and one takes over when the other leaves") {
  const std::string topic = kwire::test::unique_topic("core-split");
  const std::string group = topic + "-g";
  kwire::test::create_topic(topic, 4);
  produce(topic, 0, 40);

  Member a(member_config(group, /*auto_commit=*/true));
  Member b(member_config(group, /*auto_commit=*/true));
  a.core.subscribe({topic});
  b.core.subscribe({topic});
  // Each member runs on its own thread: a JoinGroup blocks until the
  // rebalance completes, which needs the other member's JoinGroup.
  std::atomic<bool> stop_b{false};
  std::atomic<std::size_t> b_owned{0}, b_read{0};
  std::thread b_thread([&] {
    while (!stop_b.load()) {
      b.step();
      b_owned.store(b.owned.size());
      b_read.store(b.values.size());
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (std::chrono::steady_clock::now() < deadline) {
    a.step();
    if (a.owned.size() == 2 && b_owned.load() == 2 && a.values.size() + b_read.load() >= 40) break;
  }
  stop_b.store(true);
  b_thread.join();
  CHECK(a.owned.size() == 2);
  CHECK(b.owned.size() == 2);
  std::vector<std::string> all = a.values;
  all.insert(all.end(), b.values.begin(), b.values.end());
  CHECK(all.size() == 40);  // exactly once: the rebalance committed before moving partitions
  CHECK(as_set(all) == expected_values(0, 40));

  // b leaves; a takes all four partitions and reads what comes next, from
  // what b committed at close.
  b.close();
  produce(topic, 40, 48);
  const std::size_t before = a.values.size();
  a.run_until([&] { return a.owned.size() == 4 && a.values.size() >= before + 8; }, 60s);
  for (int i = 0; i < 5; ++i) a.step();
  std::vector<std::string> late(a.values.begin() + static_cast<std::ptrdiff_t>(before), a.values.end());
  CHECK(as_set(late) == expected_values(40, 48));
  CHECK(late.size() == 8);
  a.close();
}

// ---- kwire::Consumer: the same core, networked through the cluster layer.

namespace {

kwire::consumer::ConsumerConfig api_config(const std::string& group, bool auto_commit) {
  auto c = member_config(group, auto_commit);
  c.client_id = "kwire-consumer-test";
  return c;
}

/// Polls until `done` or `limit`, keeping every value handed out.
template <class Done>
void poll_until(kwire::consumer::Consumer& consumer, std::vector<std::string>& values, Done done,
                std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "timed out; read " << values.size());
    for (const auto& r : consumer.poll(100ms))
      values.emplace_back(reinterpret_cast<const char*>(r.value->data()), r.value->size());
    for (const auto& e : consumer.errors()) FAIL_CHECK("consumer error: " << e.message);
  }
}

}  // namespace

TEST_CASE("kwire::Consumer: a group reads every record once, commit_sync, committed(), and a new member resumes") {
  const std::string topic = kwire::test::unique_topic("consumer-api");
  const std::string group = topic + "-g";
  kwire::test::create_topic(topic, 3);
  produce(topic, 0, 30);
  {
    std::vector<TopicPartition> assigned;
    kwire::consumer::RebalanceCallbacks callbacks;
    callbacks.on_assigned = [&](kwire::consumer::Consumer&, const std::vector<TopicPartition>& parts) {
      assigned.insert(assigned.end(), parts.begin(), parts.end());
    };
    kwire::consumer::Consumer consumer(api_config(group, false), callbacks);
    consumer.subscribe({topic});
    std::vector<std::string> values;
    poll_until(consumer, values, [&] { return values.size() >= 30; }, 60s);
    for (int i = 0; i < 3; ++i) (void)consumer.poll(100ms);
    CHECK(values.size() == 30);
    CHECK(as_set(values) == expected_values(0, 30));
    CHECK(assigned.size() == 3);
    CHECK_FALSE(consumer.commit_sync());
    auto committed = consumer.committed({{topic, 0}, {topic, 1}, {topic, 2}});
    std::int64_t sum = 0;
    for (const auto& [tp, offset] : committed) sum += offset ? offset->offset : 0;
    CHECK(sum == 30);
    CHECK_FALSE(consumer.member_id().empty());
    consumer.close();
  }
  CHECK(total(committed_by_kafka(group, topic)) == 30);

  produce(topic, 30, 40);
  kwire::consumer::Consumer next(api_config(group, true));
  next.subscribe({topic});
  std::vector<std::string> values;
  poll_until(next, values, [&] { return values.size() >= 10; }, 60s);
  for (int i = 0; i < 3; ++i) (void)next.poll(100ms);
  CHECK(as_set(values) == expected_values(30, 40));
  CHECK(values.size() == 10);
  next.close();  // auto-commit at close
  CHECK(total(committed_by_kafka(group, topic)) == 40);
}

TEST_CASE("kwire::Consumer: two members split the partitions, the survivor takes all when one closes") {
  const std::string topic = kwire::test::unique_topic("consumer-api-split");
  const std::string group = topic + "-g";
  kwire::test::create_topic(topic, 4);
  produce(topic, 0, 40);

  kwire::consumer::Consumer a(api_config(group, true));
  a.subscribe({topic});
  std::vector<std::string> a_values;
  std::vector<std::string> b_values;
  std::atomic<bool> stop_b{false};
  std::atomic<std::size_t> b_owned{0}, b_read{0};
  auto b = std::make_unique<kwire::consumer::Consumer>(api_config(group, true));
  b->subscribe({topic});
  std::thread b_thread([&] {
    while (!stop_b.load()) {
      for (const auto& r : b->poll(100ms))
        b_values.emplace_back(reinterpret_cast<const char*>(r.value->data()), r.value->size());
      b_owned.store(b->assignment().size());
      b_read.store(b_values.size());
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& r : a.poll(100ms))
      a_values.emplace_back(reinterpret_cast<const char*>(r.value->data()), r.value->size());
    if (a.assignment().size() == 2 && b_owned.load() == 2 && a_values.size() + b_read.load() >= 40) break;
  }
  stop_b.store(true);
  b_thread.join();
  CHECK(a.assignment().size() == 2);
  CHECK(b->assignment().size() == 2);
  std::vector<std::string> all = a_values;
  all.insert(all.end(), b_values.begin(), b_values.end());
  CHECK(all.size() == 40);
  CHECK(as_set(all) == expected_values(0, 40));

  b->close();
  b.reset();
  produce(topic, 40, 48);
  const std::size_t before = a_values.size();
  poll_until(a, a_values, [&] { return a.assignment().size() == 4 && a_values.size() >= before + 8; }, 60s);
  for (int i = 0; i < 3; ++i) (void)a.poll(100ms);
  std::vector<std::string> late(a_values.begin() + static_cast<std::ptrdiff_t>(before), a_values.end());
  CHECK(as_set(late) == expected_values(40, 48));
  CHECK(late.size() == 8);
  a.close();
}

TEST_CASE("kwire consume -G: joins the group, prints its records, commits, and a second run starts after them") {
  const std::string topic = kwire::test::unique_topic("consume-g");
  const std::string group = topic + "-g";
  kwire::test::create_topic(topic, 3);
  produce(topic, 0, 12);
  const std::string base = kwire::test::kwire_cli() + " consume -b " + shell_quote(broker_env().bootstrap()) +
                           " -G " + shell_quote(group) + " " + shell_quote(topic) + " -e";
  auto first = run_command(base + " -o beginning 2>/dev/null");
  REQUIRE(first.exit_code == 0);
  std::vector<std::string> lines;
  std::istringstream in(first.output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  CHECK(lines.size() == 12);
  CHECK(as_set(lines) == expected_values(0, 12));
  CHECK(total(committed_by_kafka(group, topic)) == 12);

  produce(topic, 12, 15);
  auto second = run_command(base + " --json 2>/dev/null");
  REQUIRE(second.exit_code == 0);
  CHECK(second.output.find("\"value\":\"v12\"") != std::string::npos);
  CHECK(second.output.find("\"value\":\"v0\"") == std::string::npos);
  CHECK(std::count(second.output.begin(), second.output.end(), '\n') == 3);
  CHECK(total(committed_by_kafka(group, topic)) == 15);
}

// ---- read_committed: a transaction written here (TV1 shapes:
// AddPartitionsToTxn <= v3, Produce <= v11, EndTxn <= v4), aborted or committed.

namespace {

/// Retries `attempt` (returning the Kafka error) while the broker is busy.
kwire::errc retry_busy(const std::function<kwire::errc()>& attempt) {
  kwire::errc e = kwire::errc::none;
  for (int i = 0; i < 150; ++i) {
    e = attempt();
    if (e != kwire::errc::coordinator_load_in_progress && e != kwire::errc::coordinator_not_available &&
        e != kwire::errc::not_coordinator && e != kwire::errc::concurrent_transactions &&
        e != kwire::errc::unknown_topic_or_partition && e != kwire::errc::not_leader_or_follower)
      return e;
    std::this_thread::sleep_for(100ms);
  }
  return e;
}

void write_transaction(const std::string& topic, const std::vector<std::string>& values, bool commit) {
  auto client = connect_broker(60s);
  const std::string txn_id = topic + "-txn-" + (commit ? "c" : "a");
  REQUIRE(retry_busy([&] {
            protocol::FindCoordinatorRequest request;
            request.key_type = 1;
            request.coordinator_keys = {txn_id};
            protocol::FindCoordinatorResponse response;
            std::int16_t v = -1;
            if (client.request(request, response, v, 4) || response.coordinators.empty())
              return kwire::errc::coordinator_not_available;
            return response.coordinators[0].error_code;
          }) == kwire::errc::none);
  std::int64_t producer_id = -1;
  std::int16_t epoch = -1;
  REQUIRE(retry_busy([&] {
            protocol::InitProducerIdRequest request;
            request.transactional_id = txn_id;
            request.transaction_timeout_ms = 60000;
            protocol::InitProducerIdResponse response;
            std::int16_t v = -1;
            if (client.request(request, response, v)) return kwire::errc::coordinator_not_available;
            producer_id = response.producer_id;
            epoch = response.producer_epoch;
            return response.error_code;
          }) == kwire::errc::none);
  REQUIRE(retry_busy([&] {
            protocol::AddPartitionsToTxnRequest request;
            request.v3_and_below_transactional_id = txn_id;
            request.v3_and_below_producer_id = producer_id;
            request.v3_and_below_producer_epoch = epoch;
            request.v3_and_below_topics = {{topic, {0}, {}}};
            protocol::AddPartitionsToTxnResponse response;
            std::int16_t v = -1;
            if (client.request(request, response, v, 3)) return kwire::errc::coordinator_not_available;
            for (const auto& t : response.results_by_topic_v3_and_below)
              for (const auto& r : t.partitions)
                if (r.error_code != kwire::errc::none) return r.error_code;
            return response.error_code;
          }) == kwire::errc::none);
  protocol::RecordBatchBuilder builder(1000);
  for (const auto& value : values)
    builder.append(1000, std::nullopt,
                   std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
  protocol::BatchSealParams seal;
  seal.producer_id = producer_id;
  seal.producer_epoch = epoch;
  seal.base_sequence = 0;
  seal.is_transactional = true;
  const auto batch = builder.seal(seal);
  REQUIRE(retry_busy([&] {
            protocol::ProduceRequest request;
            request.transactional_id = txn_id;
            request.acks = -1;
            request.timeout_ms = 30000;
            protocol::ProduceRequest::TopicData t;
            t.name = topic;
            protocol::ProduceRequest::PartitionData pd;
            pd.index = 0;
            pd.records = batch;
            t.partition_data.push_back(std::move(pd));
            request.topic_data.push_back(std::move(t));
            protocol::ProduceResponse response;
            std::int16_t v = -1;
            if (client.request(request, response, v, 11)) return kwire::errc::not_leader_or_follower;
            for (const auto& rt : response.responses)
              for (const auto& rp : rt.partition_responses) return rp.error_code;
            return kwire::errc::unknown_server_error;
          }) == kwire::errc::none);
  REQUIRE(retry_busy([&] {
            protocol::EndTxnRequest request{txn_id, producer_id, epoch, commit, {}};
            protocol::EndTxnResponse response;
            std::int16_t v = -1;
            if (client.request(request, response, v, 4)) return kwire::errc::coordinator_not_available;
            return response.error_code;
          }) == kwire::errc::none);
}

std::vector<std::string> read_all(const std::string& topic, const std::string& isolation, std::size_t expected) {
  auto config = api_config(topic + "-" + isolation, false);
  config.set("isolation.level", isolation);
  kwire::consumer::Consumer consumer(config);
  consumer.subscribe({topic});
  std::vector<std::string> values;
  poll_until(consumer, values, [&] { return values.size() >= expected; }, 60s);
  for (int i = 0; i < 5; ++i)
    for (const auto& r : consumer.poll(100ms))
      values.emplace_back(reinterpret_cast<const char*>(r.value->data()), r.value->size());
  consumer.close();
  return values;
}

}  // namespace

TEST_CASE("kwire::Consumer: read_committed never hands out an aborted transaction's records; read_uncommitted does") {
  const std::string topic = kwire::test::unique_topic("consumer-txn");
  kwire::test::create_topic(topic, 1);
  produce(topic, 0, 2);                                    // v0 v1
  write_transaction(topic, {"aborted1", "aborted2"}, false);
  write_transaction(topic, {"committed1"}, true);
  produce(topic, 2, 3);                                    // v2
  const auto committed = read_all(topic, "read_committed", 4);
  CHECK(committed == std::vector<std::string>{"v0", "v1", "committed1", "v2"});
  const auto uncommitted = read_all(topic, "read_uncommitted", 6);
  CHECK(uncommitted == std::vector<std::string>{"v0", "v1", "aborted1", "aborted2", "committed1", "v2"});
}

TEST_CASE("kwire::Consumer without group.id: assign() alone reads a partition from the beginning, promptly") {
  const std::string topic = kwire::test::unique_topic("consumer-nogroup");
  kwire::test::create_topic(topic, 1);
  produce(topic, 0, 3);  // v0 v1 v2
  kwire::consumer::ConsumerConfig config;
  config.set("bootstrap.servers", broker_env().bootstrap());
  config.set("auto.offset.reset", "earliest");
  config.set("fetch.max.wait.ms", "100");
  kwire::consumer::Consumer consumer(config);
  consumer.assign({{topic, 0}});
  std::vector<std::string> values;
  // No group: nothing else wakes the network thread, so the metadata and
  // the first Fetch must go out because assign() asked for them.
  poll_until(consumer, values, [&] { return values.size() >= 3; }, 10s);
  CHECK(values == std::vector<std::string>{"v0", "v1", "v2"});
  consumer.close();
}

TEST_CASE("kwire::Consumer: commit_sync runs the callbacks of the commit_async calls before it") {
  const std::string topic = kwire::test::unique_topic("consumer-async-commit");
  kwire::test::create_topic(topic, 1);
  produce(topic, 0, 4);
  kwire::consumer::Consumer consumer(api_config(topic + "-g", false));
  consumer.subscribe({topic});
  std::vector<std::string> values;
  poll_until(consumer, values, [&] { return values.size() >= 4; }, 60s);
  std::vector<std::int64_t> async_offsets;
  std::error_code async_error = make_error_code(kwire::client_errc::timed_out);
  auto commit_at = [&](std::int64_t offset) {
    kwire::consumer::CommitOffset c;
    c.partition = {topic, 0};
    c.offset = offset;
    return std::vector<kwire::consumer::CommitOffset>{c};
  };
  consumer.commit_async(commit_at(2), [&](const kwire::consumer::CommitResult& r) {
    async_error = r.error;
    for (const auto& committed : r.offsets) async_offsets.push_back(committed.offset);
  });
  CHECK_FALSE(consumer.commit_sync(commit_at(4)));
  // No poll() in between: commit_sync delivered the earlier callback.
  CHECK_FALSE(async_error);
  CHECK(async_offsets == std::vector<std::int64_t>{2});
  consumer.close();
  CHECK(total(committed_by_kafka(topic + "-g", topic)) == 4);
}
