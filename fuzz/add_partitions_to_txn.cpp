// AddPartitionsToTxn (client form v0-3, batched form v4-5): the request and the response decoder at every version kwire
// implements. Input: a byte choosing request (even) or response (odd), the
// version byte, then the body (message_pair.hpp).
#include "kwire/protocol/add_partitions_to_txn.hpp"
#include "message_pair.hpp"

using kwire::protocol::AddPartitionsToTxnRequest;
using kwire::protocol::AddPartitionsToTxnResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(data, size);
}
