// FindCoordinator: the request and the response decoder at every version
// kwire implements (v0-6; batched keys from v4). Input: a byte choosing
// request (even) or response (odd), the version byte, then the body
// (message_pair.hpp).
#include "kwire/protocol/find_coordinator.hpp"
#include "message_pair.hpp"

using kwire::protocol::FindCoordinatorRequest;
using kwire::protocol::FindCoordinatorResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<FindCoordinatorRequest, FindCoordinatorResponse>(data, size);
}
