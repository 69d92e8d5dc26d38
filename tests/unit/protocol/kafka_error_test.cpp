#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <system_error>

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

using kwire::errc;
using kwire::error_kind;

namespace {

std::set<int> codes_where(bool (*pick)(const kwire::ErrorTraits&)) {
  std::set<int> out;
  for (int code = -1; code <= kwire::max_known_kafka_error; ++code)
    if (pick(kwire::error_traits(static_cast<errc>(code)))) out.insert(code);
  return out;
}

}  // namespace

TEST_CASE("enum values are Kafka's wire codes") {
  CHECK(static_cast<int>(errc::unknown_server_error) == -1);
  CHECK(static_cast<int>(errc::none) == 0);
  CHECK(static_cast<int>(errc::not_leader_or_follower) == 6);
  CHECK(static_cast<int>(errc::unsupported_version) == 35);
  CHECK(static_cast<int>(errc::out_of_order_sequence_number) == 45);
  CHECK(static_cast<int>(errc::duplicate_sequence_number) == 46);
  CHECK(static_cast<int>(errc::invalid_producer_epoch) == 47);
  CHECK(static_cast<int>(errc::unknown_producer_id) == 59);
  CHECK(static_cast<int>(errc::producer_fenced) == 90);
  CHECK(static_cast<int>(errc::unknown_topic_id) == 100);
  CHECK(static_cast<int>(errc::transaction_abortable) == 120);
  CHECK(static_cast<int>(errc::rebootstrap_required) == 129);
  CHECK(static_cast<int>(errc::share_session_limit_reached) == 133);
  CHECK(kwire::max_known_kafka_error == 133);
}

TEST_CASE("every known code has a unique Kafka name and a description") {
  std::set<std::string_view> names;
  for (int code = -1; code <= kwire::max_known_kafka_error; ++code) {
    auto e = static_cast<errc>(code);
    CAPTURE(code);
    CHECK(kwire::is_known_kafka_error(e));
    auto name = kwire::kafka_error_name(e);
    CHECK_FALSE(name.empty());
    CHECK(std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }));
    CHECK(names.insert(name).second);
    if (code != 0) CHECK_FALSE(kwire::kafka_error_description(e).empty());
  }
  CHECK(names.size() == 135);
  CHECK(kwire::kafka_error_name(errc::not_leader_or_follower) == "NOT_LEADER_OR_FOLLOWER");
  CHECK(kwire::kafka_error_name(errc::duplicate_sequence_number) == "DUPLICATE_SEQUENCE_NUMBER");
  CHECK(kwire::kafka_error_name(errc::invalid_topic_exception) == "INVALID_TOPIC_EXCEPTION");
  CHECK(kwire::kafka_error_name(errc::none) == "NONE");
  CHECK(kwire::kafka_error_description(errc::none).empty());
}

TEST_CASE("error_code in the kafka category prints name and description") {
  std::error_code ec = errc::not_leader_or_follower;  // implicit: is_error_code_enum
  CHECK(ec);
  CHECK(std::string(ec.category().name()) == "kafka");
  CHECK(ec.value() == 6);
  CHECK(ec.message().rfind("NOT_LEADER_OR_FOLLOWER: ", 0) == 0);
  CHECK(ec.message().find("not the current leader") != std::string::npos);
  CHECK(kwire::make_error_code(errc::unknown_server_error).message().rfind("UNKNOWN_SERVER_ERROR: ", 0) == 0);

  CHECK_FALSE(kwire::kafka_error(0));
  CHECK(kwire::kafka_error(0).message() == "success");
  CHECK(kwire::kafka_error(46) == errc::duplicate_sequence_number);
  CHECK(kwire::kafka_error(46) != kwire::client_errc::malformed);
}

TEST_CASE("codes a newer broker invents still convert and print") {
  std::error_code ec = kwire::kafka_error(999);
  CHECK(ec);
  CHECK(ec.value() == 999);
  CHECK(ec.message() == "unknown Kafka error 999");
  CHECK(kwire::kafka_error(-7).message() == "unknown Kafka error -7");
  CHECK(kwire::kafka_error(134).message() == "unknown Kafka error 134");
  CHECK_FALSE(kwire::is_known_kafka_error(static_cast<errc>(999)));
  CHECK(kwire::kafka_error_name(static_cast<errc>(999)).empty());
  CHECK(kwire::error_traits(static_cast<errc>(999)) == kwire::ErrorTraits{});
  CHECK(ec != error_kind::retriable);
  CHECK(ec != error_kind::fatal);
}

TEST_CASE("error_name: Kafka's name for Kafka errors, the message for every other code") {
  CHECK(kwire::error_name(kwire::kafka_error(6)) == "NOT_LEADER_OR_FOLLOWER");
  CHECK(kwire::error_name(kwire::kafka_error(999)) == "unknown Kafka error 999");
  CHECK(kwire::error_name(std::make_error_code(std::errc::connection_refused)) ==
        std::make_error_code(std::errc::connection_refused).message());
  CHECK(kwire::error_name(std::error_code{}) == std::error_code{}.message());
}

TEST_CASE("retriable codes are exactly Java's RetriableException subclasses") {
  const std::set<int> expected{2,  3,  5,  6,  7,  9,  13, 14, 15,  16,  19,  20,  41,  51,  56,  70,
                               71, 72, 74, 75, 78, 80, 83, 84, 88, 89, 100, 103, 106, 122, 123, 133};
  CHECK(codes_where([](const kwire::ErrorTraits& t) { return t.retriable; }) == expected);
  // Not retriable in the Java client, whatever other clients say.
  CHECK_FALSE(kwire::error_traits(errc::broker_not_available).retriable);
  CHECK_FALSE(kwire::error_traits(errc::unknown_server_error).retriable);
  CHECK_FALSE(kwire::error_traits(errc::duplicate_sequence_number).retriable);
  CHECK_FALSE(kwire::error_traits(errc::out_of_order_sequence_number).retriable);
  CHECK_FALSE(kwire::error_traits(errc::message_too_large).retriable);
}

TEST_CASE("metadata refresh follows InvalidMetadataException, plus REBOOTSTRAP_REQUIRED") {
  const std::set<int> expected{3, 5, 6, 9, 13, 56, 72, 74, 80, 83, 84, 100, 103, 129};
  CHECK(codes_where([](const kwire::ErrorTraits& t) { return t.refresh_metadata; }) == expected);
  // Every refresh code is retriable, except a rebootstrap which is a reset.
  for (int code : expected)
    if (code != 129) CHECK(kwire::error_traits(static_cast<errc>(code)).retriable);
  CHECK(kwire::error_traits(errc::not_leader_or_follower) == kwire::ErrorTraits{true, true, false});
  CHECK(kwire::error_traits(errc::kafka_storage_error).refresh_metadata);
  // Retriable without a refresh: the broker lags us, or the ISR is short.
  CHECK(kwire::error_traits(errc::unknown_leader_epoch) == kwire::ErrorTraits{true, false, false});
  CHECK(kwire::error_traits(errc::not_enough_replicas) == kwire::ErrorTraits{true, false, false});
}

TEST_CASE("fatal codes end the producer and are never retriable") {
  const std::set<int> expected{31, 47, 50, 53, 90};
  CHECK(codes_where([](const kwire::ErrorTraits& t) { return t.fatal; }) == expected);
  for (int code : expected) {
    auto t = kwire::error_traits(static_cast<errc>(code));
    CHECK_FALSE(t.retriable);
    CHECK_FALSE(t.refresh_metadata);
  }
  CHECK(kwire::error_traits(errc::none) == kwire::ErrorTraits{});
  CHECK_FALSE(kwire::error_traits(errc::unsupported_version).fatal);
}

TEST_CASE("error_kind conditions group Kafka and client errors") {
  CHECK(kwire::make_error_code(errc::leader_not_available) == error_kind::retriable);
  CHECK(kwire::make_error_code(errc::leader_not_available) == error_kind::refresh_metadata);
  CHECK(kwire::make_error_code(errc::leader_not_available) != error_kind::fatal);
  CHECK(kwire::make_error_code(errc::request_timed_out) == error_kind::retriable);
  CHECK(kwire::make_error_code(errc::request_timed_out) != error_kind::refresh_metadata);
  CHECK(kwire::make_error_code(errc::producer_fenced) == error_kind::fatal);
  CHECK(kwire::make_error_code(errc::topic_authorization_failed) != error_kind::retriable);
  CHECK(kwire::make_error_code(errc::topic_authorization_failed) != error_kind::fatal);

  CHECK(kwire::make_error_code(kwire::client_errc::timed_out) == error_kind::retriable);
  CHECK(kwire::make_error_code(kwire::client_errc::disconnected) == error_kind::retriable);
  CHECK(kwire::make_error_code(kwire::client_errc::disconnected) == error_kind::refresh_metadata);
  CHECK(kwire::make_error_code(kwire::client_errc::fatal_producer_state) == error_kind::fatal);
  CHECK(kwire::make_error_code(kwire::client_errc::malformed) != error_kind::retriable);

  CHECK(std::error_code{} != error_kind::retriable);
  CHECK(std::make_error_code(std::errc::timed_out) != error_kind::retriable);

  std::error_condition cond = error_kind::fatal;
  CHECK(std::string(cond.category().name()) == "kwire.error_kind");
  CHECK(cond.message() == "fatal error");
}
