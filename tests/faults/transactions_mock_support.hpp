#pragma once
// Shared by the transactional producer's mock-cluster tests: a 3-broker
// cluster with one 3-partition topic, the producer's properties (short
// backoffs), and one transaction's worth of records.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "kwire/mock/cluster.hpp"
#include "kwire/producer/producer.hpp"

namespace kwire::test::txn_mock {

inline const std::string kTopic = "orders";
inline const std::string kId = "orders-tx";

inline kwire::mock::ClusterConfig cluster_config() {
  kwire::mock::ClusterConfig c;
  c.brokers = 3;
  c.topics = {{kTopic, 3}};
  return c;
}

inline std::map<std::string, std::string> properties(const kwire::mock::MockCluster& cluster) {
  return {{"bootstrap.servers", cluster.bootstrap_servers()},
          {"transactional.id", kId},
          {"linger.ms", "1"},
          {"retry.backoff.ms", "20"},
          {"retry.backoff.max.ms", "100"},
          {"reconnect.backoff.ms", "20"},
          {"reconnect.backoff.max.ms", "100"},
          {"request.timeout.ms", "3000"}};
}

/// properties() with transaction.timeout.ms (which bounds the retries of a
/// transactional request, KAFKA-20077) and delivery.timeout.ms at 1.5 s, so
/// retries run out quickly.
inline std::map<std::string, std::string> short_timeout_properties(const kwire::mock::MockCluster& cluster) {
  auto props = properties(cluster);
  props["transaction.timeout.ms"] = "1500";
  props["delivery.timeout.ms"] = "1500";
  props["request.timeout.ms"] = "1000";
  return props;
}

/// Sends `records` records round-robin over the topic's 3 partitions;
/// counts the failed deliveries in `failed` when given.
inline void send_records(kwire::Producer& producer, int records, std::atomic<int>* failed = nullptr) {
  for (int i = 0; i < records; ++i) {
    const std::string value = "v" + std::to_string(i);
    kwire::producer::RecordView record(kTopic, std::nullopt, kwire::producer::bytes_of(value));
    record.partition = i % 3;
    producer.send(record, [failed](const kwire::producer::DeliveryReport& r) {
      if (failed && r.error) ++*failed;
    });
  }
}

/// One transaction of `records` records to every partition; returns the commit's status.
inline kwire::producer::TransactionStatus one_transaction(kwire::Producer& producer, int records,
                                                          std::atomic<int>* failed = nullptr) {
  const kwire::producer::TransactionStatus begun = producer.begin_transaction();
  if (!begun.ok()) return begun;
  send_records(producer, records, failed);
  return producer.commit_transaction(std::chrono::seconds(20));
}

/// Records stored in the topic's 3 partitions.
inline std::size_t stored(const kwire::mock::MockCluster& cluster) {
  std::size_t n = 0;
  for (std::int32_t p = 0; p < 3; ++p) n += cluster.records(kTopic, p).size();
  return n;
}

}  // namespace kwire::test::txn_mock
