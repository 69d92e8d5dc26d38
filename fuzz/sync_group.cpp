// SyncGroupRequest and SyncGroupResponse decoders at every version kwire
// implements.
// Input: a byte choosing request (even) or response (odd), a version byte,
// then the body (see message_pair.hpp).
#include "kwire/protocol/sync_group.hpp"
#include "message_pair.hpp"

using kwire::protocol::SyncGroupRequest;
using kwire::protocol::SyncGroupResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<SyncGroupRequest, SyncGroupResponse>(data, size);
}
