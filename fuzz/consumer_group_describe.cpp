// ConsumerGroupDescribeRequest and ConsumerGroupDescribeResponse decoders at every version kwire
// implements.
// Input: a byte choosing request (even) or response (odd), a version byte,
// then the body (see message_pair.hpp).
#include "kwire/protocol/consumer_group_describe.hpp"
#include "message_pair.hpp"

using kwire::protocol::ConsumerGroupDescribeRequest;
using kwire::protocol::ConsumerGroupDescribeResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>(data, size);
}
