// kwire::consumer::Consumer's fetching against the mock cluster's logs and
// faults (issue 15): OFFSET_OUT_OF_RANGE under each auto.offset.reset, a
// read_committed fetch that finds only aborted data, a batch with a bad CRC,
// and a leader that moves.
#include <doctest/doctest.h>

#include "consumer_harness.hpp"
#include "raw_client.hpp"
#include "kwire/consumer/consumer_error.hpp"

using namespace kwire::mock::test;

namespace {

/// A consumer assigned t-0 (no group membership), at `offset`.
struct T0Reader {
  Consumer consumer;
  T0Reader(const MockCluster& mock, std::int64_t offset, const std::map<std::string, std::string>& extra = {})
      : consumer(consumer_config(mock, extra)) {
    consumer.assign({t0});
    consumer.seek(t0, offset);
  }
};

/// Offsets 0-4 (a..e) in two batches, the first (0-2) deleted by
/// retention, and a consumer seeking to 1 under `reset`.
struct TruncatedLog {
  MockCluster mock{one_topic()};
  bool truncated = truncate(mock);  // before the consumer exists (members start in this order)
  T0Reader reader;
  Consumer& consumer = reader.consumer;

  explicit TruncatedLog(const std::string& reset) : reader(mock, 1, {{"auto.offset.reset", reset}}) {}
  static bool truncate(MockCluster& m) {
    m.append_raw_batch("t", 0, batch_of({"a", "b", "c"}));
    m.append_raw_batch("t", 0, batch_of({"d", "e"}));
    m.set_log_start_offset("t", 0, 3);
    return true;
  }
};

auto has_error = [](const auto&, const std::vector<kwire::consumer::FetchError>& errors) { return !errors.empty(); };

}  // namespace

TEST_CASE("OFFSET_OUT_OF_RANGE with auto.offset.reset=earliest: reading resumes at the log start") {
  TruncatedLog log("earliest");
  MockCluster& mock = log.mock;
  Consumer& consumer = log.consumer;
  std::vector<kwire::consumer::FetchError> errors;
  const auto records = poll_until(consumer, count_reached(2), &errors);
  CHECK(records == std::vector<Polled>{{3, "d"}, {4, "e"}});
  CHECK(errors.empty());
  CHECK(consumer.position(t0) == 5);
  CHECK(mock.request_count(ApiKey::list_offsets) >= 1);
}

TEST_CASE("OFFSET_OUT_OF_RANGE with auto.offset.reset=latest: reading resumes at the log end") {
  TruncatedLog log("latest");
  MockCluster& mock = log.mock;
  Consumer& consumer = log.consumer;
  poll_until(consumer, [&](const auto&, const auto&) { return consumer.position(t0) == 5; }, nullptr, 5s);
  CHECK(consumer.position(t0) == 5);
  mock.append_raw_batch("t", 0, batch_of({"f"}));
  CHECK(poll_until(consumer, count_reached(1)) == std::vector<Polled>{{5, "f"}});
}

TEST_CASE("OFFSET_OUT_OF_RANGE with auto.offset.reset=none: a clear error, no records, no reset") {
  TruncatedLog log("none");
  Consumer& consumer = log.consumer;
  std::vector<kwire::consumer::FetchError> errors;
  const auto records = poll_until(consumer, has_error, &errors, 5s);
  CHECK(records.empty());
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].partition == t0);
  CHECK(errors[0].offset == 1);
  CHECK(errors[0].error == errc::offset_out_of_range);
  INFO(errors[0].message);
  CHECK(errors[0].message.find("t/0") != std::string::npos);
  CHECK(errors[0].message.find("offset 1") != std::string::npos);
  // The application seeks and reads on.
  consumer.seek(t0, 3);
  CHECK(poll_until(consumer, count_reached(2)) == std::vector<Polled>{{3, "d"}, {4, "e"}});
}

TEST_CASE("read_committed over only aborted data: no records, the position passes the marker, poll is prompt") {
  MockCluster mock(one_topic());
  const std::int64_t producer_id = 7;
  mock.append_raw_batch("t", 0, batch_of({"x", "y"}, {.producer_id = producer_id, .transactional = true}));
  mock.append_raw_batch("t", 0, kwire::test::wire_marker(0, producer_id, 0));  // ABORT at offset 2
  T0Reader consumer_reader(mock, 0, {{"isolation.level", "read_committed"}});
  Consumer& consumer = consumer_reader.consumer;
  std::vector<Polled> records;
  auto slowest = std::chrono::milliseconds(0);
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (consumer.position(t0) != 3 && std::chrono::steady_clock::now() < until) {
    const auto start = std::chrono::steady_clock::now();
    for (const auto& r : consumer.poll(100ms)) records.push_back({r.offset, {}});
    slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start));
  }
  CHECK(records.empty());
  CHECK(consumer.position(t0) == 3);
  CHECK(consumer.errors().empty());
  CHECK(slowest < 1s);  // poll(100ms) never hangs on the aborted data
  // A committed transaction and plain records after it are read.
  mock.append_raw_batch("t", 0, batch_of({"z"}, {.producer_id = 8, .transactional = true}));
  mock.append_raw_batch("t", 0, kwire::test::wire_marker(0, 8, 1));  // COMMIT at offset 4
  mock.append_raw_batch("t", 0, batch_of({"w"}));
  CHECK(poll_until(consumer, count_reached(2)) == std::vector<Polled>{{3, "z"}, {5, "w"}});

  // read_uncommitted sees the aborted records too.
  T0Reader uncommitted_reader(mock, 0);
  Consumer& uncommitted = uncommitted_reader.consumer;
  CHECK(poll_until(uncommitted, count_reached(4)) == std::vector<Polled>{{0, "x"}, {1, "y"}, {3, "z"}, {5, "w"}});
}

TEST_CASE("read_committed stops at an open transaction (the last stable offset)") {
  MockCluster mock(one_topic());
  mock.append_raw_batch("t", 0, batch_of({"a"}));
  mock.append_raw_batch("t", 0, batch_of({"open"}, {.producer_id = 9, .transactional = true}));
  mock.append_raw_batch("t", 0, batch_of({"b"}));
  T0Reader consumer_reader(mock, 0, {{"isolation.level", "read_committed"}});
  Consumer& consumer = consumer_reader.consumer;
  CHECK(poll_until(consumer, count_reached(1)) == std::vector<Polled>{{0, "a"}});
  CHECK(poll_until(consumer, count_reached(1), nullptr, 500ms).empty());
  CHECK(consumer.position(t0) == 1);
  mock.append_raw_batch("t", 0, kwire::test::wire_marker(0, 9, 1));  // COMMIT at offset 3
  CHECK(poll_until(consumer, count_reached(2)) == std::vector<Polled>{{1, "open"}, {2, "b"}});
}

TEST_CASE("a batch with a bad CRC: an error naming topic, partition and offset; no crash, no skip") {
  MockCluster mock(one_topic());
  mock.append_raw_batch("t", 0, batch_of({"a", "b"}));
  auto corrupt = batch_of({"c", "d"});
  corrupt[kwire::protocol::batch_offsets::crc] ^= 0xff;  // the records stay readable
  mock.append_raw_batch("t", 0, corrupt);
  mock.append_raw_batch("t", 0, batch_of({"e"}));

  T0Reader consumer_reader(mock, 0);
  Consumer& consumer = consumer_reader.consumer;
  std::vector<kwire::consumer::FetchError> errors;
  const auto records = poll_until(consumer, has_error, &errors, 5s);
  CHECK(records == std::vector<Polled>{{0, "a"}, {1, "b"}});
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].partition == t0);
  CHECK(errors[0].offset == 2);
  INFO(errors[0].message);
  CHECK(errors[0].message.find("t/0") != std::string::npos);
  CHECK(errors[0].message.find("offset 2") != std::string::npos);
  CHECK(errors[0].message.find("CRC") != std::string::npos);
  // Not skipped: the partition stays at the corrupt batch until the
  // application seeks (kwire reports it once; Java's poll() throws again
  // on every call).
  CHECK(poll_until(consumer, [](const auto&, const auto&) { return false; }, nullptr, 500ms).empty());
  CHECK(consumer.position(t0) == 2);
  // The application may seek past it.
  consumer.seek(t0, 4);
  CHECK(poll_until(consumer, count_reached(1)) == std::vector<Polled>{{4, "e"}});

  // check.crcs=false reads the batch as it is.
  T0Reader unchecked_reader(mock, 0, {{"check.crcs", "false"}});
  Consumer& unchecked = unchecked_reader.consumer;
  CHECK(poll_until(unchecked, count_reached(5)) ==
        std::vector<Polled>{{0, "a"}, {1, "b"}, {2, "c"}, {3, "d"}, {4, "e"}});
}

TEST_CASE("Fetch faults: NOT_LEADER_OR_FOLLOWER and a moved leader are followed") {
  MockCluster mock(one_topic(2));
  mock.append_raw_batch("t", 0, batch_of({"a"}));
  T0Reader consumer_reader(mock, 0);
  Consumer& consumer = consumer_reader.consumer;
  mock.fail_next(ApiKey::fetch, errc::not_leader_or_follower, 1, "t", 0);
  CHECK(poll_until(consumer, count_reached(1)) == std::vector<Polled>{{0, "a"}});
  const std::int32_t old_leader = mock.leader("t", 0);
  const std::int32_t new_leader = old_leader == 1 ? 2 : 1;
  mock.move_leader("t", 0, new_leader);
  mock.append_raw_batch("t", 0, batch_of({"b"}));
  CHECK(poll_until(consumer, count_reached(1)) == std::vector<Polled>{{1, "b"}});
  CHECK(mock.request_count(ApiKey::fetch, new_leader) >= 1);
}

TEST_CASE("Fetch serves what Produce stored; blackhole mode stores nothing") {
  MockCluster mock(one_topic());
  RawClient client(mock.port(mock.leader("t", 0)));
  const auto first = make_batch(2);  // v0, v1
  auto produced = client.call<kwire::protocol::ProduceResponse>(produce_request("t", 0, first), 9);
  REQUIRE(produced);
  REQUIRE(only_partition(*produced)->error_code == errc::none);
  mock.set_blackhole(true);
  const auto dropped = make_batch(3);
  REQUIRE(client.call<kwire::protocol::ProduceResponse>(produce_request("t", 0, dropped), 9));
  mock.set_blackhole(false);
  CHECK(mock.log_end_offset("t", 0) == 5);  // blackholed records still take offsets
  const auto last = make_batch(1);  // v0 at offset 5
  REQUIRE(client.call<kwire::protocol::ProduceResponse>(produce_request("t", 0, last), 9));

  T0Reader consumer_reader(mock, 0);
  Consumer& consumer = consumer_reader.consumer;
  CHECK(poll_until(consumer, count_reached(3)) == std::vector<Polled>{{0, "v0"}, {1, "v1"}, {5, "v0"}});
}
