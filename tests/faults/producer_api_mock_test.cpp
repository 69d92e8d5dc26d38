// Producer::partitions_for against the mock cluster (issue 19 item 15):
// every partition of the topic with its leader, after one metadata wait.
#include <doctest/doctest.h>

#include <chrono>

#include "kwire/mock/cluster.hpp"
#include "kwire/producer/producer.hpp"

using namespace std::chrono_literals;

TEST_CASE("partitions_for names every partition of a topic and its leader") {
  kwire::mock::ClusterConfig cc;
  cc.brokers = 3;
  cc.topics = {{"orders", 4}};
  kwire::mock::MockCluster cluster(cc);
  kwire::Producer producer({{"bootstrap.servers", cluster.bootstrap_servers()}},
                           kwire::producer::silent_log_handler());
  std::error_code error;
  const auto partitions = producer.partitions_for("orders", error, 30s);
  REQUIRE_FALSE(error);
  REQUIRE(partitions.size() == 4);
  for (std::int32_t p = 0; p < 4; ++p) {
    CHECK(partitions[static_cast<std::size_t>(p)].topic == "orders");
    CHECK(partitions[static_cast<std::size_t>(p)].partition == p);
    CHECK(partitions[static_cast<std::size_t>(p)].leader == cluster.leader("orders", p));
    CHECK(partitions[static_cast<std::size_t>(p)].error == kwire::errc::none);
  }
}
