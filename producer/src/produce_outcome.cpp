#include "produce_outcome.hpp"

#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::producer {

ProduceErrorClass classify_produce_error(std::error_code error, std::int32_t record_count) noexcept {
  using A = ProduceAction;
  if (!error) return {A::complete, false, Persisted::yes};

  if (error.category() == client_category()) {
    switch (static_cast<client_errc>(error.value())) {
      case client_errc::disconnected:
      case client_errc::timed_out:
        // The request may or may not have reached the log. Java requests a
        // metadata update on disconnects (NetworkException is an
        // InvalidMetadataException): the leader may have moved away.
        return {A::retry, true, Persisted::maybe};
      case client_errc::fatal_producer_state:
        return {A::fatal, false, Persisted::no};
      default:
        // shutting_down, malformed / undecodable responses, unsupported
        // versions, record_too_large, ...: nothing a resend would fix.
        return {A::fail, false, Persisted::no};
    }
  }
  if (error.category() != kafka_category()) return {A::fail, false, Persisted::no};

  const auto code = static_cast<kwire::errc>(error.value());
  switch (code) {
    case kwire::errc::duplicate_sequence_number:
      // The broker already has this batch (an idempotent retry): success.
      return {A::complete, false, Persisted::yes};
    case kwire::errc::message_too_large:
      return {record_count > 1 ? A::split : A::fail, false, Persisted::no};
    case kwire::errc::request_timed_out:
    case kwire::errc::not_enough_replicas_after_append:
      return {A::retry, false, Persisted::maybe};
    default:
      break;
  }
  const ErrorTraits traits = error_traits(code);
  if (traits.fatal) return {A::fatal, false, Persisted::no};
  if (traits.retriable) return {A::retry, traits.refresh_metadata, Persisted::no};
  return {A::fail, traits.refresh_metadata, Persisted::no};
}

std::string_view to_string(ProduceAction action) noexcept {
  switch (action) {
    case ProduceAction::complete: return "complete";
    case ProduceAction::retry: return "retry";
    case ProduceAction::split: return "split";
    case ProduceAction::fail: return "fail";
    case ProduceAction::fatal: return "fatal";
  }
  return "?";
}

std::string_view to_string(Persisted persisted) noexcept {
  switch (persisted) {
    case Persisted::no: return "no";
    case Persisted::maybe: return "maybe";
    case Persisted::yes: return "yes";
  }
  return "?";
}

}  // namespace kwire::producer
