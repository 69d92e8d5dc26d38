// The shapes a newcomer writes first (issue 19 items 9, 11, 12, 14, 15):
// the one-pair constructor (GCC 12 found it ambiguous), records and headers
// in one expression from text or bytes, a movable Producer, both error
// enums from producer.hpp alone, partitions_for. The overloads that must
// not compile are in tests/compile.
#include <doctest/doctest.h>

#include "kwire/net/detail/asio.hpp"
#include KWIRE_ASIO_INCLUDE(io_context.hpp)
#include KWIRE_ASIO_INCLUDE(ip/tcp.hpp)
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "kwire/producer/producer.hpp"  // the only kwire include: errc and client_errc come with it

using namespace std::chrono_literals;
using kwire::Producer;
using kwire::producer::Header;
using kwire::producer::HeaderView;
using kwire::producer::ProducerRecord;
using kwire::producer::RecordView;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string text(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }

std::string closed_address() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace

TEST_CASE("api: the one-pair constructor compiles and configures (GCC 12 called it ambiguous)") {
  const std::string address = closed_address();
  Producer one({{"bootstrap.servers", address}}, kwire::producer::silent_log_handler());
  CHECK(one.config().bootstrap_servers == std::vector<std::string>{address});
  Producer two({{"bootstrap.servers", address}, {"linger.ms", "7"}}, kwire::producer::silent_log_handler());
  CHECK(two.config().linger_ms == 7);
  asio::io_context io;
  Producer on_io({{"bootstrap.servers", address}}, io, kwire::producer::silent_log_handler());
  CHECK(on_io.config().bootstrap_servers == std::vector<std::string>{address});
  io.stop();  // never run: close then fails what is left inline
}

TEST_CASE("api: Producer is movable; the moved-to one works and the old one is closed by assignment") {
  Producer a({{"bootstrap.servers", closed_address()}, {"client.id", "a"}}, kwire::producer::silent_log_handler());
  Producer b(std::move(a));
  CHECK(b.config().client_id == "a");
  Producer c({{"bootstrap.servers", closed_address()}, {"client.id", "c"}}, kwire::producer::silent_log_handler());
  c = std::move(b);  // closes c's own producer first
  CHECK(c.config().client_id == "a");
  std::vector<Producer> many;
  many.push_back(std::move(c));
  CHECK(many.front().config().client_id == "a");
  kwire::errc refused = kwire::errc::none;
  many.front().send(RecordView("", "k", "v"), [&](const kwire::producer::DeliveryReport& r) {
    refused = static_cast<kwire::errc>(r.error.value());
  });
  CHECK(refused == kwire::errc::invalid_topic_exception);
}

TEST_CASE("api: ProducerRecord and Header take text or bytes in one expression") {
  const std::string json = R"({"id":7})";
  const std::vector<std::uint8_t> raw{0, 1, 2};
  ProducerRecord text_record("orders", "customer-7", json, {{"trace-id", "abc"}, {"raw", raw}, {"null", std::nullopt}});
  CHECK(text_record.topic == "orders");
  REQUIRE(text_record.key);
  CHECK(*text_record.key == bytes("customer-7"));
  CHECK(*text_record.value == bytes(json));
  REQUIRE(text_record.headers.size() == 3);
  CHECK(text_record.headers[0].key == "trace-id");
  CHECK(*text_record.headers[0].value == bytes("abc"));
  CHECK(*text_record.headers[1].value == raw);
  CHECK_FALSE(text_record.headers[2].value);

  ProducerRecord tombstone("orders", "customer-7", std::nullopt);
  CHECK(tombstone.key);
  CHECK_FALSE(tombstone.value);
  ProducerRecord binary("orders", std::nullopt, raw);
  CHECK_FALSE(binary.key);
  CHECK(*binary.value == raw);
  ProducerRecord empty_value("orders", std::string_view("k"), "");
  CHECK(empty_value.value);  // empty, not null
  CHECK(empty_value.value->empty());
  Header h{"k", std::string("owned")};
  CHECK(*h.value == bytes("owned"));
}

TEST_CASE("api: RecordView with a text key and a binary value, and headers in the same expression") {
  const std::vector<std::uint8_t> payload{9, 8, 7};
  const auto check = [&](const RecordView& v) {
    CHECK(v.topic == "t");
    REQUIRE(v.key);
    CHECK(text(*v.key) == "id-1");
    REQUIRE(v.value);
    CHECK(std::vector<std::uint8_t>(v.value->begin(), v.value->end()) == payload);
    REQUIRE(v.headers.size() == 2);
    CHECK(v.headers[0].key == "trace");
    CHECK(text(*v.headers[0].value) == "abc");
    CHECK_FALSE(v.headers[1].value);
  };
  check(RecordView("t", "id-1", std::span<const std::uint8_t>(payload)).with_headers({{"trace", "abc"}, {"n", std::nullopt}}));
  // The shapes that used to be ambiguous once a text/binary form exists.
  CHECK_FALSE(RecordView("t", std::nullopt, std::span<const std::uint8_t>(payload)).key);
  CHECK_FALSE(RecordView("t", "k", std::nullopt).value);
  CHECK_FALSE(RecordView("t", std::nullopt, std::nullopt).value);
}

TEST_CASE("api: both error enums come with producer.hpp") {
  const std::error_code broker = make_error_code(kwire::errc::not_enough_replicas);
  const std::error_code client = make_error_code(kwire::client_errc::queue_full);
  CHECK(broker != client);
  CHECK_FALSE(broker.message().empty());
  CHECK_FALSE(client.message().empty());
}

TEST_CASE("api: partitions_for an unreachable cluster fails after its own bound with unknown_topic") {
  Producer producer({{"bootstrap.servers", closed_address()}, {"max.block.ms", "60000"}},
                    kwire::producer::silent_log_handler());
  std::error_code error;
  const auto start = std::chrono::steady_clock::now();
  const auto partitions = producer.partitions_for("t", error, 200ms);
  CHECK(partitions.empty());
  CHECK(error == make_error_code(kwire::client_errc::unknown_topic));
  CHECK(std::chrono::steady_clock::now() - start < 20s);
  producer.close(0ms);
  CHECK(producer.partitions_for("t", error).empty());
  CHECK(error == make_error_code(kwire::client_errc::shutting_down));
}
