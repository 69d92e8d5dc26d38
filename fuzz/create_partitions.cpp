// CreatePartitions request and response decoders, v0-3. Input: 0/1 (request
// or response), version byte, body (see message_pair.hpp).
#include "kwire/protocol/create_partitions.hpp"
#include "message_pair.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<kwire::protocol::CreatePartitionsRequest,
                                               kwire::protocol::CreatePartitionsResponse>(data, size);
}
