// IncrementalAlterConfigs request and response decoders, v0-1. Input: 0/1
// (request or response), version byte, body (see message_pair.hpp).
#include "kwire/protocol/incremental_alter_configs.hpp"
#include "message_pair.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<kwire::protocol::IncrementalAlterConfigsRequest,
                                               kwire::protocol::IncrementalAlterConfigsResponse>(data, size);
}
