// The sender's one classification table: each error -> action, metadata
// refresh, persisted.
#include <doctest/doctest.h>

#include "produce_outcome.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

using namespace kwire::producer;
using kwire::client_errc;
using kwire::errc;

namespace {
ProduceErrorClass of(std::error_code ec, std::int32_t records = 2) { return classify_produce_error(ec, records); }
ProduceErrorClass of(errc e, std::int32_t records = 2) { return of(make_error_code(e), records); }
}  // namespace

TEST_CASE("classification table") {
  using A = ProduceAction;
  using P = Persisted;
  struct Row {
    std::error_code error;
    std::int32_t records;
    ProduceErrorClass expected;
  };
  const Row rows[] = {
      {{}, 1, {A::complete, false, P::yes}},
      {make_error_code(errc::duplicate_sequence_number), 3, {A::complete, false, P::yes}},
      {make_error_code(errc::message_too_large), 2, {A::split, false, P::no}},
      {make_error_code(errc::message_too_large), 1, {A::fail, false, P::no}},
      {make_error_code(errc::not_leader_or_follower), 1, {A::retry, true, P::no}},
      {make_error_code(errc::unknown_topic_or_partition), 1, {A::retry, true, P::no}},
      {make_error_code(errc::leader_not_available), 1, {A::retry, true, P::no}},
      {make_error_code(errc::kafka_storage_error), 1, {A::retry, true, P::no}},
      {make_error_code(errc::fenced_leader_epoch), 1, {A::retry, true, P::no}},
      {make_error_code(errc::unknown_topic_id), 1, {A::retry, true, P::no}},
      {make_error_code(errc::network_exception), 1, {A::retry, true, P::no}},
      {make_error_code(errc::not_enough_replicas), 1, {A::retry, false, P::no}},
      {make_error_code(errc::unknown_leader_epoch), 1, {A::retry, false, P::no}},
      {make_error_code(errc::corrupt_message), 1, {A::retry, false, P::no}},
      {make_error_code(errc::request_timed_out), 1, {A::retry, false, P::maybe}},
      {make_error_code(errc::not_enough_replicas_after_append), 1, {A::retry, false, P::maybe}},
      {make_error_code(client_errc::disconnected), 1, {A::retry, true, P::maybe}},
      {make_error_code(client_errc::timed_out), 1, {A::retry, true, P::maybe}},
      {make_error_code(errc::producer_fenced), 1, {A::fatal, false, P::no}},
      {make_error_code(errc::invalid_producer_epoch), 1, {A::fatal, false, P::no}},
      {make_error_code(errc::cluster_authorization_failed), 1, {A::fatal, false, P::no}},
      {make_error_code(client_errc::fatal_producer_state), 1, {A::fatal, false, P::no}},
      {make_error_code(errc::topic_authorization_failed), 1, {A::fail, false, P::no}},
      {make_error_code(errc::invalid_record), 1, {A::fail, false, P::no}},
      {make_error_code(errc::invalid_timestamp), 1, {A::fail, false, P::no}},
      {make_error_code(errc::record_list_too_large), 2, {A::fail, false, P::no}},
      {make_error_code(errc::unsupported_version), 1, {A::fail, false, P::no}},
      {make_error_code(errc::unsupported_compression_type), 1, {A::fail, false, P::no}},
      {make_error_code(errc::out_of_order_sequence_number), 1, {A::fail, false, P::no}},
      {make_error_code(errc::unknown_producer_id), 1, {A::fail, false, P::no}},
      {make_error_code(errc::unknown_server_error), 1, {A::fail, false, P::no}},
      {make_error_code(errc::rebootstrap_required), 1, {A::fail, true, P::no}},
      {make_error_code(static_cast<errc>(999)), 1, {A::fail, false, P::no}},
      {make_error_code(client_errc::shutting_down), 1, {A::fail, false, P::no}},
      {make_error_code(client_errc::malformed), 1, {A::fail, false, P::no}},
      {make_error_code(client_errc::unsupported_version), 1, {A::fail, false, P::no}},
      {std::make_error_code(std::errc::io_error), 1, {A::fail, false, P::no}},
  };
  for (const Row& row : rows) {
    INFO(row.error.message(), " with ", row.records, " record(s)");
    const ProduceErrorClass c = classify_produce_error(row.error, row.records);
    CHECK(to_string(c.action) == to_string(row.expected.action));
    CHECK(c.refresh_metadata == row.expected.refresh_metadata);
    CHECK(to_string(c.persisted) == to_string(row.expected.persisted));
  }
}

TEST_CASE("every Kafka code follows its traits unless the table says otherwise") {
  for (std::int16_t code = -1; code <= kwire::max_known_kafka_error; ++code) {
    const auto e = static_cast<errc>(code);
    if (e == errc::none || e == errc::duplicate_sequence_number || e == errc::message_too_large) continue;
    INFO(kwire::kafka_error_name(e));
    const kwire::ErrorTraits traits = kwire::error_traits(e);
    const ProduceErrorClass c = of(e);
    if (traits.fatal)
      CHECK(c.action == ProduceAction::fatal);
    else if (traits.retriable)
      CHECK(c.action == ProduceAction::retry);
    else
      CHECK(c.action == ProduceAction::fail);
    if (c.action == ProduceAction::retry) CHECK(c.refresh_metadata == traits.refresh_metadata);
  }
}
