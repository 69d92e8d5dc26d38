// DescribeTransactions: the request and the response decoder at every version kwire
// implements. Input: a byte choosing request (even) or response (odd), the
// version byte, then the body (message_pair.hpp).
#include "kwire/protocol/describe_transactions.hpp"
#include "message_pair.hpp"

using kwire::protocol::DescribeTransactionsRequest;
using kwire::protocol::DescribeTransactionsResponse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<DescribeTransactionsRequest, DescribeTransactionsResponse>(data, size);
}
