// DescribeCluster request and response decoders, v0-2. Input: 0/1 (request
// or response), version byte, body (see message_pair.hpp).
#include "kwire/protocol/describe_cluster.hpp"
#include "message_pair.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kwire::fuzz::fuzz_request_or_response<kwire::protocol::DescribeClusterRequest,
                                               kwire::protocol::DescribeClusterResponse>(data, size);
}
