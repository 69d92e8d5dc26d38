#pragma once
// Errors raised by kwire itself (as opposed to error codes a Kafka broker
// returns, which live in kafka_error.hpp). Both are std::error_code so that
// every layer reports failures the same way.
#include <system_error>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire {

enum class client_errc {
  ok = 0,
  truncated,              ///< a decoder needed more bytes than the buffer holds
  malformed,              ///< bytes present but not a valid encoding (bad varint, negative length, ...)
  length_exceeds_input,   ///< a declared length or element count is larger than the bytes left
  trailing_bytes,         ///< a message decoded but bytes were left over
  unsupported_version,    ///< no API version both sides support, or a feature the version lacks
  field_not_in_version,   ///< a non-default value for a field the chosen version cannot carry
  correlation_mismatch,   ///< a response arrived for a request we did not send next
  frame_too_large,        ///< a response frame larger than the configured maximum
  disconnected,           ///< the connection closed with requests outstanding
  timed_out,              ///< a connect or a request took longer than its timeout
  resolve_failed,         ///< the broker's host name could not be resolved
  connect_failed,         ///< no address of the broker accepted a connection
  no_broker_reachable,    ///< none of bootstrap.servers could be connected to
  invalid_config,         ///< a configuration key or value is invalid
  crc_mismatch,           ///< a record batch's CRC-32C does not match its bytes
  shutting_down,          ///< the client is closing and the operation was abandoned
  queue_full,             ///< buffer.memory exhausted for longer than max.block.ms
  record_too_large,       ///< a record larger than max.request.size
  authentication_failed,  ///< TLS or SASL authentication failed
  unknown_topic,          ///< the topic does not exist (and was not created)
  fatal_producer_state,   ///< the producer hit a fatal error (fenced, ...) and refuses work
  record_exceeds_buffer_memory,  ///< a record larger than buffer.memory: it could never be buffered
};

const std::error_category& client_category() noexcept;

inline std::error_code make_error_code(client_errc e) noexcept {
  return {static_cast<int>(e), client_category()};
}

}  // namespace kwire

template <>
struct std::is_error_code_enum<kwire::client_errc> : std::true_type {};

KWIRE_PUBLIC_END
