// kwire::consumer::Consumer's offset lookups on a real broker:
// offsets_for_times() against records written with explicit timestamps,
// beginning_offsets() / end_offsets() for partitions the consumer was never
// assigned, end_offsets() under read_committed stopping at the last stable
// offset while a transaction is open, and a partition that has no leader
// ending in a timeout that names it (never a hang).
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <kwire/consumer/consumer.hpp>
#include <kwire/producer/producer.hpp>
#include <kwire/protocol/client_error.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using kwire::consumer::Consumer;
using kwire::consumer::ConsumerConfig;
using kwire::consumer::OffsetAndTimestamp;
using kwire::consumer::TopicPartition;
using kwire::test::broker_env;
using kwire::test::create_topic;
using kwire::test::unique_topic;

namespace {

ConsumerConfig lookup_config(const std::string& isolation = "read_uncommitted") {
  return ConsumerConfig::from_properties(
      {{"bootstrap.servers", broker_env().bootstrap()}, {"isolation.level", isolation}});
}

/// One record "v<timestamp>" to `tp` with CreateTime `timestamp`, acknowledged.
void send_at(kwire::Producer& producer, const TopicPartition& tp, std::int64_t timestamp) {
  const std::string value = "v" + std::to_string(timestamp);
  kwire::producer::RecordView record(tp.topic, std::nullopt, kwire::producer::bytes_of(value));
  record.partition = tp.partition;
  record.timestamp_ms = timestamp;
  producer.send(record, [](const kwire::producer::DeliveryReport& r) { CHECK_MESSAGE(r.ok(), r.error.message()); });
}

}  // namespace

TEST_CASE("kwire::Consumer: offsets_for_times, beginning_offsets and end_offsets of partitions it does not read") {
  const std::string topic = unique_topic("offsets-lookup");
  create_topic(topic, 2, 1);
  const TopicPartition p0{topic, 0};
  const TopicPartition p1{topic, 1};  // stays empty
  {
    kwire::Producer producer({{"bootstrap.servers", broker_env().bootstrap()}, {"linger.ms", "0"}});
    for (const std::int64_t ts : {1000, 2000, 3000}) send_at(producer, p0, ts);
    REQUIRE(producer.flush(30s));
  }

  // No group, nothing assigned: Java allows the lookups all the same.
  Consumer consumer(lookup_config());
  CHECK(consumer.assignment().empty());

  const auto found = consumer.offsets_for_times({{p0, 1500}, {p1, 1000}}, 30s);
  REQUIRE(found.size() == 2);
  REQUIRE(found.at(p0).has_value());
  CHECK(found.at(p0)->offset == 1);  // the first record at or after 1500: 2000's
  CHECK(found.at(p0)->timestamp == 2000);
  CHECK(found.at(p0)->leader_epoch.value_or(-1) >= 0);
  CHECK_FALSE(found.at(p1).has_value());  // an empty partition has no such record

  const auto exact = consumer.offsets_for_times({{p0, 1000}}, 30s);
  CHECK(exact.at(p0) == OffsetAndTimestamp{.offset = 0, .timestamp = 1000, .leader_epoch = found.at(p0)->leader_epoch});
  const auto too_late = consumer.offsets_for_times({{p0, 99999}}, 30s);
  REQUIRE(too_late.size() == 1);
  CHECK_FALSE(too_late.at(p0).has_value());  // ListOffsets answered -1

  CHECK(consumer.beginning_offsets({p0, p1}, 30s) == std::map<TopicPartition, std::int64_t>{{p0, 0}, {p1, 0}});
  CHECK(consumer.end_offsets({p0, p1}, 30s) == std::map<TopicPartition, std::int64_t>{{p0, 3}, {p1, 0}});
  CHECK(consumer.offsets_for_times({}, 1s).empty());
  CHECK_THROWS_AS(consumer.offsets_for_times({{p0, -1}}), std::invalid_argument);
  CHECK(consumer.assignment().empty());  // the lookups assigned nothing
  consumer.close();
  CHECK_THROWS_AS(consumer.end_offsets({p0}), std::logic_error);
}

TEST_CASE("kwire::Consumer: end_offsets under read_committed is the last stable offset while a transaction is open") {
  const std::string topic = unique_topic("offsets-lso");
  create_topic(topic, 1, 1);
  const TopicPartition p0{topic, 0};
  {
    kwire::Producer plain({{"bootstrap.servers", broker_env().bootstrap()}});
    send_at(plain, p0, 1000);
    send_at(plain, p0, 2000);
    REQUIRE(plain.flush(30s));
  }
  kwire::Producer transactional({{"bootstrap.servers", broker_env().bootstrap()},
                                 {"transactional.id", unique_topic("offsets-lso-id")}});
  REQUIRE(transactional.init_transactions(60s).ok());
  REQUIRE(transactional.begin_transaction().ok());
  send_at(transactional, p0, 3000);
  REQUIRE(transactional.flush(30s));  // written (offset 2), not committed

  Consumer uncommitted(lookup_config("read_uncommitted"));
  Consumer committed(lookup_config("read_committed"));
  CHECK(uncommitted.end_offsets({p0}, 30s).at(p0) == 3);  // the high watermark
  CHECK(committed.end_offsets({p0}, 30s).at(p0) == 2);    // the LSO: the open transaction's first offset

  REQUIRE(transactional.commit_transaction(30s).ok());
  // The commit marker is offset 3: the LSO moves past it (once the broker
  // wrote the marker, which may lag the commit's answer by a moment).
  std::int64_t lso = -1;
  for (int attempt = 0; attempt < 50 && lso != 4; ++attempt) {
    lso = committed.end_offsets({p0}, 30s).at(p0);
    if (lso != 4) std::this_thread::sleep_for(100ms);
  }
  CHECK(lso == 4);
  CHECK(uncommitted.end_offsets({p0}, 30s).at(p0) == 4);
}

TEST_CASE("kwire::Consumer: a partition without a leader ends the lookup at the timeout, naming it") {
  const std::string topic = unique_topic("offsets-missing");
  create_topic(topic, 1, 1);
  Consumer consumer(lookup_config());
  const TopicPartition real{topic, 0};
  const TopicPartition missing{topic, 5};  // the topic has one partition
  const auto started = std::chrono::steady_clock::now();
  try {
    (void)consumer.offsets_for_times({{real, 0}, {missing, 0}}, 2s);
    FAIL("offsets_for_times() returned for a partition that does not exist");
  } catch (const std::system_error& e) {
    CHECK(e.code() == kwire::client_errc::timed_out);
    const std::string what = e.what();
    CHECK_MESSAGE(what.find("offsets_for_times()") != std::string::npos, what);
    CHECK_MESSAGE(what.find(topic + "/5 (leader unknown)") != std::string::npos, what);
    CHECK_MESSAGE(what.find(topic + "/0") == std::string::npos, what);  // answered
  }
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 2s);
  CHECK(took < 10s);
  // The consumer goes on working.
  CHECK(consumer.end_offsets({real}, 30s).at(real) == 0);
}
