// ApiVersionsRequest v0-v4 decoder, as the mock cluster runs it on a client's
// bytes. Input: version byte, then the body (see fuzz_check.hpp).
#include "fuzz_check.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "message_round_trip.hpp"

using kwire::protocol::ApiVersionsRequest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = kwire::fuzz::split_version(data, size, ApiVersionsRequest::min_version, ApiVersionsRequest::max_version);
  if (!in) return 0;
  ApiVersionsRequest request;
  if (kwire::protocol::decode_message(in->body, in->version, request)) return 0;
  if (in->version < ApiVersionsRequest::first_flexible_version)
    KWIRE_FUZZ_CHECK(in->body.empty(), "v0-2 bodies are empty");
  kwire::fuzz::check_round_trip(in->body, in->version, request);
  return 0;
}
