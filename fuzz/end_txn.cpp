// EndTxn: the request and the response decoder at every version kwire
// implements. Input: a byte choosing request (even) or response (odd), the
// version byte, then the body (message_pair.hpp).
#include "kwire/protocol/end_txn.hpp"
#include "message_pair.hpp"

using kwire::protocol::EndTxnRequest;
using kwire::protocol::EndTxnResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<EndTxnRequest, EndTxnResponse>(data, size);
}
