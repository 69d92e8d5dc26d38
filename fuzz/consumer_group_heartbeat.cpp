// ConsumerGroupHeartbeatRequest and ConsumerGroupHeartbeatResponse decoders at every version kwire
// implements.
// Input: a byte choosing request (even) or response (odd), a version byte,
// then the body (see message_pair.hpp).
#include "kwire/protocol/consumer_group_heartbeat.hpp"
#include "message_pair.hpp"

using kwire::protocol::ConsumerGroupHeartbeatRequest;
using kwire::protocol::ConsumerGroupHeartbeatResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using kwire::fuzz::fuzz_request_or_response;
  return fuzz_request_or_response<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>(data, size);
}
