// LeaveGroupRequest and LeaveGroupResponse decoders at every version kwire
// implements.
// Input: a byte choosing request (even) or response (odd), a version byte,
// then the body (see message_pair.hpp).
#include "kwire/protocol/leave_group.hpp"
#include "message_pair.hpp"

using kwire::protocol::LeaveGroupRequest;
using kwire::protocol::LeaveGroupResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<LeaveGroupRequest, LeaveGroupResponse>(data, size);
}
