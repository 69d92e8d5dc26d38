// What both group protocols share: building a member's OffsetCommit.
#include "membership.hpp"

#include <algorithm>

namespace kwire::consumer::group {

std::optional<protocol::OffsetCommitRequest> build_commit_request(
    const std::string& group_id, std::int32_t generation, const std::string& member_id,
    const std::optional<std::string>& group_instance_id, const std::vector<OffsetToCommit>& offsets,
    const std::function<bool(const TopicPartition&)>& may_commit, std::vector<TopicPartition>* refused) {
  protocol::OffsetCommitRequest request;
  request.group_id = group_id;
  request.generation_id_or_member_epoch = generation;
  request.member_id = member_id;
  request.group_instance_id = group_instance_id;
  for (const auto& offset : offsets) {
    if (!may_commit(offset.partition)) {
      if (refused != nullptr) refused->push_back(offset.partition);
      continue;
    }
    auto topic = std::find_if(request.topics.begin(), request.topics.end(),
                              [&](const auto& t) { return t.name == offset.partition.topic; });
    if (topic == request.topics.end()) topic = request.topics.emplace(request.topics.end());
    topic->name = offset.partition.topic;
    protocol::OffsetCommitRequest::Partition p;
    p.partition_index = offset.partition.partition;
    p.committed_offset = offset.offset;
    p.committed_leader_epoch = offset.leader_epoch;
    p.committed_metadata = offset.metadata;
    topic->partitions.push_back(std::move(p));
  }
  if (request.topics.empty()) return std::nullopt;
  return request;
}

kwire::errc first_commit_error(const protocol::OffsetCommitResponse& response) noexcept {
  for (const auto& topic : response.topics)
    for (const auto& partition : topic.partitions)
      if (partition.error_code != kwire::errc::none) return partition.error_code;
  return kwire::errc::none;
}

}  // namespace kwire::consumer::group
