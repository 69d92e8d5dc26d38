// OffsetDelete request and response decoders, v0. Input: 0/1 (request or
// response), version byte (only v0), body (see message_pair.hpp).
#include "kwire/protocol/offset_delete.hpp"
#include "message_pair.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<kwire::protocol::OffsetDeleteRequest,
                                               kwire::protocol::OffsetDeleteResponse>(data, size);
}
