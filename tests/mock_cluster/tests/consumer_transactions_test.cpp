// Transactions on the mock as a read_committed consumer sees them:
// kwire::Producer commits and aborts, EndTxn has the mock write the markers,
// and kwire::consumer::Consumer reads only what was committed — also the
// offsets send_offsets_to_transaction() committed with it (KIP-98/KIP-447).
#include <doctest/doctest.h>

#include "consumer_harness.hpp"
#include "kwire/producer/producer.hpp"

using namespace kwire::mock::test;

namespace {

kwire::Producer transactional_producer(const MockCluster& mock) {
  return kwire::Producer({{"bootstrap.servers", mock.bootstrap_servers()},
                          {"transactional.id", "tx"},
                          {"linger.ms", "1"},
                          {"retry.backoff.ms", "20"},
                          {"request.timeout.ms", "3000"}},
                         kwire::producer::silent_log_handler());
}

void send(kwire::Producer& producer, const std::string& value) {
  kwire::producer::RecordView record("t", std::nullopt, kwire::producer::bytes_of(value));
  record.partition = 0;
  producer.send(record);
}

}  // namespace

TEST_CASE("read_committed on the mock: committed transactions are read, aborted ones skipped, offsets committed") {
  MockCluster mock(one_topic(2));
  kwire::Producer producer = transactional_producer(mock);
  REQUIRE(producer.init_transactions(10s).ok());
  REQUIRE(producer.begin_transaction().ok());
  send(producer, "c1");
  send(producer, "c2");
  REQUIRE(producer.commit_transaction(10s).ok());  // offsets 0-1, marker 2
  REQUIRE(producer.begin_transaction().ok());
  send(producer, "aborted");
  producer.flush(10s);  // in the log before the abort
  REQUIRE(producer.abort_transaction(10s).ok());  // offset 3, marker 4
  REQUIRE(producer.begin_transaction().ok());
  send(producer, "c3");
  REQUIRE(producer.send_offsets_to_transaction({{{"in", 0}, 42, -1, ""}}, {"copier", -1, "", std::nullopt}, 10s).ok());
  REQUIRE(producer.commit_transaction(10s).ok());  // offset 5, marker 6
  CHECK(mock.log_end_offset("t", 0) == 7);
  CHECK(mock.committed_offsets("copier") == std::map<std::pair<std::string, std::int32_t>, std::int64_t>{{{"in", 0}, 42}});

  Consumer committed(consumer_config(mock, {{"isolation.level", "read_committed"}}));
  committed.assign({t0});
  committed.seek(t0, 0);
  CHECK(poll_until(committed, count_reached(3)) == std::vector<Polled>{{0, "c1"}, {1, "c2"}, {5, "c3"}});
  poll_until(committed, [&](const auto&, const auto&) { return committed.position(t0) == 7; }, nullptr, 3s);
  CHECK(committed.position(t0) == 7);

  Consumer uncommitted(consumer_config(mock, {}));
  uncommitted.assign({t0});
  uncommitted.seek(t0, 0);
  CHECK(poll_until(uncommitted, count_reached(4)) ==
        std::vector<Polled>{{0, "c1"}, {1, "c2"}, {3, "aborted"}, {5, "c3"}});

  // An open transaction holds read_committed back at its first offset (the
  // last stable offset) until it ends.
  REQUIRE(producer.begin_transaction().ok());
  send(producer, "late");
  producer.flush(10s);
  CHECK(poll_until(committed, count_reached(1), nullptr, 500ms).empty());
  REQUIRE(producer.commit_transaction(10s).ok());
  CHECK(poll_until(committed, count_reached(1)) == std::vector<Polled>{{7, "late"}});
}
