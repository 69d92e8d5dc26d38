#pragma once
// ConsumerGroupDescribe (API key 69): describes KIP-848 ("consumer") groups:
// state, epochs, the assignor, and every member with its current and target
// assignment. (Classic groups are described by DescribeGroups.)
//
// Request (ConsumerGroupDescribeRequest.json; flexible from v0):
//   Version 0 (Kafka 3.7+): GroupIds, IncludeAuthorizedOperations.
//   Version 1 (Kafka 4.0) is the same as version 0.
//
// Response (ConsumerGroupDescribeResponse.json):
//   Version 0: ThrottleTimeMs, Groups[ErrorCode, ErrorMessage, GroupId,
//   GroupState, GroupEpoch, AssignmentEpoch, AssignorName, Members[MemberId,
//   InstanceId, RackId, MemberEpoch, ClientId, ClientHost,
//   SubscribedTopicNames, SubscribedTopicRegex, Assignment,
//   TargetAssignment], AuthorizedOperations]; an assignment lists
//   TopicPartitions[TopicId, TopicName, Partitions].
//   Version 1 adds Members[].MemberType (KIP-1099: -1 unknown, 0 classic
//   member of a consumer group, 1 consumer), ignorable: left out at v0 as
//   Kafka's generated code does. A missing group is answered
//   GROUP_ID_NOT_FOUND (KIP-1043).
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kwire/protocol/api.hpp"
#include "kwire/protocol/kafka_error.hpp"
#include "kwire/protocol/reader.hpp"
#include "kwire/protocol/types.hpp"
#include "kwire/protocol/writer.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::protocol {

struct ConsumerGroupDescribeRequest {
  static constexpr ApiKey api_key = ApiKey::consumer_group_describe;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static constexpr std::int16_t first_flexible_version = 0;

  std::vector<std::string> group_ids;
  bool include_authorized_operations = false;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ConsumerGroupDescribeRequest&, const ConsumerGroupDescribeRequest&) = default;
};

struct ConsumerGroupDescribeResponse {
  static constexpr ApiKey api_key = ApiKey::consumer_group_describe;
  static constexpr std::int16_t min_version = 0;
  static constexpr std::int16_t max_version = 1;
  static constexpr std::int16_t first_flexible_version = 0;
  /// First version with Members[].MemberType (KIP-1099).
  static constexpr std::int16_t first_member_type_version = 1;

  struct TopicPartitions {
    Uuid topic_id;
    std::string topic_name;
    std::vector<std::int32_t> partitions;
    TaggedFields unknown_tags;
    friend bool operator==(const TopicPartitions&, const TopicPartitions&) = default;
  };

  struct Assignment {
    std::vector<TopicPartitions> topic_partitions;
    TaggedFields unknown_tags;
    friend bool operator==(const Assignment&, const Assignment&) = default;
  };

  struct Member {
    std::string member_id;
    std::optional<std::string> instance_id;
    std::optional<std::string> rack_id;
    std::int32_t member_epoch = 0;
    std::string client_id;
    std::string client_host;
    std::vector<std::string> subscribed_topic_names;
    std::optional<std::string> subscribed_topic_regex;
    Assignment assignment;
    Assignment target_assignment;
    std::int8_t member_type = -1;  ///< v1+ (ignorable); -1 unknown, 0 classic, 1 consumer
    TaggedFields unknown_tags;
    friend bool operator==(const Member&, const Member&) = default;
  };

  struct Group {
    kwire::errc error_code = kwire::errc::none;
    std::optional<std::string> error_message;
    std::string group_id;
    std::string group_state;  ///< "Empty", "Assigning", "Reconciling", "Stable", "Dead"
    std::int32_t group_epoch = 0;
    std::int32_t assignment_epoch = 0;
    std::string assignor_name;
    std::vector<Member> members;
    /// Bit field of ACL operations; INT32_MIN when not requested.
    std::int32_t authorized_operations = std::numeric_limits<std::int32_t>::min();
    TaggedFields unknown_tags;
    friend bool operator==(const Group&, const Group&) = default;
  };

  std::int32_t throttle_time_ms = 0;
  std::vector<Group> groups;
  TaggedFields unknown_tags;

  std::error_code encode(Writer& out, std::int16_t version) const;
  std::error_code decode(Reader& in, std::int16_t version);
  friend bool operator==(const ConsumerGroupDescribeResponse&, const ConsumerGroupDescribeResponse&) = default;
};

}  // namespace kwire::protocol

KWIRE_PUBLIC_END
