#pragma once
// What Cluster::request<> knows about a request type without being told:
// its response type (response_t<Req>), and the whole-response error of a
// decoded response (top_level_error), for every codec pair in protocol/.
// Only forward declarations: include the codec's own header to use one.
//
// A new codec pair adds one KWIRE_RESPONSE_OF line below; until then callers
// name the response explicitly: cluster.request<Req, Resp>(...).
#include <concepts>
#include <optional>
#include <string>
#include <type_traits>

#include "kwire/protocol/kafka_error.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {
#define KWIRE_DECLARE_PAIR(name) \
  struct name##Request;          \
  struct name##Response;
KWIRE_DECLARE_PAIR(AddOffsetsToTxn)
KWIRE_DECLARE_PAIR(AddPartitionsToTxn)
KWIRE_DECLARE_PAIR(AlterUserScramCredentials)
KWIRE_DECLARE_PAIR(ApiVersions)
KWIRE_DECLARE_PAIR(ConsumerGroupDescribe)
KWIRE_DECLARE_PAIR(ConsumerGroupHeartbeat)
KWIRE_DECLARE_PAIR(CreatePartitions)
KWIRE_DECLARE_PAIR(CreateTopics)
KWIRE_DECLARE_PAIR(DeleteGroups)
KWIRE_DECLARE_PAIR(DeleteRecords)
KWIRE_DECLARE_PAIR(DeleteTopics)
KWIRE_DECLARE_PAIR(DescribeCluster)
KWIRE_DECLARE_PAIR(DescribeConfigs)
KWIRE_DECLARE_PAIR(DescribeGroups)
KWIRE_DECLARE_PAIR(DescribeProducers)
KWIRE_DECLARE_PAIR(DescribeTransactions)
KWIRE_DECLARE_PAIR(DescribeUserScramCredentials)
KWIRE_DECLARE_PAIR(EndTxn)
KWIRE_DECLARE_PAIR(Fetch)
KWIRE_DECLARE_PAIR(FindCoordinator)
KWIRE_DECLARE_PAIR(Heartbeat)
KWIRE_DECLARE_PAIR(IncrementalAlterConfigs)
KWIRE_DECLARE_PAIR(InitProducerId)
KWIRE_DECLARE_PAIR(JoinGroup)
KWIRE_DECLARE_PAIR(LeaveGroup)
KWIRE_DECLARE_PAIR(ListGroups)
KWIRE_DECLARE_PAIR(ListOffsets)
KWIRE_DECLARE_PAIR(ListTransactions)
KWIRE_DECLARE_PAIR(Metadata)
KWIRE_DECLARE_PAIR(OffsetCommit)
KWIRE_DECLARE_PAIR(OffsetDelete)
KWIRE_DECLARE_PAIR(OffsetFetch)
KWIRE_DECLARE_PAIR(OffsetForLeaderEpoch)
KWIRE_DECLARE_PAIR(Produce)
KWIRE_DECLARE_PAIR(SyncGroup)
KWIRE_DECLARE_PAIR(TxnOffsetCommit)
KWIRE_DECLARE_PAIR(WriteTxnMarkers)
#undef KWIRE_DECLARE_PAIR
}  // namespace kwire::protocol

namespace kwire::cluster {

/// Specialised per request type: `using type = <its response>`.
template <class Req>
struct ResponseOf;

#define KWIRE_RESPONSE_OF(name)                    \
  template <>                                      \
  struct ResponseOf<protocol::name##Request> {     \
    using type = protocol::name##Response;         \
  };
KWIRE_RESPONSE_OF(AddOffsetsToTxn)
KWIRE_RESPONSE_OF(AddPartitionsToTxn)
KWIRE_RESPONSE_OF(AlterUserScramCredentials)
KWIRE_RESPONSE_OF(ApiVersions)
KWIRE_RESPONSE_OF(ConsumerGroupDescribe)
KWIRE_RESPONSE_OF(ConsumerGroupHeartbeat)
KWIRE_RESPONSE_OF(CreatePartitions)
KWIRE_RESPONSE_OF(CreateTopics)
KWIRE_RESPONSE_OF(DeleteGroups)
KWIRE_RESPONSE_OF(DeleteRecords)
KWIRE_RESPONSE_OF(DeleteTopics)
KWIRE_RESPONSE_OF(DescribeCluster)
KWIRE_RESPONSE_OF(DescribeConfigs)
KWIRE_RESPONSE_OF(DescribeGroups)
KWIRE_RESPONSE_OF(DescribeProducers)
KWIRE_RESPONSE_OF(DescribeTransactions)
KWIRE_RESPONSE_OF(DescribeUserScramCredentials)
KWIRE_RESPONSE_OF(EndTxn)
KWIRE_RESPONSE_OF(Fetch)
KWIRE_RESPONSE_OF(FindCoordinator)
KWIRE_RESPONSE_OF(Heartbeat)
KWIRE_RESPONSE_OF(IncrementalAlterConfigs)
KWIRE_RESPONSE_OF(InitProducerId)
KWIRE_RESPONSE_OF(JoinGroup)
KWIRE_RESPONSE_OF(LeaveGroup)
KWIRE_RESPONSE_OF(ListGroups)
KWIRE_RESPONSE_OF(ListOffsets)
KWIRE_RESPONSE_OF(ListTransactions)
KWIRE_RESPONSE_OF(Metadata)
KWIRE_RESPONSE_OF(OffsetCommit)
KWIRE_RESPONSE_OF(OffsetDelete)
KWIRE_RESPONSE_OF(OffsetFetch)
KWIRE_RESPONSE_OF(OffsetForLeaderEpoch)
KWIRE_RESPONSE_OF(Produce)
KWIRE_RESPONSE_OF(SyncGroup)
KWIRE_RESPONSE_OF(TxnOffsetCommit)
KWIRE_RESPONSE_OF(WriteTxnMarkers)
#undef KWIRE_RESPONSE_OF

template <class Req>
using response_t = typename ResponseOf<Req>::type;

/// The error of a whole response: its top-level `error_code` field when the
/// message has one (JoinGroup, Heartbeat, FindCoordinator v0-3, DescribeCluster,
/// ...), with `error_message` when it has that too. Responses whose errors
/// are all per item (CreateTopics, Metadata, Fetch per partition) have none:
/// the caller judges those (Cluster's ResponseCheck).
struct TopLevelError {
  kwire::errc code = kwire::errc::none;
  std::string message;  ///< the broker's message, empty when none
};

template <class Resp>
TopLevelError top_level_error(const Resp& response) {
  TopLevelError out;
  if constexpr (requires { { response.error_code } -> std::convertible_to<kwire::errc>; }) {
    out.code = response.error_code;
    if constexpr (requires { { response.error_message } -> std::convertible_to<std::optional<std::string>>; }) {
      if (response.error_message) out.message = *response.error_message;
    } else if constexpr (requires { { response.error_message } -> std::convertible_to<std::string>; }) {
      out.message = response.error_message;
    }
  }
  return out;
}

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
