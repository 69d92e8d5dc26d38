#include "kwire/protocol/client_error.hpp"

#include <string>

namespace kwire {
namespace {

class client_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kwire"; }

  std::string message(int value) const override {
    switch (static_cast<client_errc>(value)) {
      case client_errc::ok: return "success";
      case client_errc::truncated: return "input truncated: more bytes were needed";
      case client_errc::malformed: return "malformed encoding";
      case client_errc::length_exceeds_input: return "declared length or count exceeds the bytes present";
      case client_errc::trailing_bytes: return "unexpected bytes after the end of the message";
      case client_errc::unsupported_version: return "no mutually supported API version";
      case client_errc::field_not_in_version: return "field has a non-default value but the API version cannot carry it";
      case client_errc::correlation_mismatch: return "response correlation id does not match the oldest request";
      case client_errc::frame_too_large: return "response frame exceeds the maximum size";
      case client_errc::disconnected: return "connection closed";
      case client_errc::timed_out: return "timed out";
      case client_errc::resolve_failed: return "could not resolve broker address";
      case client_errc::connect_failed: return "could not connect to broker";
      case client_errc::no_broker_reachable: return "no broker in bootstrap.servers is reachable";
      case client_errc::invalid_config: return "invalid configuration";
      case client_errc::crc_mismatch: return "record batch CRC-32C mismatch";
      case client_errc::shutting_down: return "client is shutting down";
      case client_errc::queue_full: return "buffer.memory exhausted for longer than max.block.ms";
      case client_errc::record_too_large: return "record larger than max.request.size";
      case client_errc::authentication_failed: return "authentication failed";
      case client_errc::unknown_topic: return "unknown topic";
      case client_errc::fatal_producer_state: return "producer is in a fatal state";
      case client_errc::record_exceeds_buffer_memory: return "record larger than buffer.memory";
    }
    return "unknown kwire error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const client_error_category category;
  return category;
}

}  // namespace kwire
