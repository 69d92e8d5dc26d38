// The transactional producer against a real broker (the fixture runs Kafka
// 4.x and 4.0.x with transaction version 2, 3.9.x with version 1), read back
// by Kafka's own Java console consumer with --isolation-level
// read_committed and by kcat (librdkafka) at either isolation level, so
// kwire never checks itself: exactly the committed records, in order per
// partition, never an aborted one; a second instance
// with the same transactional.id fences the first (fatal), and the second
// commits; `kwire produce --transactional-id --transaction-size
// --abort-every` leaves exactly its committed records visible; an open
// transaction holds the last stable offset for kcat and kwire::Consumer
// alike until it commits; transaction.timeout.ms expiry on both transaction
// versions; 1,000 back-to-back tiny transactions. (In -tc filters a comma
// separates patterns: match "1,000" with "1?000".)
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <kwire/consumer/consumer.hpp>
#include <kwire/producer/producer.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::test::broker_env;
using kwire::test::create_topic;
using kwire::test::run_command;
using kwire::test::shell_quote;
using kwire::test::unique_topic;

namespace {

/// One record as the Java console consumer printed it.
struct JavaRecord {
  std::int32_t partition = -1;
  std::string value;
};

/// The first `count` records Kafka's Java console consumer sees in the
/// topics `topic_regex` matches with isolation.level=read_committed, from
/// the beginning. It exits after `count` (or when nothing new arrived for a
/// few seconds, so fewer than `count` fails the caller's check quickly
/// enough): a JVM that waits for its idle timeout costs seconds per call.
std::vector<JavaRecord> java_read_committed(const std::string& topic_regex, std::size_t count) {
  const std::string command = shell_quote(KWIRE_BROKER_SCRIPT) +
                              " run-class org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server " +
                              shell_quote(broker_env().bootstrap()) + " --include " + shell_quote(topic_regex) +
                              " --from-beginning --isolation-level read_committed --max-messages " +
                              std::to_string(count) +
                              " --timeout-ms 8000 --property print.partition=true 2>/dev/null";
  const auto result = run_command(command);
  static const std::regex line(R"(^Partition:(\d+)\t(.*)$)");
  std::vector<JavaRecord> out;
  std::size_t start = 0;
  while (start < result.output.size()) {
    std::size_t end = result.output.find('\n', start);
    if (end == std::string::npos) end = result.output.size();
    const std::string text = result.output.substr(start, end - start);
    start = end + 1;
    std::smatch m;
    if (std::regex_match(text, m, line)) out.push_back({std::stoi(m[1]), m[2]});
  }
  return out;
}

/// The values kcat reads from `topic` with isolation.level=`isolation`
/// (to the last stable offset, or the high watermark for read_uncommitted).
std::multiset<std::string> kcat_values(const std::string& topic, const std::string& isolation = "read_committed") {
  std::multiset<std::string> values;
  for (const auto& r : kwire::test::consume_with_kcat_isolation(topic, isolation)) values.insert(r.value.value_or(""));
  return values;
}

std::map<std::string, std::string> transactional(const std::string& id) {
  return {{"bootstrap.servers", broker_env().bootstrap()},
          {"transactional.id", id},
          {"client.id", "kwire-txn-test"},
          {"linger.ms", "5"}};
}

/// "<transaction>-<n>": values sort by transaction, then by record.
std::string value_of(int transaction, int n) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "t%03d-r%03d", transaction, n);
  return buffer;
}

}  // namespace

TEST_CASE("transactions: committed ones are read by Java's read_committed consumer, aborted ones never") {
  const std::string a = unique_topic("txn-a");
  const std::string b = unique_topic("txn-b");
  const std::string c = unique_topic("txn-c");
  for (const auto& t : {a, b, c}) create_topic(t, 4, 1);
  const std::vector<std::string> topics{a, b, c};

  kwire::Producer producer(transactional(unique_topic("txn-id")));
  const auto init = producer.init_transactions(60s);
  REQUIRE_MESSAGE(init.ok(), init.message());

  std::map<std::string, std::multiset<std::string>> committed;
  std::map<std::string, std::set<std::string>> aborted;
  constexpr int kTransactions = 6;
  constexpr int kRecords = 24;  // 2 per partition per topic
  for (int t = 1; t <= kTransactions; ++t) {
    const bool abort = t % 3 == 0;
    auto txn = producer.transaction();
    REQUIRE_MESSAGE(txn.status().ok(), txn.status().message());
    for (int r = 0; r < kRecords; ++r) {
      const std::string& topic = topics[static_cast<std::size_t>(r % 3)];
      const std::string value = value_of(t, r);
      kwire::producer::RecordView record(topic, std::nullopt, kwire::producer::bytes_of(value));
      record.partition = (r / 3) % 4;
      producer.send(record, [](const kwire::producer::DeliveryReport& report) {
        CHECK_MESSAGE(report.ok(), report.error.message());
      });
      if (abort)
        aborted[topic].insert(value);
      else
        committed[topic].insert(value);
    }
    if (abort) {
      REQUIRE(producer.flush(30s));  // written to the log, then aborted
      const auto status = txn.abort(30s);
      REQUIRE_MESSAGE(status.ok(), status.message());
    } else {
      const auto status = txn.commit(30s);
      REQUIRE_MESSAGE(status.ok(), status.message());
    }
  }
  // A guard that goes out of scope unended aborts.
  {
    auto txn = producer.transaction();
    REQUIRE(txn.status().ok());
    const std::string value = "never-committed";
    kwire::producer::RecordView record(a, std::nullopt, kwire::producer::bytes_of(value));
    producer.send(record, [](const kwire::producer::DeliveryReport&) {});
    REQUIRE(producer.flush(30s));
    aborted[a].insert("never-committed");
  }
  // The producer goes on after the guard's abort.
  {
    auto txn = producer.transaction();
    REQUIRE(txn.status().ok());
    const std::string value = "after-guard";
    kwire::producer::RecordView record(b, std::nullopt, kwire::producer::bytes_of(value));
    producer.send(record, [](const kwire::producer::DeliveryReport& r) { CHECK(r.ok()); });
    committed[b].insert(value);
    REQUIRE(txn.commit(30s).ok());
  }
  // A last committed transaction puts a record after every aborted one in
  // every partition: a reader that stops after exactly the committed count
  // can then only have seen the committed set if it skipped every aborted
  // record (any aborted record it delivered would push a closing one out).
  {
    auto txn = producer.transaction();
    REQUIRE(txn.status().ok());
    for (std::size_t t = 0; t < topics.size(); ++t)
      for (int p = 0; p < 4; ++p) {
        const std::string value = "z-close-" + std::to_string(t) + "-" + std::to_string(p);
        kwire::producer::RecordView record(topics[t], std::nullopt, kwire::producer::bytes_of(value));
        record.partition = p;
        producer.send(record, [](const kwire::producer::DeliveryReport& r) { CHECK(r.ok()); });
        committed[topics[t]].insert(value);
      }
    REQUIRE(txn.commit(30s).ok());
  }
  producer.close(10s);

  // Values are unique across the three topics, so one Java run reads them all.
  std::map<std::string, std::string> topic_of;
  std::size_t committed_count = 0;
  for (const auto& [topic, values] : committed) {
    committed_count += values.size();
    for (const auto& v : values) topic_of[v] = topic;
  }
  std::map<std::string, std::multiset<std::string>> seen;
  std::map<std::pair<std::string, std::int32_t>, std::string> last;
  for (const auto& r : java_read_committed(a + "|" + b + "|" + c, committed_count)) {
    const auto topic = topic_of.find(r.value);
    REQUIRE_MESSAGE(topic != topic_of.end(), "Java read a record never committed: " << r.value);
    seen[topic->second].insert(r.value);
    // In send order per partition (transaction values sort in send order).
    if (r.value.starts_with("t")) {
      auto& previous = last[{topic->second, r.partition}];
      CHECK(previous < r.value);
      previous = r.value;
    }
  }
  for (const auto& topic : topics) {
    CHECK(seen[topic] == committed[topic]);
    // kcat agrees at read_committed, and read_uncommitted shows the aborted
    // records too: they are in the log, hidden only by the markers.
    CHECK(kcat_values(topic) == committed[topic]);
    auto everything = committed[topic];
    everything.insert(aborted[topic].begin(), aborted[topic].end());
    CHECK(kcat_values(topic, "read_uncommitted") == everything);
  }
}

TEST_CASE("transactions: a second producer with the same transactional.id fences the first (fatal)") {
  const std::string topic = unique_topic("txn-fence");
  create_topic(topic, 2, 1);
  const std::string id = unique_topic("txn-fence-id");

  kwire::Producer zombie(transactional(id));
  REQUIRE(zombie.init_transactions(60s).ok());
  REQUIRE(zombie.begin_transaction().ok());
  const std::string zombie_value = "zombie";
  kwire::producer::RecordView record(topic, std::nullopt, kwire::producer::bytes_of(zombie_value));
  zombie.send(record, [](const kwire::producer::DeliveryReport&) {});
  REQUIRE(zombie.flush(30s));

  kwire::Producer successor(transactional(id));
  const auto init = successor.init_transactions(60s);
  REQUIRE_MESSAGE(init.ok(), init.message());  // fences the zombie, aborts its transaction

  const auto commit = zombie.commit_transaction(30s);
  CHECK_FALSE(commit.ok());
  CHECK_MESSAGE(commit.fatal(), commit.message());
  CHECK(commit.detail.find(id) != std::string::npos);  // names the transactional id
  // Every later call fails alike; sends are refused.
  CHECK(zombie.begin_transaction().fatal());
  std::error_code refused;
  zombie.send(record, [&](const kwire::producer::DeliveryReport& r) { refused = r.error; });
  CHECK(refused == kwire::client_errc::fatal_producer_state);

  REQUIRE(successor.begin_transaction().ok());
  const std::string successor_value = "successor";
  kwire::producer::RecordView next(topic, std::nullopt, kwire::producer::bytes_of(successor_value));
  successor.send(next, [](const kwire::producer::DeliveryReport& r) { CHECK(r.ok()); });
  const auto committed = successor.commit_transaction(30s);
  REQUIRE_MESSAGE(committed.ok(), committed.message());

  CHECK(kcat_values(topic) == std::multiset<std::string>{"successor"});
  CHECK(kcat_values(topic, "read_uncommitted") == std::multiset<std::string>{"zombie", "successor"});
}

TEST_CASE("kwire produce --transactional-id --transaction-size --abort-every: only committed records are visible") {
  const std::string topic = unique_topic("txn-cli");
  create_topic(topic, 3, 1);
  // 20 records in transactions of 4: transactions 2 and 4 aborted.
  const auto result = run_command("seq 1 20 | " + shell_quote(kwire::test::kwire_cli()) + " produce -b " +
                                  shell_quote(broker_env().bootstrap()) + " -t " + shell_quote(topic) +
                                  " --transactional-id " + shell_quote(unique_topic("txn-cli-id")) +
                                  " --transaction-size 4 --abort-every 2 2>&1");
  CHECK_MESSAGE(result.exit_code == 0, result.output);
  CHECK(result.output.find("transactions committed 3 (12 records), aborted 2 (8 records)") != std::string::npos);
  std::set<int> values;
  for (const auto& v : kcat_values(topic)) values.insert(std::stoi(v));
  std::set<int> expected;
  for (int v : {1, 2, 3, 4, 9, 10, 11, 12, 17, 18, 19, 20}) expected.insert(v);
  CHECK(values == expected);
}

TEST_CASE("kwire copy: exactly-once copy of the committed input; a rerun resumes from the group's offsets") {
  const std::string in = unique_topic("txn-copy-in");
  const std::string out = unique_topic("txn-copy-out");
  create_topic(in, 3, 1);
  create_topic(out, 3, 1);
  const std::string bootstrap = shell_quote(broker_env().bootstrap());
  const std::string cli = shell_quote(kwire::test::kwire_cli());
  const std::string group = unique_topic("txn-copy-group");
  const std::string copier_id = unique_topic("txn-copier");
  // 60 input records in transactions of 10, every 3rd aborted: 40 committed.
  auto produce = [&](int first, int last) {
    const auto r = run_command("seq " + std::to_string(first) + " " + std::to_string(last) + " | " + cli +
                               " produce -b " + bootstrap + " -t " + shell_quote(in) + " --transactional-id " +
                               shell_quote(unique_topic("txn-copy-src")) +
                               " --transaction-size 10 --abort-every 3 2>&1");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  };
  auto copy = [&] {
    const auto r = run_command(cli + " copy -b " + bootstrap + " --from " + shell_quote(in) + " --to " +
                               shell_quote(out) + " -G " + shell_quote(group) + " --transactional-id " +
                               shell_quote(copier_id) + " --transaction-size 7 -e 2>&1");
    CHECK_MESSAGE(r.exit_code == 0, r.output);
    return r.output;
  };
  produce(1, 60);
  const auto input_v1 = kcat_values(in);
  CHECK(input_v1.size() == 40);
  CHECK(copy().find("copied 40 records") != std::string::npos);
  // Nothing new: the committed offsets say everything was copied.
  CHECK(copy().find("copied 0 records") != std::string::npos);
  produce(61, 90);  // 20 more committed
  CHECK(copy().find("copied 20 records") != std::string::npos);

  const auto input = kcat_values(in);
  const auto output = kcat_values(out);
  CHECK(input.size() == 60);
  CHECK(output == input);  // every committed input record exactly once
}

namespace {

/// What a kwire::Consumer at isolation.level=`isolation` reads from `topic`
/// (one partition, from the beginning) in `window`: the values, in order.
std::vector<std::string> kwire_read_for(const std::string& topic, const std::string& isolation,
                                        std::chrono::milliseconds window, std::size_t stop_at) {
  kwire::consumer::ConsumerConfig config;
  config.set("bootstrap.servers", broker_env().bootstrap());
  config.set("group.id", unique_topic("txn-lso-reader"));
  config.set("auto.offset.reset", "earliest");
  config.set("enable.auto.commit", "false");
  config.set("fetch.max.wait.ms", "100");
  config.set("isolation.level", isolation);
  kwire::consumer::Consumer consumer(config);
  consumer.assign({{topic, 0}});
  std::vector<std::string> values;
  const auto deadline = std::chrono::steady_clock::now() + window;
  while (values.size() < stop_at && std::chrono::steady_clock::now() < deadline)
    for (const auto& r : consumer.poll(100ms))
      values.emplace_back(reinterpret_cast<const char*>(r.value->data()), r.value->size());
  consumer.close();
  return values;
}

}  // namespace

TEST_CASE("an open transaction holds the last stable offset: read_committed readers see nothing past it until "
          "it commits") {
  const std::string topic = unique_topic("txn-lso");
  create_topic(topic, 1, 1);
  kwire::Producer transactional_producer(transactional(unique_topic("txn-lso-id")));
  REQUIRE(transactional_producer.init_transactions(60s).ok());
  REQUIRE(transactional_producer.begin_transaction().ok());
  const std::string open_value = "in-open-transaction";
  kwire::producer::RecordView in_txn(topic, std::nullopt, kwire::producer::bytes_of(open_value));
  in_txn.partition = 0;
  transactional_producer.send(in_txn, [](const kwire::producer::DeliveryReport& r) { CHECK(r.ok()); });
  REQUIRE(transactional_producer.flush(30s));

  // A plain producer's record lands after the open transaction's: committed
  // data, but above the LSO while the transaction stays open.
  {
    kwire::Producer plain({{"bootstrap.servers", broker_env().bootstrap()}});
    const std::string value = "after-the-open-one";
    kwire::producer::RecordView record(topic, std::nullopt, kwire::producer::bytes_of(value));
    record.partition = 0;
    plain.send(record, [](const kwire::producer::DeliveryReport& r) { CHECK(r.ok()); });
    REQUIRE(plain.flush(30s));
  }

  // The broker's view (kcat) and kwire's consumer agree: nothing is stable yet.
  CHECK(kcat_values(topic).empty());
  CHECK(kwire_read_for(topic, "read_committed", 2s, 1).empty());
  const std::vector<std::string> both{open_value, "after-the-open-one"};
  CHECK(kwire_read_for(topic, "read_uncommitted", 30s, 2) == both);

  REQUIRE(transactional_producer.commit_transaction(30s).ok());
  CHECK(kwire_read_for(topic, "read_committed", 30s, 2) == both);
  CHECK(kcat_values(topic) == std::multiset<std::string>(both.begin(), both.end()));
}

namespace {

/// A transactional config whose transactions expire after 2 s (records
/// may not outlive them: delivery and request timeouts below it).
std::map<std::string, std::string> expiring(const std::string& id) {
  auto config = transactional(id);
  config["transaction.timeout.ms"] = "2000";
  config["delivery.timeout.ms"] = "2000";
  config["request.timeout.ms"] = "1500";
  return config;
}

/// One transaction of one record `value` to partition 0 of `topic`,
/// committed; then read_committed holds exactly that record.
void commit_only(kwire::Producer& producer, const std::string& topic, const std::string& value) {
  REQUIRE(producer.begin_transaction().ok());
  kwire::producer::RecordView record(topic, std::nullopt, kwire::producer::bytes_of(value));
  record.partition = 0;
  producer.send(record, [](const kwire::producer::DeliveryReport& r) { CHECK_MESSAGE(r.ok(), r.error.message()); });
  const auto committed = producer.commit_transaction(30s);
  REQUIRE_MESSAGE(committed.ok(), committed.message());
  CHECK(kcat_values(topic) == std::multiset<std::string>{value});
}

}  // namespace

TEST_CASE("a transaction open past transaction.timeout.ms is aborted by the coordinator: commit fails, nothing "
          "is visible, and the transactional.id goes on") {
  const std::string topic = unique_topic("txn-expiry");
  create_topic(topic, 1, 1);
  const std::string id = unique_topic("txn-expiry-id");
  kwire::Producer producer(expiring(id));
  REQUIRE(producer.init_transactions(60s).ok());
  REQUIRE(producer.begin_transaction().ok());
  const std::string expired_value = "expired";
  kwire::producer::RecordView record(topic, std::nullopt, kwire::producer::bytes_of(expired_value));
  producer.send(record, [](const kwire::producer::DeliveryReport&) {});
  REQUIRE(producer.flush(30s));
  // The harness's coordinator sweeps every second: past 2 s it aborts the
  // transaction and bumps the producer's epoch.
  std::this_thread::sleep_for(5s);
  const auto commit = producer.commit_transaction(30s);
  CHECK_FALSE(commit.ok());
  CHECK_MESSAGE((commit.abortable() || commit.fatal()), commit.message());
  MESSAGE("commit after the coordinator's timeout abort: " << commit.message());
  CHECK(kcat_values(topic).empty());
  CHECK(kcat_values(topic, "read_uncommitted") == std::multiset<std::string>{"expired"});

  // The id is usable again: after an abortable error this producer aborts
  // and goes on; after a fatal one a new instance takes the id over.
  std::optional<kwire::Producer> successor;
  kwire::Producer* next = &producer;
  if (commit.abortable()) {
    const auto abort = producer.abort_transaction(30s);
    REQUIRE_MESSAGE(abort.ok(), abort.message());
  } else {
    producer.close(5s);
    successor.emplace(transactional(id));
    REQUIRE(successor->init_transactions(60s).ok());
    next = &*successor;
  }
  commit_only(*next, topic, "after-expiry");
}

TEST_CASE("a send after the coordinator aborted an expired transaction fails the transaction abortably (KIP-588); "
          "under transaction version 2 the same producer aborts and commits the next one") {
  const std::string topic = unique_topic("txn-expiry-send");
  create_topic(topic, 1, 1);
  const std::string id = unique_topic("txn-expiry-send-id");
  kwire::Producer producer(expiring(id));
  REQUIRE(producer.init_transactions(60s).ok());
  REQUIRE(producer.begin_transaction().ok());
  auto send = [&](const std::string& value, std::error_code* outcome) {
    kwire::producer::RecordView record(topic, std::nullopt, kwire::producer::bytes_of(value));
    record.partition = 0;
    producer.send(record, [outcome](const kwire::producer::DeliveryReport& r) {
      if (outcome) *outcome = r.error;
    });
    REQUIRE(producer.flush(30s));
  };
  send("expired-1", nullptr);
  std::this_thread::sleep_for(5s);  // the coordinator aborts it and bumps the epoch
  std::error_code late{};
  send("expired-2", &late);
  CHECK_MESSAGE(late == kwire::errc::invalid_producer_epoch, late.message());
  const auto commit = producer.commit_transaction(30s);
  CHECK_FALSE(commit.ok());
  CHECK_MESSAGE(commit.abortable(), commit.message());

  // Transaction version 1 (Kafka 3.9) requires the client's epoch in
  // EndTxn to equal the coordinator's, which the timeout abort bumped: the
  // abort is fenced (fatal, as Java's EndTxnHandler has it) and a new
  // instance takes the id over. Version 2 (4.0+) accepts it.
  const std::string version = broker_env().has("KWIRE_KAFKA_VERSION") ? broker_env().get("KWIRE_KAFKA_VERSION") : "";
  const bool transaction_v1 = version.starts_with("3.");
  const auto abort = producer.abort_transaction(30s);
  std::optional<kwire::Producer> successor;
  kwire::Producer* next = &producer;
  if (transaction_v1) {
    CHECK_MESSAGE(abort.fatal(), abort.message());
    CHECK(abort.error == kwire::errc::producer_fenced);
    producer.close(5s);
    successor.emplace(transactional(id));
    REQUIRE(successor->init_transactions(60s).ok());
    next = &*successor;
  } else if (!version.empty()) {
    REQUIRE_MESSAGE(abort.ok(), abort.message());
  } else if (!abort.ok()) {  // a broker elsewhere: either is Kafka's behaviour
    successor.emplace(transactional(id));
    REQUIRE(successor->init_transactions(60s).ok());
    next = &*successor;
  }

  commit_only(*next, topic, "next");
}

TEST_CASE("1,000 back-to-back tiny transactions: every call succeeds (CONCURRENT_TRANSACTIONS stays inside), "
          "every record committed once") {
  const std::string topic = unique_topic("txn-tiny");
  create_topic(topic, 2, 1);
  auto config = transactional(unique_topic("txn-tiny-id"));
  config["linger.ms"] = "0";
  kwire::Producer producer(config);
  REQUIRE(producer.init_transactions(60s).ok());
  constexpr int kTransactions = 1000;
  int failed_calls = 0;
  std::string first_failure;
  std::atomic<int> failed_records{0};
  for (int t = 0; t < kTransactions; ++t) {
    const auto begin = producer.begin_transaction();
    const std::string value = "tiny-" + std::to_string(t);
    kwire::producer::RecordView record(topic, std::nullopt, kwire::producer::bytes_of(value));
    record.partition = t % 2;
    producer.send(record, [&failed_records](const kwire::producer::DeliveryReport& r) {
      if (!r.ok()) ++failed_records;
    });
    const auto commit = producer.commit_transaction(30s);
    for (const auto* status : {&begin, &commit})
      if (!status->ok() && failed_calls++ == 0) first_failure = status->message();
  }
  CHECK_MESSAGE(failed_calls == 0, first_failure);
  CHECK(failed_records == 0);
  const auto values = kcat_values(topic);
  CHECK(values.size() == kTransactions);
  CHECK(std::set<std::string>(values.begin(), values.end()).size() == kTransactions);
}
